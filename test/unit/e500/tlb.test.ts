import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAS1_IPROT, MAS1_TS, MAS1_V, TlbArray, tsizeBytes } from '../../../src/accel/e500/tlb.js';

const geometry = { tlb0Entries: 512, tlb0Ways: 4, tlb1Entries: 16 };
const tid = (n: number): number => n << 16;
const tsize = (n: number): number => n << 8;

test('TLB0 entries are found in their set; TLB1 entries anywhere; first match wins in tlbsx order', () => {
  const t = new TlbArray(geometry);
  const e0 = t.tlb0Index(0x61234000, 2);
  t.write(e0, MAS1_V | tsize(1), 0x61234000, 0x03000000 | 0x3f, 0, 0);
  const e1 = t.tlb1Index(3);
  t.write(e1, MAS1_V | tsize(5), 0x61200000, 0x04000000 | 0x3f, 0, 0); // 1 MiB covering the same EA
  assert.equal(t.find(0x61234abc, 0, 0, -1, -1), e0, 'TLB0 is searched first');
  assert.equal(t.find(0x61235000, 0, 0, -1, -1), e1);
  assert.equal(t.find(0x61300000, 0, 0, -1, -1), -1);
});

test('TID 0 matches every PID; other TIDs need a matching PID; TS must equal the address space', () => {
  const t = new TlbArray(geometry);
  const e = t.tlb1Index(0);
  t.write(e, MAS1_V | MAS1_TS | tid(7) | tsize(1), 0x70000000, 0x3f, 0, 0);
  assert.equal(t.find(0x70000000, 1, 7, -1, -1), e);
  assert.equal(t.find(0x70000000, 1, 0, 7, -1), e, 'PID1 matches too');
  assert.equal(t.find(0x70000000, 1, 6, -1, -1), -1);
  assert.equal(t.find(0x70000000, 0, 7, -1, -1), -1, 'wrong AS');
});

test('36-bit physical addresses come from MAS7; page sizes are 4^n KiB', () => {
  const t = new TlbArray(geometry);
  const e = t.tlb1Index(1);
  t.write(e, MAS1_V | tsize(5), 0xe0000000, 0xe0000000 | 0x15, 0xf, 0);
  assert.equal(t.pagePhys(e), 0xf_e000_0000);
  assert.equal(t.pageBytes(e), 1 << 20);
  assert.equal(tsizeBytes(11), 4 * 1024 ** 3);
});

test('invalidate-all spares IPROT entries', () => {
  const t = new TlbArray(geometry);
  t.write(t.tlb1Index(0), MAS1_V | MAS1_IPROT | tsize(1), 0, 0x3f, 0, 0);
  t.write(t.tlb1Index(1), MAS1_V | tsize(1), 0x1000, 0x3f, 0, 0);
  t.invalidateAll(1);
  assert.ok((t.mas1(t.tlb1Index(0)) & MAS1_V) !== 0);
  assert.equal(t.mas1(t.tlb1Index(1)) & MAS1_V, 0);
});

test('entries live in the shared kvm_book3e_206_tlb_entry layout (24 bytes, mas8 mas1 mas2 mas7_3)', () => {
  const buf = new ArrayBuffer((512 + 16) * 24);
  const t = new TlbArray(geometry, buf);
  t.write(t.tlb1Index(2), 0x80000500, 0xe000000a, 0xe0000005, 0xf, 0x11);
  const v = new DataView(buf);
  const o = (512 + 2) * 24;
  assert.equal(v.getUint32(o, true), 0x11, 'mas8');
  assert.equal(v.getUint32(o + 4, true), 0x80000500, 'mas1');
  assert.equal(v.getBigUint64(o + 8, true), 0xe000000an, 'mas2');
  assert.equal(v.getBigUint64(o + 16, true), 0xf_e0000005n, 'mas7_3');
});
