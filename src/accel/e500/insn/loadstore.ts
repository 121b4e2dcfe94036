/**
 * Loads and stores: every width, sign/zero extension, update and indexed forms, byte-reversed,
 * multiple, and the reservation pair lwarx/stwcx. (definitions and the helpers they share).
 *
 * Register writes happen after every memory access of the instruction: an access may fault or
 * exit for MMIO, and the instruction must then be restartable with no visible side effect.
 */
import type { Cpu } from '../cpu.js';
import { ESR, Ivor } from '../interrupts.js';
import { registerHelpers } from './helpers.js';
import { RC_BIT, type InsnDef, type Ops } from './ops.js';

/** EA of a D-form access: (rA|0) + d. */
export const eaD = (o: Ops): string => `(${o.gpr0('a')} + ${o.imm}) | 0`;
/** EA of an X-form access: (rA|0) + rB. */
export const eaX = (o: Ops): string => `(${o.gpr0('a')} + ${o.gpr('b')}) | 0`;

const swap16 = (v: string): string => `(((${v} & 0xff) << 8) | ((${v} >>> 8) & 0xff))`;
const swap32 = (v: string): string => `(((${v} & 0xff) << 24) | ((${v} & 0xff00) << 8) | ((${v} >>> 8) & 0xff00) | (${v} >>> 24))`;

type Ea = (o: Ops) => string;

interface LoadKind {
  readonly size: 1 | 2 | 4;
  /** Turns the loaded value (local `v`) into the register value. */
  readonly value: (v: string) => string;
}

const LZ = (size: 1 | 2 | 4): LoadKind => ({ size, value: (v) => v });
const LHA: LoadKind = { size: 2, value: (v) => `(${v} << 16) >> 16` };
const LHBR: LoadKind = { size: 2, value: swap16 };
const LWBR: LoadKind = { size: 4, value: swap32 };

interface StoreKind {
  readonly size: 1 | 2 | 4;
  readonly value: (s: string) => string;
}

const SB: StoreKind = { size: 1, value: (s) => `${s} & 0xff` };
const SH: StoreKind = { size: 2, value: (s) => `${s} & 0xffff` };
const SW: StoreKind = { size: 4, value: (s) => s };
const SHBR: StoreKind = { size: 2, value: (s) => swap16(s) };
const SWBR: StoreKind = { size: 4, value: (s) => swap32(s) };

const loadSem = (k: LoadKind, ea: Ea, update: boolean) => (o: Ops): string =>
  `const ea = ${ea(o)}; ${o.load('v', k.size, 'ea')} ${o.setGpr('d', k.value('v'))} ${update ? o.setGpr('a', 'ea') : ''}`;

const storeSem = (k: StoreKind, ea: Ea, update: boolean) => (o: Ops): string =>
  `const ea = ${ea(o)}; ${o.store(k.size, 'ea', k.value(o.gpr('d')))} ${update ? o.setGpr('a', 'ea') : ''}`;

function dl(name: string, op: number, k: LoadKind, update = false): InsnDef {
  return { name, op, xoKind: 'none', imm: 'simm', avail: 'all', sem: loadSem(k, eaD, update), ...(update ? { update: 'load' as const } : {}) };
}

function ds(name: string, op: number, k: StoreKind, update = false): InsnDef {
  return { name, op, xoKind: 'none', imm: 'simm', avail: 'all', sem: storeSem(k, eaD, update), ...(update ? { update: 'store' as const } : {}) };
}

function xl(name: string, xo: number, k: LoadKind, update = false): InsnDef {
  return { name, op: 31, xo, xoKind: 'x', imm: 'none', avail: 'all', sem: loadSem(k, eaX, update), ...(update ? { update: 'load' as const } : {}) };
}

function xs(name: string, xo: number, k: StoreKind, update = false): InsnDef {
  return { name, op: 31, xo, xoKind: 'x', imm: 'none', avail: 'all', sem: storeSem(k, eaX, update), ...(update ? { update: 'store' as const } : {}) };
}

/**
 * lmw: loads rT..r31. Real e500 cores take an alignment interrupt for a misaligned EA;
 * QEMU does not. We follow the hardware. All loads happen before any register is written.
 */
function lmw(c: Cpu, rt: number, ea: number): void {
  if ((ea & 3) !== 0) {
    c.fault(Ivor.Alignment, 0, ea >>> 0);
    return;
  }
  const n = 32 - rt;
  const vals = c.scratch;
  for (let k = 0; k < n; k++, ea = (ea + 4) | 0) {
    vals[k] = c.ld32(ea);
    if (c.stop !== 0) return;
  }
  for (let k = 0; k < n; k++) c.gpr[rt + k] = vals[k]!;
}

function stmw(c: Cpu, rs: number, ea: number): void {
  if ((ea & 3) !== 0) {
    c.fault(Ivor.Alignment, ESR.ST, ea >>> 0);
    return;
  }
  for (let r = rs; r < 32; r++, ea = (ea + 4) | 0) {
    c.st32(ea, c.gpr[r]!);
    if (c.stop !== 0) return;
  }
}

/** lwarx after its load: the reservation on the word's physical address. */
function reserve(c: Cpu, ea: number): void {
  const pa = c.probeReservation(ea);
  if (pa < 0) return;
  c.resvAddr = pa;
  c.resvValid = true;
}

/** stwcx.: stores only if the reservation is still held; returns 1 if it stored. */
function stwcx(c: Cpu, ea: number, v: number): number {
  if ((ea & 3) !== 0) return c.fault(Ivor.Alignment, ESR.ST, ea >>> 0);
  let ok = 0;
  if (c.resvValid) {
    const pa = c.probeWrite(ea);
    if (pa < 0) return 0;
    if (pa === c.resvAddr) {
      c.st32(ea, v);
      if (c.stop !== 0) return 0;
      ok = 1;
    }
  }
  c.resvValid = false;
  return ok;
}

registerHelpers({ lmw, stmw, reserve, stwcx });

export const LOADSTORE_DEFS: readonly InsnDef[] = [
  // ---- opcode 31: indexed
  {
    name: 'lwarx',
    op: 31,
    xo: 20,
    xoKind: 'x',
    imm: 'none',
    avail: 'all',
    // A misaligned EA takes an alignment interrupt (hardware and QEMU agree).
    sem: (o) =>
      `const ea = ${eaX(o)}; if ((ea & 3) !== 0) { c.fault(${Ivor.Alignment}, 0, ea >>> 0); ${o.stop()} } ` +
      `${o.load('v', 4, 'ea')} ${o.call(`${o.h('reserve')}(c, ea)`)} ${o.setGpr('d', 'v')}`,
  },
  xl('lwzx', 23, LZ(4)),
  xl('lwzux', 55, LZ(4), true),
  xl('lbzx', 87, LZ(1)),
  xl('lbzux', 119, LZ(1), true),
  {
    name: 'stwcx.',
    op: 31,
    xo: 150,
    xoKind: 'x',
    imm: 'none',
    avail: 'all',
    // CR0 = 00 || success || SO
    sem: (o) =>
      `const ea = ${eaX(o)}; ${o.callv('ok', `${o.h('stwcx')}(c, ea, ${o.gpr('d')})`, { store: true })} ${o.setCrf(0, `(ok << 1) | ${o.so}`)}`,
  },
  xs('stwx', 151, SW),
  xs('stwux', 183, SW, true),
  xs('stbx', 215, SB),
  xs('stbux', 247, SB, true),
  xl('lhzx', 279, LZ(2)),
  xl('lhzux', 311, LZ(2), true),
  xl('lhax', 343, LHA),
  xl('lhaux', 375, LHA, true),
  xs('sthx', 407, SH),
  xs('sthux', 439, SH, true),
  // Unlike the other indexed loads and stores, QEMU 7.2 rejects these two with Rc = 1.
  { ...xl('lwbrx', 534, LWBR), reserved: RC_BIT },
  xs('stwbrx', 662, SWBR),
  { ...xl('lhbrx', 790, LHBR), reserved: RC_BIT },
  xs('sthbrx', 918, SHBR),
  // ---- D-form
  dl('lwz', 32, LZ(4)),
  dl('lwzu', 33, LZ(4), true),
  dl('lbz', 34, LZ(1)),
  dl('lbzu', 35, LZ(1), true),
  ds('stw', 36, SW),
  ds('stwu', 37, SW, true),
  ds('stb', 38, SB),
  ds('stbu', 39, SB, true),
  dl('lhz', 40, LZ(2)),
  dl('lhzu', 41, LZ(2), true),
  dl('lha', 42, LHA),
  dl('lhau', 43, LHA, true),
  ds('sth', 44, SH),
  ds('sthu', 45, SH, true),
  {
    name: 'lmw',
    op: 46,
    xoKind: 'none',
    imm: 'simm',
    avail: 'all',
    sem: (o) => o.call(`${o.h('lmw')}(c, ${o.f('d')}, ${eaD(o)})`, { out: ['r:*'] }),
  },
  {
    name: 'stmw',
    op: 47,
    xoKind: 'none',
    imm: 'simm',
    avail: 'all',
    sem: (o) => o.call(`${o.h('stmw')}(c, ${o.f('d')}, ${eaD(o)})`, { in: ['r:*'], store: true }),
  },
];
