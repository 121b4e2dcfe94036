/**
 * Kicking a kvm vCPU from another thread: set immediate_exit in the vCPU's run area (this
 * thread maps the same page of the vCPU fd), then send the kick signal to the vCPU's
 * thread. Either KVM_RUN has not started yet and sees immediate_exit, or it is running and
 * the signal makes it return EINTR: no window in which the kick is lost.
 */
import type { VcpuHandle } from '../../api/hypervisor.js';
import { registerRemoteKicker } from '../../api/threads.js';
import { RUN } from './abi.js';
import { NEG_ERRNO, loadShim, mmapOne } from '../../sys/native.js';

/** Words of a kvm vCPU's control block after the API's kick word. */
export const CONTROL_TID = 1;
export const CONTROL_FD = 2;
/** 1 while the vCPU is bound to a thread; the kicker does nothing else (the flag word is set) otherwise. */
export const CONTROL_ALIVE = 3;
/** 1 between `transfer()` and `adoptVcpu`, so a transfer is adopted once. */
export const CONTROL_ADOPTABLE = 4;
/** 1 from just before the vCPU's thread enters KVM_RUN until just after it left it. */
export const CONTROL_IN_RUN = 5;
/** Non-zero while the VM's thread asks the vCPU to stay out of KVM_RUN (a VM-wide pause). */
export const CONTROL_PAUSE = 6;
/** 1 once the vCPU's VM was closed: a vCPU another thread adopted runs no more. */
export const CONTROL_VM_CLOSED = 7;
/** A kvm vCPU's control block is longer than the API's minimum (CONTROL_WORDS). */
export const KVM_CONTROL_WORDS = 8;

/** Per control block (not per fd: a closed vCPU's fd number can be reused by another). */
const runAreas = new WeakMap<SharedArrayBuffer, Uint8Array>();

/**
 * Kicks the vCPU of a control block from this thread: immediate_exit through this thread's
 * mapping of its run area, then the signal. Returns false when the vCPU's thread no longer
 * exists (nothing of it can be in KVM_RUN), true otherwise.
 */
export function kickControl(control: SharedArrayBuffer): boolean {
  const words = new Int32Array(control);
  if (Atomics.load(words, CONTROL_ALIVE) !== 1) return true;
  const shim = loadShim();
  const fd = Atomics.load(words, CONTROL_FD);
  let run = runAreas.get(control);
  if (run === undefined) {
    // The first page holds struct kvm_run; mapping it again shares it with the vCPU thread.
    const buf = mmapOne(shim, fd, 4096);
    if (typeof buf === 'number') return true; // the vCPU was closed under us: nothing to kick
    run = new Uint8Array(buf);
    runAreas.set(control, run);
  }
  Atomics.store(run, RUN.immediateExit, 1);
  return shim.kickThread(Atomics.load(words, CONTROL_TID)) !== NEG_ERRNO.ESRCH;
}

export function kickRemote(handle: VcpuHandle): void {
  kickControl(handle.control);
}

/**
 * Stops the vCPUs of `controls` (whatever thread runs them) from running guest code, and
 * returns the function that lets them go again. Each is asked to stay out of KVM_RUN
 * (CONTROL_PAUSE), kicked if it is in it, and waited for until it is out; a vCPU that calls
 * run() meanwhile waits in run() until it is let go, then enters the guest as if nothing
 * happened (no `interrupted` exit: the pause is not the VMM's kick). Called on the VM's
 * thread, which is never inside one of these runs itself (its vCPUs run synchronously).
 *
 * Why the order cannot miss a vCPU: the vCPU stores IN_RUN = 1 and then reads PAUSE; this
 * side stores PAUSE = 1 and then reads IN_RUN (all sequentially consistent), so either the
 * vCPU sees the pause and stays out, or this side sees it in KVM_RUN and kicks it, and the
 * kick cannot be lost (immediate_exit is read at KVM_RUN's entry, the signal ends it after).
 */
export function pauseVcpus(controls: Iterable<SharedArrayBuffer>): () => void {
  const paused = [...controls].map((c) => new Int32Array(c));
  for (const w of paused) Atomics.store(w, CONTROL_PAUSE, 1);
  for (const w of paused) {
    while (Atomics.load(w, CONTROL_IN_RUN) !== 0) {
      // A thread that died inside run() (a terminated worker) never clears its word.
      if (!kickControl(w.buffer as SharedArrayBuffer)) break;
      // Not a deadline: how often to re-send the signal while waiting (one is enough
      // unless the thread was between its checks and the ioctl, where immediate_exit acts).
      Atomics.wait(w, CONTROL_IN_RUN, 1, 20);
    }
  }
  return () => {
    for (const w of paused) {
      Atomics.store(w, CONTROL_PAUSE, 0);
      Atomics.notify(w, CONTROL_PAUSE);
    }
  };
}

registerRemoteKicker('kvm', kickRemote);
