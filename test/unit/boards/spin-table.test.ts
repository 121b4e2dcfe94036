/** The ePAPR spin table at register level, against QEMU's "e500 spin pv device" behaviour. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SPIN_SLOT_SIZE, SpinTable, type SpinRelease } from '../../../src/boards/ppce500/spin-table.js';
import { loadSections, saveSections } from '../../../src/devices/state.js';

function table(cpus: number): { t: SpinTable; released: SpinRelease[] } {
  const released: SpinRelease[] = [];
  const t = new SpinTable(cpus, (r) => {
    released.push(r);
    return 0x100 + r.cpu;
  });
  return { t, released };
}
const slot = (n: number, off: number): number => n * SPIN_SLOT_SIZE + off;

test('reset contents: every slot spins (addr 1), r3 and pir hold the slot number', () => {
  const { t } = table(2);
  for (let n = 0; n < 32; n++) {
    assert.equal(t.read(slot(n, 0), 4), 0);
    assert.equal(t.read(slot(n, 4), 4), 1);
    assert.equal(t.read(slot(n, 8), 4), 0);
    assert.equal(t.read(slot(n, 12), 4), n);
    assert.equal(t.read(slot(n, 0x14), 4), n);
    assert.equal(t.read(slot(n, 0x10), 4), 0);
  }
  assert.equal(t.read(slot(1, 7), 1), 1, 'byte reads are big-endian');
  assert.equal(t.read(slot(1, 6), 2), 1);
});

test('writing the high word of addr does not release; the low word with an even address does', () => {
  const { t, released } = table(4);
  t.write(slot(2, 12), 4, 0xc0ffee);
  t.write(slot(2, 0), 4, 0);
  assert.equal(released.length, 0, 'addr is still odd');
  t.write(slot(2, 4), 4, 0x0010_0000);
  assert.deepEqual(released, [{ cpu: 2, addr: 0x0010_0000n, r3: 0xc0ffeen }]);
  assert.equal(t.read(slot(2, 0x14), 4), 0x102, 'pir takes the released CPU PIR');
});

test('a 36-bit start address and sub-word writes reach the release', () => {
  const { t, released } = table(2);
  t.write(slot(1, 3), 1, 0x0f);
  t.write(slot(1, 4), 2, 0x1234);
  assert.equal(released.length, 0, 'low halfword still ends in the odd reset value');
  t.write(slot(1, 6), 2, 0x5678);
  assert.equal(released.length, 1);
  assert.equal(released[0]!.addr, 0xf_1234_5678n);
});

test('the boot CPU slot and slots of absent CPUs ignore writes', () => {
  const { t, released } = table(2);
  t.write(slot(0, 4), 4, 0x100);
  t.write(slot(2, 4), 4, 0x100);
  t.write(slot(31, 0x14), 4, 7);
  assert.equal(t.read(slot(0, 4), 4), 1);
  assert.equal(t.read(slot(2, 4), 4), 1);
  assert.equal(t.read(slot(31, 0x14), 4), 31);
  assert.equal(released.length, 0);
});

test('out-of-range accesses read 0 and are ignored; reset restores the table', () => {
  const { t } = table(2);
  assert.equal(t.read(0x400, 4), 0);
  assert.equal(t.read(0x3fe, 4), 0);
  t.write(0x3fe, 4, 0xffffffff);
  t.write(slot(1, 8), 4, 0xdead);
  t.reset();
  assert.equal(t.read(slot(1, 8), 4), 0);
  assert.equal(t.read(slot(1, 4), 4), 1);
});

test('state: the slots carry over without releasing anything again; a half-written release completes on the copy', () => {
  const { t } = table(4);
  t.write(slot(1, 8), 4, 0);
  t.write(slot(1, 12), 4, 0x55);
  t.write(slot(1, 0), 4, 0);
  t.write(slot(1, 4), 4, 0x2000); // CPU 1 released
  t.write(slot(2, 0), 4, 0); // CPU 2: high word written, low word still odd
  const copy = table(4);
  loadSections(saveSections([t]), [copy.t]);
  assert.equal(copy.released.length, 0, 'loading releases nobody');
  for (let off = 0; off < 4 * SPIN_SLOT_SIZE; off += 4) assert.equal(copy.t.read(off, 4), t.read(off, 4), `offset 0x${off.toString(16)}`);
  copy.t.write(slot(2, 4), 4, 0x3000);
  assert.deepEqual(copy.released.map((r) => [r.cpu, r.addr]), [[2, 0x3000n]]);
});
