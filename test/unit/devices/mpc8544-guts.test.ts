/** GUTS at register level: version mirrors, RSTCR and what the block ignores. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Mpc8544Guts } from '../../../src/devices/mpc8544-guts.js';

function guts(): { g: Mpc8544Guts; resets: number[]; log: string[] } {
  const resets: number[] = [];
  const log: string[] = [];
  const g = new Mpc8544Guts({ pvr: () => 0x80210030, svr: 0, requestReset: () => resets.push(1), log: (l) => log.push(l) });
  return { g, resets, log };
}

test('PVR mirror reads the reading core PVR, SVR reads 0, PORPLLSR and the rest read 0', () => {
  const { g } = guts();
  assert.equal(g.read(0xa0, 4), 0x80210030);
  assert.equal(g.read(0xa4, 4), 0);
  assert.equal(g.read(0x00, 4), 0);
  assert.equal(g.read(0x70, 4), 0);
});

test('RSTCR: only HRESET_REQ requests a reset', () => {
  const { g, resets } = guts();
  g.write(0xb0, 4, 0x1);
  assert.equal(resets.length, 0);
  g.write(0xb0, 4, 0x2);
  assert.equal(resets.length, 1);
});

test('narrow accesses and unmodelled registers are ignored with a rate-limited log line', () => {
  const { g, resets, log } = guts();
  assert.equal(g.read(0xa0, 2), 0, 'the mirror answers 32-bit reads only');
  g.write(0xb0, 1, 0x2);
  assert.equal(resets.length, 0, 'a byte write to RSTCR does nothing');
  for (let i = 0; i < 100; i++) g.write(0x40, 4, i);
  assert.equal(log.length, 1, 'one line, the rest suppressed within the interval');
  assert.match(log[0]!, /^ngkvm: guts: read of offset 0xa0 ignored: 2-byte access/);
});
