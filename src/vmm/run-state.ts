/**
 * Whether the machine runs guest code, and why not. The monitor's `stop`/`cont` use it now;
 * a gdb stub will pause with reason `debug` through the same object, so both agree on one
 * state (QEMU's RunState: `cont` resumes whatever stopped the machine). The machine thread
 * checks `running` before each vCPU run and otherwise sleeps until a request arrives.
 */

/**
 * QEMU's run-state names for the states this machine can be in: `prelaunch` is -S before the
 * first `cont`; `inmigrate` waits for an incoming migration, `finish-migrate` is the final
 * copy of an outgoing one, `postmigrate` a source whose guest now runs elsewhere.
 */
export type RunStatus = 'running' | 'paused' | 'debug' | 'prelaunch' | 'inmigrate' | 'finish-migrate' | 'postmigrate';

export class RunControl {
  private state: RunStatus = 'running';

  get running(): boolean {
    return this.state === 'running';
  }

  status(): RunStatus {
    return this.state;
  }

  /** Stops guest code: `paused` for the monitor's `stop`, `debug` for a debugger, `prelaunch` for -S. */
  pause(reason: Exclude<RunStatus, 'running'>): void {
    this.state = reason;
  }

  resume(): void {
    this.state = 'running';
  }
}

/** `info status` as QEMU prints it. */
export function describeRunStatus(s: RunStatus): string {
  return s === 'running' || s === 'paused' ? `VM status: ${s}` : `VM status: paused (${s})`;
}
