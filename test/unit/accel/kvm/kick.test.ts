/**
 * kick() from another thread: the vCPU thread is inside KVM_RUN with a guest that never
 * exits; the main thread kicks it through a handle (immediate_exit + a signal to the thread).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { Hypervisor } from '../../../../src/api/index.js';
import type { VcpuHandle } from '../../../../src/api/hypervisor.js';
import { KVM_SKIP, loadRealMode, machine } from '../../../support/kvm-vm.js';

function nextMessage<T>(w: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('kvm: kick', { skip: KVM_SKIP }, () => {
  for (const mode of ['cpl3', 'real'] as const) {
    test(`a guest spinning forever (${mode === 'cpl3' ? 'native CPL3' : 'emulated real mode'}) is interrupted by a kick from the main thread, twice`, async () => {
      const w = new Worker(new URL('./kick-worker.js', import.meta.url), { workerData: { mode } });
      try {
        const { handle } = await nextMessage<{ handle: VcpuHandle }>(w);
        const remote = await Hypervisor.attachVcpu(handle);
        const first = nextMessage<{ first: string; stats: number }>(w);
        // The worker may not be inside KVM_RUN yet: immediate_exit covers that case too.
        await sleep(50);
        remote.kick();
        assert.deepEqual(await first, { first: 'interrupted', stats: 1 });
        const second = nextMessage<{ second: string }>(w);
        await sleep(50);
        remote.kick();
        assert.deepEqual(await second, { second: 'interrupted' });
      } finally {
        await w.terminate();
      }
    });
  }

  test('a kick on the vCPU thread before run() makes the next run() return interrupted, once', async () => {
    const m = await machine();
    try {
      loadRealMode(m, 'out %al, $0x10\nhlt');
      m.vcpu.kick();
      assert.equal(m.vcpu.run().kind, 'interrupted');
      assert.equal(m.vcpu.run().kind, 'pio');
      assert.equal(m.vcpu.run().kind, 'halt');
    } finally {
      m.close();
    }
  });
});
