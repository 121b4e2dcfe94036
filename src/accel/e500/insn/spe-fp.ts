/**
 * Embedded floating-point instructions of the e500v2: scalar single (efs*), vector single
 * (evfs*) and scalar double (efd*), with the SPEFSCR semantics of the core:
 * - every instruction except the tst* compares rewrites the status bits FG/FX/FINV/FDBZ/
 *   FUNF/FOVF (low or scalar element) and their "H" twins (high element; cleared by scalar
 *   instructions), and ORs them into the sticky bits FINVS/FDBZS/FUNFS/FOVFS/FINXS;
 * - an error whose enable bit (FINVE/FDBZE/FUNFE/FOVFE) is set takes the embedded FP data
 *   interrupt (IVOR33, ESR[SPV]) before anything is written: rD and CR keep their values
 *   and the sticky bits are left to the handler (as the e500 does; Linux sets them itself);
 * - an inexact result with FINXE set takes the embedded FP round interrupt (IVOR34) after
 *   the result is written, with SRR0 at the next instruction.
 * See spe-fpcore.ts for the arithmetic and the treatment of special operands.
 *
 * QEMU 7.2 differs (the differential guests stay away from these): it never updates
 * SPEFSCR, never takes IVOR33/34, ignores FRMC, computes IEEE results (infinities, NaNs,
 * denormals), converts the signed fractional formats (efscfsf/efsctsf and their vector and
 * double forms) with a scale of 2^32 instead of 2^31, and returns 0x7FFF_FFFF for a
 * signalling NaN converted to a signed integer.
 */
import type { Cpu } from '../cpu.js';
import type { Insn } from '../block.js';
import type { SpeFn } from './spe-state.js';
import { ESR, Ivor } from '../interrupts.js';
import * as fp from './spe-fpcore.js';
import { DP, SP, type Fmt } from './spe-fpcore.js';
import { fastBits, fastEf, fastHi, fastLo, type FastD, type FastS } from './spe-fast.js';
import { setCrVector } from './spe-int.js';
import { F, SPEFSCR, interruptAfter, reg64, setReg64 } from './spe-state.js';

const STATUS = F.FGH | F.FXH | F.FINVH | F.FDBZH | F.FUNFH | F.FOVFH | F.FG | F.FX | F.FINV | F.FDBZ | F.FUNF | F.FOVF;
const INEXACT = F.FG | F.FX | F.FGH | F.FXH;

/** SPEFSCR low-element status bits for the conditions `e`; the high ones are these << 16. */
function status(e: number): number {
  let s = 0;
  if ((e & fp.E_INV) !== 0) s |= F.FINV;
  if ((e & fp.E_DBZ) !== 0) s |= F.FDBZ;
  if ((e & fp.E_UNF) !== 0) s |= F.FUNF;
  if ((e & fp.E_OVF) !== 0) s |= F.FOVF;
  if ((e & fp.E_G) !== 0) s |= F.FG;
  if ((e & fp.E_X) !== 0) s |= F.FX;
  return s;
}

/**
 * Records the conditions of the low (or scalar) and high elements in SPEFSCR and takes the
 * embedded FP data interrupt if one of them is enabled. Call before writing any result.
 */
function commit(c: Cpu, lo: number, hi: number): boolean {
  let f = (c.spr[SPEFSCR]! & ~STATUS) | status(lo) | (status(hi) << 16);
  const hit = (bits: number, enable: number): boolean => (f & bits) !== 0 && (f & enable) !== 0;
  if (hit(F.FINV | F.FINVH, F.FINVE) || hit(F.FDBZ | F.FDBZH, F.FDBZE) || hit(F.FUNF | F.FUNFH, F.FUNFE) || hit(F.FOVF | F.FOVFH, F.FOVFE)) {
    c.spr[SPEFSCR] = (f & ~INEXACT) >>> 0;
    c.fault(Ivor.SpeFpData, ESR.SPV);
    return false;
  }
  if ((f & (F.FINV | F.FINVH)) !== 0) f |= F.FINVS;
  if ((f & (F.FDBZ | F.FDBZH)) !== 0) f |= F.FDBZS;
  if ((f & (F.FUNF | F.FUNFH)) !== 0) f |= F.FUNFS;
  if ((f & (F.FOVF | F.FOVFH)) !== 0) f |= F.FOVFS;
  if ((f & INEXACT) !== 0) f |= F.FINXS;
  c.spr[SPEFSCR] = f >>> 0;
  return true;
}

/** After the result is written: the round interrupt for an inexact result with FINXE. */
function roundCheck(c: Cpu): void {
  const f = c.spr[SPEFSCR]!;
  if ((f & F.FINXE) !== 0 && (f & INEXACT) !== 0) interruptAfter(c, Ivor.SpeFpRound, ESR.SPV);
}

const lo32 = (c: Cpu, n: number): bigint => BigInt(c.gpr[n]! >>> 0);
const hi32 = (c: Cpu, n: number): bigint => BigInt(c.gprHigh[n]! >>> 0);
const word = (v: bigint): number => Number(v & 0xffffffffn) | 0;
const mode = (c: Cpu): number => c.spr[SPEFSCR]! & 3;

type Op2 = (a: bigint, b: bigint, mode: number) => bigint;
type Op1 = (b: bigint, mode: number) => bigint;

const arith = (f: Fmt): Record<'add' | 'sub' | 'mul' | 'div', Op2> => ({
  add: (a, b, m) => fp.add(f, a, b, m, false),
  sub: (a, b, m) => fp.add(f, a, b, m, true),
  mul: (a, b, m) => fp.mul(f, a, b, m),
  div: (a, b, m) => fp.div(f, a, b, m),
});
export const S_ARITH = arith(SP);
export const D_ARITH = arith(DP);

// ---- scalar single: rD[32:63]; rD[0:31] is left alone

/** Conditions of the last `singleOp` (the `ef` bits of spe-fpcore). */
let singleEf = 0;

/**
 * One single-precision element: `fast` (the same operation on host doubles, spe-fast.ts) when
 * it can prove its result equal to the exact one, else the exact `op`; the directed rounding
 * modes always take `op`. Returns the result's image; the conditions are left in `singleEf`.
 */
function singleOp(op: Op2, fast: FastS | undefined, a: number, b: number, m: number): number {
  if (m === 0 && fast !== undefined && fast(a, b)) {
    singleEf = fastEf;
    return fastBits;
  }
  fp.clearFlags();
  const r = word(op(BigInt(a >>> 0), BigInt(b >>> 0), m));
  singleEf = fp.ef;
  return r;
}

export function efs2(op: Op2, fast?: FastS): SpeFn {
  return (c: Cpu, i: Insn) => {
    const r = singleOp(op, fast, c.gpr[i.a]!, c.gpr[i.b]!, mode(c));
    if (!commit(c, singleEf, 0)) return;
    c.gpr[i.d] = r;
    roundCheck(c);
  };
}

/** One operand in rB (conversions). */
export function efs1(op: Op1): SpeFn {
  return (c: Cpu, i: Insn) => {
    fp.clearFlags();
    const r = op(lo32(c, i.b), mode(c));
    if (!commit(c, fp.ef, 0)) return;
    c.gpr[i.d] = word(r);
    roundCheck(c);
  };
}

/** abs/nabs/neg: a sign-bit operation on rA that still reports special operands. */
export function efsSign(f: Fmt, op: (bits: bigint) => bigint): SpeFn {
  return (c: Cpu, i: Insn) => {
    fp.clearFlags();
    const a = lo32(c, i.a);
    fp.checkOperand(f, a);
    if (!commit(c, fp.ef, 0)) return;
    c.gpr[i.d] = word(op(a));
  };
}

type Test = (ka: bigint, kb: bigint) => boolean;
export const GT: Test = (a, b) => a > b;
export const LT: Test = (a, b) => a < b;
export const EQ: Test = (a, b) => a === b;

/**
 * Scalar compares set only the second bit of CR field crfD (the others 0, as QEMU does;
 * the PEM leaves them undefined). cmp* report special operands; tst* never touch SPEFSCR.
 */
function scalarCompare(f: Fmt, get: (c: Cpu, n: number) => bigint, test: Test, reports: boolean): SpeFn {
  return (c: Cpu, i: Insn) => {
    const a = get(c, i.a);
    const b = get(c, i.b);
    if (reports) {
      fp.clearFlags();
      fp.checkOperand(f, a);
      fp.checkOperand(f, b);
      if (!commit(c, fp.ef, 0)) return;
    }
    c.crf[i.d >>> 2] = test(fp.orderKey(f, a), fp.orderKey(f, b)) ? 4 : 0;
  };
}

export const efsCompare = (test: Test, reports: boolean): SpeFn => scalarCompare(SP, lo32, test, reports);
export const efdCompare = (test: Test, reports: boolean): SpeFn => scalarCompare(DP, reg64, test, reports);

// ---- vector single: both elements, high conditions in the "H" bits

export function evfs2(op: Op2, fast?: FastS): SpeFn {
  return (c: Cpu, i: Insn) => {
    const m = mode(c);
    const hi = singleOp(op, fast, c.gprHigh[i.a]!, c.gprHigh[i.b]!, m);
    const eh = singleEf;
    const lo = singleOp(op, fast, c.gpr[i.a]!, c.gpr[i.b]!, m);
    if (!commit(c, singleEf, eh)) return;
    c.gprHigh[i.d] = hi;
    c.gpr[i.d] = lo;
    roundCheck(c);
  };
}

export function evfs1(op: Op1): SpeFn {
  return (c: Cpu, i: Insn) => {
    const m = mode(c);
    fp.clearFlags();
    const hi = op(hi32(c, i.b), m);
    const eh = fp.ef;
    fp.clearFlags();
    const lo = op(lo32(c, i.b), m);
    if (!commit(c, fp.ef, eh)) return;
    c.gprHigh[i.d] = word(hi);
    c.gpr[i.d] = word(lo);
    roundCheck(c);
  };
}

export function evfsSign(op: (bits: bigint) => bigint): SpeFn {
  return (c: Cpu, i: Insn) => {
    fp.clearFlags();
    const hi = hi32(c, i.a);
    fp.checkOperand(SP, hi);
    const eh = fp.ef;
    fp.clearFlags();
    const lo = lo32(c, i.a);
    fp.checkOperand(SP, lo);
    if (!commit(c, fp.ef, eh)) return;
    c.gprHigh[i.d] = word(op(hi));
    c.gpr[i.d] = word(op(lo));
  };
}

export function evfsCompare(test: Test, reports: boolean): SpeFn {
  return (c: Cpu, i: Insn) => {
    const ah = hi32(c, i.a);
    const bh = hi32(c, i.b);
    const al = lo32(c, i.a);
    const bl = lo32(c, i.b);
    if (reports) {
      fp.clearFlags();
      fp.checkOperand(SP, ah);
      fp.checkOperand(SP, bh);
      const eh = fp.ef;
      fp.clearFlags();
      fp.checkOperand(SP, al);
      fp.checkOperand(SP, bl);
      if (!commit(c, fp.ef, eh)) return;
    }
    const ch = test(fp.orderKey(SP, ah), fp.orderKey(SP, bh));
    const cl = test(fp.orderKey(SP, al), fp.orderKey(SP, bl));
    setCrVector(c, i.d >>> 2, ch, cl);
  };
}

// ---- scalar double: 64-bit rD, or rD[32:63] for results narrower than 64 bits

export function efd2(op: Op2, fast?: FastD): SpeFn {
  return (c: Cpu, i: Insn) => {
    const m = mode(c);
    if (m === 0 && fast !== undefined && fast(c.gprHigh[i.a]!, c.gpr[i.a]!, c.gprHigh[i.b]!, c.gpr[i.b]!)) {
      if (!commit(c, fastEf, 0)) return;
      c.gprHigh[i.d] = fastHi;
      c.gpr[i.d] = fastLo;
      roundCheck(c);
      return;
    }
    fp.clearFlags();
    const r = op(reg64(c, i.a), reg64(c, i.b), m);
    if (!commit(c, fp.ef, 0)) return;
    setReg64(c, i.d, r);
    roundCheck(c);
  };
}

/** Double operand in rB, 64-bit result. */
export function efd1(op: Op1): SpeFn {
  return (c: Cpu, i: Insn) => {
    fp.clearFlags();
    const r = op(reg64(c, i.b), mode(c));
    if (!commit(c, fp.ef, 0)) return;
    setReg64(c, i.d, r);
    roundCheck(c);
  };
}

/** 32-bit operand (rB[32:63]) to a 64-bit result. */
export function efdFrom32(op: Op1): SpeFn {
  return (c: Cpu, i: Insn) => {
    fp.clearFlags();
    const r = op(lo32(c, i.b), mode(c));
    if (!commit(c, fp.ef, 0)) return;
    setReg64(c, i.d, r);
    roundCheck(c);
  };
}

/** 64-bit operand to a 32-bit result in rD[32:63]. */
export function efdTo32(op: Op1): SpeFn {
  return (c: Cpu, i: Insn) => {
    fp.clearFlags();
    const r = op(reg64(c, i.b), mode(c));
    if (!commit(c, fp.ef, 0)) return;
    c.gpr[i.d] = word(r);
    roundCheck(c);
  };
}

export function efdSign(op: (bits: bigint) => bigint): SpeFn {
  return (c: Cpu, i: Insn) => {
    fp.clearFlags();
    const a = reg64(c, i.a);
    fp.checkOperand(DP, a);
    if (!commit(c, fp.ef, 0)) return;
    setReg64(c, i.d, op(a));
  };
}

// ---- conversion operations (Op1) for the builders above

const TRUNC = 1;

/** Float → integer or fraction. `z` forms always truncate. */
export function toInt(f: Fmt, signed: boolean, width: number, scale: number, z: boolean): Op1 {
  return (b, m) => fp.toInt(f, b, signed, width, scale, z ? TRUNC : m);
}

/** Integer or fraction (32 or 64 bits, signed or not) → float. */
export function fromInt(f: Fmt, signed: boolean, width: number, scale: number): Op1 {
  return (b, m) => fp.fromInt(f, signed ? BigInt.asIntN(width, b) : b, scale, m);
}

export const efscfd: Op1 = (b, m) => fp.convert(DP, SP, b, m);
export const efdcfs: Op1 = (b, m) => fp.convert(SP, DP, b, m);

export const signOps = (f: Fmt): Record<'abs' | 'nabs' | 'neg', (bits: bigint) => bigint> => ({
  abs: (a) => a & ~f.signBit,
  nabs: (a) => a | f.signBit,
  neg: (a) => a ^ f.signBit,
});
