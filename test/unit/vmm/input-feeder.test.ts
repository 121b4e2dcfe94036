/** Console input from the host: nothing lost, and piped input paced a line at a time. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SharedRing } from '../../../src/vmm/ring.js';
import { InputFeeder } from '../../../src/vmm/serial-host.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 10));

/** Reads everything currently in the ring, the way the guest's UART would. */
function consume(ring: SharedRing): string {
  let s = '';
  for (let b = ring.readByte(); b >= 0; b = ring.readByte()) s += String.fromCharCode(b);
  return s;
}

test('line pacing: the next line goes over only after the guest took the previous one', async () => {
  const ring = SharedRing.create(64);
  let kicks = 0;
  const f = new InputFeeder(ring, () => kicks++, true);
  f.push(bytes('version\nbdinfo\npart'));
  await tick();
  assert.equal(consume(ring), 'version\n');
  assert.ok(kicks >= 1, 'the machine is told input arrived');
  await tick();
  assert.equal(consume(ring), 'bdinfo\n');
  await tick();
  assert.equal(consume(ring), '', 'a partial line is held until its newline');
  f.push(bytes('ial\r'));
  await tick();
  assert.equal(consume(ring), 'partial\r', 'CR ends a line too');
  f.push(bytes('no newline at the end'));
  f.end();
  await tick();
  assert.equal(consume(ring), 'no newline at the end', 'end of input flushes the held bytes');
  assert.equal(f.pending, 0);
});

test('without pacing, input larger than the ring waits for room and arrives complete and in order', async () => {
  const ring = SharedRing.create(16);
  const f = new InputFeeder(ring, () => {}, false);
  const sent = Array.from({ length: 200 }, (_, i) => String.fromCharCode(0x41 + (i % 26))).join('');
  f.push(bytes(sent));
  let got = '';
  for (let i = 0; i < 100 && got.length < sent.length; i++) {
    await tick();
    got += consume(ring);
  }
  assert.equal(got, sent);
});

test('after close, queued input is dropped and later input ignored', async () => {
  const ring = SharedRing.create(16);
  const f = new InputFeeder(ring, () => {}, true);
  f.push(bytes('one\ntwo\n'));
  await tick();
  f.close();
  f.push(bytes('three\n'));
  await tick();
  assert.equal(text(ring.drain()), 'one\n');
  await tick();
  assert.equal(ring.available(), 0);
});
