/** Small helpers shared by the benchmarks: timing child processes and printing results. */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/bench → repository root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(ROOT, 'bin', 'ngkvm.js');

/** Wall time of a command from spawn to exit, in milliseconds; its stdout is discarded. */
export function timeCommand(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ ms: number; code: number | null }> {
  return new Promise((resolve, reject) => {
    const devnull = openSync('/dev/null', 'w');
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', devnull, 'inherit'], env: { ...process.env, ...env } });
    child.on('error', reject);
    child.on('close', (code) => {
      closeSync(devnull);
      resolve({ ms: performance.now() - t0, code });
    });
  });
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function repeat(n: number, f: () => Promise<number>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await f());
  return out;
}

export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}
