/**
 * The fuzzing loop, independent of threads: feeds a target seeds, then mutants of its corpus
 * (or fresh inputs from its generator), and reports each input before running it (so a
 * watchdog can save the input that hangs or exhausts memory) and each finding after.
 */
import { Prng } from '../support/prng.js';
import { mutateBytes } from './mutate.js';
import { FuzzFinding, type FuzzTarget } from './target.js';

export type FindingKind = 'exception' | 'invariant' | 'hang' | 'memory';

export interface Finding {
  readonly kind: FindingKind;
  readonly message: string;
  /** The stack of an exception (empty for hangs and memory). */
  readonly stack: string;
  readonly input: Uint8Array;
  /** Which input of the run (0-based) it was. */
  readonly index: number;
}

/** Groups findings that are the same bug: the kind, the first line of the message and the top frames. */
export function signature(f: Pick<Finding, 'kind' | 'message' | 'stack'>): string {
  const frames = f.stack
    .split('\n')
    .filter((l) => l.trimStart().startsWith('at '))
    .slice(0, 3)
    .map((l) => l.trim().replace(/:\d+:\d+\)?$/, ''));
  // Numbers in messages (sizes, offsets) differ between instances of one bug.
  const head = (f.message.split('\n')[0] ?? '').replace(/0x[0-9a-f]+|\d+/gi, 'N');
  return [f.kind, head, ...frames].join(' | ');
}

export interface LoopOptions {
  readonly seed: number;
  /** Stop after this many inputs (seeds included). */
  readonly maxInputs: number;
  /** Start at this input (a worker replacing one that crashed skips what that one ran). */
  readonly first?: number;
  /** Stop at this wall-clock time (Date.now()); Infinity for none. */
  readonly deadline: number;
  /** Called with each input before it runs. */
  readonly starting?: (input: Uint8Array, index: number) => void;
  readonly found: (f: Finding) => void;
  /** Called after each input, with the count so far; returns false to stop. */
  readonly after?: (done: number) => boolean;
}

/** Runs the loop; returns the number of inputs run. */
export function fuzzLoop(target: FuzzTarget, o: LoopOptions): number {
  const rng = new Prng(o.seed);
  const seeds = target.seeds();
  if (seeds.length === 0) throw new Error(`fuzz target ${target.name} has no seeds`);
  // Mutants that ran join the pool now and then, so mutations can build on each other.
  const pool: Uint8Array[] = [...seeds];
  const POOL_MAX = 256;
  let i = o.first ?? 0;
  for (; i < o.maxInputs && Date.now() < o.deadline; i++) {
    let input: Uint8Array;
    if (i < seeds.length) input = seeds[i]!;
    else if (target.generate !== undefined && rng.chance(0.15)) input = target.generate(rng);
    else {
      const base = rng.pick(pool);
      input = target.mutate !== undefined ? target.mutate(base, rng, pool) : mutateBytes(base, rng, pool);
    }
    o.starting?.(input, i);
    try {
      target.run(input);
      if (i >= seeds.length && rng.chance(0.05)) {
        if (pool.length < POOL_MAX) pool.push(input);
        else pool[seeds.length + rng.below(POOL_MAX - seeds.length)] = input;
      }
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      o.found({ kind: err instanceof FuzzFinding ? 'invariant' : 'exception', message: `${e.name}: ${e.message}`, stack: e.stack ?? '', input, index: i });
    }
    if (o.after !== undefined && !o.after(i + 1)) return i + 1;
  }
  return i;
}
