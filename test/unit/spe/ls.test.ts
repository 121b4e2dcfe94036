/** SPE loads and stores: element layout, EA forms, alignment interrupts, restartability. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ESR, Ivor } from '../../../src/accel/e500/interrupts.js';
import { Harness } from './cpu-harness.js';

const BASE = 0x1000;

function setup(): Harness {
  const h = new Harness();
  for (let k = 0; k < 64; k++) h.ram[BASE + k] = 0x80 + k;
  h.set64(1, 0xdead, BASE);
  return h;
}

test('doubleword loads: evldd/evldw/evldh (QEMU 7.2 mangles evldh)', () => {
  for (const name of ['evldd', 'evldw', 'evldh']) {
    const h = setup();
    assert.equal(h.run(name, 3, 1, 1), null, name); // UIMM 1 → offset 8
    assert.deepEqual(h.get64(3), [0x88898a8b, 0x8c8d8e8f], name);
  }
  const h = setup();
  h.set64(2, 0, 16);
  h.run('evlddx', 3, 1, 2);
  assert.deepEqual(h.get64(3), [0x90919293, 0x94959697]);
  // rA = 0 means a zero base
  h.set64(2, 0, BASE);
  h.run('evlddx', 4, 0, 2);
  assert.deepEqual(h.get64(4), [0x80818283, 0x84858687]);
});

test('halfword and word splats and element loads', () => {
  const cases: [string, number, [number, number]][] = [
    ['evlhhesplat', 1, [0x82830000, 0x82830000]], // offset 2
    ['evlhhousplat', 1, [0x8283, 0x8283]],
    ['evlhhossplat', 1, [0xffff8283, 0xffff8283]],
    ['evlwhe', 1, [0x84850000, 0x86870000]], // offset 4
    ['evlwhou', 1, [0x8485, 0x8687]],
    ['evlwhos', 1, [0xffff8485, 0xffff8687]],
    ['evlwwsplat', 1, [0x84858687, 0x84858687]],
    ['evlwhsplat', 1, [0x84858485, 0x86878687]], // QEMU 7.2 gets this one wrong
  ];
  for (const [name, uimm, want] of cases) {
    const h = setup();
    assert.equal(h.run(name, 3, 1, uimm), null, name);
    assert.deepEqual(h.get64(3), want, name);
  }
});

test('stores write the selected elements', () => {
  const cases: [string, number, number, number[]][] = [
    ['evstdd', 1, 8, [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]],
    ['evstdw', 1, 8, [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]],
    ['evstdh', 1, 8, [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]],
    ['evstwhe', 1, 4, [0x11, 0x22, 0x55, 0x66]],
    ['evstwho', 1, 4, [0x33, 0x44, 0x77, 0x88]],
    ['evstwwe', 1, 4, [0x11, 0x22, 0x33, 0x44]],
    ['evstwwo', 1, 4, [0x55, 0x66, 0x77, 0x88]],
  ];
  for (const [name, uimm, off, bytes] of cases) {
    const h = setup();
    h.set64(5, 0x11223344, 0x55667788);
    assert.equal(h.run(name, 5, 1, uimm), null, name);
    assert.deepEqual([...h.ram.subarray(BASE + off, BASE + off + bytes.length)], bytes, name);
    assert.equal(h.ram[BASE + off + bytes.length], 0x80 + off + bytes.length, `${name} wrote too much`);
  }
});

test('misaligned EAs take an alignment interrupt with ESR[SPV] (and ESR[ST] for stores)', () => {
  const cases: [string, number][] = [
    ['evlddx', 4], ['evldwx', 2], ['evldhx', 6], ['evlwhex', 2], ['evlwwsplatx', 1], ['evlhhesplatx', 1],
    ['evstddx', 4], ['evstwwox', 2], ['evstdhx', 1],
  ];
  for (const [name, off] of cases) {
    const h = setup();
    h.set64(2, 0, off);
    h.set64(3, 0x12345678, 0x9abcdef0);
    const f = h.run(name, 3, 1, 2);
    const store = name.startsWith('evst');
    assert.deepEqual(f, { ivor: Ivor.Alignment, esr: ESR.SPV | (store ? ESR.ST : 0), dear: BASE + off, after: false }, name);
    assert.deepEqual(h.get64(3), [0x12345678, 0x9abcdef0], `${name} changed rD`);
    assert.equal(h.ram[BASE + off], 0x80 + off, `${name} stored`);
  }
  // Halfword accesses need only 2-byte alignment, word ones 4.
  const h = setup();
  h.set64(2, 0, 2);
  assert.equal(h.run('evlhhousplatx', 3, 1, 2), null);
  h.set64(2, 0, 4);
  assert.equal(h.run('evlwhoux', 3, 1, 2), null);
});

test('a load that faults on its TLB lookup leaves rD alone', () => {
  const h = setup();
  h.set64(1, 0, 0x20000); // outside the one TLB entry
  h.set64(3, 1, 2);
  const f = h.run('evldd', 3, 1, 0);
  assert.equal(f?.ivor, Ivor.DataTlb);
  assert.deepEqual(h.get64(3), [1, 2]);
});
