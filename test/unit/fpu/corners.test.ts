/**
 * Named corner cases, readable on their own.  Every expectation here agrees
 * with the QEMU 7.2 e500mc vectors; where QEMU differs from the Power ISA the
 * test name says so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fpu from '../../../src/accel/e500/fpu/index.js';

const { FpuState, FP_OK, FP_ENABLED_EXCEPTION } = fpu;

const scratch = new DataView(new ArrayBuffer(8));
function bits(x: number): bigint {
  scratch.setFloat64(0, x);
  return scratch.getBigUint64(0);
}

/** FPRs: f1 = A, f2 = B, f3 = C, f4 = target. */
function setup(fpscr: number, a: bigint, b = 0n, c = 0n): fpu.FpuState {
  const st = new FpuState();
  st.fpscr = fpscr >>> 0;
  st.setBits(1, a);
  st.setBits(2, b);
  st.setBits(3, c);
  st.setBits(4, 0xdeadn);
  return st;
}
const hex = (v: bigint | number): string => '0x' + (typeof v === 'number' ? v >>> 0 : v).toString(16);

const ONE = 0x3ff0000000000000n;
const QNAN = 0x7ff8000000000000n;

// FPSCR values used below
const FX = 0x80000000;
const XX = 0x02000000;
const FI = 0x00020000;
const FPRF_POS_NORMAL = 0x4 << 12;

test('RN tie to even: 1 + 2^-53 = 1, XX and FI set, FR never set (QEMU does not model FR)', () => {
  const st = setup(0, ONE, bits(2 ** -53));
  assert.equal(fpu.fadd(st, 4, 1, 2), FP_OK);
  assert.equal(hex(st.getBits(4)), hex(ONE));
  assert.equal(hex(st.fpscr), hex(FX | XX | FI | FPRF_POS_NORMAL));
  // round up in RN=+inf: still no FR
  st.fpscr = 2;
  fpu.fadd(st, 4, 1, 2);
  assert.equal(hex(st.getBits(4)), hex(ONE + 1n));
  assert.equal(hex(st.fpscr), hex(FX | XX | FI | FPRF_POS_NORMAL | 2));
});

test('FX is set by every exception, even one whose bit was already 1 (ISA: only 0 -> 1)', () => {
  const st = setup(XX, ONE, bits(1 / 3));
  fpu.fadd(st, 4, 1, 2);
  assert.ok(st.fpscr & FX);
});

test('exact result clears FI but keeps the sticky XX', () => {
  const st = setup(XX | FI, ONE, ONE);
  fpu.fadd(st, 4, 1, 2);
  assert.equal(hex(st.fpscr), hex(XX | FPRF_POS_NORMAL));
});

test('fmadd rounds once: (1+2^-27)(1-2^-27) - 1 = -2^-54 exactly', () => {
  const st = setup(0, bits(1 + 2 ** -27), bits(-1), bits(1 - 2 ** -27));
  assert.equal(fpu.fmadd(st, 4, 1, 3, 2), FP_OK);
  assert.equal(hex(st.getBits(4)), hex(bits(-(2 ** -54))));
  assert.equal(st.fpscr & XX, 0, 'exact');
  // separate multiply and add lose it entirely
  const st2 = setup(0, bits(1 + 2 ** -27), bits(-1), bits(1 - 2 ** -27));
  fpu.fmul(st2, 5, 1, 3);
  fpu.fadd(st2, 4, 5, 2);
  assert.equal(st2.getBits(4), 0n);
});

test('single-precision forms round the exact result once (no double rounding)', () => {
  // exact = 1 + 2^-24 + 2^-60: binary64 would round to the binary32 tie
  // 1 + 2^-24 and then to even (1.0); one rounding gives 1 + 2^-23.
  const a = bits(1 + 2 ** -24);
  const st = setup(0, a, bits(2 ** -60), ONE);
  fpu.fmadds(st, 4, 1, 3, 2);
  assert.equal(hex(st.getBits(4)), hex(bits(1 + 2 ** -23)));
  fpu.fadds(st, 4, 1, 2);
  assert.equal(hex(st.getBits(4)), hex(bits(1 + 2 ** -23)));
  // while frsp of the binary64 tie itself goes to even
  st.setBits(2, a);
  fpu.frsp(st, 4, 2);
  assert.equal(hex(st.getBits(4)), hex(ONE));
});

test('binary32 denormal results of single ops are binary64 normals, FPRF says normal (QEMU)', () => {
  const st = setup(0, bits(2 ** -140), 0n, bits(2 ** -5));
  fpu.fmuls(st, 4, 1, 3); // 2^-145: a binary32 denormal, exact
  assert.equal(hex(st.getBits(4)), hex(bits(2 ** -145)));
  assert.equal(st.fpscr & 0x1f000, FPRF_POS_NORMAL);
  assert.equal(st.fpscr & 0x08000000, 0, 'exact: no UX');
  st.setBits(3, bits(3 * 2 ** -11)); // 0.75 * 2^-149 rounds up to the smallest denormal
  fpu.fmuls(st, 4, 1, 3);
  assert.equal(hex(st.getBits(4)), hex(bits(2 ** -149)));
  assert.ok(st.fpscr & 0x08000000, 'tiny and inexact: UX');
});

test('NaN precedence A, then B, then C; SNaN quieted; A wins even over an SNaN in B', () => {
  const snanB = 0x7ff0000000000001n;
  const qnanA = 0xfff8000000000abcn;
  let st = setup(0, qnanA, snanB);
  fpu.fadd(st, 4, 1, 2);
  assert.equal(hex(st.getBits(4)), hex(qnanA));
  assert.ok(st.fpscr & 0x01000000, 'VXSNAN from B');
  st = setup(0, ONE, snanB);
  fpu.fadd(st, 4, 1, 2);
  assert.equal(hex(st.getBits(4)), hex(0x7ff8000000000001n));
  // multiply-add: frB's NaN beats frC's
  st = setup(0, ONE, 0x7ff8000000000002n, 0x7ff8000000000003n);
  fpu.fmadd(st, 4, 1, 3, 2);
  assert.equal(hex(st.getBits(4)), hex(0x7ff8000000000002n));
  // single forms also drop the low 29 payload bits
  st = setup(0, snanB, ONE);
  fpu.fadds(st, 4, 1, 2);
  assert.equal(hex(st.getBits(4)), hex(QNAN));
});

test('NaN signs survive fsub and fnmadd', () => {
  const st = setup(0, ONE, 0xfff8000000000001n, ONE);
  fpu.fsub(st, 4, 1, 2);
  assert.equal(hex(st.getBits(4)), hex(0xfff8000000000001n));
  fpu.fnmadd(st, 4, 1, 3, 2);
  assert.equal(hex(st.getBits(4)), hex(0xfff8000000000001n));
});

test('invalid operations: default NaN, VXISI/VXIMZ, FPRF = QNaN', () => {
  let st = setup(0, 0x7ff0000000000000n, 0xfff0000000000000n);
  fpu.fadd(st, 4, 1, 2);
  assert.equal(hex(st.getBits(4)), hex(QNAN));
  assert.equal(hex(st.fpscr), hex(0xa0811000));
  // inf * 0 + SNaN: only VXIMZ (the ISA would also set VXSNAN), addend's NaN
  st = setup(0, 0x7ff0000000000000n, 0x7ff4000000000000n, 0n);
  fpu.fmadd(st, 4, 1, 3, 2);
  assert.equal(hex(st.getBits(4)), hex(0x7ffc000000000000n));
  assert.equal(hex(st.fpscr & 0x01f00000), hex(0x00100000));
});

test('VE=1 with MSR[FE0|FE1]=0: QEMU still writes the default NaN (ISA: target unchanged)', () => {
  const st = setup(0x80, 0n, 0n);
  assert.equal(fpu.fdiv(st, 4, 1, 2), FP_ENABLED_EXCEPTION);
  assert.equal(hex(st.getBits(4)), hex(QNAN));
  assert.equal(hex(st.fpscr), hex(0xe0211080)); // VXZDZ; FPRF from the NaN result
});

test('fctiw/fctiwz: saturation, high word, NaN', () => {
  const cases: [number | bigint, bigint, number][] = [
    [-1, 0xffffffffffffffffn, 0],
    [2.5, 2n, XX], // ties to even
    [3e9, 0x7fffffffn, 0x00000100], // VXCVI, high word 0
    [-3e9, 0xffffffff80000000n, 0x00000100],
    [0x7ff8000000000000n, 0x80000000n, 0x00000100], // NaN: zero-extended 0x80000000
    [0x7ff4000000000000n, 0x80000000n, 0x01000100], // SNaN: VXSNAN too
  ];
  for (const [x, want, bitsSet] of cases) {
    const st = setup(0, 0n, typeof x === 'bigint' ? x : bits(x));
    fpu.fctiw(st, 4, 2);
    assert.equal(hex(st.getBits(4)), hex(want), `fctiw ${x}`);
    assert.equal(st.fpscr & (XX | 0x01000100), bitsSet, `fctiw ${x} flags`);
  }
  const st = setup(0, 0n, bits(-2.9));
  fpu.fctiwz(st, 4, 2);
  assert.equal(hex(st.getBits(4)), hex(0xfffffffffffffffen));
});

test('fres is 1/x rounded to single; fres(+-0) = +-0.5 with ZX (QEMU quirk, ISA: +-inf)', () => {
  let st = setup(0, 0n, bits(3));
  fpu.fres(st, 4, 2);
  assert.equal(hex(st.getBits(4)), hex(bits(Math.fround(1 / 3))));
  st = setup(0, 0n, 0x8000000000000000n);
  fpu.fres(st, 4, 2);
  assert.equal(hex(st.getBits(4)), hex(bits(-0.5)));
  assert.equal(hex(st.fpscr), hex(0x84008000)); // FX ZX, FPRF -normal
});

test('frsqrte is sqrt then divide in binary64; negative operands set VXSQRT', () => {
  let st = setup(0, 0n, bits(4));
  fpu.frsqrte(st, 4, 2);
  assert.equal(st.getBits(4), bits(0.5));
  st = setup(0, 0n, bits(2));
  fpu.frsqrte(st, 4, 2);
  assert.equal(st.getBits(4), bits(1 / Math.SQRT2));
  st = setup(0, 0n, bits(-1));
  fpu.frsqrte(st, 4, 2);
  assert.equal(hex(st.getBits(4)), hex(QNAN));
  assert.equal(hex(st.fpscr), hex(0xa0011200));
  st = setup(0, 0n, 0n);
  fpu.frsqrte(st, 4, 2);
  assert.equal(hex(st.getBits(4)), hex(0x7ff0000000000000n));
  assert.ok(st.fpscr & 0x04000000, 'ZX');
});

test('OE/UE rebias the exponent (by 1536, or 192 for single), and single ones can wrap', () => {
  let st = setup(0x40, 0x7fe0000000000000n, 0n, 0x7fe0000000000000n);
  fpu.fmul(st, 4, 1, 3);
  assert.equal(hex(st.getBits(4)), hex(bits(2 ** 510)));
  assert.equal(hex(st.fpscr), hex(0xd0004040)); // exact: OX but no XX
  fpu.fmadds(st, 4, 1, 3, 2);
  // 2^2046 rebiased by 192 is still far out of binary32 range: QEMU packs the
  // exponent modulo 2^11 into the binary64 field.
  assert.equal(hex(st.getBits(4)), hex(0x33d0000000000000n));
  fpu.frsp(st, 4, 1);
  // frsp goes through a binary32, which truncates the exponent to 8 bits
  assert.equal(hex(st.getBits(4)), hex(0x43e0000000000000n));
  // exact tiny result with UE=1: UX is still raised (and the result rebiased)
  st = setup(0x20, 3n, 0n);
  fpu.fadd(st, 4, 1, 2);
  assert.equal(hex(st.getBits(4)), hex(0x5ce8000000000000n));
  assert.equal(hex(st.fpscr), hex(0xc8004020));
});

test('fnmadd negates before rounding (QEMU): directed modes differ from the ISA', () => {
  // x = 1 + 1/3 (inexact).  RN=+inf: QEMU gives RP(-x) = -RZ(x); the ISA's
  // -(RP(x)) would be 0xbff5555555555556.
  const st = setup(2, ONE, ONE, bits(1 / 3));
  fpu.fnmadd(st, 4, 1, 3, 2);
  assert.equal(hex(st.getBits(4)), hex(0xbff5555555555555n));
});

test('lfs/stfs are exact bit conversions: SNaN stays signalling, denormals normalize', () => {
  const st = new FpuState();
  fpu.loadSingle(st, 1, 0x7f800001);
  assert.equal(hex(st.getBits(1)), hex(0x7ff0000020000000n));
  fpu.loadSingle(st, 1, 0x00000001);
  assert.equal(hex(st.getBits(1)), hex(bits(2 ** -149)));
  fpu.loadSingle(st, 1, 0xff800000);
  assert.equal(hex(st.getBits(1)), hex(0xfff0000000000000n));
  assert.equal(fpu.storeSingleBits(st, 1), 0xff800000);
  st.setBits(2, bits(2 ** -149));
  assert.equal(fpu.storeSingleBits(st, 2), 1);
  st.setBits(2, bits(2 ** -1000)); // below binary32 denormals: zero
  assert.equal(fpu.storeSingleBits(st, 2), 0);
  st.setBits(2, bits(1 + 2 ** -30)); // truncated, not rounded
  assert.equal(hex(fpu.storeSingleBits(st, 2)), hex(0x3f800000));
  st.setBits(2, 0x7ff0000000000001n); // SNaN whose payload is all below bit 29
  assert.equal(hex(fpu.storeSingleBits(st, 2)), hex(0x7f800000));
  st.setBits(2, 0x123456789abcdef0n);
  assert.equal(hex(fpu.storeIntWordBits(st, 2)), hex(0x9abcdef0));
  assert.equal(st.fpscr, 0);
});

test('fcmpu/fcmpo: CR field, FPCC, VXVC/VXSNAN, FI cleared', () => {
  let st = setup(FI, ONE, bits(2));
  assert.equal(fpu.fcmpu(st, 1, 2), FP_OK);
  assert.equal(st.cr, 8);
  assert.equal(hex(st.fpscr), hex(0x8000));
  st = setup(0, QNAN, ONE);
  fpu.fcmpo(st, 1, 2);
  assert.equal(st.cr, 1);
  assert.equal(hex(st.fpscr), hex(0xa0091000)); // VXVC, FPRF = C|FU
  // SNaN with VE=1: VXVC too (ISA: not when VE=1)
  st = setup(0x80, 0x7ff4000000000000n, ONE);
  assert.equal(fpu.fcmpo(st, 1, 2), FP_ENABLED_EXCEPTION);
  assert.equal(hex(st.fpscr), hex(0xe1091080));
  st = setup(0, 0x8000000000000000n, 0n);
  fpu.fcmpu(st, 1, 2);
  assert.equal(st.cr, 2, '-0 == +0');
});

test('fsel, fmr and friends never touch the FPSCR', () => {
  const st = setup(FI | 0x40000, 0x8000000000000000n, bits(7), bits(9));
  fpu.fsel(st, 4, 1, 3, 2); // -0 >= 0: selects C
  assert.equal(st.getBits(4), bits(9));
  st.setBits(1, QNAN);
  fpu.fsel(st, 4, 1, 3, 2); // NaN selects B
  assert.equal(st.getBits(4), bits(7));
  fpu.fneg(st, 4, 1);
  assert.equal(hex(st.getBits(4)), hex(0xfff8000000000000n));
  fpu.fabs(st, 4, 4);
  fpu.fnabs(st, 5, 4);
  fpu.fmr(st, 6, 5);
  assert.equal(hex(st.getBits(6)), hex(0xfff8000000000000n));
  assert.equal(hex(st.fpscr), hex(FI | 0x40000));
});

test('FPSCR moves: FEX/VX computed, reserved bit 20 dropped, FX/NI quirks of mtfsb1', () => {
  const st = new FpuState();
  st.setBits(1, 0xffffffffn);
  fpu.mtfsf(st, 0xff, 1);
  assert.equal(hex(st.fpscr), hex(0xfffff7ff));
  st.setBits(1, 0x60000000n); // FEX and VX cannot be set directly
  fpu.mtfsf(st, 0xff, 1);
  assert.equal(st.fpscr, 0);
  fpu.mtfsb1(st, 3); // OX: no FX (ISA would set it)
  assert.equal(hex(st.fpscr), hex(0x10000000));
  fpu.mtfsb1(st, 29); // NI: ignored by QEMU
  assert.equal(hex(st.fpscr), hex(0x10000000));
  fpu.mtfsb1(st, 25); // OE: FEX follows; pending enabled exception reported
  assert.equal(hex(st.fpscr), hex(0x50000040));
  assert.equal(fpu.mtfsb1(st, 25), FP_ENABLED_EXCEPTION);
  fpu.mtfsb0(st, 1); // FEX: ignored
  assert.equal(hex(st.fpscr), hex(0x50000040));
  assert.equal(fpu.cr1FromFpscr(st), 5);
  fpu.mtfsfi(st, 0, 0x9); // FX, OX from the immediate; FEX recomputed
  assert.equal(hex(st.fpscr), hex(0xd0000040));
  assert.equal(fpu.mcrfs(st, 0), 0xd); // copies, then clears FX and OX
  assert.equal(hex(st.fpscr), hex(0x00000040));
  fpu.mffs(st, 7);
  assert.equal(hex(st.getBits(7)), hex(0x40n));
});
