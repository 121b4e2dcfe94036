/**
 * Linux on ppce500 (the images of `npm run linux:build`), ngkvm against QEMU 7.2 TCG in the
 * same run, two CPUs, both e500 families:
 *  - boot: wall time from process start to the busybox shell prompt;
 *  - userland: /usr/share/ngkvm/bench.sh (sha256sum and gzip of NGKVM_BENCH_MIB, default 32,
 *    MiB of generated text in tmpfs), each job timed by the host between the markers the
 *    guest prints.
 * Runs are one after the other, never concurrent.
 */
import { spawn } from 'node:child_process';
import { findLinuxImages, type LinuxImages } from '../src/tools/images/linux.js';
import { CLI, median, table } from './harness.js';

const RUNS = Number(process.env['NGKVM_BENCH_RUNS'] ?? 3);
const MIB = Number(process.env['NGKVM_BENCH_MIB'] ?? 32);
const PROMPT = /\nngkvm:\/# $/;

interface Marks {
  /** Milliseconds from spawn to each awaited pattern's first appearance. */
  readonly at: Map<string, number>;
}

/** Spawns a console program and records when each pattern first appears in its output. */
function watch(cmd: string, args: readonly string[], patterns: ReadonlyMap<string, RegExp>, done: string, timeoutMs: number): Promise<Marks> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'ignore'] });
    let text = '';
    const at = new Map<string, number>();
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} did not get to "${done}" within ${timeoutMs / 1000} s; it printed:\n${text.slice(-800)}`));
    }, timeoutMs);
    child.on('error', reject);
    child.stdin.on('error', () => {});
    child.stdout.on('data', (b: Buffer) => {
      text += b.toString('latin1').replace(/\r/g, '');
      for (const [name, re] of patterns) if (!at.has(name) && re.test(text)) at.set(name, performance.now() - t0);
      if (at.has(done)) {
        clearTimeout(timer);
        child.kill('SIGKILL');
        resolve({ at });
      }
    });
  });
}

function qemuArgs(images: LinuxImages, cpu: 'e500v2' | 'e500mc', append: string): string[] {
  return ['-M', 'ppce500', '-cpu', cpu, '-smp', '2', '-m', '256', '-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-net', 'none',
    '-kernel', images.kernels[cpu].vmlinux, '-initrd', images.initramfs, '-append', `console=ttyS0 ${append}`];
}

function ngkvmArgs(images: LinuxImages, cpu: 'e500v2' | 'e500mc', append: string): string[] {
  return [CLI, 'run', '--machine', 'ppce500', '--cpu', cpu, '--smp', '2', '-m', '256M', '--serial', 'stdio',
    '--kernel', images.kernels[cpu].vmlinux, '--initrd', images.initramfs, '--append', `console=ttyS0 ${append}`];
}

const BOOT = new Map([['prompt', PROMPT]]);
const JOBS = ['sha256', 'gzip'] as const;
const USERLAND = new Map(JOBS.flatMap((j) => [[`${j}:start`, new RegExp(`bench: start ${j}\\n`)], [`${j}:end`, new RegExp(`bench: end ${j}\\n`)]] as [string, RegExp][]));

async function series(run: () => Promise<Marks>): Promise<Marks[]> {
  const out: Marks[] = [];
  for (let i = 0; i < RUNS; i++) out.push(await run());
  return out;
}

const ms = (xs: readonly Marks[], f: (m: Marks) => number): number => median(xs.map(f));

export async function benchLinux(): Promise<void> {
  const images = findLinuxImages();
  if (images === undefined) {
    process.stdout.write('\nLinux: skipped, the images are not built (npm run linux:build)\n');
    return;
  }
  const rows: string[][] = [['cpu (2 CPUs)', 'measure', 'ngkvm', 'QEMU', 'ratio']];
  for (const cpu of ['e500v2', 'e500mc'] as const) {
    const bootArgs = '';
    const oursBoot = await series(() => watch(process.execPath, ngkvmArgs(images, cpu, bootArgs), BOOT, 'prompt', 300_000));
    const qemuBoot = await series(() => watch('qemu-system-ppc', qemuArgs(images, cpu, bootArgs), BOOT, 'prompt', 120_000));
    const b = [ms(oursBoot, (m) => m.at.get('prompt')!), ms(qemuBoot, (m) => m.at.get('prompt')!)] as const;
    rows.push([cpu, 'start to shell prompt', `${(b[0] / 1000).toFixed(2)} s`, `${(b[1] / 1000).toFixed(2)} s`, (b[0] / b[1]).toFixed(2)]);
    const job = `ngkvm.script=bench ngkvm.bench_mib=${MIB}`;
    const ours = await series(() => watch(process.execPath, ngkvmArgs(images, cpu, job), USERLAND, 'gzip:end', 1_800_000));
    const qemu = await series(() => watch('qemu-system-ppc', qemuArgs(images, cpu, job), USERLAND, 'gzip:end', 600_000));
    for (const j of JOBS) {
      const span = (m: Marks): number => m.at.get(`${j}:end`)! - m.at.get(`${j}:start`)!;
      const o = ms(ours, span);
      const q = ms(qemu, span);
      rows.push([cpu, `${j === 'sha256' ? 'sha256sum' : 'gzip'} of ${MIB} MiB`, `${(o / 1000).toFixed(2)} s`, `${(q / 1000).toFixed(2)} s`, (o / q).toFixed(2)]);
    }
  }
  process.stdout.write(`\nLinux 6.1 + busybox on ppce500, 2 CPUs, median of ${RUNS} runs; ratio < 1 means ngkvm is faster\n`);
  process.stdout.write(table(rows) + '\n');
}
