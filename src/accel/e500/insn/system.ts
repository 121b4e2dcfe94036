/**
 * Supervisor and system instructions: MSR access, interrupt returns, system call and
 * hypercalls, traps, SPR/DCR/timebase moves, synchronisation, wait, doorbells and cache
 * management (definitions and the helpers they call).
 */
import type { Cpu } from '../cpu.js';
import { HID0, SPR, STLB_MASK } from '../cpu.js';
import { ESR, Ivor, Pending } from '../interrupts.js';
import { MSR } from '../models.js';
import { mfsprExec, mtsprExec, sprWriteEndsBlock, sprTable } from '../spr.js';
import { trapIsDebugEvent } from '../debug.js';
import { registerHelpers } from './helpers.js';
import { eaX } from './loadstore.js';
import { RC_BIT, xForm, type InsnDef, type Ops, type Template } from './ops.js';

/** Writes MSR and enters doze/nap/sleep when e500v2 software asks for it (MSR[WE] + HID0). */
export function writeMsr(c: Cpu, value: number): void {
  c.setMsr(value);
  if ((c.msr & MSR.WE) !== 0 && (c.spr[SPR.HID0]! & (HID0.DOZE | HID0.NAP | HID0.SLEEP)) !== 0) {
    c.halted = true;
  }
}

/** Privileged instruction: a privileged-operation program interrupt in user mode. */
export const priv = (o: Ops): string => `if ((c.msr & ${MSR.PR}) !== 0) { c.privileged(); ${o.stop()} }`;

/** rfi and friends: continue at SRRn & ~3 with MSR = SRRn+1. */
function returnFrom(srr0: number, srr1: number): Template {
  return (o) => `${priv(o)} const t = c.spr[${srr0}] & -4; ${o.call(`${o.h('writeMsr')}(c, c.spr[${srr1}])`)} ${o.setNext('t')}`;
}

/** Magic r0 value of KVM's paravirtual hypercall on cores without a hypervisor mode ("KVMR"). */
const KVM_SC_MAGIC_R0 = 0x4b564d52;
/** ePAPR status for an unknown hypercall. */
export const EV_UNIMPLEMENTED = 12;

/**
 * sc. With the `epapr-hcall` feature, supervisor code makes ePAPR hypercalls to the VMM:
 * `sc 1` on e500mc (its hypervisor call), and on e500v2 `sc` with the KVM magic in r0 (the
 * sequence KVM hands to e500v2 guests). Otherwise `sc 1` on e500mc is the embedded
 * hypervisor system call (IVOR40) and every other `sc` is a system call (IVOR8). Always stops.
 */
function sc(c: Cpu, word: number): void {
  const lev = (word >>> 5) & 0x7f;
  const supervisor = (c.msr & MSR.PR) === 0;
  if (c.features.has('epapr-hcall') && supervisor) {
    const isHcall = c.model.family === 'e500mc' ? lev === 1 : lev === 0 && c.gpr[0]! >>> 0 === KVM_SC_MAGIC_R0;
    if (isHcall) {
      hypercall(c);
      return;
    }
  }
  if (lev === 1 && c.model.family === 'e500mc' && supervisor) c.systemCall(40);
  else c.systemCall(Ivor.SystemCall);
}

function hypercall(c: Cpu): void {
  const e = c.exit.exits.hypercall;
  e.nr = c.gpr[11]! >>> 0;
  for (let k = 0; k < 8; k++) e.args[k] = c.gpr[3 + k]!;
  e.ret.fill(0);
  e.ret[0] = EV_UNIMPLEMENTED;
  c.counters.hypercalls++;
  c.exit.resumeAction = () => {
    for (let k = 0; k < 8; k++) c.gpr[3 + k] = e.ret[k]!;
  };
  c.exit.to(e, true);
}

/** A trap whose condition held: a debug event with DBCR0[TRAP], else a program interrupt. */
function trap(c: Cpu): void {
  if (trapIsDebugEvent(c)) c.fault(Ivor.Debug, undefined);
  else c.programInterrupt(ESR.PTR);
}

/** Trap condition for TO (the variant) over the int32 locals a and b. */
function trapTest(to: number): string {
  const parts: string[] = [];
  if ((to & 0x10) !== 0) parts.push('a < b');
  if ((to & 0x08) !== 0) parts.push('a > b');
  if ((to & 0x04) !== 0) parts.push('a === b');
  if ((to & 0x02) !== 0) parts.push('(a >>> 0) < (b >>> 0)');
  if ((to & 0x01) !== 0) parts.push('(a >>> 0) > (b >>> 0)');
  return parts.length === 0 ? 'false' : parts.join(' || ');
}

const trapSem = (b: (o: Ops) => string): Template => (o, v) =>
  v.k === 0 ? '' : `const a = ${o.gpr('a')}, b = ${b(o)}; if (${trapTest(v.k)}) { ${o.call(`${o.h('trap')}(c)`)} }`;

/** mftb (e500mc only): TBR 268 reads TBL, 269 reads TBU. */
const readTbl = (c: Cpu): number => c.timers.readTbl() | 0;
const readTbu = (c: Cpu): number => c.timers.readTbu() | 0;

/** mfdcr/mtdcr with the `dcr` feature: each access is a DCR exit to the VMM. */
function mfdcr(c: Cpu, dcrn: number, rt: number): void {
  const e = c.exit.exits.dcr;
  e.dcrn = dcrn;
  e.isWrite = false;
  e.data = 0;
  c.counters.dcr++;
  c.exit.resumeAction = () => {
    c.gpr[rt] = e.data | 0;
  };
  c.exit.to(e, true);
}

function mtdcr(c: Cpu, dcrn: number, v: number): void {
  const e = c.exit.exits.dcr;
  e.dcrn = dcrn;
  e.isWrite = true;
  e.data = v >>> 0;
  c.counters.dcr++;
  c.exit.to(e, true);
}

/** msgsnd rB (e500mc): TYPE = rB[32:36], BRDCAST = rB[37], PIRTAG = rB[50:63]. */
function msgsnd(c: Cpu, rb: number): void {
  const type = rb >>> 27;
  if (type > 1) return;
  c.irq.doorbellSink(type, (rb & 0x04000000) !== 0, rb & 0x3fff);
}

function msgclr(c: Cpu, rb: number): void {
  const type = rb >>> 27;
  if (type === 0) c.irq.setLine(Pending.Doorbell, false);
  else if (type === 1) c.irq.setLine(Pending.CriticalDoorbell, false);
}

// ---- cache management ------------------------------------------------------------------------

const WIMGE_W = 0x10;
const WIMGE_I = 0x08;

/**
 * dcbz zeroes one data-cache block (32 bytes on e500v2, 64 on e500mc); a store for permissions.
 * On a write-through or caching-inhibited page the cores take an alignment interrupt
 * instead (e500 core reference manuals; QEMU 7.2 zeroes the block anyway).
 */
function dcbz(c: Cpu, ea: number): void {
  const size = c.traits.dcbzSize;
  const base = ea & ~(size - 1);
  // The soft TLB maps the page for writes (RAM, big-endian, not code, already dirty): zero it
  // there, unless the page is write-through or cache-inhibited (the TLB entry it came from
  // says; the soft entry is dropped whenever that entry changes). Linux clears pages this way.
  const pn = base >>> 12;
  const i = (pn & STLB_MASK) | c.dmode;
  if (c.wTag[i] === pn && (c.mmu.tlb.mas2(c.wSrc[i]!) & (WIMGE_W | WIMGE_I)) === 0) {
    const at = (c.wAdd[i]! + base) | 0;
    for (let off = 0; off < size; off += 4) c.ram.setInt32(at + off, 0);
    return;
  }
  // Probe first so a fault leaves memory untouched.
  if (c.probeWrite(base) < 0) return;
  if ((c.mmu.lastWimge & (WIMGE_W | WIMGE_I)) !== 0) {
    c.fault(Ivor.Alignment, ESR.ST, ea >>> 0);
    return;
  }
  for (let off = 0; off < size; off += 4) {
    c.st32((base + off) | 0, 0);
    if (c.stop !== 0) return;
  }
}

/** dcbi (privileged): translated as a store. */
function dcbi(c: Cpu, ea: number): void {
  c.probeWrite(ea);
}

/** Cache locking instructions are user-accessible only with MSR[UCLE]. */
const cacheLock: Template = (o) => `if ((c.msr & ${MSR.PR | MSR.UCLE}) === ${MSR.PR}) { c.fault(${Ivor.DataStorage}, ${ESR.DLK}); ${o.stop()} }`;

registerHelpers({ writeMsr, sc, trap, readTbl, readTbu, mfdcr, mtdcr, msgsnd, msgclr, dcbz, dcbi, mfsprExec, mtsprExec });

const x = xForm;

const x19 = (name: string, xo: number, sem: Template, extra: Partial<InsnDef> = {}): InsnDef => ({ ...x(name, xo, sem, extra), op: 19 });

const NOP: Template = () => '';

/*
 * Reserved bits (InsnDef.reserved) of this file's X forms, as QEMU 7.2 checks them. Where a
 * field is left out the form runs on QEMU: L of sync, MO of mbar, the low bits of rB in the
 * interrupt returns, TH of dcbt/dcbtst, L of dcbf/dcbz, the CT field of icbt (which the
 * e500 manuals define and QEMU rejects: see the README).
 */
/** rfi and friends: rA, rB's high bit, Rc. */
const RFX_RESERVED = 0x03ff8001;
/** Everything but the opcodes (isync, tlbsync). */
const ALL_FIELDS = 0x03fff801;
/** Cache block operations on (rA|0)+rB: the rD field and Rc. */
const CACHE_EA_ONLY = 0x03e00001;
/** dcbf and dcbz: the rD field but its low bit (dcbf's L), and Rc. */
const CACHE_L = 0x03c00001;
/** Cache locking: CT's high bit and Rc (QEMU's dcbtls mask, for the five of them). */
const CACHE_LOCK = 0x02000001;
/** sc: everything but LEV, and bit 30 must be 1 (checked by `invalid`). */
const SC_RESERVED = 0x03fff01d;
/** SPR numbers the templates move as plain state (the translator keeps them in locals). */
const SPR_XER = 1;
const SPR_LR = 8;
const SPR_CTR = 9;

/** mtspr ends the block when the SPR has side effects (per family). */
const tables = { e500v2: sprTable('e500v2'), e500mc: sprTable('e500mc') };

export const SYSTEM_DEFS: readonly InsnDef[] = [
  { name: 'twi', op: 3, xoKind: 'none', imm: 'simm', avail: 'all', variant: (f) => f.d, sem: trapSem((o) => o.imm) },
  {
    name: 'sc',
    op: 17,
    xoKind: 'none',
    imm: 'none',
    avail: 'all',
    ends: true,
    reserved: SC_RESERVED,
    invalid: (f) => (f.word & 2) === 0,
    sem: (o) => o.call(`${o.h('sc')}(c, ${o.word})`, { in: ['r:*'] }),
  },
  // ---- opcode 19
  x19('rfmci', 38, returnFrom(SPR.MCSRR0, SPR.MCSRR1), { ends: true, reserved: RFX_RESERVED }),
  x19('rfdi', 39, returnFrom(SPR.DSRR0, SPR.DSRR1), { ends: true, reserved: RFX_RESERVED }),
  x19('rfi', 50, returnFrom(SPR.SRR0, SPR.SRR1), { ends: true, reserved: RFX_RESERVED }),
  x19('rfci', 51, returnFrom(SPR.CSRR0, SPR.CSRR1), { ends: true, reserved: RFX_RESERVED }),
  x19('isync', 150, NOP, { ends: true, reserved: ALL_FIELDS }),
  // ---- opcode 31
  x('tw', 4, trapSem((o) => o.gpr('b')), { variant: (f) => f.d, reserved: RC_BIT }),
  // MSR moves: QEMU 7.2's reserved bits (mtmsr keeps rA's low bit, 64-bit L; wrtee/wrteei skip some)
  x('mfmsr', 83, (o) => `${priv(o)} ${o.setGpr('d', 'c.msr | 0')}`, { reserved: 0x001ff801 }),
  x('wrtee', 131, (o) => `${priv(o)} c.setMsr((c.msr & ~${MSR.EE}) | (${o.gpr('d')} & ${MSR.EE}));`, { ends: true, reserved: 0x000ffc01 }),
  x('mtmsr', 146, (o) => `${priv(o)} ${o.call(`${o.h('writeMsr')}(c, ${o.gpr('d')} >>> 0)`)}`, { ends: true, reserved: 0x001ef801 }),
  x('wrteei', 163, (o) => `${priv(o)} c.setMsr((c.msr & ~${MSR.EE}) | (${o.word} & ${MSR.EE}));`, { ends: true, reserved: 0x000e7c01 }),
  x(
    'mfspr',
    339,
    (o, v) => {
      if (v.k === SPR_LR) return o.setGpr('d', o.lr);
      if (v.k === SPR_CTR) return o.setGpr('d', o.ctr);
      if (v.k === SPR_XER) return o.setGpr('d', `${o.xer()} | 0`);
      return `${o.callv('v', `${o.h('mfsprExec')}(c, ${o.imm}, ${o.gpr('d')})`)} ${o.setGpr('d', 'v | 0')}`;
    },
    { imm: 'spr', variant: (f) => f.imm, reserved: RC_BIT },
  ),
  x(
    'mtspr',
    467,
    (o, v) => {
      if (v.k === SPR_LR) return o.setLr(o.gpr('d'));
      if (v.k === SPR_CTR) return o.setCtr(o.gpr('d'));
      if (v.k === SPR_XER) return o.setXer(`${o.gpr('d')} >>> 0`);
      return o.call(`${o.h('mtsprExec')}(c, ${o.imm}, ${o.gpr('d')} >>> 0)`);
    },
    { imm: 'spr', variant: (f) => f.imm, ends: (f, family) => sprWriteEndsBlock(tables[family][f.imm]) },
  ),
  x(
    'mftb',
    371,
    (o, v) => (v.k === 268 || v.k === 269 ? o.setGpr('d', `${o.h(v.k === 268 ? 'readTbl' : 'readTbu')}(c)`) : `c.illegal(); ${o.stop()}`),
    { imm: 'spr', avail: 'e500mc', variant: (f) => f.imm, reserved: RC_BIT },
  ),
  x('mfdcr', 323, (o) => `${priv(o)} ${o.call(`${o.h('mfdcr')}(c, ${o.imm}, ${o.f('d')})`)}`, { imm: 'spr', avail: 'dcr', ends: true, reserved: RC_BIT }),
  x('mtdcr', 451, (o) => `${priv(o)} ${o.call(`${o.h('mtdcr')}(c, ${o.imm}, ${o.gpr('d')})`)}`, { imm: 'spr', avail: 'dcr', ends: true, reserved: RC_BIT }),
  x('msgsnd', 206, (o) => `${priv(o)} ${o.call(`${o.h('msgsnd')}(c, ${o.gpr('b')} >>> 0)`)}`, { avail: 'e500mc', ends: true }),
  x('msgclr', 238, (o) => `${priv(o)} ${o.call(`${o.h('msgclr')}(c, ${o.gpr('b')} >>> 0)`)}`, { avail: 'e500mc', ends: true }),
  // e500mc `wait`: the vCPU halts; SRR0 of the waking interrupt points after it.
  x('wait', 62, () => 'c.halted = true;', { avail: 'e500mc', ends: true, reserved: RC_BIT }),
  x('sync', 598, NOP, { reserved: 0x039ff801 }),
  x('mbar', 854, NOP, { reserved: 0x001ff801 }),
  // ---- cache management: no cache to maintain, but addresses are translated (and may fault)
  x('dcbst', 54, (o) => `const ea = ${eaX(o)}; ${o.load('v', 1, 'ea')}`, { reserved: CACHE_EA_ONLY }),
  x('dcbf', 86, (o) => `const ea = ${eaX(o)}; ${o.load('v', 1, 'ea')}`, { reserved: CACHE_L }),
  x('icbi', 982, (o) => `const ea = ${eaX(o)}; ${o.load('v', 1, 'ea')}`, { ends: true, reserved: CACHE_EA_ONLY }),
  x('dcbt', 278, NOP, { reserved: RC_BIT }),
  x('dcbtst', 246, NOP, { reserved: RC_BIT }),
  x('dcba', 758, NOP, { reserved: CACHE_EA_ONLY }),
  x('icbt', 22, NOP, { reserved: RC_BIT }),
  x('dcbi', 470, (o) => `${priv(o)} ${o.call(`${o.h('dcbi')}(c, ${eaX(o)})`)}`, { reserved: CACHE_EA_ONLY }),
  x('dcbz', 1014, (o) => o.call(`${o.h('dcbz')}(c, ${eaX(o)})`, { store: true }), { reserved: CACHE_L }),
  x('dcbtls', 166, cacheLock, { reserved: CACHE_LOCK }),
  x('dcbtstls', 134, cacheLock, { reserved: CACHE_LOCK }),
  x('dcblc', 390, cacheLock, { reserved: CACHE_LOCK }),
  x('icbtls', 486, cacheLock, { reserved: CACHE_LOCK }),
  x('icblc', 230, cacheLock, { reserved: CACHE_LOCK }),
];
