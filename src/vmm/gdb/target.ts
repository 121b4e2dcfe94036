/**
 * What the gdb stub needs from a machine: its vCPUs (through the hypervisor API's Vcpu
 * calls only), guest-physical memory, and how many hardware breakpoint slots the
 * accelerator has. The machine thread builds one over its board's VM; unit tests build one
 * over a bare e500 VM or a fake.
 */
import type { Vcpu, Vm } from '../../api/hypervisor.js';
import type { GuestMemory } from '../../api/memory.js';
import { bookeDebugTranslate } from '../../api/booke-debug.js';
import { ppcE500Description, x86_64Description, type TargetDescription } from './target-description.js';

/** The subset of Vcpu the stub calls; all of it only while the vCPU does not run. */
export type DebugVcpu = Pick<Vcpu, 'id' | 'target' | 'registerList' | 'getRegisters' | 'setRegisters' | 'translate' | 'setGuestDebug' | 'swBreakpointInstruction'>;

export interface GdbTarget {
  /** vCPUs in the order gdb numbers its threads (thread N = vcpus[N - 1]). */
  readonly vcpus: readonly DebugVcpu[];
  readonly memory: Pick<GuestMemory, 'read' | 'write' | 'isMapped'>;
  /** Hardware breakpoints + watchpoints one vCPU accepts (checkExtension('guest-debug-hw-bps')). */
  readonly hwBreakpointSlots: number;
  readonly description: TargetDescription;
  /** Effective addresses are this many bits wide (32 on e500, 64 on x86-64). */
  readonly addressBits: 32 | 64;
  /** The guest-physical address a debugger reads at `ea` on `vcpu` (no side effects), or null. */
  debugTranslate(vcpu: DebugVcpu, ea: number): number | null;
}

/** x86 and anything with one address space: the vCPU's own translation. */
export function plainDebugTranslate(vcpu: DebugVcpu, ea: number): number | null {
  const t = vcpu.translate(ea);
  return t.kind === 'mapped' ? t.phys : null;
}

/** A target over a VM of the hypervisor API; the description follows the VM's architecture. */
export function vmTarget(vm: Vm): GdbTarget {
  const vcpus = vm.vcpus();
  const first = vcpus[0];
  if (first === undefined) throw new RangeError('the VM has no vCPUs to debug');
  const arch = vm.hypervisor.arch;
  const description = arch === 'ppc' ? ppcE500Description(first.target, first.registerList()) : x86_64Description();
  return {
    vcpus,
    memory: vm.memory,
    hwBreakpointSlots: vm.hypervisor.checkExtension('guest-debug-hw-bps'),
    description,
    addressBits: arch === 'ppc' ? 32 : 64,
    // Book E: data side, then instruction side, as QEMU's stub (early Linux runs in AS1 with MSR[DS]=0).
    debugTranslate: arch === 'ppc' ? bookeDebugTranslate : plainDebugTranslate,
  };
}
