/**
 * Driving the monitor of a program whose serial console and monitor share stdio (QEMU's
 * `-serial mon:stdio`, ngkvm's `--serial stdio --monitor stdio`): Ctrl-A c switches, the
 * monitor's prompt ends each command's output. The echo of the typed line differs (QEMU's
 * readline redraws the line with terminal escapes, ngkvm echoes plainly) and is dropped.
 */
import { join } from 'node:path';
import { ConsoleSession } from './console-session.js';
import { CLI, GUEST_BUILD } from './paths.js';

export const MONITOR_PROMPT = '(qemu) ';

/** A guest or firmware on QEMU with the monitor multiplexed on stdio. */
export function qemuWithMonitor(cpu: string, bios: string): ConsoleSession {
  return new ConsoleSession('qemu-system-ppc', [
    '-M', 'ppce500', '-cpu', cpu, '-m', '256', '-display', 'none', '-serial', 'mon:stdio',
    '-net', 'none', '-no-reboot', '-bios', bios,
  ]);
}

/** The same on ngkvm. */
export function ngkvmWithMonitor(cpu: string, bios: string, extra: readonly string[] = []): ConsoleSession {
  return new ConsoleSession(process.execPath, [
    CLI, 'run', '--machine', 'ppce500', '--cpu', cpu, '-m', '256M', '--bios', bios,
    '--serial', 'stdio', '--monitor', 'stdio', '--no-reboot', ...extra,
  ]);
}

export const guestElf = (cpu: string, name: string): string => join(GUEST_BUILD, cpu, `${name}.elf`);

/** Ctrl-A c from the console; returns what the monitor printed up to its first prompt. */
export async function enterMonitor(s: ConsoleSession, timeoutMs = 30_000): Promise<string> {
  s.type('\x01c');
  return (await s.waitFor(MONITOR_PROMPT, timeoutMs)).replace(/\r/g, '');
}

/** Ctrl-A c from the monitor back to the console. */
export function leaveMonitor(s: ConsoleSession): void {
  s.type('\x01c');
}

/** Types one command and returns its output (CRs removed, without the echo and the prompt). */
export async function monitorCommand(s: ConsoleSession, command: string, timeoutMs = 30_000): Promise<string> {
  s.type(command + '\n');
  await s.waitFor('\r\n', timeoutMs);
  const out = await s.waitFor(MONITOR_PROMPT, timeoutMs);
  return out.slice(0, -MONITOR_PROMPT.length).replace(/\r/g, '');
}

/** Runs the commands in order; output by command. */
export async function monitorCommands(s: ConsoleSession, commands: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const c of commands) out.set(c, await monitorCommand(s, c));
  return out;
}
