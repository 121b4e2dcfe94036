/** Debian's U-Boot for QEMU's ppce500, driven through its console on QEMU or on ngkvm. */
import { existsSync } from 'node:fs';
import { CLI } from './paths.js';
import { ConsoleSession } from './console-session.js';

export const UBOOT_ELF = '/usr/lib/u-boot/qemu-ppce500/uboot.elf';
export const haveUboot = (): boolean => existsSync(UBOOT_ELF);

export function ubootOnQemu(cpu: string, extra: readonly string[] = []): ConsoleSession {
  return new ConsoleSession('qemu-system-ppc', [
    '-M', 'ppce500', '-cpu', cpu, '-m', '256', '-display', 'none', '-serial', 'stdio', '-monitor', 'none',
    '-net', 'none', '-no-reboot', '-bios', UBOOT_ELF, ...extra,
  ]);
}

export function ubootOnNgkvm(cpu: string, extra: readonly string[] = []): ConsoleSession {
  return new ConsoleSession(process.execPath, [
    CLI, 'run', '--machine', 'ppce500', '--cpu', cpu, '-m', '256M', '--bios', UBOOT_ELF, '--serial', 'stdio', '--no-reboot', ...extra,
  ]);
}

export interface UbootRun {
  /** Console text up to the autoboot line. */
  readonly boot: string;
  /** What each command printed (without its echo and the next prompt), CRs removed. */
  readonly outputs: readonly { readonly command: string; readonly output: string; readonly ms: number }[];
  /** Milliseconds from process start to the autoboot line and to the first prompt. */
  readonly autobootMs: number;
  readonly promptMs: number;
}

const PROMPT = '\n=> ';

/**
 * Boots to the prompt (a key stops the autoboot countdown), then types each command once the
 * previous one's prompt is back. A final `reset` is typed but not waited for.
 */
export async function runUboot(s: ConsoleSession, commands: readonly string[], timeoutMs = 120_000): Promise<UbootRun> {
  const boot = await s.waitFor('Hit any key to stop autoboot', timeoutMs);
  const autobootMs = performance.now() - s.startedAt;
  s.type('\n');
  await s.waitFor(/=> $/m, timeoutMs);
  const promptMs = performance.now() - s.startedAt;
  const outputs: { command: string; output: string; ms: number }[] = [];
  for (const command of commands) {
    const t0 = performance.now();
    s.type(command + '\n');
    if (command === 'reset') break;
    // The echo ends in CR LF; the LF stays for the prompt match, so empty outputs work too.
    await s.waitFor(command + '\r', timeoutMs);
    const out = await s.waitFor(PROMPT, timeoutMs);
    outputs.push({ command, output: out.slice(1, -3).replace(/\r/g, ''), ms: performance.now() - t0 });
  }
  return { boot: boot.replace(/\r/g, ''), outputs, autobootMs, promptMs };
}
