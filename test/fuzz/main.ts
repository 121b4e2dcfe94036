/**
 * `npm run fuzz`: runs the fuzz targets (test/fuzz/targets/) one after another, each in a
 * worker thread with a heap limit and a per-input watchdog, for a time box or a number of
 * inputs; prints the seed of every run and saves each distinct finding as a replayable case.
 *
 *   npm run fuzz -- [--time SECONDS] [--inputs N] [--seed N] [--target NAME,...] [--list]
 *                   [--hang SECONDS] [--memory MB] [--out DIR] [--module URL]
 *
 * --time is per target (default 30 s), --inputs caps the inputs per target (default no cap);
 * --hang is how long one input may run before it counts as a hang (default 10 s; a watchdog,
 * not a performance limit); --memory is the worker's heap (default 512 MiB; running out is a
 * finding); --seed makes a run repeat exactly (default: a fresh one, printed). Exits with
 * status 1 when something was found.
 */
import { randomInt } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { CASES_DIR, saveCase } from './cases.js';
import { signature, type Finding } from './engine.js';
import type { FuzzTarget } from './target.js';
import { SLOT_HEADER, WORD_LENGTH, WORD_RUNNING, WORD_STARTED, type WorkerJob, type WorkerMessage } from './worker.js';

const SLOT_BYTES = 16 << 20;

export interface RunOptions {
  readonly module: string;
  readonly target: string;
  readonly seed: number;
  readonly seconds: number;
  readonly maxInputs: number;
  readonly hangSeconds: number;
  readonly heapMb: number;
  readonly out: string;
  readonly log: (line: string) => void;
}

export interface RunReport {
  readonly target: string;
  readonly seed: number;
  readonly inputs: number;
  readonly seconds: number;
  /** Distinct findings (by signature), with how often each was seen and where it was saved. */
  readonly findings: readonly { readonly signature: string; readonly count: number; readonly saved: string; readonly first: Finding }[];
}

/**
 * Fuzzes one target for its time box or input count. A hung or out-of-memory worker is
 * replaced (with the next seed) until the budget is used up.
 */
export async function fuzzTarget(o: RunOptions): Promise<RunReport> {
  const started = Date.now();
  const deadline = started + o.seconds * 1000;
  const found = new Map<string, { signature: string; count: number; saved: string; first: Finding }>();
  const record = (f: Finding, seed: number): void => {
    const sig = signature(f);
    const known = found.get(sig);
    if (known !== undefined) {
      known.count++;
      return;
    }
    const saved = saveCase(o.out, o.target, f, seed);
    found.set(sig, { signature: sig, count: 1, saved, first: f });
    o.log(`  ${f.kind}: ${f.message.split('\n')[0]} (input #${f.index}, saved as ${saved})`);
  };
  let inputs = 0;
  let seed = o.seed;
  while (inputs < o.maxInputs && Date.now() < deadline) {
    const shared = new SharedArrayBuffer(SLOT_HEADER + SLOT_BYTES);
    const words = new Int32Array(shared, 0, SLOT_HEADER / 4);
    const job: WorkerJob = {
      module: o.module,
      target: o.target,
      seed,
      maxInputs: o.maxInputs,
      first: inputs,
      deadline,
      shared,
      externalLimitBytes: o.heapMb * 2 ** 20,
    };
    const worker = new Worker(new URL('./worker.js', import.meta.url), {
      workerData: job,
      resourceLimits: { maxOldGenerationSizeMb: o.heapMb, maxYoungGenerationSizeMb: 64 },
    });
    const current = (): Uint8Array => new Uint8Array(shared, SLOT_HEADER, Atomics.load(words, WORD_LENGTH)).slice();
    const index = (): number => inputs + Atomics.load(words, WORD_STARTED) - 1;
    // Input numbers count from the start of the target's run, across replaced workers.
    const outcome = await new Promise<{ inputs: number; ended: 'done' | 'hang' | 'crash' }>((resolve) => {
      let last = -1;
      let since = Date.now();
      // The watchdog: the same input still running after --hang seconds is a hang.
      const watch = setInterval(() => {
        const started = Atomics.load(words, WORD_STARTED);
        if (started !== last || Atomics.load(words, WORD_RUNNING) === 0) {
          last = started;
          since = Date.now();
          return;
        }
        if (Date.now() - since < o.hangSeconds * 1000) return;
        clearInterval(watch);
        record({ kind: 'hang', message: `an input ran for more than ${o.hangSeconds} s`, stack: '', input: current(), index: index() }, seed);
        void worker.terminate();
        resolve({ inputs: started, ended: 'hang' });
      }, 250);
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'finding') record(m.finding, seed);
        else {
          clearInterval(watch);
          resolve({ inputs: m.inputs - inputs, ended: 'done' });
        }
      });
      worker.on('error', (err: Error & { code?: string }) => {
        clearInterval(watch);
        const memory = err.code === 'ERR_WORKER_OUT_OF_MEMORY';
        record(
          { kind: memory ? 'memory' : 'exception', message: memory ? `the worker ran out of its ${o.heapMb} MiB heap` : `${err.name}: ${err.message}`, stack: memory ? '' : (err.stack ?? ''), input: current(), index: index() },
          seed,
        );
        resolve({ inputs: Atomics.load(words, WORD_STARTED), ended: 'crash' });
      });
    });
    await worker.terminate();
    inputs += outcome.inputs;
    if (outcome.ended === 'done') break;
    seed = (seed + 1) >>> 0;
  }
  return { target: o.target, seed: o.seed, inputs, seconds: (Date.now() - started) / 1000, findings: [...found.values()] };
}

function parseArgs(argv: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument "${a}"`);
    const name = a.slice(2);
    if (name === 'list' || name === 'help') out.set(name, '');
    else {
      const v = argv[++i];
      if (v === undefined) throw new Error(`--${name} needs a value`);
      out.set(name, v);
    }
  }
  return out;
}

async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  const module = args.get('module') ?? new URL('./targets/index.js', import.meta.url).href;
  const { TARGETS } = (await import(module)) as { TARGETS: readonly FuzzTarget[] };
  if (args.has('help')) {
    process.stdout.write((await import('node:fs')).readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0]!.replace(/^\/\*\*?/, '').replace(/^ \* ?/gm, '') + '\n');
    return 0;
  }
  if (args.has('list')) {
    for (const t of TARGETS) process.stdout.write(`${t.name.padEnd(14)} ${t.description}\n`);
    return 0;
  }
  const wanted = args.get('target')?.split(',') ?? TARGETS.map((t) => t.name);
  for (const w of wanted) if (!TARGETS.some((t) => t.name === w)) throw new Error(`unknown target "${w}"; --list shows them`);
  const number = (name: string, dflt: number): number => {
    const v = args.get(name);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} ${v}: not a positive number`);
    return n;
  };
  const seconds = number('time', args.has('inputs') ? Infinity : 30);
  const maxInputs = number('inputs', Infinity);
  const seed = args.has('seed') ? number('seed', 0) >>> 0 : randomInt(0, 2 ** 31);
  const out = args.get('out') ?? CASES_DIR;
  process.stdout.write(`fuzz: seed ${seed}; ${Number.isFinite(seconds) ? `${seconds} s` : 'no time limit'}${Number.isFinite(maxInputs) ? `, at most ${maxInputs} inputs` : ''} per target; cases go to ${out}\n`);
  let total = 0;
  for (const name of wanted) {
    process.stdout.write(`${name}: seed ${seed}\n`);
    const r = await fuzzTarget({
      module,
      target: name,
      seed,
      seconds,
      maxInputs,
      hangSeconds: number('hang', 10),
      heapMb: number('memory', 512),
      out,
      log: (l) => process.stdout.write(l + '\n'),
    });
    total += r.findings.length;
    const rate = r.inputs / Math.max(r.seconds, 1e-3);
    process.stdout.write(
      `${name}: ${r.inputs} inputs in ${r.seconds.toFixed(1)} s (${rate.toFixed(0)}/s), ${r.findings.length === 0 ? 'nothing found' : `${r.findings.length} distinct finding(s) (${r.findings.reduce((n, f) => n + f.count, 0)} inputs)`}\n`,
    );
  }
  return total === 0 ? 0 : 1;
}

const invokedDirectly = process.argv[1] !== undefined && new URL(import.meta.url).pathname === (await import('node:fs')).realpathSync(process.argv[1]);
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      process.stderr.write(`fuzz: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 2;
    },
  );
}
