/**
 * Thread binding: a vCPU runs on the thread that created it; other threads hold a
 * `VcpuHandle` that can kick it (a store plus a futex wake on shared memory, no signal) and
 * that refuses everything else with a `WrongThreadError`.
 */
import { ArgumentRangeError, ArgumentTypeError, ClosedError, InvalidArgumentError, WrongThreadError } from './errors.js';
import type { VcpuHandle } from './hypervisor.js';
import { kickNeedsAccelerator } from './accelerators.js';
import { checkInteger, checkObject, checkString } from './validate.js';

/** Word 0 of a vCPU's control block: the kick word (bits below). */
export const CONTROL_KICK = 0;
export const CONTROL_WORDS = 4;
/** Kick word bit: a kick; the vCPU's run() returns `interrupted` and takes it. */
export const KICK_REQUEST = 1;
/**
 * Kick word bit: a signalled irqEvent (e500), so that a vCPU about to sleep on the word wakes
 * (or does not sleep) for it; not a kick, and taking a kick leaves it alone.
 */
export const EVENTS_PENDING = 2;

/**
 * The kick word's protocol, the same for every accelerator and for handles on other threads:
 * a kick sets KICK_REQUEST and wakes whoever sleeps on the word (a halted software vCPU, a
 * scheduler); the vCPU's run loop looks at it and, when it ends a run with `interrupted`,
 * takes it.
 */
export function requestKick(control: Int32Array): void {
  Atomics.or(control, CONTROL_KICK, KICK_REQUEST);
  Atomics.notify(control, CONTROL_KICK);
}

/** Sleeps until the kick word is set (a kick or pending events) or `ms` milliseconds pass (Infinity: no limit). */
export function waitForKick(control: Int32Array, ms = Infinity): void {
  Atomics.wait(control, CONTROL_KICK, 0, ms === Infinity ? undefined : Math.max(ms, 0.01));
}

/** Whether a kick is waiting to be served. */
export function kickPending(control: Int32Array): boolean {
  return (Atomics.load(control, CONTROL_KICK) & KICK_REQUEST) !== 0;
}

/** Serves a waiting kick: true if there was one (KICK_REQUEST is clear afterwards either way). */
export function takeKick(control: Int32Array): boolean {
  return (Atomics.and(control, CONTROL_KICK, ~KICK_REQUEST) & KICK_REQUEST) !== 0;
}

/**
 * This thread's id: Node's worker_threads.threadId (0 for the main thread). Loaded lazily so
 * the API has no static host import (it must also load in a browser, where a realm without
 * that module draws a random id; one page's workers are told apart by it).
 */
const randomThreadId = (): number => 1 + Math.floor(Math.random() * 0x7fff_fffe);
const threadId: number =
  (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === undefined
    ? randomThreadId() // a browser would only log a failed fetch of the module
    : await import('node:worker_threads').then((m) => m.threadId, randomThreadId);

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

/**
 * Refuses what is not a vCPU handle before a kicker looks at it: a handle arrives by
 * postMessage, so its shape is whatever the sender (or a clone of something else) made it.
 */
export function checkHandle(handle: unknown): VcpuHandle {
  const h = checkObject('attachVcpu: the handle', handle);
  checkString('attachVcpu: handle.accel', h['accel']);
  checkInteger('attachVcpu: handle.id', h['id'], 0);
  checkInteger('attachVcpu: handle.ownerThread', h['ownerThread'], 0);
  const control = h['control'];
  if (!(control instanceof SharedArrayBuffer)) throw new ArgumentTypeError('not a vCPU handle: its control block must be a SharedArrayBuffer from vcpu.handle()');
  if (control.byteLength < CONTROL_WORDS * 4) throw new ArgumentRangeError(`not a vCPU handle: its control block has ${control.byteLength} bytes, not ${CONTROL_WORDS * 4}`);
  return handle as VcpuHandle;
}

/** A vCPU as seen from a thread other than its own. */
export class RemoteVcpu {
  readonly id: number;
  readonly ownerThread: number;
  private readonly control: Int32Array;
  private readonly handle: VcpuHandle;
  private readonly kicker: RemoteKicker | undefined;

  constructor(handle: VcpuHandle & { readonly ownerThread: number }) {
    checkHandle(handle);
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
    requestKick(this.control);
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
