/**
 * What a machine is made of, as plain data: the CLI builds it, the machine thread receives
 * it (structured clone) and assembles the board from it.
 */
export type SerialSpec = { readonly kind: 'stdio' } | { readonly kind: 'file'; readonly path: string } | { readonly kind: 'none' };

export interface MachineConfig {
  readonly machine: 'ppce500';
  readonly accel: 'e500' | 'kvm';
  readonly cpu: string;
  /** RAM in bytes. */
  readonly memory: number;
  readonly bios?: string;
  readonly kernel?: string;
  readonly initrd?: string;
  readonly append?: string;
  /** A guest reset request ends the run with status 0 instead of rebooting (QEMU's -no-reboot). */
  readonly noReboot: boolean;
  readonly serial: SerialSpec;
}

/** Messages from the machine thread to the main thread. */
export type MachineMessage =
  | { readonly type: 'ready'; readonly vcpus: readonly { id: number; ownerThread: number; control: SharedArrayBuffer }[] }
  | { readonly type: 'exit'; readonly code: number; readonly reason: string }
  | { readonly type: 'error'; readonly message: string; readonly userError: boolean };

/** Words of the machine control block (main → machine thread requests). */
export const REQ_WORD = 0;
export const REQ_QUIT = 1;
export const REQ_INPUT = 2;
export const CONTROL_BYTES = 16;
