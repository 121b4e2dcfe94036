/**
 * Every instruction form of both cores through the interpreter and through the translator
 * (every block translated before it first runs), from random states: the complete
 * architected state afterwards, the exits on the way and any fault (SRR0/SRR1/ESR/DEAR are
 * in the SPR file compared) must be the same. Both are generated from one definition per
 * instruction; this checks the two emitters and the translator's register caching, liveness
 * and control flow agree.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkCase, definitionsOf, singleInstructionCase } from '../../fuzz/e500-insn.js';

const SEEDS = 6;

for (const family of ['e500v2', 'e500mc'] as const) {
  describe(`interpreter and translator agree (${family})`, () => {
    for (const def of definitionsOf(family)) {
      test(def.name, () => {
        let compared = 0;
        for (const rc of def.rc === true ? [false, true] : [false]) {
          for (const oe of def.oe === true ? [false, true] : [false]) {
            for (let s = 1; s <= SEEDS; s++) {
              const seed = (s * 0x9e3779b1 + def.op * 131 + (def.xo ?? 0) * 7919 + (rc ? 1 : 0) + (oe ? 2 : 0)) >>> 0;
              const v = checkCase(singleInstructionCase(def, family, seed, rc, oe));
              assert.ok(v.ok, `${def.name}${oe ? 'o' : ''}${rc ? '.' : ''} seed ${seed}: ${v.problems.join('; ')}`);
              if (v.compared) compared++;
            }
          }
        }
        assert.ok(compared > 0, `${def.name}: no case ran to the end in both engines`);
      });
    }
  });
}
