/**
 * SPE vector integer instructions: arithmetic, logic, shifts and rotates, counts, compares,
 * merges, splats, evsel and brinc. Each 64-bit GPR holds two 32-bit elements: the high one
 * in `gprHigh`, the low one in `gpr`; both results are computed before either is written
 * because rD may be rA or rB.
 */
import type { Cpu } from '../cpu.js';
import type { Insn } from '../block.js';
import type { SpeFn } from './spe-state.js';

type W2 = (a: number, b: number) => number;
type W1 = (a: number) => number;

/** Elementwise rD = op(rA, rB). */
export function vec2(op: W2): SpeFn {
  return (c: Cpu, i: Insn) => {
    const hi = op(c.gprHigh[i.a]!, c.gprHigh[i.b]!);
    const lo = op(c.gpr[i.a]!, c.gpr[i.b]!);
    c.gprHigh[i.d] = hi;
    c.gpr[i.d] = lo;
  };
}

/** Elementwise rD = op(rA). */
export function vec1(op: W1): SpeFn {
  return (c: Cpu, i: Insn) => {
    const hi = op(c.gprHigh[i.a]!);
    const lo = op(c.gpr[i.a]!);
    c.gprHigh[i.d] = hi;
    c.gpr[i.d] = lo;
  };
}

/** Elementwise rD = op(rA, UIMM) with the immediate in the rB field (shifts, rotates). */
function vecImmB(op: W2): SpeFn {
  return (c: Cpu, i: Insn) => {
    const hi = op(c.gprHigh[i.a]!, i.b);
    const lo = op(c.gpr[i.a]!, i.b);
    c.gprHigh[i.d] = hi;
    c.gpr[i.d] = lo;
  };
}

/** evaddiw/evsubifw: rD = op(rB, UIMM) with the immediate in the rA field. */
function vecImmA(op: W2): SpeFn {
  return (c: Cpu, i: Insn) => {
    const hi = op(c.gprHigh[i.b]!, i.a);
    const lo = op(c.gpr[i.b]!, i.a);
    c.gprHigh[i.d] = hi;
    c.gpr[i.d] = lo;
  };
}

export const evaddw = vec2((a, b) => (a + b) | 0);
export const evsubfw = vec2((a, b) => (b - a) | 0);
export const evaddiw = vecImmA((b, u) => (b + u) | 0);
export const evsubifw = vecImmA((b, u) => (b - u) | 0);
/** Absolute value and negation wrap: 0x8000_0000 stays 0x8000_0000. */
export const evabs = vec1((a) => (a < 0 ? -a | 0 : a));
export const evneg = vec1((a) => -a | 0);
export const evextsb = vec1((a) => (a << 24) >> 24);
export const evextsh = vec1((a) => (a << 16) >> 16);
/** Rounds each word to its upper halfword: (a + 0x8000) & 0xFFFF0000. */
export const evrndw = vec1((a) => ((a + 0x8000) & 0xffff0000) | 0);
export const evcntlzw = vec1((a) => Math.clz32(a));
/** Leading bits equal to the sign bit (32 for 0 and for -1). */
export const evcntlsw = vec1((a) => Math.clz32(a < 0 ? ~a : a));

export const evand = vec2((a, b) => a & b);
export const evandc = vec2((a, b) => a & ~b);
export const evxor = vec2((a, b) => a ^ b);
export const evor = vec2((a, b) => a | b);
export const evnor = vec2((a, b) => ~(a | b));
export const eveqv = vec2((a, b) => ~(a ^ b));
export const evorc = vec2((a, b) => a | ~b);
export const evnand = vec2((a, b) => ~(a & b));

// Register shifts take 6 bits of each element of rB: amounts 32..63 shift everything out.
export const evslw = vec2((a, b) => ((b & 0x3f) > 31 ? 0 : a << (b & 0x3f)));
export const evsrwu = vec2((a, b) => ((b & 0x3f) > 31 ? 0 : (a >>> (b & 0x3f)) | 0));
/**
 * Arithmetic right shift: amounts 32..63 leave 32 copies of the sign bit (SPE PEM).
 * QEMU 7.2 gives 0 for them; the differential guests avoid negative values there.
 */
export const evsrws = vec2((a, b) => ((b & 0x3f) > 31 ? a >> 31 : a >> (b & 0x3f)));
export const evrlw = vec2((a, b) => {
  const n = b & 31;
  return n === 0 ? a : (a << n) | (a >>> (32 - n));
});
export const evslwi = vecImmB((a, n) => a << n);
export const evsrwiu = vecImmB((a, n) => (a >>> n) | 0);
export const evsrwis = vecImmB((a, n) => a >> n);
export const evrlwi = vecImmB((a, n) => (n === 0 ? a : (a << n) | (a >>> (32 - n))));

/** evsplati: the 5-bit signed immediate in the rA field, sign-extended into both words. */
export const evsplati: SpeFn = (c, i) => {
  const v = (i.a << 27) >> 27;
  c.gprHigh[i.d] = v;
  c.gpr[i.d] = v;
};

/** evsplatfi: the 5-bit immediate as the top bits of a fraction in both words. */
export const evsplatfi: SpeFn = (c, i) => {
  const v = i.a << 27;
  c.gprHigh[i.d] = v;
  c.gpr[i.d] = v;
};

export const evmergehi: SpeFn = (c, i) => {
  const hi = c.gprHigh[i.a]!;
  const lo = c.gprHigh[i.b]!;
  c.gprHigh[i.d] = hi;
  c.gpr[i.d] = lo;
};

export const evmergelo: SpeFn = (c, i) => {
  const hi = c.gpr[i.a]!;
  const lo = c.gpr[i.b]!;
  c.gprHigh[i.d] = hi;
  c.gpr[i.d] = lo;
};

export const evmergehilo: SpeFn = (c, i) => {
  const hi = c.gprHigh[i.a]!;
  const lo = c.gpr[i.b]!;
  c.gprHigh[i.d] = hi;
  c.gpr[i.d] = lo;
};

export const evmergelohi: SpeFn = (c, i) => {
  const hi = c.gpr[i.a]!;
  const lo = c.gprHigh[i.b]!;
  c.gprHigh[i.d] = hi;
  c.gpr[i.d] = lo;
};

/** Writes a vector compare result into CR field crf: ch || cl || ch|cl || ch&cl. */
export function setCrVector(c: Cpu, crf: number, ch: boolean, cl: boolean): void {
  c.crf[crf] = (ch ? 8 : 0) | (cl ? 4 : 0) | (ch || cl ? 2 : 0) | (ch && cl ? 1 : 0);
}

function vecCmp(test: (a: number, b: number) => boolean): SpeFn {
  return (c, i) => setCrVector(c, i.d >>> 2, test(c.gprHigh[i.a]!, c.gprHigh[i.b]!), test(c.gpr[i.a]!, c.gpr[i.b]!));
}

export const evcmpgtu = vecCmp((a, b) => a >>> 0 > b >>> 0);
export const evcmpgts = vecCmp((a, b) => a > b);
export const evcmpltu = vecCmp((a, b) => a >>> 0 < b >>> 0);
export const evcmplts = vecCmp((a, b) => a < b);
export const evcmpeq = vecCmp((a, b) => a === b);

/** evsel: CR field crfS (low 3 bits of the word) picks rA or rB per element. */
export const evsel: SpeFn = (c, i) => {
  const f = c.crf[i.word & 7]!;
  const hi = (f & 8) !== 0 ? c.gprHigh[i.a]! : c.gprHigh[i.b]!;
  const lo = (f & 4) !== 0 ? c.gpr[i.a]! : c.gpr[i.b]!;
  c.gprHigh[i.d] = hi;
  c.gpr[i.d] = lo;
};

function reverse16(v: number): number {
  let r = 0;
  for (let k = 0; k < 16; k++) r |= ((v >>> k) & 1) << (15 - k);
  return r;
}

/**
 * brinc (bit-reversed increment for FFT addressing) with the e500's 16 mask bits:
 * d = bitreverse(1 + bitreverse(a | ~mask)); rD = rA[0:47] || (d & mask). The SPE PEM
 * defines the whole 64-bit rD, so the high word comes from rA; QEMU 7.2 leaves rD's high
 * word unchanged instead (the differential guests use rD = rA, where both agree).
 * brinc needs no MSR[SPE].
 */
export const brinc: SpeFn = (c, i) => {
  const mask = c.gpr[i.b]! & 0xffff;
  const a = c.gpr[i.a]!;
  const d = reverse16((reverse16((a | ~mask) & 0xffff) + 1) & 0xffff);
  c.gprHigh[i.d] = c.gprHigh[i.a]!;
  c.gpr[i.d] = (a & 0xffff0000) | (d & mask);
};
