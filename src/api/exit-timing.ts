/**
 * Exit timing (seed 004: KVM's exit-timing accounting, CONFIG_KVM_EXIT_TIMING): per exit
 * kind, how often the vCPU exited and how long the VMM took to handle it, from the moment
 * `run()` returned the exit to the moment the VMM called `run()` again. Opt-in per vCPU with
 * `vcpu.enableCap('exit-timing', [1])` ([0] turns it off); while off, run() does not look at
 * a clock. Measured in the API's front (checked.ts), so every accelerator has it alike.
 */

/** One exit kind's figures; times in nanoseconds of the host's monotonic clock. */
export interface ExitTiming {
  readonly count: number;
  readonly totalNs: number;
  readonly minNs: number;
  readonly maxNs: number;
}

/** Exit kind → figures, for the kinds that happened (and were handled) since timing started. */
export type ExitTimingStats = Readonly<Record<string, ExitTiming>>;

interface Tally {
  count: number;
  totalNs: number;
  minNs: number;
  maxNs: number;
}

/** `performance` is a global in Node and in browsers: no host interface needed for it. */
const nowMs = (): number => performance.now();

export class ExitTimer {
  private pending: string | null = null;
  private since = 0;
  private readonly tallies = new Map<string, Tally>();

  /** run() returned an exit of `kind`: the VMM's time for it starts. */
  exit(kind: string): void {
    this.pending = kind;
    this.since = nowMs();
  }

  /** run() is called again: the VMM's time for the last exit ends. */
  enter(): void {
    if (this.pending === null) return;
    const ns = Math.round((nowMs() - this.since) * 1e6);
    let t = this.tallies.get(this.pending);
    if (t === undefined) {
      t = { count: 0, totalNs: 0, minNs: Infinity, maxNs: 0 };
      this.tallies.set(this.pending, t);
    }
    t.count++;
    t.totalNs += ns;
    t.minNs = Math.min(t.minNs, ns);
    t.maxNs = Math.max(t.maxNs, ns);
    this.pending = null;
  }

  stats(): ExitTimingStats {
    return Object.fromEntries([...this.tallies].map(([k, t]) => [k, { ...t }]));
  }
}

/** Several vCPUs' figures as one VM's: counts and totals added, the extremes kept. */
export function mergeExitTimings(all: readonly ExitTimingStats[]): ExitTimingStats {
  const out: Record<string, ExitTiming> = {};
  for (const stats of all) {
    for (const [k, t] of Object.entries(stats)) {
      const o = out[k];
      out[k] =
        o === undefined
          ? { ...t }
          : { count: o.count + t.count, totalNs: o.totalNs + t.totalNs, minNs: Math.min(o.minNs, t.minNs), maxNs: Math.max(o.maxNs, t.maxNs) };
    }
  }
  return out;
}
