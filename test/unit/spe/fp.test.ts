/**
 * Embedded floating point: results against IEEE arithmetic for normal operands (JS doubles
 * and Math.fround, correctly rounded to single since 53 ≥ 2·24 + 2), and the e500 SPEFSCR
 * behaviour that QEMU 7.2 does not model (status, sticky, enables, interrupts, FRMC,
 * special operands), written from the SPE PEM / e500 core reference manual.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ESR, Ivor } from '../../../src/accel/e500/interrupts.js';
import { SPE_DEFS } from '../../../src/accel/e500/insn/spe.js';
import { F } from '../../../src/accel/e500/insn/spe-state.js';
import { Harness } from './cpu-harness.js';

const f32 = new Float32Array(1);
const u32v = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1);
const u64v = new BigUint64Array(f64.buffer);
const bitsS = (x: number): number => ((f32[0] = x), u32v[0]!);
const valS = (b: number): number => ((u32v[0] = b >>> 0), f32[0]!);
const bitsD = (x: number): bigint => ((f64[0] = x), u64v[0]!);
const valD = (b: bigint): number => ((u64v[0] = b), f64[0]!);
const fl = (...bits: number[]): number => bits.reduce((a, b) => a | b, 0) >>> 0;

let seed = 12345;
function rnd(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
}
/** A random normal single with exponent in [-40, 40]. */
const randS = (): number => ((rnd() & 0x80000000) | ((87 + (rnd() % 81)) << 23) | (rnd() & 0x7fffff)) >>> 0;
const randD = (): bigint => (BigInt(((rnd() & 0x80000000) | ((983 + (rnd() % 81)) << 20) | (rnd() & 0xfffff)) >>> 0) << 32n) | BigInt(rnd());

function scalar(name: string, a: number, b: number, fscr = 0): { r: number; f: number; fault: ReturnType<Harness['run']> } {
  const h = new Harness();
  h.set64(1, 0x1111, a);
  h.set64(2, 0x2222, b);
  h.set64(3, 0x5eed, 0xd0d0d0d0);
  h.spefscr = fscr;
  // A valid form: rB = 0 where the instruction has no rB, crfD = 1 for compares and tests.
  const reserved = SPE_DEFS.find((d) => d.name === name)?.reserved ?? 0;
  const fault = h.run(name, (reserved & 0x00600000) !== 0 ? 4 : 3, 1, (reserved & 0x0000f800) !== 0 ? 0 : 2);
  assert.equal(h.get64(3)[0], 0x5eed, `${name} touched rD[0:31]`);
  return { r: h.get64(3)[1], f: h.spefscr, fault };
}

/** Whether r is the exact result (TwoSum for sums; 24 × 24-bit products are exact doubles). */
function isExact(op: string, x: number, y: number, r: number): boolean {
  if (op === 'mul') return x * y === r;
  if (op === 'div') return r * y === x;
  const yy = op === 'sub' ? -y : y;
  const sum = x + yy;
  const bb = sum - x;
  return x - (sum - bb) + (yy - bb) === 0 && sum === r;
}

test('efs/evfs arithmetic is IEEE round-to-nearest for normal operands', () => {
  const ops: [string, (x: number, y: number) => number][] = [
    ['add', (x, y) => x + y],
    ['sub', (x, y) => x - y],
    ['mul', (x, y) => x * y],
    ['div', (x, y) => x / y],
  ];
  for (const [op, fn] of ops) {
    for (let k = 0; k < 2000; k++) {
      const a = randS();
      const b = randS();
      const want = bitsS(Math.fround(fn(valS(a), valS(b))));
      const { r, f } = scalar(`efs${op}`, a, b);
      assert.equal(r, want, `efs${op} ${a.toString(16)} ${b.toString(16)}`);
      const exact = isExact(op, valS(a), valS(b), valS(want));
      assert.equal((f & F.FINXS) !== 0, !exact, `FINXS efs${op} ${a.toString(16)} ${b.toString(16)}`);
      assert.equal(f & ~(F.FG | F.FX | F.FINXS), 0);
    }
    const h = new Harness();
    const a = [randS(), randS()];
    const b = [randS(), randS()];
    h.set64(1, a[0]!, a[1]!);
    h.set64(2, b[0]!, b[1]!);
    h.run(`evfs${op}`, 3, 1, 2);
    assert.deepEqual(h.get64(3), [0, 1].map((e) => bitsS(Math.fround(fn(valS(a[e]!), valS(b[e]!))))));
  }
});

test('efd arithmetic is IEEE round-to-nearest for normal operands', () => {
  const ops: [string, (x: number, y: number) => number][] = [
    ['efdadd', (x, y) => x + y],
    ['efdsub', (x, y) => x - y],
    ['efdmul', (x, y) => x * y],
    ['efddiv', (x, y) => x / y],
  ];
  for (const [name, fn] of ops) {
    for (let k = 0; k < 1000; k++) {
      const a = randD();
      const b = randD();
      const h = new Harness();
      h.setBig(1, a);
      h.setBig(2, b);
      h.run(name, 3, 1, 2);
      assert.equal(h.getBig(3), bitsD(fn(valD(a), valD(b))), `${name} ${a.toString(16)} ${b.toString(16)}`);
    }
  }
});

test('status bits: guard/sticky, inexact sticky, cleared by the next instruction', () => {
  // 1 + (2^-24 + 2^-47): the guard bit and the sticky bit are both set
  let s = scalar('efsadd', 0x3f800000, 0x33800001);
  assert.equal(s.r, 0x3f800001);
  assert.equal(s.f, fl(F.FG, F.FX, F.FINXS));
  // exactly half an ulp: guard only, ties to even
  s = scalar('efsadd', 0x3f800000, 0x33800000);
  assert.equal(s.r, 0x3f800000);
  assert.equal(s.f, fl(F.FG, F.FINXS));
  // an exact result clears the status (including the high-element bits) and keeps stickies
  s = scalar('efsadd', 0x3f800000, 0x40000000, fl(F.FG, F.FX, F.FGH, F.FINVH, F.FINV, F.FINXS, F.FDBZS, F.SOV));
  assert.equal(s.r, 0x40400000);
  assert.equal(s.f, fl(F.FINXS, F.FDBZS, F.SOV));
});

test('FRMC: toward zero truncates; the directed modes deliver the truncated result too', () => {
  for (const mode of [1, 2, 3]) {
    let s = scalar('efsadd', 0x3f800000, 0x33800001, mode);
    assert.equal(s.r, 0x3f800000, `mode ${mode}`);
    s = scalar('efssub', 0xbf800000, 0x33800001, mode);
    assert.equal(s.r, 0xbf800000, `mode ${mode}`);
    assert.equal(s.f, fl(mode, F.FG, F.FX, F.FINXS));
  }
  // conversions round per FRMC, the z forms always truncate
  assert.equal(scalar('efsctsi', 0, 0x3fc00000, 0).r, 2);
  assert.equal(scalar('efsctsi', 0, 0x3fc00000, 1).r, 1);
  assert.equal(scalar('efsctsiz', 0, 0xbfc00000, 0).r, 0xffffffff);
});

test('overflow gives ±max normal (FOVF), underflow ±0 (FUNF); both are inexact', () => {
  let s = scalar('efsmul', 0x7f000000, 0xff000000);
  assert.equal(s.r, 0xff7fffff);
  assert.equal(s.f, fl(F.FOVF, F.FX, F.FOVFS, F.FINXS));
  s = scalar('efsmul', 0x01000000, 0x81000000);
  assert.equal(s.r, 0x80000000);
  assert.equal(s.f, fl(F.FUNF, F.FX, F.FUNFS, F.FINXS));
  // a result that would be denormalized is flushed as well
  s = scalar('efssub', 0x00c00000, 0x00800000);
  assert.equal(s.r, 0);
  assert.equal(s.f & F.FUNF, F.FUNF);
  const h = new Harness();
  h.setBig(1, 0x7fe0000000000000n);
  h.setBig(2, 0x4000000000000000n);
  h.run('efdmul', 3, 1, 2);
  assert.equal(h.getBig(3), 0x7fefffffffffffffn);
  assert.equal(h.spefscr & F.FOVF, F.FOVF);
});

test('special operands: FINV; denormals act as zero, infinity and NaN as largest values', () => {
  let s = scalar('efsadd', 0x00400000, 0x3f800000);
  assert.equal(s.r, 0x3f800000);
  assert.equal(s.f, fl(F.FINV, F.FINVS));
  s = scalar('efsadd', 0xffc00000, 0x3f800000);
  assert.equal(s.r, 0xff7fffff);
  assert.equal(s.f, fl(F.FINV, F.FINVS));
  s = scalar('efssub', 0x3f800000, 0x7f800000);
  assert.equal(s.r, 0xff7fffff);
  s = scalar('efsmul', 0x7f800000, 0xc0000000);
  assert.equal(s.r, 0xff7fffff);
  s = scalar('efsdiv', 0x3f800000, 0x7f800000);
  assert.equal(s.r, 0);
  s = scalar('efsabs', 0xff800000, 0);
  assert.equal(s.r, 0x7f800000);
  assert.equal(s.f, fl(F.FINV, F.FINVS));
  s = scalar('efscmpgt', 0x7fc00000, 0x3f800000);
  assert.equal(s.f, fl(F.FINV, F.FINVS));
  // tst* never touch SPEFSCR
  s = scalar('efststgt', 0x7fc00000, 0x3f800000, F.FG);
  assert.equal(s.f, F.FG);
});

test('division by zero: FDBZ and ±max; 0/0 is invalid', () => {
  let s = scalar('efsdiv', 0xc0000000, 0x00000000);
  assert.equal(s.r, 0xff7fffff);
  assert.equal(s.f, fl(F.FDBZ, F.FDBZS));
  s = scalar('efsdiv', 0x00000000, 0x80000000);
  assert.equal(s.r, 0x80000000);
  assert.equal(s.f, fl(F.FINV, F.FINVS));
});

test('conversions: saturation and NaN set FINV; fractions are 1.31 signed and 0.32 unsigned', () => {
  assert.deepEqual(scalar('efsctsi', 0, 0x4f32d05e), scalar('efsctsi', 0, 0x7f800000)); // 3e9 and +inf
  assert.equal(scalar('efsctsi', 0, 0x4f32d05e).r, 0x7fffffff);
  assert.equal(scalar('efsctsi', 0, 0x4f32d05e).f, fl(F.FINV, F.FINVS));
  assert.equal(scalar('efsctsi', 0, 0xcf32d05e).r, 0x80000000);
  assert.equal(scalar('efsctsi', 0, 0x7fa00000).r, 0); // signalling NaN (QEMU: 0x7fffffff)
  assert.equal(scalar('efsctui', 0, 0xbfc00000).r, 0);
  assert.equal(scalar('efsctui', 0, 0xbfc00000).f, fl(F.FINV, F.FINVS));
  assert.equal(scalar('efsctui', 0, 0xbe800000).f, fl(F.FX, F.FINXS)); // -0.25 rounds to 0
  assert.equal(scalar('efscfsf', 0, 0x40000000).r, 0x3f000000); // 0.5 (QEMU: 0.25)
  assert.equal(scalar('efscfsf', 0, 0x80000000).r, 0xbf800000); // -1
  assert.equal(scalar('efsctsf', 0, 0x3f000000).r, 0x40000000);
  assert.equal(scalar('efsctsf', 0, 0xbf800000).r, 0x80000000);
  const one = scalar('efsctsf', 0, 0x3f800000);
  assert.equal(one.r, 0x7fffffff);
  assert.equal(one.f, fl(F.FINV, F.FINVS));
  assert.equal(scalar('efscfuf', 0, 0x80000000).r, 0x3f000000);
  assert.equal(scalar('efsctuf', 0, 0x3f400000).r, 0xc0000000);
  assert.equal(scalar('efscfsi', 0, 0x7fffffff).r, 0x4f000000);
  assert.equal(scalar('efscfsi', 0, 0x7fffffff).f, fl(F.FG, F.FX, F.FINXS));
  const h = new Harness();
  h.set64(2, 0, 0xc0000000);
  h.run('efdcfsf', 3, 0, 2);
  assert.equal(h.getBig(3), bitsD(-0.5));
  h.setBig(2, bitsD(-0.75));
  h.run('efdctsf', 4, 0, 2);
  assert.equal(h.get64(4)[1], 0xa0000000);
  h.setBig(2, 0xffffffffffffffffn);
  h.run('efdcfsid', 5, 0, 2);
  assert.equal(h.getBig(5), bitsD(-1));
  h.run('efdcfuid', 5, 0, 2);
  assert.equal(h.getBig(5), bitsD(2 ** 64));
  h.setBig(2, bitsD(-(2 ** 40) - 0.75));
  h.run('efdctsidz', 6, 0, 2);
  assert.equal(h.getBig(6), BigInt.asUintN(64, -(2n ** 40n)));
  h.run('efdctuidz', 6, 0, 2);
  assert.equal(h.getBig(6), 0n);
  assert.equal(h.spefscr & F.FINV, F.FINV);
});

test('efscfd / efdcfs', () => {
  const h = new Harness();
  h.setBig(2, bitsD(1e300));
  h.run('efscfd', 3, 0, 2);
  assert.equal(h.get64(3)[1], 0x7f7fffff);
  assert.equal(h.spefscr & F.FOVF, F.FOVF);
  h.setBig(2, bitsD(0.1));
  h.run('efscfd', 3, 0, 2);
  assert.equal(h.get64(3)[1], bitsS(Math.fround(0.1)));
  h.set64(2, 0, 0xffc00000);
  h.run('efdcfs', 4, 0, 2);
  assert.equal(h.getBig(4), 0xffefffffffffffffn);
  assert.equal(h.spefscr & F.FINV, F.FINV);
  h.set64(2, 0, 0x3dcccccd);
  h.run('efdcfs', 4, 0, 2);
  assert.equal(h.getBig(4), bitsD(Math.fround(0.1)));
});

test('enabled errors take the FP data interrupt before anything is written', () => {
  const cases: [string, number, number, number, number][] = [
    ['efsadd', 0x7fc00000, 0x3f800000, F.FINVE, F.FINV],
    ['efsdiv', 0x3f800000, 0, F.FDBZE, F.FDBZ],
    ['efsmul', 0x7f000000, 0x7f000000, F.FOVFE, F.FOVF | F.FX],
    ['efsmul', 0x01000000, 0x01000000, F.FUNFE, F.FUNF | F.FX],
    ['efsctsi', 0, 0x7f800000, F.FINVE, F.FINV],
  ];
  for (const [name, a, b, enable, status] of cases) {
    const s = scalar(name, a, b, enable | F.FG);
    assert.deepEqual(s.fault, { ivor: Ivor.SpeFpData, esr: ESR.SPV, dear: undefined, after: false }, name);
    assert.equal(s.r, 0xd0d0d0d0, `${name} wrote rD`);
    // status recorded (guard/sticky cleared), sticky bits left to the handler
    assert.equal(s.f, fl(enable, status & ~F.FX), name);
  }
  // compares keep CR
  const h = new Harness();
  h.cpu.cr = 0x12345678;
  h.set64(1, 0, 0x7f800000);
  h.spefscr = F.FINVE;
  assert.equal(h.run('efscmpeq', 1 << 2, 1, 1)?.ivor, Ivor.SpeFpData);
  assert.equal(h.cpu.cr, 0x12345678);
  // a disabled error does not trap
  assert.equal(scalar('efsadd', 0x7fc00000, 0x3f800000, F.FDBZE).fault, null);
});

test('FINXE: an inexact result is written, then the round interrupt (SRR0 after it)', () => {
  const s = scalar('efsadd', 0x3f800000, 0x33800001, F.FINXE);
  assert.deepEqual(s.fault, { ivor: Ivor.SpeFpRound, esr: ESR.SPV, dear: undefined, after: true });
  assert.equal(s.r, 0x3f800001);
  assert.equal(s.f, fl(F.FINXE, F.FG, F.FX, F.FINXS));
  assert.equal(scalar('efsadd', 0x3f800000, 0x3f800000, F.FINXE).fault, null);
});

test('vector single: high-element conditions go to the H bits', () => {
  const h = new Harness();
  h.set64(1, 0x3f800000, 0x3f800000);
  h.set64(2, 0x33800001, 0x40000000);
  h.run('evfsadd', 3, 1, 2);
  assert.deepEqual(h.get64(3), [0x3f800001, 0x40400000]);
  assert.equal(h.spefscr, fl(F.FGH, F.FXH, F.FINXS));
  h.set64(1, 0x3f800000, 0x7f800000);
  h.set64(2, 0, 0x3f800000);
  h.run('evfsdiv', 3, 1, 2);
  assert.deepEqual(h.get64(3), [0x7f7fffff, 0x7f7fffff]);
  assert.equal(h.spefscr, fl(F.FDBZH, F.FINV, F.FINXS, F.FINVS, F.FDBZS));
  // compare: CR = ch || cl || ch|cl || ch&cl (QEMU 7.2 builds it from 4/0 and spills)
  h.cpu.cr = 0;
  h.set64(1, 0x40000000, 0xbf800000);
  h.set64(2, 0x3f800000, 0x3f800000);
  h.run('evfscmpgt', 1 << 2, 1, 2);
  assert.equal(h.cpu.cr >>> 0, 0x0a000000);
  h.run('evfststlt', 7 << 2, 1, 2);
  assert.equal(h.cpu.cr & 0xf, 0b0110);
  h.set64(1, 0x80000000, 0x3f800000);
  h.set64(2, 0x00000000, 0x3f800000);
  h.run('evfscmpeq', 0, 1, 2);
  assert.equal(h.cpu.cr >>> 28, 0xf);
});
