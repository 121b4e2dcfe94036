/**
 * The e500 vCPU's registers as tag/value state.
 *
 * Ids use upstream KVM ONE_REG numbers for PowerPC where one exists (FPRs, FPSCR, MAS
 * registers, TCR/TSR, TLBnCFG, TB offset, …). State that upstream reaches through struct
 * ioctls gets ngkvm sets: GPRs (set 1), the core registers PC/MSR/CR/LR/CTR/XER (set 2),
 * every other SPR by its SPR number (set 3), and the state the architecture keeps outside
 * registers (set 4, seed 001's pseudo-registers): the SPE upper halves and accumulator, the
 * pending interrupt conditions (doorbells, external and critical inputs), the lwarx
 * reservation, the halted state, TLB0's next victim and the time base itself. With these,
 * `registerList()` is the whole vCPU (the TLB array aside, which is the shared array of
 * configTlb): a snapshot is every readable register, restored in list order.
 */
import {
  REG_ARCH_PPC,
  RegisterCatalogue,
  regId,
  type RegisterAccess,
  type RegisterDescriptor,
  type RegisterId,
  type RegisterSize,
} from '../../api/registers.js';
import { SPR, type Cpu } from './cpu.js';
import { fprHi, fprLo } from './fpu/state.js';
import { writeMsr } from './insn/system.js';
import { PENDING_LINES } from './interrupts.js';
import { sprTable } from './spr.js';
import type { CoreFamily } from './models.js';

export const SET_UPSTREAM = 0;
export const SET_GPR = 1;
export const SET_CORE = 2;
export const SET_SPR = 3;
export const SET_STATE = 4;

const ppc = (size: RegisterSize, set: number, n: number): RegisterId => regId(REG_ARCH_PPC, size, set, n);

/** Upstream KVM ONE_REG ids (arch/powerpc/include/uapi/asm/kvm.h). */
export const KVM_REG_PPC = {
  IAC1: ppc(8, 0, 0x2),
  IAC2: ppc(8, 0, 0x3),
  DAC1: ppc(8, 0, 0x6),
  DAC2: ppc(8, 0, 0x7),
  FPR0: ppc(8, 0, 0x20),
  FPSCR: ppc(8, 0, 0x80),
  EPR: ppc(4, 0, 0x86),
  TCR: ppc(4, 0, 0x89),
  TSR: ppc(4, 0, 0x8a),
  MAS0: ppc(4, 0, 0x8c),
  MAS1: ppc(4, 0, 0x8d),
  MAS2: ppc(8, 0, 0x8e),
  MAS7_3: ppc(8, 0, 0x8f),
  MAS4: ppc(4, 0, 0x90),
  MAS6: ppc(4, 0, 0x91),
  MMUCFG: ppc(4, 0, 0x92),
  TLB0CFG: ppc(4, 0, 0x93),
  TLB1CFG: ppc(4, 0, 0x94),
  TLB2CFG: ppc(4, 0, 0x95),
  TLB3CFG: ppc(4, 0, 0x96),
  TB_OFFSET: ppc(8, 0, 0x9c),
  VRSAVE: ppc(4, 0, 0xb4),
  SPRG9: ppc(8, 0, 0xba),
  DBSR: ppc(4, 0, 0xbb),
} as const;

export const gprId = (n: number): RegisterId => ppc(4, SET_GPR, n);
export const CORE = {
  PC: ppc(4, SET_CORE, 0),
  MSR: ppc(4, SET_CORE, 1),
  CR: ppc(4, SET_CORE, 2),
  LR: ppc(4, SET_CORE, 3),
  CTR: ppc(4, SET_CORE, 4),
  XER: ppc(4, SET_CORE, 5),
} as const;
export const sprId = (n: number): RegisterId => ppc(4, SET_SPR, n);
/** SPE upper half of GPR n (e500v2): bits 0–31 of the 64-bit register. */
export const gprHighId = (n: number): RegisterId => ppc(4, SET_STATE, n);
export const STATE = {
  /** SPE accumulator (e500v2). */
  ACC: ppc(8, SET_STATE, 32),
  /** Interrupt conditions held by lines and doorbells (not the timers'): Pending bits. */
  PENDING: ppc(4, SET_STATE, 33),
  /** lwarx reservation: bit 63 valid, bits 0–35 the physical address. */
  RESERVATION: ppc(8, SET_STATE, 34),
  /** 1 while the core waits for an interrupt (wait, MSR[WE]). */
  HALTED: ppc(4, SET_STATE, 35),
  /** TLB0 way the next miss proposes in MAS0[NV]. */
  TLB0_NV: ppc(4, SET_STATE, 36),
  /** The 64-bit time base as the guest reads it (what a migration carries; tb_offset is host-relative). */
  TB: ppc(8, SET_STATE, 37),
} as const;
export const fprId = (n: number): RegisterId => (KVM_REG_PPC.FPR0 + BigInt(n)) as RegisterId;

interface Accessor {
  readonly desc: RegisterDescriptor;
  get(c: Cpu): bigint;
  set(c: Cpu, v: bigint): void;
}

const u32 = (v: bigint): number => Number(v & 0xffffffffn) >>> 0;

function acc(
  id: RegisterId,
  name: string,
  size: number,
  access: RegisterAccess,
  get: (c: Cpu) => bigint,
  set: (c: Cpu, v: bigint) => void,
): Accessor {
  return { desc: { id, name, size, access }, get, set };
}

function spr32(id: RegisterId, name: string, n: number, access: RegisterAccess = 'read-write'): Accessor {
  return acc(
    id,
    name,
    4,
    access,
    (c) => BigInt(c.spr[n]!),
    (c, v) => {
      c.spr[n] = u32(v);
    },
  );
}

/** SPRs covered by an upstream id or a core-set register: not repeated in the SPR set. */
const COVERED_ELSEWHERE = new Set<number>([
  SPR.XER,
  SPR.LR,
  SPR.CTR,
  SPR.TCR,
  SPR.TSR,
  SPR.EPR,
  SPR.MAS0,
  SPR.MAS1,
  SPR.MAS2,
  SPR.MAS3,
  SPR.MAS4,
  SPR.MAS6,
  SPR.MAS7,
  SPR.MMUCFG,
  SPR.TLB0CFG,
  SPR.TLB1CFG,
  SPR.IAC1,
  SPR.IAC2,
  SPR.DAC1,
  SPR.DAC2,
  SPR.USPRG0,
  605,
  SPR.DBSR,
  SPR.TBL_R,
  SPR.TBU_R,
  SPR.TBL_W,
  SPR.TBU_W,
  SPR.DECAR,
  // User read-only SPRG aliases name the same registers as SPRG3..7.
  259,
  260,
  261,
  262,
  263,
]);

/** Registers whose value the host may set although the guest cannot (identification). */
const HOST_WRITABLE_ONLY = new Set<number>([SPR.PVR, SPR.SVR, SPR.L1CFG0, SPR.L1CFG1]);

function buildAccessors(family: CoreFamily): Map<RegisterId, Accessor> {
  const m = new Map<RegisterId, Accessor>();
  const add = (a: Accessor): void => {
    m.set(a.desc.id, a);
  };
  for (let n = 0; n < 32; n++) {
    add(
      acc(
        gprId(n),
        `r${n}`,
        4,
        'read-write',
        (c) => BigInt(c.gpr[n]! >>> 0),
        (c, v) => {
          c.gpr[n] = u32(v);
        },
      ),
    );
  }
  add(acc(CORE.PC, 'pc', 4, 'read-write', (c) => BigInt(c.pc >>> 0), (c, v) => void (c.pc = u32(v) & ~3)));
  add(acc(CORE.MSR, 'msr', 4, 'read-write', (c) => BigInt(c.msr), (c, v) => writeMsr(c, u32(v))));
  add(acc(CORE.CR, 'cr', 4, 'read-write', (c) => BigInt(c.cr >>> 0), (c, v) => void (c.cr = u32(v) | 0)));
  add(acc(CORE.LR, 'lr', 4, 'read-write', (c) => BigInt(c.lr >>> 0), (c, v) => void (c.lr = u32(v) | 0)));
  add(acc(CORE.CTR, 'ctr', 4, 'read-write', (c) => BigInt(c.ctr >>> 0), (c, v) => void (c.ctr = u32(v) | 0)));
  add(acc(CORE.XER, 'xer', 4, 'read-write', (c) => BigInt(c.xer), (c, v) => void (c.xer = u32(v))));

  const k = KVM_REG_PPC;
  add(
    acc(k.TCR, 'tcr', 4, 'read-write', (c) => BigInt(c.timers.tcr), (c, v) => {
      c.timers.writeTcr(u32(v));
      c.irq.update();
    }),
  );
  add(
    acc(k.TSR, 'tsr', 4, 'read-write', (c) => (c.timers.update(), BigInt(c.timers.tsr)), (c, v) => {
      c.timers.writeTsr(0xffffffff);
      c.timers.orTsr(u32(v));
      c.irq.update();
    }),
  );
  add(spr32(k.EPR, 'epr', SPR.EPR, 'guest-read-only'));
  add(spr32(k.MAS0, 'mas0', SPR.MAS0));
  add(spr32(k.MAS1, 'mas1', SPR.MAS1));
  add(acc(k.MAS2, 'mas2', 8, 'read-write', (c) => BigInt(c.spr[SPR.MAS2]!), (c, v) => void (c.spr[SPR.MAS2] = u32(v))));
  add(
    acc(
      k.MAS7_3,
      'mas7_3',
      8,
      'read-write',
      (c) => (BigInt(c.spr[SPR.MAS7]!) << 32n) | BigInt(c.spr[SPR.MAS3]!),
      (c, v) => {
        c.spr[SPR.MAS7] = u32(v >> 32n);
        c.spr[SPR.MAS3] = u32(v);
      },
    ),
  );
  add(spr32(k.MAS4, 'mas4', SPR.MAS4));
  add(spr32(k.MAS6, 'mas6', SPR.MAS6));
  add(acc(k.MMUCFG, 'mmucfg', 4, 'read-only', (c) => BigInt(c.traits.mmucfg), () => {}));
  add(acc(k.TLB0CFG, 'tlb0cfg', 4, 'read-only', (c) => BigInt(c.mmu.tlb0Cfg), () => {}));
  add(acc(k.TLB1CFG, 'tlb1cfg', 4, 'read-only', (c) => BigInt(c.mmu.tlb1Cfg), () => {}));
  add(acc(k.TLB2CFG, 'tlb2cfg', 4, 'read-only', () => 0n, () => {}));
  add(acc(k.TLB3CFG, 'tlb3cfg', 4, 'read-only', () => 0n, () => {}));
  add(
    acc(k.TB_OFFSET, 'tb_offset', 8, 'read-write', (c) => BigInt.asUintN(64, BigInt(c.timers.getTbOffset())), (c, v) => {
      const offset = Number(BigInt.asIntN(64, v));
      c.timers.setTb(c.timers.tb() - c.timers.getTbOffset() + offset);
    }),
  );
  for (const [id, name, n] of [
    [k.IAC1, 'iac1', SPR.IAC1],
    [k.IAC2, 'iac2', SPR.IAC2],
    [k.DAC1, 'dac1', SPR.DAC1],
    [k.DAC2, 'dac2', SPR.DAC2],
    [k.SPRG9, 'sprg9', 605],
  ] as const) {
    add(acc(id, name, 8, 'read-write', (c) => BigInt(c.spr[n]!), (c, v) => void (c.spr[n] = u32(v))));
  }
  add(spr32(k.VRSAVE, 'usprg0', SPR.USPRG0));
  // The guest cannot read DECAR; the host must, to carry it in a snapshot.
  add(acc(sprId(SPR.DECAR), 'decar', 4, 'read-write', (c) => BigInt(c.timers.decar), (c, v) => c.timers.writeDecar(u32(v))));
  add(acc(STATE.PENDING, 'pending', 4, 'read-write', (c) => BigInt(c.irq.lines & PENDING_LINES), (c, v) => {
    c.irq.lines = (c.irq.lines & ~PENDING_LINES) | (u32(v) & PENDING_LINES);
    c.irq.update();
  }));
  add(
    acc(
      STATE.RESERVATION,
      'reservation',
      8,
      'read-write',
      (c) => (c.resvValid ? (1n << 63n) | BigInt(c.resvAddr) : 0n),
      (c, v) => {
        c.resvValid = (v >> 63n) !== 0n;
        c.resvAddr = c.resvValid ? Number(v & 0xf_ffff_ffffn) : 0;
      },
    ),
  );
  add(acc(STATE.HALTED, 'halted', 4, 'read-write', (c) => (c.halted ? 1n : 0n), (c, v) => void (c.halted = (v & 1n) !== 0n)));
  add(acc(STATE.TLB0_NV, 'tlb0_nv', 4, 'read-write', (c) => BigInt(c.mmu.tlb0Nv), (c, v) => void (c.mmu.tlb0Nv = Number(v % BigInt(c.mmu.tlb.geometry.tlb0Ways)))));
  add(acc(STATE.TB, 'tb', 8, 'read-write', (c) => BigInt.asUintN(64, BigInt(c.timers.tb())), (c, v) => c.timers.setTb(Number(v))));
  if (family === 'e500v2') {
    for (let n = 0; n < 32; n++) {
      add(acc(gprHighId(n), `r${n}h`, 4, 'read-write', (c) => BigInt(c.gprHigh[n]! >>> 0), (c, v) => void (c.gprHigh[n] = u32(v))));
    }
    add(
      acc(STATE.ACC, 'acc', 8, 'read-write', (c) => (BigInt(c.accHi >>> 0) << 32n) | BigInt(c.accLo >>> 0), (c, v) => {
        c.accHi = u32(v >> 32n) | 0;
        c.accLo = u32(v) | 0;
      }),
    );
  }
  add(spr32(k.DBSR, 'dbsr', SPR.DBSR));
  if (family === 'e500mc') {
    for (let n = 0; n < 32; n++) {
      add(
        acc(
          fprId(n),
          `f${n}`,
          8,
          'read-write',
          (c) => (BigInt(fprHi(c.fpu, n)) << 32n) | BigInt(fprLo(c.fpu, n)),
          (c, v) => {
            c.fpu.words[2 * n + 1] = u32(v >> 32n);
            c.fpu.words[2 * n] = u32(v);
          },
        ),
      );
    }
    add(acc(k.FPSCR, 'fpscr', 8, 'read-write', (c) => BigInt(c.fpu.fpscr >>> 0), (c, v) => void (c.fpu.fpscr = u32(v))));
  }

  // Every other SPR of this core by number, with its side effects applied on writes.
  const table = sprTable(family);
  table.forEach((def, n) => {
    if (def === undefined || COVERED_ELSEWHERE.has(n)) return;
    const access: RegisterAccess = HOST_WRITABLE_ONLY.has(n)
      ? 'guest-read-only'
      : def.write === undefined
        ? 'read-only'
        : def.read === undefined
          ? 'read-write'
          : 'read-write';
    add(
      acc(
        sprId(n),
        def.name,
        4,
        access,
        (c) => BigInt(def.read !== undefined ? def.read(c) >>> 0 : c.spr[n]! >>> 0),
        (c, v) => {
          if (HOST_WRITABLE_ONLY.has(n) || def.write === undefined) c.spr[n] = u32(v);
          else def.write(c, u32(v));
        },
      ),
    );
  });
  return m;
}

const cache = new Map<CoreFamily, Map<RegisterId, Accessor>>();

export class RegisterFile {
  private readonly catalogue: RegisterCatalogue<Accessor>;
  readonly list: readonly RegisterDescriptor[];

  constructor(family: CoreFamily, owner: string) {
    let a = cache.get(family);
    if (a === undefined) {
      a = buildAccessors(family);
      cache.set(family, a);
    }
    this.catalogue = new RegisterCatalogue([...a.values()], (x) => x.desc, owner);
    this.list = this.catalogue.list;
  }

  get(c: Cpu, ids: readonly RegisterId[]): bigint[] {
    const accs = ids.map((id) => this.catalogue.lookup(id));
    return accs.map((a) => a.get(c));
  }

  /** Validates every value first, so a bad entry leaves all registers unchanged. */
  set(c: Cpu, values: Iterable<readonly [RegisterId, bigint]>): void {
    for (const [a, v] of this.catalogue.planWrites(values)) a.set(c, v);
  }
}
