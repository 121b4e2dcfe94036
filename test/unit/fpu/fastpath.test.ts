/**
 * The round-to-nearest fast paths (native doubles plus error-free
 * transformations) must agree bit for bit, flags included, with the exact
 * BigInt paths that the QEMU vectors validate in every rounding mode.  The
 * operands are biased towards the hard cases: ties, cancellation, products
 * whose rounding error decides an fma, binary32 boundaries.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ieee from '../../../src/accel/e500/fpu/ieee.js';

// deterministic xorshift so failures reproduce
let seed = 0x2545f4914f6cdd1dn;
function rnd64(): bigint {
  let x = seed;
  x ^= (x << 13n) & 0xffffffffffffffffn;
  x ^= x >> 7n;
  x ^= (x << 17n) & 0xffffffffffffffffn;
  seed = x;
  return x;
}
const rndn = (n: number): number => Number(rnd64() % BigInt(n));

const scratch = new DataView(new ArrayBuffer(8));
const toD = (b: bigint): number => {
  scratch.setBigUint64(0, b);
  return scratch.getFloat64(0);
};
const toB = (d: number): bigint => {
  scratch.setFloat64(0, d);
  return scratch.getBigUint64(0);
};

function mk(exp: number, frac: bigint, sign = rndn(2)): bigint {
  return (BigInt(sign) << 63n) | (BigInt(exp & 0x7ff) << 52n) | (frac & 0xfffffffffffffn);
}
function frac(): bigint {
  switch (rndn(4)) {
    case 0: return rnd64();
    case 1: return rnd64() << BigInt(30 + rndn(22));
    case 2: return rnd64() & ~0x1fffffffn;
    default: return (rnd64() & ~0x1fffffffn) | 0x10000000n;
  }
}
function value(): bigint {
  switch (rndn(6)) {
    case 0: return mk(1023 - 30 + rndn(61), frac());
    case 1: return mk(1 + rndn(2046), frac());
    case 2: return mk(rndn(80), frac()); // tiny: fast paths must step aside
    case 3: return mk(2046 - rndn(80), frac()); // huge
    case 4: return mk(1023 - 150 + rndn(300), frac()); // binary32 edges
    default: return mk(1023 + rndn(4), frac());
  }
}
function near(x: bigint): bigint {
  const e = Number((x >> 52n) & 0x7ffn);
  switch (rndn(5)) {
    case 0: return x ^ (rnd64() & 0xffn);
    case 1: return (x ^ (1n << 63n)) ^ (rnd64() & 0xfffn);
    case 2: return mk(Math.max(0, e - 53), rndn(2) ? 0n : rnd64() >> 50n);
    case 3: return mk(Math.max(0, e - 24), rndn(2) ? 0n : rnd64() >> 40n);
    default: return value();
  }
}

const ctx: ieee.RoundCtx = { rm: 0, oe: false, ue: false };
type Outcome = [number, number, number];
function outcome(): Outcome {
  return [ieee.res.hi, ieee.res.lo, ieee.res.flags];
}
const w = (b: bigint): [number, number] => [Number(b >> 32n), Number(b & 0xffffffffn)];

/** Operand tuples: each test's generator fixes how many operands it makes. */
function compare<V extends readonly bigint[]>(name: string, n: number, gen: () => V, fast: (v: V) => void, exact: (v: V) => void): void {
  for (let i = 0; i < n; i++) {
    const v = gen();
    ctx.oe = rndn(4) === 0;
    ctx.ue = rndn(4) === 0;
    ieee.res.flags = 0;
    fast(v);
    const a = outcome();
    ieee.res.flags = 0;
    exact(v);
    const b = outcome();
    if (a[0] !== b[0] || a[1] !== b[1] || a[2] !== b[2]) {
      assert.fail(`${name}(${v.map((x) => x.toString(16)).join(', ')}) oe=${ctx.oe} ue=${ctx.ue}: ` +
        `fast ${a.map((x) => x.toString(16))} exact ${b.map((x) => x.toString(16))}`);
    }
  }
}

for (const fmt of [ieee.FMT_DOUBLE, ieee.FMT_R32]) {
  const tag = fmt === ieee.FMT_DOUBLE ? 'double' : 'single';
  test(`add fast path = exact (${tag})`, () => {
    compare('add', 40000, (): [bigint, bigint] => { const a = value(); return [a, near(a)]; },
      ([a, b]) => ieee.add(...w(a), ...w(b), false, fmt, ctx),
      ([a, b]) => ieee.exactPaths.add(...w(a), ...w(b), false, fmt, ctx));
  });
  test(`mul fast path = exact (${tag})`, () => {
    compare('mul', 40000, (): [bigint, bigint] => [value(), value()],
      ([a, b]) => ieee.mul(...w(a), ...w(b), fmt, ctx),
      ([a, b]) => ieee.exactPaths.mul(...w(a), ...w(b), fmt, ctx));
  });
  test(`div fast path = exact (${tag})`, () => {
    compare('div', 40000, (): [bigint, bigint] => {
      const b = value();
      // a = q*b rounded, nudged: quotients close to representable values/ties
      const a = rndn(2) ? value() : toB(toD(b) * toD(value())) + BigInt(rndn(3) - 1);
      return [a, b];
    },
    ([a, b]) => ieee.div(...w(a), ...w(b), fmt, ctx),
    ([a, b]) => ieee.exactPaths.div(...w(a), ...w(b), fmt, ctx));
  });
  test(`fma fast path = exact (${tag})`, () => {
    compare('muladd', 60000, (): [bigint, bigint, bigint, bigint] => {
      const a = value();
      const c = value();
      let b: bigint;
      switch (rndn(5)) {
        case 0: b = toB(-(toD(a) * toD(c))) + BigInt(rndn(5) - 2); break;
        case 1: b = toB(-Math.fround(toD(a) * toD(c))); break;
        case 2: b = near(toB(toD(a) * toD(c))); break;
        case 3: b = rndn(4) === 0 ? BigInt(rndn(2)) << 63n : value(); break;
        default: b = value(); break;
      }
      return [a, c, b, BigInt(rndn(4))];
    },
    ([a, c, b, neg]) => ieee.muladd(...w(a), ...w(c), ...w(b), (neg & 1n) !== 0n, (neg & 2n) !== 0n, fmt, ctx),
    ([a, c, b, neg]) => ieee.exactPaths.muladd(...w(a), ...w(c), ...w(b), (neg & 1n) !== 0n, (neg & 2n) !== 0n, fmt, ctx));
  });
}

test('binary64 -> binary32 fast path = exact', () => {
  compare('toF32', 40000, (): [bigint] => [value()],
    ([a]) => ieee.toF32(...w(a), ctx),
    ([a]) => ieee.exactPaths.toF32(...w(a), ctx));
});

test('sqrt fast path = exact', () => {
  compare('sqrt', 40000, (): [bigint] => [value() & 0x7fffffffffffffffn],
    ([a]) => ieee.sqrt(...w(a), ieee.FMT_DOUBLE, ctx),
    ([a]) => ieee.exactPaths.sqrt(...w(a), ctx));
});
