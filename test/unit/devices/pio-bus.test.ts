import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PioExit } from '../../../src/api/exit.js';
import { PioBus, type PortDevice } from '../../../src/devices/pio-bus.js';
import { IsaDebugExit } from '../../../src/devices/x86/debug-exit.js';
import { Uart16550 } from '../../../src/devices/uart16550.js';

/** A byte-wide register file that records every access. */
class Regs implements PortDevice {
  readonly name = 'regs';
  readonly log: string[] = [];
  readonly bytes: number[];
  constructor(
    size: number,
    readonly maxAccessSize: 1 | 2 | 4 = 1,
  ) {
    this.bytes = new Array<number>(size).fill(0);
  }
  read(offset: number, size: number): number {
    this.log.push(`r${size}@${offset}`);
    let v = 0;
    for (let k = size - 1; k >= 0; k--) v = v * 256 + this.bytes[offset + k]!;
    return v;
  }
  write(offset: number, size: number, value: number): void {
    this.log.push(`w${size}@${offset}=${value.toString(16)}`);
    for (let k = 0; k < size; k++) this.bytes[offset + k] = (value >>> (8 * k)) & 0xff;
  }
}

function pio(port: number, size: number, isWrite: boolean, items: number[]): PioExit {
  const data = new Uint8Array(size * items.length);
  items.forEach((v, i) => {
    for (let k = 0; k < size; k++) data[i * size + k] = (v >>> (8 * k)) & 0xff;
  });
  return { kind: 'pio', port, size, isWrite, count: items.length, data };
}

function items(exit: PioExit): number[] {
  const out: number[] = [];
  for (let i = 0; i < exit.count; i++) {
    let v = 0;
    for (let k = exit.size - 1; k >= 0; k--) v = v * 256 + exit.data[i * exit.size + k]!;
    out.push(v >>> 0);
  }
  return out;
}

test('a device that takes the width gets one access; little-endian values both ways', () => {
  const bus = new PioBus();
  const r = new Regs(8, 4);
  bus.map(0x100, 8, r);
  bus.handle(pio(0x100, 4, true, [0x11223344]));
  assert.deepEqual(r.bytes.slice(0, 4), [0x44, 0x33, 0x22, 0x11]);
  const rd = pio(0x102, 2, false, [0]);
  bus.handle(rd);
  assert.deepEqual(items(rd), [0x1122]);
  assert.deepEqual(r.log, ['w4@0=11223344', 'r2@2']);
});

test('wider than the device: split into byte accesses of consecutive ports, lowest port first', () => {
  const bus = new PioBus();
  const r = new Regs(4, 1);
  bus.map(0x3fc, 4, r);
  bus.write(0x3fc, 4, 0x77000008);
  assert.deepEqual(r.log, ['w1@0=8', 'w1@1=0', 'w1@2=0', 'w1@3=77']);
  assert.equal(bus.read(0x3fe, 2), 0x7700);
});

test('an access running past a device or into nothing: each byte decoded on its own, holes read 0xff', () => {
  const bus = new PioBus();
  const r = new Regs(2, 4);
  bus.map(0x200, 2, r);
  r.bytes[1] = 0xab;
  assert.equal(bus.read(0x201, 2), 0xffab);
  assert.equal(bus.read(0x1ff, 4), 0xffab00ff);
  bus.write(0x201, 2, 0x1234);
  assert.equal(r.bytes[1], 0x34);
});

test('ports nobody decodes read all ones at every width and ignore writes', () => {
  const bus = new PioBus();
  for (const size of [1, 2, 4]) {
    bus.write(0x2f0, size, 0);
    assert.equal(bus.read(0x2f0, size), 2 ** (8 * size) - 1);
  }
});

test('string I/O: count items in order (rep outsw, rep insb)', () => {
  const bus = new PioBus();
  const r = new Regs(2, 2);
  bus.map(0x300, 2, r);
  bus.handle(pio(0x300, 2, true, [1, 2, 0x6603]));
  assert.deepEqual(r.log, ['w2@0=1', 'w2@0=2', 'w2@0=6603']);
  const rd = pio(0x301, 1, false, [0, 0, 0]);
  bus.handle(rd);
  assert.deepEqual(items(rd), [0x66, 0x66, 0x66]);
});

test('overlapping or out-of-range mappings are wiring errors', () => {
  const bus = new PioBus();
  bus.map(0x3f8, 8, new Regs(8));
  assert.throws(() => bus.map(0x3ff, 1, new Regs(1)), /overlaps/);
  assert.throws(() => bus.map(0xffff, 2, new Regs(2)), /inside 0..0xffff/);
});

test('the 16550 on the port bus: SCR round trip, word access = MSR then SCR (as QEMU)', () => {
  const bus = new PioBus();
  const out: number[] = [];
  bus.map(0x3f8, 8, new Uart16550('com1', { write: (b) => out.push(b), read: () => -1 }));
  bus.write(0x3ff, 1, 0x5a);
  assert.equal(bus.read(0x3ff, 1), 0x5a);
  bus.write(0x3fe, 2, 0x3c00);
  assert.equal(bus.read(0x3fe, 2), 0x3cb0);
  bus.write(0x3f8, 1, 0x41);
  assert.deepEqual(out, [0x41]);
});

test('isa-debug-exit: a write of v ends the run with (v << 1) | 1 at every width; reads are 0', () => {
  const bus = new PioBus();
  const dev = new IsaDebugExit();
  const got: number[] = [];
  dev.onExit = (status) => got.push(status);
  bus.map(0xf4, 4, dev);
  bus.write(0xf4, 1, 0);
  bus.write(0xf4, 2, 0x21);
  bus.write(0xf4, 4, 0x7f);
  assert.deepEqual(got, [1, 0x43, 0xff]);
  assert.equal(bus.read(0xf4, 4), 0);
});
