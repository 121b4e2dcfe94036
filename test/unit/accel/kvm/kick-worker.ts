/**
 * Worker for kick.test.ts: builds a VM whose guest spins forever, hands the vCPU's handle to
 * the main thread and reports what run() returned once kicked.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadLongMode, loadRealMode, machine } from '../../../support/kvm-vm.js';

const { mode } = workerData as { mode: 'cpl3' | 'real' };
const m = await machine();
if (mode === 'cpl3') loadLongMode(m, '1: jmp 1b', { cpl: 3 });
else loadRealMode(m, '1: jmp 1b');
parentPort!.postMessage({ handle: m.vcpu.handle() });
const first = m.vcpu.run();
// After an interrupted exit the vCPU runs on normally: a single guest instruction later the
// next kick is needed again.
parentPort!.postMessage({ first: first.kind, stats: m.vcpu.stats()['interrupted'] });
const second = m.vcpu.run();
parentPort!.postMessage({ second: second.kind });
m.close();
