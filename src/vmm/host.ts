/**
 * The main-thread side of a running machine: opens the serial ports' host ends, starts the
 * machine thread, turns device-timer deadlines and console input into requests to it, and
 * reports how the run ended. The event loop never blocks.
 */
import { Worker } from 'node:worker_threads';
import { hostNowNs } from '../devices/clock.js';
import { Hypervisor } from '../api/index.js';
import type { RemoteVcpu } from '../api/threads.js';
import { CONTROL_BYTES, REQ_INPUT, REQ_QUIT, REQ_TIMER, REQ_WORD, type MachineConfig, type MachineMessage } from './config.js';
import type { MachineWorkerData } from './machine-worker.js';
import { createHostPorts, SerialSetupError, type HostIo, type HostPort } from './serial-host.js';

export type { HostIo } from './serial-host.js';

export interface RunResult {
  readonly code: number;
  readonly reason: string;
  /** Set when the failure is the user's (bad file, bad size): print it without a stack trace. */
  readonly error?: { readonly message: string; readonly userError: boolean };
}

export async function runMachine(config: MachineConfig, io: HostIo): Promise<RunResult> {
  const controlBuf = new SharedArrayBuffer(CONTROL_BYTES);
  const control = new Int32Array(controlBuf);
  let vcpus: RemoteVcpu[] = [];
  let pendingBits = 0;

  // Requests made before the machine thread is ready are delivered with the first kick.
  const request = (bits: number): void => {
    Atomics.or(control, REQ_WORD, bits);
    if (vcpus.length === 0) pendingBits |= bits;
    // The e500 vCPUs of a VM share one control block, but other accelerators need each kicked.
    for (const v of vcpus) v.kick();
  };
  const ports: HostPort[] = createHostPorts(config.serials, io, {
    inputAvailable: () => request(REQ_INPUT),
    quit: () => request(REQ_QUIT),
  });
  try {
    for (const p of ports) await p.open();
  } catch (err) {
    await Promise.all(ports.map((p) => p.close().catch(() => {})));
    if (err instanceof SerialSetupError) return { code: 1, reason: 'error', error: { message: err.message, userError: true } };
    throw err;
  }

  const data: MachineWorkerData = { config, ports: ports.map((p) => p.rings), control: controlBuf };
  const worker = new Worker(new URL('./machine-worker.js', import.meta.url), { workerData: data });
  let timer: NodeJS.Timeout | undefined;
  const armTimer = (deadlineNs: number): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (deadlineNs === Infinity) return;
    const ms = Math.max(0, (deadlineNs - hostNowNs()) / 1e6);
    timer = setTimeout(() => {
      timer = undefined;
      request(REQ_TIMER);
    }, ms);
  };

  const result = await new Promise<RunResult>((resolve) => {
    worker.on('message', (msg: MachineMessage) => {
      switch (msg.type) {
        case 'ready':
          // Async: kicking a kvm vCPU from here needs the kvm accelerator loaded in this thread.
          void Promise.all(msg.vcpus.map((v) => Hypervisor.attachVcpu({ accel: config.accel, id: v.id, ownerThread: v.ownerThread, control: v.control }))).then(
            (attached) => {
              vcpus = attached;
              if (pendingBits !== 0) request(pendingBits);
              pendingBits = 0;
            },
            (err: unknown) => resolve({ code: 1, reason: 'error', error: { message: err instanceof Error ? err.message : String(err), userError: false } }),
          );
          break;
        case 'log':
          io.stderr.write(msg.line + '\n');
          break;
        case 'timer':
          armTimer(msg.deadlineNs);
          break;
        case 'exit':
          resolve({ code: msg.code, reason: msg.reason });
          break;
        case 'error':
          resolve({ code: 1, reason: 'error', error: { message: msg.message, userError: msg.userError } });
          break;
      }
    });
    worker.on('error', (err) => resolve({ code: 1, reason: 'error', error: { message: err.stack ?? String(err), userError: false } }));
    worker.on('exit', (code) => resolve({ code: code === 0 ? 1 : code, reason: 'the machine thread ended unexpectedly' }));
  });
  if (timer !== undefined) clearTimeout(timer);
  // The machine thread is done with the rings: flush its last output, then let it go.
  await Promise.all(ports.map((p) => p.close()));
  await worker.terminate();
  return result;
}
