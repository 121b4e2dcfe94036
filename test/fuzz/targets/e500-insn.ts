/**
 * e500-insn: random and mutated e500 instruction streams, in supervisor and user mode, with
 * random TLB contents, SPRs and pending interrupts (external and critical inputs, timer
 * status), run once by the interpreter alone and once with every block translated before it
 * first runs (../e500-insn.ts builds and compares the machines).
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
import { checkCase, generateCase, mutateCase, parseCase, type CaseState } from '../e500-insn.js';

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
    return encode(c === null ? generateCase(rng.u32()) : mutateCase(c, rng.u32()));
  },
  run(input) {
    const c = parseCase(text.decode(input));
    if (c === null) return;
    const v = checkCase(c);
    if (v.interp.end === 'error') throw v.interp.thrown;
    if (v.jit.end === 'error') throw v.jit.thrown;
    if (!v.ok) throw new FuzzFinding(`${headline(v.problems)}\n${v.problems.join('\n')}`);
  },
};
