/**
 * The gdb server's flow control: a client that sends packets and never reads the replies is
 * not buffered for without limit; a bounded number of requests is with the machine thread,
 * and none is handed over while the socket's output is backed up.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import type { GdbReply, GdbRequest } from '../../../src/vmm/gdb/channel.js';
import { framePacket } from '../../../src/vmm/gdb/packet.js';
import { GdbTcpServer, MAX_IN_FLIGHT, type GdbFlow } from '../../../src/vmm/gdb/server.js';

test('gdb server: requests stop reaching the machine while the client does not read; reading resumes them, in order, nothing lost', async () => {
  const PACKETS = 2000;
  const REPLY = 'ab'.repeat(0x1f00); // an `m` reply of the largest size the stub sends
  const { port1, port2 } = new MessageChannel();
  let handled = 0;
  let inFlightPeak = 0;
  let inFlight = 0;
  const queued: string[] = [];
  // The machine thread: answers each packet after a microtask, as the real one answers after a kick.
  port2.on('message', (r: GdbRequest) => {
    if (r.type !== 'packet') return;
    inFlight++;
    inFlightPeak = Math.max(inFlightPeak, inFlight);
    queued.push(r.payload);
    queueMicrotask(() => {
      const payload = queued.shift()!;
      handled++;
      inFlight--;
      port2.postMessage({ type: 'reply', payload: `${payload.slice(1)}:${REPLY}`, rle: false } satisfies GdbReply);
      port2.postMessage({ type: 'served' } satisfies GdbReply);
      if (handled === PACKETS) sawOutputFull(); // without flow control every packet is handled at once
    });
  });
  const states: GdbFlow[] = [];
  let sawOutputFull: () => void = () => {};
  const outputFull = new Promise<void>((resolve) => (sawOutputFull = resolve));
  const server = new GdbTcpServer('127.0.0.1', 0, port1, () => {}, () => {}, (s) => {
    states.push(s);
    if (s === 'output') sawOutputFull();
  });
  await server.open();
  const client = connect(server.port, '127.0.0.1');
  await new Promise<void>((resolve) => client.once('connect', () => resolve()));
  client.pause();
  client.write(Array.from({ length: PACKETS }, (_, i) => framePacket(`m${i.toString(16)}`)).join(''));
  await outputFull;
  assert.ok(states.includes('output'), `the socket stopped being read because its output is full (states: ${states.join(',')})`);
  assert.ok(handled < PACKETS, `${handled} of ${PACKETS} packets reached the machine before it stopped`);
  assert.ok(inFlightPeak <= MAX_IN_FLIGHT, `at most ${MAX_IN_FLIGHT} requests with the machine at once (saw ${inFlightPeak})`);

  // The client reads now: every reply arrives, in order.
  const seen: number[] = [];
  let buffer = '';
  const all = new Promise<void>((resolve) => {
    client.on('data', (b: Buffer) => {
      buffer += b.toString('latin1');
      for (let m = /\$([0-9a-f]+):[0-9a-f]*#[0-9a-f]{2}/.exec(buffer); m !== null; m = /\$([0-9a-f]+):[0-9a-f]*#[0-9a-f]{2}/.exec(buffer)) {
        seen.push(Number.parseInt(m[1]!, 16));
        buffer = buffer.slice(m.index + m[0].length);
      }
      if (seen.length === PACKETS) resolve();
    });
  });
  client.resume();
  await all;
  assert.deepEqual(seen, Array.from({ length: PACKETS }, (_, i) => i));
  assert.equal(states[states.length - 1], 'reading');
  client.destroy();
  await server.close();
  port2.close();
});
