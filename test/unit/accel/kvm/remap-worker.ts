/**
 * Worker for remap.test.ts: adopts a vCPU whose guest reads a RAM window over and over, and
 * runs it until the main thread asks it to stop (a word, then a kick). Any exit before that
 * is reported: an MMIO exit is the guest finding a hole where the memory map always had RAM.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Hypervisor, type VcpuTransfer } from '../../../../src/api/index.js';

const { transfer, stop } = workerData as { transfer: VcpuTransfer; stop: SharedArrayBuffer };
const stopWord = new Int32Array(stop);
const vcpu = await Hypervisor.adoptVcpu(transfer);
parentPort!.postMessage({ handle: vcpu.handle() });
const unexpected: string[] = [];
for (;;) {
  const e = vcpu.run();
  if (e.kind === 'interrupted' && Atomics.load(stopWord, 0) === 1) break;
  unexpected.push(e.kind === 'mmio' ? `mmio ${e.isWrite ? 'write' : 'read'} at 0x${e.addr.toString(16)}` : e.kind);
  if (e.kind !== 'interrupted') break;
}
vcpu.close();
parentPort!.postMessage({ unexpected });
