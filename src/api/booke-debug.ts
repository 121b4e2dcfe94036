/**
 * How a debugger finds the guest-physical address of an effective address on a Book E vCPU,
 * as QEMU's debug translation does for these cores (the monitor's gva2gpa and x, the gdb
 * stub's memory packets): the data side first, then the instruction side, because early
 * boot code (Linux's head_fsl_booke.S) runs from mappings only the instruction address space
 * (MSR[IS]) reaches while MSR[DS] still selects the other one.
 */
import type { Vcpu } from './hypervisor.js';

const MSR_PR = 0x4000;
const MSR_IS = 0x20;
const MSR_DS = 0x10;

/**
 * The guest-physical address of `ea` as QEMU's debugger view finds it on these cores: first
 * as a data load (address space MSR[DS], needing read permission at the current privilege),
 * then as an instruction fetch (MSR[IS], needing execute permission). The first entry that
 * matches the address, PID and address space decides each attempt. Null when neither works.
 */
export function bookeDebugTranslate(vcpu: Pick<Vcpu, 'translate' | 'registerList' | 'getRegisters'>, ea: number): number | null {
  const msrReg = vcpu.registerList().find((r) => r.name === 'msr');
  const msr = msrReg === undefined ? 0 : Number(vcpu.getRegisters([msrReg.id])[0]! & 0xffff_ffffn);
  const user = (msr & MSR_PR) !== 0;
  const load = vcpu.translate(ea, { as: (msr & MSR_DS) !== 0 ? 1 : 0 });
  if (load.kind === 'mapped' && load.booke !== undefined && (user ? load.booke.ur : load.booke.sr)) return load.phys;
  const fetch = vcpu.translate(ea, { as: (msr & MSR_IS) !== 0 ? 1 : 0 });
  if (fetch.kind === 'mapped' && fetch.booke !== undefined && (user ? fetch.booke.ux : fetch.booke.sx)) return fetch.phys;
  return null;
}
