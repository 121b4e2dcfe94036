/**
 * The other thread of the `api` fuzz target (api.ts): what a thread that does not own a vCPU
 * can try with what reaches it by postMessage (a vCPU handle, a transfer, or junk).
 *
 *   - `arm`/`disarm`: kick a vCPU after some milliseconds unless disarmed first, the way a
 *     VMM's event loop ends a vCPU run that takes too long (the target's guest code may loop);
 *     `disarm` answers whether the kick went off;
 *   - `remote`: `Hypervisor.attachVcpu(handle)`, then `run()` (which must be refused: a
 *     handle can only kick) and `kick()`;
 *   - `adopt`: `Hypervisor.adoptVcpu(transfer)`; a vCPU adopted here is closed again.
 *
 * Every answer says how each call ended: `ok`, or the error's class name and whether it is
 * one of the API's typed errors. The target decides what was allowed.
 */
import { parentPort } from 'node:worker_threads';
import { Hypervisor, HypervisorError, type VcpuHandle, type VcpuTransfer } from '../../../src/api/index.js';

export type ThreadRequest =
  | { readonly type: 'arm'; readonly seq: number; readonly handle: unknown; readonly ms: number }
  | { readonly type: 'disarm'; readonly seq: number }
  | { readonly type: 'remote'; readonly seq: number; readonly handle: unknown }
  | { readonly type: 'adopt'; readonly seq: number; readonly transfer: unknown };

/** How one call ended: `ok`, or what it threw. */
export type Outcome = 'ok' | { readonly name: string; readonly typed: boolean; readonly message: string };

export type ThreadReply =
  | { readonly seq: number; readonly type: 'disarmed'; readonly kicked: boolean; readonly attach: Outcome }
  | { readonly seq: number; readonly type: 'remote'; readonly attach: Outcome; readonly run?: Outcome; readonly kick?: Outcome }
  | { readonly seq: number; readonly type: 'adopt'; readonly adopt: Outcome; readonly close?: Outcome };

export function outcomeOf(err: unknown): Outcome {
  const e = err instanceof Error ? err : new Error(String(err));
  return { name: e.constructor.name, typed: err instanceof HypervisorError, message: e.message };
}

async function settle(f: () => unknown): Promise<Outcome> {
  try {
    await f();
    return 'ok';
  } catch (err) {
    return outcomeOf(err);
  }
}

interface Armed {
  timer?: NodeJS.Timeout;
  kicked: boolean;
  disarmed: boolean;
  attach: Outcome;
  /** Settles when the attach finished (a disarm may arrive first). */
  ready: Promise<void>;
}

const armed = new Map<number, Armed>();

async function handle(m: ThreadRequest): Promise<ThreadReply | undefined> {
  switch (m.type) {
    case 'arm': {
      const a: Armed = { kicked: false, disarmed: false, attach: 'ok', ready: Promise.resolve() };
      armed.set(m.seq, a);
      a.ready = (async () => {
        try {
          const remote = await Hypervisor.attachVcpu(m.handle as VcpuHandle);
          if (a.disarmed) return;
          a.timer = setTimeout(() => {
            a.kicked = true;
            // Kicking a vCPU that went away meanwhile is harmless by contract; anything thrown
            // here would end this thread, and the target would wait for it forever.
            try {
              remote.kick();
            } catch (err) {
              a.attach = outcomeOf(err);
            }
          }, m.ms);
        } catch (err) {
          a.attach = outcomeOf(err);
        }
      })();
      return undefined;
    }
    case 'disarm': {
      const a = armed.get(m.seq);
      armed.delete(m.seq);
      if (a === undefined) return { seq: m.seq, type: 'disarmed', kicked: false, attach: 'ok' };
      a.disarmed = true;
      await a.ready;
      clearTimeout(a.timer);
      return { seq: m.seq, type: 'disarmed', kicked: a.kicked, attach: a.attach };
    }
    case 'remote': {
      let remote: Awaited<ReturnType<typeof Hypervisor.attachVcpu>> | undefined;
      const attach = await settle(async () => {
        remote = await Hypervisor.attachVcpu(m.handle as VcpuHandle);
      });
      if (remote === undefined) return { seq: m.seq, type: 'remote', attach };
      const r = remote;
      return { seq: m.seq, type: 'remote', attach, run: await settle(() => r.run()), kick: await settle(() => r.kick()) };
    }
    case 'adopt': {
      let vcpu: Awaited<ReturnType<typeof Hypervisor.adoptVcpu>> | undefined;
      const adopt = await settle(async () => {
        vcpu = await Hypervisor.adoptVcpu(m.transfer as VcpuTransfer);
      });
      const v = vcpu;
      return v === undefined ? { seq: m.seq, type: 'adopt', adopt } : { seq: m.seq, type: 'adopt', adopt, close: await settle(() => v.close()) };
    }
  }
}

if (parentPort !== null) {
  const port = parentPort;
  port.on('message', (m: ThreadRequest) => {
    void handle(m).then((reply) => {
      if (reply !== undefined) port.postMessage(reply);
    });
  });
}
