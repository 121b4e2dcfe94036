/**
 * The embedded floating-point arithmetic (add, sub, mul, div; single and double) on host
 * doubles, for the cases where the result is provably the one spe-fpcore.ts computes on
 * bigints: normal operands, a normal result, round to nearest (SPEFSCR[FRMC] = 0). Anything
 * else — zeros, denormals, infinities, NaNs, a result that overflows, underflows or is an
 * exact zero, the directed rounding modes, exponents near either end of the range — returns
 * false and the caller takes the exact path, which also owns every special-case rule.
 *
 * Why the results agree (test/unit/spe/fast.test.ts compares both on millions of operands,
 * ties and cancellations included):
 * - single: a product or a sum (exponents at most 28 apart) of two 24-bit significands is
 *   exact in a double; for a quotient, the double quotient truncated to 24 bits and the
 *   remainder a − t·b (exact: a 48-bit product, and a difference smaller than its last
 *   place) give the truncated quotient, guard and sticky exactly;
 * - double: the host's IEEE operations already round to nearest-even, as the exact path
 *   does for FRMC = 0; the error terms (TwoSum; Dekker's product with Veltkamp's split; the
 *   remainder of a correctly rounded quotient, which is representable) give the guard and
 *   sticky bits of the exact value. Exponents are kept within ±900 so that no split, error
 *   term or scaled comparison overflows or loses bits to underflow.
 * Guard (E_G) and sticky (E_X) are those of the exact value truncated to the format, as
 * spe-fpcore's roundPack reports them.
 */
import { E_G, E_X } from './spe-fpcore.js';

const LITTLE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const HI = LITTLE ? 1 : 0;
const LO = LITTLE ? 0 : 1;
const f64 = new Float64Array(1);
const w64 = new Uint32Array(f64.buffer);
const f32 = new Float32Array(1);
const w32 = new Uint32Array(f32.buffer);

/** Results of the last successful fast operation. */
export let fastBits = 0;
export let fastHi = 0;
export let fastLo = 0;
export let fastEf = 0;

/** A single-precision operation on two 32-bit images; false: use the exact path. */
export type FastS = (a: number, b: number) => boolean;
/** A double-precision operation on two 64-bit images as (high, low) words. */
export type FastD = (ah: number, al: number, bh: number, bl: number) => boolean;

function single(bits: number): number {
  w32[0] = bits;
  return f32[0]!;
}

/** Biased exponent field 1–254: a normal single (not zero, denormal, infinity or NaN). */
const normalS = (bits: number): boolean => {
  const e = (bits >>> 23) & 0xff;
  return e !== 0 && e !== 0xff;
};

/**
 * Rounds `v` (a nonzero double holding the exact value, or its truncation when `g`/`x`
 * carry what lies below) to single, nearest-even. False on overflow or underflow.
 */
function packS(v: number, g: boolean, x: boolean): boolean {
  f64[0] = v;
  const hi = w64[HI]!;
  const lo = w64[LO]!;
  const e = ((hi >>> 20) & 0x7ff) - 1023 + 127;
  if (e < 1 || e > 254) return false;
  let bits = ((hi & 0x80000000) | (e << 23) | ((hi & 0xfffff) << 3) | (lo >>> 29)) >>> 0;
  // The 29 bits a single drops: the first is the guard bit, the rest are sticky.
  if (((lo >>> 28) & 1) !== 0) {
    if (g || x) return false; // a caller's tail below a nonzero guard: cannot happen
    g = true;
  }
  x = x || (lo & 0x0fffffff) !== 0;
  if (g && (x || (bits & 1) !== 0)) {
    bits = (bits + 1) >>> 0;
    if (((bits >>> 23) & 0xff) === 0xff) return false;
  }
  fastBits = bits | 0;
  fastEf = (g ? E_G : 0) | (x ? E_X : 0);
  return true;
}

export const addS: FastS = (a, b) => {
  if (!normalS(a) || !normalS(b)) return false;
  const d = ((a >>> 23) & 0xff) - ((b >>> 23) & 0xff);
  if (d > 28 || d < -28) return false;
  const v = single(a) + single(b);
  return v !== 0 && packS(v, false, false);
};

export const subS: FastS = (a, b) => addS(a, b ^ 0x80000000);

export const mulS: FastS = (a, b) => {
  if (!normalS(a) || !normalS(b)) return false;
  return packS(single(a) * single(b), false, false);
};

export const divS: FastS = (a, b) => {
  if (!normalS(a) || !normalS(b)) return false;
  const A = Math.abs(single(a));
  const B = Math.abs(single(b));
  // The double quotient truncated to single precision, and the place of its last bit.
  f64[0] = A / B;
  const E = (w64[HI]! >>> 20) & 0x7ff;
  w64[LO] = w64[LO]! & 0xe0000000;
  let t = f64[0];
  const powerOfTwo = (w64[HI]! & 0xfffff) === 0 && w64[LO] === 0;
  w64[HI] = (E - 23) << 20;
  w64[LO] = 0;
  const u = f64[0];
  let r = A - t * B;
  if (r < 0) {
    // The double quotient rounded up across the truncation point.
    if (powerOfTwo) return false;
    t -= u;
    r += u * B;
  }
  const ub = u * B;
  if (r < 0 || r >= ub) return false;
  const sign = ((a ^ b) & 0x80000000) !== 0 ? -1 : 1;
  return packS(sign * t, 2 * r >= ub, r !== 0 && 2 * r !== ub);
};

// ---- double

function double(hi: number, lo: number): number {
  w64[HI] = hi;
  w64[LO] = lo;
  return f64[0]!;
}

/** Biased exponent within ±900 of the bias: normal, and far from both ends of the range. */
const tameD = (hi: number): boolean => {
  const e = (hi >>> 20) & 0x7ff;
  return e >= 1023 - 900 && e <= 1023 + 900;
};

/** Place of the last bit of a double with biased exponent e (e − 52 ≥ 1 under tameD). */
function ulpOf(e: number): number {
  return double((e - 52) << 20, 0);
}

/**
 * Takes s = RN(v) as the result, where v = s + err exactly (err a double, |err| ≤ half an
 * ulp of s). The guard and sticky bits are those of v truncated toward zero.
 */
function packD(s: number, err: number): boolean {
  f64[0] = s;
  const hi = w64[HI]!;
  const lo = w64[LO]!;
  if (!tameD(hi)) return false;
  fastHi = hi | 0;
  fastLo = lo | 0;
  if (err === 0) {
    fastEf = 0;
    return true;
  }
  const e = (hi >>> 20) & 0x7ff;
  const u = ulpOf(e);
  const m = Math.abs(err);
  if ((err > 0) === (s > 0)) {
    // |v| above |s|: the truncation is s itself, what is left is |err|.
    fastEf = m === u / 2 ? E_G : E_X;
    return true;
  }
  // |v| below |s|: the truncation is the next double toward zero, `gap` below s.
  const gap = (hi & 0xfffff) === 0 && lo === 0 ? u / 2 : u;
  fastEf = (m <= gap / 2 ? E_G : 0) | (m !== gap / 2 ? E_X : 0);
  return true;
}

/** Veltkamp's split of a tame double into two halves of at most 26 bits each. */
const SPLIT = 134217729; // 2^27 + 1
let splitHi = 0;
let splitLo = 0;
function split(a: number): void {
  const c = SPLIT * a;
  splitHi = c - (c - a);
  splitLo = a - splitHi;
}

/** The rounding error of a·b (Dekker): a·b = RN(a·b) + the result, exactly. */
function productError(a: number, b: number, p: number): number {
  split(a);
  const ah = splitHi;
  const al = splitLo;
  split(b);
  return ah * splitHi - p + ah * splitLo + al * splitHi + al * splitLo;
}

export const addD: FastD = (ah, al, bh, bl) => {
  if (!tameD(ah) || !tameD(bh)) return false;
  const a = double(ah, al);
  const b = double(bh, bl);
  const s = a + b;
  if (s === 0) return false;
  // TwoSum (Knuth): the exact error of the rounded sum.
  const bb = s - a;
  const err = a - (s - bb) + (b - bb);
  return packD(s, err);
};

export const subD: FastD = (ah, al, bh, bl) => addD(ah, al, bh ^ 0x80000000, bl);

export const mulD: FastD = (ah, al, bh, bl) => {
  if (!tameD(ah) || !tameD(bh)) return false;
  const a = double(ah, al);
  const b = double(bh, bl);
  const p = a * b;
  if (!Number.isFinite(p) || p === 0) return false;
  f64[0] = p;
  if (!tameD(w64[HI]!)) return false;
  return packD(p, productError(a, b, p));
};

export const divD: FastD = (ah, al, bh, bl) => {
  if (!tameD(ah) || !tameD(bh)) return false;
  const a = double(ah, al);
  const b = double(bh, bl);
  const A = Math.abs(a);
  const B = Math.abs(b);
  const q = A / B;
  f64[0] = q;
  const qh = w64[HI]!;
  const ql = w64[LO]!;
  if (!tameD(qh)) return false;
  // The remainder of a correctly rounded quotient is a double: A − q·B, exactly.
  const p = q * B;
  const r = A - p - productError(q, B, p);
  const sign = (a < 0) !== (b < 0);
  fastHi = (qh | (sign ? 0x80000000 : 0)) | 0;
  fastLo = ql | 0;
  if (r === 0) {
    fastEf = 0;
    return true;
  }
  const u = ulpOf((qh >>> 20) & 0x7ff);
  if (r > 0) {
    // A/B above q: the truncation is q, the rest is r/B.
    const half = (u / 2) * B;
    fastEf = (r >= half ? E_G : 0) | (r !== half ? E_X : 0);
    return true;
  }
  const gap = (qh & 0xfffff) === 0 && ql === 0 ? u / 2 : u;
  const half = (gap / 2) * B;
  fastEf = (-r <= half ? E_G : 0) | (-r !== half ? E_X : 0);
  return true;
};

export const FAST_S: Readonly<Record<'add' | 'sub' | 'mul' | 'div', FastS>> = { add: addS, sub: subS, mul: mulS, div: divS };
export const FAST_D: Readonly<Record<'add' | 'sub' | 'mul' | 'div', FastD>> = { add: addD, sub: subD, mul: mulD, div: divD };
