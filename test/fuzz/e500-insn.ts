/**
 * Instruction-stream fuzz target for the e500 engine: random and mutated instruction streams
 * in supervisor and user mode, with random TLB contents, SPRs and pending interrupts, run
 * once by the interpreter alone and once with every block translated before it first runs;
 * both must end in the same complete architected state (GPRs and SPE upper halves, CR, XER,
 * LR, CTR, MSR, PC, every SPR, FPRs/FPSCR, ACC, the timers' registers, the TLB array, all of
 * RAM), with the same exits to the VMM on the way, and neither may throw.
 *
 * A case is self-contained JSON (the initial state, not a generator seed), so a saved
 * failing case replays unchanged when the generator changes. The fuzz harness runs this as
 * the target `e500-insn` (targets/e500-insn.ts: `npm run fuzz -- --target e500-insn`; saved
 * cases under test/fuzz-cases/e500-insn/ are replayed by test/unit/fuzz/replay.test.ts).
 *
 * Entry points: `generateCase` / `mutateCase` / `restateCase` (random cases), `parseCase`,
 * `runCase` (one engine), `checkCase` (both engines, compared), `singleInstructionCase`
 * (the equivalence test's cases).
 */
import type { GuestPhysAddr, MemoryBacking } from '../../src/api/memory.js';
import { Cpu } from '../../src/accel/e500/cpu.js';
import { Engine, type JitMode } from '../../src/accel/e500/engine.js';
import { Decoder } from '../../src/accel/e500/insn/decoder.js';
import { INSN_TABLE, type InsnDef } from '../../src/accel/e500/insn/table.js';
import { CPU_MODELS, FAMILY_TRAITS, MSR, type CoreFamily } from '../../src/accel/e500/models.js';
import { PhysMap } from '../../src/accel/e500/phys-map.js';
import type { VirtualClock } from '../../src/accel/e500/timers.js';
import { Pending } from '../../src/accel/e500/interrupts.js';

// ---- layout of the fuzz machine ---------------------------------------------------------------

export const RAM_BYTES = 0x100000;
/** Interrupt vectors (IVPR = 0, IVORn = VECTORS + n * 0x40), then the code under test, then data. */
const VECTORS = 0x100;
export const CODE = 0x10000;
export const DATA = 0x20000;
const DATA_BYTES = 0x20000;
/** A store here (EA 0xFFFF_FFFC, mapped to an MMIO page) ends the case: `stw r0,-4(0)`. */
export const STOP_EA = 0xfffffffc;
const STOP_PA = 0x10000000;
export const STOP_WORD = ((36 << 26) | 0xfffc) >>> 0;
/** Other MMIO: reads answer a hash of the address. */
const MMIO_EA = 0xfff00000;

/**
 * Instructions (and faults) per case before it counts as not terminating (then only "no
 * crash" is checked).
 */
const LIMIT = 20000;
const MAX_EXITS = 200;

// ---- cases ------------------------------------------------------------------------------------------

export interface TlbEntryState {
  /** Entry index (TLB0 first, then TLB1). */
  readonly e: number;
  readonly mas1: number;
  readonly mas2: number;
  readonly mas3: number;
  readonly mas7: number;
  readonly mas8: number;
}

export interface CaseState {
  readonly v: 1;
  readonly family: CoreFamily;
  readonly pc: number;
  readonly msr: number;
  readonly gpr: readonly number[];
  readonly gprHigh: readonly number[];
  readonly cr: number;
  readonly xer: number;
  readonly lr: number;
  readonly ctr: number;
  /** SPRs written straight into the SPR file ([number, value]). */
  readonly sprs: readonly (readonly [number, number])[];
  readonly pids: readonly [number, number, number];
  readonly fpr: readonly number[];
  readonly fpscr: number;
  readonly acc: readonly [number, number];
  readonly tsr: number;
  readonly tcr: number;
  /** Pending bits of external/critical inputs. */
  readonly lines: number;
  readonly tlb: readonly TlbEntryState[];
  /** RAM: data filled from this seed, then the code words at CODE. */
  readonly dataSeed: number;
  readonly code: readonly number[];
  /** Optional extra words ([address, word]), e.g. handler code a mutation produced. */
  readonly patches?: readonly (readonly [number, number])[];
}

/** xorshift32: deterministic, seedable. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  u32(): number {
    let s = this.s;
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    this.s = s >>> 0;
    return this.s;
  }
  below(n: number): number {
    return this.u32() % n;
  }
  chance(p: number): boolean {
    return this.u32() / 0x100000000 < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.below(xs.length)]!;
  }
  /** A 32-bit value biased towards the interesting ones. */
  value(): number {
    switch (this.below(8)) {
      case 0:
        return 0;
      case 1:
        return this.pick([1, -1, 0x7fffffff, -0x80000000, 0x80000000, 0xffff, 0x8000, 31, 32, 63]) | 0;
      case 2:
        return this.below(64) - 32;
      case 3:
        return (this.u32() & 0xffff) - 0x8000;
      default:
        return this.u32() | 0;
    }
  }
}

const SPRG4 = 276;
const SRR0 = 26;
const CSRR0 = 58;
const MCSRR0 = 570;
const DSRR0 = 574;

/** Encodings the handlers use. */
const enc = {
  mtspr: (spr: number, rs: number): number => ((31 << 26) | (rs << 21) | ((spr & 31) << 16) | ((spr >>> 5) << 11) | (467 << 1)) >>> 0,
  mfspr: (rt: number, spr: number): number => ((31 << 26) | (rt << 21) | ((spr & 31) << 16) | ((spr >>> 5) << 11) | (339 << 1)) >>> 0,
  addi: (rt: number, ra: number, imm: number): number => ((14 << 26) | (rt << 21) | (ra << 16) | (imm & 0xffff)) >>> 0,
  xl19: (xo: number): number => ((19 << 26) | (xo << 1)) >>> 0,
};

/** IVOR numbers a family has, and the save/restore pair and return of each. */
function vectors(family: CoreFamily): { n: number; srr0: number; ret: number }[] {
  const out: { n: number; srr0: number; ret: number }[] = [];
  const rfi = enc.xl19(50);
  const rfci = enc.xl19(51);
  const rfmci = enc.xl19(38);
  const rfdi = enc.xl19(39);
  const ns = family === 'e500v2' ? [...Array(16).keys(), 32, 33, 34, 35] : [...Array(16).keys(), 35, 36, 37, 38, 39, 40, 41];
  for (const n of ns) {
    if (n === 0 || n === 12 || n === 37) out.push({ n, srr0: CSRR0, ret: rfci });
    else if (n === 1) out.push({ n, srr0: MCSRR0, ret: rfmci });
    else if (n === 15) out.push(family === 'e500mc' ? { n, srr0: DSRR0, ret: rfdi } : { n, srr0: CSRR0, ret: rfci });
    else out.push({ n, srr0: SRR0, ret: rfi });
  }
  return out;
}

function ivorSpr(n: number): number {
  if (n <= 15) return 400 + n;
  if (n <= 37) return 528 + (n - 32);
  return 432 + (n - 38);
}

/**
 * Handler code: skip the instruction that trapped and return (r31 kept in SPRG4), so a
 * stream goes on after its faults.
 */
function handler(srr0: number, ret: number): number[] {
  return [enc.mtspr(SPRG4, 31), enc.mfspr(31, srr0), enc.addi(31, 31, 4), enc.mtspr(srr0, 31), enc.mfspr(31, SPRG4), ret];
}

const MAS1_V = 0x80000000;
const MAS1_IPROT = 0x40000000;

/** The fixed TLB1 entries every case has: vectors/code/data in both address spaces, the MMIO pages. */
function baseTlb(family: CoreFamily): TlbEntryState[] {
  const t1 = FAMILY_TRAITS[family].tlb0.entries;
  const all = 0x3f; // UX SX UW SW UR SR
  const e = (k: number, mas1: number, mas2: number, mas3: number): TlbEntryState => ({ e: t1 + k, mas1: mas1 >>> 0, mas2: mas2 >>> 0, mas3: mas3 >>> 0, mas7: 0, mas8: 0 });
  return [
    // 1 MiB of RAM at EA 0 in AS0 and AS1 (TSIZE 5)
    e(0, MAS1_V | MAS1_IPROT | (5 << 8), 0, all),
    e(1, MAS1_V | MAS1_IPROT | (1 << 12) | (5 << 8), 0, all),
    // the stop page and other MMIO (caching-inhibited, guarded), both address spaces
    e(2, MAS1_V | MAS1_IPROT | (1 << 8), 0xfffff00a, STOP_PA | 0x0f),
    e(3, MAS1_V | MAS1_IPROT | (1 << 12) | (1 << 8), 0xfffff00a, STOP_PA | 0x0f),
    e(4, MAS1_V | MAS1_IPROT | (1 << 8), MMIO_EA | 0xa, (STOP_PA + 0x100000) | 0x0f),
  ];
}

/** Random extra TLB entries: TLB0 pages over the data, a TLB1 entry or two. */
function randomTlb(r: Rng, family: CoreFamily): TlbEntryState[] {
  const t = FAMILY_TRAITS[family];
  const out: TlbEntryState[] = [];
  const sets = t.tlb0.entries / t.tlb0.ways;
  for (let k = r.below(12); k > 0; k--) {
    const ea = r.chance(0.6) ? (0x40000 + r.below(64) * 0x1000) >>> 0 : (r.u32() & 0xfffff000) >>> 0;
    const pa = DATA + r.below(DATA_BYTES / 0x1000) * 0x1000;
    const set = (ea >>> 12) & (sets - 1);
    const tid = r.chance(0.7) ? 0 : r.below(4);
    const mas1 = MAS1_V | (tid << 16) | (r.chance(0.3) ? 1 << 12 : 0) | (1 << 8);
    out.push({ e: set * t.tlb0.ways + r.below(t.tlb0.ways), mas1: mas1 >>> 0, mas2: (ea | (r.chance(0.1) ? r.below(32) : 0)) >>> 0, mas3: (pa | (r.u32() & 0x3f)) >>> 0, mas7: 0, mas8: 0 });
  }
  for (let k = r.below(3); k > 0; k--) {
    const ea = (0x00800000 + r.below(16) * 0x10000) >>> 0;
    out.push({ e: t.tlb0.entries + 5 + r.below(t.tlb1Entries - 5), mas1: (MAS1_V | (r.below(2) << 12) | (3 << 8)) >>> 0, mas2: ea, mas3: (DATA | (r.u32() & 0x3f)) >>> 0, mas7: 0, mas8: 0 });
  }
  return out;
}

function handlerPatches(family: CoreFamily): [number, number][] {
  const out: [number, number][] = [];
  for (const v of vectors(family)) handler(v.srr0, v.ret).forEach((w, k) => out.push([VECTORS + v.n * 0x40 + 4 * k, w]));
  return out;
}

/** An encoding of `def` with random operand fields (the decoder may still find it an invalid form). */
export function encode(def: InsnDef, r: Rng, rc: boolean, oe: boolean): number {
  let w = (def.op << 26) >>> 0;
  w |= r.u32() & 0x03fffffe;
  switch (def.xoKind) {
    case 'x':
      w = (w & ~0x7fe) | (def.xo! << 1);
      break;
    case 'xo':
      w = (w & ~0x7fe) | (def.xo! << 1) | (oe ? 0x400 : 0);
      break;
    case 'a':
      w = (w & ~0x3e) | (def.xo! << 1);
      break;
    case 'evx':
      w = (w & ~0x7ff) | def.xo!;
      break;
    case 'none':
      break;
  }
  if (def.xoKind !== 'evx') w = (w & ~1) | (rc ? 1 : 0);
  // Addresses mostly through the data pointers r1..r3 (rA), small displacements.
  if (r.chance(0.7)) w = (w & ~(31 << 16)) | ((1 + r.below(3)) << 16);
  if ((def.imm === 'simm' || def.imm === 'bd') && r.chance(0.7)) w = (w & ~0xffff) | ((r.below(256) - 128) & 0xfffc);
  if (def.imm === 'li' && r.chance(0.8)) w = (w & ~0x03fffffc) | ((r.below(64) - 32) * 4 & 0x03fffffc);
  // Mostly a valid form (reserved bits clear), so the form's semantics are compared and not
  // only its illegal-instruction interrupt; sometimes an invalid one, which must fault alike.
  if (def.reserved !== undefined && !r.chance(0.1)) w &= ~def.reserved;
  return w >>> 0;
}

function available(def: InsnDef, family: CoreFamily): boolean {
  const t = FAMILY_TRAITS[family];
  if (def.avail === 'all') return true;
  if (def.avail === 'fpu') return t.hasFpu;
  if (def.avail === 'spe') return t.hasSpe;
  if (def.avail === 'dcr') return false;
  return def.avail === family;
}

export function definitionsOf(family: CoreFamily): InsnDef[] {
  return INSN_TABLE.filter((d) => available(d, family));
}

/** SPRs a case may set straight in the SPR file (besides the family's own below). */
const RANDOM_SPRS = [SRR0, 27, CSRR0, 59, 61, 62, 256, 272, 273, 274, 275, 277, 278, 279, 624, 625, 626, 627, 628, 630, 944, 1008];
const FAMILY_SPRS: Record<CoreFamily, readonly number[]> = { e500v2: [512], e500mc: [339, 341] };

/** A random initial state around a given code stream. */
function randomState(r: Rng, family: CoreFamily, code: readonly number[]): CaseState {
  const gpr = Array.from({ length: 32 }, () => r.value());
  for (let k = 1; k <= 3; k++) gpr[k] = DATA + r.below(DATA_BYTES / 8) * 4 + (r.chance(0.1) ? r.below(4) : 0);
  const user = r.chance(0.3);
  const as = r.chance(0.2) ? MSR.IS | MSR.DS : 0;
  let msr = (user ? MSR.PR : 0) | as | MSR.ME;
  if (r.chance(0.2)) msr |= MSR.EE;
  if (r.chance(0.2)) msr |= MSR.CE;
  if (r.chance(0.1)) msr |= MSR.DE;
  if (r.chance(0.7)) msr |= family === 'e500mc' ? MSR.FP : MSR.SPE;
  if (r.chance(0.1)) msr |= MSR.FE0 | (r.chance(0.5) ? MSR.FE1 : 0);
  if (r.chance(0.1)) msr |= MSR.UCLE;
  const sprs: [number, number][] = [];
  for (const s of RANDOM_SPRS) {
    if (r.chance(0.5)) sprs.push([s, r.u32()]);
  }
  if (family === 'e500v2') sprs.push([512, r.chance(0.5) ? 0 : r.u32() & 0x7f]);
  if (family === 'e500mc') sprs.push([339, r.chance(0.5) ? 0 : r.u32()], [341, r.chance(0.5) ? 0 : r.u32()]);
  const tcr = r.chance(0.2) ? (r.u32() & 0x0c800000) >>> 0 : 0;
  const tsr = r.chance(0.2) ? (r.u32() & 0x0c000000) >>> 0 : 0;
  return {
    v: 1,
    family,
    pc: CODE,
    msr,
    gpr,
    gprHigh: Array.from({ length: 32 }, () => r.value()),
    cr: r.u32(),
    xer: (r.u32() & 0xe000007f) >>> 0,
    lr: r.chance(0.5) ? CODE + 4 * r.below(code.length + 1) : r.u32(),
    ctr: r.chance(0.5) ? r.below(8) : r.u32(),
    sprs,
    pids: [r.chance(0.7) ? 0 : r.below(4), r.chance(0.8) ? 0 : r.below(4), r.chance(0.8) ? 0 : r.below(4)],
    fpr: Array.from({ length: 64 }, () => r.u32()),
    fpscr: r.chance(0.5) ? 0 : (r.u32() & 0x9ff800ff) >>> 0,
    acc: [r.u32(), r.u32()],
    tsr,
    tcr,
    lines: (r.chance(0.1) ? Pending.External : 0) | (r.chance(0.05) ? Pending.CriticalInput : 0),
    tlb: [...baseTlb(family), ...randomTlb(r, family)],
    dataSeed: r.u32(),
    code,
  };
}

/** A random stream: mostly valid instructions of the family, some raw words, then the stop. */
export function generateCase(seed: number, family?: CoreFamily): CaseState {
  const r = new Rng(seed);
  const fam = family ?? (r.chance(0.5) ? 'e500v2' : 'e500mc');
  const defs = definitionsOf(fam);
  const n = 1 + r.below(40);
  const code: number[] = [];
  for (let k = 0; k < n; k++) {
    if (r.chance(0.08)) code.push(r.u32());
    else {
      const d = r.pick(defs);
      code.push(encode(d, r, d.rc === true && r.chance(0.5), d.oe === true && r.chance(0.3)));
    }
  }
  code.push(STOP_WORD);
  return randomState(r, fam, code);
}

/** A variation of a case: words changed, swapped, duplicated or bits flipped. */
export function mutateCase(c: CaseState, seed: number): CaseState {
  const r = new Rng(seed);
  const code = [...c.code];
  for (let k = 1 + r.below(3); k > 0; k--) {
    const i = r.below(code.length);
    switch (r.below(4)) {
      case 0:
        code[i] = (code[i]! ^ (1 << r.below(32))) >>> 0;
        break;
      case 1:
        code.splice(r.below(code.length), 0, code[i]!);
        break;
      case 2: {
        const j = r.below(code.length);
        [code[i], code[j]] = [code[j]!, code[i]!];
        break;
      }
      default: {
        const d = r.pick(definitionsOf(c.family));
        code[i] = encode(d, r, r.chance(0.5), r.chance(0.2));
      }
    }
  }
  if (code[code.length - 1] !== STOP_WORD) code.push(STOP_WORD);
  return { ...c, code, gpr: r.chance(0.5) ? c.gpr.map((v) => (r.chance(0.1) ? r.value() : v)) : c.gpr };
}

/** The same code (and patches) in a fresh random state: mode, address space, TLB, SPRs, interrupts. */
export function restateCase(c: CaseState, seed: number): CaseState {
  const s = randomState(new Rng(seed), c.family, c.code);
  return c.patches === undefined ? s : { ...s, patches: c.patches };
}

/** The equivalence test's case: one instruction form with random operands and state, then the stop. */
export function singleInstructionCase(def: InsnDef, family: CoreFamily, seed: number, rc: boolean, oe: boolean): CaseState {
  const r = new Rng(seed);
  const word = encode(def, r, rc, oe);
  return randomState(r, family, [word, STOP_WORD]);
}

/** The most code words a case holds (the stream must end before the data). */
const MAX_CODE_WORDS = (DATA - CODE) / 4;

/**
 * A case from its JSON text, or null when the text is not a well-formed case (the shapes
 * and ranges `generateCase` produces): a saved or mutated input runs only when it describes
 * a machine the runner can build, so malformed text is never a finding.
 */
export function parseCase(text: string): CaseState | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  const u32 = (x: unknown): boolean => typeof x === 'number' && Number.isInteger(x) && x >= -0x80000000 && x <= 0xffffffff;
  const words = (x: unknown, n?: number): boolean => Array.isArray(x) && (n === undefined || x.length === n) && x.every(u32);
  const pairs = (x: unknown, ok: (a: number) => boolean): boolean =>
    Array.isArray(x) && x.every((p) => Array.isArray(p) && p.length === 2 && u32(p[0]) && u32(p[1]) && ok(p[0] as number));
  if (o['v'] !== 1 || (o['family'] !== 'e500v2' && o['family'] !== 'e500mc')) return null;
  const family = o['family'];
  for (const k of ['pc', 'msr', 'cr', 'xer', 'lr', 'ctr', 'fpscr', 'tsr', 'tcr', 'lines', 'dataSeed']) if (!u32(o[k])) return null;
  if (!words(o['gpr'], 32) || !words(o['gprHigh'], 32) || !words(o['fpr'], 64) || !words(o['pids'], 3) || !words(o['acc'], 2)) return null;
  if (!words(o['code']) || (o['code'] as unknown[]).length === 0 || (o['code'] as unknown[]).length > MAX_CODE_WORDS) return null;
  if (!pairs(o['sprs'], (n) => RANDOM_SPRS.includes(n) || FAMILY_SPRS[family].includes(n))) return null;
  if (o['patches'] !== undefined && !pairs(o['patches'], (a) => a >= 0 && a % 4 === 0 && a < RAM_BYTES)) return null;
  if ((o['lines'] as number) & ~(Pending.External | Pending.CriticalInput)) return null;
  const entries = FAMILY_TRAITS[family].tlb0.entries + FAMILY_TRAITS[family].tlb1Entries;
  const entry = (t: unknown): boolean => {
    if (typeof t !== 'object' || t === null) return false;
    const e = t as Record<string, unknown>;
    return ['e', 'mas1', 'mas2', 'mas3', 'mas7', 'mas8'].every((k) => u32(e[k])) && (e['e'] as number) >= 0 && (e['e'] as number) < entries;
  };
  if (!Array.isArray(o['tlb']) || !o['tlb'].every(entry)) return null;
  return o as unknown as CaseState;
}

// ---- running a case ----------------------------------------------------------------------------------

/** A frozen clock: no time passes, so timer state changes only when the guest writes it. */
const FROZEN: VirtualClock = { nowMs: () => 0 };

export interface Outcome {
  /** How the case ended. */
  readonly end: 'stop' | 'limit' | 'halt' | 'exits' | 'error';
  readonly error?: string;
  /** What was thrown, when end is 'error' (rethrown by the fuzz target, so its stack is the finding's). */
  readonly thrown?: unknown;
  /** Every exit to the VMM, in order. */
  readonly exits: readonly string[];
  /** The architected state at the end (only meaningful when end is 'stop' or 'halt'). */
  readonly state: Record<string, unknown>;
  /** RAM at the end. */
  readonly ram: Uint8Array;
  readonly instructions: number;
}

function fillRam(bytes: Uint8Array, c: CaseState): void {
  const r = new Rng(c.dataSeed);
  const view = new DataView(bytes.buffer);
  for (let k = DATA; k < DATA + DATA_BYTES; k += 4) view.setUint32(k, r.chance(0.3) ? 0 : r.u32());
  // Code space around the stream is all stops, so a branch or a skipped instruction ends the case soon.
  for (let k = 0x1000; k < DATA; k += 4) view.setUint32(k, STOP_WORD);
  for (const [a, w] of handlerPatches(c.family)) view.setUint32(a, w);
  c.code.forEach((w, k) => view.setUint32(CODE + 4 * k, w >>> 0));
  for (const [a, w] of c.patches ?? []) if (a >= 0 && a + 4 <= RAM_BYTES) view.setUint32(a, w >>> 0);
}

/** Builds the machine for a case and runs it with one engine. */
export function runCase(c: CaseState, jit: JitMode): Outcome {
  const buffer = new ArrayBuffer(RAM_BYTES);
  const bytes = new Uint8Array(buffer);
  const backing: MemoryBacking = { id: 901, name: 'fuzz-ram', size: RAM_BYTES, chunks: [bytes], chunkBytes: RAM_BYTES, bytes, view: new DataView(buffer) };
  fillRam(backing.bytes, c);
  const phys = new PhysMap([{ guestAddr: 0 as GuestPhysAddr, size: RAM_BYTES, backing, offset: 0 }], 0);
  const model = c.family === 'e500v2' ? CPU_MODELS.get('e500v2_v30')! : CPU_MODELS.get('e500mc')!;
  const cpu = new Cpu({ model, vcpuId: 0, phys, clock: FROZEN, timebaseHz: 100_000_000, features: new Set() });
  cpu.log = () => {};
  const decoder = new Decoder(c.family, FAMILY_TRAITS[c.family], new Set());
  const engine = new Engine(cpu, decoder, new Int32Array(new SharedArrayBuffer(16)), { jit });
  const exits: string[] = [];
  let end: Outcome['end'] = 'exits';
  let error: string | undefined;
  let thrown: unknown;
  try {
    load(cpu, c);
    for (let n = 0; n < MAX_EXITS; n++) {
      const e = engine.runSlice(LIMIT);
      if (e === null) {
        if (cpu.halted && !cpu.irqReady) {
          end = 'halt';
          break;
        }
        // The slice's budget (instructions and faults) is used up: a loop, not a stream that ends.
        if (!cpu.halted) {
          end = 'limit';
          break;
        }
        continue;
      }
      if (e.kind === 'mmio') {
        exits.push(`mmio ${e.isWrite ? 'w' : 'r'} ${e.addr.toString(16)}/${e.size} ${e.isWrite ? [...e.data.subarray(0, e.size)].join(',') : ''}`);
        if (e.isWrite && e.addr === STOP_PA + 0xffc) {
          end = 'stop';
          break;
        }
        if (!e.isWrite) for (let k = 0; k < e.size; k++) e.data[k] = (e.addr * 31 + k * 7) & 0xff;
        continue;
      }
      exits.push(e.kind);
      if (e.kind === 'halt') continue;
      end = 'exits';
      break;
    }
  } catch (err) {
    end = 'error';
    error = (err as Error).stack ?? String(err);
    thrown = err;
  }
  return { end, ...(error !== undefined ? { error, thrown } : {}), exits, state: snapshot(cpu), ram: backing.bytes, instructions: cpu.counters.instructions };
}

function load(cpu: Cpu, c: CaseState): void {
  cpu.gpr.set(c.gpr.map((v) => v | 0));
  cpu.gprHigh.set(c.gprHigh.map((v) => v | 0));
  cpu.cr = c.cr;
  cpu.xer = c.xer;
  cpu.lr = c.lr | 0;
  cpu.ctr = c.ctr | 0;
  for (const [n, v] of c.sprs) cpu.spr[n] = v >>> 0;
  cpu.spr[63] = 0; // IVPR
  for (const v of vectors(c.family)) cpu.spr[ivorSpr(v.n)] = VECTORS + v.n * 0x40;
  cpu.mmu.setPid(0, c.pids[0]);
  if (cpu.traits.pidCount >= 2) cpu.mmu.setPid(1, c.pids[1]);
  if (cpu.traits.pidCount >= 3) cpu.mmu.setPid(2, c.pids[2]);
  c.fpr.forEach((w, k) => (cpu.fpu.words[k] = w >>> 0));
  cpu.fpu.fpscr = c.fpscr >>> 0;
  cpu.accHi = c.acc[0] | 0;
  cpu.accLo = c.acc[1] | 0;
  cpu.timers.writeTcr(c.tcr);
  cpu.timers.orTsr(c.tsr);
  for (const t of c.tlb) if (t.e < cpu.mmu.tlb.totalEntries) cpu.mmu.tlb.write(t.e, t.mas1 >>> 0, t.mas2 >>> 0, t.mas3 >>> 0, t.mas7 >>> 0, t.mas8 >>> 0);
  cpu.mmu.flushSoftTlb();
  cpu.irq.lines = c.lines;
  cpu.pc = c.pc | 0;
  cpu.setMsr(c.msr);
}

/** Everything architected, as comparable plain values. */
function snapshot(cpu: Cpu): Record<string, unknown> {
  return {
    pc: cpu.pc >>> 0,
    msr: cpu.msr >>> 0,
    gpr: [...cpu.gpr],
    gprHigh: [...cpu.gprHigh],
    cr: cpu.cr,
    xer: cpu.xer,
    lr: cpu.lr >>> 0,
    ctr: cpu.ctr >>> 0,
    spr: [...cpu.spr],
    fpr: [...cpu.fpu.words],
    fpscr: cpu.fpu.fpscr >>> 0,
    acc: [cpu.accHi | 0, cpu.accLo | 0],
    timers: [cpu.timers.tsr >>> 0, cpu.timers.tcr >>> 0, cpu.timers.decar >>> 0],
    tlb: [...cpu.mmu.tlb.words],
    pids: [cpu.mmu.pid0, cpu.mmu.pid1, cpu.mmu.pid2],
    resv: [cpu.resvValid, cpu.resvValid ? cpu.resvAddr : 0],
    halted: cpu.halted,
    lines: cpu.irq.lines,
  };
}

function diff(a: unknown, b: unknown, path: string, out: string[]): void {
  if (out.length >= 12) return;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let k = 0; k < Math.max(a.length, b.length); k++) diff(a[k], b[k], `${path}[${k}]`, out);
    return;
  }
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) diff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path === '' ? k : `${path}.${k}`, out);
    return;
  }
  if (a !== b) {
    const f = (v: unknown): string => (typeof v === 'number' ? `0x${(v >>> 0).toString(16)}` : JSON.stringify(v));
    out.push(`${path}: interpreter ${f(a)}, translator ${f(b)}`);
  }
}

export interface Verdict {
  readonly ok: boolean;
  /** What differed or went wrong (empty when ok). */
  readonly problems: readonly string[];
  /** The run reached the stop (or halted) in both engines, so its state was compared. */
  readonly compared: boolean;
  readonly interp: Outcome;
  readonly jit: Outcome;
}

/**
 * Runs a case with the interpreter alone (or takes that run) and with the translator in
 * `mode`, and compares them: 'always' translates every block before it runs, 'eager' after
 * its first interpreted run (so loops switch from interpreted to translated mid-way and
 * regions chain to blocks that are not translated yet).
 */
export function checkCase(c: CaseState, mode: JitMode = 'always', interp: Outcome = runCase(c, 'off')): Verdict {
  const jit = runCase(c, mode);
  const problems: string[] = [];
  if (interp.end === 'error') problems.push(`interpreter threw: ${interp.error}`);
  if (jit.end === 'error') problems.push(`translator threw: ${jit.error}`);
  const compared = (interp.end === 'stop' || interp.end === 'halt') && problems.length === 0;
  if (compared) {
    if (jit.end !== interp.end) problems.push(`ended by ${interp.end} in the interpreter, by ${jit.end} with the translator`);
    else {
      diff(interp.exits, jit.exits, 'exits', problems);
      diff(interp.state, jit.state, '', problems);
      if (Buffer.compare(interp.ram, jit.ram) !== 0) {
        const k = interp.ram.findIndex((b, i) => b !== jit.ram[i]);
        problems.push(`RAM differs first at 0x${k.toString(16)}: interpreter ${interp.ram[k]}, translator ${jit.ram[k]}`);
      }
      if (interp.instructions !== jit.instructions) problems.push(`instructions: interpreter ${interp.instructions}, translator ${jit.instructions}`);
    }
  }
  return { ok: problems.length === 0, problems, compared, interp, jit };
}
