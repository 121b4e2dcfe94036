/**
 * The source side of a migration (or a snapshot, which is a migration into a file): pre-copy
 * rounds driven by the dirty log while the guest runs, then stop-and-copy once what is left
 * fits in the downtime limit at the bandwidth measured so far.
 *
 * Everything happens on the machine thread, between vCPU runs: `step` sends for a slice of
 * time and returns so the guest runs again (the caller schedules the next step), which
 * also throttles a guest that dirties memory faster than it can be sent. The dirty log is
 * harvested a bounded number of pages at a time (Vm.getDirtyLog: range, at most N, clear),
 * sweeping guest RAM once per round.
 */
import type { Vm } from '../../api/hypervisor.js';
import { PAGE_SIZE } from '../../api/memory.js';
import type { MigratableBoard } from '../../boards/board.js';
import { saveSections, type DeviceState } from '../../devices/state.js';
import { harvestRam, RamPages, streamHeader, type WrittenPages } from './machine-image.js';
import { MigrationError, PAGE_BYTES, StreamEncoder } from './stream.js';

/** Where the stream goes: a file (always room) or a connection drained by the main thread. */
export interface MigrationSink {
  /** Bytes it takes now without blocking the machine; 0: come back later. */
  room(): number;
  /** Bytes handed over but not yet delivered. */
  inFlight(): number;
  /** Queues bytes (the sink may take ownership of the buffer). */
  send(bytes: Uint8Array): void;
  /**
   * Closes once everything queued is delivered, without blocking the machine (a file closes
   * at once); throws MigrationError if it cannot.
   */
  close(): void;
  /** Whether the close has completed: everything delivered. */
  closed(): boolean;
  /** A failure noticed since (the connection dropped), or undefined. */
  failure(): string | undefined;
  /** Gives up: closes without completing (a file sink removes its partial file). */
  abort(): void;
}

export type MigrationStatus = 'setup' | 'active' | 'completed' | 'failed' | 'cancelled';

/** What the migration needs of the machine loop. */
export interface MigrationHooks {
  readonly nowMs: () => number;
  /** Stops guest code for stop-and-copy; returns whether it was running. */
  stopGuest(): boolean;
  /** After completion: the source stays stopped (QEMU's postmigrate). */
  completed(): void;
  /** After a failure once the guest was stopped for the final copy: back to how it was before. */
  failedWhileStopped(): void;
  readonly log: (line: string) => void;
  readonly version: string;
}

export interface MigrationParameters {
  /** The longest the guest may be stopped for the final copy (QEMU's downtime-limit). */
  downtimeLimitMs: number;
}

export const DEFAULT_DOWNTIME_LIMIT_MS = 300;
/** Pages per record. */
const BATCH_PAGES = 256;
/**
 * QEMU goes on with rounds for as long as the guest out-dirties the link; here the guest is
 * throttled by sharing the thread, so this only bounds a pathological case (then the final
 * copy may exceed the limit, which `info migrate` shows).
 */
const MAX_ROUNDS = 60;
/** A round ends (and the final copy may start) only once the link has at most this much queued. */
const DRAINED_BYTES = 256 * 1024;

export class OutgoingMigration {
  status: MigrationStatus = 'active';
  error: string | undefined;
  private readonly pages: RamPages;
  private readonly encoder = new StreamEncoder();
  private sections: DeviceState[];
  private readonly startMs: number;
  private endMs: number | undefined;
  private downtimeMs: number | undefined;
  /** Round 0 sends every page; later rounds the pages dirtied since they were last sent. */
  private round = 0;
  /** Next page the current round looks at. */
  private cursor = 0;
  private roundStartMs: number;
  private roundBytes = 0;
  private sendMs = 0;
  private sentBytes = 0;
  private zeroPages = 0;
  private dataPages = 0;
  /** Pages left dirty when the last round ended (remaining ram). */
  private remainingPages: number;
  private dirtyRate = 0;
  private expectedDowntimeMs: number | undefined;
  private syncCount = 0;

  constructor(
    private readonly board: MigratableBoard,
    private readonly vm: Vm,
    private readonly sink: MigrationSink,
    readonly params: MigrationParameters,
    private readonly hooks: MigrationHooks,
    /** Pages ever written (RAM logged from the start); without it, round 0 reads every page. */
    private readonly written?: WrittenPages,
  ) {
    this.pages = new RamPages(board);
    // Refuses at once (a device in another process, a state a device cannot write) rather
    // than after the copy; the trial run also compiles the save paths before the guest stops.
    this.sections = board.stateSections();
    saveSections(this.sections);
    this.startMs = hooks.nowMs();
    this.roundStartMs = this.startMs;
    this.remainingPages = this.pages.count;
    this.setLogging(true);
    // Everything (ever written) is sent in round 0; only what changes from here on is sent again.
    this.harvestAll();
    this.cursor = this.written?.next(0) ?? 0;
    this.encoder.header(streamHeader(board, this.sections, hooks.version));
  }

  get active(): boolean {
    return this.status === 'active';
  }

  /** The RAM region is mapped with dirty logging during the migration (always, where it is logged from the start). */
  private setLogging(on: boolean): void {
    if (!on && this.board.ramLoggedFromStart === true) return;
    const map = this.vm.memoryMap();
    if (!map.some((r) => r.backing === this.board.ram && (r.logDirty === true) !== on)) return;
    this.vm.setMemoryMap(map.map((r) => (r.backing === this.board.ram ? { ...r, logDirty: on } : r)));
  }

  private ramRange(fromPage: number): { addr: number; size: number } {
    return { addr: this.board.ramGuestAddr + fromPage * PAGE_SIZE, size: (this.pages.count - fromPage) * PAGE_SIZE };
  }

  private harvestAll(): number[] {
    this.syncCount++;
    const out = harvestRam(this.vm, this.board);
    this.written?.add(out);
    return out;
  }

  /** Pages dirty now, without clearing them. */
  private countDirty(): number {
    return this.vm.getDirtyLog(this.ramRange(0)).length;
  }

  /** The next pages of this round, at most `max`. */
  private nextPages(max: number): number[] {
    if (this.round === 0) {
      const out: number[] = [];
      const w = this.written;
      while (out.length < max && this.cursor < this.pages.count) {
        out.push(this.cursor);
        this.cursor = w !== undefined ? w.next(this.cursor + 1) : this.cursor + 1;
      }
      return out;
    }
    if (this.cursor >= this.pages.count) return [];
    const got = this.vm.getDirtyLog(this.ramRange(this.cursor), { maxPages: max, clear: true });
    const out = got.map((p) => this.cursor + p);
    this.written?.add(out);
    this.cursor = got.length < max ? this.pages.count : out[out.length - 1]! + 1;
    return out;
  }

  private encodePages(indices: readonly number[]): void {
    this.encoder.pages(indices, (i) => {
      const p = this.pages.page(i);
      if (p === null) this.zeroPages++;
      else this.dataPages++;
      return p;
    });
  }

  private flush(): void {
    if (this.encoder.pending === 0) return;
    const chunk = this.encoder.take();
    this.sentBytes += chunk.length;
    this.roundBytes += chunk.length;
    this.sink.send(chunk);
  }

  /**
   * Sends for at most `sliceMs` (less when the sink is full), ends rounds, and does the
   * final copy when it is due. Never throws: a failure ends the migration as `failed`.
   */
  step(sliceMs: number): void {
    if (!this.active) return;
    try {
      const failure = this.sink.failure();
      if (failure !== undefined) throw new MigrationError(failure);
      if (this.stoppedAt !== undefined) {
        // The final copy is out; the guest stays stopped until the link says it was delivered.
        if (this.sink.closed()) this.complete();
        return;
      }
      const start = this.hooks.nowMs();
      let t0 = start;
      while (this.hooks.nowMs() - start < sliceMs && this.sink.room() > 0) {
        const batch = this.nextPages(BATCH_PAGES);
        if (batch.length > 0) {
          this.encodePages(batch);
          this.flush();
          continue;
        }
        this.sendMs += this.hooks.nowMs() - t0;
        t0 = this.hooks.nowMs();
        // The final copy must not wait for a backlog: let the link drain while the guest runs.
        if (this.sink.inFlight() > DRAINED_BYTES) break;
        if (this.endRound()) {
          this.stopAndCopy();
          return;
        }
      }
      this.sendMs += this.hooks.nowMs() - t0;
      this.progress();
    } catch (err) {
      this.fail(err);
    }
  }

  private lastProgressMs = 0;

  /** A line a second while a round is long (a large RAM's first round). */
  private progress(): void {
    const now = this.hooks.nowMs();
    if (now - this.roundStartMs < 1000 || now - this.lastProgressMs < 1000) return;
    this.lastProgressMs = now;
    const done = Math.floor((100 * Math.min(this.cursor, this.pages.count)) / this.pages.count);
    this.hooks.log(`ngkvm: migration: round ${this.round} at ${done}% of RAM, ${mib(this.sentBytes)} sent`);
  }

  /** Bytes per millisecond while sending, from what was sent so far. */
  private bandwidth(): number {
    return this.sendMs > 0 ? this.sentBytes / this.sendMs : 0;
  }

  /** A round is over: measure, and say whether the rest fits in the downtime limit. */
  private endRound(): boolean {
    const now = this.hooks.nowMs();
    this.remainingPages = this.countDirty();
    this.dirtyRate = now > this.roundStartMs ? Math.round((this.remainingPages * 1000) / (now - this.roundStartMs)) : 0;
    const bw = this.bandwidth();
    this.expectedDowntimeMs = this.remainingPages === 0 ? 0 : bw > 0 ? Math.ceil((this.remainingPages * (PAGE_BYTES + 5)) / bw) : undefined;
    this.hooks.log(
      `ngkvm: migration: round ${this.round} sent ${mib(this.roundBytes)} in ${Math.round(now - this.roundStartMs)} ms; ` +
        `${this.remainingPages} pages dirty (${this.dirtyRate} pages/s), expected downtime ${this.expectedDowntimeMs ?? '?'} ms`,
    );
    const fits = this.expectedDowntimeMs !== undefined && this.expectedDowntimeMs <= this.params.downtimeLimitMs;
    if (fits || this.round + 1 >= MAX_ROUNDS) return true;
    this.round++;
    this.cursor = 0;
    this.roundBytes = 0;
    this.roundStartMs = now;
    this.syncCount++;
    return false;
  }

  /** When the guest was stopped for the final copy (the downtime starts). */
  private stoppedAt: number | undefined;

  /**
   * Stops the guest, sends the last dirty pages and the machine state, and starts closing;
   * the migration completes when the link has delivered everything (now, or a later step).
   */
  private stopAndCopy(): void {
    this.stoppedAt = this.hooks.nowMs();
    this.hooks.stopGuest();
    const last = this.harvestAll();
    for (let k = 0; k < last.length; k += BATCH_PAGES) {
      this.encodePages(last.slice(k, k + BATCH_PAGES));
      this.flush();
    }
    this.encoder.state(saveSections(this.sections));
    this.encoder.end();
    this.flush();
    this.sink.close();
    if (this.sink.closed()) this.complete();
  }

  private complete(): void {
    const now = this.hooks.nowMs();
    this.downtimeMs = now - this.stoppedAt!;
    this.endMs = now;
    this.remainingPages = 0;
    this.status = 'completed';
    this.setLogging(false);
    this.hooks.completed();
    this.hooks.log(
      `ngkvm: migration: completed in ${Math.round(now - this.startMs)} ms, downtime ${Math.round(this.downtimeMs)} ms, ${mib(this.sentBytes)} sent in ${this.round + 1} rounds`,
    );
  }

  private fail(err: unknown): void {
    this.status = 'failed';
    this.error = err instanceof Error ? err.message : String(err);
    this.endMs = this.hooks.nowMs();
    this.sink.abort();
    this.setLogging(false);
    if (this.stoppedAt !== undefined) this.hooks.failedWhileStopped();
    this.hooks.log(`ngkvm: migration failed: ${this.error}`);
  }

  cancel(): void {
    if (!this.active) return;
    this.status = 'cancelled';
    this.endMs = this.hooks.nowMs();
    this.sink.abort();
    this.setLogging(false);
    if (this.stoppedAt !== undefined) this.hooks.failedWhileStopped();
    this.hooks.log('ngkvm: migration cancelled');
  }

  /** `info migrate`, in QEMU 7.2's words and units. */
  info(): string {
    const now = this.endMs ?? this.hooks.nowMs();
    const lines = [`Migration status: ${this.status}`, `total time: ${Math.round(now - this.startMs)} ms`];
    if (this.status === 'active' && this.expectedDowntimeMs !== undefined) lines.push(`expected downtime: ${this.expectedDowntimeMs} ms`);
    if (this.downtimeMs !== undefined) lines.push(`downtime: ${Math.round(this.downtimeMs)} ms`);
    const kb = (b: number): number => Math.floor(b / 1024);
    const mbps = this.sendMs > 0 ? ((this.sentBytes * 8) / 1e6 / (this.sendMs / 1000)).toFixed(2) : '0.00';
    lines.push(
      `transferred ram: ${kb(this.sentBytes)} kbytes`,
      `throughput: ${mbps} mbps`,
      `remaining ram: ${kb(this.remainingPages * PAGE_BYTES)} kbytes`,
      `total ram: ${kb(this.pages.count * PAGE_BYTES)} kbytes`,
      `duplicate: ${this.zeroPages} pages`,
      `normal: ${this.dataPages} pages`,
      `normal bytes: ${kb(this.dataPages * PAGE_BYTES)} kbytes`,
      `dirty sync count: ${this.syncCount}`,
      `page size: ${PAGE_BYTES / 1024} kbytes`,
    );
    if (this.dirtyRate > 0) lines.push(`dirty pages rate: ${this.dirtyRate} pages`);
    if (this.error !== undefined) lines.push(`error: ${this.error}`);
    return lines.join('\n') + '\n';
  }
}

const mib = (b: number): string => `${(b / 1048576).toFixed(1)} MiB`;
