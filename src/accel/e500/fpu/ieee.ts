/**
 * Exact IEEE 754 binary64 arithmetic on raw bit patterns, with the rounding,
 * exception-flag and NaN conventions of the PowerPC FPU as QEMU 7.2 models it
 * (softfloat configured for PPC): tininess detected before rounding, NaN
 * operand precedence A then B (then C for multiply-add), SNaNs quieted by
 * setting the top fraction bit, default NaN 0x7FF8000000000000, and the
 * OE/UE "rebias" of overflowing/underflowing results.
 *
 * Values travel as two u32 words (hi, lo) so that NaN payloads and the sign of
 * zero survive untouched.  Every operation leaves its result in `res` and ORs
 * softfloat-style flags into `res.flags`; callers clear the flags first.
 *
 * Each operation tries a fast path built on native double arithmetic plus
 * error-free transformations (only in round-to-nearest with zero/normal
 * operands and a comfortably normal result, where native rounding is exactly
 * the required rounding), and otherwise falls back to exact BigInt arithmetic.
 */

/* ---- flags (mirrors the information softfloat hands to target code) ---- */
export const F_INVALID = 0x001;
export const F_INV_SNAN = 0x002;
export const F_INV_ISI = 0x004;
export const F_INV_IMZ = 0x008;
export const F_INV_IDI = 0x010;
export const F_INV_ZDZ = 0x020;
export const F_INV_SQRT = 0x040;
export const F_INV_CVTI = 0x080;
export const F_DIVZERO = 0x100;
export const F_OVERFLOW = 0x200;
export const F_UNDERFLOW = 0x400;
export const F_INEXACT = 0x800;

/* ---- rounding modes, numbered as FPSCR[RN] ---- */
export const RN_NEAREST = 0;
export const RN_ZERO = 1;
export const RN_UP = 2;
export const RN_DOWN = 3;

/** Rounding context taken from the FPSCR before an operation. */
export interface RoundCtx {
  /** FPSCR[RN] */
  rm: number;
  /** FPSCR[OE]: overflowed results are rebiased instead of saturated. */
  oe: boolean;
  /** FPSCR[UE]: tiny results are rebiased instead of denormalized. */
  ue: boolean;
}

/**
 * Result formats.  DOUBLE is binary64.  R32 is binary32 precision and range
 * delivered in binary64 format (the PPC single-precision arithmetic result).
 * F32 is raw binary32 bits (what float64_to_float32 produces); frsp widens
 * those afterwards.
 */
export const FMT_DOUBLE = 0;
export const FMT_R32 = 1;
export const FMT_F32 = 2;

/** Operation result: hi/lo words (for FMT_F32 the bits are in lo). */
export const res = { hi: 0, lo: 0, flags: 0 };

/* ---- classification ---- */
export const C_ZERO = 0;
export const C_FINITE = 1; // normal or denormal, nonzero
export const C_INF = 2;
export const C_QNAN = 3;
export const C_SNAN = 4;

export function classify(hi: number, lo: number): number {
  const e = (hi >>> 20) & 0x7ff;
  if (e === 0x7ff) {
    if ((hi & 0xfffff) !== 0 || lo !== 0) return (hi & 0x80000) !== 0 ? C_QNAN : C_SNAN;
    return C_INF;
  }
  if (e === 0 && (hi & 0xfffff) === 0 && lo === 0) return C_ZERO;
  return C_FINITE;
}

export function isNan(hi: number, lo: number): boolean {
  return (hi & 0x7ff00000) === 0x7ff00000 && ((hi & 0xfffff) !== 0 || lo !== 0);
}

export function isSnan(hi: number, lo: number): boolean {
  return (hi & 0x7ff80000) === 0x7ff00000 && ((hi & 0x7ffff) !== 0 || lo !== 0);
}

/* ---- scratch conversion between doubles and words ---- */
const cvBuf = new ArrayBuffer(8);
const cvF64 = new Float64Array(cvBuf);
const cvU32 = new Uint32Array(cvBuf);
// Little-endian hosts keep the high word second; big-endian hosts first.
// HI and LO are 0 and 1 in some order, so cvU32[HI], cvU32[LO] and cvF64[0]
// always index inside the scratch buffer (hence the `!` on those reads).
const HI = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 1 : 0;
const LO = 1 - HI;

function toDouble(hi: number, lo: number): number {
  cvU32[HI] = hi;
  cvU32[LO] = lo;
  return cvF64[0]!;
}

function setResFromDouble(d: number): void {
  cvF64[0] = d;
  res.hi = cvU32[HI]!;
  res.lo = cvU32[LO]!;
}

/* ---- result constructors ---- */
function setDefaultNan(): void {
  res.hi = 0x7ff80000;
  res.lo = 0;
}

/** Propagate NaN (hi, lo): quiet it; single-precision results also lose the
 *  fraction bits binary32 cannot hold. */
function setNan(hi: number, lo: number, fmt: number): void {
  if (fmt === FMT_F32) {
    res.hi = 0;
    res.lo = ((hi & 0x80000000) | 0x7fc00000 | ((hi & 0x7ffff) << 3) | (lo >>> 29)) >>> 0;
    return;
  }
  res.hi = (hi | 0x00080000) >>> 0;
  res.lo = fmt === FMT_R32 ? (lo & 0xe0000000) >>> 0 : lo;
}

function setZero(sign: number, fmt: number): void {
  if (fmt === FMT_F32) {
    res.hi = 0;
    res.lo = sign ? 0x80000000 : 0;
  } else {
    res.hi = sign ? 0x80000000 : 0;
    res.lo = 0;
  }
}

function setInf(sign: number, fmt: number): void {
  if (fmt === FMT_F32) {
    res.hi = 0;
    res.lo = sign ? 0xff800000 : 0x7f800000;
  } else {
    res.hi = sign ? 0xfff00000 : 0x7ff00000;
    res.lo = 0;
  }
}

/* ---- exact slow path ---- */

const TWO52 = 1n << 52n;

/** Significand (as BigInt) and exponent of a finite nonzero operand:
 *  value = mant * 2^exp. */
let unMant = 0n;
let unExp = 0;
function unpackFinite(hi: number, lo: number): void {
  const e = (hi >>> 20) & 0x7ff;
  const frac = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo >>> 0);
  if (e === 0) {
    unMant = frac;
    unExp = -1074;
  } else {
    unMant = frac | TWO52;
    unExp = e - 1075;
  }
}

export function bitLength(x: bigint): number {
  if (x < 0x20000000000000n) {
    const n = Number(x);
    const h = Math.floor(n / 4294967296);
    return h !== 0 ? 64 - Math.clz32(h) : 32 - Math.clz32(n >>> 0);
  }
  const s = x.toString(16);
  return (s.length - 1) * 4 + (32 - Math.clz32(parseInt(s.slice(0, 1), 16)));
}

interface FmtParams {
  p: number;
  emin: number;
  emax: number;
  bias: number;
  rebias: number;
}
const P_DOUBLE: FmtParams = { p: 53, emin: -1022, emax: 1023, bias: 1023, rebias: 1536 };
const P_SINGLE: FmtParams = { p: 24, emin: -126, emax: 127, bias: 127, rebias: 192 };

/**
 * Round sign * (mant * 2^exp + tiny) to the format and encode it into `res`.
 * `sticky` says the true value exceeds mant * 2^exp by a nonzero amount below
 * 2^exp; callers that pass it supply at least p+2 significant bits so the
 * sticky part lies below the rounding position.  mant must be nonzero.
 */
function roundPack(sign: number, mant: bigint, exp: number, sticky: boolean, fmt: number, ctx: RoundCtx): void {
  const fp = fmt === FMT_DOUBLE ? P_DOUBLE : P_SINGLE;
  const p = fp.p;
  const L = exp + bitLength(mant) - 1;
  const tiny = L < fp.emin;
  const qe = tiny && !ctx.ue ? fp.emin - p + 1 : L - p + 1;
  let kept: bigint;
  let inexact: boolean;
  if (qe <= exp) {
    kept = mant << BigInt(exp - qe);
    inexact = sticky;
    if (sticky) throw new Error('fpu: insufficient precision before rounding');
  } else {
    const shift = BigInt(qe - exp);
    kept = mant >> shift;
    const rem = mant - (kept << shift);
    inexact = rem !== 0n || sticky;
    if (inexact) {
      let up: boolean;
      switch (ctx.rm) {
        case RN_NEAREST: {
          const half = 1n << (shift - 1n);
          up = rem > half || (rem === half && (sticky || (kept & 1n) === 1n));
          break;
        }
        case RN_ZERO:
          up = false;
          break;
        case RN_UP:
          up = sign === 0;
          break;
        default:
          up = sign !== 0;
          break;
      }
      if (up) kept += 1n;
    }
  }
  if (inexact) res.flags |= F_INEXACT;
  if (kept === 0n) {
    // Only reachable when a tiny value rounds away to zero.
    res.flags |= F_UNDERFLOW;
    setZero(sign, fmt);
    return;
  }
  let klen = bitLength(kept);
  const Lf = qe + klen - 1;
  if (klen > p) {
    kept >>= 1n; // carry out of the top: kept was exactly 2^p
    klen = p;
  }
  let biased: number;
  if (!tiny) {
    if (Lf > fp.emax) {
      res.flags |= F_OVERFLOW;
      if (ctx.oe) {
        biased = Lf + fp.bias - fp.rebias;
      } else {
        res.flags |= F_INEXACT;
        const toInf =
          ctx.rm === RN_NEAREST || (ctx.rm === RN_UP && sign === 0) || (ctx.rm === RN_DOWN && sign !== 0);
        if (toInf) setInf(sign, fmt);
        else setMax(sign, fmt);
        return;
      }
    } else {
      biased = Lf + fp.bias;
    }
  } else if (ctx.ue) {
    // softfloat's rebias path flags underflow even for exact results
    res.flags |= F_UNDERFLOW;
    biased = Lf + fp.bias + fp.rebias;
  } else {
    if (inexact) res.flags |= F_UNDERFLOW;
    if (Lf < fp.emin) {
      encodeDenormal(sign, kept, klen, fmt);
      return;
    }
    biased = Lf + fp.bias;
  }
  encodeNormal(sign, biased, kept, fmt);
}

function setMax(sign: number, fmt: number): void {
  if (fmt === FMT_DOUBLE) {
    res.hi = (sign ? 0xffefffff : 0x7fefffff) >>> 0;
    res.lo = 0xffffffff;
  } else if (fmt === FMT_R32) {
    res.hi = (sign ? 0xc7efffff : 0x47efffff) >>> 0;
    res.lo = 0xe0000000;
  } else {
    res.hi = 0;
    res.lo = (sign ? 0xff7fffff : 0x7f7fffff) >>> 0;
  }
}

/** kept holds p significant bits (leading bit implicit in the encoding);
 *  `biased` may lie outside the exponent field after an OE/UE rebias and is
 *  then truncated to the field width, as QEMU's packing does. */
function encodeNormal(sign: number, biased: number, kept: bigint, fmt: number): void {
  const s = sign ? 0x80000000 : 0;
  if (fmt === FMT_DOUBLE) {
    const frac = kept - TWO52;
    res.hi = (s | ((biased & 0x7ff) << 20) | Number(frac >> 32n)) >>> 0;
    res.lo = Number(frac & 0xffffffffn) >>> 0;
  } else if (fmt === FMT_R32) {
    const frac23 = Number(kept) - 0x800000;
    // A rebiased exponent of exactly 0 is taken for a binary32 denormal and
    // renormalized by QEMU's float64r32 packing, which lands on exponent 1.
    const e = biased === 0 ? 897 : (biased + 896) & 0x7ff;
    res.hi = (s | (e << 20) | (frac23 >>> 3)) >>> 0;
    res.lo = ((frac23 & 7) << 29) >>> 0;
  } else {
    const frac23 = Number(kept) - 0x800000;
    res.hi = 0;
    res.lo = (s | ((biased & 0xff) << 23) | frac23) >>> 0;
  }
}

/** Denormal result of `klen` significant bits at the format's minimum
 *  quantum (2^-1074 or 2^-149). */
function encodeDenormal(sign: number, kept: bigint, klen: number, fmt: number): void {
  const s = sign ? 0x80000000 : 0;
  if (fmt === FMT_DOUBLE) {
    res.hi = (s | Number(kept >> 32n)) >>> 0;
    res.lo = Number(kept & 0xffffffffn) >>> 0;
  } else if (fmt === FMT_F32) {
    res.hi = 0;
    res.lo = (s | Number(kept)) >>> 0;
  } else {
    // binary32 denormals are ordinary normals in binary64
    const k = Number(kept);
    const L = -149 + klen - 1;
    const norm = k * 2 ** (24 - klen); // leading bit at 2^23
    const frac23 = norm - 0x800000;
    res.hi = (s | ((L + 1023) << 20) | (frac23 >>> 3)) >>> 0;
    res.lo = ((frac23 & 7) << 29) >>> 0;
  }
}

/** Sum of two signed exact values sa*ma*2^ea + sb*mb*2^eb, rounded. */
function addExact(sa: number, ma: bigint, ea: number, sb: number, mb: bigint, eb: number, fmt: number, ctx: RoundCtx,
                  zeroFlip: number): void {
  // A far smaller operand only decides direction (and inexactness), so it is
  // replaced by a tiny value of the same sign to keep the integers small.
  const la = ea + bitLength(ma);
  const lb = eb + bitLength(mb);
  if (la - lb > 300) {
    mb = 1n;
    eb = la - 300 - 8;
  } else if (lb - la > 300) {
    ma = 1n;
    ea = lb - 300 - 8;
  }
  const e = Math.min(ea, eb);
  let A = ma << BigInt(ea - e);
  let B = mb << BigInt(eb - e);
  if (sa) A = -A;
  if (sb) B = -B;
  const S = A + B;
  if (S === 0n) {
    setZero((ctx.rm === RN_DOWN ? 1 : 0) ^ zeroFlip, fmt);
    return;
  }
  if (S < 0n) roundPack(1, -S, e, false, fmt, ctx);
  else roundPack(0, S, e, false, fmt, ctx);
}

/* ---- NaN selection ---- */

/** Two-operand NaN propagation: A if it is a NaN, else B. */
function pickNan2(aHi: number, aLo: number, bHi: number, bLo: number, fmt: number): void {
  if (isSnan(aHi, aLo) || isSnan(bHi, bLo)) res.flags |= F_INVALID | F_INV_SNAN;
  if (isNan(aHi, aLo)) setNan(aHi, aLo, fmt);
  else setNan(bHi, bLo, fmt);
}

/* ---- fast-path helpers (round-to-nearest only) ---- */

const SPLITTER = 134217729; // 2^27 + 1
/** err such that a*b = p + err exactly; valid under the range checks of the
 *  callers (no overflow in the split, no underflow in the partial products). */
function twoProdErr(a: number, b: number, p: number): number {
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}

/** Exponent field of a word pair. */
function expField(hi: number): number {
  return (hi >>> 20) & 0x7ff;
}

const MIN_NORMAL = 2.2250738585072014e-308;
const MIN_NORMAL_F32 = 1.1754943508222875e-38;

/**
 * Deliver exact value x = d + err (d = RN(x) in binary64, err exact or at
 * least with exact sign) for the requested format in round-to-nearest.
 * Returns false when the fast path cannot decide (result not comfortably
 * normal), leaving nothing written.
 */
function deliverNearest(d: number, errSign: number, fmt: number): boolean {
  if (fmt === FMT_DOUBLE) {
    const ad = Math.abs(d);
    if (!(ad > MIN_NORMAL && ad < Infinity)) return false;
    setResFromDouble(d);
    if (errSign !== 0) res.flags |= F_INEXACT;
    return true;
  }
  const f = Math.fround(d);
  const af = Math.abs(f);
  if (!(af > MIN_NORMAL_F32 && af < Infinity)) return false;
  if (f === d) {
    setResFromDouble(f);
    if (errSign !== 0) res.flags |= F_INEXACT;
    return true;
  }
  res.flags |= F_INEXACT;
  cvF64[0] = d;
  if ((cvU32[LO]! & 0x1fffffff) === 0x10000000 && errSign !== 0) {
    // d sits exactly between two binary32 values: the exact value's side of
    // d decides, not ties-to-even.
    const halfUlp = Math.abs(d - f);
    setResFromDouble(errSign > 0 ? d + halfUlp : d - halfUlp);
    return true;
  }
  setResFromDouble(f);
  return true;
}

/* ---- operations ---- */

export function add(aHi: number, aLo: number, bHi: number, bLo: number, negB: boolean, fmt: number, ctx: RoundCtx): void {
  const ea = expField(aHi);
  const eb = expField(bHi);
  if (ctx.rm === RN_NEAREST && ea !== 0x7ff && eb !== 0x7ff && (ea !== 0 || ((aHi & 0xfffff) | aLo) === 0) &&
      (eb !== 0 || ((bHi & 0xfffff) | bLo) === 0)) {
    const a = toDouble(aHi, aLo);
    const b = negB ? -toDouble(bHi, bLo) : toDouble(bHi, bLo);
    const s = a + b;
    if (s === 0) {
      // Exact: the sum of two doubles never rounds to zero.
      setResFromDouble(s);
      return;
    }
    const bb = s - a;
    const err = (a - (s - bb)) + (b - bb);
    if (Number.isFinite(s) && deliverNearestAny(s, err > 0 ? 1 : err < 0 ? -1 : 0, fmt)) return;
  }
  addSlow(aHi, aLo, bHi, bLo, negB, fmt, ctx);
}

/** deliverNearest that also accepts FMT_F32 by way of the R32 encoding. */
function deliverNearestAny(d: number, errSign: number, fmt: number): boolean {
  if (fmt !== FMT_F32) return deliverNearest(d, errSign, fmt);
  if (!deliverNearest(d, errSign, FMT_R32)) return false;
  res.lo = r32ToF32(res.hi, res.lo);
  res.hi = 0;
  return true;
}

/** binary32 bits of a normal binary32 value held in binary64 format. */
function r32ToF32(hi: number, lo: number): number {
  const e = ((hi >>> 20) & 0x7ff) - 896;
  return ((hi & 0x80000000) | (e << 23) | ((hi & 0xfffff) << 3) | (lo >>> 29)) >>> 0;
}

function addSlow(aHi: number, aLo: number, bHi: number, bLo: number, negB: boolean, fmt: number, ctx: RoundCtx): void {
  const ca = classify(aHi, aLo);
  const cb = classify(bHi, bLo);
  if (ca >= C_QNAN || cb >= C_QNAN) {
    pickNan2(aHi, aLo, bHi, bLo, fmt);
    return;
  }
  const sa = aHi >>> 31;
  const sb = (bHi >>> 31) ^ (negB ? 1 : 0);
  if (ca === C_INF || cb === C_INF) {
    if (ca === C_INF && cb === C_INF && sa !== sb) {
      res.flags |= F_INVALID | F_INV_ISI;
      setDefaultNan();
    } else {
      setInf(ca === C_INF ? sa : sb, fmt);
    }
    return;
  }
  if (ca === C_ZERO && cb === C_ZERO) {
    setZero(sa === sb ? sa : ctx.rm === RN_DOWN ? 1 : 0, fmt);
    return;
  }
  if (ca === C_ZERO) {
    unpackFinite(bHi, bLo);
    roundPack(sb, unMant, unExp, false, fmt, ctx);
    return;
  }
  unpackFinite(aHi, aLo);
  const ma = unMant;
  const xa = unExp;
  if (cb === C_ZERO) {
    roundPack(sa, ma, xa, false, fmt, ctx);
    return;
  }
  unpackFinite(bHi, bLo);
  addExact(sa, ma, xa, sb, unMant, unExp, fmt, ctx, 0);
}

export function mul(aHi: number, aLo: number, bHi: number, bLo: number, fmt: number, ctx: RoundCtx): void {
  const ea = expField(aHi);
  const eb = expField(bHi);
  if (ctx.rm === RN_NEAREST && ea !== 0 && eb !== 0 && ea !== 0x7ff && eb !== 0x7ff &&
      ea + eb >= 1023 * 2 - 970 && ea <= 1023 + 995 && eb <= 1023 + 995) {
    const a = toDouble(aHi, aLo);
    const b = toDouble(bHi, bLo);
    const p = a * b;
    if (Math.abs(p) < 4.49423283715579e307) {
      const err = twoProdErr(a, b, p);
      if (deliverNearestAny(p, err > 0 ? 1 : err < 0 ? -1 : 0, fmt)) return;
    }
  }
  mulSlow(aHi, aLo, bHi, bLo, fmt, ctx);
}

function mulSlow(aHi: number, aLo: number, bHi: number, bLo: number, fmt: number, ctx: RoundCtx): void {
  const ca = classify(aHi, aLo);
  const cb = classify(bHi, bLo);
  if (ca >= C_QNAN || cb >= C_QNAN) {
    pickNan2(aHi, aLo, bHi, bLo, fmt);
    return;
  }
  const sign = (aHi ^ bHi) >>> 31;
  if ((ca === C_INF && cb === C_ZERO) || (ca === C_ZERO && cb === C_INF)) {
    res.flags |= F_INVALID | F_INV_IMZ;
    setDefaultNan();
    return;
  }
  if (ca === C_INF || cb === C_INF) {
    setInf(sign, fmt);
    return;
  }
  if (ca === C_ZERO || cb === C_ZERO) {
    setZero(sign, fmt);
    return;
  }
  unpackFinite(aHi, aLo);
  const ma = unMant;
  const xa = unExp;
  unpackFinite(bHi, bLo);
  roundPack(sign, ma * unMant, xa + unExp, false, fmt, ctx);
}

export function div(aHi: number, aLo: number, bHi: number, bLo: number, fmt: number, ctx: RoundCtx): void {
  const ea = expField(aHi);
  const eb = expField(bHi);
  if (ctx.rm === RN_NEAREST && ea !== 0 && eb !== 0 && ea !== 0x7ff && eb !== 0x7ff &&
      eb <= 1023 + 995 && ea >= 60 && ea <= 2000) {
    const a = toDouble(aHi, aLo);
    const b = toDouble(bHi, bLo);
    const q = a / b;
    const aq = Math.abs(q);
    // The remainder a - q*b is exact when q*b's split products neither
    // overflow nor underflow; these bounds keep every term comfortably normal.
    if (aq > 1e-290 && aq < 1e290) {
      const p = q * b;
      const r = (a - p) - twoProdErr(q, b, p);
      const errSign = r === 0 ? 0 : (r > 0) === (b > 0) ? 1 : -1;
      if (deliverNearestAny(q, errSign, fmt)) return;
    }
  }
  divSlow(aHi, aLo, bHi, bLo, fmt, ctx);
}

function divSlow(aHi: number, aLo: number, bHi: number, bLo: number, fmt: number, ctx: RoundCtx): void {
  const ca = classify(aHi, aLo);
  const cb = classify(bHi, bLo);
  if (ca >= C_QNAN || cb >= C_QNAN) {
    pickNan2(aHi, aLo, bHi, bLo, fmt);
    return;
  }
  const sign = (aHi ^ bHi) >>> 31;
  if (ca === C_ZERO && cb === C_ZERO) {
    res.flags |= F_INVALID | F_INV_ZDZ;
    setDefaultNan();
    return;
  }
  if (ca === C_INF && cb === C_INF) {
    res.flags |= F_INVALID | F_INV_IDI;
    setDefaultNan();
    return;
  }
  if (ca === C_INF) {
    setInf(sign, fmt);
    return;
  }
  if (cb === C_INF || ca === C_ZERO) {
    setZero(sign, fmt);
    return;
  }
  if (cb === C_ZERO) {
    res.flags |= F_DIVZERO;
    setInf(sign, fmt);
    return;
  }
  unpackFinite(aHi, aLo);
  const ma = unMant;
  const xa = unExp;
  unpackFinite(bHi, bLo);
  const mb = unMant;
  // 56+ quotient bits: p+2 for rounding plus slack for the denormal case.
  const shift = Math.max(0, 57 - (bitLength(ma) - bitLength(mb)));
  const num = ma << BigInt(shift);
  const q = num / mb;
  const sticky = q * mb !== num;
  roundPack(sign, q, xa - unExp - shift, sticky, fmt, ctx);
}

/** Integer square root (floor) of a positive BigInt. */
function isqrt(n: bigint): bigint {
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  if (x === 0n) x = 1n;
  // Newton steps from a close float estimate, then exact fix-up.
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) break;
    x = y;
  }
  while (x * x > n) x -= 1n;
  while ((x + 1n) * (x + 1n) <= n) x += 1n;
  return x;
}

export function sqrt(aHi: number, aLo: number, fmt: number, ctx: RoundCtx): void {
  const ca = classify(aHi, aLo);
  if (ca >= C_QNAN) {
    if (ca === C_SNAN) res.flags |= F_INVALID | F_INV_SNAN;
    setNan(aHi, aLo, fmt);
    return;
  }
  const sign = aHi >>> 31;
  if (ca === C_ZERO) {
    setZero(sign, fmt);
    return;
  }
  if (sign) {
    res.flags |= F_INVALID | F_INV_SQRT;
    setDefaultNan();
    return;
  }
  if (ca === C_INF) {
    setInf(0, fmt);
    return;
  }
  if (ctx.rm === RN_NEAREST && fmt === FMT_DOUBLE && expField(aHi) >= 63) {
    const a = toDouble(aHi, aLo);
    const r = Math.sqrt(a); // correctly rounded in round-to-nearest
    const err = twoProdErr(r, r, r * r);
    const diff = (a - r * r) - err; // a - r^2, exact sign
    setResFromDouble(r);
    if (diff !== 0) res.flags |= F_INEXACT;
    return;
  }
  unpackFinite(aHi, aLo);
  let m = unMant;
  let e = unExp;
  if (e & 1) {
    m <<= 1n;
    e -= 1;
  }
  // Scale so the root carries at least 56 bits.
  const k = Math.max(0, Math.ceil((112 - bitLength(m)) / 2));
  m <<= BigInt(2 * k);
  const s = isqrt(m);
  roundPack(0, s, e / 2 - k, s * s !== m, fmt, ctx);
}

/**
 * Fused multiply-add a*c + b with one rounding (operand order as QEMU's
 * float64_muladd(frA, frC, frB)).  negC negates the addend, negR the result;
 * the result negation happens before rounding, as in softfloat.
 */
export function muladd(aHi: number, aLo: number, cHi: number, cLo: number, bHi: number, bLo: number,
                       negC: boolean, negR: boolean, fmt: number, ctx: RoundCtx): void {
  const ea = expField(aHi);
  const ec = expField(cHi);
  const eb = expField(bHi);
  if (ctx.rm === RN_NEAREST && ea !== 0 && ec !== 0 && (eb !== 0 || ((bHi & 0xfffff) | bLo) === 0) &&
      ea !== 0x7ff && ec !== 0x7ff && eb !== 0x7ff &&
      ea + ec >= 1023 * 2 - 900 && ea <= 1023 + 900 && ec <= 1023 + 900 && eb <= 1023 + 1000) {
    if (fmaNearest(aHi, aLo, cHi, cLo, bHi, bLo, negC, negR, fmt)) return;
  }
  muladdSlow(aHi, aLo, cHi, cLo, bHi, bLo, negC, negR, fmt, ctx);
}

/**
 * Round-to-nearest fma from error-free transformations: with
 * a*c = ph + pl and ph + b = h + e1, the exact sum is h + e1 + pl.  The
 * correctly rounded result is decided whenever the leftover terms are far
 * from a rounding boundary; otherwise the caller falls back to BigInt.
 */
function fmaNearest(aHi: number, aLo: number, cHi: number, cLo: number, bHi: number, bLo: number,
                    negC: boolean, negR: boolean, fmt: number): boolean {
  const a = toDouble(aHi, aLo);
  const c = toDouble(cHi, cLo);
  const b = negC ? -toDouble(bHi, bLo) : toDouble(bHi, bLo);
  const ph = a * c;
  if (!(Math.abs(ph) < 4.49423283715579e307)) return false;
  const pl = twoProdErr(a, c, ph);
  if (b === 0) {
    // a*c is nonzero, so a zero addend changes nothing, not even a sign.
    return deliverNearestAny(negR ? -ph : ph, (pl > 0 ? 1 : pl < 0 ? -1 : 0) * (negR ? -1 : 1), fmt);
  }
  const h = ph + b;
  if (!Number.isFinite(h)) return false;
  let t = h - ph;
  const e1 = (ph - (h - t)) + (b - t);
  let v: number;
  let errSign: number;
  if (pl === 0) {
    v = h;
    errSign = e1 > 0 ? 1 : e1 < 0 ? -1 : 0;
  } else if (e1 === 0) {
    v = h + pl;
    t = v - h;
    const e3 = (h - (v - t)) + (pl - t);
    errSign = e3 > 0 ? 1 : e3 < 0 ? -1 : 0;
  } else {
    const u = e1 + pl;
    t = u - e1;
    const e2 = (e1 - (u - t)) + (pl - t);
    v = h + u;
    t = v - h;
    const e3 = (h - (v - t)) + (u - t);
    if (e2 === 0) {
      errSign = e3 > 0 ? 1 : e3 < 0 ? -1 : 0;
    } else {
      // exact = v + tail with tail = e3 + e2 = w + we (TwoSum).  v is the
      // correct rounding iff |tail| stays below half the spacing of the
      // binary64 grid on the tail's side of v; comparing the rounded w with
      // that power of two decides it unless w lands exactly on it.
      const w = e3 + e2;
      t = w - e3;
      const we = (e3 - (w - t)) + (e2 - t);
      const tail = w !== 0 ? w : we;
      errSign = tail > 0 ? 1 : tail < 0 ? -1 : 0;
      cvF64[0] = v;
      const vhi = cvU32[HI]!;
      const ev = (vhi >>> 20) & 0x7ff;
      if (ev <= 55 || ev === 0x7ff) return false;
      // half an ulp of v, or a quarter below a power of two
      const towardZero = (tail < 0) !== (v < 0);
      const pow2 = (vhi & 0xfffff) === 0 && cvU32[LO] === 0;
      const hsExp = ev - 53 - (towardZero && pow2 ? 1 : 0);
      cvU32[HI] = hsExp << 20;
      cvU32[LO] = 0;
      if (!(Math.abs(w) < cvF64[0])) return false;
    }
  }
  if (v === 0) return false;
  if (negR) {
    v = -v;
    errSign = -errSign;
  }
  return deliverNearestAny(v, errSign, fmt);
}

function muladdSlow(aHi: number, aLo: number, cHi: number, cLo: number, bHi: number, bLo: number,
                    negC: boolean, negR: boolean, fmt: number, ctx: RoundCtx): void {
  const ca = classify(aHi, aLo);
  const cc = classify(cHi, cLo);
  const cb = classify(bHi, bLo);
  const infzero = (ca === C_INF && cc === C_ZERO) || (ca === C_ZERO && cc === C_INF);
  if (ca >= C_QNAN || cc >= C_QNAN || cb >= C_QNAN) {
    if (ca === C_SNAN || cc === C_SNAN || cb === C_SNAN) res.flags |= F_INVALID | F_INV_SNAN;
    // inf*0 + NaN still signals the invalid multiply; the addend NaN wins.
    if (infzero) res.flags |= F_INVALID | F_INV_IMZ;
    if (ca >= C_QNAN) setNan(aHi, aLo, fmt);
    else if (cb >= C_QNAN) setNan(bHi, bLo, fmt);
    else setNan(cHi, cLo, fmt);
    return;
  }
  const sb = (bHi >>> 31) ^ (negC ? 1 : 0);
  const sp = (aHi ^ cHi) >>> 31;
  const nr = negR ? 1 : 0;
  if (infzero) {
    res.flags |= F_INVALID | F_INV_IMZ;
    setDefaultNan();
    return;
  }
  if (ca === C_INF || cc === C_INF) {
    if (cb === C_INF && sb !== sp) {
      res.flags |= F_INVALID | F_INV_ISI;
      setDefaultNan();
      return;
    }
    setInf(sp ^ nr, fmt);
    return;
  }
  if (cb === C_INF) {
    setInf(sb ^ nr, fmt);
    return;
  }
  if (ca === C_ZERO || cc === C_ZERO) {
    if (cb === C_ZERO) {
      setZero((sp === sb ? sp : ctx.rm === RN_DOWN ? 1 : 0) ^ nr, fmt);
      return;
    }
    unpackFinite(bHi, bLo);
    roundPack(sb ^ nr, unMant, unExp, false, fmt, ctx);
    return;
  }
  unpackFinite(aHi, aLo);
  const ma = unMant;
  const xa = unExp;
  unpackFinite(cHi, cLo);
  const mp = ma * unMant;
  const xp = xa + unExp;
  if (cb === C_ZERO) {
    roundPack(sp ^ nr, mp, xp, false, fmt, ctx);
    return;
  }
  unpackFinite(bHi, bLo);
  // An exact zero sum takes the rounding mode's zero sign, then the result
  // negation like any other result.
  addExact(sp ^ nr, mp, xp, sb ^ nr, unMant, unExp, fmt, ctx, nr);
}

/* ---- conversions ---- */

/**
 * binary64 -> int32 as softfloat's float64_to_int32: round with `rm`, then
 * saturate.  Returns the int32 (sign-extended into a JS number); flags carry
 * F_INV_CVTI for out-of-range/infinite inputs and plain invalid for NaNs.
 */
export function toInt32(hi: number, lo: number, rm: number): number {
  const c = classify(hi, lo);
  if (c >= C_QNAN) {
    res.flags |= F_INVALID | (c === C_SNAN ? F_INV_SNAN : 0);
    return 0x7fffffff;
  }
  const sign = hi >>> 31;
  if (c === C_INF) {
    res.flags |= F_INVALID | F_INV_CVTI;
    return sign ? -0x80000000 : 0x7fffffff;
  }
  if (c === C_ZERO) return 0;
  const x = toDouble(hi, lo);
  let r: number;
  const ax = Math.abs(x);
  if (ax >= 4503599627370496) {
    r = ax; // already an integer (and far out of range)
  } else {
    const fl = Math.floor(ax);
    const frac = ax - fl;
    r = fl;
    if (frac !== 0) {
      switch (rm) {
        case RN_NEAREST:
          if (frac > 0.5 || (frac === 0.5 && fl % 2 === 1)) r = fl + 1;
          break;
        case RN_ZERO:
          break;
        case RN_UP:
          if (!sign) r = fl + 1;
          break;
        default:
          if (sign) r = fl + 1;
          break;
      }
    }
    if (frac !== 0) res.flags |= F_INEXACT;
  }
  if (sign ? r > 2147483648 : r > 2147483647) {
    // out of range: invalid replaces the inexact flag
    res.flags = (res.flags & ~F_INEXACT) | F_INVALID | F_INV_CVTI;
    return sign ? -0x80000000 : 0x7fffffff;
  }
  return sign ? -r : r;
}

/** binary64 -> binary32 (float64_to_float32): result bits in res.lo. */
export function toF32(hi: number, lo: number, ctx: RoundCtx): void {
  const c = classify(hi, lo);
  if (c >= C_QNAN) {
    if (c === C_SNAN) res.flags |= F_INVALID | F_INV_SNAN;
    setNan(hi, lo, FMT_F32);
    return;
  }
  const sign = hi >>> 31;
  if (c === C_INF) {
    setInf(sign, FMT_F32);
    return;
  }
  if (c === C_ZERO) {
    setZero(sign, FMT_F32);
    return;
  }
  if (ctx.rm === RN_NEAREST) {
    const d = toDouble(hi, lo);
    if (deliverNearestAny(d, 0, FMT_F32)) return;
  }
  unpackFinite(hi, lo);
  roundPack(sign, unMant, unExp, false, FMT_F32, ctx);
}

/** The exact (BigInt) implementations, exposed so tests can check the fast
 *  paths against them. */
export const exactPaths = {
  add: addSlow,
  mul: mulSlow,
  div: divSlow,
  muladd: muladdSlow,
  toF32(hi: number, lo: number, ctx: RoundCtx): void {
    const c = classify(hi, lo);
    if (c !== C_FINITE) {
      toF32(hi, lo, ctx);
      return;
    }
    unpackFinite(hi, lo);
    roundPack(hi >>> 31, unMant, unExp, false, FMT_F32, ctx);
  },
  sqrt(hi: number, lo: number, ctx: RoundCtx): void {
    const c = classify(hi, lo);
    if (c !== C_FINITE || hi >>> 31) {
      sqrt(hi, lo, FMT_DOUBLE, ctx);
      return;
    }
    unpackFinite(hi, lo);
    let m = unMant;
    let e = unExp;
    if (e & 1) {
      m <<= 1n;
      e -= 1;
    }
    const k = Math.max(0, Math.ceil((112 - bitLength(m)) / 2));
    m <<= BigInt(2 * k);
    const s = isqrt(m);
    roundPack(0, s, e / 2 - k, s * s !== m, FMT_DOUBLE, ctx);
  },
};
