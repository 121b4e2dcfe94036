/**
 * Public entry point of the hypervisor API: `Hypervisor.open({ accel })`.
 */
import { ArgumentRangeError } from './errors.js';
import { checkObject } from './validate.js';
import type { AcceleratorName, Hypervisor as HypervisorT, HypervisorOptions } from './hypervisor.js';

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
import { attachVcpu, type RemoteVcpu } from './threads.js';
import { UnsupportedError } from './errors.js';
import { CheckedHypervisor, CheckedVcpu, checkHandle, checkTransfer } from './checked.js';
import type { Vcpu, VcpuHandle, VcpuTransfer } from './hypervisor.js';

const ACCELERATORS: readonly AcceleratorName[] = ['e500', 'kvm'];

async function open(options: HypervisorOptions): Promise<HypervisorT> {
  const o = checkObject('Hypervisor.open: the options', options);
  if (!(ACCELERATORS as readonly unknown[]).includes(o['accel'])) {
    throw new ArgumentRangeError(`unknown accelerator ${JSON.stringify(o['accel'])}; choose one of: ${ACCELERATORS.join(', ')}`);
  }
  switch (options.accel) {
    case 'e500': {
      const { E500Hypervisor } = await import('../accel/e500/hypervisor.js');
      return new CheckedHypervisor(new E500Hypervisor());
    }
    case 'kvm': {
      const { KvmHypervisor } = await import('../accel/kvm/hypervisor.js');
      return new CheckedHypervisor(KvmHypervisor.open());
    }
  }
}

/**
 * `attachVcpu` for any accelerator: loads what the handle's accelerator needs to kick from
 * this thread (kvm: the native shim), then returns the remote view of the vCPU.
 */
async function attachVcpuAsync(handle: VcpuHandle): Promise<RemoteVcpu> {
  checkHandle(handle);
  if (handle.accel === 'kvm') await import('../accel/kvm/kick.js');
  return attachVcpu(handle);
}

/**
 * `Hypervisor.open({ accel })` — the software accelerator `e500` is always available; `kvm`
 * needs /dev/kvm and the native addon, and says which is missing.
 */
/** Turns a `Vcpu.transfer()` posted from another thread into a Vcpu bound to this thread. */
async function adoptVcpu(transfer: VcpuTransfer): Promise<Vcpu> {
  checkTransfer(transfer);
  if (transfer.accel === 'kvm') {
    const { adoptKvmVcpu } = await import('../accel/kvm/vcpu.js');
    return new CheckedVcpu(adoptKvmVcpu(transfer), null);
  }
  throw new UnsupportedError(`accelerator ${JSON.stringify(transfer?.accel)} cannot move vCPUs between threads (capability "vcpu-transfer")`);
}

export const Hypervisor = { open, attachVcpu: attachVcpuAsync, adoptVcpu } as const;
export type Hypervisor = HypervisorT;
