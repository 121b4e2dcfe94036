/**
 * The TLB-sync contract of seeds 000/001: which MMU types keep the shared array in step with
 * the guest's TLB on every return from run(), and the explicit sync (Vcpu.syncTlb) for the
 * type that is only promised to after it. The VMM's readers go through BookeTlbView.refresh,
 * which syncs exactly where the MMU type needs it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MMU_FSL_BOOKE_HV, MMU_FSL_BOOKE_NOHV, bookeTlbSyncedOnExit } from '../../../src/api/booke.js';
import { ClosedError, UnsupportedError } from '../../../src/api/index.js';
import { Monitor } from '../../../src/vmm/monitor/monitor.js';
import { KVM_SKIP, machine } from '../../support/kvm-vm.js';
import { tlbVm } from '../../support/booke-tlb-vm.js';

/** A guest tlbwe into TLB1[3] and into way 2 of TLB0's set for 0x5000_1000. */
const TLB1_ENTRY = { mas0: 0x10030000, mas1: 0x80000100, mas2: 0x90000000, mas3: 0x00100000 | 0x3f, mas7: 0 };
const TLB0_ENTRY = { mas0: 0x00020000, mas1: 0x80000100, mas2: 0x50001000, mas3: 0x00200000 | 0x15, mas7: 0 };

describe('Book E TLB sync contract', () => {
  test('FSL_BOOKE_NOHV is synchronized on every return from run(); FSL_BOOKE_HV only after syncTlb()', () => {
    assert.equal(bookeTlbSyncedOnExit(MMU_FSL_BOOKE_NOHV), true);
    assert.equal(bookeTlbSyncedOnExit(MMU_FSL_BOOKE_HV), false);
  });

  for (const target of ['e500v2', 'e500mc'] as const) {
    test(`${target}: the guest's tlbwe shows in the array when the VMM reads it the way the contract says`, async () => {
      const t = await tlbVm({ target, tlb0: 512, tlb0Ways: 4, tlb1: target === 'e500mc' ? 64 : 16 });
      const synced = target === 'e500v2';
      assert.equal(t.view.syncedOnExit, synced);
      let syncs = 0;
      const counting = { syncTlb: () => (syncs++, t.vcpu.syncTlb()) };
      t.tlbwe(TLB1_ENTRY);
      t.tlbwe(TLB0_ENTRY);
      t.view.refresh(counting);
      assert.equal(syncs, synced ? 0 : 1, 'refresh syncs only where the MMU type needs it');
      const e1 = t.view.read(1, 3).entry;
      assert.deepEqual([e1.mas1, e1.mas2, e1.mas7_3], [TLB1_ENTRY.mas1, TLB1_ENTRY.mas2, BigInt(TLB1_ENTRY.mas3)]);
      const e0 = t.view.read(0, 2, 0x5000_1000).entry;
      assert.deepEqual([e0.mas1, e0.mas2, e0.mas7_3], [TLB0_ENTRY.mas1, TLB0_ENTRY.mas2, BigInt(TLB0_ENTRY.mas3)]);
      // syncTlb is allowed for every type, any number of times, between runs.
      t.vcpu.syncTlb();
      t.vcpu.syncTlb();
      t.vm.close();
      assert.throws(() => t.vcpu.syncTlb(), ClosedError);
    });

    test(`${target}: the monitor's info tlb refreshes the array first where the MMU type needs it`, async () => {
      const t = await tlbVm({ target, tlb0: 512, tlb0Ways: 4, tlb1: target === 'e500mc' ? 64 : 16 });
      t.tlbwe(TLB1_ENTRY);
      let syncs = 0;
      const vcpu = t.vcpu;
      const monitor = new Monitor({
        version: 'test',
        accelerator: 'e500',
        cpus: [{ vcpu: { translate: (ea, o) => vcpu.translate(ea, o), registerList: () => vcpu.registerList(), getRegisters: (ids) => vcpu.getRegisters(ids), stats: () => vcpu.stats(), syncTlb: () => (syncs++, vcpu.syncTlb()) }, bookeTlb: t.view }],
        readPhysical: () => null,
        memoryRegions: () => [],
        runStatus: () => 'running',
        pause: () => {},
        resume: () => {},
        requestReset: () => {},
        requestQuit: () => {},
      });
      const out = monitor.execute('info tlb');
      assert.match(out, /0x0000000090000000 0x0000000000100000   4K/, out);
      assert.equal(syncs, target === 'e500mc' ? 1 : 0);
    });
  }

  test('kvm (x86) has no software TLB: syncTlb is unsupported', { skip: KVM_SKIP }, async () => {
    const m = await machine();
    try {
      assert.throws(() => m.vcpu.syncTlb(), UnsupportedError);
    } finally {
      m.close();
    }
  });
});
