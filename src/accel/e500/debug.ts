/**
 * Book E debug facility in internal debug mode (DBCR0[IDM]): instruction-complete,
 * branch-taken, instruction-address (IAC1/2), data-address (DAC1/2) and trap events,
 * recorded in DBSR and delivered as the debug interrupt when MSR[DE] allows it. An event
 * that happens while MSR[DE] is 0 is recorded with DBSR[IDE] and taken as soon as MSR[DE]
 * becomes 1 (an imprecise debug event).
 *
 * QEMU 7.2 implements instruction-complete events only; the others follow the Power ISA and
 * the e500 manuals (IAC and DAC compare exact addresses; the range and user/supervisor
 * qualifiers of DBCR1/DBCR2 are not modelled).
 */
import type { Cpu } from './cpu.js';
import { SPR } from './cpu.js';
import { Ivor, Pending } from './interrupts.js';
import { MSR } from './models.js';

export const DBCR0 = {
  IDM: 0x40000000,
  ICMP: 0x08000000,
  BRT: 0x04000000,
  TRAP: 0x01000000,
  IAC1: 0x00800000,
  IAC2: 0x00400000,
  DAC1R: 0x00080000,
  DAC1W: 0x00040000,
  DAC2R: 0x00020000,
  DAC2W: 0x00010000,
} as const;

export const DBSR = {
  IDE: 0x80000000,
  ICMP: 0x08000000,
  BRT: 0x04000000,
  TRAP: 0x01000000,
  IAC1: 0x00800000,
  IAC2: 0x00400000,
  DAC1R: 0x00080000,
  DAC1W: 0x00040000,
  DAC2R: 0x00020000,
  DAC2W: 0x00010000,
} as const;

const DAC_ANY = DBCR0.DAC1R | DBCR0.DAC1W | DBCR0.DAC2R | DBCR0.DAC2W;

/**
 * The instruction word a debugger plants for a software breakpoint (primary opcode 0 is not
 * an instruction on these cores; upstream KVM for Book E uses the same word).
 */
export const SW_BREAKPOINT_INSN = 0x00dddd00;

/** A VMM watchpoint (setGuestDebug), separate from the guest's own DAC registers. */
export interface HostWatchpoint {
  readonly address: number;
  readonly length: number;
  readonly read: boolean;
  readonly write: boolean;
}

/** Recomputes which debug checks the vCPU must make; called when MSR or a debug SPR changes. */
export function updateDebugState(c: Cpu): void {
  const dbcr0 = c.spr[SPR.DBCR0]!;
  const idm = (dbcr0 & DBCR0.IDM) !== 0;
  const de = (c.msr & MSR.DE) !== 0;
  const wasDac = c.dacActive;
  c.dacActive = (idm && (dbcr0 & DAC_ANY) !== 0) || c.hostWatchpoints.length > 0;
  c.debugStepping =
    c.hostSingleStep ||
    c.hostBreakpoints.length > 0 ||
    c.hostWatchpoints.length > 0 ||
    (idm && ((de && (dbcr0 & (DBCR0.ICMP | DBCR0.BRT)) !== 0) || (dbcr0 & (DBCR0.IAC1 | DBCR0.IAC2)) !== 0));
  // Data-address compares need every access on the slow path.
  if (c.dacActive && !wasDac) c.mmu.flushSoftTlb();
  c.irq.setLine(Pending.Debug, (c.spr[SPR.DBSR]! & DBSR.IDE) !== 0 && (c.spr[SPR.DBSR]! & ~DBSR.IDE) !== 0);
}

/**
 * Records debug event bits; with MSR[DE] the caller takes the interrupt (returns true),
 * otherwise the event stays pending as an imprecise one.
 */
export function debugEvent(c: Cpu, bits: number): boolean {
  c.spr[SPR.DBSR] = (c.spr[SPR.DBSR]! | bits) >>> 0;
  if ((c.msr & MSR.DE) !== 0) return true;
  c.spr[SPR.DBSR] = (c.spr[SPR.DBSR]! | DBSR.IDE) >>> 0;
  c.irq.setLine(Pending.Debug, true);
  return false;
}

/** IAC events for the instruction about to execute at `pc` (it is not executed). */
export function checkIac(c: Cpu, pc: number): number {
  const dbcr0 = c.spr[SPR.DBCR0]!;
  if ((dbcr0 & DBCR0.IDM) === 0) return 0;
  let bits = 0;
  if ((dbcr0 & DBCR0.IAC1) !== 0 && (c.spr[SPR.IAC1]! & ~3) === pc) bits |= DBSR.IAC1;
  if ((dbcr0 & DBCR0.IAC2) !== 0 && (c.spr[SPR.IAC2]! & ~3) === pc) bits |= DBSR.IAC2;
  return bits;
}

/** DAC events of a data access; the access does not happen when the interrupt is taken. */
export function checkDac(c: Cpu, ea: number, size: number, isWrite: boolean): void {
  for (let k = 0; k < c.hostWatchpoints.length && c.hostWatchHit < 0; k++) {
    const w = c.hostWatchpoints[k]!;
    if ((isWrite ? w.write : w.read) && ea < w.address + w.length && w.address < ea + size) c.hostWatchHit = Math.max(ea, w.address);
  }
  const dbcr0 = c.spr[SPR.DBCR0]!;
  if ((dbcr0 & DBCR0.IDM) === 0) return;
  const hit = (addr: number): boolean => addr >= ea && addr < ea + size;
  let bits = 0;
  if (hit(c.spr[SPR.DAC1]!)) bits |= dbcr0 & (isWrite ? DBCR0.DAC1W : DBCR0.DAC1R);
  if (hit(c.spr[SPR.DAC2]!)) bits |= dbcr0 & (isWrite ? DBCR0.DAC2W : DBCR0.DAC2R);
  if (bits !== 0 && debugEvent(c, bits)) c.fault(Ivor.Debug, undefined);
}

/** A trap with DBCR0[TRAP] is a debug event instead of a program interrupt (when MSR[DE]). */
export function trapIsDebugEvent(c: Cpu): boolean {
  const dbcr0 = c.spr[SPR.DBCR0]!;
  if ((dbcr0 & (DBCR0.IDM | DBCR0.TRAP)) !== (DBCR0.IDM | DBCR0.TRAP) || (c.msr & MSR.DE) === 0) return false;
  return debugEvent(c, DBSR.TRAP);
}
