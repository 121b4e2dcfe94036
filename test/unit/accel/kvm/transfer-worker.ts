/**
 * Worker for transfer.test.ts: adopts a vCPU created on the main thread, maps the VM's RAM
 * itself, runs the guest and reports its exits; the last run is ended by a kick from the
 * main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Hypervisor, type VcpuTransfer } from '../../../../src/api/index.js';
import { mapBacking } from '../../../../src/accel/kvm/hypervisor.js';

const { transfer, ramFd, ramSize } = workerData as { transfer: VcpuTransfer; ramFd: number; ramSize: number };
const vcpu = await Hypervisor.adoptVcpu(transfer);
const [ram] = mapBacking(ramFd, ramSize);
const first = vcpu.run();
const report = first.kind === 'mmio' ? { kind: first.kind, addr: first.addr, value: new DataView(first.data.buffer, first.data.byteOffset, 8).getBigUint64(0, true) } : { kind: first.kind };
parentPort!.postMessage({ report, seenByWorker: new DataView(ram!.buffer, ram!.byteOffset).getBigUint64(0x200000, true), handle: vcpu.handle() });
const second = vcpu.run(); // the guest spins now: only a kick ends this
parentPort!.postMessage({ second: second.kind });
vcpu.close();
