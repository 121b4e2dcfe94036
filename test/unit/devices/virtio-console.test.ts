import assert from 'node:assert/strict';
import { test } from 'node:test';
import { F, bit } from '../../../src/devices/virtio/constants.js';
import { CONSOLE_EVENT, VirtioConsole, portQueues } from '../../../src/devices/virtio/console.js';
import { VirtioRng } from '../../../src/devices/virtio/rng.js';
import { BufferChar, CountingEntropy, DriverRing, MmioDriver, TestRam, inBuf, outBuf } from '../../support/virtio.js';

function control(id: number, event: number, value: number): Uint8Array {
  const m = new Uint8Array(8);
  const v = new DataView(m.buffer);
  v.setUint32(0, id, true);
  v.setUint16(4, event, true);
  v.setUint16(6, value, true);
  return m;
}

function rig(maxPorts = 4) {
  const ram = new TestRam(4 << 20);
  const hvc = new BufferChar();
  const port = new BufferChar();
  const dev = new VirtioConsole({ maxPorts, ports: [{ nr: 0, backend: hvc, console: true }, { nr: 2, backend: port, console: false, name: 'org.ngkvm.test' }] });
  const d = new MmioDriver(dev, ram);
  return { ram, hvc, port, dev, d };
}

/** The messages the device put in the control receive queue since the last call. */
function received(ram: TestRam, ring: DriverRing, bufs: Map<number, number>): { id: number; event: number; value: number; extra: string }[] {
  return ring.takeUsed().map((u) => {
    const addr = bufs.get(u.id)!;
    const m = ram.get(addr, u.len);
    const v = new DataView(m.buffer);
    return { id: v.getUint32(0, true), event: v.getUint16(4, true), value: v.getUint16(6, true), extra: Buffer.from(m.subarray(8)).toString('latin1') };
  });
}

test('configuration and queues: max_nr_ports, two queues per port plus the control pair', () => {
  const { dev, d } = rig(31);
  assert.equal(dev.queueSizes.length, 64);
  assert.equal(d.t.read(0x104, 4), 31);
  assert.equal(d.deviceFeatures() & 0xffn, 2n, 'MULTIPORT');
  assert.deepEqual(portQueues(0), { rx: 0, tx: 1 });
  assert.deepEqual(portQueues(2), { rx: 6, tx: 7 });
});

test('multiport handshake in QEMU\'s order, then data both ways once the guest opened the ports', () => {
  const { ram, hvc, port, dev, d } = rig();
  d.negotiate();
  const rings = new Map<number, DriverRing>();
  for (const q of [0, 1, 2, 3, 6, 7]) rings.set(q, d.setupQueue(q, 16));
  d.driverOk();
  const crx = rings.get(2)!;
  const ctx = rings.get(3)!;
  const bufs = new Map<number, number>();
  for (let i = 0; i < 8; i++) {
    const b = outBuf(ram, 64);
    bufs.set(crx.offer([b]), b.addr);
  }
  d.notify(2);
  const send = (m: Uint8Array): void => {
    ctx.offer([inBuf(ram, m)]);
    d.notify(3);
  };
  send(control(0xffff_ffff, CONSOLE_EVENT.DEVICE_READY, 1));
  assert.deepEqual(received(ram, crx, bufs).map((m) => [m.id, m.event, m.value]), [[0, CONSOLE_EVENT.PORT_ADD, 1], [2, CONSOLE_EVENT.PORT_ADD, 1]]);
  send(control(0, CONSOLE_EVENT.PORT_READY, 1));
  assert.deepEqual(received(ram, crx, bufs).map((m) => [m.id, m.event, m.value]), [[0, CONSOLE_EVENT.CONSOLE_PORT, 1], [0, CONSOLE_EVENT.PORT_OPEN, 1]]);
  send(control(2, CONSOLE_EVENT.PORT_READY, 1));
  const named = received(ram, crx, bufs);
  assert.deepEqual(named.map((m) => [m.id, m.event]), [[2, CONSOLE_EVENT.PORT_NAME], [2, CONSOLE_EVENT.PORT_OPEN]]);
  assert.equal(named[0]!.extra, 'org.ngkvm.test\0');
  // Input waits until the guest opens the port.
  hvc.input.push(...Buffer.from('ls\n'));
  const rx0 = rings.get(0)!;
  const inb = outBuf(ram, 16);
  rx0.offer([inb]);
  d.notify(0);
  assert.deepEqual(rx0.takeUsed(), []);
  send(control(0, CONSOLE_EVENT.PORT_OPEN, 1));
  assert.equal(dev.isOpen(0), true);
  assert.deepEqual(rx0.takeUsed(), [{ id: 0, len: 3 }]);
  assert.equal(Buffer.from(ram.get(inb.addr, 3)).toString(), 'ls\n');
  // Output of both ports.
  rings.get(1)!.offer([inBuf(ram, Buffer.from('hello '))]);
  rings.get(1)!.offer([inBuf(ram, Buffer.from('hvc0\n'))]);
  d.notify(1);
  assert.equal(hvc.text(), 'hello hvc0\n');
  rings.get(7)!.offer([inBuf(ram, Buffer.from('port 2'))]);
  d.notify(7);
  assert.equal(port.text(), 'port 2');
  // Input that arrives later is delivered by poll() as buffers allow.
  hvc.input.push(...Buffer.from('more input than fits'));
  rx0.offer([outBuf(ram, 8)]);
  d.t.poll();
  assert.deepEqual(rx0.takeUsed().map((u) => u.len), [8]);
  assert.equal(hvc.input.length, 12);
});

test('control messages wait for control buffers; short ones and unknown ports are ignored with a note', () => {
  const { ram, d } = rig();
  d.negotiate();
  const rings = new Map<number, DriverRing>();
  for (const q of [0, 1, 2, 3]) rings.set(q, d.setupQueue(q, 16));
  d.driverOk();
  const ctx = rings.get(3)!;
  ctx.offer([inBuf(ram, control(0, CONSOLE_EVENT.DEVICE_READY, 1))]);
  ctx.offer([inBuf(ram, new Uint8Array(3))]);
  ctx.offer([inBuf(ram, control(9, CONSOLE_EVENT.PORT_READY, 1))]);
  d.notify(3);
  // Device notes are rate-limited (one line a second): the second one is counted, not printed.
  assert.equal(d.logs.length, 1);
  assert.match(d.logs[0]!, /control message of 3 bytes ignored/);
  const crx = rings.get(2)!;
  const bufs = new Map<number, number>();
  for (let i = 0; i < 4; i++) {
    const b = outBuf(ram, 64);
    bufs.set(crx.offer([b]), b.addr);
  }
  d.notify(2);
  assert.equal(received(ram, crx, bufs).length, 2, 'the two PORT_ADDs, delivered once buffers came');
});

test('without MULTIPORT, port 0 is a console the guest has open', () => {
  const ram = new TestRam(1 << 20);
  const hvc = new BufferChar();
  const d = new MmioDriver(new VirtioConsole({ ports: [{ nr: 0, backend: hvc, console: true }] }), ram);
  const [rx, tx] = d.start([16, 16], bit(F.VERSION_1));
  tx!.offer([inBuf(ram, Buffer.from('boot'))]);
  d.notify(1);
  assert.equal(hvc.text(), 'boot');
  hvc.input.push(0x41);
  rx!.offer([outBuf(ram, 4)]);
  d.notify(0);
  assert.deepEqual(rx!.takeUsed().map((u) => u.len), [1]);
});

test('virtio-rng fills each buffer from the entropy source, up to 64 KiB per request', () => {
  const ram = new TestRam(1 << 20);
  const d = new MmioDriver(new VirtioRng(new CountingEntropy()), ram);
  const [q] = d.start([8]);
  const a = outBuf(ram, 3);
  const b = outBuf(ram, 100_000);
  q!.offer([a]);
  q!.offer([b]);
  d.notify(0);
  assert.deepEqual(q!.takeUsed().map((u) => u.len), [3, 65536]);
  assert.deepEqual([...ram.get(a.addr, 3)], [0, 1, 2]);
});
