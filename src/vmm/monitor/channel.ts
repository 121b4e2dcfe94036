/**
 * How command lines reach the machine thread. The machine thread never returns to its event
 * loop while the guest runs, so a line is posted on a MessagePort of its own and the vCPUs
 * are kicked (REQ_MONITOR); on the `interrupted` exit the machine thread takes the lines off
 * the port synchronously (receiveMessageOnPort), runs them and posts each output back.
 */
import type { MessagePort } from 'node:worker_threads';

export interface MonitorRequest {
  readonly id: number;
  readonly line: string;
}

export interface MonitorReply {
  readonly id: number;
  readonly output: string;
}

export function isMonitorRequest(m: unknown): m is MonitorRequest {
  return typeof m === 'object' && m !== null && typeof (m as MonitorRequest).id === 'number' && typeof (m as MonitorRequest).line === 'string';
}

/** The main thread's end: one promise per line, settled by the machine thread's reply. */
export class MonitorChannel {
  private nextId = 1;
  private readonly pending = new Map<number, (output: string | null) => void>();
  private closed = false;

  constructor(
    private readonly port: MessagePort,
    /** Makes the machine thread look at the port (sets REQ_MONITOR and kicks the vCPUs). */
    private readonly wake: () => void,
  ) {
    port.on('message', (m: MonitorReply) => {
      const done = this.pending.get(m.id);
      this.pending.delete(m.id);
      done?.(m.output);
    });
  }

  /** The command's output, or null when the machine stopped before answering. */
  execute(line: string): Promise<string | null> {
    if (this.closed) return Promise.resolve(null);
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.port.postMessage({ id, line } satisfies MonitorRequest);
      this.wake();
    });
  }

  close(): void {
    this.closed = true;
    for (const done of this.pending.values()) done(null);
    this.pending.clear();
    this.port.close();
  }
}
