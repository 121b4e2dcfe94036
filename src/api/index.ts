/**
 * Public entry point of the hypervisor API: `Hypervisor.open({ accel })`.
 */
import { checkObject } from './validate.js';
import type { Hypervisor as HypervisorT, HypervisorOptions } from './hypervisor.js';

export * from './errors.js';
export * from './exit.js';
export * from './hypervisor.js';
export * from './memory.js';
export * from './registers.js';
export * from './events.js';
export * from './x86-registers.js';
export { validateMemoryMap, MappedGuestMemory } from './memory-map.js';
export type { DirtyLogOptions, DirtyLogRange } from './dirty-log.js';
export type { ExitTiming, ExitTimingStats } from './exit-timing.js';
export { attachVcpu, RemoteVcpu, registerRemoteKicker } from './threads.js';
export { accelerators, planAccelerator, fallbackAfterFailure, type AcceleratorInfo, type AcceleratorPlan, type TargetInfo } from './accelerators.js';
import { attachVcpu, type RemoteVcpu } from './threads.js';
import { UnsupportedError } from './errors.js';
import { acceleratorModule, type TargetInfo } from './accelerators.js';
import { CheckedHypervisor, CheckedVcpu, checkHandle, checkTransfer } from './checked.js';
import type { AcceleratorName, Vcpu, VcpuHandle, VcpuTransfer } from './hypervisor.js';

/**
 * `Hypervisor.open({ accel })`: the software accelerator `e500` is always available; `kvm`
 * needs /dev/kvm and the native addon, and says which is missing.
 */
async function open(options: HypervisorOptions): Promise<HypervisorT> {
  const o = checkObject('Hypervisor.open: the options', options);
  return new CheckedHypervisor(await acceleratorModule(o['accel']).open());
}

/** The CPU models of an accelerator, without opening it (the same names as `hv.targets()`). */
async function targets(accel: AcceleratorName): Promise<readonly TargetInfo[]> {
  return acceleratorModule(accel).targets();
}

/**
 * `attachVcpu` for any accelerator: loads what the handle's accelerator needs to kick from
 * this thread (kvm: the native shim), then returns the remote view of the vCPU.
 */
async function attachVcpuAsync(handle: VcpuHandle): Promise<RemoteVcpu> {
  checkHandle(handle);
  await acceleratorModule(handle.accel).prepareKick?.();
  return attachVcpu(handle);
}

/** Turns a `Vcpu.transfer()` posted from another thread into a Vcpu bound to this thread. */
async function adoptVcpu(transfer: VcpuTransfer): Promise<Vcpu> {
  checkTransfer(transfer);
  const m = acceleratorModule(transfer.accel);
  if (m.adopt === undefined) throw new UnsupportedError(`the ${m.name} accelerator cannot move vCPUs between threads (capability "vcpu-transfer")`);
  return new CheckedVcpu(await m.adopt(transfer), null);
}

export const Hypervisor = { open, targets, attachVcpu: attachVcpuAsync, adoptVcpu } as const;
export type Hypervisor = HypervisorT;
