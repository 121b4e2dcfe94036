/** Dirty logging on KVM memslots, across memory-map replacement. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gpa, type MemoryRegion } from '../../../../src/api/index.js';
import { KVM_SKIP, loadLongMode, machine } from '../../../support/kvm-vm.js';

describe('kvm: dirty logging', { skip: KVM_SKIP }, () => {
  test('guest and VMM writes are logged; moving and then removing the region keeps the bits', async () => {
    const m = await machine();
    try {
      const ram = m.vm.memoryMap()[0]!;
      const fb = m.vm.createMemory(0x10000, { name: 'framebuffer' });
      const at = (addr: number): MemoryRegion => ({ guestAddr: gpa(addr), size: fb.size, backing: fb, offset: 0, logDirty: true, name: 'fb' });
      m.vm.setMemoryMap([ram, at(0x30000000)]);
      loadLongMode(m, `movl $1, 0x30000000\nmovl $2, 0x30003ffc\nmovl $3, 0x3000f000\nmovl $4, 0x3f000000\nud2`, { cpl: 3 });
      assert.equal(m.vcpu.run().kind, 'mmio', 'stopped after the three RAM writes');
      m.vm.memory.writeUint8(gpa(0x30005001), 0xaa);
      assert.deepEqual(m.vm.getDirtyLog({ addr: 0x30000000, size: fb.size }), [0, 3, 5, 15]);
      assert.deepEqual(m.vm.getDirtyLog({ addr: 0x30000000, size: fb.size }, { maxPages: 2 }), [0, 3]);
      // Move the region: KVM's bits are harvested before its slot goes and stay with the backing pages.
      m.vm.setMemoryMap([ram, at(0x38000000)]);
      assert.deepEqual(m.vm.getDirtyLog({ addr: 0x38000000, size: fb.size }), [0, 3, 5, 15]);
      // Clear part of them, dirty one more through the guest at the new place.
      assert.deepEqual(m.vm.getDirtyLog({ addr: 0x38000000, size: 0x4000 }, { clear: true }), [0, 3]);
      loadLongMode(m, `movl $5, 0x38008000\nmovl $4, 0x3f000000\nud2`, { cpl: 3 });
      assert.equal(m.vcpu.run().kind, 'mmio');
      // Remove it and put it back: nothing is lost in between.
      m.vm.setMemoryMap([ram]);
      m.vm.setMemoryMap([ram, at(0x30000000)]);
      assert.deepEqual(m.vm.getDirtyLog({ addr: 0x30000000, size: fb.size }, { clear: true }), [5, 8, 15]);
      assert.deepEqual(m.vm.getDirtyLog({ addr: 0x30000000, size: fb.size }), []);
      assert.equal(fb.view.getUint32(0x8000, true), 5);
    } finally {
      m.close();
    }
  });

  test('a 3 GiB backing: pages 2 GiB and more into it are logged (guest writes harvested from KVM, VMM writes), and survive a move', async () => {
    // Regression: byte offsets were turned into page numbers with `>> 12`, a 32-bit signed
    // shift: from 2 GiB into a backing the page numbers went negative and the bits were lost.
    const m = await machine();
    try {
      const ram = m.vm.memoryMap()[0]!;
      const big = m.vm.createMemory(3 * 2 ** 30, { name: 'big' });
      // 256 MiB of it, from 2.5 GiB into the backing, at 3 GiB (the test's identity map covers 3–4 GiB).
      const at = (addr: number): MemoryRegion => ({ guestAddr: gpa(addr), size: 0x1000_0000, backing: big, offset: 0xa000_0000, logDirty: true, name: 'window' });
      m.vm.setMemoryMap([ram, at(0xc000_0000)]);
      // Absolute disp32 addresses are sign-extended in 64-bit mode: through a register instead.
      loadLongMode(m, `mov $0xc0000000, %ebx\nmovl $1, (%rbx)\nmovl $2, 0xffffffc(%rbx)\nmovl $4, 0x3f000000\nud2`, { cpl: 3 });
      assert.equal(m.vcpu.run().kind, 'mmio', 'stopped after the two RAM writes');
      m.vm.memory.writeUint8(gpa(0xc000_7000), 0xaa);
      assert.deepEqual(m.vm.getDirtyLog({ addr: 0xc000_0000, size: 0x1000_0000 }), [0, 7, 0xffff]);
      m.vm.setMemoryMap([ram, at(0xd000_0000)]);
      assert.deepEqual(m.vm.getDirtyLog({ addr: 0xd000_0000, size: 0x1000_0000 }, { clear: true }), [0, 7, 0xffff]);
      assert.deepEqual(m.vm.getDirtyLog({ addr: 0, size: 2 ** 44 }), [], 'cleared; a 2^44-byte range costs only what is mapped');
      assert.equal(big.view.getUint32(0xa000_0000, true), 1, '2.5 GiB into the backing');
    } finally {
      m.close();
    }
  });

  test('an unchanged region keeps its slot across a replacement (no harvest, same data)', async () => {
    const m = await machine();
    try {
      const ram = m.vm.memoryMap()[0]!;
      const a = m.vm.createMemory(0x2000);
      const b = m.vm.createMemory(0x2000);
      m.vm.setMemoryMap([ram, { guestAddr: gpa(0x30000000), size: 0x2000, backing: a, offset: 0, logDirty: true }]);
      loadLongMode(m, `movl $7, 0x30001000\nmovl $4, 0x3f000000\nud2`, { cpl: 3 });
      assert.equal(m.vcpu.run().kind, 'mmio');
      m.vm.setMemoryMap([ram, { guestAddr: gpa(0x30000000), size: 0x2000, backing: a, offset: 0, logDirty: true }, { guestAddr: gpa(0x31000000), size: 0x2000, backing: b, offset: 0 }]);
      assert.deepEqual(m.vm.getDirtyLog({ addr: 0x30000000, size: 0x2000 }), [1]);
      assert.equal(m.vm.memoryMap().length, 3);
    } finally {
      m.close();
    }
  });
});
