/**
 * Every input the fuzzer ever saved (test/fuzz-cases/<target>/*.bin) goes through its target
 * again: a bug the fuzzer found stays fixed. A directory without a target of that name is an
 * error too (a renamed target would otherwise silently stop replaying its cases).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { savedCases } from '../../fuzz/cases.js';
import { TARGETS } from '../../fuzz/targets/index.js';

const cases = savedCases();

test('every fuzz-case directory belongs to a target', () => {
  for (const name of cases.keys()) assert.ok(TARGETS.some((t) => t.name === name), `test/fuzz-cases/${name} has no fuzz target of that name`);
});

for (const [name, inputs] of cases) {
  const target = TARGETS.find((t) => t.name === name);
  if (target === undefined) continue;
  describe(`fuzz cases of ${name}`, () => {
    for (const c of inputs) {
      test(c.path.slice(c.path.lastIndexOf('/') + 1), () => {
        target.run(c.bytes);
      });
    }
  });
}
