/**
 * What a fuzz target is. A target owns one input format and one check:
 *
 *   - `name`: also the directory its saved cases live in (test/fuzz-cases/<name>/);
 *   - `seeds()`: the starting corpus (real images, real packets, real command lines);
 *   - `generate(rng)` (optional): a fresh input from nothing;
 *   - `mutate(input, rng, corpus)` (optional): a changed input; the default is the byte-level
 *     mutator in mutate.ts;
 *   - `run(input)`: feeds the input to the code under test and returns normally when the code
 *     behaved: it returned, or threw one of the errors its contract documents (which `run`
 *     catches). Anything else `run` lets escape, and the harness records it as a finding:
 *     an unexpected exception, or a FuzzFinding the target throws when an invariant fails
 *     (memory left changed, a reply longer than a packet, …).
 *
 * Inputs are bytes, whatever they mean to the target (an image, a packet stream, a command
 * line, an argv as JSON), so every finding is saved and replayed the same way.
 *
 * Targets run in a worker thread with a heap limit and a watchdog (see main.ts), so `run`
 * need not protect itself against hangs or unbounded allocation: those are findings too.
 */
import type { Prng } from '../support/prng.js';

export interface FuzzTarget {
  readonly name: string;
  /** One line for `npm run fuzz -- --list`. */
  readonly description: string;
  /** The starting corpus; at least one input. */
  seeds(): Uint8Array[];
  generate?(rng: Prng): Uint8Array;
  mutate?(input: Uint8Array, rng: Prng, corpus: readonly Uint8Array[]): Uint8Array;
  run(input: Uint8Array): void;
}

/** An invariant the target checks failed (as opposed to an exception from the code under test). */
export class FuzzFinding extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FuzzFinding';
  }
}

/** Throws a FuzzFinding unless `cond` holds. */
export function expect(cond: boolean, message: () => string): asserts cond {
  if (!cond) throw new FuzzFinding(message());
}

/**
 * Runs `f` and accepts only the documented errors: an instance of one of `allowed` returns
 * normally; anything else propagates (a finding).
 */
export function allowing(allowed: readonly (abstract new (...args: never[]) => Error)[], f: () => void): void {
  try {
    f();
  } catch (err) {
    if (allowed.some((E) => err instanceof E)) return;
    throw err;
  }
}

export const text = {
  encode: (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1')),
  decode: (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1'),
};
