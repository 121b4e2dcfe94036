/**
 * How an instruction's softfloat-style flags land in the FPSCR, following
 * QEMU 7.2 (target/ppc/fpu_helper.c) rather than the Power ISA where the two
 * differ:
 *  - FX is set whenever an exception bit is set, even if that bit was already
 *    1 (the ISA sets FX only on a 0 -> 1 transition).
 *  - FR is never set; it is only cleared by invalid-operation and zero-divide
 *    exceptions (the ISA defines it as "fraction rounded up").
 *  - An enabled invalid-operation (VE=1, except VXVC) or zero-divide (ZE=1)
 *    exception is raised from inside the instruction, before the target FPR
 *    and FPRF are written, but only when MSR[FE0|FE1] != 0 (FpuState.fe).
 *    With MSR[FE0|FE1] = 0 the default result IS written, unlike the ISA,
 *    which leaves the target unchanged whenever VE/ZE is 1.
 *  - With VE=1, invalid operations leave FPCC alone before FPRF is
 *    recomputed from the (NaN) result.
 *  - Overflow/underflow/inexact (and fcmpo's VXVC) are "deferred": the target
 *    and FPRF are written first, then the interrupt is raised.
 */
import {
  F_INEXACT, F_OVERFLOW, F_UNDERFLOW, C_FINITE, C_INF, C_QNAN, C_SNAN, C_ZERO, classify, RoundCtx,
} from './ieee.js';
import {
  FPSCR_C, FPSCR_FEX, FPSCR_FI, FPSCR_FPCC, FPSCR_FPRF, FPSCR_FR, FPSCR_FU, FPSCR_FX, FPSCR_OE,
  FPSCR_OX, FPSCR_UE, FPSCR_UX, FPSCR_VE, FPSCR_VX, FPSCR_VXSNAN, FPSCR_XE, FPSCR_XX, FPSCR_ZE,
  FPSCR_ZX,
} from './fpscr.js';
import { FpuState } from './state.js';

/** Set when the current instruction raised an enabled exception. */
export let pendingTrap = false;

export function beginOp(): void {
  pendingTrap = false;
}

/** Rounding context for the current FPSCR (reused object: no allocation). */
export const ctx: RoundCtx = { rm: 0, oe: false, ue: false };
export function loadCtx(st: FpuState): RoundCtx {
  const f = st.fpscr;
  ctx.rm = f & 3;
  ctx.oe = (f & FPSCR_OE) !== 0;
  ctx.ue = (f & FPSCR_UE) !== 0;
  return ctx;
}

/** Common tail of every invalid-operation exception.  Returns true when the
 *  instruction must stop here (immediate interrupt). */
function finishInvalid(st: FpuState): boolean {
  st.fpscr = (st.fpscr | FPSCR_VX | FPSCR_FX) >>> 0;
  if (st.fpscr & FPSCR_VE) {
    st.fpscr = (st.fpscr | FPSCR_FEX) >>> 0;
    pendingTrap = true;
    if (st.fe) return true;
  }
  return false;
}

/** VXSNAN. */
export function invalidSnan(st: FpuState): boolean {
  st.fpscr = (st.fpscr | FPSCR_VXSNAN) >>> 0;
  return finishInvalid(st);
}

/** VXISI, VXIDI, VXZDZ, VXIMZ, VXSQRT: result is the default NaN. */
export function invalidArith(st: FpuState, bit: number): boolean {
  let f = (st.fpscr | bit) & ~(FPSCR_FR | FPSCR_FI);
  if (!(f & FPSCR_VE)) f = (f & ~FPSCR_FPCC) | FPSCR_C | FPSCR_FU;
  st.fpscr = f >>> 0;
  return finishInvalid(st);
}

/** VXCVI (plus VXSNAN without its own FX/VX handling, as QEMU does). */
export function invalidConvert(st: FpuState, bit: number, snan: boolean): boolean {
  let f = st.fpscr | bit;
  if (snan) f |= FPSCR_VXSNAN;
  f &= ~(FPSCR_FR | FPSCR_FI);
  if (!(f & FPSCR_VE)) f = (f & ~FPSCR_FPCC) | FPSCR_C | FPSCR_FU;
  st.fpscr = f >>> 0;
  return finishInvalid(st);
}

/** ZX. */
export function zeroDivide(st: FpuState): boolean {
  st.fpscr = ((st.fpscr | FPSCR_ZX | FPSCR_FX) & ~(FPSCR_FR | FPSCR_FI)) >>> 0;
  if (st.fpscr & FPSCR_ZE) {
    st.fpscr = (st.fpscr | FPSCR_FEX) >>> 0;
    pendingTrap = true;
    if (st.fe) return true;
  }
  return false;
}

/** Deferred (after target write) part: OX/UX, XX/FI. */
export function checkStatus(st: FpuState, flags: number, changeFi: boolean): void {
  let f = st.fpscr;
  if (flags & F_OVERFLOW) {
    f |= FPSCR_OX | FPSCR_FX;
    if (f & FPSCR_OE) {
      f |= FPSCR_FEX;
      pendingTrap = true;
    } else {
      f |= FPSCR_XX | FPSCR_FI;
    }
  } else if (flags & F_UNDERFLOW) {
    f |= FPSCR_UX | FPSCR_FX;
    if (f & FPSCR_UE) {
      f |= FPSCR_FEX;
      pendingTrap = true;
    }
  }
  if (flags & F_INEXACT) {
    f |= FPSCR_FI | FPSCR_XX | FPSCR_FX;
    if (f & FPSCR_XE) {
      f |= FPSCR_FEX;
      pendingTrap = true;
    }
  } else if (changeFi) {
    f &= ~FPSCR_FI;
  }
  st.fpscr = f >>> 0;
}

/** FPRF from a binary64 result. */
export function setFprf(st: FpuState, hi: number, lo: number): void {
  let v: number;
  const neg = hi >>> 31;
  switch (classify(hi, lo)) {
    case C_ZERO:
      v = neg ? 0x12 : 0x02;
      break;
    case C_FINITE:
      if ((hi & 0x7ff00000) === 0) v = neg ? 0x18 : 0x14;
      else v = neg ? 0x08 : 0x04;
      break;
    case C_INF:
      v = neg ? 0x09 : 0x05;
      break;
    case C_QNAN:
      v = 0x11;
      break;
    case C_SNAN:
    default:
      v = 0x00; // undefined by the ISA; QEMU's table gives 0
      break;
  }
  st.fpscr = ((st.fpscr & ~FPSCR_FPRF) | (v << 12)) >>> 0;
}

/** Record an enabled exception that is raised only after completion. */
export function setPendingTrap(): void {
  pendingTrap = true;
}
