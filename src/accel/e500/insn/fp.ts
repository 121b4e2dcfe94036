/**
 * Classic floating point of the e500mc: instruction decoding glue around the FPU module
 * (`../fpu`), which computes results and FPSCR exactly as QEMU 7.2 does.
 *
 * Here: the MSR[FP] availability check (FP unavailable interrupt), enabled-exception program
 * interrupts (ESR[FP], taken on the faulting instruction when MSR[FE0|FE1] != 0), the CR1
 * update of record forms, and FP loads/stores. FP registers are written only after all memory
 * accesses, so the instructions stay restartable.
 */
import type { ExecFn, Insn } from '../block.js';
import type { Cpu } from '../cpu.js';
import * as fpu from '../fpu/index.js';
import { ESR, Ivor } from '../interrupts.js';
import { MSR } from '../models.js';
import type { InsnSpec } from './table.js';

function requireFp(c: Cpu): void {
  if ((c.msr & MSR.FP) === 0) c.fault(Ivor.FpUnavailable, undefined);
}

/** After an FPU helper: trap if it reported an enabled exception and MSR[FE] allows it. */
function finish(c: Cpu, status: number, rc: boolean): void {
  const trap = status === fpu.FP_ENABLED_EXCEPTION && c.fpu.fe;
  if (trap) c.programInterrupt(ESR.FP);
  if (rc) c.cr = (c.cr & ~0x0f000000) | (fpu.cr1FromFpscr(c.fpu) << 24);
}

type Op2 = (st: fpu.FpuState, t: number, a: number, b: number) => number;
type Op3 = (st: fpu.FpuState, t: number, a: number, c: number, b: number) => number;
type Op1 = (st: fpu.FpuState, t: number, b: number) => number;

const arithAB = (op: Op2) => (v: { rc: boolean }): ExecFn => (c, i) => {
  requireFp(c);
  finish(c, op(c.fpu, i.d, i.a, i.b), v.rc);
};

const arithAC = (op: Op2) => (v: { rc: boolean }): ExecFn => (c, i) => {
  requireFp(c);
  finish(c, op(c.fpu, i.d, i.a, i.c), v.rc);
};

const arithACB = (op: Op3) => (v: { rc: boolean }): ExecFn => (c, i) => {
  requireFp(c);
  finish(c, op(c.fpu, i.d, i.a, i.c, i.b), v.rc);
};

const arithB = (op: Op1) => (v: { rc: boolean }): ExecFn => (c, i) => {
  requireFp(c);
  finish(c, op(c.fpu, i.d, i.b), v.rc);
};

/** fcmpu/fcmpo write CR[BF] even when they then trap (QEMU updates it first). */
const compare = (op: (st: fpu.FpuState, a: number, b: number) => number): ExecFn => (c, i) => {
  requireFp(c);
  const status = op(c.fpu, i.a, i.b);
  const shift = (7 - (i.d >>> 2)) * 4;
  c.cr = (c.cr & ~(0xf << shift)) | (c.fpu.cr << shift);
  if (status === fpu.FP_ENABLED_EXCEPTION && c.fpu.fe) c.programInterrupt(ESR.FP);
};

/** FPSCR moves update CR1 before a possible trap. */
function fpscrMove(body: (c: Cpu, i: Insn) => number) {
  return (v: { rc: boolean }): ExecFn =>
    (c, i) => {
      requireFp(c);
      const status = body(c, i);
      if (v.rc) c.cr = (c.cr & ~0x0f000000) | (fpu.cr1FromFpscr(c.fpu) << 24);
      if (status === fpu.FP_ENABLED_EXCEPTION && c.fpu.fe) c.programInterrupt(ESR.FP);
    };
}

// ---- loads and stores ---------------------------------------------------------------------

const eaD = (c: Cpu, i: Insn): number => (i.a === 0 ? i.imm : c.gpr[i.a]! + i.imm) >>> 0;
const eaX = (c: Cpu, i: Insn): number => (i.a === 0 ? c.gpr[i.b]! : c.gpr[i.a]! + c.gpr[i.b]!) >>> 0;
type Ea = (c: Cpu, i: Insn) => number;

function loadSingleOp(ea: Ea, update: boolean): ExecFn {
  return (c, i) => {
    requireFp(c);
    const addr = ea(c, i);
    const bits = c.ld32(addr) >>> 0;
    fpu.loadSingle(c.fpu, i.d, bits);
    if (update) c.gpr[i.a] = addr;
  };
}

function loadDoubleOp(ea: Ea, update: boolean): ExecFn {
  return (c, i) => {
    requireFp(c);
    const addr = ea(c, i);
    const hi = c.ld32(addr) >>> 0;
    const lo = c.ld32((addr + 4) >>> 0) >>> 0;
    c.fpu.words[2 * i.d + 1] = hi;
    c.fpu.words[2 * i.d] = lo;
    if (update) c.gpr[i.a] = addr;
  };
}

function storeSingleOp(ea: Ea, update: boolean): ExecFn {
  return (c, i) => {
    requireFp(c);
    const addr = ea(c, i);
    c.st32(addr, fpu.storeSingleBits(c.fpu, i.d));
    if (update) c.gpr[i.a] = addr;
  };
}

function storeDoubleOp(ea: Ea, update: boolean): ExecFn {
  return (c, i) => {
    requireFp(c);
    const addr = ea(c, i);
    // Probe the second word first so a fault leaves memory untouched.
    if (((addr + 4) & 0xfff) < 4) c.probeWrite((addr + 4) >>> 0);
    c.st32(addr, c.fpu.words[2 * i.d + 1]! | 0);
    c.st32((addr + 4) >>> 0, c.fpu.words[2 * i.d]! | 0);
    if (update) c.gpr[i.a] = addr;
  };
}

const stfiwx: ExecFn = (c, i) => {
  requireFp(c);
  c.st32(eaX(c, i), fpu.storeIntWordBits(c.fpu, i.d));
};

// ---- table -----------------------------------------------------------------------------------

const load = (name: string, op: number, exec: ExecFn, update = false): InsnSpec => ({
  name,
  op,
  xoKind: 'none',
  imm: 'simm',
  avail: 'fpu',
  exec,
  ...(update ? { update: 'store' as const } : {}),
});

const xform = (name: string, xo: number, exec: ExecFn, update = false): InsnSpec => ({
  name,
  op: 31,
  xo,
  xoKind: 'x',
  imm: 'none',
  avail: 'fpu',
  exec,
  ...(update ? { update: 'store' as const } : {}),
});

const aform = (name: string, op: number, xo: number, make: (v: { rc: boolean }) => ExecFn): InsnSpec => ({
  name,
  op,
  xo,
  xoKind: 'a',
  imm: 'none',
  avail: 'fpu',
  rc: true,
  make,
});

const x63 = (name: string, xo: number, make: (v: { rc: boolean }) => ExecFn): InsnSpec => ({
  name,
  op: 63,
  xo,
  xoKind: 'x',
  imm: 'none',
  avail: 'fpu',
  rc: true,
  make,
});

/** mtfsf/mtfsfi with W=1 do not exist on the e500mc. */
const wForm = (exec: ExecFn): ExecFn => (c, i) => {
  if ((i.word & 0x00010000) !== 0) c.illegal();
  exec(c, i);
};

export const FP_SPECS: readonly InsnSpec[] = [
  load('lfs', 48, loadSingleOp(eaD, false)),
  load('lfsu', 49, loadSingleOp(eaD, true), true),
  load('lfd', 50, loadDoubleOp(eaD, false)),
  load('lfdu', 51, loadDoubleOp(eaD, true), true),
  load('stfs', 52, storeSingleOp(eaD, false)),
  load('stfsu', 53, storeSingleOp(eaD, true), true),
  load('stfd', 54, storeDoubleOp(eaD, false)),
  load('stfdu', 55, storeDoubleOp(eaD, true), true),
  xform('lfsx', 535, loadSingleOp(eaX, false)),
  xform('lfsux', 567, loadSingleOp(eaX, true), true),
  xform('lfdx', 599, loadDoubleOp(eaX, false)),
  xform('lfdux', 631, loadDoubleOp(eaX, true), true),
  xform('stfsx', 663, storeSingleOp(eaX, false)),
  xform('stfsux', 695, storeSingleOp(eaX, true), true),
  xform('stfdx', 727, storeDoubleOp(eaX, false)),
  xform('stfdux', 759, storeDoubleOp(eaX, true), true),
  xform('stfiwx', 983, stfiwx),
  // double precision (opcode 63)
  aform('fdiv', 63, 18, arithAB(fpu.fdiv)),
  aform('fsub', 63, 20, arithAB(fpu.fsub)),
  aform('fadd', 63, 21, arithAB(fpu.fadd)),
  aform('fsel', 63, 23, arithACB(fpu.fsel)),
  aform('fmul', 63, 25, arithAC(fpu.fmul)),
  aform('frsqrte', 63, 26, arithB(fpu.frsqrte)),
  aform('fmsub', 63, 28, arithACB(fpu.fmsub)),
  aform('fmadd', 63, 29, arithACB(fpu.fmadd)),
  aform('fnmsub', 63, 30, arithACB(fpu.fnmsub)),
  aform('fnmadd', 63, 31, arithACB(fpu.fnmadd)),
  // single precision (opcode 59)
  aform('fdivs', 59, 18, arithAB(fpu.fdivs)),
  aform('fsubs', 59, 20, arithAB(fpu.fsubs)),
  aform('fadds', 59, 21, arithAB(fpu.fadds)),
  aform('fres', 59, 24, arithB(fpu.fres)),
  aform('fmuls', 59, 25, arithAC(fpu.fmuls)),
  aform('fmsubs', 59, 28, arithACB(fpu.fmsubs)),
  aform('fmadds', 59, 29, arithACB(fpu.fmadds)),
  aform('fnmsubs', 59, 30, arithACB(fpu.fnmsubs)),
  aform('fnmadds', 59, 31, arithACB(fpu.fnmadds)),
  // X-form (opcode 63)
  { name: 'fcmpu', op: 63, xo: 0, xoKind: 'x', imm: 'none', avail: 'fpu', exec: compare(fpu.fcmpu) },
  { name: 'fcmpo', op: 63, xo: 32, xoKind: 'x', imm: 'none', avail: 'fpu', exec: compare(fpu.fcmpo) },
  x63('frsp', 12, arithB(fpu.frsp)),
  x63('fctiw', 14, arithB(fpu.fctiw)),
  x63('fctiwz', 15, arithB(fpu.fctiwz)),
  x63('fneg', 40, arithB(fpu.fneg)),
  x63('fmr', 72, arithB(fpu.fmr)),
  x63('fnabs', 136, arithB(fpu.fnabs)),
  x63('fabs', 264, arithB(fpu.fabs)),
  x63('mtfsb1', 38, fpscrMove((c, i) => fpu.mtfsb1(c.fpu, i.d))),
  x63('mtfsb0', 70, fpscrMove((c, i) => fpu.mtfsb0(c.fpu, i.d))),
  x63('mffs', 583, fpscrMove((c, i) => fpu.mffs(c.fpu, i.d))),
  {
    ...x63('mtfsfi', 134, (v) => wForm(fpscrMove((c, i) => fpu.mtfsfi(c.fpu, i.d >>> 2, (i.word >>> 12) & 0xf))(v))),
  },
  {
    ...x63('mtfsf', 711, (v) =>
      wForm(fpscrMove((c, i) => fpu.mtfsf(c.fpu, (i.word >>> 17) & 0xff, i.b, (i.word >>> 25) & 1))(v)),
    ),
  },
  {
    name: 'mcrfs',
    op: 63,
    xo: 64,
    xoKind: 'x',
    imm: 'none',
    avail: 'fpu',
    exec: (c, i) => {
      requireFp(c);
      const field = fpu.mcrfs(c.fpu, i.a >>> 2);
      const shift = (7 - (i.d >>> 2)) * 4;
      c.cr = (c.cr & ~(0xf << shift)) | (field << shift);
    },
  },
];
