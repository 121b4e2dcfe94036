/**
 * Every case the QEMU 7.2 e500mc generator guest recorded must be reproduced
 * bit for bit: target FPR (or stored word), FPSCR and CR fields 0-2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fields, loadFixture, parseVectors, replay, VectorLine } from './vector-runner.js';

const lines = loadFixture();
const { cases } = parseVectors(lines);

test('fixture is complete', () => {
  assert.ok(lines.some((l) => l.startsWith('# end')), 'generator output was cut short');
  assert.ok(!lines.some((l) => l.startsWith('!')), 'generator reported an unexpected exception');
  const runs = cases.reduce((n, c) => n + c.runs.length, 0);
  assert.ok(runs > 100000, `only ${runs} runs in the fixture`);
});

const byOp = new Map<string, VectorLine[]>();
for (const c of cases) {
  const key = fields(c.input.op, ':')(0);
  let list = byOp.get(key);
  if (!list) byOp.set(key, (list = []));
  list.push(c);
}

for (const [op, list] of byOp) {
  test(`QEMU vectors: ${op}`, () => {
    const { runs, failures } = replay(list, 20);
    assert.ok(runs > 0);
    assert.equal(failures.length, 0, `${failures.length} mismatches (first shown):\n${failures.join('\n')}`);
  });
}
