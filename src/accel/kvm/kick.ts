/**
 * Kicking a kvm vCPU from another thread: set immediate_exit in the vCPU's run area (this
 * thread maps the same page of the vCPU fd), then send the kick signal to the vCPU's
 * thread. Either KVM_RUN has not started yet and sees immediate_exit, or it is running and
 * the signal makes it return EINTR: no window in which the kick is lost.
 */
import type { VcpuHandle } from '../../api/hypervisor.js';
import { registerRemoteKicker } from '../../api/threads.js';
import { RUN } from './abi.js';
import { loadShim, mmapOne } from './native.js';

/** Words of a kvm vCPU's control block after the API's kick word. */
export const CONTROL_TID = 1;
export const CONTROL_FD = 2;
/** 1 while the vCPU is bound to a thread; the kicker does nothing else (the flag word is set) otherwise. */
export const CONTROL_ALIVE = 3;
/** 1 between `transfer()` and `adoptVcpu`, so a transfer is adopted once. */
export const CONTROL_ADOPTABLE = 4;
/** A kvm vCPU's control block is longer than the API's minimum (CONTROL_WORDS). */
export const KVM_CONTROL_WORDS = 8;

/** Per control block (not per fd: a closed vCPU's fd number can be reused by another). */
const runAreas = new WeakMap<SharedArrayBuffer, Uint8Array>();

export function kickRemote(handle: VcpuHandle): void {
  const words = new Int32Array(handle.control);
  if (Atomics.load(words, CONTROL_ALIVE) !== 1) return;
  const shim = loadShim();
  const fd = Atomics.load(words, CONTROL_FD);
  let run = runAreas.get(handle.control);
  if (run === undefined) {
    // The first page holds struct kvm_run; mapping it again shares it with the vCPU thread.
    const buf = mmapOne(shim, fd, 4096);
    if (typeof buf === 'number') return; // the vCPU was closed under us: nothing to kick
    run = new Uint8Array(buf);
    runAreas.set(handle.control, run);
  }
  Atomics.store(run, RUN.immediateExit, 1);
  shim.kickThread(Atomics.load(words, CONTROL_TID));
}

registerRemoteKicker('kvm', kickRemote);
