/**
 * The embedded floating point on host doubles (src/accel/e500/insn/spe-fast.ts) against the
 * exact bigint arithmetic (spe-fpcore.ts) with SPEFSCR[FRMC] = 0: wherever the fast path
 * answers, its result bits and its guard/sticky conditions must equal the exact path's, on
 * random operands shaped to reach the hard cases — ties (few significant bits), cancellation
 * (nearly equal magnitudes), quotients near a rounding boundary, powers of two, both ends of
 * the exponent range. Each shape also asserts how often the fast path answered, so a fast
 * path that silently declines everything fails here too.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as core from '../../../src/accel/e500/insn/spe-fpcore.js';
import { DP, SP } from '../../../src/accel/e500/insn/spe-fpcore.js';
import * as fast from '../../../src/accel/e500/insn/spe-fast.js';

/** xorshift32: reproducible operands (the seed is in each failure message). */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

type OpName = 'add' | 'sub' | 'mul' | 'div';
const OPS: readonly OpName[] = ['add', 'sub', 'mul', 'div'];

function exactS(op: OpName, a: number, b: number): { bits: number; ef: number } {
  core.clearFlags();
  const A = BigInt(a >>> 0);
  const B = BigInt(b >>> 0);
  const r = op === 'add' ? core.add(SP, A, B, 0, false) : op === 'sub' ? core.add(SP, A, B, 0, true) : op === 'mul' ? core.mul(SP, A, B, 0) : core.div(SP, A, B, 0);
  return { bits: Number(r) | 0, ef: core.ef };
}

function exactD(op: OpName, a: bigint, b: bigint): { bits: bigint; ef: number } {
  core.clearFlags();
  const r = op === 'add' ? core.add(DP, a, b, 0, false) : op === 'sub' ? core.add(DP, a, b, 0, true) : op === 'mul' ? core.mul(DP, a, b, 0) : core.div(DP, a, b, 0);
  return { bits: r, ef: core.ef };
}

const hex = (v: number | bigint, digits: number): string => `0x${(typeof v === 'number' ? v >>> 0 : v).toString(16).padStart(digits, '0')}`;

// ---- single precision operand shapes (32-bit images)

type Shape32 = (next: () => number, other: number) => number;
const SHAPES_S: Readonly<Record<string, { make: Shape32; minFast: number }>> = {
  // Any normal number (both signs, the whole exponent range).
  random: { make: (n) => (n() & 0x807fffff) | ((1 + (n() % 254)) << 23), minFast: 0.1 },
  // Exponents within 16 of each other's range: add and sub stay exact in a double.
  moderate: { make: (n) => (n() & 0x807fffff) | ((119 + (n() % 16)) << 23), minFast: 0.9 },
  // Moderate exponents and 1–6 significant bits: exact results and ties everywhere.
  'few bits': { make: (n) => (n() & 0x80000000) | ((117 + (n() % 20)) << 23) | ((n() & 0x3f) << 17), minFast: 0.9 },
  // The other operand with its last bits changed: cancellation in add/sub, quotients near 1.
  'near the other': { make: (n, o) => (o & ~0xff) | (n() & 0xff), minFast: 0.3 },
  // 24–32 exponents below the other, with bits only at the ends of the significand: sums
  // that fit a double exactly, and (one place further) just do not.
  'far below': { make: (n, o) => (n() & 0x80000000) | ((((o >>> 23) & 0xff) - 24 - (n() % 9)) << 23) | (n() & 1) | ((n() & 1) << 22), minFast: 0.3 },
  // Powers of two near the exponent range's ends (overflow and underflow are the exact path's).
  extremes: { make: (n) => (n() & 0x80000000) | ((n() & 1 ? 1 + (n() % 8) : 246 + (n() % 8)) << 23) | (n() & 1 ? 0 : n() & 0x7fffff), minFast: 0 },
};

for (const op of OPS) {
  test(`single ${op}: fast results and guard/sticky equal the exact ones`, () => {
    for (const [name, shape] of Object.entries(SHAPES_S)) {
      const seed = 0x5eed0000 + OPS.indexOf(op) * 16 + Object.keys(SHAPES_S).indexOf(name);
      const next = rng(seed);
      const count = 60_000;
      let taken = 0;
      for (let k = 0; k < count; k++) {
        const a = (name === 'few bits' ? shape : SHAPES_S.moderate!).make(next, 0);
        const b = shape.make(next, a);
        if (!fast.FAST_S[op](a, b)) continue;
        taken++;
        const want = exactS(op, a, b);
        if (fast.fastBits !== want.bits || fast.fastEf !== want.ef) {
          assert.fail(`${op} ${hex(a, 8)}, ${hex(b, 8)} (${name}, seed ${hex(seed, 8)}): fast ${hex(fast.fastBits, 8)} flags ${fast.fastEf}, exact ${hex(want.bits, 8)} flags ${want.ef}`);
        }
      }
      assert.ok(taken >= count * shape.minFast, `${op} (${name}): the fast path answered ${taken} of ${count}`);
    }
  });
}

test('single: what the fast path leaves to the exact path', () => {
  const one = 0x3f800000;
  const cases: [OpName, number, number, string][] = [
    ['add', one, 0, 'a zero operand'],
    ['mul', one, 0x00000001, 'a denormal'],
    ['mul', one, 0x7f800000, 'an infinity'],
    ['div', one, 0x7fc00000, 'a NaN'],
    ['sub', one, one, 'an exact zero'],
    ['mul', 0x7f000000, 0x40000000, 'overflow'],
    ['mul', 0x00800000, 0x3f000000, 'underflow'],
    ['add', one, 0x2f800000, 'exponents 32 apart (not exact in a double)'],
  ];
  for (const [op, a, b, why] of cases) assert.equal(fast.FAST_S[op](a, b), false, why);
});

// ---- double precision (64-bit images as bigints; the fast path takes (high, low) words)

type Shape64 = (next: () => number, other: bigint) => bigint;
const word64 = (hi: number, lo: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
const SHAPES_D: Readonly<Record<string, { make: Shape64; minFast: number }>> = {
  random: { make: (n) => word64((n() & 0x800fffff) | ((1 + (n() % 2046)) << 20), n()), minFast: 0.3 },
  // Exponents the fast path takes (within ±900 of the bias).
  tame: { make: (n) => word64((n() & 0x800fffff) | ((1023 - 600 + (n() % 1200)) << 20), n()), minFast: 0.9 },
  'few bits': { make: (n) => word64((n() & 0x80000000) | ((1013 + (n() % 20)) << 20) | ((n() & 0x3f) << 14), 0), minFast: 0.9 },
  'near the other': { make: (n, o) => (o & ~0xffffn) | BigInt(n() & 0xffff), minFast: 0.3 },
  'last bits': { make: (n, o) => (o & ~0xffffffffn) | BigInt(n() & 1 ? n() & 0x7 : 0xfffffff8 | (n() & 7)), minFast: 0.3 },
};

for (const op of OPS) {
  test(`double ${op}: fast results and guard/sticky equal the exact ones`, () => {
    for (const [name, shape] of Object.entries(SHAPES_D)) {
      const seed = 0xd0b10000 + OPS.indexOf(op) * 16 + Object.keys(SHAPES_D).indexOf(name);
      const next = rng(seed);
      const count = 40_000;
      let taken = 0;
      for (let k = 0; k < count; k++) {
        const a = name === 'few bits' ? shape.make(next, 0n) : SHAPES_D.tame!.make(next, 0n);
        const b = shape.make(next, a);
        const ah = Number(a >> 32n) | 0;
        const al = Number(a & 0xffffffffn) | 0;
        const bh = Number(b >> 32n) | 0;
        const bl = Number(b & 0xffffffffn) | 0;
        if (!fast.FAST_D[op](ah, al, bh, bl)) continue;
        taken++;
        const want = exactD(op, a, b);
        const got = word64(fast.fastHi, fast.fastLo);
        if (got !== want.bits || fast.fastEf !== want.ef) {
          assert.fail(`${op} ${hex(a, 16)}, ${hex(b, 16)} (${name}, seed ${hex(seed, 8)}): fast ${hex(got, 16)} flags ${fast.fastEf}, exact ${hex(want.bits, 16)} flags ${want.ef}`);
        }
      }
      assert.ok(taken >= count * shape.minFast, `${op} (${name}): the fast path answered ${taken} of ${count}`);
    }
  });
}
