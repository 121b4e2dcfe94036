/**
 * Vector integer instructions where QEMU 7.2 is no oracle (evrndw, register shifts, brinc's
 * high word) plus compare/select CR handling; expectations from the SPE PEM.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from './cpu-harness.js';

function run2(name: string, a: [number, number], b: [number, number]): [number, number] {
  const h = new Harness();
  h.set64(1, ...a);
  h.set64(2, ...b);
  assert.equal(h.run(name, 3, 1, 2), null);
  return h.get64(3);
}

/** One-operand forms: rB is reserved (0). */
function run1(name: string, a: [number, number]): [number, number] {
  const h = new Harness();
  h.set64(1, ...a);
  assert.equal(h.run(name, 3, 1, 0), null);
  return h.get64(3);
}

test('evrndw rounds each word to its upper halfword', () => {
  const h = new Harness();
  h.set64(1, 0x12348765, 0x12347fff);
  h.run('evrndw', 3, 1, 0);
  assert.deepEqual(h.get64(3), [0x12350000, 0x12340000]);
  h.set64(1, 0xffff8000, 0x7fff8000);
  h.run('evrndw', 3, 1, 0);
  assert.deepEqual(h.get64(3), [0, 0x80000000]);
});

test('register shifts use 6 bits: 32..63 shift everything out, evsrws fills with the sign', () => {
  assert.deepEqual(run2('evslw', [0x80000001, 0x80000001], [31, 32]), [0x80000000, 0]);
  assert.deepEqual(run2('evslw', [1, 1], [0x40, 0x3f]), [1, 0]);
  assert.deepEqual(run2('evsrwu', [0x80000000, 0x80000000], [31, 63]), [1, 0]);
  assert.deepEqual(run2('evsrws', [0x80000000, 0x80000000], [31, 40]), [0xffffffff, 0xffffffff]);
  assert.deepEqual(run2('evsrws', [0x7fffffff, 0xfffffff0], [32, 2]), [0, 0xfffffffc]);
  assert.deepEqual(run2('evrlw', [0x80000001, 0x12345678], [33, 36]), [0x00000003, 0x23456781]);
});

test('immediate shifts and rotates take the rB field', () => {
  const h = new Harness();
  h.set64(1, 0x80000001, 0xf0000000);
  h.run('evsrwis', 3, 1, 4);
  assert.deepEqual(h.get64(3), [0xf8000000, 0xff000000]);
  h.run('evrlwi', 3, 1, 1);
  assert.deepEqual(h.get64(3), [0x00000003, 0xe0000001]);
  h.set64(2, 10, 0xffffffff);
  h.run('evaddiw', 3, 31, 2); // UIMM in the rA field
  assert.deepEqual(h.get64(3), [41, 30]);
  h.run('evsubifw', 3, 11, 2);
  assert.deepEqual(h.get64(3), [0xffffffff, 0xfffffff4]);
});

test('abs, neg, counts and extends', () => {
  assert.deepEqual(run1('evabs', [0x80000000, 0xfffffffe]), [0x80000000, 2]);
  assert.deepEqual(run1('evneg', [0x80000000, 5]), [0x80000000, 0xfffffffb]);
  assert.deepEqual(run1('evcntlsw', [0, 0xffffffff]), [32, 32]);
  assert.deepEqual(run1('evcntlsw', [0x00010000, 0xfffe0000]), [15, 15]);
  assert.deepEqual(run1('evcntlzw', [0, 1]), [32, 31]);
  assert.deepEqual(run1('evextsb', [0x1280, 0x127f]), [0xffffff80, 0x7f]);
  assert.deepEqual(run1('evextsh', [0x18000, 0x7fff]), [0xffff8000, 0x7fff]);
});

test('brinc: bit-reversed increment under a 16-bit mask, rD high word from rA', () => {
  const h = new Harness();
  h.set64(1, 0xabcdef01, 0x12340004);
  h.set64(2, 0x55555555, 0x7);
  h.set64(3, 0x99999999, 0x99999999);
  assert.equal(h.run('brinc', 3, 1, 2), null);
  // 0b100 → reverse in 3 bits 0b001, +1 = 0b010, reverse = 0b010
  assert.deepEqual(h.get64(3), [0xabcdef01, 0x12340002]);
  h.set64(1, 0, 0xffff);
  h.set64(2, 0, 0xffff);
  h.run('brinc', 3, 1, 2);
  assert.deepEqual(h.get64(3), [0, 0]);
});

test('vector compares write ch, cl, ch|cl, ch&cl into crfD only', () => {
  const h = new Harness();
  h.cpu.cr = 0xffffffff;
  h.set64(1, 5, 0xffffffff);
  h.set64(2, 4, 1);
  h.run('evcmpgts', 2 << 2, 1, 2); // crfD=2: hi 5>4, lo -1>1 false
  assert.equal(h.cpu.cr >>> 0, 0xffafffff);
  h.run('evcmpgtu', 7 << 2, 1, 2);
  assert.equal(h.cpu.cr & 0xf, 0xf);
  h.run('evcmpeq', 0, 1, 1);
  assert.equal(h.cpu.cr >>> 28, 0xf);
  h.run('evcmplts', 0, 2, 1);
  assert.equal(h.cpu.cr >>> 28, 0b1010); // hi 4 < 5, lo 1 < -1 false
});

test('evsel picks rA where the CR field says so, per element', () => {
  const h = new Harness();
  h.set64(1, 0xaaaaaaaa, 0xbbbbbbbb);
  h.set64(2, 0xcccccccc, 0xdddddddd);
  h.cpu.cr = 0x00000800; // field 5 = 1000: hi from rA, lo from rB
  const word = ((4 << 26) | (3 << 21) | (1 << 16) | (2 << 11) | 0x278 | 5) >>> 0;
  assert.equal(h.runWord(word), null);
  assert.deepEqual(h.get64(3), [0xaaaaaaaa, 0xdddddddd]);
});

test('merges and splats', () => {
  assert.deepEqual(run2('evmergehi', [1, 2], [3, 4]), [1, 3]);
  assert.deepEqual(run2('evmergelo', [1, 2], [3, 4]), [2, 4]);
  assert.deepEqual(run2('evmergehilo', [1, 2], [3, 4]), [1, 4]);
  assert.deepEqual(run2('evmergelohi', [1, 2], [3, 4]), [2, 3]);
  const h = new Harness();
  h.run('evsplati', 3, 0x10, 0);
  assert.deepEqual(h.get64(3), [0xfffffff0, 0xfffffff0]);
  h.run('evsplatfi', 3, 0x0f, 0);
  assert.deepEqual(h.get64(3), [0x78000000, 0x78000000]);
});
