/**
 * Ownership of the shared TLB across threads: the vCPU runs in a worker, the VMM side (this
 * thread) maps the same SharedArrayBuffer. When run() returns, the array shows what the guest
 * wrote; what the VMM writes reaches the guest after dirtyTlb; writes while the guest runs
 * are the VMM's mistake but cannot crash the VMM or the accelerator.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { MMU_FSL_BOOKE_NOHV } from '../../../src/api/booke.js';
import { BookeTlbView } from '../../../src/api/booke-tlb-view.js';
import { attachVcpu, type VcpuHandle } from '../../../src/api/index.js';
import type { TlbWorkerRequest } from '../../support/booke-tlb-worker.js';

const GEOMETRY = { target: 'e500v2', tlb0: 512, tlb0Ways: 4, tlb1: 16 };

function start(): Promise<{ worker: Worker; view: BookeTlbView; handle: VcpuHandle; call: (r: TlbWorkerRequest) => Promise<{ value?: number; exit?: string }> }> {
  const worker = new Worker(new URL('../../support/booke-tlb-worker.js', import.meta.url), { workerData: GEOMETRY });
  const replies: ((m: { op: string; value?: number; exit?: string; message?: string }) => void)[] = [];
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (ready: { array: SharedArrayBuffer; handle: VcpuHandle }) => {
      worker.on('message', (m: { op: string; message?: string }) => replies.shift()?.(m));
      const view = new BookeTlbView({
        mmuType: MMU_FSL_BOOKE_NOHV,
        params: { tlbSizes: [GEOMETRY.tlb0, GEOMETRY.tlb1, 0, 0], tlbWays: [GEOMETRY.tlb0Ways, GEOMETRY.tlb1, 0, 0] },
        array: ready.array,
        arrayLength: ready.array.byteLength,
      });
      const call = (r: TlbWorkerRequest): Promise<{ value?: number; exit?: string }> =>
        new Promise((res, rej) => {
          replies.push((m) => (m.op === 'error' ? rej(new Error(m.message)) : res(m)));
          worker.postMessage(r);
        });
      resolve({ worker, view, handle: ready.handle, call });
    });
  });
}

test('the guest TLB, the VMM edits and dirtyTlb across threads', async () => {
  const { worker, view, handle, call } = await start();
  try {
    // Guest tlbwe into TLB1[1]: EA 0x9000_0000 -> PA 0x0010_0000, 4 KiB. Visible here once run() returned.
    await call({ op: 'tlbwe', mas: { mas0: 0x10010000, mas1: 0x80000100, mas2: 0x90000000, mas3: 0x00100000 | 0x3f, mas7: 0 } });
    const slot = view.read(1, 1);
    assert.equal(slot.entry.mas1, 0x80000100);
    assert.equal(slot.entry.mas2, 0x90000000);
    assert.equal(slot.entry.mas7_3, 0x0010003fn);
    assert.equal((await call({ op: 'load', ea: 0x90000000 })).value, 0x00100000);

    // The VMM retargets the entry in the shared array; after dirtyTlb the guest sees it.
    view.write(1, 1, 0, { ...slot.entry, mas7_3: 0x0020003fn });
    const bitmap = new Uint8Array(Math.ceil(view.totalEntries / 8));
    bitmap[(GEOMETRY.tlb0 + 1) >>> 3]! |= 1 << ((GEOMETRY.tlb0 + 1) & 7);
    await call({ op: 'dirty', bitmap, count: 1 });
    assert.equal((await call({ op: 'load', ea: 0x90000000 })).value, 0x00200000);

    // Scribbling over the array while the guest runs is undefined for the guest, not fatal:
    // afterwards the VMM restores it, says everything is dirty, and all is well again.
    const running = call({ op: 'spin' });
    await new Promise((r) => setTimeout(r, 50));
    const saved = view.snapshot();
    for (let i = 1; i < view.totalEntries; i++) view.writeAt(i, { mas8: i, mas1: (i * 0x9e3779b9) >>> 0, mas2: (i * 0x85ebca6b) >>> 0, mas7_3: BigInt(i) * 0x1234567n });
    attachVcpu(handle).kick();
    assert.equal((await running).exit, 'interrupted');
    view.restore(saved);
    await call({ op: 'dirty', bitmap: null, count: view.totalEntries });
    assert.equal((await call({ op: 'load', ea: 0x90000000 })).value, 0x00200000);
  } finally {
    await worker.terminate();
  }
});
