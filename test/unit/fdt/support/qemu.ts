/** Runs qemu-system-ppc to obtain the device trees it generates for `-M ppce500`. */
import { execFile, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const QEMU_BINARY = 'qemu-system-ppc';
const RUN_TIMEOUT_MS = 30_000;

/** The `qemu-system-ppc --version` banner, or undefined when QEMU cannot be run. */
export function qemuVersion(): string | undefined {
  const result = spawnSync(QEMU_BINARY, ['--version'], { encoding: 'utf8', timeout: RUN_TIMEOUT_MS });
  if (result.error || result.status !== 0) return undefined;
  return result.stdout.split('\n')[0];
}

function run(args: readonly string[], input?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(QEMU_BINARY, args, { timeout: RUN_TIMEOUT_MS, encoding: 'utf8' }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`${QEMU_BINARY} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve();
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

const COMMON = ['-M', 'ppce500', '-display', 'none', '-net', 'none'];

/** The tree written by `-machine dumpdtb=` (QEMU exits right after writing it). */
export async function dumpQemuDtb(options: readonly string[], workDir: string, name: string): Promise<Uint8Array> {
  const file = join(workDir, `${name}.dtb`);
  await run([...COMMON, '-monitor', 'none', ...options, '-machine', `dumpdtb=${file}`]);
  return new Uint8Array(await readFile(file));
}

/** The blob in guest RAM when the guest is about to run (after QEMU's initial system reset). */
export async function readGuestDtb(options: readonly string[], dtbAddress: number, workDir: string, name: string): Promise<Uint8Array> {
  const file = join(workDir, `${name}.guest.dtb`);
  // Quoted: unquoted, the monitor would read the path's '/' as a division in the size expression.
  const command = `pmemsave 0x${dtbAddress.toString(16)} 0x100000 ${JSON.stringify(file)}\nquit\n`;
  await run([...COMMON, '-monitor', 'stdio', '-S', ...options], command);
  return new Uint8Array(await readFile(file));
}

/** Runs `jobs` with at most `limit` in flight, keeping result order. */
export async function mapWithLimit<T, R>(items: readonly T[], limit: number, job: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await job(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
