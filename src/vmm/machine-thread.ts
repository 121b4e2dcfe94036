/**
 * Starting the machine thread (src/vmm/machine-worker.ts). A worker's runtime and the
 * machine's module graph take longer to load than the main thread's whole command-line
 * handling (~0.1 s of the first 0.5 s here: README "Start-up"), so `ngkvm run` starts the
 * worker first — before the CLI's own modules load — and hands it the machine once the
 * command line is understood. The worker waits for that one `start` message; until it
 * arrives it does not keep the process alive, and a command that ends early terminates it.
 */
import { Worker, type TransferListItem } from 'node:worker_threads';
import type { MachineWorkerData } from './machine-worker.js';

/** The one message the host sends the machine thread (everything else flows the other way or over ports). */
export interface MachineStart {
  readonly type: 'start';
  readonly data: MachineWorkerData;
}

/** Where the machine thread's code is: next to this module, in dist/src/vmm or in the bundle. */
export const MACHINE_WORKER_URL = new URL('./machine-worker.js', import.meta.url);

/** A machine thread started ahead of its machine. */
export class MachineThread {
  private readonly worker: Worker;
  private started = false;

  constructor(url: URL = MACHINE_WORKER_URL) {
    this.worker = new Worker(url);
    // Idle until `start`: a command that fails before then must still exit.
    this.worker.unref();
  }

  /** Hands the thread its machine; returns the worker, which from now on keeps the process alive. */
  start(data: MachineWorkerData, transferList: readonly TransferListItem[]): Worker {
    if (this.started) throw new Error('the machine thread was already started');
    this.started = true;
    this.worker.ref();
    const msg: MachineStart = { type: 'start', data };
    this.worker.postMessage(msg, [...transferList]);
    return this.worker;
  }

  /** Ends a thread that was never given a machine (no-op after `start`: the host ends those). */
  discard(): void {
    if (!this.started) void this.worker.terminate();
  }
}
