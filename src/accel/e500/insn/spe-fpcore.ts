/**
 * Arithmetic core of the e500 embedded floating point (single and double), on bit images
 * held in bigints: unpacking, exact add/sub/mul/div, rounding, conversions.
 *
 * The e500 does not implement IEEE 754 special values (SPE PEM, "Embedded Floating-Point
 * Operations"; SPEFSCR[FINV]):
 * - an operand that is infinity, NaN or denormalized sets the invalid flag (FINV); a
 *   denormalized operand is used as a zero of the same sign, and infinity and NaN act as
 *   values beyond the largest normal number, giving a largest-magnitude result;
 * - results never are infinity, NaN or denormalized: overflow gives ±largest normal (FOVF),
 *   underflow gives ±0 (FUNF);
 * - rounding (SPEFSCR[FRMC]) is to nearest-even or toward zero; the two directed modes
 *   deliver the truncated result and leave the final increment to the embedded FP round
 *   interrupt handler (as the Linux SPE round handler expects), so they truncate here too.
 * The exact default results for special operands follow the PEM result tables as far as
 * they are known; QEMU 7.2 computes IEEE results instead, so the differential guests use
 * normal operands and results only.
 *
 * Every operation reports through `ef` which exception conditions it met.
 */

export interface Fmt {
  /** Fraction bits (23 or 52). */
  readonly fbits: number;
  readonly bias: number;
  /** Largest biased exponent of a normal number. */
  readonly emaxBiased: number;
  readonly expMask: bigint;
  readonly fracMask: bigint;
  readonly signBit: bigint;
  /** Bit image of the largest normal magnitude. */
  readonly maxMag: bigint;
}

function fmt(fbits: number, ebits: number): Fmt {
  const emaxBiased = (1 << ebits) - 2;
  return {
    fbits,
    bias: (1 << (ebits - 1)) - 1,
    emaxBiased,
    expMask: BigInt((1 << ebits) - 1),
    fracMask: (1n << BigInt(fbits)) - 1n,
    signBit: 1n << BigInt(fbits + ebits),
    maxMag: (BigInt(emaxBiased) << BigInt(fbits)) | ((1n << BigInt(fbits)) - 1n),
  };
}

export const SP = fmt(23, 8);
export const DP = fmt(52, 11);

/** Exception conditions of one element, gathered in `ef`. */
export const E_INV = 1;
export const E_DBZ = 2;
export const E_UNF = 4;
export const E_OVF = 8;
/** Guard and sticky bits of the rounded result (SPEFSCR FG/FX). */
export const E_G = 16;
export const E_X = 32;

export let ef = 0;

export function clearFlags(): void {
  ef = 0;
}

export const enum Cls {
  Zero,
  Norm,
  /** Infinity or NaN. */
  Big,
}

/** An unpacked operand: value = (-1)^sign × mant × 2^exp. Denormals come out as Zero. */
export interface Unpacked {
  sign: number;
  cls: Cls;
  mant: bigint;
  exp: number;
}

export function unpack(f: Fmt, bits: bigint): Unpacked {
  const sign = (bits & f.signBit) !== 0n ? 1 : 0;
  const e = Number((bits >> BigInt(f.fbits)) & f.expMask);
  const frac = bits & f.fracMask;
  if (e === 0) {
    if (frac !== 0n) ef |= E_INV;
    return { sign, cls: Cls.Zero, mant: 0n, exp: 0 };
  }
  if (e === f.emaxBiased + 1) {
    ef |= E_INV;
    return { sign, cls: Cls.Big, mant: 0n, exp: 0 };
  }
  return { sign, cls: Cls.Norm, mant: frac | (1n << BigInt(f.fbits)), exp: e - f.bias - f.fbits };
}

export function zero(f: Fmt, sign: number): bigint {
  return sign !== 0 ? f.signBit : 0n;
}

export function maxValue(f: Fmt, sign: number): bigint {
  return sign !== 0 ? f.signBit | f.maxMag : f.maxMag;
}

function bitLength(v: bigint): number {
  return v.toString(2).length;
}

/**
 * Rounds (-1)^sign × mant × 2^exp (plus a nonzero tail below it when `sticky`) to the
 * format with rounding mode `mode` (FRMC).
 */
export function roundPack(f: Fmt, sign: number, mant: bigint, exp: number, sticky: boolean, mode: number): bigint {
  if (mant === 0n) {
    if (!sticky) return zero(f, sign);
    // Only a tail below the representable range: an underflow.
    ef |= E_UNF | E_X;
    return zero(f, sign);
  }
  const p = f.fbits + 1;
  const len = bitLength(mant);
  let e = exp + len - 1;
  let q: bigint;
  let g = false;
  let x = sticky;
  const sh = len - p;
  if (sh > 0) {
    const s = BigInt(sh);
    q = mant >> s;
    g = ((mant >> (s - 1n)) & 1n) !== 0n;
    x = x || (mant & ((1n << (s - 1n)) - 1n)) !== 0n;
  } else {
    q = mant << BigInt(-sh);
  }
  if (mode === 0 && g && (x || (q & 1n) !== 0n)) {
    q += 1n;
    if (q >> BigInt(p) !== 0n) {
      q >>= 1n;
      e += 1;
    }
  }
  const biased = e + f.bias;
  if (biased > f.emaxBiased) {
    ef |= E_OVF | E_X;
    return maxValue(f, sign);
  }
  if (biased < 1) {
    ef |= E_UNF | E_X;
    return zero(f, sign);
  }
  if (g) ef |= E_G;
  if (x) ef |= E_X;
  return (sign !== 0 ? f.signBit : 0n) | (BigInt(biased) << BigInt(f.fbits)) | (q & f.fracMask);
}

/** Exact sum of two finite operands, rounded. `mode` also decides the sign of an exact 0. */
function addFinite(f: Fmt, a: Unpacked, b: Unpacked, mode: number): bigint {
  if (a.cls === Cls.Zero && b.cls === Cls.Zero) return zero(f, a.sign & b.sign);
  if (a.cls === Cls.Zero) return roundPack(f, b.sign, b.mant, b.exp, false, mode);
  if (b.cls === Cls.Zero) return roundPack(f, a.sign, a.mant, a.exp, false, mode);
  // Keep the shift bounded: an operand far below the other's rounding point only matters
  // as a nonzero tail, which any smaller nonzero value with the same sign represents.
  const limit = f.fbits + 4;
  let ea = a.exp;
  let eb = b.exp;
  let ma = a.mant;
  let mb = b.mant;
  if (ea - eb > limit) {
    mb = 1n;
    eb = ea - limit;
  } else if (eb - ea > limit) {
    ma = 1n;
    ea = eb - limit;
  }
  const e = Math.min(ea, eb);
  const va = (ma << BigInt(ea - e)) * (a.sign !== 0 ? -1n : 1n);
  const vb = (mb << BigInt(eb - e)) * (b.sign !== 0 ? -1n : 1n);
  const s = va + vb;
  if (s === 0n) return zero(f, 0);
  return roundPack(f, s < 0n ? 1 : 0, s < 0n ? -s : s, e, false, mode);
}

export function add(f: Fmt, abits: bigint, bbits: bigint, mode: number, negateB: boolean): bigint {
  const a = unpack(f, abits);
  const b = unpack(f, bbits);
  if (negateB) b.sign ^= 1;
  if (a.cls === Cls.Big) return maxValue(f, a.sign);
  if (b.cls === Cls.Big) return maxValue(f, b.sign);
  return addFinite(f, a, b, mode);
}

export function mul(f: Fmt, abits: bigint, bbits: bigint, mode: number): bigint {
  const a = unpack(f, abits);
  const b = unpack(f, bbits);
  const sign = a.sign ^ b.sign;
  if (a.cls === Cls.Big || b.cls === Cls.Big) {
    return a.cls === Cls.Zero || b.cls === Cls.Zero ? zero(f, sign) : maxValue(f, sign);
  }
  if (a.cls === Cls.Zero || b.cls === Cls.Zero) return zero(f, sign);
  return roundPack(f, sign, a.mant * b.mant, a.exp + b.exp, false, mode);
}

export function div(f: Fmt, abits: bigint, bbits: bigint, mode: number): bigint {
  const a = unpack(f, abits);
  const b = unpack(f, bbits);
  const sign = a.sign ^ b.sign;
  if (a.cls === Cls.Big) return maxValue(f, sign);
  if (b.cls === Cls.Big) return zero(f, sign);
  if (b.cls === Cls.Zero) {
    if (a.cls === Cls.Zero) {
      ef |= E_INV;
      return zero(f, sign);
    }
    ef |= E_DBZ;
    return maxValue(f, sign);
  }
  if (a.cls === Cls.Zero) return zero(f, sign);
  // Enough quotient bits for the rounding point plus guard, with the remainder as sticky.
  const k = f.fbits + 3;
  const num = a.mant << BigInt(k);
  const q = num / b.mant;
  const r = num - q * b.mant;
  return roundPack(f, sign, q, a.exp - b.exp - k, r !== 0n, mode);
}

/** Ordering key for compares: sign-magnitude as a signed number, ±0 equal. */
export function orderKey(f: Fmt, bits: bigint): bigint {
  const mag = bits & (f.signBit - 1n);
  return (bits & f.signBit) !== 0n ? -mag : mag;
}

/** Sets E_INV when the operand is infinity, NaN or denormalized (compares, abs, neg). */
export function checkOperand(f: Fmt, bits: bigint): void {
  unpack(f, bits);
}

/**
 * Converts to an integer of `width` bits (signed or not) after scaling by 2^scale (31 or
 * 32 for the fractional formats). NaN and denormals give 0; infinity and out-of-range
 * values saturate; each of those sets E_INV. Returns the two's-complement image.
 */
export function toInt(f: Fmt, bits: bigint, signed: boolean, width: number, scale: number, mode: number): bigint {
  const u = unpack(f, bits);
  const w = BigInt(width);
  const maxV = signed ? (1n << (w - 1n)) - 1n : (1n << w) - 1n;
  const minV = signed ? -(1n << (w - 1n)) : 0n;
  const isNan = (bits & (f.signBit - 1n)) > f.maxMag + 1n;
  if (u.cls === Cls.Big) return isNan ? 0n : BigInt.asUintN(width, u.sign !== 0 ? minV : maxV);
  if (u.cls === Cls.Zero) return 0n;
  const e = u.exp + scale;
  let v: bigint;
  if (e >= 0) {
    v = u.mant << BigInt(e);
  } else {
    const s = BigInt(-e);
    v = u.mant >> s;
    const rem = u.mant & ((1n << s) - 1n);
    const half = 1n << (s - 1n);
    const g = rem >= half;
    const x = (rem & (half - 1n)) !== 0n;
    if (mode === 0 && g && (x || (v & 1n) !== 0n)) v += 1n;
    if (g) ef |= E_G;
    if (x) ef |= E_X;
  }
  if (u.sign !== 0) v = -v;
  if (v > maxV || v < minV) {
    ef = (ef & ~(E_G | E_X)) | E_INV;
    return BigInt.asUintN(width, v > maxV ? maxV : minV);
  }
  return BigInt.asUintN(width, v);
}

/** Converts the integer `v` scaled by 2^-scale (fractional formats) to floating point. */
export function fromInt(f: Fmt, v: bigint, scale: number, mode: number): bigint {
  if (v === 0n) return 0n;
  return v < 0n ? roundPack(f, 1, -v, -scale, false, mode) : roundPack(f, 0, v, -scale, false, mode);
}

/** Format conversion (efscfd, efdcfs). */
export function convert(from: Fmt, to: Fmt, bits: bigint, mode: number): bigint {
  const u = unpack(from, bits);
  if (u.cls === Cls.Big) return maxValue(to, u.sign);
  if (u.cls === Cls.Zero) return zero(to, u.sign);
  return roundPack(to, u.sign, u.mant, u.exp, false, mode);
}
