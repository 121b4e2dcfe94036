/**
 * fcmpu / fcmpo.  Each returns FP_OK or FP_ENABLED_EXCEPTION and leaves the
 * 4-bit CR field (FL FG FE FU = 8/4/2/1) in st.cr; the caller writes st.cr
 * into CR[BF] in both cases (QEMU updates the CR field before any trap).
 *
 * QEMU 7.2 specifics: FPCC is set, C is not (except fcmpo on a NaN, which
 * sets FPRF to 0b10001); fcmpo sets VXVC for every NaN operand, SNaNs
 * included, even when VE=1 (the ISA skips VXVC for an SNaN when VE=1); and
 * both compares clear FI.
 */
import { isNan, isSnan } from './ieee.js';
import { FPSCR_C, FPSCR_FEX, FPSCR_FPCC, FPSCR_FU, FPSCR_FX, FPSCR_VE, FPSCR_VX, FPSCR_VXVC } from './fpscr.js';
import { FP_ENABLED_EXCEPTION, FP_OK, FpuState, fprHi, fprLo, fprValue } from './state.js';
import { beginOp, checkStatus, invalidSnan, pendingTrap, setPendingTrap } from './status.js';

function compare(st: FpuState, fra: number, frb: number, ordered: boolean): number {
  beginOp();
  const ahi = fprHi(st, fra);
  const alo = fprLo(st, fra);
  const bhi = fprHi(st, frb);
  const blo = fprLo(st, frb);
  let r: number;
  const unordered = isNan(ahi, alo) || isNan(bhi, blo);
  if (unordered) {
    r = 1;
  } else {
    const a = fprValue(st, fra);
    const b = fprValue(st, frb);
    r = a < b ? 8 : a > b ? 4 : 2;
  }
  st.fpscr = ((st.fpscr & ~FPSCR_FPCC) | (r << 12)) >>> 0;
  st.cr = r;
  if (unordered) {
    const snan = isSnan(ahi, alo) || isSnan(bhi, blo);
    if (ordered) {
      let f = (st.fpscr | FPSCR_VXVC) & ~FPSCR_FPCC;
      f |= FPSCR_C | FPSCR_FU | FPSCR_VX | FPSCR_FX;
      if (f & FPSCR_VE) {
        f |= FPSCR_FEX;
        setPendingTrap(); // deferred: raised after the compare completes
      }
      st.fpscr = f >>> 0;
    }
    if (snan && invalidSnan(st)) return FP_ENABLED_EXCEPTION;
  }
  checkStatus(st, 0, true);
  return pendingTrap ? FP_ENABLED_EXCEPTION : FP_OK;
}

export function fcmpu(st: FpuState, fra: number, frb: number): number {
  return compare(st, fra, frb, false);
}

export function fcmpo(st: FpuState, fra: number, frb: number): number {
  return compare(st, fra, frb, true);
}
