import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MmioDevice, MmioWindow } from '../../../src/devices/bus.js';
import { PciBus, PciFunction } from '../../../src/devices/pci/pci-bus.js';

const regs = (name: string): MmioDevice => ({ name, endian: 'little', read: (off) => 0xab00 + off, write: () => {} });

function deviceWith(bars: { index: number; space: 'memory' | 'io'; size: number; target: MmioDevice | MmioWindow }[]) {
  return new PciFunction({ name: 'test', vendorId: 0x1af4, deviceId: 0x1000, classCode: 0x020000, interruptPin: 1, bars });
}

test('a function powers on with its identity, QEMU default subsystem IDs and clear BARs', () => {
  const f = deviceWith([{ index: 1, space: 'io', size: 0x20, target: regs('io') }]);
  assert.equal(f.readConfig(0x00, 4), 0x1000_1af4);
  assert.equal(f.readConfig(0x08, 4), 0x0200_0000);
  assert.equal(f.readConfig(0x2c, 4), 0x1100_1af4);
  assert.equal(f.readConfig(0x3d, 1), 1, 'interrupt pin INTA');
  assert.equal(f.readConfig(0x14, 4), 0x1, 'I/O BAR type bit');
  f.writeConfig(0x14, 4, 0xffff_ffff);
  assert.equal(f.readConfig(0x14, 4), 0xffff_ffe1, 'I/O BAR sizing: 32 bytes');
  f.writeConfig(0x3d, 1, 4);
  assert.equal(f.readConfig(0x3d, 1), 1, 'interrupt pin is read-only');
  f.writeConfig(0xff, 4, 0x1234_5678);
  assert.equal(f.readConfig(0xff, 1), 0x78, 'bytes past config space are dropped');
});

test('BAR specifications that no PCI device could have are refused', () => {
  const t = regs('x');
  assert.throws(() => deviceWith([{ index: 0, space: 'memory', size: 0x3000, target: t }]), /not a valid/);
  assert.throws(() => deviceWith([{ index: 0, space: 'memory', size: 8, target: t }]), /not a valid/);
  assert.throws(() => deviceWith([{ index: 6, space: 'io', size: 4, target: t }]), /not a valid/);
  assert.throws(
    () => deviceWith([{ index: 0, space: 'io', size: 4, target: t }, { index: 1, space: 'io', size: 4, target: t }]),
    /shares/,
  );
});

test('the bus decodes memory BARs over the I/O space and I/O BARs inside it', () => {
  const bus = new PciBus(() => {});
  const f = deviceWith([
    { index: 0, space: 'io', size: 0x20, target: regs('io') },
    { index: 1, space: 'memory', size: 0x1000, target: regs('mem') },
  ]);
  bus.attach(3, 0, f);
  assert.throws(() => bus.attach(3, 0, f), /already taken/);
  assert.throws(() => bus.attach(32, 0, f), /does not exist/);
  assert.equal(bus.lookup(0, 3 << 3), f);
  assert.equal(bus.lookup(1, 3 << 3), undefined, 'only bus 0 exists');
  const read = (addr: number) => {
    const d = new Uint8Array(2);
    bus.memory.access(addr, false, d);
    return [...d];
  };
  f.writeConfig(0x10, 4, 0x1000);
  f.writeConfig(0x14, 4, 0x8000_0000);
  assert.deepEqual(read(0x1002), [0, 0], 'nothing decodes before the command register enables it');
  f.writeConfig(0x04, 2, 0x0003);
  assert.deepEqual(read(0x1002), [0x02, 0xab], 'I/O port 0x1002, little-endian registers');
  assert.deepEqual(read(0x8000_0010), [0x10, 0xab]);
  f.writeConfig(0x14, 4, 0x1000);
  assert.deepEqual(read(0x1002), [0x02, 0xab], 'memory BAR at 0x1000 hides the I/O port');
  f.writeConfig(0x04, 2, 0x0001);
  assert.deepEqual(read(0x1002), [0x02, 0xab], 'memory decoding off: the I/O port shows again');
  bus.reset();
  assert.deepEqual(read(0x1002), [0, 0], 'reset clears command and BARs');
});
