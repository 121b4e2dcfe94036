/**
 * `ngkvm linux` and `ngkvm build-linux`: Linux on ppce500 in one command. The kernels and the
 * busybox initramfs are built from Debian's sources on first use (src/tools/images/linux.ts)
 * and then booted with the defaults below; any `ngkvm run` option overrides them.
 */
import { copyFileSync, constants, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { TargetCatalog } from './cli.js';
import { cacheRoot } from '../sys/cache-dir.js';
import { buildLinuxImages, findLinuxImages, LINUX_CORES, type LinuxImages } from './images/linux.js';
import { BuildError } from './images/progress.js';
import { UsageError, parseOptions, type OptionSpec } from './options.js';

/** The kernels are built with CONFIG_NR_CPUS=4. */
export const LINUX_MAX_CPUS = 4;
export const LINUX_DEFAULT_CPU = 'e500v2';

export const LINUX_USAGE = `usage: ngkvm linux [run options]

Boots Linux 6.1 (Debian's linux-source-6.1) with a busybox shell on the ppce500 board. The
first use builds a kernel for each e500 family and the initramfs from Debian's sources into
~/.cache/ngkvm (about 15 minutes on two cores; apt-get installs what is missing); later runs
start at once. Ctrl-A x quits; "poweroff" in the shell ends the run.

Defaults (each can be overridden with the "ngkvm run" option of the same name):
  --cpu ${LINUX_DEFAULT_CPU} --smp 2 -m 256M --serial stdio --append "console=ttyS0"
  --kernel   the built vmlinux for the CPU's family (e500v2 or e500mc)
  --initrd   the built busybox initramfs (unless --kernel is given)
--smp takes 1 to ${LINUX_MAX_CPUS} (the kernels' CONFIG_NR_CPUS). The command line option
ngkvm.script=NAME runs /usr/share/ngkvm/NAME.sh in the guest and powers off (selftest is one).

Root on a virtio disk instead of the initramfs:
  --root-disk        boot with root on ${defaultRootDisk()}, a writable copy of the
                     built ext4 image (made the first time; delete it to start afresh): the
                     defaults become -drive file=DISK,if=virtio,format=raw and
                     --append "console=ttyS0 root=/dev/vda rw", without the initramfs
  --root-disk=PATH   the same with the copy at PATH (made from the built image if missing)
What the guest writes stays on the disk across guest reboots and VMM restarts. Any other
virtio option of "ngkvm run" (-netdev, -device, -chardev, -drive) can be added.

examples:
  ngkvm linux
  ngkvm linux --cpu e500mc --smp 1
  ngkvm linux --monitor stdio --gdb tcp::1234
  ngkvm linux --root-disk -netdev socket,id=n0,listen=127.0.0.1:4321 -device virtio-net-pci,netdev=n0
  ngkvm linux --serial null -chardev stdio,id=con -device virtio-serial-pci -device virtconsole,chardev=con --append console=hvc0

ngkvm build-linux only builds (or finds) the images and prints where they are.`;

/** Builds the images if needed (with progress on stderr); BuildError messages are for the user. */
export async function linuxImages(): Promise<LinuxImages> {
  return findLinuxImages() ?? buildLinuxImages();
}

/** Where `ngkvm linux --root-disk` keeps the user's root disk. */
export function defaultRootDisk(): string {
  return join(cacheRoot(), 'disks', 'linux-rootfs.ext4');
}

/** `ngkvm linux`'s own options, taken out of ARGV: `--root-disk[=PATH]`. */
export function linuxOwnOptions(argv: readonly string[]): { rest: string[]; rootDisk: string | undefined } {
  let rootDisk: string | undefined;
  const rest: string[] = [];
  for (const a of argv) {
    const m = /^--?root-disk(?:=(.*))?$/.exec(a);
    if (m === null) {
      rest.push(a);
      continue;
    }
    if (rootDisk !== undefined) throw new UsageError('--root-disk given more than once');
    if (m[1] === '') throw new UsageError('--root-disk=PATH needs a path (or give --root-disk alone for the default disk)');
    rootDisk = m[1] ?? defaultRootDisk();
  }
  return { rest, rootDisk };
}

/**
 * The user's root disk at `path`: created as a copy of the built image when missing (a
 * reflink where the file system has them), left alone otherwise. Returns whether it was made.
 */
export function ensureRootDisk(images: LinuxImages, path: string): boolean {
  if (existsSync(path)) return false;
  try {
    mkdirSync(dirname(path), { recursive: true });
    copyFileSync(images.rootfs, path, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
  } catch (cause) {
    throw new BuildError(`cannot make the root disk ${path} from ${images.rootfs}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
  return true;
}

/** The `ngkvm run` arguments for `ngkvm linux ARGV`: the defaults for what ARGV leaves out. */
export function linuxRunArgs(argv: readonly string[], runOptions: readonly OptionSpec[], images: LinuxImages, catalog: TargetCatalog, rootDisk?: string): string[] {
  const given = parseOptions(argv, runOptions);
  if (given.has('bios')) throw new UsageError('ngkvm linux boots the kernel directly; to boot it through U-Boot use "ngkvm run --bios uboot.elf --kernel uImage"');
  const machine = given.get('machine');
  if (machine !== undefined && machine !== 'ppce500') throw new UsageError('ngkvm linux runs the ppce500 board');
  const str = (k: string): string | undefined => {
    const v = given.get(k);
    return typeof v === 'string' ? v : undefined;
  };
  const cpu = str('cpu') ?? LINUX_DEFAULT_CPU;
  // The kernel of the CPU's family (ppce500 runs on the e500 accelerator, whose targets name it).
  const targets = catalog.e500;
  const found = targets.find((t) => t.name === cpu)?.family;
  const family = LINUX_CORES.find((c) => c === found);
  if (family === undefined && cpu !== 'help' && cpu !== '?') {
    throw new UsageError(`unknown CPU model "${cpu}"; available: ${targets.map((t) => t.name).join(', ')}`);
  }
  const smp = str('smp');
  if (smp !== undefined && !/^(cpus=)?[1-9]\d*$/.test(smp)) throw new UsageError(`--smp "${smp}": the Linux guests take 1 to ${LINUX_MAX_CPUS} CPUs`);
  if (smp !== undefined && Number(smp.replace('cpus=', '')) > LINUX_MAX_CPUS) {
    throw new UsageError(`--smp ${smp}: the Linux guests are built for at most ${LINUX_MAX_CPUS} CPUs (CONFIG_NR_CPUS=${LINUX_MAX_CPUS})`);
  }
  const out: string[] = [];
  if (!given.has('cpu')) out.push('--cpu', cpu);
  if (smp === undefined) out.push('--smp', '2');
  if (!given.has('memory')) out.push('-m', '256M');
  if (!given.has('kernel')) {
    out.push('--kernel', images.kernels[family ?? LINUX_CORES[0]].vmlinux);
    if (!given.has('initrd') && rootDisk === undefined) out.push('--initrd', images.initramfs);
  }
  if (rootDisk !== undefined) out.push('-drive', `file=${rootDisk.replace(/,/g, ',,')},if=virtio,format=raw`);
  if (!given.has('append')) out.push('--append', rootDisk !== undefined ? 'console=ttyS0 root=/dev/vda rw' : 'console=ttyS0');
  return [...out, ...argv];
}

export function printImages(images: LinuxImages): void {
  for (const core of LINUX_CORES) {
    process.stdout.write(`vmlinux (${core}): ${images.kernels[core].vmlinux}\nuImage  (${core}): ${images.kernels[core].uImage}\n`);
  }
  process.stdout.write(`initramfs:        ${images.initramfs}\n`);
  process.stdout.write(`rootfs (ext4):    ${images.rootfs}\n`);
}

export { BuildError };
