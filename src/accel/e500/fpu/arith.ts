/**
 * Floating-point arithmetic instructions: fadd[s], fsub[s], fmul[s], fdiv[s],
 * fmadd[s], fmsub[s], fnmadd[s], fnmsub[s].  Register arguments are FPR
 * numbers; each helper updates the target FPR and the FPSCR and returns
 * FP_OK or FP_ENABLED_EXCEPTION (see state.ts).  The single-precision forms
 * round the exact result once to binary32 precision and range.
 */
import {
  F_DIVZERO, F_INVALID, F_INV_IDI, F_INV_IMZ, F_INV_ISI, F_INV_SNAN, F_INV_ZDZ, FMT_DOUBLE, FMT_R32,
  add, div, mul, muladd, res,
} from './ieee.js';
import { FPSCR_VXIDI, FPSCR_VXIMZ, FPSCR_VXISI, FPSCR_VXZDZ } from './fpscr.js';
import { FP_ENABLED_EXCEPTION, FP_OK, FpuState, fprHi, fprLo } from './state.js';
import {
  beginOp, checkStatus, invalidArith, invalidSnan, loadCtx, pendingTrap, setFprf, zeroDivide,
} from './status.js';

/** Write the result, FPRF and the deferred exception bits. */
function complete(st: FpuState, frt: number): number {
  st.words[2 * frt + 1] = res.hi;
  st.words[2 * frt] = res.lo;
  setFprf(st, res.hi, res.lo);
  checkStatus(st, res.flags, true);
  return pendingTrap ? FP_ENABLED_EXCEPTION : FP_OK;
}

function addsub(st: FpuState, frt: number, fra: number, frb: number, neg: boolean, fmt: number): number {
  beginOp();
  res.flags = 0;
  add(fprHi(st, fra), fprLo(st, fra), fprHi(st, frb), fprLo(st, frb), neg, fmt, loadCtx(st));
  const f = res.flags;
  if (f & F_INVALID) {
    const stop = f & F_INV_ISI ? invalidArith(st, FPSCR_VXISI) : f & F_INV_SNAN ? invalidSnan(st) : false;
    if (stop) return FP_ENABLED_EXCEPTION;
  }
  return complete(st, frt);
}

function mult(st: FpuState, frt: number, fra: number, frc: number, fmt: number): number {
  beginOp();
  res.flags = 0;
  mul(fprHi(st, fra), fprLo(st, fra), fprHi(st, frc), fprLo(st, frc), fmt, loadCtx(st));
  const f = res.flags;
  if (f & F_INVALID) {
    const stop = f & F_INV_IMZ ? invalidArith(st, FPSCR_VXIMZ) : f & F_INV_SNAN ? invalidSnan(st) : false;
    if (stop) return FP_ENABLED_EXCEPTION;
  }
  return complete(st, frt);
}

function divide(st: FpuState, frt: number, fra: number, frb: number, fmt: number): number {
  beginOp();
  res.flags = 0;
  div(fprHi(st, fra), fprLo(st, fra), fprHi(st, frb), fprLo(st, frb), fmt, loadCtx(st));
  const f = res.flags;
  if (f & F_INVALID) {
    const stop =
      f & F_INV_IDI ? invalidArith(st, FPSCR_VXIDI)
      : f & F_INV_ZDZ ? invalidArith(st, FPSCR_VXZDZ)
      : f & F_INV_SNAN ? invalidSnan(st) : false;
    if (stop) return FP_ENABLED_EXCEPTION;
  }
  if (f & F_DIVZERO && zeroDivide(st)) return FP_ENABLED_EXCEPTION;
  return complete(st, frt);
}

function fused(st: FpuState, frt: number, fra: number, frc: number, frb: number,
               negB: boolean, negR: boolean, fmt: number): number {
  beginOp();
  res.flags = 0;
  muladd(fprHi(st, fra), fprLo(st, fra), fprHi(st, frc), fprLo(st, frc), fprHi(st, frb), fprLo(st, frb),
    negB, negR, fmt, loadCtx(st));
  const f = res.flags;
  if (f & F_INVALID) {
    // One invalid bit per instruction: inf*0 beats inf-inf beats SNaN, so
    // e.g. inf*0+SNaN sets VXIMZ but not VXSNAN (QEMU; the ISA sets both).
    const stop =
      f & F_INV_IMZ ? invalidArith(st, FPSCR_VXIMZ)
      : f & F_INV_ISI ? invalidArith(st, FPSCR_VXISI)
      : f & F_INV_SNAN ? invalidSnan(st) : false;
    if (stop) return FP_ENABLED_EXCEPTION;
  }
  return complete(st, frt);
}

export function fadd(st: FpuState, frt: number, fra: number, frb: number): number {
  return addsub(st, frt, fra, frb, false, FMT_DOUBLE);
}
export function fadds(st: FpuState, frt: number, fra: number, frb: number): number {
  return addsub(st, frt, fra, frb, false, FMT_R32);
}
export function fsub(st: FpuState, frt: number, fra: number, frb: number): number {
  return addsub(st, frt, fra, frb, true, FMT_DOUBLE);
}
export function fsubs(st: FpuState, frt: number, fra: number, frb: number): number {
  return addsub(st, frt, fra, frb, true, FMT_R32);
}
export function fmul(st: FpuState, frt: number, fra: number, frc: number): number {
  return mult(st, frt, fra, frc, FMT_DOUBLE);
}
export function fmuls(st: FpuState, frt: number, fra: number, frc: number): number {
  return mult(st, frt, fra, frc, FMT_R32);
}
export function fdiv(st: FpuState, frt: number, fra: number, frb: number): number {
  return divide(st, frt, fra, frb, FMT_DOUBLE);
}
export function fdivs(st: FpuState, frt: number, fra: number, frb: number): number {
  return divide(st, frt, fra, frb, FMT_R32);
}

/*
 * Multiply-add family: FRT = [-](FRA*FRC [+-] FRB).  The negated forms negate
 * the exact result before rounding (QEMU/softfloat), so under RN=+inf/-inf
 * fnmadd rounds -(a*c+b) toward +inf/-inf, whereas the ISA defines it as the
 * negation of the rounded fmadd result (i.e. the opposite direction).  A NaN
 * result is never negated.
 */
export function fmadd(st: FpuState, frt: number, fra: number, frc: number, frb: number): number {
  return fused(st, frt, fra, frc, frb, false, false, FMT_DOUBLE);
}
export function fmadds(st: FpuState, frt: number, fra: number, frc: number, frb: number): number {
  return fused(st, frt, fra, frc, frb, false, false, FMT_R32);
}
export function fmsub(st: FpuState, frt: number, fra: number, frc: number, frb: number): number {
  return fused(st, frt, fra, frc, frb, true, false, FMT_DOUBLE);
}
export function fmsubs(st: FpuState, frt: number, fra: number, frc: number, frb: number): number {
  return fused(st, frt, fra, frc, frb, true, false, FMT_R32);
}
export function fnmadd(st: FpuState, frt: number, fra: number, frc: number, frb: number): number {
  return fused(st, frt, fra, frc, frb, false, true, FMT_DOUBLE);
}
export function fnmadds(st: FpuState, frt: number, fra: number, frc: number, frb: number): number {
  return fused(st, frt, fra, frc, frb, false, true, FMT_R32);
}
export function fnmsub(st: FpuState, frt: number, fra: number, frc: number, frb: number): number {
  return fused(st, frt, fra, frc, frb, true, true, FMT_DOUBLE);
}
export function fnmsubs(st: FpuState, frt: number, fra: number, frc: number, frb: number): number {
  return fused(st, frt, fra, frc, frb, true, true, FMT_R32);
}
