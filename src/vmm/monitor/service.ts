/**
 * The machine thread's end of the monitor: runs the lines waiting on the port, between vCPU
 * runs (the TLB arrays and vCPU state belong to the VMM only then), and tells the machine
 * loop whether a command asked for a reset or the end of the run.
 */
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { isMonitorRequest, type MonitorReply } from './channel.js';
import type { MonitorMachine } from './machine.js';
import { Monitor } from './monitor.js';

export type MonitorOutcome = 'none' | 'reset' | 'quit';

export class MonitorService {
  readonly monitor: Monitor;
  private reset = false;
  private quit = false;

  constructor(
    private readonly port: MessagePort,
    machine: Omit<MonitorMachine, 'requestReset' | 'requestQuit'>,
  ) {
    this.monitor = new Monitor({
      ...machine,
      requestReset: () => {
        this.reset = true;
      },
      requestQuit: () => {
        this.quit = true;
      },
    });
  }

  /** Runs every line waiting on the port; stops at `quit` (lines after it are not run). */
  serve(): MonitorOutcome {
    for (let m = receiveMessageOnPort(this.port); m !== undefined; m = receiveMessageOnPort(this.port)) {
      if (!isMonitorRequest(m.message)) continue;
      const output = this.monitor.execute(m.message.line);
      this.port.postMessage({ id: m.message.id, output } satisfies MonitorReply);
      if (this.quit) return 'quit';
    }
    const outcome: MonitorOutcome = this.reset ? 'reset' : 'none';
    this.reset = false;
    return outcome;
  }
}
