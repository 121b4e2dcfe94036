/**
 * Multiply, multiply-accumulate, accumulator and divide instructions (QEMU 7.2 decodes only
 * evmwumi/evmwsmi and their a/aa forms). A reference written from the SPE PEM pseudocode,
 * in bigints, is compared with the emulator over random and boundary operands for every
 * multiply mnemonic binutils knows for the e500v2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from './cpu-harness.js';
import { OPCODES } from './encoding.js';

const M32 = 0xffffffffn;
const M64 = (1n << 64n) - 1n;
const SOVH = 0x80000000;
const OVH = 0x40000000;
const SOV = 0x8000;
const OV = 0x4000;

const s32 = (v: bigint): bigint => BigInt.asIntN(32, v);
const u32 = (v: bigint): bigint => v & M32;

function halfOf(w: bigint, parity: string, signed: boolean): bigint {
  const h = parity === 'e' ? (w >> 16n) & 0xffffn : w & 0xffffn;
  return signed ? BigInt.asIntN(16, h) : h;
}

function satRange(v: bigint, signed: boolean): [bigint, boolean] {
  const lo = signed ? -(1n << 31n) : 0n;
  const hi = signed ? (1n << 31n) - 1n : M32;
  if (v > hi) return [hi, true];
  if (v < lo) return [lo, true];
  return [v, false];
}

interface State {
  a: [bigint, bigint];
  b: [bigint, bigint];
  acc: bigint;
  f: number;
}
interface Result {
  d: bigint;
  acc: bigint;
  f: number;
}

function flags(f: number, ovh: boolean, ovl: boolean): number {
  let r = f & ~(OVH | OV);
  if (ovh) r |= OVH | SOVH;
  if (ovl) r |= OV | SOV;
  return r >>> 0;
}

/** One word element of an evmh (halfword) or evmwh/evmwl (word) instruction. */
function element(kind: 'h' | 'wh' | 'wl', parity: string, sign: string, type: string, sfx: string, a: bigint, b: bigint, accw: bigint): [bigint, boolean] {
  const signed = sign === 's';
  let p: bigint;
  let mov = false;
  if (kind === 'h') {
    const x = halfOf(a, parity, signed);
    const y = halfOf(b, parity, signed);
    if (type === 'sf' && x === -32768n && y === -32768n) {
      p = 0x7fffffffn;
      mov = true;
    } else p = type === 'mf' || type === 'sf' ? s32(2n * x * y) : signed ? x * y : u32(x * y);
  } else {
    const x = signed ? s32(a) : a;
    const y = signed ? s32(b) : b;
    if (kind === 'wh') {
      if (type === 'sf' && x === -(1n << 31n) && y === -(1n << 31n)) {
        p = 0x7fffffffn;
        mov = true;
      } else p = ((type === 'mf' || type === 'sf' ? 2n : 1n) * x * y) >> 32n;
    } else p = signed ? s32(x * y) : u32(x * y);
  }
  if (sfx === '' || sfx === 'a') return [u32(p), mov];
  const neg = sfx === 'anw';
  if (type === 'mi' || type === 'mf') return [u32(neg ? accw - p : accw + p), false];
  const av = signed ? s32(accw) : accw;
  const pv = signed ? s32(p) : u32(p);
  const [v, sat] = satRange(neg ? av - pv : av + pv, signed);
  return [u32(v), mov || sat];
}

function reference(name: string, s: State): Result | undefined {
  const wd = (hi: bigint, lo: bigint): bigint => (u32(hi) << 32n) | u32(lo);
  let m = /^evmh([eo])(g?)([us])(mi|mf|si|sf)(a|aaw|anw|aa|an)?$/.exec(name);
  if (m !== null) {
    const [, parity, g, sign, type, sfx = ''] = m as unknown as string[];
    if (g === 'g') {
      const x = halfOf(s.a[1], parity!, sign === 's');
      const y = halfOf(s.b[1], parity!, sign === 's');
      let p = type === 'mf' ? s32(2n * x * y) : x * y;
      if (sign === 'u') p = u32(p);
      const d = (sfx === 'an' ? s.acc - p : s.acc + p) & M64;
      return { d, acc: d, f: s.f };
    }
    const accHi = s.acc >> 32n;
    const accLo = s.acc & M32;
    const [hi, oh] = element('h', parity!, sign!, type!, sfx, s.a[0], s.b[0], accHi);
    const [lo, ol] = element('h', parity!, sign!, type!, sfx, s.a[1], s.b[1], accLo);
    const d = wd(hi, lo);
    const sat = type === 'si' || type === 'sf';
    return { d, acc: sfx === '' ? s.acc : d, f: sat ? flags(s.f, oh, ol) : s.f };
  }
  m = /^evmw([hl]?)([us])(mi|mf|si|sf)(a|aaw|anw|aa|an)?$/.exec(name);
  if (m === null) return undefined;
  const [, hl, sign, type, sfx = ''] = m as unknown as string[];
  if (hl !== '') {
    const kind = hl === 'h' ? 'wh' : 'wl';
    const [hi, oh] = element(kind, '', sign!, type!, sfx, s.a[0], s.b[0], s.acc >> 32n);
    const [lo, ol] = element(kind, '', sign!, type!, sfx, s.a[1], s.b[1], s.acc & M32);
    const d = wd(hi, lo);
    const sat = type === 'si' || type === 'sf';
    return { d, acc: sfx === '' ? s.acc : d, f: sat ? flags(s.f, oh, ol) : s.f };
  }
  const signed = sign === 's';
  const x = signed ? s32(s.a[1]) : s.a[1];
  const y = signed ? s32(s.b[1]) : s.b[1];
  let p: bigint;
  let mov = false;
  if (type === 'sf' && x === -(1n << 31n) && y === -(1n << 31n)) {
    p = (1n << 63n) - 1n;
    mov = true;
  } else p = (type === 'mf' || type === 'sf' ? 2n : 1n) * x * y;
  if (sfx === '' || sfx === 'a') {
    const d = p & M64;
    return { d, acc: sfx === 'a' ? d : s.acc, f: type === 'sf' ? flags(s.f, false, mov) : s.f };
  }
  const acc = BigInt.asIntN(64, s.acc);
  const sum = sfx === 'an' ? acc - BigInt.asIntN(64, p) : acc + BigInt.asIntN(64, p);
  const d = sum & M64;
  let f = s.f;
  if (type === 'sf') {
    // OV reports the saturated product only; an overflowing sum is folded into SOV.
    f = flags(f, false, mov);
    if (BigInt.asIntN(64, sum) !== sum) f = (f | SOV) >>> 0;
  }
  return { d, acc: d, f };
}

const EDGE = [0n, 1n, 0x7fffn, 0x8000n, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x80008000n, 0x7fff7fffn, 0xffff8000n, 0x00018000n];
let seed = 0x2545f491;
function rnd32(): bigint {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return BigInt(seed >>> 0);
}
const pick = (): bigint => ((seed & 3) === 0 ? EDGE[Number(rnd32() % BigInt(EDGE.length))]! : rnd32());

test('every multiply form matches the PEM reference', () => {
  let forms = 0;
  for (const name of OPCODES.keys()) {
    if (reference(name, { a: [0n, 0n], b: [0n, 0n], acc: 0n, f: 0 }) === undefined) continue;
    forms++;
    for (let k = 0; k < 400; k++) {
      const s: State = {
        a: [pick(), pick()],
        b: [pick(), pick()],
        acc: (pick() << 32n) | pick(),
        f: Number(rnd32()) & (SOVH | OVH | SOV | OV | 0x00200000),
      };
      if (k < EDGE.length * EDGE.length) {
        // every pair of edge values in both elements
        s.a = [EDGE[k % EDGE.length]!, EDGE[Math.floor(k / EDGE.length)]!];
        s.b = [EDGE[Math.floor(k / EDGE.length)]!, EDGE[k % EDGE.length]!];
      }
      const want = reference(name, s)!;
      const h = new Harness();
      h.setBig(1, (s.a[0] << 32n) | s.a[1]);
      h.setBig(2, (s.b[0] << 32n) | s.b[1]);
      h.acc = s.acc;
      h.spefscr = s.f;
      assert.equal(h.run(name, 3, 1, 2), null, name);
      const ctx = `${name} a=${s.a.map((v) => v.toString(16))} b=${s.b.map((v) => v.toString(16))} acc=${s.acc.toString(16)}`;
      assert.equal(h.getBig(3).toString(16), want.d.toString(16), `rD: ${ctx}`);
      assert.equal(h.acc.toString(16), want.acc.toString(16), `ACC: ${ctx}`);
      assert.equal((h.spefscr >>> 0).toString(16), (want.f >>> 0).toString(16), `SPEFSCR: ${ctx}`);
    }
  }
  assert.equal(forms, 86);
});

test('worked examples from the PEM definitions', () => {
  const h = new Harness();
  // evmhessf: 0x8000 × 0x8000 saturates in the high element only
  h.set64(1, 0x80000000, 0x40000000);
  h.set64(2, 0x80000000, 0x40000000);
  h.run('evmhessf', 3, 1, 2);
  assert.deepEqual(h.get64(3), [0x7fffffff, 0x20000000]);
  assert.equal(h.spefscr, (SOVH | OVH) >>> 0);
  // a later non-saturating one clears OVH but keeps SOVH
  h.set64(1, 0x10000000, 0x10000000);
  h.run('evmhessf', 3, 1, 1);
  assert.equal(h.spefscr, (SOVH) >>> 0);
  // evmwhumi: high words of 32 × 32 unsigned products
  h.set64(1, 0xffffffff, 0x10000);
  h.set64(2, 0xffffffff, 0x10000);
  h.run('evmwhumi', 3, 1, 2);
  assert.deepEqual(h.get64(3), [0xfffffffe, 1]);
  // evmwsmiaa: ACC += 64-bit signed product
  h.acc = 10n;
  h.set64(1, 0, 0xfffffffe);
  h.set64(2, 0, 3);
  h.run('evmwsmiaa', 3, 1, 2);
  assert.equal(h.acc, 4n);
  assert.equal(h.getBig(3), 4n);
});

test('accumulator word adds and subtracts, with and without saturation', () => {
  const h = new Harness();
  h.acc = 0xfffffff0_7ffffff0n;
  h.set64(1, 0x20, 0x20);
  h.run('evaddusiaaw', 3, 1, 0);
  assert.deepEqual(h.get64(3), [0xffffffff, 0x80000010]);
  assert.equal(h.acc, 0xffffffff_80000010n);
  assert.equal(h.spefscr, (SOVH | OVH) >>> 0);
  h.acc = 0xfffffff0_7ffffff0n;
  h.run('evaddssiaaw', 3, 1, 0);
  assert.deepEqual(h.get64(3), [0x10, 0x7fffffff]);
  assert.equal(h.spefscr, (SOVH | SOV | OV) >>> 0);
  h.acc = 0x10_80000010n;
  h.run('evsubfusiaaw', 3, 1, 0);
  assert.deepEqual(h.get64(3), [0, 0x7ffffff0]);
  h.acc = 0x10_80000010n;
  h.run('evsubfssiaaw', 3, 1, 0);
  assert.deepEqual(h.get64(3), [0xfffffff0, 0x80000000]);
  h.acc = 0x10_80000010n;
  h.run('evsubfumiaaw', 3, 1, 0);
  assert.deepEqual(h.get64(3), [0xfffffff0, 0x7ffffff0]);
  h.acc = 0xffffffff_00000001n;
  h.run('evaddumiaaw', 3, 1, 0);
  assert.deepEqual(h.get64(3), [0x1f, 0x21]);
  h.run('evaddsmiaaw', 3, 1, 0);
  assert.deepEqual(h.get64(3), [0x3f, 0x41]);
  h.run('evsubfsmiaaw', 3, 1, 0);
  assert.deepEqual(h.get64(3), [0x1f, 0x21]);
  h.set64(4, 0x12345678, 0x9abcdef0);
  h.run('evmra', 5, 4, 0);
  assert.equal(h.acc, 0x12345678_9abcdef0n);
  assert.deepEqual(h.get64(5), [0x12345678, 0x9abcdef0]);
});

test('evdivws/evdivwu: quotients, and saturated results with OV for /0 and overflow', () => {
  const h = new Harness();
  h.set64(1, 0xfffffff9, 7);
  h.set64(2, 2, 0xfffffffe);
  h.run('evdivws', 3, 1, 2);
  assert.deepEqual(h.get64(3), [0xfffffffd, 0xfffffffd]);
  assert.equal(h.spefscr, 0);
  h.set64(1, 0x80000000, 5);
  h.set64(2, 0xffffffff, 0);
  h.run('evdivws', 3, 1, 2);
  assert.deepEqual(h.get64(3), [0x7fffffff, 0x7fffffff]);
  assert.equal(h.spefscr, (SOVH | OVH | SOV | OV) >>> 0);
  h.spefscr = 0;
  h.set64(1, 0xfffffffb, 0);
  h.set64(2, 0, 0);
  h.run('evdivws', 3, 1, 2);
  assert.deepEqual(h.get64(3), [0x80000000, 0x7fffffff]);
  h.spefscr = 0;
  h.set64(1, 0xffffffff, 9);
  h.set64(2, 0, 4);
  h.run('evdivwu', 3, 1, 2);
  assert.deepEqual(h.get64(3), [0xffffffff, 2]);
  assert.equal(h.spefscr, (SOVH | OVH) >>> 0);
  h.set64(2, 0x10, 4);
  h.run('evdivwu', 3, 1, 2);
  assert.deepEqual(h.get64(3), [0x0fffffff, 2]);
  assert.equal(h.spefscr, (SOVH) >>> 0);
});
