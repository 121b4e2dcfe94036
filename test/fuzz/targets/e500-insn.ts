/**
 * e500-insn: random and mutated e500 instruction streams, in supervisor and user mode, with
 * random TLB contents, SPRs and pending interrupts (external and critical inputs, timer
 * status), run once by the interpreter alone and once with every block translated before it
 * first runs, and again with blocks translated after their first interpreted run, so
interpreted and translated code alternate (../e500-insn.ts builds and compares the machines).
 *
 * Findings: an exception from either engine (rethrown with its own stack), and any
 * difference in the end state, the exits or RAM between the two (a FuzzFinding naming the
 * state that differs). A case is bounded by an instruction budget, so an input that runs
 * into the harness's watchdog is a hang in the engine, not a long stream.
 *
 * An input is the JSON text of a case (its whole initial state, not a seed), so a saved
 * case replays the same machine whatever the generator becomes; text that is not a
 * well-formed case is skipped.
 */
import { FuzzFinding, text, type FuzzTarget } from '../target.js';
import type { JitMode } from '../../../src/accel/e500/engine.js';
import { checkCase, generateCase, mutateCase, parseCase, restateCase, runCase, type CaseState } from '../e500-insn.js';

/** Every block translated before it runs, and blocks translated after one interpreted run (mixed). */
const MODES: readonly JitMode[] = ['always', 'eager'];

const encode = (c: CaseState): Uint8Array => text.encode(JSON.stringify(c));

/** The first line of a finding names what differed, without numbers, so one bug is one signature. */
function headline(problems: readonly string[]): string {
  const what = [...new Set(problems.map((p) => (p.split(':')[0] ?? p).replace(/\[\d+\]/g, '[]')))];
  return `interpreter and translator differ in ${what.join(', ')}`;
}

export const e500InsnTarget: FuzzTarget = {
  name: 'e500-insn',
  description: 'e500 instruction streams (both cores, user/supervisor, random TLB/interrupts): interpreter vs translator',
  seeds: () => [1, 2, 3, 4].map((s) => encode(generateCase(s, s % 2 === 0 ? 'e500mc' : 'e500v2'))),
  generate: (rng) => encode(generateCase(rng.u32())),
  mutate(input, rng, corpus) {
    const c = parseCase(text.decode(input)) ?? parseCase(text.decode(rng.pick(corpus)));
    if (c === null) return encode(generateCase(rng.u32()));
    // Now and then the same code in a fresh machine state (mode, TLB, SPRs, interrupts).
    return encode(rng.chance(0.25) ? restateCase(c, rng.u32()) : mutateCase(c, rng.u32()));
  },
  run(input) {
    const c = parseCase(text.decode(input));
    if (c === null) return;
    const interp = runCase(c, 'off');
    if (interp.end === 'error') throw interp.thrown;
    for (const mode of MODES) {
      const v = checkCase(c, mode, interp);
      if (v.jit.end === 'error') throw v.jit.thrown;
      if (!v.ok) throw new FuzzFinding(`${headline(v.problems)} (translator mode ${mode})\n${v.problems.join('\n')}`);
    }
  },
};
