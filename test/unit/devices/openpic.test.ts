import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OpenPic } from '../../../src/devices/openpic.js';

function mpic(cpus = 1) {
  const int: boolean[] = [];
  const cint: boolean[] = [];
  const proxy: boolean[] = [];
  const p = new OpenPic(cpus, {
    setInt: (_c, l) => int.push(l),
    setCint: (_c, l) => cint.push(l),
    setProxyMode: (on) => proxy.push(on),
  });
  return { p, int, cint, proxy };
}

const IVPR = (n: number) => 0x10000 + 0x20 * n;
const IDR = (n: number) => 0x10010 + 0x20 * n;
const ILR = (n: number) => 0x10018 + 0x20 * n;

test('reset values: BRR1, FRR, sources masked, CTPR 15, spurious vector on IACK', () => {
  const { p } = mpic(2);
  assert.equal(p.read(0, 4), 0x00400402);
  assert.equal(p.read(0x1000, 4), 0x00c30102);
  assert.equal(p.read(IVPR(42), 4), 0x80c00000, 'internal source: masked, level, active high');
  assert.equal(p.read(IVPR(3), 4), 0x80000000);
  assert.equal(p.read(0x20080, 4), 15);
  assert.equal(p.read(0x200a0, 4), 0xffff);
});

test('a level source is delivered above CTPR, acknowledged, and retired by EOI', () => {
  const { p, int } = mpic();
  p.write(IVPR(42), 4, (5 << 16) | 42);
  p.write(0x20080, 4, 0);
  p.setLine(42, true);
  assert.deepEqual(int, [true]);
  assert.ok((p.read(IVPR(42), 4) & 0x40000000) !== 0, 'activity bit');
  assert.equal(p.read(0x200a0, 4), 42);
  assert.deepEqual(int, [true, false], 'in service: output drops');
  p.setLine(42, false);
  p.write(0x200b0, 4, 0);
  assert.equal(p.read(0x200a0, 4), 0xffff);
});

test('priority, masking and CTPR decide what is delivered', () => {
  const { p } = mpic();
  p.write(0x20080, 4, 4);
  p.write(IVPR(16), 4, (3 << 16) | 0x16);
  p.write(IVPR(17), 4, (9 << 16) | 0x17);
  p.setLine(16, true);
  p.setLine(17, true);
  assert.equal(p.read(0x200a0, 4), 0x17, 'highest priority first');
  assert.equal(p.read(0x200a0, 4), 0xffff, 'priority 3 is not above CTPR 4');
  p.setLine(17, false);
  p.write(0x200b0, 4, 0);
  p.write(0x20080, 4, 0);
  assert.equal(p.read(0x200a0, 4), 0x16, 'lowering CTPR releases it');
});

test('IPIs go to the CPUs in the dispatch mask; critical routing drives CINT', () => {
  const { p, cint } = mpic(2);
  p.write(0x10a0, 4, (5 << 16) | 0x50);
  p.write(0x20080, 4, 0);
  p.write(0x21080, 4, 0);
  p.write(0x20040, 4, 2); // IPI0 to CPU 1 only
  assert.equal(p.read(0x200a0, 4), 0xffff);
  assert.equal(p.read(0x210a0, 4), 0x50);
  p.write(IVPR(20), 4, 20);
  p.write(ILR(20), 4, 1);
  p.write(IDR(20), 4, 1);
  p.setLine(20, true);
  assert.deepEqual(cint, [true]);
});

test('GCR proxy mode is reported; GCR reset clears it', () => {
  const { p, proxy } = mpic();
  p.write(0x1020, 4, 0x60000000);
  assert.equal(p.proxyMode, true);
  p.write(0x1020, 4, 0x80000000);
  assert.deepEqual(proxy, [true, false]);
  assert.equal(p.read(0x1020, 4), 0);
});

test('MSIIR sets a group bit and raises its source; reading MSIR clears it', () => {
  const { p } = mpic();
  p.write(IVPR(225), 4, (7 << 16) | 225);
  p.write(0x20080, 4, 0);
  p.write(0x1740, 4, (1 << 29) | (5 << 24));
  assert.equal(p.read(0x1720, 4), 0x2);
  assert.equal(p.read(0x1610, 4), 1 << 5);
  assert.equal(p.read(0x1610, 4), 0);
});
