/**
 * Time for device models. Devices that count (MPIC global timers, later RTCs and watchdogs)
 * read the host monotonic clock and ask for a callback at a deadline; the VMM's run loop owns
 * the queue and runs due callbacks between exits, and makes sure a sleeping vCPU is woken for
 * the earliest deadline. Devices never sleep or start host timers themselves, so every device
 * callback runs on the machine thread, like MMIO handling.
 */
import { hostMonotonicNs } from '../api/host-env.js';

export interface DeviceTimer {
  /** Arms (or re-arms) the timer to fire once at `deadlineNs` on the device clock. */
  arm(deadlineNs: number): void;
  cancel(): void;
  readonly armed: boolean;
}

export interface DeviceClock {
  /** Monotonic nanoseconds. */
  nowNs(): number;
  createTimer(name: string, callback: () => void): DeviceTimer;
}

export const hostNowNs: () => number = hostMonotonicNs;

/** Calendar time for real-time clock chips: UTC milliseconds since the Unix epoch. */
export interface WallClock {
  utcNowMs(): number;
}

/**
 * A calendar that starts at `startUtcMs` and advances with a monotonic clock: QEMU's RTC
 * base (the host's UTC time when the machine starts, plus the time elapsed since), so a
 * host clock step during the run does not make the guest's calendar jump.
 */
export function wallClockFrom(startUtcMs: number, clock: Pick<DeviceClock, 'nowNs'>): WallClock {
  const t0 = clock.nowNs();
  return { utcNowMs: () => startUtcMs + (clock.nowNs() - t0) / 1e6 };
}

class QueuedTimer implements DeviceTimer {
  deadline = Infinity;
  constructor(
    private readonly queue: TimerQueue,
    readonly name: string,
    readonly callback: () => void,
  ) {}
  get armed(): boolean {
    return this.deadline !== Infinity;
  }
  arm(deadlineNs: number): void {
    if (!Number.isFinite(deadlineNs)) throw new RangeError(`timer ${this.name}: deadline ${deadlineNs} is not a finite time`);
    this.deadline = deadlineNs;
    this.queue.changed();
  }
  cancel(): void {
    this.deadline = Infinity;
    this.queue.changed();
  }
}

/**
 * The queue behind a `DeviceClock`. There are a handful of device timers per machine, so a
 * list scanned on change is simpler and as fast as a heap.
 */
export class TimerQueue implements DeviceClock {
  private readonly timers: QueuedTimer[] = [];
  private earliest = Infinity;
  /** Called whenever the earliest deadline may have moved (the VMM re-arms its wake-up). */
  onEarliestChanged: (deadlineNs: number) => void = () => {};

  constructor(readonly nowNs: () => number = hostNowNs) {}

  createTimer(name: string, callback: () => void): DeviceTimer {
    const t = new QueuedTimer(this, name, callback);
    this.timers.push(t);
    return t;
  }

  /** Earliest armed deadline, or Infinity. */
  nextDeadline(): number {
    return this.earliest;
  }

  /** Fires every timer whose deadline has passed (each once; callbacks may re-arm). */
  runDue(now: number = this.nowNs()): number {
    let fired = 0;
    for (const t of this.timers) {
      if (t.deadline <= now) {
        t.deadline = Infinity;
        fired++;
        t.callback();
      }
    }
    if (fired > 0) this.changed();
    return fired;
  }

  /** @internal */
  changed(): void {
    let e = Infinity;
    for (const t of this.timers) if (t.deadline < e) e = t.deadline;
    if (e !== this.earliest) {
      this.earliest = e;
      this.onEarliestChanged(e);
    }
  }
}
