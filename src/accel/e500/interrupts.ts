/**
 * Book E interrupt facts: vector offsets, save/restore register pairs, which MSR bits an
 * interrupt class clears, and the order asynchronous interrupts are taken in.
 */
import { MSR } from './models.js';

/** Interrupt vector offset register numbers (IVORn). */
export const enum Ivor {
  CriticalInput = 0,
  MachineCheck = 1,
  DataStorage = 2,
  InstructionStorage = 3,
  External = 4,
  Alignment = 5,
  Program = 6,
  FpUnavailable = 7,
  SystemCall = 8,
  ApUnavailable = 9,
  Decrementer = 10,
  FixedInterval = 11,
  Watchdog = 12,
  DataTlb = 13,
  InstructionTlb = 14,
  Debug = 15,
  SpeUnavailable = 32,
  SpeFpData = 33,
  SpeFpRound = 34,
  PerfMonitor = 35,
  Doorbell = 36,
  CriticalDoorbell = 37,
}

/** SPR holding IVORn. */
export function ivorSpr(n: number): number {
  if (n <= 15) return 400 + n;
  if (n <= 37) return 528 + (n - 32);
  return 432 + (n - 38);
}

export const enum IrqClass {
  Base,
  Critical,
  MachineCheck,
  Debug,
}

export function ivorClass(n: Ivor): IrqClass {
  switch (n) {
    case Ivor.CriticalInput:
    case Ivor.Watchdog:
    case Ivor.CriticalDoorbell:
      return IrqClass.Critical;
    case Ivor.MachineCheck:
      return IrqClass.MachineCheck;
    case Ivor.Debug:
      return IrqClass.Debug;
    default:
      return IrqClass.Base;
  }
}

/**
 * MSR bits that survive interrupt entry, per the Power ISA (Book III-E "Interrupt
 * Processing"): base-class interrupts keep CE, ME and DE; critical and debug ones keep ME;
 * machine check keeps nothing. QEMU 7.2 keeps only ME for every class; we follow the ISA.
 */
export function msrKeptOnEntry(cls: IrqClass): number {
  switch (cls) {
    case IrqClass.Base:
      return MSR.CE | MSR.ME | MSR.DE;
    case IrqClass.Critical:
    case IrqClass.Debug:
      return MSR.ME;
    case IrqClass.MachineCheck:
      return 0;
  }
}

/** ESR bits (Book E). */
export const ESR = {
  PIL: 0x08000000,
  PPR: 0x04000000,
  PTR: 0x02000000,
  FP: 0x01000000,
  ST: 0x00800000,
  DLK: 0x00200000,
  ILK: 0x00100000,
  AP: 0x00080000,
  PUO: 0x00040000,
  BO: 0x00020000,
  PIE: 0x00010000,
  SPV: 0x00000080,
  EPID: 0x00000040,
} as const;

/**
 * Pending asynchronous interrupt conditions as bits, in priority order (lowest bit wins):
 * the order the e500 core reference manuals give — critical input, watchdog, critical
 * doorbell, external input, fixed-interval timer, decrementer, doorbell.
 */
export const enum Pending {
  /** An imprecise debug event waiting for MSR[DE] (DBSR[IDE]). */
  Debug = 1 << 7,
  CriticalInput = 1 << 0,
  Watchdog = 1 << 1,
  CriticalDoorbell = 1 << 2,
  External = 1 << 3,
  FixedInterval = 1 << 4,
  Decrementer = 1 << 5,
  Doorbell = 1 << 6,
}

/** The conditions held in Cpu.lines (inputs, doorbells, a deferred debug event); the timers' come from TSR. */
export const PENDING_LINES = Pending.Debug | Pending.CriticalInput | Pending.CriticalDoorbell | Pending.External | Pending.Doorbell;

export const PENDING_CE_GATED = Pending.CriticalInput | Pending.Watchdog | Pending.CriticalDoorbell;
export const PENDING_EE_GATED = Pending.External | Pending.FixedInterval | Pending.Decrementer | Pending.Doorbell;

export const PENDING_ORDER: readonly [Pending, Ivor][] = [
  [Pending.Debug, Ivor.Debug],
  [Pending.CriticalInput, Ivor.CriticalInput],
  [Pending.Watchdog, Ivor.Watchdog],
  [Pending.CriticalDoorbell, Ivor.CriticalDoorbell],
  [Pending.External, Ivor.External],
  [Pending.FixedInterval, Ivor.FixedInterval],
  [Pending.Decrementer, Ivor.Decrementer],
  [Pending.Doorbell, Ivor.Doorbell],
];

/** Pending conditions that can be taken under `msr`. */
export function deliverable(pending: number, msr: number): number {
  let mask = 0;
  if ((msr & MSR.CE) !== 0) mask |= PENDING_CE_GATED;
  if ((msr & MSR.EE) !== 0) mask |= PENDING_EE_GATED;
  if ((msr & MSR.DE) !== 0) mask |= Pending.Debug;
  return pending & mask;
}
