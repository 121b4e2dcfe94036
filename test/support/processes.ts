/** Running ngkvm and QEMU as child processes with a time limit and captured output. */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from './paths.js';

export interface Outcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  readonly stderr: string;
  readonly timedOut: boolean;
}

export function runProcess(
  cmd: string,
  args: readonly string[],
  opts: { input?: Buffer | string; timeoutMs?: number; env?: NodeJS.ProcessEnv; stdoutToFile?: boolean } = {},
): Promise<Outcome> {
  if (opts.stdoutToFile === true) return runToFile(cmd, args, opts);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 60_000);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: err, timedOut });
    });
    child.stdin.on('error', () => {});
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

/**
 * Like runProcess, but stdout goes to a file. QEMU drops serial output when its stdout is a
 * pipe the reader does not drain fast enough (a busy test machine); a file never pushes back.
 */
async function runToFile(
  cmd: string,
  args: readonly string[],
  opts: { input?: Buffer | string; timeoutMs?: number; env?: NodeJS.ProcessEnv },
): Promise<Outcome> {
  const dir = mkdtempSync(join(tmpdir(), 'ngkvm-test-'));
  const path = join(dir, 'stdout');
  const fd = openSync(path, 'w');
  try {
    const r = await new Promise<Outcome>((resolve, reject) => {
      const child = spawn(cmd, args, { env: { ...process.env, ...opts.env }, stdio: ['pipe', fd, 'pipe'] });
      let err = '';
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, opts.timeoutMs ?? 60_000);
      child.stderr!.on('data', (b: Buffer) => {
        err += b.toString();
      });
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout: Buffer.alloc(0), stderr: err, timedOut });
      });
      child.stdin!.on('error', () => {});
      if (opts.input !== undefined) child.stdin!.end(opts.input);
      else child.stdin!.end();
    });
    return { ...r, stdout: readFileSync(path) };
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}

export function ngkvm(args: readonly string[], opts: { input?: Buffer | string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<Outcome> {
  return runProcess(process.execPath, [CLI, ...args], opts);
}

/** Runs a ppce500 guest ELF the way the differential tests do. */
export function ngkvmGuest(cpu: string, elf: string, opts: { input?: Buffer; jit?: boolean; timeoutMs?: number; smp?: number } = {}): Promise<Outcome> {
  const smp = opts.smp !== undefined ? ['--smp', String(opts.smp)] : [];
  return ngkvm(['run', '--machine', 'ppce500', '--cpu', cpu, ...smp, '-m', '256M', '--bios', elf, '--serial', 'stdio', '--no-reboot'], {
    ...(opts.input !== undefined ? { input: opts.input } : {}),
    timeoutMs: opts.timeoutMs ?? 120_000,
    // The interpreter alone, or the translator from the first few instructions of each page.
    env: { NGKVM_JIT: opts.jit === false ? '0' : 'eager' },
  });
}

export function haveCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

export function qemuGuest(cpu: string, elf: string, opts: { input?: Buffer; timeoutMs?: number; smp?: number } = {}): Promise<Outcome> {
  const smp = opts.smp !== undefined ? ['-smp', String(opts.smp)] : [];
  return runProcess(
    'qemu-system-ppc',
    ['-M', 'ppce500', '-cpu', cpu, ...smp, '-m', '256', '-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-net', 'none', '-no-reboot', '-bios', elf],
    { ...(opts.input !== undefined ? { input: opts.input } : {}), timeoutMs: opts.timeoutMs ?? 60_000, stdoutToFile: true },
  );
}

/** Optional stdin for a guest: `<source dir>/<name>.input`. */
export function guestInput(candidates: readonly string[]): Buffer | undefined {
  for (const c of candidates) if (existsSync(c)) return readFileSync(c);
  return undefined;
}

/** Optional CPU count for a guest: `<source dir>/<name>.smp` holds the number. */
export function guestSmp(candidates: readonly string[]): number | undefined {
  for (const c of candidates) if (existsSync(c)) return Number(readFileSync(c, 'utf8').trim());
  return undefined;
}

/** A readable first difference between two outputs, for assertion messages. */
export function firstDifference(expected: Buffer, actual: Buffer): string {
  const e = expected.toString('latin1').split('\n');
  const a = actual.toString('latin1').split('\n');
  for (let i = 0; i < Math.max(e.length, a.length); i++) {
    if (e[i] !== a[i]) return `line ${i + 1}:\n  expected: ${JSON.stringify(e[i])}\n  actual:   ${JSON.stringify(a[i])}`;
  }
  return 'outputs are identical';
}
