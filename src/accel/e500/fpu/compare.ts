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
import { FP_ENABLED_EXCEPTION, FP_OK, FpuState } from './state.js';
import { beginOp, checkStatus, invalidSnan, pendingTrap, setPendingTrap } from './status.js';

const cvBuf = new ArrayBuffer(16);
const cvU32 = new Uint32Array(cvBuf);
const cvF64 = new Float64Array(cvBuf);

function compare(st: FpuState, fra: number, frb: number, ordered: boolean): number {
  beginOp();
  const w = st.words;
  const ahi = w[2 * fra + 1];
  const alo = w[2 * fra];
  const bhi = w[2 * frb + 1];
  const blo = w[2 * frb];
  let r: number;
  const unordered = isNan(ahi, alo) || isNan(bhi, blo);
  if (unordered) {
    r = 1;
  } else {
    cvU32[1] = ahi;
    cvU32[0] = alo;
    cvU32[3] = bhi;
    cvU32[2] = blo;
    const a = cvF64[0];
    const b = cvF64[1];
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
