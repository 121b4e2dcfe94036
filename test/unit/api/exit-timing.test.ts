/**
 * Exit timing (seed 004): per exit kind, how many exits the VMM handled and how long it took
 * from run() returning to the next run(), opt-in per vCPU and free while off. Measured in the
 * API's front, so the e500 VM here stands for both accelerators (the kvm variant runs where
 * /dev/kvm exists). No test here depends on how long anything takes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ArgumentRangeError, Hypervisor, type Vcpu } from '../../../src/api/index.js';
import { e500Vm } from '../../support/e500-vm.js';
import { KVM_SKIP, loadRealMode, machine } from '../../support/kvm-vm.js';
import { asm, words } from '../../support/ppc-asm.js';

/** A guest that writes to MMIO forever: every run() is one `mmio` exit. */
const MMIO_LOOP = words(asm.lis(2, 0x0300), asm.stw(0, 2, 0), asm.b(-4));

/** Counts the clock reads while `f` runs. */
function clockReads(f: () => void): number {
  const original = performance.now;
  let n = 0;
  performance.now = () => {
    n++;
    return original.call(performance);
  };
  try {
    f();
  } finally {
    performance.now = original;
  }
  return n;
}

function runTimes(vcpu: Vcpu, n: number): void {
  for (let i = 0; i < n; i++) vcpu.run();
}

describe('exit timing', () => {
  test('every accelerator has it; off by default, and then run() reads no clock', async () => {
    for (const accel of ['e500', 'kvm'] as const) {
      if (accel === 'kvm' && KVM_SKIP !== undefined) continue;
      const hv = await Hypervisor.open({ accel });
      assert.equal(hv.checkExtension('exit-timing'), 1, accel);
      assert.equal(hv.capabilities().get('exit-timing'), 1, accel);
      hv.close();
    }
    const { vcpu } = await e500Vm({ code: MMIO_LOOP });
    assert.equal(vcpu.exitTiming(), null);
    assert.equal(clockReads(() => runTimes(vcpu, 50)), 0);
  });

  test('on: each handled exit is counted under its kind with total, min and max; off again: null', async () => {
    const { vcpu } = await e500Vm({ code: MMIO_LOOP });
    vcpu.enableCap('exit-timing', [1]);
    assert.deepEqual(vcpu.exitTiming(), {}, 'nothing handled yet');
    assert.ok(clockReads(() => runTimes(vcpu, 10)) > 0);
    // Ten exits returned; nine were handled (the tenth's time ends at the next run()).
    const t = vcpu.exitTiming()!;
    assert.deepEqual(Object.keys(t), ['mmio']);
    const m = t['mmio']!;
    assert.equal(m.count, 9);
    assert.ok(m.minNs >= 0 && m.minNs <= m.maxNs && m.maxNs <= m.totalNs, JSON.stringify(m));
    assert.ok(Number.isInteger(m.totalNs));
    vcpu.run();
    assert.equal(vcpu.exitTiming()!['mmio']!.count, 10);
    vcpu.enableCap('exit-timing', [1]);
    assert.deepEqual(vcpu.exitTiming(), {}, 'enabling again starts from zero');
    vcpu.enableCap('exit-timing', [0]);
    assert.equal(vcpu.exitTiming(), null);
    assert.equal(clockReads(() => runTimes(vcpu, 10)), 0);
  });

  test('runVcpus (the cooperative scheduler) times the exits of the vCPU that exited', async () => {
    const { vm, vcpu } = await e500Vm({ code: MMIO_LOOP });
    vcpu.enableCap('exit-timing', [1]);
    for (let i = 0; i < 5; i++) assert.equal(vm.runVcpus().vcpu, vcpu, 'the exit names the vCPU handed out');
    assert.equal(vcpu.exitTiming()!['mmio']!.count, 4);
  });

  test('wrong arguments are typed errors', async () => {
    const { vcpu } = await e500Vm({ code: MMIO_LOOP });
    for (const args of [[], [2], [1, 1], [-1]]) assert.throws(() => vcpu.enableCap('exit-timing', args), ArgumentRangeError, JSON.stringify(args));
  });

  test('kvm: PIO exits timed the same way', { skip: KVM_SKIP }, async () => {
    const m = await machine();
    try {
      loadRealMode(m, '1: out %al, $0x80\njmp 1b');
      m.vcpu.enableCap('exit-timing', [1]);
      runTimes(m.vcpu, 6);
      assert.equal(m.vcpu.exitTiming()!['pio']!.count, 5);
    } finally {
      m.close();
    }
  });
});
