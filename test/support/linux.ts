/**
 * Linux on ppce500 for the tests and benchmarks: the images `npm test` builds (cache outside
 * the clone), the same boot on QEMU and on ngkvm, and the normalisation of a boot log down to
 * what must be identical.
 */
import assert from 'node:assert/strict';
import { findLinuxImages, type LinuxCore, type LinuxImages } from '../../src/tools/images/linux.js';
import { CLI } from './paths.js';
import { runProcess, type Outcome } from './processes.js';

export type { LinuxCore, LinuxImages };

/** The images, or a message saying how to build them (the tests fail with it). */
export function linuxImagesOrWhy(): LinuxImages | string {
  return findLinuxImages() ?? 'the Linux images are not built: run "npm run linux:build" (npm test builds them before the tests)';
}

export interface LinuxBoot {
  readonly cpu: string;
  readonly smp: number;
  /** Kernel command line after console=ttyS0. */
  readonly append?: string;
  readonly timeoutMs?: number;
  readonly extraArgs?: readonly string[];
  /** Kernel image to boot instead of the vmlinux for `cpu`'s family. */
  readonly kernel?: string;
}

function family(cpu: string): LinuxCore {
  return cpu === 'e500mc' ? 'e500mc' : 'e500v2';
}

export function linuxOnQemu(images: LinuxImages, b: LinuxBoot): Promise<Outcome> {
  return runProcess(
    'qemu-system-ppc',
    [
      '-M', 'ppce500', '-cpu', b.cpu, '-smp', String(b.smp), '-m', '256', '-display', 'none', '-serial', 'stdio', '-monitor', 'none',
      '-net', 'none', '-no-reboot', '-kernel', b.kernel ?? images.kernels[family(b.cpu)].vmlinux, '-initrd', images.initramfs,
      '-append', `console=ttyS0${b.append !== undefined ? ` ${b.append}` : ''}`, ...(b.extraArgs ?? []),
    ],
    { timeoutMs: b.timeoutMs ?? 120_000, stdoutToFile: true },
  );
}

export function linuxOnNgkvm(images: LinuxImages, b: LinuxBoot): Promise<Outcome> {
  return runProcess(
    process.execPath,
    [
      CLI, 'run', '--machine', 'ppce500', '--cpu', b.cpu, '--smp', String(b.smp), '-m', '256M', '--serial', 'stdio', '--no-reboot',
      '--kernel', b.kernel ?? images.kernels[family(b.cpu)].vmlinux, '--initrd', images.initramfs,
      '--append', `console=ttyS0${b.append !== undefined ? ` ${b.append}` : ''}`, ...(b.extraArgs ?? []),
    ],
    { timeoutMs: b.timeoutMs ?? 600_000, stdoutToFile: true },
  );
}

/** Console text without carriage returns. */
export function consoleText(o: Outcome): string {
  return o.stdout.toString('latin1').replace(/\r/g, '');
}

/**
 * Lines printed by work the kernel runs asynchronously (the initramfs is unpacked by an async
 * initcall, which another CPU may take): their position among the other lines is timing.
 */
const ASYNC_LINES = [/^Unpacking initramfs\.\.\.$/, /^Initramfs unpacking failed: /, /^Freeing initrd memory: \d+K$/];

/**
 * The kernel's reports about a user process ("name[PID]: segfault …") carry its PID, which
 * depends on how many kernel threads (kworkers) were created on demand before it: timing.
 */
const PID_IN_REPORT = /^([\w.-]+)\[\d+\]:/;

/**
 * A boot log with what is measured or timed taken out: asynchronous lines are moved to the
 * end (kept, in order), so everything else must match line by line.
 */
export function normaliseBootLog(text: string): string {
  const lines = text.split('\n');
  const moved: string[] = [];
  const kept: string[] = [];
  for (const raw of lines) {
    const l = raw.replace(PID_IN_REPORT, '$1[<pid>]:');
    (ASYNC_LINES.some((re) => re.test(l)) ? moved : kept).push(l);
  }
  return [...kept, '--- asynchronous lines ---', ...moved].join('\n');
}

/**
 * QEMU's e500mc reports MMUCFG = 0; the core has LPIDSIZE = 6 (category E.HV), which ngkvm
 * reports, so Linux keeps CPU_FTR_EMB_HV (0x200) in its features (README: where QEMU differs).
 * The only line of an e500mc boot log allowed to differ, and only in exactly this way.
 */
const EMB_HV_LINE = { qemu: 'cpu_features      = 0x0000000000000194', ngkvm: 'cpu_features      = 0x0000000000000394' };

/** Both logs normalised (normaliseBootLog) with the documented e500mc difference checked and masked. */
export function comparableLogs(qemuText: string, ourText: string): { qemu: string; ours: string } {
  let qemu = normaliseBootLog(qemuText);
  let ours = normaliseBootLog(ourText);
  if (qemu.includes('Hardware name: QEMU ppce500 e500mc')) {
    assert.ok(qemu.includes(EMB_HV_LINE.qemu), 'QEMU: Linux drops CPU_FTR_EMB_HV on e500mc (MMUCFG reads 0)');
    assert.ok(ours.includes(EMB_HV_LINE.ngkvm), 'ngkvm: Linux keeps CPU_FTR_EMB_HV on e500mc (MMUCFG[LPIDSIZE] = 6, as the core)');
    qemu = qemu.replace(EMB_HV_LINE.qemu, '<cpu_features>');
    ours = ours.replace(EMB_HV_LINE.ngkvm, '<cpu_features>');
  }
  return { qemu, ours };
}
