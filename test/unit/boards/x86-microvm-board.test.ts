import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Exit, MmioExit, PioExit } from '../../../src/api/exit.js';
import { gpa } from '../../../src/api/memory.js';
import { x86Gpr, x86Segment } from '../../../src/api/x86-registers.js';
import { BoardError } from '../../../src/boards/errors.js';
import { X86MicrovmBoard } from '../../../src/boards/x86-microvm/board.js';
import { START_INFO_ADDR } from '../../../src/boards/x86-microvm/layout.js';
import { fakeX86Hypervisor } from '../../support/fake-x86-hypervisor.js';
import { makeX86Elf } from './support/x86-images.js';

const MiB = 0x100000;
const kernel = { name: 'k.elf', bytes: makeX86Elf({ segments: [{ paddr: MiB, data: new Uint8Array([0xf4]) }], pvhEntry: MiB }) };

function setup(extra: { ramSize?: number } = {}) {
  const fake = fakeX86Hypervisor();
  const out: number[] = [];
  const input: number[] = [];
  const board = X86MicrovmBoard.create(fake.hv, {
    ramSize: extra.ramSize ?? 64 * MiB,
    kernel,
    serials: [{ write: (b) => out.push(b), read: () => input.shift() ?? -1 }],
    log: () => {},
  });
  const vcpu = board.vcpus[0]!;
  const run = (exit: Exit) => board.handleExit(vcpu, exit);
  return { fake, board, out, input, run };
}

const pio = (port: number, size: number, isWrite: boolean, value = 0): PioExit => ({
  kind: 'pio',
  port,
  size,
  isWrite,
  count: 1,
  data: new Uint8Array(size).map((_, k) => (value >>> (8 * k)) & 0xff),
});
const mmio = (addr: number, isWrite: boolean, value = 0): MmioExit => ({ kind: 'mmio', addr: gpa(addr), size: 4, isWrite, data: new Uint8Array([value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24]) });

test('boot: split irqchip enabled with 24 pins, RAM at 0, kernel and start info written, EBX and RIP set', () => {
  const { fake, board } = setup();
  assert.deepEqual(fake.enabled, ['x86-split-irqchip(24)']);
  assert.deepEqual(fake.regions().map((r) => [r.guestAddr, r.size]), [[0, 64 * MiB]]);
  assert.equal(board.vm.memory.readUint8(gpa(MiB)), 0xf4);
  assert.equal(board.vm.memory.readUint32LE(gpa(START_INFO_ADDR)), 0x336ec578);
  const regs = fake.vcpus()[0]!.regs;
  assert.equal(regs.get(x86Gpr('rip')), BigInt(MiB));
  assert.equal(regs.get(x86Gpr('rbx')), BigInt(START_INFO_ADDR));
  assert.equal(regs.get(x86Segment('cs', 'limit')), 0xffffffffn);
  assert.equal(fake.vcpus()[0]!.target, 'host');
});

test('RAM above 3 GiB continues at 4 GiB', () => {
  const { fake } = setup({ ramSize: 3 * 1024 * MiB + 16 * MiB });
  assert.deepEqual(fake.regions().map((r) => [r.guestAddr, r.size]), [
    [0, 3 * 1024 * MiB],
    [4 * 1024 * MiB, 16 * MiB],
  ]);
});

test('COM1 on the port bus: output, input through pollInput, unassigned ports float', () => {
  const { out, input, board, run } = setup();
  run(pio(0x3f8, 1, true, 0x41));
  assert.deepEqual(out, [0x41]);
  input.push(0x7a);
  board.pollInput();
  const rd = pio(0x3f8, 1, false);
  run(rd);
  assert.equal(rd.data[0], 0x7a);
  const none = pio(0x2f8, 2, false);
  run(none);
  assert.deepEqual([...none.data], [0xff, 0xff]);
});

test('isa-debug-exit ends the run with (v << 1) | 1', () => {
  const { run } = setup();
  assert.equal(run(pio(0x3f8, 1, true, 0x20)), 'none');
  const ev = run(pio(0xf4, 4, true, 0x21));
  assert.ok(typeof ev === 'object' && ev.kind === 'exit' && ev.code === 0x43, JSON.stringify(ev));
  assert.equal(run(pio(0x3f8, 1, true, 0x20)), 'none', 'the event is reported once');
});

test('UART interrupt: IOAPIC pin 4 programmed over MMIO becomes an MSI and a GSI route; level EOI re-delivers', () => {
  const { fake, run } = setup();
  const selWin = (reg: number, v: number) => {
    run(mmio(0xfec00000, true, reg));
    run(mmio(0xfec00010, true, v));
  };
  selWin(0x18, (1 << 15) | 0x24); // level, vector 0x24
  assert.deepEqual(fake.routes.at(-1), [{ gsi: 4, kind: 'msi', address: 0xfee00000n, data: 0xc024 }]);
  run(pio(0x3f9, 1, true, 0x02)); // IER: THR empty
  assert.deepEqual(fake.msis, [{ address: 0xfee00000n, data: 0xc024 }]);
  run({ kind: 'ioapic-eoi', vector: 0x24 });
  assert.equal(fake.msis.length, 2, 'line still high after the EOI: delivered again');
  run(pio(0x3fa, 1, false)); // IIR read acknowledges THR empty: the line falls
  run({ kind: 'ioapic-eoi', vector: 0x24 });
  assert.equal(fake.msis.length, 2);
});

test('a triple fault (shutdown exit) resets the machine, as a PC does', () => {
  const { run } = setup();
  assert.equal(run({ kind: 'shutdown', reason: 'triple fault' }), 'reset');
  assert.equal(run({ kind: 'halt' }), 'none');
});

test('reset: devices and vCPU reset, RAM cleared and the kernel loaded again', () => {
  const { fake, board, run } = setup();
  board.vm.memory.writeUint8(gpa(MiB), 0);
  board.vm.memory.writeUint8(gpa(32 * MiB), 0x55);
  run(mmio(0xfec00000, true, 0x18));
  run(mmio(0xfec00010, true, 0x24));
  board.reset();
  assert.equal(fake.vcpus()[0]!.resets, 1);
  assert.equal(board.vm.memory.readUint8(gpa(MiB)), 0xf4);
  assert.equal(board.vm.memory.readUint8(gpa(32 * MiB)), 0);
  assert.equal(board.ioapic.entry(4) & 0x10000n, 0x10000n, 'IOAPIC pins masked again');
  assert.equal(fake.vcpus()[0]!.regs.get(x86Gpr('rip')), BigInt(MiB));
});

test('errors: a PowerPC accelerator, missing capabilities, two serial ports, a bad image', () => {
  const ppc = fakeX86Hypervisor();
  (ppc.hv as { arch: string }).arch = 'ppc';
  assert.throws(() => X86MicrovmBoard.create(ppc.hv, { ramSize: 64 * MiB, kernel, serials: [] }), /needs x86-64 vCPUs.*--accel kvm/);
  const noSplit = fakeX86Hypervisor({ 'signal-msi': 1 });
  assert.throws(
    () => X86MicrovmBoard.create(noSplit.hv, { ramSize: 64 * MiB, kernel, serials: [] }),
    (e: unknown) => e instanceof BoardError && /x86-split-irqchip/.test(e.message),
  );
  const ok = fakeX86Hypervisor();
  const s = { write: () => {}, read: () => -1 };
  assert.throws(() => X86MicrovmBoard.create(ok.hv, { ramSize: 64 * MiB, kernel, serials: [s, s] }), /one serial port/);
  assert.throws(() => X86MicrovmBoard.create(ok.hv, { ramSize: 64 * MiB, kernel: { name: 'x', bytes: new Uint8Array(100) }, serials: [] }), /neither a PVH ELF/);
  assert.equal(ok.vcpus().length, 0, 'no vCPU is created for a bad configuration');
});
