/**
 * One thread per vCPU: a vCPU created and set up on the main thread moves to a worker
 * (transfer/adoptVcpu), which runs it with the VM's RAM mapped on its own; the main thread
 * still kicks it through a handle.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { BusyError, ClosedError, Hypervisor, UnsupportedError, gpa, type VcpuHandle } from '../../../../src/api/index.js';
import type { KvmBacking } from '../../../../src/accel/kvm/hypervisor.js';
import { KVM_SKIP, loadLongMode, machine } from '../../../support/kvm-vm.js';

function nextMessage<T>(w: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
}

describe('kvm: vCPU transfer to a worker thread', { skip: KVM_SKIP }, () => {
  test('the worker adopts the vCPU with its state, sees the same RAM, and a main-thread kick reaches it', async () => {
    const m = await machine();
    const ram = m.vm.memoryMap()[0]!.backing as KvmBacking;
    loadLongMode(m, `mov $0x1122334455667788, %rax\nmov %rax, 0x200000\nmov %rax, 0x30000000\n1: jmp 1b`, { cpl: 3 });
    assert.equal(m.vm.hypervisor.checkExtension('vcpu-transfer'), 1);
    const transfer = m.vcpu.transfer();
    assert.throws(() => m.vcpu.run(), ClosedError, 'the main thread\'s object is done with');
    assert.equal(m.vm.vcpus().length, 0);
    const w = new Worker(new URL('./transfer-worker.js', import.meta.url), { workerData: { transfer, ramFd: ram.fd, ramSize: ram.size } });
    try {
      const first = await nextMessage<{ report: { kind: string; addr: number; value: bigint }; seenByWorker: bigint; handle: VcpuHandle }>(w);
      assert.deepEqual(first.report, { kind: 'mmio', addr: 0x30000000, value: 0x1122334455667788n });
      assert.equal(first.seenByWorker, 0x1122334455667788n, 'the worker\'s own mapping of the memfd');
      assert.equal(m.vm.memory.readBigUint64LE(gpa(0x200000)), 0x1122334455667788n, 'and the main thread\'s');
      const second = nextMessage<{ second: string }>(w);
      const remote = await Hypervisor.attachVcpu(first.handle);
      await new Promise((r) => setTimeout(r, 50));
      remote.kick();
      assert.deepEqual(await second, { second: 'interrupted' });
      await assert.rejects(Hypervisor.adoptVcpu(transfer), BusyError, 'a transfer is adopted once');
    } finally {
      await w.terminate();
      m.close();
    }
  });

  test('accelerators without vcpu-transfer say so', async () => {
    const hv = await Hypervisor.open({ accel: 'e500' });
    const vm = hv.createVm();
    const v = vm.createVcpu(0, { target: 'e500mc' });
    assert.throws(() => v.transfer(), UnsupportedError);
    await assert.rejects(Hypervisor.adoptVcpu({ accel: 'e500', id: 0, target: 'e500mc', state: null }), UnsupportedError);
  });
});
