/**
 * Linux on ppce500 for the tests and benchmarks: the images `npm test` builds (cache outside
 * the clone), the same boot on QEMU and on ngkvm, and the normalisation of a boot log down to
 * what must be identical.
 */
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
const ASYNC_LINES = [/^Unpacking initramfs\.\.\.$/, /^Freeing initrd memory: \d+K$/];

/**
 * A boot log with what is measured or timed taken out: asynchronous lines are moved to the
 * end (kept, in order), so everything else must match line by line.
 */
export function normaliseBootLog(text: string): string {
  const lines = text.split('\n');
  const moved: string[] = [];
  const kept: string[] = [];
  for (const l of lines) (ASYNC_LINES.some((re) => re.test(l)) ? moved : kept).push(l);
  return [...kept, '--- asynchronous lines ---', ...moved].join('\n');
}
