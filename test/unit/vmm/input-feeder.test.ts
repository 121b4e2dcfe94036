/**
 * Console input from the host: nothing lost, and piped input paced a line at a time. Every
 * wait here is for an event (bytes appearing in the ring), never for an amount of time, so
 * a loaded machine only makes the tests slower.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SharedRing } from '../../../src/vmm/ring.js';
import { InputFeeder } from '../../../src/vmm/serial-host.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Reads everything currently in the ring, the way the guest's UART would. */
function consume(ring: SharedRing): string {
  let s = '';
  for (let b = ring.readByte(); b >= 0; b = ring.readByte()) s += String.fromCharCode(b);
  return s;
}

/** Waits until the feeder has put something in the ring, then takes all of it. */
async function next(ring: SharedRing): Promise<string> {
  while (ring.available() === 0) await ring.waitForData();
  return consume(ring);
}

test('line pacing: the next line goes over only after the guest took the previous one', async () => {
  const ring = SharedRing.create(64);
  let kicks = 0;
  const f = new InputFeeder(ring, () => kicks++, true);
  f.push(bytes('version\nbdinfo\n'));
  assert.equal(consume(ring), 'version\n', 'the first line goes at once; the second waits for the guest to take it');
  assert.ok(kicks >= 1, 'the machine is told input arrived');
  assert.equal(await next(ring), 'bdinfo\n');
  f.push(bytes('one\rtwo\n'));
  assert.equal(await next(ring), 'one\r', 'CR ends a line too');
  assert.equal(await next(ring), 'two\n');
  assert.equal(f.pending, 0);
});

test('a key without a newline reaches the guest once it took what came before (an expect script stopping the countdown)', async () => {
  const ring = SharedRing.create(64);
  const f = new InputFeeder(ring, () => {}, true);
  f.push(bytes(' '));
  assert.equal(await next(ring), ' ', 'the single key is delivered, not held for a newline');
  f.push(bytes('ls\nvers'));
  assert.equal(consume(ring), 'ls\n', 'a whole line first; the partial one waits for the guest to take it');
  while (ring.available() === 0) await ring.waitForData();
  // 'vers' is in the ring, not yet taken: the rest of its line follows at once, the next line waits.
  f.push(bytes('ion\nbdinfo\n'));
  assert.equal(consume(ring), 'version\n');
  assert.equal(await next(ring), 'bdinfo\n');
  f.push(bytes('no newline at the end'));
  f.end();
  assert.equal(await next(ring), 'no newline at the end');
  assert.equal(f.pending, 0);
});

test('without pacing, input larger than the ring waits for room and arrives complete and in order', async () => {
  const ring = SharedRing.create(16);
  const f = new InputFeeder(ring, () => {}, false);
  const sent = Array.from({ length: 200 }, (_, i) => String.fromCharCode(0x41 + (i % 26))).join('');
  f.push(bytes(sent));
  let got = '';
  while (got.length < sent.length) got += await next(ring);
  assert.equal(got, sent);
});

test('after close, queued input is dropped and later input ignored', async () => {
  const ring = SharedRing.create(16);
  const f = new InputFeeder(ring, () => {}, true);
  f.push(bytes('one\ntwo\n'));
  assert.equal(ring.available(), 4, 'the first line is in the ring');
  f.close();
  f.push(bytes('three\n'));
  assert.equal(consume(ring), 'one\n');
  assert.equal(f.pending, 0, 'nothing is left to deliver');
});
