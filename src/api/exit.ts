/**
 * Why `Vcpu.run()` returned: a discriminated union on `kind`.
 *
 * Exit objects are owned by the vCPU and reused: an exit is valid until the next `run()`.
 * Exits that need an answer carry the place for it (an MMIO read's `data`, a DCR read's
 * `data`, a hypercall's `ret`); the VMM fills it in and calls `run()` again, which completes
 * the guest instruction — the same contract as `struct kvm_run`.
 *
 * Exits every architecture has are in `CommonExit`; exits only one architecture has stay in
 * its own part of the union, so a VMM for one architecture never has to handle another's.
 */
import type { GuestPhysAddr } from './memory.js';

/** A guest access to a guest-physical address that no RAM region serves. */
export interface MmioExit {
  readonly kind: 'mmio';
  addr: GuestPhysAddr;
  /** Access size in bytes (1, 2, 4 or 8). */
  size: number;
  isWrite: boolean;
  /**
   * Exactly `size` bytes in guest memory order. For writes: the bytes written. For reads:
   * filled by the VMM before the next `run()`; bytes left untouched read as zero.
   */
  data: Uint8Array;
}

/** The vCPU stopped because the guest has nothing to do until an interrupt (e.g. `wait`). */
export interface HaltExit {
  readonly kind: 'halt';
}

/** `kick()` was called, or a signal-like request interrupted the run. */
export interface InterruptedExit {
  readonly kind: 'interrupted';
}

/** The guest asked for a platform-level event that only the VMM can carry out. */
export interface SystemEventExit {
  readonly kind: 'system-event';
  event: 'reset' | 'shutdown' | 'crash';
  /** Human-readable origin, e.g. "watchdog timer final expiry". */
  reason: string;
}

/** The vCPU cannot continue (x86 triple fault, Book E checkstop). */
export interface ShutdownExit {
  readonly kind: 'shutdown';
  reason: string;
}

export type DebugReason = 'single-step' | 'breakpoint' | 'hw-breakpoint' | 'watchpoint';

/** A guest-debug event requested through `setGuestDebug`. */
export interface DebugExit {
  readonly kind: 'debug';
  reason: DebugReason;
  /** Program counter of the instruction about to execute (breakpoints, steps). */
  pc: number;
  /** Data address for watchpoints, otherwise the breakpoint address. */
  address: number;
}

/**
 * The accelerator could not emulate an instruction and cannot inject a fault for it.
 * (The e500 accelerator never produces this for guest code: it injects a program
 * interrupt instead and counts an `emulation-failure` in the statistics.)
 */
export interface EmulationFailureExit {
  readonly kind: 'emulation-failure';
  pc: number;
  /** Raw instruction bytes, when known. */
  insn: Uint8Array;
}

/** The accelerator hit a condition it cannot handle; the vCPU should not be run again. */
export interface InternalErrorExit {
  readonly kind: 'internal-error';
  suberror: string;
  message: string;
}

/** An exit code this version does not know; carries the raw code so the VMM never crashes. */
export interface UnknownExit {
  readonly kind: 'unknown';
  code: number;
}

export type CommonExit =
  | MmioExit
  | HaltExit
  | InterruptedExit
  | SystemEventExit
  | ShutdownExit
  | DebugExit
  | EmulationFailureExit
  | InternalErrorExit
  | UnknownExit;

/** PowerPC `mfdcr`/`mtdcr` (only when the vCPU was created with the `dcr` feature). */
export interface DcrExit {
  readonly kind: 'dcr';
  dcrn: number;
  isWrite: boolean;
  /** Written value, or the value to return for a read (unsigned 32-bit). */
  data: number;
}

/**
 * ePAPR hypercall (only when enabled with the `epapr-hcall` feature). `nr` is the token from
 * r11, `args` are r3..r10. The VMM writes the status and outputs into `ret` (r3..r10);
 * `ret` starts as [EV_UNIMPLEMENTED, 0, …] so an unhandled call fails cleanly in the guest.
 */
export interface HypercallExit {
  readonly kind: 'hypercall';
  nr: number;
  args: Uint32Array;
  ret: Uint32Array;
}

/**
 * An external interrupt was delivered in external-proxy mode; the VMM supplies the vector
 * the guest reads from SPR EPR (as KVM_EXIT_EPR). Only when enabled with `enableCap('ppc-epr')`.
 */
export interface EprExit {
  readonly kind: 'epr';
  epr: number;
}

export type PpcExit = DcrExit | HypercallExit | EprExit;

/** x86 port I/O. `data` holds `count` items of `size` bytes, little-endian. */
export interface PioExit {
  readonly kind: 'pio';
  port: number;
  size: number;
  isWrite: boolean;
  count: number;
  data: Uint8Array;
}

/** The hardware refused to enter the guest (invalid guest state); the raw reason is vendor-specific. */
export interface FailEntryExit {
  readonly kind: 'fail-entry';
  hardwareReason: bigint;
  cpu: number;
}

/**
 * x86 split irqchip: the guest's local APIC broadcast an EOI for a level-triggered vector
 * that the VMM's IOAPIC routes; the IOAPIC clears Remote IRR for the pins with that vector
 * and re-delivers those still asserted.
 */
export interface IoapicEoiExit {
  readonly kind: 'ioapic-eoi';
  vector: number;
}

export type X86Exit = PioExit | FailEntryExit | IoapicEoiExit;

export type Exit = CommonExit | PpcExit | X86Exit;
export type ExitKind = Exit['kind'];

export const EXIT_KINDS: readonly ExitKind[] = [
  'mmio',
  'halt',
  'interrupted',
  'system-event',
  'shutdown',
  'debug',
  'emulation-failure',
  'internal-error',
  'unknown',
  'dcr',
  'hypercall',
  'epr',
  'pio',
  'fail-entry',
  'ioapic-eoi',
];

/**
 * Exit statistics as seed 004 asks for: how often each exit kind happened, plus events that
 * are handled inside the accelerator without an exit (injected emulation failures,
 * interrupts delivered, …) under their own names.
 */
export type ExitStats = Readonly<Record<string, number>>;
