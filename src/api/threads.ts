/**
 * Thread binding: a vCPU runs on the thread that created it; other threads hold a
 * `VcpuHandle` that can kick it (a store plus a futex wake on shared memory, no signal) and
 * that refuses everything else with a `WrongThreadError`.
 */
import { threadId } from 'node:worker_threads';
import { ClosedError, InvalidArgumentError, WrongThreadError } from './errors.js';
import type { VcpuHandle } from './hypervisor.js';
import { kickNeedsAccelerator } from './accelerators.js';

/** Word 0 of a vCPU's control block: non-zero asks the vCPU to exit with `interrupted`. */
export const CONTROL_KICK = 0;
export const CONTROL_WORDS = 4;

export function currentThread(): number {
  return threadId;
}

/**
 * The guard every VM and vCPU method starts with, in every accelerator: `label` (`vCPU 0`,
 * `VM "x"`) must not be closed and must be used from its own thread; `use` names the call in
 * the wrong-thread message.
 */
export function assertUsable(closed: boolean, ownerThread: number, label: string, use?: string): void {
  if (closed) throw new ClosedError(`${label} is closed`);
  assertThread(ownerThread, use === undefined ? label : `${label} (${use})`);
}

/** Throws unless the caller runs on `ownerThread`. */
export function assertThread(ownerThread: number, what: string): void {
  if (threadId !== ownerThread) {
    throw new WrongThreadError(
      `${what} is bound to thread ${ownerThread} and cannot be used from thread ${threadId}; ` +
        'from other threads only kick it, through vcpu.handle() and attachVcpu()',
    );
  }
}

/**
 * How a thread kicks a vCPU of a given accelerator beyond the shared kick word: the kvm
 * accelerator must also interrupt KVM_RUN (immediate_exit plus a thread-directed signal).
 * An accelerator registers its kicker when its module loads in a thread.
 */
export type RemoteKicker = (handle: VcpuHandle) => void;
const kickers = new Map<string, RemoteKicker>();

export function registerRemoteKicker(accel: string, kicker: RemoteKicker): void {
  kickers.set(accel, kicker);
}

/** A vCPU as seen from a thread other than its own. */
export class RemoteVcpu {
  readonly id: number;
  readonly ownerThread: number;
  private readonly control: Int32Array;
  private readonly handle: VcpuHandle;
  private readonly kicker: RemoteKicker | undefined;

  constructor(handle: VcpuHandle & { readonly ownerThread: number }) {
    if (!(handle.control instanceof SharedArrayBuffer) || handle.control.byteLength < CONTROL_WORDS * 4) {
      throw new InvalidArgumentError('not a vCPU handle: its control block must be a SharedArrayBuffer from vcpu.handle()');
    }
    this.id = handle.id;
    this.ownerThread = handle.ownerThread;
    this.control = new Int32Array(handle.control);
    this.handle = handle;
    this.kicker = kickers.get(handle.accel);
    if (this.kicker === undefined && kickNeedsAccelerator(handle.accel)) {
      throw new InvalidArgumentError(
        `a ${handle.accel} vCPU is kicked through the ${handle.accel} accelerator, which is not loaded in this thread: use \`await Hypervisor.attachVcpu(handle)\``,
      );
    }
  }

  kick(): void {
    Atomics.store(this.control, CONTROL_KICK, 1);
    Atomics.notify(this.control, CONTROL_KICK);
    this.kicker?.(this.handle);
  }

  run(): never {
    assertThread(this.ownerThread, `vCPU ${this.id}`);
    // Reached only on the owning thread with a handle instead of the vCPU object itself.
    throw new WrongThreadError(`vCPU ${this.id}: run() needs the Vcpu object, not a handle`);
  }
}

export function attachVcpu(handle: VcpuHandle & { readonly ownerThread: number }): RemoteVcpu {
  return new RemoteVcpu(handle);
}
