/**
 * setMemoryMap is atomic for a vCPU running on another thread (seed 001). KVM changes one
 * memory slot per call; a region that changes in place (another backing behind the same
 * guest addresses) is a delete and an add, and a guest running meanwhile used to find a hole
 * there (an MMIO exit for an address both maps back with RAM). Now every vCPU of the VM is
 * stopped around the slot changes, transparently for the guest and the vCPU's thread.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { Hypervisor, gpa, type MemoryRegion, type VcpuHandle } from '../../../../src/api/index.js';
import { KVM_SKIP, loadLongMode, machine } from '../../../support/kvm-vm.js';

const WINDOW = 0x3000_0000;
const WINDOW_SIZE = 0x10000;
const COUNTER = 0x20_0000;
const FLIPS = 100;

describe('kvm: setMemoryMap under a running vCPU', { skip: KVM_SKIP }, () => {
  test('a guest reading a window over and over never sees a hole while the VMM swaps the backing under it and moves another region', async () => {
    const m = await machine();
    const ram = m.vm.memoryMap()[0]!;
    const a = m.vm.createMemory(WINDOW_SIZE, { name: 'a' });
    const b = m.vm.createMemory(WINDOW_SIZE, { name: 'b' });
    const moving = m.vm.createMemory(0x1000, { name: 'moving' });
    const map = (i: number): MemoryRegion[] => [
      ram,
      { guestAddr: gpa(WINDOW), size: WINDOW_SIZE, backing: i % 2 === 0 ? a : b, offset: 0, name: 'window' },
      { guestAddr: gpa(i % 2 === 0 ? 0x3100_0000 : 0x3200_0000), size: 0x1000, backing: moving, offset: 0, name: 'moving' },
    ];
    m.vm.setMemoryMap(map(0));
    // CPL3 (native speed under PVM too): read every quadword of the window, count the passes in RAM.
    loadLongMode(m, `1: mov $${WINDOW}, %rbx\nmov $${WINDOW_SIZE / 8}, %ecx\n2: mov (%rbx), %rax\nadd $8, %rbx\ndec %ecx\njnz 2b\nincl ${COUNTER}\njmp 1b`, { cpl: 3 });
    const transfer = m.vcpu.transfer();
    const stop = new SharedArrayBuffer(4);
    const w = new Worker(new URL('./remap-worker.js', import.meta.url), { workerData: { transfer, stop } });
    try {
      const messages: unknown[] = [];
      const waiters: ((m: unknown) => void)[] = [];
      w.on('message', (msg) => (waiters.shift() ?? ((x: unknown) => messages.push(x)))(msg));
      const next = (): Promise<unknown> => (messages.length > 0 ? Promise.resolve(messages.shift()) : new Promise((r) => waiters.push(r)));
      const { handle } = (await next()) as { handle: VcpuHandle };
      let report: { unexpected: string[] } | undefined;
      const finished = next().then((r) => (report = r as { unexpected: string[] }));
      const passes = (): number => m.vm.memory.readUint32LE(gpa(COUNTER));
      let last = passes();
      let flips = 0;
      for (let i = 1; i <= FLIPS && report === undefined; i++) {
        // Each change lands while the guest is mid-loop: wait for a pass since the last one.
        while (passes() === last && report === undefined) await sleep(1);
        last = passes();
        m.vm.setMemoryMap(map(i));
        flips++;
      }
      Atomics.store(new Int32Array(stop), 0, 1);
      (await Hypervisor.attachVcpu(handle)).kick();
      await finished;
      assert.deepEqual(report?.unexpected, [], 'no hole, and no exit at all until the final kick (a pause is not an exit)');
      assert.equal(flips, FLIPS);
      assert.ok(passes() >= FLIPS, 'the guest read the window between every two changes');
    } finally {
      await w.terminate();
      m.close();
    }
  });
});
