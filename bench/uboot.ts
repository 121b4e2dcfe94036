/**
 * Boot time of Debian's U-Boot for ppce500 (package u-boot-qemu): wall time from process start
 * to the "Hit any key to stop autoboot" line, and to the `=>` prompt after a key is pressed at
 * that line, on ngkvm and on QEMU, run one after the other (never concurrently) in this run.
 * Also `npm start` (setup check included) to U-Boot's banner, the start-up target of issue 13.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CLI, ROOT, median, table } from './harness.js';

const UBOOT = '/usr/lib/u-boot/qemu-ppce500/uboot.elf';
const RUNS = 5;

interface BootTimes {
  /** U-Boot's first line ("U-Boot 2023.01…"). */
  readonly bannerMs: number;
  readonly autobootMs: number;
  readonly promptMs: number;
}

/**
 * Spawns a console program, waits for the autoboot line, presses Enter, waits for the prompt.
 * With `quit`, types it at the prompt and lets the program end by itself (ngkvm's Ctrl-A x).
 */
function bootOnce(cmd: string, args: readonly string[], quit?: string): Promise<BootTimes> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    // Its own process group: `npm start` runs the VMM as a child, which must go too.
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'ignore'], cwd: ROOT, detached: true });
    const killAll = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    let text = '';
    let bannerMs = -1;
    let autobootMs = -1;
    const timer = setTimeout(() => {
      killAll();
      reject(new Error(`${cmd} did not reach the U-Boot prompt within 60 s; it printed:\n${text.slice(-500)}`));
    }, 60_000);
    child.on('error', reject);
    child.stdin.on('error', () => {});
    child.stdout.on('data', (b: Buffer) => {
      text += b.toString('latin1');
      if (bannerMs < 0 && /U-Boot 20\d\d/.test(text)) bannerMs = performance.now() - t0;
      if (autobootMs < 0 && text.includes('Hit any key to stop autoboot')) {
        autobootMs = performance.now() - t0;
        child.stdin.write('\n');
      }
      if (autobootMs >= 0 && /\n=> $/.test(text)) {
        const promptMs = performance.now() - t0;
        if (quit !== undefined) {
          child.stdin.write(quit);
          child.on('exit', () => {
            clearTimeout(timer);
            resolve({ bannerMs, autobootMs, promptMs });
          });
          return;
        }
        clearTimeout(timer);
        killAll();
        resolve({ bannerMs, autobootMs, promptMs });
      }
    });
  });
}

/**
 * Median of RUNS runs after one unmeasured run for each program: the OS caches its files, and
 * ngkvm, which quits by itself there, writes the machine thread's V8 code cache (as any run
 * of a new build does once; src/sys/code-cache.ts).
 */
async function series(cmd: string, args: readonly string[]): Promise<BootTimes> {
  // Ctrl-A x is read from piped input when the monitor shares stdio (as QEMU's mon:stdio).
  if (cmd === process.execPath) await bootOnce(cmd, [...args, '--monitor', 'stdio'], '\x01x');
  else await bootOnce(cmd, args);
  const runs: BootTimes[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await bootOnce(cmd, args));
  return { bannerMs: median(runs.map((r) => r.bannerMs)), autobootMs: median(runs.map((r) => r.autobootMs)), promptMs: median(runs.map((r) => r.promptMs)) };
}

export async function benchUboot(): Promise<void> {
  if (!existsSync(UBOOT)) {
    process.stdout.write(`\nU-Boot boot: skipped, ${UBOOT} is missing (apt-get install u-boot-qemu)\n`);
    return;
  }
  const rows: string[][] = [['cpu', 'ngkvm autoboot', 'QEMU autoboot', 'ratio', 'ngkvm prompt', 'QEMU prompt', 'ratio']];
  for (const cpu of ['e500v2', 'e500mc']) {
    const ours = await series(process.execPath, [CLI, 'run', '--machine', 'ppce500', '--cpu', cpu, '-m', '256M', '--bios', UBOOT, '--serial', 'stdio']);
    const qemu = await series('qemu-system-ppc', ['-M', 'ppce500', '-cpu', cpu, '-m', '256', '-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-net', 'none', '-bios', UBOOT]);
    rows.push([
      cpu,
      `${ours.autobootMs.toFixed(0)} ms`,
      `${qemu.autobootMs.toFixed(0)} ms`,
      (ours.autobootMs / qemu.autobootMs).toFixed(2),
      `${ours.promptMs.toFixed(0)} ms`,
      `${qemu.promptMs.toFixed(0)} ms`,
      (ours.promptMs / qemu.promptMs).toFixed(2),
    ]);
  }
  process.stdout.write(`\nU-Boot boot (process start to "Hit any key" and to "=>"), median of ${RUNS} runs; ratio < 1 means ngkvm is faster\n`);
  process.stdout.write(table(rows) + '\n');
  // What a user sees: npm itself, the setup check and the VMM, to U-Boot's first line.
  const npm = await series('npm', ['start', '--silent']);
  const qemu = await series('qemu-system-ppc', ['-M', 'ppce500', '-m', '256', '-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-net', 'none', '-bios', UBOOT]);
  process.stdout.write(`\n\`npm start\` (nothing to rebuild) to U-Boot's banner, median of ${RUNS} runs (goal: under 1 s)\n`);
  process.stdout.write(
    table([
      ['command', 'to banner', 'QEMU to banner', 'ratio'],
      ['npm start', `${npm.bannerMs.toFixed(0)} ms`, `${qemu.bannerMs.toFixed(0)} ms`, (npm.bannerMs / qemu.bannerMs).toFixed(2)],
    ]) + '\n',
  );
}
