/**
 * Public entry point of the hypervisor API: `Hypervisor.open({ accel })`.
 */
import { AcceleratorUnavailableError, InvalidArgumentError } from './errors.js';
import type { AcceleratorName, Hypervisor as HypervisorT, HypervisorOptions } from './hypervisor.js';

export * from './errors.js';
export * from './exit.js';
export * from './hypervisor.js';
export * from './memory.js';
export * from './registers.js';
export * from './events.js';
export * from './x86-registers.js';
export { validateMemoryMap, MappedGuestMemory } from './memory-map.js';
export { attachVcpu, RemoteVcpu } from './threads.js';

const ACCELERATORS: readonly AcceleratorName[] = ['e500', 'kvm'];

async function open(options: HypervisorOptions): Promise<HypervisorT> {
  if (typeof options !== 'object' || options === null || !ACCELERATORS.includes(options.accel)) {
    throw new InvalidArgumentError(
      `unknown accelerator ${JSON.stringify((options as { accel?: unknown } | null)?.accel)}; choose one of: ${ACCELERATORS.join(', ')}`,
    );
  }
  switch (options.accel) {
    case 'e500': {
      const { E500Hypervisor } = await import('../accel/e500/hypervisor.js');
      return new E500Hypervisor();
    }
    case 'kvm':
      throw new AcceleratorUnavailableError('the kvm accelerator is not available in this build', 'ENODEV');
  }
}

/** `Hypervisor.open({ accel: 'e500' })` — the software accelerator is always available. */
export const Hypervisor = { open } as const;
export type Hypervisor = HypervisorT;
