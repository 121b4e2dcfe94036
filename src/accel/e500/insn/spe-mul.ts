/**
 * SPE multiply, multiply-accumulate, accumulator and divide instructions.
 *
 * Halfword forms pick the even (upper) or odd (lower) halfword of each word element;
 * "umi/smi" are modulo integer products, "smf" modulo fractional (product << 1), "ssf"
 * saturating fractional (0x8000 × 0x8000 saturates to 0x7FFF_FFFF), "usi/ssi" saturate the
 * accumulation. Suffix "a" also copies the result to ACC, "aaw/anw" add/subtract the
 * products to/from the word elements of ACC, "aa/an" to/from the whole 64-bit ACC.
 * Saturating forms set SPEFSCR OVH/OV (this instruction) and SOVH/SOV (sticky).
 *
 * QEMU 7.2 implements only evmwumi/evmwsmi and their "a"/"aa" forms and evmra; the rest
 * raise an illegal-instruction program interrupt there, so they are covered by unit tests
 * written from the SPE PEM pseudocode.
 */
import type { Cpu } from '../cpu.js';
import type { Insn } from '../block.js';
import type { SpeFn } from './spe-state.js';
import { acc64, setAcc64, setOverflow, setReg64 } from './spe-state.js';

/** Set by a product or accumulation that saturated; cleared before each element. */
let sat = false;

type Half = (x: number) => number;
type Prod = (a: number, b: number) => number;
type Accum = (acc: number, p: number) => number;

export const evenS: Half = (x) => x >> 16;
export const evenU: Half = (x) => x >>> 16;
export const oddS: Half = (x) => (x << 16) >> 16;
export const oddU: Half = (x) => x & 0xffff;

// 16 × 16 products are exact in a double; `| 0` keeps the low 32 bits.
const umi: Prod = (a, b) => (a * b) | 0;
const smi: Prod = (a, b) => a * b;
const smf: Prod = (a, b) => (a * b * 2) | 0;
const ssf: Prod = (a, b) => {
  if (a === -0x8000 && b === -0x8000) {
    sat = true;
    return 0x7fffffff;
  }
  return a * b * 2;
};

const addMod: Accum = (x, p) => (x + p) | 0;
const subMod: Accum = (x, p) => (x - p) | 0;
const addUSat: Accum = (x, p) => {
  const s = (x >>> 0) + (p >>> 0);
  if (s > 0xffffffff) {
    sat = true;
    return -1;
  }
  return s | 0;
};
const subUSat: Accum = (x, p) => {
  const s = (x >>> 0) - (p >>> 0);
  if (s < 0) {
    sat = true;
    return 0;
  }
  return s | 0;
};
function clampS(s: number): number {
  if (s > 0x7fffffff) {
    sat = true;
    return 0x7fffffff;
  }
  if (s < -0x80000000) {
    sat = true;
    return -0x80000000;
  }
  return s;
}
const addSSat: Accum = (x, p) => clampS(x + p);
const subSSat: Accum = (x, p) => clampS(x - p);

export const PRODS = { umi, smi, smf, ssf } as const;
export const ACCUMS = { addMod, subMod, addUSat, subUSat, addSSat, subSSat } as const;

/** Writes both elements of rD (and ACC), and the OV flags when the form saturates. */
function finish(c: Cpu, i: Insn, hi: number, lo: number, toAcc: boolean, flags: boolean, sh: boolean, sl: boolean): void {
  c.gprHigh[i.d] = hi;
  c.gpr[i.d] = lo;
  if (toAcc) {
    c.accHi = hi;
    c.accLo = lo;
  }
  if (flags) setOverflow(c, sh, sl);
}

/** evmh{e,o}{umi,smi,smf,ssf}[a]: one product per word element. */
export function mulHalf(half: Half, prod: Prod, toAcc: boolean, flags: boolean): SpeFn {
  return (c, i) => {
    sat = false;
    const hi = prod(half(c.gprHigh[i.a]!), half(c.gprHigh[i.b]!));
    const sh = sat;
    sat = false;
    const lo = prod(half(c.gpr[i.a]!), half(c.gpr[i.b]!));
    finish(c, i, hi, lo, toAcc, flags, sh, sat);
  };
}

/** evmh{e,o}*{aaw,anw}: each word product accumulated into the matching ACC word. */
export function mulHalfAccW(half: Half, prod: Prod, acc: Accum, flags: boolean): SpeFn {
  return (c, i) => {
    sat = false;
    const hi = acc(c.accHi, prod(half(c.gprHigh[i.a]!), half(c.gprHigh[i.b]!)));
    const sh = sat;
    sat = false;
    const lo = acc(c.accLo, prod(half(c.gpr[i.a]!), half(c.gpr[i.b]!)));
    finish(c, i, hi, lo, true, flags, sh, sat);
  };
}

/**
 * evmh{e,o}g{umi,smi,smf}{aa,an}: the low word's halfword product, zero- (umi) or
 * sign-extended to 64 bits and added to / subtracted from the whole ACC. Never saturates.
 */
export function mulHalfGuarded(half: Half, prod: Prod, unsigned: boolean, negate: boolean): SpeFn {
  return (c, i) => {
    const p = prod(half(c.gpr[i.a]!), half(c.gpr[i.b]!));
    const q = BigInt(unsigned ? p >>> 0 : p);
    const v = BigInt.asUintN(64, negate ? acc64(c) - q : acc64(c) + q);
    setReg64(c, i.d, v);
    setAcc64(c, v);
  };
}

const u64 = (x: number): bigint => BigInt(x >>> 0);
const s64 = (x: number): bigint => BigInt(x | 0);
const hi32 = (v: bigint): number => Number((v >> 32n) & 0xffffffffn) | 0;
const MIN32 = -0x80000000;

type WordHigh = (a: number, b: number) => number;

/** High word of each 32 × 32 product: evmwh{umi,smi,smf,ssf}[a]. */
const whumi: WordHigh = (a, b) => hi32(u64(a) * u64(b));
const whsmi: WordHigh = (a, b) => hi32(s64(a) * s64(b));
const whsmf: WordHigh = (a, b) => hi32(s64(a) * s64(b) * 2n);
const whssf: WordHigh = (a, b) => {
  if (a === MIN32 && b === MIN32) {
    sat = true;
    return 0x7fffffff;
  }
  return hi32(s64(a) * s64(b) * 2n);
};
/** Low word of each product (signed and unsigned agree). */
const wlumi: WordHigh = (a, b) => Math.imul(a, b);

export const WORD_PRODS = { whumi, whsmi, whsmf, whssf, wlumi } as const;

export function mulWordElems(prod: WordHigh, toAcc: boolean, flags: boolean): SpeFn {
  return mulHalf((x) => x, prod, toAcc, flags);
}

/** evmwl{u,s}{si,mi}{aaw,anw}: low product words accumulated into the ACC words. */
export function mulWordLowAccW(acc: Accum, flags: boolean): SpeFn {
  return mulHalfAccW((x) => x, wlumi, acc, flags);
}

type Wide = (a: number, b: number) => bigint;
const wumi: Wide = (a, b) => u64(a) * u64(b);
const wsmi: Wide = (a, b) => s64(a) * s64(b);
const wsmf: Wide = (a, b) => s64(a) * s64(b) * 2n;
const wssf: Wide = (a, b) => {
  if (a === MIN32 && b === MIN32) {
    sat = true;
    return 0x7fffffffffffffffn;
  }
  return s64(a) * s64(b) * 2n;
};
export const WIDE_PRODS = { wumi, wsmi, wsmf, wssf } as const;

/** evmw{umi,smi,smf,ssf}[a]: the 64-bit product of the low words. */
export function mulWide(prod: Wide, toAcc: boolean, flags: boolean): SpeFn {
  return (c, i) => {
    sat = false;
    const v = BigInt.asUintN(64, prod(c.gpr[i.a]!, c.gpr[i.b]!));
    setReg64(c, i.d, v);
    if (toAcc) setAcc64(c, v);
    if (flags) setOverflow(c, false, sat);
  };
}

/**
 * evmw{umi,smi,smf,ssf}{aa,an}: ACC ± the 64-bit product. The sum wraps; for the ssf forms
 * the SPE PEM sets OV only for the saturated product and folds a 64-bit overflow of the
 * sum into SOV alone.
 */
export function mulWideAcc(prod: Wide, negate: boolean, flags: boolean): SpeFn {
  return (c, i) => {
    sat = false;
    const p = BigInt.asIntN(64, prod(c.gpr[i.a]!, c.gpr[i.b]!));
    const acc = BigInt.asIntN(64, acc64(c));
    const sum = negate ? acc - p : acc + p;
    const v = BigInt.asUintN(64, sum);
    setReg64(c, i.d, v);
    setAcc64(c, v);
    if (flags) {
      const mov = sat;
      setOverflow(c, false, mov);
      if (BigInt.asIntN(64, sum) !== sum) c.spr[512] = (c.spr[512]! | 0x8000) >>> 0;
    }
  };
}

/** ev{add,subf}{u,s}{si,mi}aaw rD,rA: ACC words ± rA words. */
export function accWords(acc: Accum, flags: boolean): SpeFn {
  return (c, i) => {
    sat = false;
    const hi = acc(c.accHi, c.gprHigh[i.a]!);
    const sh = sat;
    sat = false;
    const lo = acc(c.accLo, c.gpr[i.a]!);
    finish(c, i, hi, lo, true, flags, sh, sat);
  };
}

/** evmra: ACC = rA, rD = rA. */
export const evmra: SpeFn = (c, i) => {
  const hi = c.gprHigh[i.a]!;
  const lo = c.gpr[i.a]!;
  c.accHi = hi;
  c.accLo = lo;
  c.gprHigh[i.d] = hi;
  c.gpr[i.d] = lo;
};

/**
 * evdivws: signed word division. Division by zero gives 0x7FFF_FFFF for a non-negative
 * dividend and 0x8000_0000 for a negative one, 0x8000_0000 / -1 gives 0x7FFF_FFFF; those
 * set the overflow flags.
 */
function divS(a: number, b: number): number {
  if (b === 0) {
    sat = true;
    return a < 0 ? MIN32 : 0x7fffffff;
  }
  if (a === MIN32 && b === -1) {
    sat = true;
    return 0x7fffffff;
  }
  return (a / b) | 0;
}

/** evdivwu: division by zero gives 0xFFFF_FFFF and sets the overflow flag. */
function divU(a: number, b: number): number {
  if (b === 0) {
    sat = true;
    return -1;
  }
  return Math.trunc((a >>> 0) / (b >>> 0)) | 0;
}

function divide(op: (a: number, b: number) => number): SpeFn {
  return (c, i) => {
    sat = false;
    const hi = op(c.gprHigh[i.a]!, c.gprHigh[i.b]!);
    const sh = sat;
    sat = false;
    const lo = op(c.gpr[i.a]!, c.gpr[i.b]!);
    finish(c, i, hi, lo, false, true, sh, sat);
  };
}

export const evdivws = divide(divS);
export const evdivwu = divide(divU);
