/**
 * The CPU models the e500 accelerator provides, named as QEMU names them so command lines
 * and scripts carry over (`-cpu e500v2_v30`, `-cpu e500mc`).
 *
 * Configuration registers (TLBnCFG, MMUCFG) carry the values the real cores report, taken
 * from the e500 / e500mc core reference manuals; QEMU 7.2 differs (MMUCFG reads 0, TLB1CFG
 * claims 16 GiB pages) and differential tests stay away from those registers.
 */
import type { TargetInfo } from '../../api/accelerators.js';

export type CoreFamily = 'e500v2' | 'e500mc';

export interface CpuModel {
  readonly name: string;
  readonly family: CoreFamily;
  readonly pvr: number;
  readonly description: string;
}

const E500V2_REVISIONS: readonly [string, number][] = [
  ['e500v2_v10', 0x80210010],
  ['e500v2_v20', 0x80210020],
  ['e500v2_v21', 0x80210021],
  ['e500v2_v22', 0x80210022],
  ['e500v2_v30', 0x80210030],
];

export const CPU_MODELS: ReadonlyMap<string, CpuModel> = new Map<string, CpuModel>([
  ...E500V2_REVISIONS.map(([name, pvr]): [string, CpuModel] => [
    name,
    { name, family: 'e500v2', pvr, description: `Freescale e500v2 core, revision ${name.slice(-2, -1)}.${name.slice(-1)}` },
  ]),
  // QEMU's aliases: plain `e500v2` and `e500` are revision 2.2.
  ['e500v2', { name: 'e500v2', family: 'e500v2', pvr: 0x80210022, description: 'Freescale e500v2 core (alias of e500v2_v22)' }],
  ['e500', { name: 'e500', family: 'e500v2', pvr: 0x80210022, description: 'Freescale e500v2 core (alias of e500v2_v22)' }],
  ['e500mc', { name: 'e500mc', family: 'e500mc', pvr: 0x80230020, description: 'Freescale e500mc core' }],
]);

/** The models as the API lists them (`Hypervisor.targets`), without opening the accelerator. */
export function e500Targets(): TargetInfo[] {
  return [...CPU_MODELS.values()].map((m) => ({ name: m.name, description: `${m.description} (PVR 0x${m.pvr.toString(16)})`, family: m.family }));
}

/** Features a vCPU can be created with; none is on by default (the real cores have none). */
export const CPU_FEATURES = ['dcr', 'epapr-hcall'] as const;
export type CpuFeature = (typeof CPU_FEATURES)[number];

/** Per-family facts the execution engine needs. */
export interface FamilyTraits {
  readonly hasFpu: boolean;
  readonly hasSpe: boolean;
  readonly hasWait: boolean;
  readonly hasMftb: boolean;
  readonly hasDoorbells: boolean;
  readonly hasTlbilx: boolean;
  readonly hasMas8: boolean;
  /** Number of PID registers (e500v2: PID0–PID2). */
  readonly pidCount: number;
  /** Width of TIDs/PIDs in bits. */
  readonly pidBits: number;
  readonly dcbzSize: number;
  readonly msrMask: number;
  readonly tlb0: { readonly entries: number; readonly ways: number };
  readonly tlb1Entries: number;
  /** Largest TLB1 page size as TSIZE (4^n KiB). */
  readonly tlb1MaxTsize: number;
  readonly mmucfg: number;
  readonly l1cfg0: number;
  readonly l1cfg1: number;
  /** MAS7 is updated by tlbre/tlbsx only when HID0[EN_MAS7_UPDATE] is set (e500v2). */
  readonly mas7UpdateNeedsHid0: boolean;
}

export const MSR = {
  GS: 0x10000000,
  UCLE: 0x04000000,
  SPE: 0x02000000,
  WE: 0x00040000,
  CE: 0x00020000,
  EE: 0x00008000,
  PR: 0x00004000,
  FP: 0x00002000,
  ME: 0x00001000,
  FE0: 0x00000800,
  DWE: 0x00000400,
  DE: 0x00000200,
  FE1: 0x00000100,
  IS: 0x00000020,
  DS: 0x00000010,
  PMM: 0x00000004,
  RI: 0x00000002,
} as const;

export const FAMILY_TRAITS: Readonly<Record<CoreFamily, FamilyTraits>> = {
  e500v2: {
    hasFpu: false,
    hasSpe: true,
    hasWait: false,
    hasMftb: false,
    hasDoorbells: false,
    hasTlbilx: false,
    hasMas8: false,
    pidCount: 3,
    pidBits: 8,
    dcbzSize: 32,
    msrMask:
      MSR.UCLE | MSR.SPE | MSR.WE | MSR.CE | MSR.EE | MSR.PR | MSR.FP | MSR.ME | MSR.FE0 | MSR.DWE | MSR.DE |
      MSR.FE1 | MSR.IS | MSR.DS,
    tlb0: { entries: 512, ways: 4 },
    tlb1Entries: 16,
    tlb1MaxTsize: 0xb,
    // RASIZE 36, NPIDS 3, PIDSIZE 8 bits, NTLBS 2, MAVN 1.0
    mmucfg: (36 << 17) | (3 << 11) | (7 << 6) | (1 << 2),
    l1cfg0: 0x00003820,
    l1cfg1: 0x00003820,
    mas7UpdateNeedsHid0: true,
  },
  e500mc: {
    hasFpu: true,
    hasSpe: false,
    hasWait: true,
    hasMftb: true,
    hasDoorbells: true,
    hasTlbilx: true,
    hasMas8: true,
    pidCount: 1,
    pidBits: 14,
    dcbzSize: 64,
    msrMask:
      MSR.GS | MSR.UCLE | MSR.CE | MSR.EE | MSR.PR | MSR.FP | MSR.ME | MSR.FE0 | MSR.DE | MSR.FE1 | MSR.IS |
      MSR.DS | MSR.PMM | MSR.RI,
    tlb0: { entries: 512, ways: 4 },
    tlb1Entries: 64,
    tlb1MaxTsize: 0xb,
    // LPIDSIZE 6 bits, RASIZE 36, NPIDS 1, PIDSIZE 14 bits, NTLBS 2, MAVN 1.0
    mmucfg: (6 << 24) | (36 << 17) | (1 << 11) | (13 << 6) | (1 << 2),
    l1cfg0: 0x01003820,
    l1cfg1: 0x01003820,
    mas7UpdateNeedsHid0: false,
  },
};

/** TLBnCFG as defined by Book E MAV 1.0 for a TLB of the given geometry. */
export function tlbCfg(opts: {
  entries: number;
  ways: number;
  minTsize: number;
  maxTsize: number;
  iprot: boolean;
  avail: boolean;
}): number {
  // Like upstream KVM, geometries above 2048 entries report NENTRY 0: software must then
  // learn the size elsewhere (the SW_TLB configuration) instead of trusting a truncated field.
  const nentry = opts.entries > 2048 ? 0 : opts.entries;
  return (
    (((opts.ways & 0xff) << 24) |
      ((opts.minTsize & 0xf) << 20) |
      ((opts.maxTsize & 0xf) << 16) |
      (opts.iprot ? 0x8000 : 0) |
      (opts.avail ? 0x4000 : 0) |
      nentry) >>>
    0
  );
}

export function lookupModel(name: string): CpuModel | undefined {
  return CPU_MODELS.get(name);
}
