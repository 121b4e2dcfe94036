/**
 * fres and frsqrte.  QEMU 7.2 does not model the hardware estimate tables:
 * it computes the estimates with real arithmetic, so these results are
 * correctly rounded values, not 12-bit/5-bit estimates:
 *  - fres:    1/x rounded once to binary32 precision and range (the
 *             float64r32 division), with the FPSCR rounding mode.  For x = +-0
 *             it raises ZX and returns +-0.5 (!), not +-Inf (QEMU quirk).
 *  - frsqrte: 1/sqrt(x) as two binary64 roundings: sqrt(x) rounded, then
 *             1/that rounded; flags of both steps accumulate.  A negative
 *             operand sets VXSQRT.
 */
import {
  F_DIVZERO, F_INVALID, F_INV_SNAN, F_INV_SQRT, FMT_DOUBLE, FMT_R32, div, res, sqrt,
} from './ieee.js';
import { FPSCR_VXSQRT } from './fpscr.js';
import { FP_ENABLED_EXCEPTION, FP_OK, FpuState, fprHi, fprLo } from './state.js';
import {
  beginOp, checkStatus, invalidArith, invalidSnan, loadCtx, pendingTrap, setFprf, zeroDivide,
} from './status.js';

function complete(st: FpuState, frt: number): number {
  st.words[2 * frt + 1] = res.hi;
  st.words[2 * frt] = res.lo;
  setFprf(st, res.hi, res.lo);
  checkStatus(st, res.flags, true);
  return pendingTrap ? FP_ENABLED_EXCEPTION : FP_OK;
}

export function fres(st: FpuState, frt: number, frb: number): number {
  beginOp();
  const bhi = fprHi(st, frb);
  res.flags = 0;
  div(0x3ff00000, 0, bhi, fprLo(st, frb), FMT_R32, loadCtx(st));
  const f = res.flags;
  if (f & F_INV_SNAN && invalidSnan(st)) return FP_ENABLED_EXCEPTION;
  if (f & F_DIVZERO) {
    if (zeroDivide(st)) return FP_ENABLED_EXCEPTION;
    res.hi = ((bhi & 0x80000000) | 0x3fe00000) >>> 0;
    res.lo = 0;
  }
  return complete(st, frt);
}

export function frsqrte(st: FpuState, frt: number, frb: number): number {
  beginOp();
  const ctx = loadCtx(st);
  res.flags = 0;
  sqrt(fprHi(st, frb), fprLo(st, frb), FMT_DOUBLE, ctx);
  div(0x3ff00000, 0, res.hi, res.lo, FMT_DOUBLE, ctx);
  const f = res.flags;
  if (f & F_INVALID) {
    const stop = f & F_INV_SQRT ? invalidArith(st, FPSCR_VXSQRT) : f & F_INV_SNAN ? invalidSnan(st) : false;
    if (stop) return FP_ENABLED_EXCEPTION;
  }
  if (f & F_DIVZERO && zeroDivide(st)) return FP_ENABLED_EXCEPTION;
  return complete(st, frt);
}
