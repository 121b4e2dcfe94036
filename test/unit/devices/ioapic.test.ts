import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IoApic, IOAPIC_PINS, RTE, type MsiMessage } from '../../../src/devices/x86/ioapic.js';
import { MmioBus } from '../../../src/devices/bus.js';

function ioapic(): { io: IoApic; sent: MsiMessage[]; bus: MmioBus } {
  const sent: MsiMessage[] = [];
  const io = new IoApic({ signalMsi: (m) => sent.push(m) });
  const bus = new MmioBus();
  bus.map(0xfec00000, 0x1000, io);
  return { io, sent, bus };
}

const le32 = (v: number): Uint8Array => new Uint8Array([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24]);
function rd(bus: MmioBus, reg: number): number {
  bus.access(0xfec00000, true, le32(reg));
  const d = new Uint8Array(4);
  bus.access(0xfec00010, false, d);
  return new DataView(d.buffer).getUint32(0, true);
}
function wr(bus: MmioBus, reg: number, v: number): void {
  bus.access(0xfec00000, true, le32(reg));
  bus.access(0xfec00010, true, le32(v));
}

test('identification through IOREGSEL/IOWIN: 24 pins, version 0x20, every pin masked at reset', () => {
  const { bus } = ioapic();
  assert.equal(rd(bus, 1), 0x00170020);
  assert.equal(rd(bus, 0), 0);
  for (let pin = 0; pin < IOAPIC_PINS; pin++) assert.equal(rd(bus, 0x10 + 2 * pin), RTE.MASKED);
  wr(bus, 0, 0x0a000000);
  assert.equal(rd(bus, 0), 0x0a000000);
  assert.equal(rd(bus, 0x10 + 2 * IOAPIC_PINS), 0, 'registers past the table read 0');
});

test('edge pin: one MSI per rising edge, with destination, vector and no level bits', () => {
  const { io, sent, bus } = ioapic();
  wr(bus, 0x19, 0x03000000);
  wr(bus, 0x18, 0x24);
  io.setLine(4, true);
  io.setLine(4, true);
  io.setLine(4, false);
  io.setLine(4, true);
  assert.deepEqual(sent, [
    { address: 0xfee03000n, data: 0x24 },
    { address: 0xfee03000n, data: 0x24 },
  ]);
});

test('edge pin masked: the edge is lost, unmasking delivers nothing', () => {
  const { io, sent, bus } = ioapic();
  wr(bus, 0x18, RTE.MASKED | 0x24);
  io.setLine(4, true);
  wr(bus, 0x18, 0x24);
  assert.equal(sent.length, 0);
  io.setLine(4, false);
  io.setLine(4, true);
  assert.equal(sent.length, 1);
});

test('level pin: Remote IRR holds further delivery until EOI; EOI re-delivers while the line is high', () => {
  const { io, sent, bus } = ioapic();
  wr(bus, 0x18, RTE.LEVEL | 0x30);
  io.setLine(4, true);
  assert.deepEqual(sent, [{ address: 0xfee00000n, data: 0xc030 }]);
  assert.notEqual(rd(bus, 0x18) & RTE.REMOTE_IRR, 0);
  io.setLine(4, false);
  io.setLine(4, true);
  assert.equal(sent.length, 1, 'no delivery while Remote IRR is set');
  io.endOfInterrupt(0x30);
  assert.equal(sent.length, 2, 'line still high after EOI: delivered again');
  io.setLine(4, false);
  io.endOfInterrupt(0x30);
  assert.equal(sent.length, 2);
  assert.equal(rd(bus, 0x18) & RTE.REMOTE_IRR, 0);
  io.endOfInterrupt(0x31);
});

test('EOI register (offset 0x40) ends a level interrupt like a LAPIC broadcast', () => {
  const { io, sent, bus } = ioapic();
  wr(bus, 0x18, RTE.LEVEL | 0x30);
  io.setLine(4, true);
  bus.access(0xfec00040, true, le32(0x30));
  assert.equal(sent.length, 2);
});

test('unmasking a level pin whose line is asserted delivers it; Remote IRR and delivery status are read-only', () => {
  const { io, sent, bus } = ioapic();
  wr(bus, 0x18, RTE.MASKED | RTE.LEVEL | 0x40);
  io.setLine(4, true);
  assert.equal(sent.length, 0);
  wr(bus, 0x18, RTE.LEVEL | RTE.REMOTE_IRR | RTE.DELIVERY_STATUS | 0x40);
  assert.equal(sent.length, 1);
  wr(bus, 0x18, RTE.LEVEL | 0x40);
  assert.notEqual(rd(bus, 0x18) & RTE.REMOTE_IRR, 0, 'the guest cannot clear Remote IRR by writing');
  wr(bus, 0x18, 0x40);
  assert.equal(rd(bus, 0x18) & RTE.REMOTE_IRR, 0, 'switching to edge drops Remote IRR');
});

test('active-low polarity inverts the line; logical destination mode and delivery mode reach the message', () => {
  const { io, sent, bus } = ioapic();
  wr(bus, 0x11 + 2 * 9, 0x0f000000);
  wr(bus, 0x10 + 2 * 9, RTE.POLARITY_LOW | RTE.LEVEL | RTE.DEST_LOGICAL | (1 << 8) | 0x51);
  assert.equal(sent.length, 1, 'an active-low line resting low is asserted');
  assert.deepEqual(sent[0], { address: 0xfee0f004n, data: 0xc151 });
  io.setLine(9, true);
  io.endOfInterrupt(0x51);
  assert.equal(sent.length, 1, 'line high = deasserted');
});

test('routes(): unmasked pins with their messages and trigger modes; changes are announced', () => {
  const { io, bus } = ioapic();
  let changes = 0;
  io.onRoutesChanged = () => changes++;
  wr(bus, 0x18, 0x24);
  wr(bus, 0x1a, RTE.LEVEL | 0x25);
  assert.deepEqual(io.routes(), [
    { pin: 4, msg: { address: 0xfee00000n, data: 0x24 }, level: false },
    { pin: 5, msg: { address: 0xfee00000n, data: 0xc025 }, level: true },
  ]);
  assert.equal(changes, 2);
  assert.throws(() => io.setLine(24, true), RangeError);
});

test('narrow accesses: IOREGSEL takes a byte write; a narrow IOWIN read returns the addressed bytes', () => {
  const { bus } = ioapic();
  bus.access(0xfec00000, true, new Uint8Array([1]));
  const d = new Uint8Array(2);
  bus.access(0xfec00012, false, d);
  assert.deepEqual([...d], [0x17, 0x00]);
});
