/**
 * Conversions and data movement: frsp, fctiw, fctiwz, fsel, fneg, fabs,
 * fnabs, fmr, and the load/store single-precision data conversions.
 */
import { F_INVALID, F_INV_CVTI, F_INV_SNAN, RN_ZERO, res, toF32, toInt32 } from './ieee.js';
import { FPSCR_VXCVI } from './fpscr.js';
import { FP_ENABLED_EXCEPTION, FP_OK, FpuState, fprHi, fprLo } from './state.js';
import { beginOp, checkStatus, invalidConvert, invalidSnan, loadCtx, pendingTrap, setFprf } from './status.js';

/**
 * The ISA's DOUBLE(): binary32 bits -> binary64 bits, exact and without any
 * FPSCR effect.  SNaNs stay signalling; denormals are normalized.  The
 * result is written as two words through the hi/lo out-variables.
 */
let dHi = 0;
let dLo = 0;
function singleToDouble(w: number): void {
  const abs = w & 0x7fffffff;
  const sign = w & 0x80000000;
  if (abs >= 0x00800000) {
    const e = abs >>> 23;
    // Inf/NaN keep the all-ones exponent; normals rebias 127 -> 1023.
    const de = e === 0xff ? 0x7ff : e + 896;
    dHi = (sign | (de << 20) | ((abs & 0x7fffff) >>> 3)) >>> 0;
    dLo = ((abs & 7) << 29) >>> 0;
  } else if (abs === 0) {
    dHi = sign >>> 0;
    dLo = 0;
  } else {
    const lz = Math.clz32(abs) - 8; // shift that brings the leading 1 to bit 23
    const frac = (abs << lz) & 0x7fffff;
    dHi = (sign | ((897 - lz) << 20) | (frac >>> 3)) >>> 0;
    dLo = ((frac & 7) << 29) >>> 0;
  }
}

/**
 * The ISA's SINGLE(): binary64 bits -> binary32 bits by truncation, no
 * rounding and no FPSCR effect.  Exponents too small even for a binary32
 * denormal give a signed zero; too-large finite values simply lose exponent
 * bits (both undefined in the ISA; this is QEMU's choice).
 */
function doubleToSingle(hi: number, lo: number): number {
  const e = (hi >>> 20) & 0x7ff;
  if (e > 896) {
    return ((hi & 0xc0000000) | ((hi & 0x07ffffff) << 3) | (lo >>> 29)) >>> 0;
  }
  let r = hi & 0x80000000;
  if (e >= 874) {
    // (implicit 1 | fraction) >> (926 - e), taking bits from both words
    const sh = 926 - e; // 30..52
    const mhi = (hi & 0xfffff) | 0x100000; // bits 52..32 of the significand
    let v: number;
    if (sh >= 32) v = mhi >>> (sh - 32);
    else v = ((mhi << (32 - sh)) | (lo >>> sh)) >>> 0;
    r |= v;
  }
  return r >>> 0;
}

/** lfs / lfsx / lfsu ...: FRT = DOUBLE(word). */
export function loadSingle(st: FpuState, frt: number, bits32: number): void {
  singleToDouble(bits32 >>> 0);
  st.words[2 * frt + 1] = dHi;
  st.words[2 * frt] = dLo;
}

/** stfs / stfsx ...: the word to store, SINGLE(FRS). */
export function storeSingleBits(st: FpuState, frs: number): number {
  return doubleToSingle(fprHi(st, frs), fprLo(st, frs));
}

/** stfiwx: the low word of FRS, stored as is. */
export function storeIntWordBits(st: FpuState, frs: number): number {
  return fprLo(st, frs);
}

/** frsp: round to binary32 (with FPSCR rounding, flags, OE/UE rebias). */
export function frsp(st: FpuState, frt: number, frb: number): number {
  beginOp();
  const w = st.words;
  res.flags = 0;
  toF32(fprHi(st, frb), fprLo(st, frb), loadCtx(st));
  if (res.flags & F_INV_SNAN && invalidSnan(st)) return FP_ENABLED_EXCEPTION;
  // QEMU rounds into a binary32 (a rebiased exponent is truncated to 8 bits
  // there) and widens it with DOUBLE(), unlike the arithmetic single forms.
  singleToDouble(res.lo);
  w[2 * frt + 1] = dHi;
  w[2 * frt] = dLo;
  setFprf(st, dHi, dLo);
  checkStatus(st, res.flags, true);
  return pendingTrap ? FP_ENABLED_EXCEPTION : FP_OK;
}

/**
 * fctiw / fctiwz: the 32-bit result goes to the low word.  QEMU fills the
 * high word with the sign extension of the integer (the ISA leaves it
 * undefined), except for NaN operands, whose 0x80000000 result is
 * zero-extended.  FPRF is left alone (undefined in the ISA) except for the
 * invalid-operation case, which sets it to 0b10001 when VE=0.
 */
function convertToInt(st: FpuState, frt: number, frb: number, rm: number): number {
  beginOp();
  const w = st.words;
  res.flags = 0;
  let v = toInt32(fprHi(st, frb), fprLo(st, frb), rm);
  let hi = v < 0 ? 0xffffffff : 0;
  const f = res.flags;
  if (f & F_INVALID) {
    if (!(f & F_INV_CVTI)) {
      v = 0x80000000;
      hi = 0;
    }
    if (invalidConvert(st, FPSCR_VXCVI, (f & F_INV_SNAN) !== 0)) return FP_ENABLED_EXCEPTION;
  }
  w[2 * frt + 1] = hi;
  w[2 * frt] = v >>> 0;
  checkStatus(st, f, true);
  return pendingTrap ? FP_ENABLED_EXCEPTION : FP_OK;
}

export function fctiw(st: FpuState, frt: number, frb: number): number {
  return convertToInt(st, frt, frb, st.fpscr & 3);
}

export function fctiwz(st: FpuState, frt: number, frb: number): number {
  return convertToInt(st, frt, frb, RN_ZERO);
}

/** fsel: FRT = (FRA >= 0 or FRA = -0) and FRA not NaN ? FRC : FRB.  No FPSCR
 *  change at all (QEMU does not even clear FI here). */
export function fsel(st: FpuState, frt: number, fra: number, frc: number, frb: number): number {
  const w = st.words;
  const ahi = fprHi(st, fra);
  const alo = fprLo(st, fra);
  const isNan = (ahi & 0x7ff00000) === 0x7ff00000 && ((ahi & 0xfffff) | alo) !== 0;
  const isZero = (ahi & 0x7fffffff) === 0 && alo === 0;
  const src = !isNan && (ahi >>> 31 === 0 || isZero) ? frc : frb;
  w[2 * frt + 1] = fprHi(st, src);
  w[2 * frt] = fprLo(st, src);
  return FP_OK;
}

export function fmr(st: FpuState, frt: number, frb: number): number {
  const w = st.words;
  w[2 * frt + 1] = fprHi(st, frb);
  w[2 * frt] = fprLo(st, frb);
  return FP_OK;
}

export function fneg(st: FpuState, frt: number, frb: number): number {
  const w = st.words;
  w[2 * frt + 1] = (fprHi(st, frb) ^ 0x80000000) >>> 0;
  w[2 * frt] = fprLo(st, frb);
  return FP_OK;
}

export function fabs(st: FpuState, frt: number, frb: number): number {
  const w = st.words;
  w[2 * frt + 1] = fprHi(st, frb) & 0x7fffffff;
  w[2 * frt] = fprLo(st, frb);
  return FP_OK;
}

export function fnabs(st: FpuState, frt: number, frb: number): number {
  const w = st.words;
  w[2 * frt + 1] = (fprHi(st, frb) | 0x80000000) >>> 0;
  w[2 * frt] = fprLo(st, frb);
  return FP_OK;
}
