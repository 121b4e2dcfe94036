/**
 * The console ring's blocking write: a producer on a full ring sleeps until the consumer
 * takes bytes, or until someone wakes it and its `giveUp` says to stop waiting.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { SharedRing } from '../../../src/vmm/ring.js';

/** A worker that fills `ring` and then writes one more byte, giving up when `flag[0]` is set. */
const WRITER = `
const { workerData, parentPort } = require('node:worker_threads');
import(workerData.ringModule).then(({ SharedRing }) => {
  const ring = new SharedRing({ buffer: workerData.buffer });
  const flag = new Int32Array(workerData.flag);
  let asked = 0;
  while (ring.free() > 0) ring.writeByteBlocking(0x61);
  parentPort.postMessage({ kind: 'full' });
  const written = ring.writeByteBlocking(0x62, () => {
    asked++;
    return Atomics.load(flag, 0) !== 0;
  });
  parentPort.postMessage({ kind: 'done', written, asked });
});
`;

function writer(ring: SharedRing, flag: SharedArrayBuffer): { worker: Worker; next: () => Promise<{ kind: string; written?: boolean; asked?: number }> } {
  const worker = new Worker(WRITER, {
    eval: true,
    workerData: { buffer: ring.buffer, flag, ringModule: new URL('../../../src/vmm/ring.js', import.meta.url).href },
  });
  const messages: { kind: string; written?: boolean; asked?: number }[] = [];
  const waiters: ((m: { kind: string }) => void)[] = [];
  worker.on('message', (m: { kind: string }) => {
    const w = waiters.shift();
    if (w !== undefined) w(m);
    else messages.push(m);
  });
  return {
    worker,
    next: () => {
      const m = messages.shift();
      return m !== undefined ? Promise.resolve(m) : new Promise((resolve) => waiters.push(resolve));
    },
  };
}

test('a blocked producer wakes when bytes are taken and writes its byte', async () => {
  const ring = SharedRing.create(16);
  const flag = new SharedArrayBuffer(4);
  const w = writer(ring, flag);
  assert.equal((await w.next()).kind, 'full');
  assert.equal(ring.readByte(), 0x61);
  const done = await w.next();
  assert.equal(done.written, true);
  assert.equal(ring.available(), 16);
  await w.worker.terminate();
});

test('a blocked producer woken by wakeProducer asks giveUp, and stops waiting when it says so', async () => {
  const ring = SharedRing.create(16);
  const flag = new SharedArrayBuffer(4);
  const w = writer(ring, flag);
  assert.equal((await w.next()).kind, 'full');
  // The request (a quit, a monitor line) is published first, then the producer woken: no lost wake-up.
  Atomics.store(new Int32Array(flag), 0, 1);
  ring.wakeProducer();
  const done = await w.next();
  assert.equal(done.written, false, 'the byte was given up');
  assert.ok((done.asked ?? 0) >= 1);
  assert.equal(ring.available(), 16, 'nothing was written past the full ring');
  await w.worker.terminate();
});

test('closing the ring releases a blocked producer', async () => {
  const ring = SharedRing.create(16);
  const w = writer(ring, new SharedArrayBuffer(4));
  assert.equal((await w.next()).kind, 'full');
  ring.close();
  assert.equal((await w.next()).written, false);
  await w.worker.terminate();
});
