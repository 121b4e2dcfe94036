import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  BackingRangeError,
  EmptyRegionError,
  Hypervisor,
  InvalidArgumentError,
  RegionAlignmentError,
  RegionOverlapError,
  UnknownBackingError,
  UnmappedAddressError,
  gpa,
} from '../../../src/api/index.js';
import { CORE, gprId } from '../../../src/accel/e500/registers.js';
import { asm, stop, words } from '../../support/ppc-asm.js';
import { STOP_ADDR, e500Vm } from '../../support/e500-vm.js';

const MiB = 1024 * 1024;

async function newVm() {
  const hv = await Hypervisor.open({ accel: 'e500' });
  return hv.createVm();
}

describe('setMemoryMap validation', () => {
  test('overlapping regions are rejected and the message names both', async () => {
    const vm = await newVm();
    const m = vm.createMemory(4 * MiB, { name: 'a' });
    assert.throws(
      () =>
        vm.setMemoryMap([
          { guestAddr: gpa(0), size: 2 * MiB, backing: m, offset: 0, name: 'low' },
          { guestAddr: gpa(MiB), size: 2 * MiB, backing: m, offset: 0, name: 'high' },
        ]),
      (e: unknown) => e instanceof RegionOverlapError && e.errno === 'EEXIST' && /"high"/.test(e.message) && /"low"/.test(e.message),
    );
  });

  test('misaligned address, size or offset are rejected', async () => {
    const vm = await newVm();
    const m = vm.createMemory(MiB);
    for (const r of [
      { guestAddr: gpa(0x800), size: 0x1000, backing: m, offset: 0 },
      { guestAddr: gpa(0), size: 0x1800, backing: m, offset: 0 },
      { guestAddr: gpa(0), size: 0x1000, backing: m, offset: 0x10 },
    ]) {
      assert.throws(() => vm.setMemoryMap([r]), RegionAlignmentError);
    }
  });

  test('an empty region is rejected', async () => {
    const vm = await newVm();
    const m = vm.createMemory(MiB);
    assert.throws(() => vm.setMemoryMap([{ guestAddr: gpa(0), size: 0, backing: m, offset: 0 }]), EmptyRegionError);
  });

  test('a backing of another VM is rejected', async () => {
    const a = await newVm();
    const b = await newVm();
    const foreign = b.createMemory(MiB);
    assert.throws(() => a.setMemoryMap([{ guestAddr: gpa(0), size: MiB, backing: foreign, offset: 0 }]), UnknownBackingError);
  });

  test('a window past the end of its backing is rejected', async () => {
    const vm = await newVm();
    const m = vm.createMemory(MiB);
    assert.throws(() => vm.setMemoryMap([{ guestAddr: gpa(0), size: MiB, backing: m, offset: 0x1000 }]), BackingRangeError);
  });

  test('addresses beyond the 36-bit physical space are rejected', async () => {
    const vm = await newVm();
    const m = vm.createMemory(MiB);
    assert.throws(() => vm.setMemoryMap([{ guestAddr: gpa(2 ** 36 - 0x1000), size: 0x2000, backing: m, offset: 0 }]), InvalidArgumentError);
  });

  test('createMemory rejects sizes that are not page multiples', async () => {
    const vm = await newVm();
    assert.throws(() => vm.createMemory(1000), InvalidArgumentError);
    assert.throws(() => vm.createMemory(0), InvalidArgumentError);
  });

  test('a rejected map leaves the previous one in force', async () => {
    const vm = await newVm();
    const m = vm.createMemory(2 * MiB);
    vm.setMemoryMap([{ guestAddr: gpa(0), size: MiB, backing: m, offset: 0, name: 'ram' }]);
    assert.throws(() => vm.setMemoryMap([{ guestAddr: gpa(0), size: 0x1234, backing: m, offset: 0 }]));
    assert.equal(vm.memoryMap().length, 1);
    assert.equal(vm.memoryMap()[0]!.name, 'ram');
    vm.memory.writeUint32BE(gpa(0x100), 0xdeadbeef);
    assert.equal(vm.memory.readUint32BE(gpa(0x100)), 0xdeadbeef);
  });
});

describe('guest memory through the map', () => {
  test('aliases: two guest ranges on one backing see the same bytes', async () => {
    const vm = await newVm();
    const m = vm.createMemory(MiB);
    vm.setMemoryMap([
      { guestAddr: gpa(0), size: MiB, backing: m, offset: 0 },
      { guestAddr: gpa(0x1000_0000), size: 0x1000, backing: m, offset: 0x2000 },
    ]);
    vm.memory.writeUint32BE(gpa(0x2010), 0x11223344);
    assert.equal(vm.memory.readUint32BE(gpa(0x1000_0010)), 0x11223344);
  });

  test('VMM accesses outside RAM are typed errors', async () => {
    const vm = await newVm();
    const m = vm.createMemory(MiB);
    vm.setMemoryMap([{ guestAddr: gpa(0), size: MiB, backing: m, offset: 0 }]);
    assert.throws(() => vm.memory.readUint32BE(gpa(MiB - 2)), UnmappedAddressError);
    assert.equal(vm.memory.isMapped(gpa(MiB - 4), 4), true);
    assert.equal(vm.memory.isMapped(gpa(MiB - 4), 8), false);
  });

  test('guest stores to a read-only region exit as MMIO writes; loads read the backing', async () => {
    const { vm, vcpu } = await e500Vm({
      code: words(asm.lis(3, 0x0280), asm.lwz(4, 3, 0x10), asm.li(5, 0x77), asm.stw(5, 3, 0x20), asm.b(0)),
    });
    const rom = vm.createMemory(0x1000, { name: 'rom' });
    rom.view.setUint32(0x10, 0xcafef00d);
    const ram = vm.memoryMap()[0]!;
    vm.setMemoryMap([ram, { guestAddr: gpa(0x0280_0000), size: 0x1000, backing: rom, offset: 0, readOnly: true }]);
    const exit = vcpu.run();
    assert.equal(exit.kind, 'mmio');
    if (exit.kind !== 'mmio') return;
    assert.equal(exit.isWrite, true);
    assert.equal(exit.addr, 0x0280_0020);
    assert.deepEqual([...exit.data], [0, 0, 0, 0x77]);
    assert.equal(vcpu.getRegister(gprId(4)), 0xcafef00dn);
    assert.equal(rom.view.getUint32(0x20), 0, 'the read-only backing must not change');
  });

  test('a new map takes effect at the next run', async () => {
    const { vm, vcpu } = await e500Vm({ code: words(asm.lis(3, 0x0200), asm.lwz(4, 3, 0), ...stop()) });
    // Nothing at 0x0200_0000 yet: the load exits as MMIO and gets what the VMM answers.
    const first = vcpu.run();
    assert.ok(first.kind === 'mmio' && !first.isWrite && first.addr === 0x0200_0000);
    if (first.kind === 'mmio') first.data.set([0x12, 0x34, 0x56, 0x78]);
    const stopped = vcpu.run();
    assert.ok(stopped.kind === 'mmio' && stopped.isWrite && stopped.addr === STOP_ADDR);
    assert.equal(vcpu.getRegister(gprId(4)), 0x12345678n);
    const extra = vm.createMemory(0x1000);
    extra.view.setUint32(0, 0x5a5a5a5a);
    vm.setMemoryMap([vm.memoryMap()[0]!, { guestAddr: gpa(0x0200_0000), size: 0x1000, backing: extra, offset: 0 }]);
    vcpu.setRegisters([[CORE.PC, 0x1000n]]);
    const again = vcpu.run();
    assert.ok(again.kind === 'mmio' && again.addr === STOP_ADDR, 'the load now hits RAM');
    assert.equal(vcpu.getRegister(gprId(4)), 0x5a5a5a5an);
  });
});

describe('dirty log', () => {
  test('guest and VMM writes are logged per page; clear re-arms logging', async () => {
    const { vm, vcpu } = await e500Vm({
      code: words(asm.lis(3, 0x0010), asm.stw(3, 3, 0), asm.stw(3, 3, 0x3000), ...stop()),
    });
    const ram = vm.memoryMap()[0]!;
    vm.setMemoryMap([{ ...ram, logDirty: true }]);
    assert.equal(vcpu.run().kind, 'mmio');
    const log = vm.getDirtyLog({ addr: 0x0010_0000, size: 0x10_0000 });
    assert.deepEqual(log, [0, 3]);
    assert.deepEqual(vm.getDirtyLog({ addr: 0x0010_0000, size: 0x10_0000 }, { maxPages: 1, clear: true }), [0]);
    assert.deepEqual(vm.getDirtyLog({ addr: 0x0010_0000, size: 0x10_0000 }), [3]);
    vm.memory.writeUint8(gpa(0x0010_5000), 1);
    assert.deepEqual(vm.getDirtyLog({ addr: 0x0010_0000, size: 0x10_0000 }, { clear: true }), [3, 5]);
    assert.deepEqual(vm.getDirtyLog({ addr: 0x0010_0000, size: 0x10_0000 }), []);
  });

  test('moving a region keeps its dirty bits (they belong to the backing pages)', async () => {
    const vm = await newVm();
    const m = vm.createMemory(MiB);
    vm.setMemoryMap([{ guestAddr: gpa(0), size: MiB, backing: m, offset: 0, logDirty: true }]);
    vm.memory.writeUint32BE(gpa(0x2000), 1);
    vm.setMemoryMap([{ guestAddr: gpa(0x4000_0000), size: MiB, backing: m, offset: 0, logDirty: true }]);
    assert.deepEqual(vm.getDirtyLog({ addr: 0x4000_0000, size: MiB }), [2]);
  });

  test('a 2^44-byte range is answered from the mapped regions (once walked page by page for 70 s); bad ranges are typed errors', async () => {
    const vm = await newVm();
    const m = vm.createMemory(MiB);
    vm.setMemoryMap([{ guestAddr: gpa(0x4000_0000), size: MiB, backing: m, offset: 0, logDirty: true }]);
    vm.memory.writeUint8(gpa(0x4000_0000 + MiB - 1), 1);
    assert.deepEqual(vm.getDirtyLog({ addr: 0, size: 2 ** 44 }), [0x4000_0000 / 4096 + 255]);
    for (const range of [{ addr: 0, size: 0 }, { addr: 0, size: 100 }, { addr: 0x800, size: 4096 }]) {
      assert.throws(() => vm.getDirtyLog(range), InvalidArgumentError, JSON.stringify(range));
    }
  });
});
