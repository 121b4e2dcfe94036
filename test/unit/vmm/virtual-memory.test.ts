/** Debugger-style virtual memory access through Vcpu.translate and the shared TLB. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UnmappedAddressError } from '../../../src/api/errors.js';
import { readVirtual, writeVirtual } from '../../../src/vmm/virtual-memory.js';
import { tlbVm } from '../../support/booke-tlb-vm.js';

test('reads and writes cross pages mapped to scattered physical pages; unmapped pages are errors', async () => {
  const t = await tlbVm({ target: 'e500mc', tlb0: 512, tlb0Ways: 4, tlb1: 64 });
  // EA 0xA000_0000 -> PA 0x0020_0000 and EA 0xA000_1000 -> PA 0x0001_0000 (TLB0), TS 0, TID 0.
  t.view.write(0, 0, 0xa000_0000, { mas8: 0, mas1: 0x80000100, mas2: 0xa000_0000, mas7_3: 0x0020_0000n | 0x15n });
  t.view.write(0, 1, 0xa000_1000, { mas8: 0, mas1: 0x80000100, mas2: 0xa000_1000, mas7_3: 0x0001_0000n | 0x15n });
  t.view.sync(t.vcpu);
  // Every RAM word holds its own address.
  const bytes = readVirtual(t.vm, t.vcpu, 0xa000_0ff8, 16);
  const dv = new DataView(bytes.buffer);
  assert.deepEqual([dv.getUint32(0), dv.getUint32(4), dv.getUint32(8), dv.getUint32(12)], [0x0020_0ff8, 0x0020_0ffc, 0x0001_0000, 0x0001_0004]);
  writeVirtual(t.vm, t.vcpu, 0xa000_0ffe, new Uint8Array([1, 2, 3, 4]));
  assert.deepEqual([...readVirtual(t.vm, t.vcpu, 0xa000_0ffe, 4)], [1, 2, 3, 4]);
  assert.equal(t.load(0xa000_1000, 0) >>> 0, 0x0304_0000, 'the guest sees the bytes written at PA 0x1_0000');
  assert.throws(() => readVirtual(t.vm, t.vcpu, 0xa000_1ffc, 8), UnmappedAddressError);
  assert.throws(() => readVirtual(t.vm, t.vcpu, 0xffff_fffc, 8), RangeError);
  assert.deepEqual([...readVirtual(t.vm, t.vcpu, 0x1000, 0)], []);
});
