/**
 * Loads and stores: every width, sign/zero extension, update and indexed forms, byte-reversed,
 * multiple, and the reservation pair lwarx/stwcx.
 *
 * Register writes happen after every memory access of the instruction: an access may fault or
 * exit for MMIO, and the instruction must then be restartable with no visible side effect.
 */
import type { Cpu } from '../cpu.js';
import type { ExecFn, Insn } from '../block.js';
import { ESR, Ivor } from '../interrupts.js';

/** EA of a D-form access: (rA|0) + d. */
function eaD(c: Cpu, i: Insn): number {
  return (i.a === 0 ? i.imm : c.gpr[i.a]! + i.imm) >>> 0;
}

/** EA of an X-form access: (rA|0) + rB. */
function eaX(c: Cpu, i: Insn): number {
  return (i.a === 0 ? c.gpr[i.b]! : c.gpr[i.a]! + c.gpr[i.b]!) >>> 0;
}

function swap16(v: number): number {
  return ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
}

function swap32(v: number): number {
  return ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
}

type Load = (c: Cpu, ea: number) => number;
type Store = (c: Cpu, ea: number, v: number) => void;

const lbz: Load = (c, ea) => c.ld8(ea);
const lhz: Load = (c, ea) => c.ld16(ea);
const lha: Load = (c, ea) => (c.ld16(ea) << 16) >> 16;
const lwz: Load = (c, ea) => c.ld32(ea);
const lhbr: Load = (c, ea) => swap16(c.ld16(ea));
const lwbr: Load = (c, ea) => swap32(c.ld32(ea));
const stb: Store = (c, ea, v) => c.st8(ea, v & 0xff);
const sth: Store = (c, ea, v) => c.st16(ea, v & 0xffff);
const stw: Store = (c, ea, v) => c.st32(ea, v);
const sthbr: Store = (c, ea, v) => c.st16(ea, swap16(v));
const stwbr: Store = (c, ea, v) => c.st32(ea, swap32(v));

export const LOADS = { lbz, lhz, lha, lwz, lhbr, lwbr } as const;
export const STORES = { stb, sth, stw, sthbr, stwbr } as const;

// The common loads and stores are written out so each is a single small function.

export const lwzD: ExecFn = (c, i) => {
  c.gpr[i.d] = c.ld32((i.a === 0 ? i.imm : c.gpr[i.a]! + i.imm) >>> 0);
};

export const stwD: ExecFn = (c, i) => {
  c.st32((i.a === 0 ? i.imm : c.gpr[i.a]! + i.imm) >>> 0, c.gpr[i.d]!);
};

export const lbzD: ExecFn = (c, i) => {
  c.gpr[i.d] = c.ld8((i.a === 0 ? i.imm : c.gpr[i.a]! + i.imm) >>> 0);
};

export const stbD: ExecFn = (c, i) => {
  c.st8((i.a === 0 ? i.imm : c.gpr[i.a]! + i.imm) >>> 0, c.gpr[i.d]! & 0xff);
};

export function loadD(op: Load): ExecFn {
  return (c, i) => {
    c.gpr[i.d] = op(c, eaD(c, i));
  };
}

export function loadDU(op: Load): ExecFn {
  return (c, i) => {
    const ea = eaD(c, i);
    const v = op(c, ea);
    c.gpr[i.d] = v;
    c.gpr[i.a] = ea;
  };
}

export function loadX(op: Load): ExecFn {
  return (c, i) => {
    c.gpr[i.d] = op(c, eaX(c, i));
  };
}

export function loadXU(op: Load): ExecFn {
  return (c, i) => {
    const ea = eaX(c, i);
    const v = op(c, ea);
    c.gpr[i.d] = v;
    c.gpr[i.a] = ea;
  };
}

export function storeD(op: Store): ExecFn {
  return (c, i) => op(c, eaD(c, i), c.gpr[i.d]!);
}

export function storeDU(op: Store): ExecFn {
  return (c, i) => {
    const ea = eaD(c, i);
    op(c, ea, c.gpr[i.d]!);
    c.gpr[i.a] = ea;
  };
}

export function storeX(op: Store): ExecFn {
  return (c, i) => op(c, eaX(c, i), c.gpr[i.d]!);
}

export function storeXU(op: Store): ExecFn {
  return (c, i) => {
    const ea = eaX(c, i);
    op(c, ea, c.gpr[i.d]!);
    c.gpr[i.a] = ea;
  };
}

/**
 * lmw: loads rT..r31. Real e500 cores take an alignment interrupt for a misaligned EA;
 * QEMU does not. We follow the hardware.
 */
export const lmw: ExecFn = (c, i) => {
  let ea = eaD(c, i);
  if ((ea & 3) !== 0) c.fault(Ivor.Alignment, 0, ea);
  const n = 32 - i.d;
  const vals = new Int32Array(n);
  for (let k = 0; k < n; k++, ea = (ea + 4) >>> 0) vals[k] = c.ld32(ea);
  c.gpr.set(vals, i.d);
};

export const stmw: ExecFn = (c, i) => {
  let ea = eaD(c, i);
  if ((ea & 3) !== 0) c.fault(Ivor.Alignment, ESR.ST, ea);
  for (let r = i.d; r < 32; r++, ea = (ea + 4) >>> 0) c.st32(ea, c.gpr[r]!);
};

/** lwarx: a misaligned EA takes an alignment interrupt (hardware and QEMU agree). */
export const lwarx: ExecFn = (c, i) => {
  const ea = eaX(c, i);
  if ((ea & 3) !== 0) c.fault(Ivor.Alignment, 0, ea);
  const v = c.ld32(ea);
  c.resvAddr = c.probeReservation(ea);
  c.resvValid = true;
  c.gpr[i.d] = v;
};

/** stwcx.: stores only if the reservation is still held; CR0 = 00 || success || SO. */
export const stwcx: ExecFn = (c, i) => {
  const ea = eaX(c, i);
  if ((ea & 3) !== 0) c.fault(Ivor.Alignment, ESR.ST, ea);
  let ok = false;
  if (c.resvValid) {
    const pa = c.probeWrite(ea);
    if (pa === c.resvAddr) {
      c.st32(ea, c.gpr[i.d]!);
      ok = true;
    }
  }
  c.resvValid = false;
  c.cr = (c.cr & 0x0fffffff) | (((ok ? 2 : 0) | c.xerSO) << 28);
};
