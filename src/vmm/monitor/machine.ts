/**
 * What the monitor's commands see of the machine. The machine thread implements it over the
 * board (ppce500-machine.ts); unit tests implement it over fabricated vCPUs and TLBs.
 */
import type { MpState, Vcpu } from '../../api/hypervisor.js';
import type { RunStatus } from '../run-state.js';
import type { BookeTlbSource } from './booke.js';
import type { MtreeRegion } from './mtree.js';

export interface MonitorCpu {
  /** Only what the commands use, so tests need no accelerator (exit timing is optional). */
  readonly vcpu: Pick<Vcpu, 'translate' | 'registerList' | 'getRegisters' | 'stats'> & Partial<Pick<Vcpu, 'exitTiming' | 'syncTlb'>>;
  /** Book E cores: the TLB shared with the accelerator (read while the vCPU does not run). */
  readonly bookeTlb?: BookeTlbSource;
  /** The vCPU's MP state (x86 `info registers` shows HLT); absent where it has none to show. */
  readonly mpState?: () => MpState;
}

/** Snapshots and live migration, where the machine has them (src/vmm/migration/controller.ts). */
export interface MonitorMigration {
  /** `migrate URI`; throws with the reason it cannot start. */
  start(uri: string): void;
  cancel(): void;
  /** `info migrate` text (empty before the first migration). */
  info(): string;
  setParameter(name: string, value: string): void;
  parameters(): string;
  /** Hex SHA-256 of guest RAM. */
  ramDigest(): string;
}

export interface MonitorMachine {
  /** ngkvm's version, for `info version` and the greeting. */
  readonly version: string;
  /** The accelerator's name, as `info stats` names its provider. */
  readonly accelerator: string;
  /**
   * The guest architecture, which picks the register dump, the byte order of `x`/`xp` and
   * how effective addresses translate. Absent: `ppc` (the e500 boards, and the unit tests'
   * fabricated machines written before x86 had a monitor).
   */
  readonly arch?: 'ppc' | 'x86_64';
  readonly cpus: readonly MonitorCpu[];
  /**
   * Guest-physical bytes from RAM or ROM, or null when any of them is elsewhere. Device
   * registers are not read: a debugger's look must not have a device's side effects (a
   * UART's receive register loses the byte it hands out).
   */
  readPhysical(addr: bigint, length: number): Uint8Array | null;
  /** The guest-physical map for `info mtree`. */
  memoryRegions(): readonly MtreeRegion[];
  /** Whether guest code runs (`stop`, `cont`, `info status`). */
  runStatus(): RunStatus;
  pause(): void;
  resume(): void;
  /** A system reset as the guest would ask for it (honours --no-reboot), after the command. */
  requestReset(): void;
  /** Ends the run with status 0 after the command. */
  requestQuit(): void;
  readonly migration?: MonitorMigration;
}
