/**
 * Linux guests for the ppce500 board, built from Debian's sources: a kernel per e500 family
 * from `linux-source-6.1` (the config fragments in guests/linux merged over allnoconfig) and
 * a busybox initramfs (Debian's busybox source, linked statically against Debian's powerpc
 * glibc). Everything goes to the cache (cache.ts), keyed by a hash of the files in
 * guests/linux and this recipe's version, so a clone, `npm start`, the tests and CI build once.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildUImage, IH_COMP_GZIP } from '../../boards/loaders/uimage.js';
import { cacheRoot } from '../../sys/cache-dir.js';
import { freshDir, inputKey, isComplete, markComplete, withLock } from './cache.js';
import { buildCpio, type CpioEntry } from './cpio.js';
import { ensurePackages, ensureSourcePackages, fetchSource, packageVersion } from './debian.js';
import { BuildError, Progress } from './progress.js';
import { packageRoot } from '../../sys/package-root.js';

/** Bumped whenever the recipe below changes what it produces. */
const RECIPE = 'linux-recipe-1';
/** Bumped when only the userland's recipe changes (the kernels keep their cache entries). */
const USERLAND_RECIPE = 'userland-rootfs-1';
/** The ext4 root filesystem image: a sparse file, most of it free space for the user. */
export const ROOTFS_SIZE = '64M';
/** A fixed filesystem UUID, so every build of the image is the same disk to the guest. */
const ROOTFS_UUID = '6e676b76-6d72-4f6f-8000-000000000001';

export const LINUX_CORES = ['e500v2', 'e500mc'] as const;
export type LinuxCore = (typeof LINUX_CORES)[number];

export interface LinuxKernel {
  readonly vmlinux: string;
  /** The same kernel as a gzip-compressed U-Boot image (load and entry 0), for `bootm`. */
  readonly uImage: string;
}

export interface LinuxImages {
  readonly kernels: Readonly<Record<LinuxCore, LinuxKernel>>;
  readonly initramfs: string;
  /**
   * The same userland as an ext4 filesystem image (raw) for root on a virtio disk
   * (root=/dev/vda). The cached file is the pristine copy: boot a copy of it.
   */
  readonly rootfs: string;
}

const ROOT = packageRoot();
const GUEST_DIR = join(ROOT, 'guests', 'linux');
const CROSS = 'powerpc-linux-gnu-';
const KERNEL_SOURCE_PACKAGE = 'linux-source-6.1';
const KERNEL_TARBALL = '/usr/src/linux-source-6.1.tar.xz';
/** What building needs, beyond what `npm test` already installs. */
const BUILD_PACKAGES = ['gcc-powerpc-linux-gnu', 'binutils-powerpc-linux-gnu', 'libc6-dev-powerpc-cross', KERNEL_SOURCE_PACKAGE, 'make', 'flex', 'bison', 'bc', 'xz-utils', 'dpkg-dev', 'e2fsprogs'];
/** make prints one such line per file it builds. */
const MAKE_UNIT = /^\s+(CC|AS|LD|AR|HOSTCC|HOSTLD|LDS|OBJCOPY|GEN|SYSTBL|SYSHDR|VDSO\S*)\s/;

function fragmentFor(core: LinuxCore): string {
  return readFileSync(join(GUEST_DIR, 'kernel-common.config'), 'utf8') + readFileSync(join(GUEST_DIR, `kernel-${core}.config`), 'utf8');
}

/** Every file under `dir`, relative, sorted (the inputs of the userland key and the rootfs). */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

function kernelKey(core: LinuxCore): string {
  return inputKey([RECIPE, core, fragmentFor(core)]);
}

function userlandKey(): string {
  const parts: (string | Uint8Array)[] = [RECIPE, USERLAND_RECIPE, readFileSync(join(GUEST_DIR, 'busybox.config'))];
  for (const sub of ['rootfs', 'src']) {
    for (const f of filesUnder(join(GUEST_DIR, sub))) {
      const p = join(GUEST_DIR, sub, f);
      parts.push(`${sub}/${f}:${(lstatSync(p).mode & 0o111) !== 0 ? 'x' : '-'}`, readFileSync(p));
    }
  }
  return inputKey(parts);
}

function paths(): { kernel: (core: LinuxCore) => string; userland: string; linux: string; sources: string } {
  const base = join(cacheRoot(), 'linux');
  return {
    linux: base,
    kernel: (core) => join(base, `kernel-${core}-${kernelKey(core)}`),
    userland: join(base, `userland-${userlandKey()}`),
    sources: join(cacheRoot(), 'sources'),
  };
}

/** The images for the files in guests/linux now, if they have been built (no building). */
export function findLinuxImages(): LinuxImages | undefined {
  const p = paths();
  if (!LINUX_CORES.every((c) => isComplete(p.kernel(c))) || !isComplete(p.userland)) return undefined;
  return layout(p);
}

function layout(p: ReturnType<typeof paths>): LinuxImages {
  const k = (core: LinuxCore): LinuxKernel => ({ vmlinux: join(p.kernel(core), 'vmlinux'), uImage: join(p.kernel(core), 'uImage') });
  return { kernels: { e500v2: k('e500v2'), e500mc: k('e500mc') }, initramfs: join(p.userland, 'initramfs.cpio.gz'), rootfs: join(p.userland, 'rootfs.ext4') };
}

/** Files built by the previous build of each kind, for progress percentages. */
interface Counts {
  kernel?: number;
  busybox?: number;
}

/** Builds whatever is missing (minutes on two cores the first time) and returns the images. */
export async function buildLinuxImages(opts: { readonly out?: NodeJS.WriteStream } = {}): Promise<LinuxImages> {
  const out = opts.out ?? process.stderr;
  const p = paths();
  const say = (line: string): void => void out.write(`linux: ${line}\n`);
  return withLock(p.linux, 'building the Linux images', async () => {
    const missing = LINUX_CORES.filter((c) => !isComplete(p.kernel(c)));
    const userland = !isComplete(p.userland);
    if (missing.length === 0 && !userland) return layout(p);
    const steps = 1 + (missing.length > 0 ? 1 + missing.length : 0) + (userland ? 4 : 0);
    const progress = new Progress('linux', steps, out);
    progress.step('checking the Debian packages');
    ensurePackages(BUILD_PACKAGES, 'building the Linux guests', say);
    const countsFile = join(p.linux, 'counts.json');
    const counts: Counts = existsSync(countsFile) ? (JSON.parse(readFileSync(countsFile, 'utf8')) as Counts) : {};
    const saveCounts = (): void => writeFileSync(countsFile, JSON.stringify(counts));
    const jobs = String(Math.max(1, availableParallelism()));
    if (missing.length > 0) {
      const src = await kernelSource(p.sources, progress);
      for (const core of missing) {
        await buildKernel(core, src, p.kernel(core), join(p.linux, `work-kernel-${core}`), jobs, progress, counts);
        saveCounts();
      }
    }
    if (userland) {
      await buildUserland(p.userland, join(p.linux, 'work-userland'), p.sources, jobs, progress, counts, say);
      saveCounts();
    }
    return layout(p);
  }, (owner) => say(`waiting for another process that is ${owner}`));
}

/** Unpacks linux-source-6.1 once per package version. */
async function kernelSource(sources: string, progress: Progress): Promise<string> {
  const version = packageVersion(KERNEL_SOURCE_PACKAGE) ?? 'unknown';
  const dir = join(sources, `linux-source-${version}`);
  const tree = join(dir, 'linux-source-6.1');
  if (isComplete(dir)) {
    progress.step(`linux-source-6.1 ${version} (unpacked before)`);
    return tree;
  }
  progress.step(`unpacking linux-source-6.1 ${version}`);
  freshDir(dir);
  await progress.run('tar', ['-xf', KERNEL_TARBALL, '-C', dir], { log: join(dir, 'unpack.log') });
  if (!existsSync(join(tree, 'Makefile'))) throw new BuildError(`${KERNEL_TARBALL} did not unpack to ${tree}`);
  markComplete(dir, { package: KERNEL_SOURCE_PACKAGE, version });
  return tree;
}

/** `CONFIG_X=v` and `# CONFIG_X is not set` lines of a fragment, as a map. */
function configLines(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const set = /^(CONFIG_\w+)=(.*)$/.exec(line);
    const unset = /^# (CONFIG_\w+) is not set$/.exec(line);
    if (set !== null) m.set(set[1]!, set[2]!);
    else if (unset !== null) m.set(unset[1]!, 'n');
  }
  return m;
}

/** Every option of the fragment must have survived Kconfig's dependency resolution. */
function checkConfig(fragment: string, configFile: string, what: string): void {
  const want = configLines(fragment);
  const got = configLines(readFileSync(configFile, 'utf8'));
  const dropped = [...want].filter(([k, v]) => (got.get(k) ?? 'n') !== v).map(([k, v]) => `${k}=${v} (got ${got.get(k) ?? 'n'})`);
  if (dropped.length > 0) {
    throw new BuildError(`${what}: these options of the fragment did not take effect (a dependency is missing from it): ${dropped.join(', ')}`);
  }
}

async function buildKernel(core: LinuxCore, src: string, dest: string, work: string, jobs: string, progress: Progress, counts: Counts): Promise<void> {
  progress.step(`kernel for ${core} (make -j${jobs} vmlinux)`);
  freshDir(work);
  const fragment = fragmentFor(core);
  const fragFile = join(work, 'fragment.config');
  writeFileSync(fragFile, fragment);
  const log = join(work, 'build.log');
  const make = ['-C', src, `O=${work}`, 'ARCH=powerpc', `CROSS_COMPILE=${CROSS}`];
  await progress.run('make', [...make, `KCONFIG_ALLCONFIG=${fragFile}`, 'allnoconfig'], { log });
  checkConfig(fragment, join(work, '.config'), `kernel config for ${core}`);
  const units = await progress.run('make', [...make, `-j${jobs}`, 'vmlinux'], { log, unit: MAKE_UNIT, ...(counts.kernel !== undefined ? { expectedUnits: counts.kernel } : {}) });
  counts.kernel = units;
  freshDir(dest);
  copyFileSync(join(work, 'vmlinux'), join(dest, 'vmlinux'));
  copyFileSync(join(work, '.config'), join(dest, 'config'));
  // The uImage U-Boot's bootm takes: the raw kernel (physical 0 = its first byte), gzipped.
  const bin = join(work, 'vmlinux.bin');
  const r = spawnSync(`${CROSS}objcopy`, ['-O', 'binary', join(work, 'vmlinux'), bin], { encoding: 'utf8' });
  if (r.status !== 0) throw new BuildError(`objcopy of the ${core} kernel failed: ${r.stderr}`);
  const release = readFileSync(join(work, 'include', 'config', 'kernel.release'), 'utf8').trim();
  const uImage = buildUImage({
    name: `Linux-${release}`,
    load: 0,
    entry: 0,
    compression: IH_COMP_GZIP,
    payload: new Uint8Array(gzipSync(readFileSync(bin), { level: 9 })),
    // The kernel's build time, so bootm shows a meaningful "Created" and rebuilds are reproducible.
    time: Math.floor(statSync(join(work, 'vmlinux')).mtimeMs / 1000),
  });
  writeFileSync(join(dest, 'uImage'), uImage);
  copyFileSync(log, join(dest, 'build.log'));
  markComplete(dest, { core, release, source: packageVersion(KERNEL_SOURCE_PACKAGE), cross: packageVersion('gcc-powerpc-linux-gnu') });
  rmSync(work, { recursive: true, force: true });
}

async function buildUserland(dest: string, work: string, sources: string, jobs: string, progress: Progress, counts: Counts, say: (l: string) => void): Promise<void> {
  progress.step('busybox source (apt-get source busybox)');
  const bbSources = join(sources, 'busybox');
  let tree: string;
  let version: string;
  if (isComplete(bbSources)) {
    const info = JSON.parse(readFileSync(join(bbSources, 'done'), 'utf8')) as { tree: string; version: string };
    ({ tree, version } = info);
  } else {
    ensureSourcePackages('busybox', say);
    freshDir(bbSources);
    ({ tree, version } = fetchSource('busybox', bbSources, say));
    markComplete(bbSources, { tree, version });
  }

  progress.step(`busybox ${version}, static (make -j${jobs})`);
  freshDir(work);
  const bbOut = join(work, 'busybox');
  mkdirSync(bbOut);
  const log = join(work, 'build.log');
  const make = ['-C', tree, `O=${bbOut}`, `CROSS_COMPILE=${CROSS}`];
  await progress.run('make', [...make, 'defconfig'], { log });
  const fragment = readFileSync(join(GUEST_DIR, 'busybox.config'), 'utf8');
  mergeConfig(join(bbOut, '.config'), fragment);
  await progress.run('sh', ['-c', `yes '' | make -C '${tree}' O='${bbOut}' CROSS_COMPILE=${CROSS} oldconfig`], { log });
  checkConfig(fragment, join(bbOut, '.config'), 'busybox config');
  counts.busybox = await progress.run('make', [...make, `-j${jobs}`], { log, unit: MAKE_UNIT, ...(counts.busybox !== undefined ? { expectedUnits: counts.busybox } : {}) });
  const staging = join(work, 'rootfs');
  await progress.run('make', [...make, `CONFIG_PREFIX=${staging}`, 'install'], { log });
  const check = join(work, 'ngkvm-check');
  await progress.run(`${CROSS}gcc`, ['-O2', '-static', '-Wall', '-o', check, join(GUEST_DIR, 'src', 'ngkvm-check.c')], { log });

  progress.step('initramfs');
  const entries = rootfsEntries(staging, check);
  const cpio = buildCpio(entries);
  freshDir(dest);
  writeFileSync(join(dest, 'initramfs.cpio.gz'), gzipSync(cpio, { level: 9 }));

  progress.step(`root filesystem image (mke2fs -d, ext4, ${ROOTFS_SIZE})`);
  const rootTree = join(work, 'rootfs-tree');
  writeTree(entries, rootTree);
  await progress.run('mke2fs', ['-q', '-F', '-t', 'ext4', '-L', 'ngkvm-root', '-U', ROOTFS_UUID, '-E', 'root_owner=0:0', '-d', rootTree, join(dest, 'rootfs.ext4'), ROOTFS_SIZE], { log });
  copyFileSync(log, join(dest, 'build.log'));
  markComplete(dest, { busybox: version, glibc: packageVersion('libc6-dev-powerpc-cross'), cross: packageVersion('gcc-powerpc-linux-gnu') });
  rmSync(work, { recursive: true, force: true });
}

/**
 * The initramfs entries as a directory tree for `mke2fs -d`. Device nodes are left out:
 * with root on a disk the kernel mounts devtmpfs on /dev (CONFIG_DEVTMPFS_MOUNT) and opens
 * its console from the built-in initramfs before that.
 */
function writeTree(entries: readonly CpioEntry[], root: string): void {
  freshDir(root);
  for (const e of entries) {
    const path = join(root, e.path);
    switch (e.kind) {
      case 'dir':
        mkdirSync(path, { recursive: true });
        chmodSync(path, e.mode);
        break;
      case 'file':
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, e.data);
        chmodSync(path, e.mode);
        break;
      case 'symlink':
        mkdirSync(dirname(path), { recursive: true });
        symlinkSync(e.target, path);
        break;
      default:
        break;
    }
  }
}

/** Replaces (or adds) the fragment's options in a .config. */
function mergeConfig(configFile: string, fragment: string): void {
  const want = configLines(fragment);
  const lines = readFileSync(configFile, 'utf8').split('\n');
  const seen = new Set<string>();
  const merged = lines.map((line) => {
    const key = /^(CONFIG_\w+)=/.exec(line)?.[1] ?? /^# (CONFIG_\w+) is not set$/.exec(line)?.[1];
    const v = key === undefined ? undefined : want.get(key);
    if (key === undefined || v === undefined) return line;
    seen.add(key);
    return v === 'n' ? `# ${key} is not set` : `${key}=${v}`;
  });
  for (const [k, v] of want) if (!seen.has(k)) merged.push(v === 'n' ? `# ${k} is not set` : `${k}=${v}`);
  writeFileSync(configFile, merged.join('\n'));
}

/** busybox's install tree, the files of guests/linux/rootfs, the check program and the nodes init needs. */
function rootfsEntries(staging: string, check: string): CpioEntry[] {
  const entries = new Map<string, CpioEntry>();
  const dir = (path: string): void => {
    const parts = path.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const p = parts.slice(0, i).join('/');
      if (!entries.has(p)) entries.set(p, { kind: 'dir', path: p, mode: p === 'tmp' ? 0o1777 : 0o755 });
    }
  };
  const add = (e: CpioEntry): void => {
    const parent = e.path.split('/').slice(0, -1).join('/');
    if (parent !== '') dir(parent);
    entries.set(e.path, e);
  };
  const copyTree = (from: string): void => {
    for (const f of filesUnder(from)) {
      const p = join(from, f);
      const st = lstatSync(p);
      if (st.isSymbolicLink()) add({ kind: 'symlink', path: f, target: readlinkSync(p) });
      else add({ kind: 'file', path: f, mode: st.mode & 0o777, data: readFileSync(p) });
    }
  };
  for (const d of ['proc', 'sys', 'dev', 'tmp', 'root', 'mnt', 'etc']) dir(d);
  copyTree(staging);
  copyTree(join(GUEST_DIR, 'rootfs'));
  add({ kind: 'file', path: 'bin/ngkvm-check', mode: 0o755, data: readFileSync(check) });
  // The kernel opens /dev/console before init runs, when devtmpfs is not mounted yet.
  add({ kind: 'char', path: 'dev/console', mode: 0o600, major: 5, minor: 1 });
  add({ kind: 'symlink', path: 'init', target: 'bin/busybox' });
  return [...entries.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
