/**
 * Live migration as QEMU 7.2's HMP shows it (`info migrate`), for ngkvm and for QEMU alike:
 * parsing the status lines, waiting for an end state, and the guest's tick counter the
 * migration tests and benchmark check across the switch.
 */
import type { MonitorSocket } from './monitor-socket.js';

export type MigrationStatus = 'none' | 'setup' | 'active' | 'completed' | 'failed' | 'cancelled' | string;

export interface MigrationInfo {
  readonly status: MigrationStatus;
  readonly totalMs?: number;
  readonly downtimeMs?: number;
  readonly expectedDowntimeMs?: number;
  readonly transferredKiB?: number;
  readonly remainingKiB?: number;
  readonly totalKiB?: number;
  readonly dirtySyncCount?: number;
  readonly error?: string;
  /** The whole output, for messages. */
  readonly text: string;
}

function field(text: string, name: string, unit: string): number | undefined {
  const m = new RegExp(`^${name}: (\\d+)${unit === '' ? '' : ` ${unit}`}$`, 'm').exec(text);
  return m === null ? undefined : Number(m[1]);
}

/** `info migrate` as QEMU 7.2 prints it (extra lines, e.g. QEMU's globals and capabilities, are ignored). */
export function parseInfoMigrate(text: string): MigrationInfo {
  const status = /^Migration status: (\S+)$/m.exec(text)?.[1] ?? 'none';
  const opt = (name: string, unit: string): number | undefined => field(text, name, unit);
  const error = /^error: (.*)$/m.exec(text)?.[1];
  const info: Record<string, unknown> = {
    status,
    text,
    totalMs: opt('total time', 'ms'),
    downtimeMs: opt('downtime', 'ms'),
    expectedDowntimeMs: opt('expected downtime', 'ms'),
    transferredKiB: opt('transferred ram', 'kbytes'),
    remainingKiB: opt('remaining ram', 'kbytes'),
    totalKiB: opt('total ram', 'kbytes'),
    dirtySyncCount: opt('dirty sync count', ''),
    error,
  };
  for (const k of Object.keys(info)) if (info[k] === undefined) delete info[k];
  return info as unknown as MigrationInfo;
}

const ENDED = new Set(['completed', 'failed', 'cancelled']);

/**
 * Polls `info migrate` until the migration ends; returns the last answer and every status
 * seen on the way (in order, without repeats).
 */
export async function waitForMigration(mon: MonitorSocket, timeoutMs = 300_000, pollMs = 100): Promise<{ info: MigrationInfo; seen: string[] }> {
  const deadline = Date.now() + timeoutMs;
  const seen: string[] = [];
  for (;;) {
    const info = parseInfoMigrate(await mon.command('info migrate'));
    if (seen[seen.length - 1] !== info.status) seen.push(info.status);
    if (ENDED.has(info.status)) return { info, seen };
    if (Date.now() > deadline) throw new Error(`the migration did not end within ${timeoutMs / 1000} s; statuses seen: ${seen.join(' → ')}; last:\n${info.text}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

export { freePort } from './ports.js';

/**
 * The counters of the guest's complete `tick N` lines, in order (text without CRs): a line the
 * source cut off at the switch only counts once the destination's output completes it.
 */
export function ticks(text: string): number[] {
  return [...text.matchAll(/^tick (\d+)\n/gm)].map((m) => Number(m[1]));
}

/** Matches the console line `tick N`, also as the very first output of a destination. */
export function tickLine(n: number): RegExp {
  return new RegExp(`(?:^|\\n)tick ${n}\\r?\\n`);
}

/** Where a counter sequence is not 0, 1, 2, …: undefined when it has no gap, repeat or reordering. */
export function tickBreak(seq: readonly number[]): string | undefined {
  for (let i = 0; i < seq.length; i++) {
    if (seq[i] !== i) return `tick ${seq[i]} where tick ${i} was due (after ${seq.slice(Math.max(0, i - 3), i).join(', ')})`;
  }
  return undefined;
}
