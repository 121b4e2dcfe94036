/**
 * The e500 MMU alone (src/accel/e500/mmu.ts): translation through architected TLB entries,
 * software-TLB fills and flushes, PIDs, miss MAS preloading and permission faults — by
 * calling the MMU and the Cpu's load/store helpers directly, without decoding or running an
 * instruction.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GuestPhysAddr, MemoryBacking } from '../../../src/api/memory.js';
import { Cpu, SPR, STLB_MASK } from '../../../src/accel/e500/cpu.js';
import { Ivor } from '../../../src/accel/e500/interrupts.js';
import { CPU_MODELS, MSR } from '../../../src/accel/e500/models.js';
import { PhysMap } from '../../../src/accel/e500/phys-map.js';
import { STOP_EXIT, STOP_FAULT } from '../../../src/accel/e500/stop.js';
import { HostClock } from '../../../src/accel/e500/timers.js';
import { MAS1_V, MAS3_SR, MAS3_SW, MAS3_UR } from '../../../src/accel/e500/tlb.js';

const RAM = 0x20000;

function cpu(): { c: Cpu; ram: Uint8Array } {
  const buffer = new ArrayBuffer(RAM);
  const bytes = new Uint8Array(buffer);
  const backing: MemoryBacking = { id: 901, name: 'mmu-ram', size: RAM, bytes, view: new DataView(buffer), chunks: [bytes], chunkBytes: RAM };
  const phys = new PhysMap([{ guestAddr: 0 as GuestPhysAddr, size: RAM, backing, offset: 0 }], 0);
  const c = new Cpu({ model: CPU_MODELS.get('e500mc')!, vcpuId: 0, phys, clock: new HostClock(), timebaseHz: 100_000_000, features: new Set() });
  return { c, ram: bytes };
}

/** A 4 KiB TLB1 entry `n`: EA page → PA page with TID and permissions. */
function map4k(c: Cpu, n: number, ea: number, pa: number, perms: number, tid = 0, le = false): void {
  const t = c.mmu.tlb;
  t.write(t.tlb1Index(n), (MAS1_V | (tid << 16) | (1 << 8)) >>> 0, (ea | (le ? 1 : 0)) >>> 0, (pa | perms) >>> 0, 0, 0);
  c.mmu.flushSoftTlb();
}

test('a data translation returns the physical address and fills the software TLB of the current mode', () => {
  const { c, ram } = cpu();
  map4k(c, 0, 0xc0001000, 0x3000, MAS3_SR | MAS3_SW);
  assert.equal(c.mmu.translateData(0xc0001234 | 0, false), 0x3234);
  const i = ((0xc0001000 >>> 12) & STLB_MASK) | c.dmode;
  assert.equal(c.rTag[i], 0xc0001, 'read entry filled');
  assert.equal(c.wTag[i], 0xc0001, 'write entry filled (no code, no dirty logging)');
  // The fast path now goes straight to RAM.
  ram[0x3234] = 0xab;
  assert.equal(c.ld8(0xc0001234 | 0), 0xab);
  c.st32(0xc0001ff0 | 0, 0x11223344);
  assert.deepEqual([...ram.subarray(0x3ff0, 0x3ff4)], [0x11, 0x22, 0x33, 0x44]);
  assert.equal(c.stop, 0);
});

test('a miss records a data TLB error and preloads MAS from MAS4 and the PIDs', () => {
  const { c } = cpu();
  c.mmu.setPid(0, 5);
  c.spr[SPR.MAS4] = 0x00000004; // TLBSELD 0, TIDSELD PID0, default WIMGE M
  assert.equal(c.mmu.translateData(0x40002008, true), -1);
  assert.equal(c.stop, STOP_FAULT);
  assert.equal(c.faultIvor, Ivor.DataTlb);
  assert.equal(c.faultDear, 0x40002008);
  assert.equal(c.spr[SPR.MAS1]! & 0x3fff0000, 5 << 16, 'TID from PID0');
  assert.equal(c.spr[SPR.MAS2], 0x40002004);
  assert.equal(c.spr[SPR.MAS6]! >>> 16, 5);
  assert.equal(c.counters.tlbMisses, 1);
});

test('permissions: a user store to a supervisor page is a data storage fault; user read-only works', () => {
  const { c } = cpu();
  map4k(c, 0, 0x10000000, 0x4000, MAS3_SR | MAS3_SW | MAS3_UR);
  c.setMsr(MSR.PR);
  assert.equal(c.mmu.translateData(0x10000010, false), 0x4010);
  assert.equal(c.stop, 0);
  assert.equal(c.mmu.translateData(0x10000010, true), -1);
  assert.equal(c.faultIvor, Ivor.DataStorage);
});

test('a PID change drops translations of TID entries and keeps those of global ones', () => {
  const { c } = cpu();
  c.mmu.setPid(0, 7);
  map4k(c, 0, 0x10000000, 0x4000, MAS3_SR, 7);
  map4k(c, 1, 0xc0005000, 0x5000, MAS3_SR, 0);
  c.mmu.translateData(0x10000000, false);
  c.mmu.translateData(0xc0005000 | 0, false);
  const iUser = ((0x10000000 >>> 12) & STLB_MASK) | c.dmode;
  const iKernel = ((0xc0005000 >>> 12) & STLB_MASK) | c.dmode;
  assert.equal(c.rTag[iUser], 0x10000);
  c.mmu.setPid(0, 8);
  assert.equal(c.rTag[iUser], -1, 'the TID 7 page is gone');
  assert.equal(c.rTag[iKernel], 0xc0005, 'the global page stays cached');
  assert.equal(c.mmu.translateData(0x10000000, false), -1, 'TID 7 no longer matches');
});

test('the address space and privilege select separate software-TLB slices', () => {
  const { c } = cpu();
  map4k(c, 0, 0x2000, 0x2000, MAS3_SR);
  c.mmu.translateData(0x2000, false);
  const sup = c.dmode;
  c.setMsr(MSR.DS);
  assert.notEqual(c.dmode, sup);
  assert.equal(c.rTag[(2 & STLB_MASK) | c.dmode], -1, 'AS1 has its own slice');
  assert.equal(c.mmu.translateData(0x2000, false), -1, 'the AS0 entry does not match AS1');
});

test('dirtyTlb: only translations of the changed entries (and the pages they now cover) are dropped', () => {
  const { c } = cpu();
  map4k(c, 0, 0x1000, 0x1000, MAS3_SR);
  map4k(c, 1, 0x6000, 0x6000, MAS3_SR);
  c.mmu.translateData(0x1000, false);
  c.mmu.translateData(0x6000, false);
  const t = c.mmu.tlb;
  const bitmap = new Uint8Array(Math.ceil(t.totalEntries / 8));
  const e = t.tlb1Index(1);
  bitmap[e >>> 3]! |= 1 << (e & 7);
  c.mmu.flushSoftTlbEntries(bitmap);
  assert.equal(c.rTag[(1 & STLB_MASK) | c.dmode], 1, 'entry 0 untouched');
  assert.equal(c.rTag[(6 & STLB_MASK) | c.dmode], -1, 'entry 1 dropped');
});

test('little-endian pages stay off the fast path; an unmapped physical page is an MMIO exit', () => {
  const { c, ram } = cpu();
  map4k(c, 0, 0x7000, 0x7000, MAS3_SR | MAS3_SW, 0, true);
  ram.set([1, 2, 3, 4], 0x7000);
  assert.equal(c.ld32(0x7000), 0x04030201);
  assert.equal(c.rTag[(7 & STLB_MASK) | c.dmode], -1);
  map4k(c, 1, 0xe0000000, 0xe0000000, MAS3_SR | MAS3_SW);
  c.ld32(0xe0000000 | 0);
  assert.equal(c.stop, STOP_EXIT);
  assert.equal(c.exit.pending?.kind, 'mmio');
});
