/**
 * How the gdb stub is split between the two threads of a running machine.
 *
 * The socket lives on the main thread (its event loop must stay free); the vCPUs, guest
 * memory and TLBs belong to the machine thread, which never returns to its event loop while
 * the guest runs. So:
 *
 *   main thread     TCP server, GdbConnection (acks, checksums, retransmits, no-ack mode,
 *                   Ctrl-C detection): only verified packets cross over.
 *   machine thread  GdbStub (every command, breakpoints, run control), between vCPU runs.
 *
 * Why not the protocol parser on the main thread with target operations as messages? Every
 * packet then costs one hop in and one hop out anyway (~54 µs per futex wake here), but one
 * packet often needs several target operations (a 4 KiB read is a translate per page; a Z0
 * is a translate, a read and a write; a stop reply reads two registers): with the whole
 * command side next to the vCPUs these are plain function calls, stop decisions after a
 * debug exit are made before the next run without a round trip, and the stub is a
 * synchronous object that tests drive in-process. The same pattern as the monitor's channel:
 * a MessagePort of its own plus a request bit (REQ_GDB) that kicks the vCPUs so the machine
 * loop looks at the port.
 */
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { GdbStub } from './stub.js';
import type { GdbTarget } from './target.js';

/** Main → machine. */
export type GdbRequest =
  | { readonly type: 'connect' }
  | { readonly type: 'packet'; readonly payload: string }
  | { readonly type: 'interrupt' }
  | { readonly type: 'disconnect' };

/** Machine → main: a packet for the client, or "one request handled" (the main thread's flow control). */
export type GdbReply =
  | { readonly type: 'reply'; readonly payload: string; readonly rle: boolean }
  | { readonly type: 'served' };

export function isGdbRequest(m: unknown): m is GdbRequest {
  if (typeof m !== 'object' || m === null) return false;
  const t = (m as { type?: unknown }).type;
  return t === 'connect' || t === 'interrupt' || t === 'disconnect' || (t === 'packet' && typeof (m as { payload?: unknown }).payload === 'string');
}

/** The machine thread's end: a GdbStub fed from the port between vCPU runs. */
export class GdbMachineSide {
  readonly stub: GdbStub;
  /** gdb sent `k`: the machine loop ends the run. */
  killed = false;

  constructor(
    private readonly port: MessagePort,
    target: GdbTarget,
    options: { readonly startHalted: boolean; readonly log: (line: string) => void; readonly monitor?: (line: string) => string },
  ) {
    const monitor = options.monitor;
    this.stub = new GdbStub(
      target,
      {
        send: (payload, o) => this.port.postMessage({ type: 'reply', payload, rle: o?.rle === true } satisfies GdbReply),
        log: options.log,
        kill: () => {
          this.killed = true;
        },
        ...(monitor !== undefined ? { monitor } : {}),
      },
      { startHalted: options.startHalted },
    );
  }

  /** Handles every request waiting on the port. `lastRan`: index of the vCPU that ran last. */
  serve(lastRan: number): void {
    for (let m = receiveMessageOnPort(this.port); m !== undefined && !this.killed; m = receiveMessageOnPort(this.port)) {
      const r: unknown = m.message;
      if (!isGdbRequest(r)) continue;
      switch (r.type) {
        case 'connect':
          this.stub.connect(lastRan);
          break;
        case 'packet':
          this.stub.handlePacket(r.payload);
          this.port.postMessage({ type: 'served' } satisfies GdbReply);
          break;
        case 'interrupt':
          this.stub.interrupt(lastRan);
          this.port.postMessage({ type: 'served' } satisfies GdbReply);
          break;
        case 'disconnect':
          this.stub.disconnect();
          break;
      }
    }
  }
}
