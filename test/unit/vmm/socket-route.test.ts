/**
 * A device route over a real Unix socket, device in another thread: the VMM's listening
 * side (RouteServer), the synchronous access channel (SocketRouteEndpoint), and the device
 * library (connectDevice). Sizes, posted-write ordering, a slow device and a kick, a device
 * that dies (all ones, one log line) and one that reconnects, interrupts and DMA with its
 * grant, a client that breaks the protocol, and the socket's permissions.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { RouteInterrupted } from '../../../src/api/routes.js';
import { encode, MsgType } from '../../../src/devices/remote/protocol.js';
import { FdChannel, SocketRouteEndpoint } from '../../../src/vmm/remote/socket-endpoint.js';
import { RouteServer } from '../../../src/vmm/remote/route-server.js';

const dir = mkdtempSync(join(tmpdir(), 'ngkvm-route-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const WORKER = new URL('../../support/route-device-worker.js', import.meta.url);

interface Rig {
  readonly endpoint: SocketRouteEndpoint;
  readonly server: RouteServer;
  readonly logs: string[];
  readonly irqs: [number, boolean][];
  kick: boolean;
  path: string;
}

async function rig(name: string, memory = new Uint8Array(0x10000)): Promise<Rig> {
  const path = join(dir, `${name}.sock`);
  const logs: string[] = [];
  const r: Rig = { endpoint: undefined as never, server: undefined as never, logs, irqs: [], kick: false, path };
  const endpoint = new SocketRouteEndpoint(name, { log: (l) => logs.push(l), shouldAbort: () => r.kick });
  const server = new RouteServer({
    name,
    path,
    ranges: [{ space: 'mmio', base: 0xf_e000_4600, size: 0x100 }],
    guestOrder: 'big',
    memory: { kind: 'windows', windows: [{ addr: 0x1000, size: 0x1000 }] },
    irqLines: 1,
    log: (l) => logs.push(l),
    onAccess: (fd) => endpoint.attach(new FdChannel(fd)),
    onIrq: (line, level) => r.irqs.push([line, level]),
    onMsi: () => {},
    dmaRead: async (addr, length) => (addr >= 0x1000 && addr + length <= 0x2000 ? memory.slice(addr, addr + length) : 'outside the window'),
    dmaWrite: async (addr, data) => {
      if (addr < 0x1000 || addr + data.length > 0x2000) return 'outside the window';
      memory.set(data, addr);
      return undefined;
    },
  });
  await server.listen();
  return Object.assign(r, { endpoint, server });
}

function device(path: string, slowMs = 0): { worker: Worker; next: (type: string) => Promise<Record<string, unknown>> } {
  const worker = new Worker(WORKER, { workerData: { path, slowMs } });
  const queue: Record<string, unknown>[] = [];
  const waiters: ((m: Record<string, unknown>) => void)[] = [];
  worker.on('message', (m: Record<string, unknown>) => {
    const w = waiters.shift();
    if (w !== undefined) w(m);
    else queue.push(m);
  });
  const next = (type: string): Promise<Record<string, unknown>> =>
    new Promise((resolve) => {
      const take = (m: Record<string, unknown>): void => {
        if (m['type'] === type) resolve(m);
        else waiters.unshift(take);
      };
      const q = queue.shift();
      if (q !== undefined) take(q);
      else waiters.push(take);
    });
  return { worker, next };
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), 'timed out waiting');
}

const be = (...b: number[]): Uint8Array => Uint8Array.from(b);

test('accesses of every size, posted writes in order before a read, the device sees them as the guest issued them', async () => {
  const r = await rig('sizes');
  const d = device(r.path);
  await d.next('ready');
  await until(() => r.endpoint.connected);
  const ep = r.endpoint;
  ep.write(0, 0x10, be(0x11, 0x22, 0x33, 0x44));
  for (const size of [1, 2, 4, 8]) {
    const data = new Uint8Array(size);
    ep.read(0, 0x10, data);
    assert.deepEqual(data, be(0x11, 0x22, 0x33, 0x44, 0, 0, 0, 0).subarray(0, size), `read of ${size}`);
  }
  ep.write(0, 0x18, be(1, 2, 3, 4, 5, 6, 7, 8));
  const eight = new Uint8Array(8);
  ep.read(0, 0x18, eight);
  assert.deepEqual(eight, be(1, 2, 3, 4, 5, 6, 7, 8));
  // Posted: nothing is sent until a flush or a synchronous access, then all of it, in order.
  ep.post(0, 0x20, be(0xaa));
  ep.post(0, 0x24, be(0xbb, 0xcc));
  assert.ok(ep.hasQueued);
  const last = new Uint8Array(4);
  ep.read(0, 0x44, last);
  assert.equal(new DataView(last.buffer).getUint32(0), 0x24, 'the read came after both posted writes');
  assert.ok(!ep.hasQueued);
  d.worker.postMessage({ type: 'log' });
  const log = (await d.next('log'))['log'] as string[];
  assert.deepEqual(log.slice(-3), ['w20/1=aa', 'w24/2=bbcc', 'r44/4']);
  await d.worker.terminate();
  r.server.close();
});

test('a slow device: the vCPU waits; a kick gives up the wait and the same access picks up the reply', async () => {
  const r = await rig('slow');
  const d = device(r.path, 300);
  await d.next('ready');
  await until(() => r.endpoint.connected);
  const data = new Uint8Array(4);
  r.kick = true;
  assert.throws(() => r.endpoint.read(0, 0x48, data), RouteInterrupted);
  r.kick = false;
  r.endpoint.read(0, 0x48, data);
  assert.equal(new DataView(data.buffer).getUint32(0), 0x5105);
  d.worker.postMessage({ type: 'log' });
  const log = (await d.next('log'))['log'] as string[];
  assert.equal(log.filter((l) => l === 'r48/4').length, 1, 'asked once');
  await d.worker.terminate();
  r.server.close();
});

test('a device that dies reads as all ones with one log line; a new device process takes the route over', async () => {
  const r = await rig('dies');
  let d = device(r.path);
  await d.next('ready');
  await until(() => r.endpoint.connected);
  r.endpoint.write(0, 0, be(1, 2, 3, 4));
  await d.worker.terminate();
  const data = new Uint8Array(4);
  r.endpoint.read(0, 0, data);
  assert.deepEqual(data, be(0xff, 0xff, 0xff, 0xff));
  r.endpoint.write(0, 0, be(9, 9, 9, 9));
  r.endpoint.read(0, 0, data);
  assert.deepEqual(data, be(0xff, 0xff, 0xff, 0xff));
  assert.equal(r.logs.filter((l) => /device dies .*all ones/.test(l)).length, 1, r.logs.join('\n'));
  d = device(r.path);
  await d.next('ready');
  await until(() => r.endpoint.connected);
  r.endpoint.read(0, 0, data);
  assert.deepEqual(data, be(0, 0, 0, 0), 'a fresh device');
  await d.worker.terminate();
  r.server.close();
});

test('interrupts arrive on the event channel; DMA works inside the grant and is refused outside it', async () => {
  const mem = new Uint8Array(0x10000);
  mem.set(be(1, 2, 3, 4), 0x1100);
  const r = await rig('events', mem);
  const d = device(r.path);
  await d.next('ready');
  await until(() => r.endpoint.connected);
  r.endpoint.write(0, 0x4c, be(0, 0, 0, 1));
  await until(() => r.irqs.length === 1);
  assert.deepEqual(r.irqs, [[0, true]]);
  d.worker.postMessage({ type: 'dma-read', addr: 0x1100, length: 4 });
  assert.deepEqual((await d.next('dma'))['data'], be(1, 2, 3, 4));
  d.worker.postMessage({ type: 'dma-read', addr: 0x3000, length: 4 });
  assert.match(String((await d.next('dma'))['error']), /outside the window/);
  await d.worker.terminate();
  // A device that disappears stops driving its line (it would otherwise be raised again at
  // every EOI with nobody to clear it).
  await until(() => r.irqs.length === 2);
  assert.deepEqual(r.irqs, [[0, true], [0, false]]);
  r.server.close();
});

test('the socket is owner-only; a client that breaks the protocol is refused, the VMM goes on', async () => {
  const r = await rig('perm');
  assert.equal(statSync(r.path).mode & 0o777, 0o600);
  const bad = net.connect(r.path);
  await new Promise((res) => bad.once('connect', res));
  const closed = new Promise((res) => bad.once('close', res));
  bad.on('data', () => {});
  bad.write(encode({ type: MsgType.Read, seq: 1, range: 0, size: 4, offset: 0 }));
  await closed;
  assert.match(r.logs.join('\n'), /starts with DeviceHello or EventHello/);
  const d = device(r.path);
  await d.next('ready');
  await until(() => r.endpoint.connected);
  const data = new Uint8Array(1);
  r.endpoint.read(0, 0, data);
  assert.deepEqual(data, be(0));
  await d.worker.terminate();
  r.server.close();
});

test('a machine reset reaches the device (Reset/ResetAck), after the queued writes, even with a kick pending', async () => {
  const r = await rig('reset');
  const d = device(r.path);
  await d.next('ready');
  await until(() => r.endpoint.connected);
  r.endpoint.write(0, 0, be(1, 2, 3, 4));
  r.endpoint.post(0, 8, be(5));
  r.kick = true;
  r.endpoint.reset();
  r.kick = false;
  const data = new Uint8Array(4);
  r.endpoint.read(0, 0, data);
  assert.deepEqual(data, be(0, 0, 0, 0), 'the device is in its reset state');
  assert.ok(r.endpoint.connected);
  d.worker.postMessage({ type: 'log' });
  const log = (await d.next('log'))['log'] as string[];
  assert.deepEqual(log.slice(-3), ['w8/1=5', 'reset', 'r0/4']);
  await d.worker.terminate();
  r.server.close();
});
