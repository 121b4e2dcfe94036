/**
 * x86-microvm's virtio-mmio transports as the guest sees them through MMIO exits (no
 * /dev/kvm needed: the fake x86 hypervisor records MSIs): QEMU microvm's placement and kernel
 * command line, and one virtio-rng request from queue setup to the used ring and its
 * interrupt through the IOAPIC.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Exit, MmioExit } from '../../../src/api/exit.js';
import { gpa } from '../../../src/api/memory.js';
import { BoardError } from '../../../src/boards/errors.js';
import { X86MicrovmBoard } from '../../../src/boards/x86-microvm/board.js';
import { START_INFO_ADDR } from '../../../src/boards/x86-microvm/layout.js';
import { STATUS } from '../../../src/devices/virtio/constants.js';
import { VirtioRng } from '../../../src/devices/virtio/rng.js';
import { fakeX86Hypervisor } from '../../support/fake-x86-hypervisor.js';
import { CountingEntropy } from '../../support/virtio.js';
import { makeX86Elf } from './support/x86-images.js';

const MiB = 0x100000;
const kernel = { name: 'k.elf', bytes: makeX86Elf({ segments: [{ paddr: MiB, data: new Uint8Array([0xf4]) }], pvhEntry: MiB }) };

function setup(devices: number) {
  const fake = fakeX86Hypervisor();
  const entropy = new CountingEntropy();
  const virtio = Array.from({ length: devices }, (_, i) => ({ name: `virtio-rng-device${i}`, device: new VirtioRng(entropy) }));
  const board = X86MicrovmBoard.create(fake.hv, { ramSize: 64 * MiB, kernel, serials: [], log: () => {}, append: 'console=ttyS0', virtio });
  const vcpu = board.vcpus[0]!;
  const run = (exit: Exit) => board.handleExit(vcpu, exit);
  const access = (addr: number, isWrite: boolean, value = 0): MmioExit => ({
    kind: 'mmio',
    addr: gpa(addr),
    size: 4,
    isWrite,
    data: new Uint8Array([value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24]),
  });
  const read = (addr: number): number => {
    const e = access(addr, false);
    run(e);
    return new DataView(e.data.buffer).getUint32(0, true);
  };
  const write = (addr: number, value: number): void => void run(access(addr, true, value));
  return { fake, board, read, write };
}

function commandLine(board: X86MicrovmBoard): string {
  // hvm_start_info.cmdline_paddr (offset 24, 64 bits), a NUL-terminated string.
  let p = Number(board.vm.memory.readUint32LE(gpa(START_INFO_ADDR + 24)));
  let s = '';
  for (let c = board.vm.memory.readUint8(gpa(p)); c !== 0; c = board.vm.memory.readUint8(gpa(++p))) s += String.fromCharCode(c);
  return s;
}

test('placement as QEMU microvm: 8 transports from 0xfeb00000, the first device on the last one (IRQ 12), announced on the command line', () => {
  const { board, read } = setup(2);
  assert.equal(commandLine(board), 'console=ttyS0 virtio_mmio.device=512@0xfeb00e00:12 virtio_mmio.device=512@0xfeb00c00:11');
  for (let n = 0; n < 8; n++) {
    const base = 0xfeb00000 + 512 * n;
    assert.equal(read(base), 0x74726976, `magic at transport ${n}`);
    assert.equal(read(base + 4), 2, 'version 2 (modern)');
    assert.equal(read(base + 8), n >= 6 ? 4 : 0, `device ID at transport ${n}`);
  }
  assert.equal(commandLine(setup(0).board), 'console=ttyS0', 'no devices, no virtio_mmio.device=');
  assert.throws(() => setup(9), (e: unknown) => e instanceof BoardError && /8 virtio-mmio transports/.test(e.message));
});

test('a virtio-rng request over MMIO exits: the buffer filled in guest RAM, the used ring updated, IOAPIC pin 12 raised as an MSI; InterruptACK lowers it', () => {
  const { fake, board, read, write } = setup(1);
  const base = 0xfeb00e00;
  const mem = board.vm.memory;
  // The IOAPIC routes pin 12 to vector 0x31, level-triggered (as Linux programs it).
  write(0xfec00000, 0x10 + 2 * 12);
  write(0xfec00010, (1 << 15) | 0x31);
  write(base + 0x70, STATUS.ACKNOWLEDGE);
  write(base + 0x70, STATUS.ACKNOWLEDGE | STATUS.DRIVER);
  write(base + 0x24, 1);
  write(base + 0x20, 1); // VIRTIO_F_VERSION_1 (bit 32)
  write(base + 0x70, STATUS.ACKNOWLEDGE | STATUS.DRIVER | STATUS.FEATURES_OK);
  assert.equal(read(base + 0x70) & STATUS.FEATURES_OK, STATUS.FEATURES_OK);
  const [desc, avail, used, buf] = [0x10_0000 * 8, 0x10_0000 * 8 + 0x1000, 0x10_0000 * 8 + 0x2000, 0x10_0000 * 8 + 0x3000];
  write(base + 0x30, 0);
  assert.ok(read(base + 0x34) >= 8, 'QueueNumMax');
  write(base + 0x38, 8);
  write(base + 0x80, desc);
  write(base + 0x90, avail);
  write(base + 0xa0, used);
  write(base + 0x44, 1);
  write(base + 0x70, STATUS.ACKNOWLEDGE | STATUS.DRIVER | STATUS.FEATURES_OK | STATUS.DRIVER_OK);
  // One device-writable 64-byte buffer at `buf`.
  mem.writeUint32LE(gpa(desc), buf);
  mem.writeUint32LE(gpa(desc + 4), 0);
  mem.writeUint32LE(gpa(desc + 8), 64);
  mem.writeUint8(gpa(desc + 12), 2); // VIRTQ_DESC_F_WRITE
  mem.writeUint8(gpa(avail + 4), 0); // ring[0] = descriptor 0
  mem.writeUint8(gpa(avail + 2), 1); // idx = 1
  assert.equal(fake.msis.length, 0);
  write(base + 0x50, 0);
  assert.equal(mem.readUint8(gpa(used + 2)), 1, 'used idx');
  assert.equal(mem.readUint32LE(gpa(used + 4)), 0, 'used id');
  assert.equal(mem.readUint32LE(gpa(used + 8)), 64, 'used length');
  for (let i = 0; i < 64; i++) assert.equal(mem.readUint8(gpa(buf + i)), i, `entropy byte ${i}`);
  assert.deepEqual(fake.msis, [{ address: 0xfee00000n, data: 0xc031 }], 'pin 12 delivered once');
  assert.equal(read(base + 0x60), 1, 'InterruptStatus: used buffer');
  write(base + 0x64, 1);
  assert.equal(read(base + 0x60), 0);
  assert.equal(board.ioapic.entry(12) & 0x4000n, 0x4000n, 'Remote IRR set until the EOI');
  board.handleExit(board.vcpus[0]!, { kind: 'ioapic-eoi', vector: 0x31 });
  assert.equal(fake.msis.length, 1, 'line low after InterruptACK: no re-delivery at the EOI');
});
