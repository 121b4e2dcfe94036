/**
 * `node dist/test/fuzz/e500-insn-main.js [--seconds N] [--seed S] [--save DIR]`: runs the
 * instruction-stream fuzz target (e500-insn.ts) in a worker for N seconds (default 60) from
 * seed S (default: the clock; printed), and saves each failing case as JSON under DIR
 * (default test/fuzz-cases), where `npm test` replays it. A case that runs more than 20 s is
 * a hang: the worker is ended and the case saved like any other failure.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fuzz, type CaseState } from './e500-insn.js';

const HANG_MS = 20_000;

interface Job {
  readonly seconds: number;
  readonly seed: number;
}

type Msg = { kind: 'case'; c: CaseState } | { kind: 'failure'; c: CaseState; problems: readonly string[] } | { kind: 'done'; cases: number; compared: number; failures: number };

function save(dir: string, c: CaseState, problems: readonly string[], tag: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `e500-${tag}.json`);
  writeFileSync(file, JSON.stringify({ problems, case: c }, null, 1) + '\n');
  return file;
}

if (!isMainThread) {
  const job = workerData as Job;
  const post = (m: Msg): void => parentPort!.postMessage(m);
  const stats = fuzz({
    seconds: job.seconds,
    seed: job.seed,
    onCase: (c) => post({ kind: 'case', c }),
    onFailure: (c, v) => post({ kind: 'failure', c, problems: v.problems }),
  });
  post({ kind: 'done', ...stats });
} else {
  const args = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const k = args.indexOf(name);
    return k >= 0 ? args[k + 1] : undefined;
  };
  const seconds = Number(opt('--seconds') ?? 60);
  const seed = Number(opt('--seed') ?? (Date.now() >>> 0));
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  const dir = opt('--save') ?? join(root, 'test', 'fuzz-cases');
  process.stdout.write(`e500 instruction-stream fuzz: seed ${seed}, ${seconds} s\n`);
  const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { seconds, seed } satisfies Job });
  let current: CaseState | undefined;
  let lastCase = Date.now();
  let saved = 0;
  worker.on('message', (m: Msg) => {
    if (m.kind === 'case') {
      current = m.c;
      lastCase = Date.now();
    } else if (m.kind === 'failure') {
      const file = save(dir, m.c, m.problems, `${seed}-${++saved}`);
      process.stdout.write(`FAIL ${file}\n  ${m.problems.slice(0, 4).join('\n  ')}\n`);
    } else {
      clearInterval(watchdog);
      process.stdout.write(`${m.cases} cases, ${m.compared} compared in both engines, ${m.failures} failures\n`);
      process.exitCode = m.failures > 0 ? 1 : 0;
    }
  });
  worker.on('error', (e) => {
    clearInterval(watchdog);
    process.stdout.write(`the fuzz worker threw (a VMM exception outside the checked run): ${e.stack ?? String(e)}\n`);
    if (current !== undefined) process.stdout.write(`  case saved as ${save(dir, current, [`worker threw: ${String(e)}`], `${seed}-crash`)}\n`);
    process.exitCode = 1;
  });
  const watchdog = setInterval(() => {
    if (current !== undefined && Date.now() - lastCase > HANG_MS) {
      clearInterval(watchdog);
      const file = save(dir, current, [`hang: no progress for ${HANG_MS / 1000} s`], `${seed}-hang`);
      process.stdout.write(`HANG ${file}\n`);
      void worker.terminate();
      process.exitCode = 1;
    }
  }, 1000);
}
