import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PciBus } from '../../../src/devices/pci/pci-bus.js';
import { StateError, StateWriter, loadSections, saveSections, type DeviceState } from '../../../src/devices/state.js';
import { BLK_S, BLK_T, VirtioBlk } from '../../../src/devices/virtio/blk.js';
import { F, STATUS, bit } from '../../../src/devices/virtio/constants.js';
import { CONSOLE_EVENT, VirtioConsole } from '../../../src/devices/virtio/console.js';
import type { VirtioDevice } from '../../../src/devices/virtio/device.js';
import { VirtioNet, parseMac } from '../../../src/devices/virtio/net.js';
import { VirtioPciTransport } from '../../../src/devices/virtio/pci-transport.js';
import { VirtioRng } from '../../../src/devices/virtio/rng.js';
import { BufferChar, CountingEntropy, DriverRing, MemoryDisk, MmioDriver, PciDriver, QueueNet, TestRam, inBuf, outBuf } from '../../support/virtio.js';

const SECTOR = 512;
const MAC = parseMac('52:54:00:12:34:56')!;
const NEW_MAC = parseMac('52:54:00:65:43:21')!;

function blkHeader(type: number, sector: number): Uint8Array {
  const h = new Uint8Array(16);
  const v = new DataView(h.buffer);
  v.setUint32(0, type, true);
  v.setBigUint64(8, BigInt(sector), true);
  return h;
}

function sectorOf(fill: number): Uint8Array {
  return new Uint8Array(SECTOR).fill(fill);
}

/** A virtio-pci function on its own bus, recording MSI-X messages and INTx levels. */
function pciMachine(device: VirtioDevice, ram: TestRam, vectors = 2) {
  const bus = new PciBus(() => {});
  const msis: { address: number; data: number }[] = [];
  const intx: boolean[] = [];
  const t = new VirtioPciTransport({ device, name: 'virtio-test-pci', stateId: 'virtio0', dma: ram, vectors, msiSend: (address, data) => msis.push({ address, data }), log: () => {} });
  bus.onIntx = (_slot, _pin, level) => intx.push(level);
  bus.attach(2, 0, t.function);
  const access = (addr: number, size: number, value?: number): number => {
    const data = new Uint8Array(size);
    for (let k = 0; k < size; k++) data[k] = ((value ?? 0) >>> (8 * k)) & 0xff;
    bus.memory.access(addr, value !== undefined, data);
    return data.reduceRight((v, b) => v * 256 + b, 0);
  };
  return {
    bus, t, msis, intx, ram,
    sections: [bus, t] as DeviceState[],
    /** Driver accesses without the BAR setup PciDriver's constructor does (a loaded copy has it). */
    bar4: (off: number, size: number, value?: number) => access(PciDriver.BAR4 + off, size, value),
    msix: (off: number, value?: number) => access(PciDriver.BAR1 + off, 4, value),
  };
}

/** Everything a PCI driver can read without side effects: common config per queue, device config, MSI-X table and PBA. */
function pciDump(m: ReturnType<typeof pciMachine>, configSize: number): number[] {
  const out: number[] = [m.t.function.readConfig(0x06, 2), m.t.function.readConfig(0x9a, 2)];
  const select = m.bar4(0x16, 2);
  const numq = m.bar4(0x12, 2);
  for (let q = 0; q < numq; q++) {
    m.bar4(0x16, 2, q);
    for (let off = 0; off < 0x3c; off++) out.push(m.bar4(off, 1));
  }
  m.bar4(0x16, 2, select);
  out.push(m.bar4(0x16, 2));
  for (let sel = 0; sel < 3; sel++) {
    m.bar4(0x00, 4, sel);
    out.push(m.bar4(0x04, 4));
  }
  for (let off = 0; off < configSize; off++) out.push(m.bar4(0x2000 + off, 1));
  for (let off = 0; off < 16 * m.t.msix.vectors; off += 4) out.push(m.msix(off));
  out.push(m.msix(0x800));
  return out;
}

function assertSameRam(a: TestRam, b: TestRam, what: string): void {
  const at = a.bytes.findIndex((x, i) => x !== b.bytes[i]);
  assert.equal(at, -1, `${what}: guest RAM differs first at 0x${at.toString(16)}`);
}

/** A copy of `ram` (the VMM restores guest memory before the devices). */
function copyRam(ram: TestRam): TestRam {
  const c = new TestRam(ram.size, ram.base);
  c.bytes.set(ram.bytes);
  // The copy's allocator starts after what the original handed out, as a guest's would.
  c.alloc(ram.alloc(0, 1) - (ram.base + 0x1000), 1);
  return c;
}

function copyDisk(disk: MemoryDisk): MemoryDisk {
  const c = new MemoryDisk(disk.size);
  c.data.set(disk.data);
  return c;
}

/**
 * virtio-blk over PCI with EVENT_IDX and MSI-X, driven into a state where every saved field
 * matters: a write-through cache, a masked vector with its pending bit set, a used_event the
 * driver left behind the device's last interrupt, two requests posted but not notified.
 */
function blkPciOriginal() {
  const ram = new TestRam(1 << 20);
  const disk = new MemoryDisk(64 * SECTOR);
  for (let s = 0; s < 64; s++) disk.data.fill(s, s * SECTOR, (s + 1) * SECTOR);
  const m = pciMachine(new VirtioBlk({ backend: disk, queues: 2 }), ram);
  const d = new PciDriver(m.bus, m.t.function, ram);
  d.negotiate();
  d.common(0x10, 2, 0); // configuration vector 0
  const q = d.setupQueue(0, 16, 1);
  // Queue 1 stays disabled with a size the driver chose, and queue_select stays on it.
  d.common(0x16, 2, 1);
  d.common(0x18, 2, 32);
  m.t.function.writeConfig(0x9a, 2, 0x8000); // MSI-X on
  for (const v of [0, 1]) {
    d.msix(16 * v, 0xfee0_0000 + v * 0x10);
    d.msix(16 * v + 8, 0x40 + v);
    d.msix(16 * v + 12, 0);
  }
  d.driverOk();
  // No device here changes its configuration by itself; a generation other than the reset one
  // must still come across.
  m.t.core.configGeneration = 5;
  const request = (type: number, sector: number, data?: Uint8Array) => {
    const st = outBuf(ram, 1);
    const bufs = type === BLK_T.OUT ? [inBuf(ram, blkHeader(type, sector)), inBuf(ram, data!), st] : [inBuf(ram, blkHeader(type, sector)), outBuf(ram, SECTOR), st];
    q.offer(bufs);
    return { data: bufs[1]!, status: st };
  };
  // used_event stays 0: the first completion interrupts, the second does not.
  request(BLK_T.OUT, 2, sectorOf(0xa1));
  d.notify(0);
  request(BLK_T.IN, 3);
  d.notify(0);
  assert.equal(q.takeUsed().length, 2);
  assert.equal(m.msis.length, 1, 'one interrupt for the first completion only (EVENT_IDX)');
  // The driver switches the cache to write-through and masks the queue's vector; its next
  // completion leaves vector 1 pending.
  d.bar4(0x2000 + 32, 1, 0);
  d.msix(16 + 12, 1);
  q.setUsedEvent(2);
  request(BLK_T.OUT, 4, sectorOf(0xb2));
  d.notify(0);
  assert.equal(q.takeUsed().length, 1);
  assert.equal(m.msis.length, 1);
  assert.equal(d.msix(0x800), 2, 'vector 1 pending');
  // Posted, not notified: the snapshot is taken between the driver's publish and its kick.
  const w3 = request(BLK_T.OUT, 5, sectorOf(0xc3));
  const r2 = request(BLK_T.IN, 2);
  return { ram, disk, m, d, q, w3, r2, request };
}

test('virtio-blk over PCI: a copy loaded mid-stream completes the posted requests, interrupts and writes exactly as the original', () => {
  const a = blkPciOriginal();
  const ramB = copyRam(a.ram);
  const diskB = copyDisk(a.disk);
  const b = pciMachine(new VirtioBlk({ backend: diskB, queues: 2 }), ramB);
  loadSections(saveSections(a.m.sections), b.sections);
  assert.deepEqual(pciDump(b, 60), pciDump(a.m, 60), 'registers, device configuration, MSI-X table and PBA');
  assert.deepEqual(b.intx, [], 'MSI-X on: INTx stays low');

  // Unmasking delivers the pending vector on both.
  const before = a.m.msis.length;
  a.m.msix(16 + 12, 0);
  b.msix(16 + 12, 0);
  assert.deepEqual(b.msis, a.m.msis.slice(before));
  assert.equal(b.msis.length, 1, 'the pending bit came across');

  // The kick for the two posted requests: both process them alike; used_event (2) is behind
  // the device's last interrupt (3), so neither interrupts.
  const flushesA = a.disk.flushes;
  a.m.bar4(0x3000, 2, 0);
  b.bar4(0x3000, 2, 0);
  assertSameRam(a.ram, ramB, 'after the kick');
  assert.deepEqual(diskB.data, a.disk.data);
  assert.deepEqual([...a.disk.data.subarray(5 * SECTOR, 6 * SECTOR)], [...sectorOf(0xc3)], 'the posted write landed');
  assert.equal(diskB.flushes, a.disk.flushes - flushesA, 'write-through on both');
  assert.equal(diskB.flushes, 1);
  assert.deepEqual(a.q.takeUsed().map((u) => u.len), [1, SECTOR + 1], 'each posted request completed once, in order');
  assert.deepEqual([...ramB.get(a.r2.data.addr, SECTOR)], [...sectorOf(0xa1)], 'the copy read sector 2 as written before the snapshot');
  assert.equal(ramB.get(a.r2.status.addr, 1)[0], BLK_S.OK);
  assert.deepEqual(b.msis, a.m.msis.slice(before), 'no interrupt on either');

  // The driver moves used_event on: the next completion interrupts both.
  a.q.setUsedEvent(5);
  a.request(BLK_T.IN, 5);
  ramB.bytes.set(a.ram.bytes);
  a.m.bar4(0x3000, 2, 0);
  b.bar4(0x3000, 2, 0);
  assertSameRam(a.ram, ramB, 'after the second kick');
  assert.deepEqual(b.msis, a.m.msis.slice(before));
  assert.equal(b.msis.length, 2);
  assert.deepEqual(b.msis[1], { address: 0xfee0_0010, data: 0x41 });
});

test('virtio-blk over MMIO: a copy loaded with the interrupt raised keeps its line and completes the posted requests alike', () => {
  const ram = new TestRam(1 << 20);
  const disk = new MemoryDisk(64 * SECTOR);
  const a = new MmioDriver(new VirtioBlk({ backend: disk }), ram);
  const [q] = a.start([8], bit(F.VERSION_1) | bit(F.INDIRECT_DESC));
  const ring = q!;
  const write = (sector: number, fill: number, indirect = false) => ring.offer([inBuf(ram, blkHeader(BLK_T.OUT, sector)), inBuf(ram, sectorOf(fill)), outBuf(ram, 1)], { indirect });
  // Round the 8-entry ring once: the copy must carry the indexes on, not restart at 0.
  for (let i = 0; i < 11; i++) {
    write(i, 0x10 + i);
    a.notify(0);
    ring.takeUsed();
  }
  assert.equal(a.irq, true, 'interrupt raised and not acknowledged');
  a.w(0x14, 1); // DeviceFeaturesSel left on the high word
  write(20, 0x77, true);
  write(21, 0x78);

  const ramB = copyRam(ram);
  const diskB = copyDisk(disk);
  const b = new MmioDriver(new VirtioBlk({ backend: diskB }), ramB);
  loadSections(saveSections([a.t]), [b.t]);
  assert.equal(b.irq, true, 'the line follows the restored InterruptStatus');
  for (const off of [0x10, 0x34, 0x44, 0x60, 0x70, 0xfc]) assert.equal(b.r(off), a.r(off), `register 0x${off.toString(16)}`);
  const raises = a.irqRaises;
  a.notify(0);
  b.notify(0);
  assertSameRam(ram, ramB, 'after the kick');
  assert.deepEqual(diskB.data, disk.data);
  assert.deepEqual([...disk.data.subarray(21 * SECTOR, 22 * SECTOR)], [...sectorOf(0x78)]);
  assert.deepEqual(ring.takeUsed().length, 2);
  assert.equal(a.ack(), b.ack(), 'same InterruptStatus');
  assert.equal(b.irq, false);
  assert.equal(a.irqRaises, raises, 'the line stayed high through the kick');
});

test('a device that needs a reset stays so on the copy, ignores its queues, and comes back after a driver reset', () => {
  const ram = new TestRam(1 << 20);
  const a = new MmioDriver(new VirtioBlk({ backend: new MemoryDisk(64 * SECTOR) }), ram);
  const [ring] = a.start([8]) as [DriverRing];
  ring.offer([inBuf(ram, new Uint8Array(4)), outBuf(ram, 1)]); // no 16-byte header: a driver bug
  a.notify(0);
  assert.equal(a.status() & STATUS.NEEDS_RESET, STATUS.NEEDS_RESET);
  const diskB = new MemoryDisk(64 * SECTOR);
  const b = new MmioDriver(new VirtioBlk({ backend: diskB }), copyRam(ram));
  loadSections(saveSections([a.t]), [b.t]);
  assert.equal(b.status(), a.status());
  // Requests are ignored until the reset …
  const ringB = new DriverRing(b.ram, 8, { desc: ring.desc, avail: ring.avail, used: ring.used });
  ringB.startAt(1);
  ringB.offer([inBuf(b.ram, blkHeader(BLK_T.OUT, 0)), inBuf(b.ram, sectorOf(0x55)), outBuf(b.ram, 1)]);
  b.notify(0);
  // Turning the queue off and on again does not revive it either.
  b.w(0x30, 0);
  b.w(0x44, 0);
  b.w(0x44, 1);
  b.notify(0);
  assert.deepEqual(ringB.takeUsed(), []);
  // … after which the device works again.
  const [fresh] = b.start([8]) as [DriverRing];
  fresh.offer([inBuf(b.ram, blkHeader(BLK_T.OUT, 0)), inBuf(b.ram, sectorOf(0x55)), outBuf(b.ram, 1)]);
  b.notify(0);
  assert.equal(fresh.takeUsed().length, 1);
  assert.equal(diskB.data[0], 0x55);
});

test('virtio-net: the MAC and receive filter the driver set survive; the next frames flow with the right indexes', () => {
  const ram = new TestRam(1 << 20);
  const netA = new QueueNet();
  const a = new MmioDriver(new VirtioNet({ backend: netA, mac: MAC }), ram);
  const [rx, tx, ctrl] = a.start([16, 16, 16]) as [DriverRing, DriverRing, DriverRing];
  const command = (cls: number, cmd: number, data: Uint8Array): void => {
    const ack = outBuf(ram, 1);
    ctrl.offer([inBuf(ram, Uint8Array.of(cls, cmd)), inBuf(ram, data), ack]);
    a.notify(2);
    assert.equal(ram.get(ack.addr, 1)[0], 0, `control ${cls}.${cmd} acknowledged`);
  };
  command(1, 1, NEW_MAC); // MAC_ADDR_SET
  command(0, 0, Uint8Array.of(0)); // promiscuous off
  const frame = (dest: Uint8Array, fill: number): Uint8Array => {
    const f = new Uint8Array(60).fill(fill);
    f.set(dest, 0);
    return f;
  };
  for (let i = 0; i < 4; i++) rx.offer([outBuf(ram, 1600)]);
  a.notify(0);
  netA.incoming.push(frame(NEW_MAC, 1));
  a.t.poll();
  assert.equal(rx.takeUsed().length, 1);
  tx.offer([inBuf(ram, new Uint8Array(12)), inBuf(ram, frame(MAC, 9))]);
  a.ack();

  const ramB = copyRam(ram);
  const netB = new QueueNet();
  const devB = new VirtioNet({ backend: netB, mac: MAC });
  const b = new MmioDriver(devB, ramB);
  loadSections(saveSections([a.t]), [b.t]);
  assert.deepEqual([...devB.currentMac], [...NEW_MAC]);
  for (let k = 0; k < 10; k++) assert.equal(b.t.read(0x100 + k, 1), a.t.read(0x100 + k, 1), `config byte ${k}`);
  // The old MAC is filtered out now, the new one passes; the posted transmit goes out.
  for (const net of [netA, netB]) net.incoming.push(frame(MAC, 2), frame(NEW_MAC, 3));
  for (const d of [a, b]) {
    d.t.poll();
    d.notify(1);
  }
  assertSameRam(ram, ramB, 'after receive and transmit');
  assert.deepEqual(netB.sent, netA.sent.slice(-1));
  assert.deepEqual(rx.takeUsed().map((u) => u.len), [12 + 60], 'one frame, in the second receive buffer');
  assert.equal(b.irq, a.irq);
  assert.equal(b.ack(), a.ack());
});

test('virtio-console: opened ports and queued control messages survive; the next bytes flow', () => {
  const ram = new TestRam(1 << 20);
  const hvcA = new BufferChar();
  const portsOf = (hvc: BufferChar) => [{ nr: 0, backend: hvc, console: true }, { nr: 1, backend: new BufferChar(), console: false, name: 'org.test' }];
  const a = new MmioDriver(new VirtioConsole({ maxPorts: 2, ports: portsOf(hvcA) }), ram);
  a.negotiate();
  const rings = new Map<number, DriverRing>();
  for (const q of [0, 1, 2, 3, 4, 5]) rings.set(q, a.setupQueue(q, 8));
  a.driverOk();
  const send = (id: number, event: number, value: number): void => {
    const m = new Uint8Array(8);
    const v = new DataView(m.buffer);
    v.setUint32(0, id, true);
    v.setUint16(4, event, true);
    v.setUint16(6, value, true);
    rings.get(3)!.offer([inBuf(ram, m)]);
    a.notify(3);
  };
  for (let i = 0; i < 2; i++) rings.get(2)!.offer([outBuf(ram, 64)]);
  a.notify(2);
  send(0xffff_ffff, CONSOLE_EVENT.DEVICE_READY, 1); // PORT_ADD for both ports fills both buffers
  send(0, CONSOLE_EVENT.PORT_OPEN, 1);
  send(1, CONSOLE_EVENT.PORT_READY, 1); // PORT_NAME, PORT_OPEN: no control buffer left, they wait
  assert.equal(rings.get(2)!.takeUsed().length, 2);

  const ramB = copyRam(ram);
  const hvcB = new BufferChar();
  const devB = new VirtioConsole({ maxPorts: 2, ports: portsOf(hvcB) });
  const b = new MmioDriver(devB, ramB);
  loadSections(saveSections([a.t]), [b.t]);
  assert.equal(devB.isOpen(0), true);
  assert.equal(devB.isOpen(1), false);
  // Control buffers arrive: the waiting messages go out. Input reaches the open port.
  for (let i = 0; i < 2; i++) rings.get(2)!.offer([outBuf(ram, 64)]);
  const input = outBuf(ram, 16);
  rings.get(0)!.offer([input]);
  ramB.bytes.set(ram.bytes);
  for (const [d, hvc] of [[a, hvcA], [b, hvcB]] as const) {
    hvc.input.push(...Buffer.from('ok\n'));
    d.notify(2);
    d.t.poll();
  }
  assertSameRam(ram, ramB, 'after the control messages and input');
  const sent = rings.get(2)!.takeUsed();
  assert.equal(sent.length, 2, 'PORT_NAME and PORT_OPEN came across');
  assert.deepEqual(rings.get(0)!.takeUsed(), [{ id: 0, len: 3 }]);
  assert.equal(Buffer.from(ramB.get(input.addr, 3)).toString(), 'ok\n');
});

test('virtio-rng over PCI without MSI-X: the INTx level is re-evaluated from the restored ISR', () => {
  const ram = new TestRam(1 << 20);
  const a = pciMachine(new VirtioRng(new CountingEntropy()), ram);
  const d = new PciDriver(a.bus, a.t.function, ram);
  d.negotiate(bit(F.VERSION_1));
  const q = d.setupQueue(0, 8);
  d.driverOk();
  q.offer([outBuf(ram, 4)]);
  d.notify(0);
  assert.deepEqual(a.intx, [true]);
  const b = pciMachine(new VirtioRng(new CountingEntropy()), copyRam(ram));
  loadSections(saveSections(a.sections), b.sections);
  assert.deepEqual(b.intx, [true], 'INTA raised on the copy');
  assert.equal(b.bar4(0x1000, 1), 1, 'ISR: queue interrupt');
  assert.deepEqual(b.intx, [true, false], 'reading the ISR lowers it, as on the original');
});

// ---- corrupt input ------------------------------------------------------------------------------

/** A stream of sections as saveSections writes them, with bodies given by the test. */
function stream(sections: readonly { id: string; version: number; body: Uint8Array }[]): Uint8Array {
  const w = new StateWriter();
  w.u32(sections.length);
  for (const s of sections) {
    w.string(s.id);
    w.u32(s.version);
    w.bytes(s.body);
  }
  return w.finish();
}

function body(d: DeviceState): Uint8Array {
  const w = new StateWriter();
  d.saveState(w);
  return w.finish();
}

// Offsets in a virtio-pci section (selectors 10 bytes, then the core): they are checked
// against the values the original holds, so a layout change fails here, not silently.
const AT = { deviceId: 10, configVector: 22, isr: 24, q0size: 27, q0vector: 57, q0lastAvail: 62, q0usedIdx: 64 } as const;

test('corrupt sections are refused with a StateError naming the field', () => {
  const a = blkPciOriginal();
  const good = body(a.m.t);
  const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
  assert.equal(view(good).getUint16(AT.deviceId, true), 2, 'virtio-blk');
  assert.equal(view(good).getUint32(AT.q0size, true), 16, 'queue 0 size where the test expects it');
  assert.equal(view(good).getUint16(AT.q0vector, true), 1, 'queue 0 vector where the test expects it');
  assert.equal(view(good).getUint16(AT.q0lastAvail, true), 3);
  assert.equal(view(good).getUint16(AT.q0usedIdx, true), 3);
  const bus = body(a.m.bus);
  const edited = (edit: (v: DataView) => void): Uint8Array => {
    const b = Uint8Array.from(good);
    edit(view(b));
    return b;
  };
  const cases: [string, Uint8Array, RegExp, number?][] = [
    ['truncated', good.subarray(0, good.length - 3), /truncated/],
    ['trailing bytes', Uint8Array.of(...good, 0), /1 bytes left over/],
    ['queue size not a power of two', edited((v) => v.setUint32(AT.q0size, 12, true)), /queue 0 is enabled, but queue size 12 is not a power of two/],
    ['queue size past the maximum', edited((v) => v.setUint32(AT.q0size, 512, true)), /queue size 512 is not a power of two from 1 to 256/],
    ['vector past the table', edited((v) => v.setUint16(AT.q0vector, 2, true)), /queue 0's vector is 2, past the 2-entry MSI-X table/],
    ['configuration vector past the table', edited((v) => v.setUint16(AT.configVector, 0x100, true)), /configuration vector is 256/],
    ['ISR bits', edited((v) => v.setUint8(AT.isr, 4)), /ISR 0x4/],
    ['last_avail runs ahead', edited((v) => v.setUint16(AT.q0lastAvail, 3 + 17, true)), /last_avail 20 is 17 entries ahead of the used index 3/],
    ['newer version', good, /section "virtio0" is version 2; this ngkvm reads versions 1 to 1/, 2],
  ];
  for (const [what, b, message, version] of cases) {
    const fresh = pciMachine(new VirtioBlk({ backend: copyDisk(a.disk), queues: 2 }), copyRam(a.ram));
    const data = stream([{ id: 'pci-bus', version: 1, body: bus }, { id: 'virtio0', version: version ?? 1, body: b }]);
    assert.throws(() => loadSections(data, fresh.sections), (e: unknown) => e instanceof StateError && message.test(e.message), what);
  }
  // The good body loads (the cases fail for their edit alone).
  const fresh = pciMachine(new VirtioBlk({ backend: copyDisk(a.disk), queues: 2 }), copyRam(a.ram));
  loadSections(stream([{ id: 'pci-bus', version: 1, body: bus }, { id: 'virtio0', version: 1, body: good }]), fresh.sections);
});

test('a section only loads into the same kind of device, and ring addresses must be guest RAM', () => {
  const a = blkPciOriginal();
  const net = pciMachine(new VirtioNet({ backend: new QueueNet(), mac: MAC }), copyRam(a.ram), 2);
  assert.throws(() => loadSections(saveSections([a.m.t]), [net.t]), /saved for virtio device ID 2, this is virtio-net \(ID 1\)/);
  // The same section over smaller RAM: queue 0's rings are not in it.
  const small = pciMachine(new VirtioBlk({ backend: copyDisk(a.disk), queues: 2 }), new TestRam(0x1000));
  assert.throws(() => loadSections(saveSections([a.m.t]), [small.t]), (e: unknown) => e instanceof StateError && /queue 0 is enabled, but .* is not in guest RAM/.test(e.message));
  // MMIO has no MSI-X: a vector other than "none" is corrupt.
  const ram = new TestRam(1 << 20);
  const m = new MmioDriver(new VirtioRng(new CountingEntropy()), ram);
  m.start([8]);
  const good = body(m.t);
  const bad = Uint8Array.from(good);
  // bool + three selectors (13 bytes), then the core: the configuration vector at +12.
  assert.equal(new DataView(bad.buffer).getUint16(13 + 12, true), 0xffff);
  new DataView(bad.buffer).setUint16(13 + 12, 0, true);
  const fresh = new MmioDriver(new VirtioRng(new CountingEntropy()), copyRam(ram));
  assert.throws(() => loadSections(stream([{ id: fresh.t.stateId, version: 1, body: bad }]), [fresh.t]), /configuration vector is 0, but this transport has no MSI-X/);
  // An empty slot and a slot with a device do not mix.
  const empty = new MmioDriver(undefined, ram);
  assert.throws(() => loadSections(saveSections([m.t]), [empty.t]), /saved with a device, but this slot is empty/);
});

test('device sections are checked too: MAC table sizes, console ports, MSI-X control bits', () => {
  const ram = new TestRam(1 << 20);
  const con = new MmioDriver(new VirtioConsole({ maxPorts: 2, ports: [{ nr: 0, backend: new BufferChar(), console: true }] }), ram);
  con.start([8, 8, 8, 8]);
  const other = new MmioDriver(new VirtioConsole({ maxPorts: 2, ports: [{ nr: 1, backend: new BufferChar(), console: true }] }), copyRam(ram));
  assert.throws(() => loadSections(saveSections([con.t]), [other.t]), /port 0 saved where this device has port 1/);

  const netA = new MmioDriver(new VirtioNet({ backend: new QueueNet(), mac: MAC }), ram);
  const good = body(netA.t);
  // The device part ends with: unicast count, multicast count (u32 each), then the VLAN bytes (u32 + 512).
  const bad = Uint8Array.from(good);
  const uniAt = bad.length - 4 - 512 - 8;
  assert.equal(new DataView(bad.buffer).getUint32(uniAt, true), 0);
  new DataView(bad.buffer).setUint32(uniAt, 65, true);
  const netB = new MmioDriver(new VirtioNet({ backend: new QueueNet(), mac: MAC }), ram);
  assert.throws(() => loadSections(stream([{ id: netB.t.stateId, version: 1, body: bad }]), [netB.t]), /65 entries in the unicast MAC table/);

  const blk = blkPciOriginal();
  const pci = body(blk.m.t);
  // The MSI-X table follows the core; vector 0's control word is the table's 4th word.
  const tableAt = pci.length - 1 /* wce */ - (4 + 1) /* PBA */ - (4 + 32);
  const corrupt = Uint8Array.from(pci);
  assert.equal(new DataView(corrupt.buffer).getUint32(tableAt, true), 32, 'table length where the test expects it');
  new DataView(corrupt.buffer).setUint32(tableAt + 4 + 12, 3, true);
  const fresh = pciMachine(new VirtioBlk({ backend: copyDisk(blk.disk), queues: 2 }), copyRam(blk.ram));
  assert.throws(() => loadSections(stream([{ id: 'virtio0', version: 1, body: corrupt }]), [fresh.t]), /vector 0's control word 0x3 has bits other than the mask/);
});
