/**
 * The e500 exit protocol alone (src/accel/e500/exit-protocol.ts): no Cpu, no engine, no
 * instructions — a host object with `stop` stands in for the vCPU, and the test plays both
 * the instruction (calling `read`/`write` as an lmw or stmw would) and the run loop.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ExitProtocol, type ExitHost } from '../../../src/accel/e500/exit-protocol.js';
import { STOP_EXIT } from '../../../src/accel/e500/stop.js';
import type { CoalescedMmio } from '../../../src/api/coalesced.js';

function protocol(): { xp: ExitProtocol; host: ExitHost } {
  const host: ExitHost = { stop: 0, counters: { mmio: 0 } };
  return { xp: new ExitProtocol(host), host };
}

test('an MMIO read exits once with the access described, and its replay answers from the log', () => {
  const { xp, host } = protocol();
  xp.read(0xe0000000, 4, false);
  assert.equal(host.stop, STOP_EXIT);
  assert.equal(host.counters.mmio, 1);
  const e = xp.pending;
  assert.ok(e !== null && e.kind === 'mmio');
  assert.equal(e.addr, 0xe0000000);
  assert.equal(e.size, 4);
  assert.equal(e.isWrite, false);
  assert.equal(xp.resumesAfter, false, 'the instruction runs again on resume');
  // The VMM completes the read; the run loop replays the instruction.
  e.data.set([0x12, 0x34, 0x56, 0x78]);
  host.stop = 0;
  xp.pending = null;
  xp.beginReplay();
  assert.equal(xp.read(0xe0000000, 4, false), 0x12345678);
  assert.equal(host.stop, 0, 'answered from the log: no second exit');
  xp.endReplay();
  xp.clearLog();
  assert.equal(host.counters.mmio, 1);
});

test('an instruction with two accesses exits for each in turn and replays the first from the log', () => {
  const { xp, host } = protocol();
  // First run: the first word exits.
  xp.read(0xe0000000, 4, false);
  assert.equal(host.stop, STOP_EXIT);
  xp.exits.mmio.data.set([0, 0, 0, 1]);
  host.stop = 0;
  // Replay: the first word comes from the log, the second exits.
  xp.beginReplay();
  assert.equal(xp.read(0xe0000000, 4, false), 1);
  assert.equal(host.stop, 0);
  xp.read(0xe0000004, 4, false);
  assert.equal(host.stop, STOP_EXIT);
  assert.equal(xp.exits.mmio.addr, 0xe0000004);
  xp.exits.mmio.data.set([0, 0, 0, 2]);
  xp.endReplay();
  host.stop = 0;
  // Second replay: both from the log.
  xp.beginReplay();
  assert.equal(xp.read(0xe0000000, 4, false), 1);
  assert.equal(xp.read(0xe0000004, 4, false), 2);
  assert.equal(host.stop, 0);
  xp.endReplay();
  assert.equal(host.counters.mmio, 2);
});

test('writes carry the value in guest byte order; a replayed write is not sent again', () => {
  const { xp, host } = protocol();
  xp.write(0xe0000010, 2, 0xabcd, true);
  assert.equal(host.stop, STOP_EXIT);
  assert.deepEqual([...xp.exits.mmio.data], [0xcd, 0xab], 'little-endian page');
  host.stop = 0;
  xp.beginReplay();
  xp.write(0xe0000010, 2, 0xabcd, true);
  assert.equal(host.stop, 0);
  xp.endReplay();
  xp.write(0xe0000020, 4, 0x01020304, false);
  assert.deepEqual([...xp.exits.mmio.data], [1, 2, 3, 4], 'big-endian page');
});

test('an access absorbed by a coalesced zone does not exit, but a later access of the same instruction replays it', () => {
  const { xp, host } = protocol();
  const absorbed: number[] = [];
  xp.coalesced = { absorb: (_space: string, pa: number) => (pa < 0xe0000100 ? (absorbed.push(pa), true) : false) } as unknown as CoalescedMmio;
  xp.write(0xe00000fc, 4, 7, false);
  assert.equal(host.stop, 0);
  xp.write(0xe0000100, 4, 8, false);
  assert.equal(host.stop, STOP_EXIT);
  host.stop = 0;
  xp.beginReplay();
  xp.write(0xe00000fc, 4, 7, false);
  xp.write(0xe0000100, 4, 8, false);
  xp.endReplay();
  assert.deepEqual(absorbed, [0xe00000fc], 'the absorbed write reached the zone once');
  assert.equal(host.stop, 0);
});

test('an access that does not continue the previous one starts a new log', () => {
  const { xp, host } = protocol();
  xp.coalesced = { absorb: () => true } as unknown as CoalescedMmio;
  xp.write(0xe0000000, 4, 1, false);
  xp.write(0xe0001000, 4, 2, false);
  assert.equal(xp.log.length, 1, 'a stale entry would answer the next replay');
  assert.equal(host.stop, 0);
});

test('to() records the exit and whether the instruction completes; reset forgets it', () => {
  const { xp, host } = protocol();
  let resumed = 0;
  xp.resumeAction = () => resumed++;
  assert.equal(xp.to(xp.exits.hypercall, true), 0);
  assert.equal(host.stop, STOP_EXIT);
  assert.equal(xp.pending, xp.exits.hypercall);
  assert.equal(xp.resumesAfter, true);
  xp.reset();
  assert.equal(xp.pending, null);
  assert.equal(xp.resumeAction, null);
  assert.equal(resumed, 0);
});
