/** Running ngkvm under a debugger: a machine with a gdb stub, and gdb-multiarch in batch mode against it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from './paths.js';
import { runProcess } from './processes.js';

export interface GdbMachine {
  readonly child: ChildProcess;
  readonly port: number;
  stdout(): string;
  stderr(): string;
  /** Resolves once the guest's console output matches `re` (or rejects if the machine ends first). */
  waitStdout(re: RegExp): Promise<void>;
  readonly exited: Promise<number | null>;
}

/** Starts `ngkvm run ARGS --gdb tcp:127.0.0.1:0` and waits until its stub listens. */
export async function startGdbMachine(args: readonly string[]): Promise<GdbMachine> {
  const child = spawn(process.execPath, [CLI, 'run', ...args, '--gdb', 'tcp:127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const outWaiters: { readonly re: RegExp; readonly resolve: () => void }[] = [];
  child.stdout!.on('data', (b: Buffer) => {
    out += b.toString();
    for (let i = outWaiters.length - 1; i >= 0; i--) {
      const w = outWaiters[i]!;
      if (w.re.test(out)) {
        outWaiters.splice(i, 1);
        w.resolve();
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const waitStdout = (re: RegExp): Promise<void> =>
    re.test(out)
      ? Promise.resolve()
      : new Promise((resolve, reject) => {
          outWaiters.push({ re, resolve });
          void exited.then(() => reject(new Error(`the machine ended before its output matched ${re}: ${out}`)));
        });
  const port = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`ngkvm did not start its gdb stub: ${err}`)), 30_000);
    child.stderr!.on('data', (b: Buffer) => {
      err += b.toString();
      const m = /gdb stub listening on tcp:[^:]+:(\d+)/.exec(err);
      if (m !== null) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    });
    child.on('close', () => reject(new Error(`ngkvm ended before listening: ${err}`)));
  });
  return { child, port, stdout: () => out, stderr: () => err, waitStdout, exited };
}

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Error(`${what} timed out`)), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(t);
  }
}

export function gdbBatch(elf: string, port: number, commands: readonly string[]): Promise<{ stdout: string; code: number | null }> {
  const args = ['-nx', '-batch', '-ex', 'set confirm off', '-ex', `file ${elf}`, '-ex', `target remote 127.0.0.1:${port}`, ...commands.flatMap((c) => ['-ex', c])];
  return runProcess('gdb-multiarch', args, { timeoutMs: 90_000 }).then((r) => ({ stdout: r.stdout.toString() + r.stderr, code: r.code }));
}

