/**
 * What the page and its machine worker say to each other. The worker runs the guest in a
 * synchronous loop, so after the start message everything from the page arrives through
 * shared memory: request bits in a control word plus a kick of the vCPUs (which wakes a
 * halted guest and ends a run), and console input in a shared ring. The worker answers by
 * postMessage, which the page receives while the guest keeps running.
 */
import type { RingDescriptor } from '../src/vmm/ring.js';

/** Word 0 of the page's control block: requests, set by the page, taken by the worker. */
export const REQ_WORD = 0;
/** Console input is waiting in the input ring. */
export const REQ_INPUT = 1;
/** Post a status message (registers, TLB, statistics). */
export const REQ_STATUS = 2;
export const REQ_PAUSE = 4;
export const REQ_RESUME = 8;
/** Reset the board, as the guest's reset request does. */
export const REQ_RESET = 16;
/** A device timer is due. */
export const REQ_TIMER = 32;
export const CONTROL_BYTES = 16;

export interface MachineOptions {
  readonly cpu: string;
  /** Bytes. */
  readonly ramSize: number;
  readonly smp: number;
  /** One of firmware (U-Boot) or a kernel run directly. */
  readonly bios?: { readonly name: string; readonly bytes: Uint8Array };
  readonly kernel?: { readonly name: string; readonly bytes: Uint8Array };
  /** An initial ramdisk for the kernel, and its command line (QEMU's -initrd, -append). */
  readonly initrd?: { readonly name: string; readonly bytes: Uint8Array };
  readonly append?: string;
  /** A guest reset request ends the run instead of resetting (QEMU's -no-reboot; the benchmark). */
  readonly noReboot: boolean;
}

export interface StartMessage {
  readonly type: 'start';
  readonly options: MachineOptions;
  readonly control: SharedArrayBuffer;
  readonly output: RingDescriptor;
  readonly input: RingDescriptor;
}

export interface Status {
  readonly state: 'running' | 'paused' | 'ended';
  /** Boot vCPU's main registers, name and value, in registerList order. */
  readonly registers: readonly (readonly [string, bigint])[];
  /** `info tlb` of the boot vCPU. */
  readonly tlb: string;
  /** Exit and event counters of the boot vCPU (Vcpu.stats()). */
  readonly stats: Readonly<Record<string, number>>;
  /** Guest instructions of every vCPU, and the worker's clock when counted (ms). */
  readonly instructions: number;
  readonly atMs: number;
}

export type WorkerMessage =
  | { readonly type: 'ready'; readonly handle: unknown }
  | { readonly type: 'status'; readonly status: Status }
  /** A device timer's deadline, this many ms from now (Infinity: none); the page kicks then. */
  | { readonly type: 'timer'; readonly inMs: number }
  | { readonly type: 'log'; readonly line: string }
  | { readonly type: 'ended'; readonly reason: string; readonly instructions: number; readonly ms: number }
  | { readonly type: 'error'; readonly message: string };
