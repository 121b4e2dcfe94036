/**
 * Replays the QEMU-generated FPU vectors (guests/fpu, fixture
 * test/fixtures/fpu/qemu-e500mc-vectors.txt) against the TypeScript FPU.
 * See guests/fpu/main.c for the line format.
 */
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as fpu from '../../../src/accel/e500/fpu/index.js';

export const SENTINEL = 0x5eed5eed5eed5eedn;

export function fixturePath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'test', 'fixtures'))) {
      return join(dir, 'test', 'fixtures', 'fpu', 'qemu-e500mc-vectors.txt');
    }
    const up = resolve(dir, '..');
    if (up === dir) throw new Error('repository root not found');
    dir = up;
  }
}

export function loadFixture(): string[] {
  return readFileSync(fixturePath(), 'utf8').split('\n');
}

/** The fields of a fixture line (or op token); field(i) throws, naming the line, when it is too short. */
export function fields(line: string, separator = ' '): (i: number) => string {
  const t = line.split(separator);
  return (i) => {
    const v = t[i];
    if (v === undefined) throw new Error(`fixture text has no field ${i}: ${line}`);
    return v;
  };
}

/** What one run of an instruction produced. */
export interface Outcome {
  res: bigint;
  fpscr: bigint;
  cr: number; // CR fields 0..2 as 12 bits
  status: number;
}

type Exec = (st: fpu.FpuState) => { status: number; field2?: number; store?: number };

interface OpSpec {
  exec: Exec;
  rc: boolean;
  /** result is a stored word rather than FPR 4 */
  store: boolean;
  /** CR1 is written even when the instruction traps (FPSCR moves) */
  cr1BeforeTrap: boolean;
}

function spec(exec: Exec, rc: boolean, store = false, cr1BeforeTrap = false): OpSpec {
  return { exec, rc, store, cr1BeforeTrap };
}

const st0 = (fn: (st: fpu.FpuState) => number): Exec => (st) => ({ status: fn(st) });

const BASE_OPS: Record<string, Exec> = {
  fadd: st0((st) => fpu.fadd(st, 4, 1, 2)),
  fadds: st0((st) => fpu.fadds(st, 4, 1, 2)),
  fsub: st0((st) => fpu.fsub(st, 4, 1, 2)),
  fsubs: st0((st) => fpu.fsubs(st, 4, 1, 2)),
  fmul: st0((st) => fpu.fmul(st, 4, 1, 3)),
  fmuls: st0((st) => fpu.fmuls(st, 4, 1, 3)),
  fdiv: st0((st) => fpu.fdiv(st, 4, 1, 2)),
  fdivs: st0((st) => fpu.fdivs(st, 4, 1, 2)),
  fmadd: st0((st) => fpu.fmadd(st, 4, 1, 3, 2)),
  fmadds: st0((st) => fpu.fmadds(st, 4, 1, 3, 2)),
  fmsub: st0((st) => fpu.fmsub(st, 4, 1, 3, 2)),
  fmsubs: st0((st) => fpu.fmsubs(st, 4, 1, 3, 2)),
  fnmadd: st0((st) => fpu.fnmadd(st, 4, 1, 3, 2)),
  fnmadds: st0((st) => fpu.fnmadds(st, 4, 1, 3, 2)),
  fnmsub: st0((st) => fpu.fnmsub(st, 4, 1, 3, 2)),
  fnmsubs: st0((st) => fpu.fnmsubs(st, 4, 1, 3, 2)),
  fsel: st0((st) => fpu.fsel(st, 4, 1, 3, 2)),
  fres: st0((st) => fpu.fres(st, 4, 2)),
  frsqrte: st0((st) => fpu.frsqrte(st, 4, 2)),
  frsp: st0((st) => fpu.frsp(st, 4, 2)),
  fctiw: st0((st) => fpu.fctiw(st, 4, 2)),
  fctiwz: st0((st) => fpu.fctiwz(st, 4, 2)),
  fneg: st0((st) => fpu.fneg(st, 4, 2)),
  fabs: st0((st) => fpu.fabs(st, 4, 2)),
  fnabs: st0((st) => fpu.fnabs(st, 4, 2)),
  fmr: st0((st) => fpu.fmr(st, 4, 2)),
  mffs: st0((st) => fpu.mffs(st, 4)),
  fcmpu: (st) => {
    const status = fpu.fcmpu(st, 1, 2);
    return { status, field2: st.cr };
  },
  fcmpo: (st) => {
    const status = fpu.fcmpo(st, 1, 2);
    return { status, field2: st.cr };
  },
};

/** Resolve an op token ("fadd.", "mtfsfi.:3:a", "mcrfs:5", "lfs", ...). */
export function lookupOp(token: string, mem: number): OpSpec {
  const part = fields(token, ':');
  const arg = (i: number): number => parseInt(part(i), 16);
  const name = part(0);
  const rc = name.endsWith('.');
  const base = rc ? name.slice(0, -1) : name;
  switch (base) {
    case 'lfs':
      return spec((st) => { fpu.loadSingle(st, 4, mem); return { status: 0 }; }, false);
    case 'stfs':
      return spec((st) => ({ status: 0, store: fpu.storeSingleBits(st, 2) }), false, true);
    case 'stfiwx':
      return spec((st) => ({ status: 0, store: fpu.storeIntWordBits(st, 2) }), false, true);
    case 'mcrfs': {
      const bfa = arg(1);
      return spec((st) => ({ status: 0, field2: fpu.mcrfs(st, bfa) }), rc);
    }
    case 'mtfsfi': {
      const bf = arg(1);
      const u = arg(2);
      return spec(st0((st) => fpu.mtfsfi(st, bf, u)), rc, false, true);
    }
    case 'mtfsb0':
    case 'mtfsb1': {
      const bt = arg(1);
      const fn = base === 'mtfsb0' ? fpu.mtfsb0 : fpu.mtfsb1;
      return spec(st0((st) => fn(st, bt)), rc, false, true);
    }
    case 'mtfsf': {
      const flm = arg(1);
      return spec(st0((st) => fpu.mtfsf(st, flm, 1)), rc, false, true);
    }
    default: {
      const exec = BASE_OPS[base];
      if (!exec) throw new Error(`unknown op ${token}`);
      return spec(exec, rc);
    }
  }
}

export interface CaseInput {
  op: string;
  fpscr: number;
  a: bigint;
  b: bigint;
  c: bigint;
  mem: number;
}

/** Run one instruction the way ops.S does: FPSCR via mtfsf 0xff, f1..f4
 *  loaded, CR cleared; msrFe mirrors MSR[FE0|FE1]. */
export function runCase(inp: CaseInput, msrFe = false): Outcome {
  const op = lookupOp(inp.op, inp.mem);
  const st = new fpu.FpuState();
  st.setBits(0, BigInt(inp.fpscr >>> 0));
  fpu.mtfsf(st, 0xff, 0);
  st.setBits(0, 0n);
  st.setBits(1, inp.a);
  st.setBits(2, inp.b);
  st.setBits(3, inp.c);
  st.setBits(4, SENTINEL);
  st.fe = msrFe;
  const r = op.exec(st);
  let cr = 0;
  const trapped = msrFe && r.status === fpu.FP_ENABLED_EXCEPTION;
  if (op.rc && (!trapped || op.cr1BeforeTrap)) cr |= fpu.cr1FromFpscr(st) << 4;
  if (r.field2 !== undefined) cr |= r.field2;
  return {
    res: op.store ? BigInt((r.store ?? 0) >>> 0) : st.getBits(4),
    fpscr: BigInt(st.fpscr >>> 0),
    cr,
    status: r.status,
  };
}

export interface VectorLine {
  lineNo: number;
  text: string;
  input: Omit<CaseInput, 'fpscr'> & { fpscr0: number };
  runs: { mode: number; res: bigint; fpscr: bigint; cr: number }[];
}

/** 64-bit FPR images are written without their trailing zero digits. */
function fprImage(tok: string): bigint {
  if (!/^[0-9a-f]{1,16}$/.test(tok)) throw new Error(`bad FPR image ${tok}`);
  return BigInt('0x' + tok.padEnd(16, '0'));
}

/** Parse operand table and case lines; other line kinds are returned raw. */
export function parseVectors(lines: string[]): { cases: VectorLine[]; other: string[] } {
  const table = new Map<number, bigint>();
  const cases: VectorLine[] = [];
  const other: string[] = [];
  const operand = (tok: string): bigint => {
    if (tok === '-') return 0n;
    if (tok.startsWith('@')) {
      const v = table.get(parseInt(tok.slice(1), 10));
      if (v === undefined) throw new Error(`bad operand ref ${tok}`);
      return v;
    }
    return fprImage(tok);
  };
  lines.forEach((text, idx) => {
    if (text === '' || text.startsWith('#')) return;
    const t = fields(text);
    const op = t(0);
    if (op === 'V') {
      table.set(parseInt(t(1), 10), fprImage(t(2)));
      return;
    }
    if (op === 'T' || op === 'P' || op.startsWith('!')) {
      other.push(text);
      return;
    }
    const fpscr0 = parseInt(t(1), 16);
    const modes = t(2);
    const isMem = op === 'lfs';
    const mem = isMem ? parseInt(t(3), 16) >>> 0 : 0;
    const a = isMem ? 0n : operand(t(3));
    const b = operand(t(4));
    const c = operand(t(5));
    const isStore = op === 'stfs' || op === 'stfiwx';
    const runs: VectorLine['runs'] = [];
    let k = 6;
    let prev: VectorLine['runs'][number] | undefined;
    const previous = (): VectorLine['runs'][number] => {
      if (prev === undefined) throw new Error(`line ${idx + 1}: the first run cannot repeat ('=') a previous one`);
      return prev;
    };
    for (const ch of modes) {
      const mode = ch.charCodeAt(0) - 48;
      const rt = t(k++);
      const ft = t(k++);
      const ct = t(k++);
      const res = rt === '=' ? previous().res : rt === 'S' ? SENTINEL : isStore ? BigInt('0x' + rt) : fprImage(rt);
      const fpscr = ft === '=' ? previous().fpscr ^ BigInt(mode ^ previous().mode) : BigInt('0x' + ft);
      const cr = ct === '=' ? previous().cr : parseInt(ct, 16);
      prev = { mode, res, fpscr, cr };
      runs.push(prev);
    }
    cases.push({ lineNo: idx + 1, text, input: { op, fpscr0, a, b, c, mem }, runs });
  });
  return { cases, other };
}

const hex = (v: bigint, n: number): string => v.toString(16).padStart(n, '0');

/** Replay every case; returns human-readable mismatch descriptions. */
export function replay(cases: VectorLine[], limit = Infinity): { runs: number; failures: string[] } {
  const failures: string[] = [];
  let runs = 0;
  for (const vc of cases) {
    for (const run of vc.runs) {
      runs++;
      const inp: CaseInput = { ...vc.input, fpscr: ((vc.input.fpscr0 & ~3) | run.mode) >>> 0 };
      let got: Outcome;
      try {
        got = runCase(inp);
      } catch (e) {
        failures.push(`line ${vc.lineNo} mode ${run.mode}: threw ${(e as Error).message}\n  ${vc.text}`);
        if (failures.length >= limit) return { runs, failures };
        continue;
      }
      if (got.res !== run.res || got.fpscr !== run.fpscr || got.cr !== run.cr) {
        failures.push(
          `line ${vc.lineNo} mode ${run.mode} ${vc.input.op} a=${hex(inp.a, 16)} b=${hex(inp.b, 16)} c=${hex(inp.c, 16)}` +
          ` fpscr0=${hex(BigInt(inp.fpscr), 8)}\n` +
          `  qemu: res=${hex(run.res, 16)} fpscr=${hex(run.fpscr, 8)} cr=${run.cr.toString(16).padStart(3, '0')}\n` +
          `  ours: res=${hex(got.res, 16)} fpscr=${hex(got.fpscr, 8)} cr=${got.cr.toString(16).padStart(3, '0')}`);
        if (failures.length >= limit) return { runs, failures };
      }
    }
  }
  return { runs, failures };
}
