/**
 * Supervisor and system instructions: MSR access, interrupt returns, system call and
 * hypercalls, traps, SPR/DCR/timebase moves, synchronisation, wait, doorbells and cache
 * management.
 */
import type { Cpu } from '../cpu.js';
import { HID0, SPR } from '../cpu.js';
import type { ExecFn, Insn } from '../block.js';
import { ESR, Ivor, Pending } from '../interrupts.js';
import { MSR } from '../models.js';
import { mfsprExec, mtsprExec } from '../spr.js';
import { trapIsDebugEvent } from '../debug.js';

/** Writes MSR and enters doze/nap/sleep when e500v2 software asks for it (MSR[WE] + HID0). */
export function writeMsr(c: Cpu, value: number): void {
  c.setMsr(value);
  if (
    (c.msr & MSR.WE) !== 0 &&
    (c.spr[SPR.HID0]! & (HID0.DOZE | HID0.NAP | HID0.SLEEP)) !== 0
  ) {
    c.halted = true;
  }
}

export const mfmsr: ExecFn = (c, i) => {
  c.requireSupervisor();
  c.gpr[i.d] = c.msr;
};

export const mtmsr: ExecFn = (c, i) => {
  c.requireSupervisor();
  writeMsr(c, c.gpr[i.d]! >>> 0);
};

export const wrtee: ExecFn = (c, i) => {
  c.requireSupervisor();
  c.setMsr((c.msr & ~MSR.EE) | (c.gpr[i.d]! & MSR.EE));
};

export const wrteei: ExecFn = (c, i) => {
  c.requireSupervisor();
  c.setMsr((c.msr & ~MSR.EE) | (i.word & MSR.EE));
};

function makeReturn(srr0: number, srr1: number): ExecFn {
  return (c) => {
    c.requireSupervisor();
    // Addresses are unsigned everywhere: a signed PC would never match a TLB entry above 2 GiB.
    c.npc = (c.spr[srr0]! & ~3) >>> 0;
    writeMsr(c, c.spr[srr1]!);
  };
}

export const rfi = makeReturn(SPR.SRR0, SPR.SRR1);
export const rfci = makeReturn(SPR.CSRR0, SPR.CSRR1);
export const rfmci = makeReturn(SPR.MCSRR0, SPR.MCSRR1);
export const rfdi = makeReturn(SPR.DSRR0, SPR.DSRR1);

/** Magic r0 value of KVM's paravirtual hypercall on cores without a hypervisor mode ("KVMR"). */
const KVM_SC_MAGIC_R0 = 0x4b564d52;
/** ePAPR status for an unknown hypercall. */
export const EV_UNIMPLEMENTED = 12;

/**
 * sc. With the `epapr-hcall` feature, supervisor code makes ePAPR hypercalls to the VMM:
 * `sc 1` on e500mc (its hypervisor call), and on e500v2 `sc` with the KVM magic in r0 (the
 * sequence KVM hands to e500v2 guests). Otherwise `sc 1` on e500mc is the embedded
 * hypervisor system call (IVOR40) and every other `sc` is a system call (IVOR8).
 */
export const sc: ExecFn = (c, i) => {
  const lev = (i.word >>> 5) & 0x7f;
  const supervisor = (c.msr & MSR.PR) === 0;
  if (c.features.has('epapr-hcall') && supervisor) {
    const isHcall =
      c.model.family === 'e500mc' ? lev === 1 : lev === 0 && c.gpr[0]! >>> 0 === KVM_SC_MAGIC_R0;
    if (isHcall) hypercall(c);
  }
  if (lev === 1 && c.model.family === 'e500mc' && supervisor) c.systemCall(40);
  c.systemCall(Ivor.SystemCall);
};

function hypercall(c: Cpu): never {
  const e = c.exits.hypercall;
  e.nr = c.gpr[11]! >>> 0;
  for (let k = 0; k < 8; k++) e.args[k] = c.gpr[3 + k]!;
  e.ret.fill(0);
  e.ret[0] = EV_UNIMPLEMENTED;
  c.counters.hypercalls++;
  c.resumeAction = (cpu) => {
    for (let k = 0; k < 8; k++) cpu.gpr[3 + k] = e.ret[k]!;
  };
  return c.exitTo(e, true);
}

/** Trap condition TO against signed and unsigned comparisons. */
function trapTaken(to: number, a: number, b: number): boolean {
  if ((to & 0x10) !== 0 && a < b) return true;
  if ((to & 0x08) !== 0 && a > b) return true;
  if ((to & 0x04) !== 0 && a === b) return true;
  if ((to & 0x02) !== 0 && a >>> 0 < b >>> 0) return true;
  if ((to & 0x01) !== 0 && a >>> 0 > b >>> 0) return true;
  return false;
}

function trap(c: Cpu): never {
  if (trapIsDebugEvent(c)) c.fault(Ivor.Debug, undefined);
  return c.programInterrupt(ESR.PTR);
}

export const tw: ExecFn = (c, i) => {
  if (trapTaken(i.d, c.gpr[i.a]!, c.gpr[i.b]!)) trap(c);
};

export const twi: ExecFn = (c, i) => {
  if (trapTaken(i.d, c.gpr[i.a]!, i.imm)) trap(c);
};

export const mfspr: ExecFn = (c, i) => mfsprExec(c, i.imm, i.d);
export const mtspr: ExecFn = (c, i) => mtsprExec(c, i.imm, c.gpr[i.d]!);

/** mftb (e500mc only): TBR 268 reads TBL, 269 reads TBU. */
export const mftb: ExecFn = (c, i) => {
  if (i.imm === 268) c.gpr[i.d] = c.timers.readTbl();
  else if (i.imm === 269) c.gpr[i.d] = c.timers.readTbu();
  else c.illegal();
};

export const nop: ExecFn = () => {};

/** Privileged instructions with no architectural effect in this model (tlbsync). */
export const supervisorNop: ExecFn = (c) => {
  c.requireSupervisor();
};

/** e500mc `wait`: the vCPU halts; SRR0 of the waking interrupt points after it. */
export const wait: ExecFn = (c) => {
  c.halted = true;
};

/** mfdcr/mtdcr with the `dcr` feature: each access is a DCR exit to the VMM. */
export const mfdcr: ExecFn = (c, i) => {
  c.requireSupervisor();
  const e = c.exits.dcr;
  e.dcrn = i.imm;
  e.isWrite = false;
  e.data = 0;
  c.counters.dcr++;
  const rt = i.d;
  c.resumeAction = (cpu) => {
    cpu.gpr[rt] = e.data | 0;
  };
  c.exitTo(e, true);
};

export const mtdcr: ExecFn = (c, i) => {
  c.requireSupervisor();
  const e = c.exits.dcr;
  e.dcrn = i.imm;
  e.isWrite = true;
  e.data = c.gpr[i.d]! >>> 0;
  c.counters.dcr++;
  c.exitTo(e, true);
};

/** msgsnd rB (e500mc): TYPE = rB[32:36], BRDCAST = rB[37], PIRTAG = rB[50:63]. */
export const msgsnd: ExecFn = (c, i) => {
  c.requireSupervisor();
  const rb = c.gpr[i.b]! >>> 0;
  const type = rb >>> 27;
  if (type > 1) return;
  c.doorbellSink(type, (rb & 0x04000000) !== 0, rb & 0x3fff);
};

export const msgclr: ExecFn = (c, i) => {
  c.requireSupervisor();
  const type = (c.gpr[i.b]! >>> 0) >>> 27;
  if (type === 0) c.setLine(Pending.Doorbell, false);
  else if (type === 1) c.setLine(Pending.CriticalDoorbell, false);
};

// ---- cache management ------------------------------------------------------------------------

const WIMGE_W = 0x10;
const WIMGE_I = 0x08;

function eaX(c: Cpu, i: Insn): number {
  return (i.a === 0 ? c.gpr[i.b]! : c.gpr[i.a]! + c.gpr[i.b]!) >>> 0;
}

/**
 * dcbz zeroes one data-cache block (32 bytes on e500v2, 64 on e500mc); a store for permissions.
 * On a write-through or caching-inhibited page the cores take an alignment interrupt
 * instead (e500 core reference manuals; QEMU 7.2 zeroes the block anyway).
 */
export const dcbz: ExecFn = (c, i) => {
  const size = c.traits.dcbzSize;
  const ea = eaX(c, i);
  const base = ea & ~(size - 1);
  // Probe first so a fault leaves memory untouched.
  c.probeWrite(base >>> 0);
  if ((c.lastWimge & (WIMGE_W | WIMGE_I)) !== 0) c.fault(Ivor.Alignment, ESR.ST, ea);
  for (let off = 0; off < size; off += 4) c.st32((base + off) >>> 0, 0);
};

/** dcbf, dcbst, icbi: no cache to maintain, but the address is translated (and may fault). */
export const cacheTouchLoad: ExecFn = (c, i) => {
  c.ld8(eaX(c, i));
};

/** dcbi (privileged): translated as a store. */
export const dcbi: ExecFn = (c, i) => {
  c.requireSupervisor();
  c.probeWrite(eaX(c, i));
};

/** Cache locking instructions are user-accessible only with MSR[UCLE]. */
export const cacheLock: ExecFn = (c) => {
  if ((c.msr & (MSR.PR | MSR.UCLE)) === MSR.PR) c.fault(Ivor.DataStorage, ESR.DLK);
};

