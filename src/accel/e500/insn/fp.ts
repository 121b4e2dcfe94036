/**
 * Classic floating point of the e500mc: the definitions, as glue around the FPU module
 * (`../fpu`), which computes results and FPSCR exactly as QEMU 7.2 does.
 *
 * Here: the MSR[FP] availability check (FP unavailable interrupt), enabled-exception program
 * interrupts (ESR[FP], taken on the faulting instruction when MSR[FE0|FE1] != 0), the CR1
 * update of record forms, and FP loads/stores. FP registers are written only after all memory
 * accesses, so the instructions stay restartable.
 */
import type { Cpu } from '../cpu.js';
import * as fpu from '../fpu/index.js';
import { ESR, Ivor } from '../interrupts.js';
import { MSR } from '../models.js';
import { registerHelpers } from './helpers.js';
import { eaD, eaX } from './loadstore.js';
import { RA_FIELD, RB_FIELD, RC_BIT, type InsnDef, type Ops, type Sync, type Template } from './ops.js';

/** FP unavailable unless MSR[FP]. */
const requireFp = (o: Ops): string => `if ((c.msr & ${MSR.FP}) === 0) { c.fault(${Ivor.FpUnavailable}, undefined); ${o.stop()} }`;

/** After an FPU helper: trap if it reported an enabled exception and MSR[FE] allows it; else CR1 for Rc. */
function fpFinish(c: Cpu, status: number, rc: boolean): void {
  if (status === fpu.FP_ENABLED_EXCEPTION && c.fpu.fe) {
    c.programInterrupt(ESR.FP);
    return;
  }
  if (rc) c.crf[1] = fpu.cr1FromFpscr(c.fpu);
}

/** FPSCR moves update CR1 before a possible trap. */
function fpscrFinish(c: Cpu, status: number, rc: boolean): void {
  if (rc) c.crf[1] = fpu.cr1FromFpscr(c.fpu);
  if (status === fpu.FP_ENABLED_EXCEPTION && c.fpu.fe) c.programInterrupt(ESR.FP);
}

/** fcmpu/fcmpo write CR[BF] even when they then trap (QEMU updates it first). */
function fpCompareFinish(c: Cpu, status: number, bf: number): void {
  c.crf[bf] = c.fpu.cr;
  if (status === fpu.FP_ENABLED_EXCEPTION && c.fpu.fe) c.programInterrupt(ESR.FP);
}

function lfs(c: Cpu, t: number, ea: number): void {
  const bits = c.ld32(ea) >>> 0;
  if (c.stop !== 0) return;
  fpu.loadSingle(c.fpu, t, bits);
}

function lfd(c: Cpu, t: number, ea: number): void {
  const hi = c.ld32(ea) >>> 0;
  if (c.stop !== 0) return;
  const lo = c.ld32((ea + 4) | 0) >>> 0;
  if (c.stop !== 0) return;
  c.fpu.words[2 * t + 1] = hi;
  c.fpu.words[2 * t] = lo;
}

function stfs(c: Cpu, s: number, ea: number): void {
  c.st32(ea, fpu.storeSingleBits(c.fpu, s));
}

function stfd(c: Cpu, s: number, ea: number): void {
  // Probe the second word first so a fault leaves memory untouched.
  if (((ea + 4) & 0xfff) < 4 && c.probeWrite((ea + 4) | 0) < 0) return;
  c.st32(ea, c.fpu.words[2 * s + 1]! | 0);
  if (c.stop !== 0) return;
  c.st32((ea + 4) | 0, c.fpu.words[2 * s]! | 0);
}

function stfiwx(c: Cpu, s: number, ea: number): void {
  c.st32(ea, fpu.storeIntWordBits(c.fpu, s));
}

function mcrfs(c: Cpu, bf: number, bfa: number): void {
  c.crf[bf] = fpu.mcrfs(c.fpu, bfa);
}

registerHelpers({ fpFinish, fpscrFinish, fpCompareFinish, lfs, lfd, stfs, stfd, stfiwx, mcrfs });
registerHelpers(Object.fromEntries(Object.entries(fpu).filter(([, v]) => typeof v === 'function').map(([k, v]) => [`fpu_${k}`, v as (...a: unknown[]) => unknown])));

const CR1: Sync = { out: ['cr:1'] };
const NO_SYNC: Sync = {};

/** Arithmetic: `args` are operand fields after the target (frA, frC, frB in the helper's order). */
/** The frC field of A forms. */
const FRC_FIELD = 0x000007c0;

/** Fields of an A form that the operation does not read are reserved (QEMU 7.2 checks them). */
function unusedFields(xoKind: 'a' | 'x', args: readonly ('a' | 'b' | 'c')[]): number {
  let m = 0;
  if (!args.includes('a')) m |= RA_FIELD;
  if (!args.includes('b')) m |= RB_FIELD;
  if (xoKind === 'a' && !args.includes('c')) m |= FRC_FIELD;
  return m;
}

function arith(name: string, op: number, xo: number, xoKind: 'a' | 'x', helper: string, args: readonly ('a' | 'b' | 'c')[]): InsnDef {
  const reserved = unusedFields(xoKind, args);
  return {
    name,
    op,
    xo,
    xoKind,
    imm: 'none',
    avail: 'fpu',
    rc: true,
    ...(reserved !== 0 ? { reserved } : {}),
    sem: (o, v) =>
      `${requireFp(o)} const st = ${o.h(`fpu_${helper}`)}(c.fpu, ${[o.f('d'), ...args.map((f) => o.f(f))].join(', ')}); ` +
      o.call(`${o.h('fpFinish')}(c, st, ${v.rc})`, v.rc ? CR1 : NO_SYNC),
  };
}

const ab = (name: string, op: number, xo: number, helper = name) => arith(name, op, xo, 'a', helper, ['a', 'b']);
const ac = (name: string, op: number, xo: number, helper = name) => arith(name, op, xo, 'a', helper, ['a', 'c']);
const acb = (name: string, op: number, xo: number, helper = name) => arith(name, op, xo, 'a', helper, ['a', 'c', 'b']);
const b1 = (name: string, op: number, xo: number, kind: 'a' | 'x' = 'a', helper = name) => arith(name, op, xo, kind, helper, ['b']);

/** Loads and stores: `helper(c, frT/frS, ea)`, then rA = EA for update forms. */
function mem(name: string, op: number, xo: number | undefined, helper: string, store: boolean, update: boolean): InsnDef {
  const ea = xo === undefined ? eaD : eaX;
  const sem: Template = (o) =>
    `${requireFp(o)} const ea = ${ea(o)}; ${o.call(`${o.h(helper)}(c, ${o.f('d')}, ea)`, store ? { store: true } : NO_SYNC)} ${update ? o.setGpr('a', 'ea') : ''}`;
  return {
    name,
    op,
    ...(xo === undefined ? { xoKind: 'none' as const, imm: 'simm' as const } : { xo, xoKind: 'x' as const, imm: 'none' as const }),
    avail: 'fpu',
    sem,
    ...(update ? { update: 'store' as const } : {}),
  };
}

/** FPSCR moves: `body` gives the helper call returning a status. */
function fpscrMove(name: string, xo: number, call: (o: Ops) => string, extra: Partial<InsnDef> = {}): InsnDef {
  return {
    name,
    op: 63,
    xo,
    xoKind: 'x',
    imm: 'none',
    avail: 'fpu',
    rc: true,
    sem: (o, v) => `${requireFp(o)} const st = ${call(o)}; ${o.call(`${o.h('fpscrFinish')}(c, st, ${v.rc})`, v.rc ? CR1 : NO_SYNC)}`,
    ...extra,
  };
}

/** mtfsf/mtfsfi with W=1 do not exist on the e500mc. */
const noW = (f: { word: number }): boolean => (f.word & 0x00010000) !== 0;

const compare = (name: string, xo: number): InsnDef => ({
  name,
  op: 63,
  xo,
  xoKind: 'x',
  imm: 'none',
  avail: 'fpu',
  // BF's low bits and Rc
  reserved: 0x00600001,
  sem: (o) =>
    `${requireFp(o)} const st = ${o.h(`fpu_${name}`)}(c.fpu, ${o.f('a')}, ${o.f('b')}); ` +
    o.call(`${o.h('fpCompareFinish')}(c, st, ${o.f('d')} >>> 2)`, { out: ['cr:D'] }),
});

export const FP_DEFS: readonly InsnDef[] = [
  mem('lfs', 48, undefined, 'lfs', false, false),
  mem('lfsu', 49, undefined, 'lfs', false, true),
  mem('lfd', 50, undefined, 'lfd', false, false),
  mem('lfdu', 51, undefined, 'lfd', false, true),
  mem('stfs', 52, undefined, 'stfs', true, false),
  mem('stfsu', 53, undefined, 'stfs', true, true),
  mem('stfd', 54, undefined, 'stfd', true, false),
  mem('stfdu', 55, undefined, 'stfd', true, true),
  mem('lfsx', 31, 535, 'lfs', false, false),
  mem('lfsux', 31, 567, 'lfs', false, true),
  mem('lfdx', 31, 599, 'lfd', false, false),
  mem('lfdux', 31, 631, 'lfd', false, true),
  mem('stfsx', 31, 663, 'stfs', true, false),
  mem('stfsux', 31, 695, 'stfs', true, true),
  mem('stfdx', 31, 727, 'stfd', true, false),
  mem('stfdux', 31, 759, 'stfd', true, true),
  // The other indexed FP loads and stores run with Rc = 1 on QEMU 7.2; stfiwx does not.
  { ...mem('stfiwx', 31, 983, 'stfiwx', true, false), reserved: RC_BIT },
  // double precision (opcode 63)
  ab('fdiv', 63, 18),
  ab('fsub', 63, 20),
  ab('fadd', 63, 21),
  acb('fsel', 63, 23),
  ac('fmul', 63, 25),
  b1('frsqrte', 63, 26),
  acb('fmsub', 63, 28),
  acb('fmadd', 63, 29),
  acb('fnmsub', 63, 30),
  acb('fnmadd', 63, 31),
  // single precision (opcode 59)
  ab('fdivs', 59, 18),
  ab('fsubs', 59, 20),
  ab('fadds', 59, 21),
  b1('fres', 59, 24),
  ac('fmuls', 59, 25),
  acb('fmsubs', 59, 28),
  acb('fmadds', 59, 29),
  acb('fnmsubs', 59, 30),
  acb('fnmadds', 59, 31),
  // X-form (opcode 63)
  compare('fcmpu', 0),
  compare('fcmpo', 32),
  b1('frsp', 63, 12, 'x'),
  b1('fctiw', 63, 14, 'x'),
  b1('fctiwz', 63, 15, 'x'),
  b1('fneg', 63, 40, 'x'),
  b1('fmr', 63, 72, 'x'),
  b1('fnabs', 63, 136, 'x'),
  b1('fabs', 63, 264, 'x'),
  fpscrMove('mtfsb1', 38, (o) => `${o.h('fpu_mtfsb1')}(c.fpu, ${o.f('d')})`, { reserved: RA_FIELD | RB_FIELD }),
  fpscrMove('mtfsb0', 70, (o) => `${o.h('fpu_mtfsb0')}(c.fpu, ${o.f('d')})`, { reserved: RA_FIELD | RB_FIELD }),
  // mffs: QEMU 7.2 checks frA only.
  fpscrMove('mffs', 583, (o) => `${o.h('fpu_mffs')}(c.fpu, ${o.f('d')})`, { reserved: RA_FIELD }),
  // mtfsfi: BF's low bits, frA but its low bit (W, see noW), and bit 20.
  fpscrMove('mtfsfi', 134, (o) => `${o.h('fpu_mtfsfi')}(c.fpu, ${o.f('d')} >>> 2, (${o.word} >>> 12) & 0xf)`, {
    invalid: noW,
    reserved: 0x006e0800,
  }),
  fpscrMove('mtfsf', 711, (o) => `${o.h('fpu_mtfsf')}(c.fpu, (${o.word} >>> 17) & 0xff, ${o.f('b')}, (${o.word} >>> 25) & 1)`, { invalid: noW }),
  {
    name: 'mcrfs',
    op: 63,
    xo: 64,
    xoKind: 'x',
    imm: 'none',
    avail: 'fpu',
    // BF's and BFA's low bits, rB, Rc
    reserved: 0x0063f801,
    sem: (o) => `${requireFp(o)} ${o.call(`${o.h('mcrfs')}(c, ${o.f('d')} >>> 2, ${o.f('a')} >>> 2)`, { out: ['cr:D'] })}`,
  },
];
