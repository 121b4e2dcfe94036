#!/usr/bin/env node
// Prepares a fresh clone for `npm start`, `npm test` or `npm run bench`: npm dependencies,
// the Debian packages the chosen task needs (installed with apt-get when missing), the
// TypeScript build, the start-up bundles and the guest programs. Plain JavaScript because it
// runs before the build. With nothing to do it takes a few milliseconds (stat calls), which
// is why `npm start` runs it in the VMM's own process (scripts/start.mjs) instead of a second
// Node.
//
//   node scripts/setup.mjs --for start|web|test|bench|fuzz|linux
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundlesFresh, writeBundles } from './bundle.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Where Debian's u-boot-qemu puts the firmware for QEMU's ppce500 (what `npm start` boots). */
export const UBOOT_PPCE500 = '/usr/lib/u-boot/qemu-ppce500/uboot.elf';

/** Debian packages per task, with a command (or a file) that proves each is present. */
const PACKAGES = {
  'gcc-powerpc-linux-gnu': { command: 'powerpc-linux-gnu-gcc' },
  'binutils-powerpc-linux-gnu': { command: 'powerpc-linux-gnu-objdump' },
  make: { command: 'make' },
  'qemu-system-ppc': { command: 'qemu-system-ppc' },
  'device-tree-compiler': { command: 'dtc' },
  'gdb-multiarch': { command: 'gdb-multiarch' },
  'u-boot-qemu': { file: UBOOT_PPCE500 },
  // x86 guests: the host gcc (their 32-bit PVH entry is .code32 inside 64-bit objects, so no
  // multilib); QEMU's microvm is the oracle of the x86-microvm differential tests.
  gcc: { command: 'gcc' },
  'qemu-system-x86': { command: 'qemu-system-x86_64' },
  cpio: { command: 'cpio' },
  // The page's tests and benchmark drive Debian's browser with playwright-core (the
  // `playwright` package would download a browser build of its own).
  chromium: { file: '/usr/bin/chromium' },
};
const GUEST_TOOLS = ['gcc-powerpc-linux-gnu', 'binutils-powerpc-linux-gnu', 'make'];
const NEEDS = {
  start: ['u-boot-qemu'],
  test: [...GUEST_TOOLS, 'qemu-system-ppc', 'device-tree-compiler', 'u-boot-qemu', 'gdb-multiarch', 'gcc', 'qemu-system-x86', 'cpio', 'chromium'],
  bench: [...GUEST_TOOLS, 'qemu-system-ppc', 'u-boot-qemu', 'chromium'],
  web: ['u-boot-qemu'],
  // The fuzzer's image targets start from the guests' ELF files.
  fuzz: [...GUEST_TOOLS, 'gcc'],
  linux: [],
};
/** Guest programs built per task. */
const GUEST_DIRS = { start: [], web: [], test: ['guests', 'guests/spe', 'guests/x86'], bench: ['guests'], fuzz: ['guests', 'guests/x86'], linux: [] };
/**
 * Tasks that need the Linux kernels and initramfs (built from Debian's sources into the cache
 * outside the clone; the builder installs its own packages and shows its progress).
 */
const LINUX_IMAGES = new Set(['test', 'bench', 'linux']);

function log(msg) {
  process.stderr.write(`setup: ${msg}\n`);
}

function fail(msg) {
  process.stderr.write(`setup: ${msg}\n`);
  process.exit(1);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: opts.quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit', encoding: 'utf8', env: { ...process.env, ...(opts.env ?? {}) } });
  if (r.error) return { ok: false, out: String(r.error) };
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

function have(command) {
  return run('sh', ['-c', `command -v ${command}`], { quiet: true }).ok;
}

function ensureNpmDependencies() {
  // Every declared package must be there: a pull can add one to a clone installed before.
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const declared = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies });
  if (declared.every((name) => existsSync(join(root, 'node_modules', name, 'package.json')))) return;
  log('installing npm dependencies');
  const args = existsSync(join(root, 'package-lock.json')) ? ['ci', '--no-audit', '--no-fund'] : ['install', '--no-audit', '--no-fund'];
  if (!run('npm', args).ok) fail('npm could not install the dependencies (see above)');
}

const present = (p) => (PACKAGES[p].file !== undefined ? existsSync(PACKAGES[p].file) : have(PACKAGES[p].command));

function ensureDebianPackages(names) {
  const missing = names.filter((p) => !present(p));
  if (missing.length === 0) return;
  const isDebian = existsSync('/etc/debian_version') && have('apt-get');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isDebian) {
    fail(
      `missing Debian packages: ${missing.join(' ')}, and this machine has no apt-get. Install the equivalent packages with your system's package manager and run again` +
        (missing.includes('u-boot-qemu')
          ? `; for the firmware, take uboot.elf from Debian's u-boot-qemu package (https://packages.debian.org/bookworm/u-boot-qemu, path ${UBOOT_PPCE500}) or build U-Boot with qemu-ppce500_defconfig, and run: node bin/ngkvm.js run -m 256M --bios PATH/TO/u-boot --serial stdio`
          : '.'),
    );
  }
  const sudo = isRoot ? [] : have('sudo') ? ['sudo'] : null;
  if (sudo === null) {
    fail(`missing Debian packages: ${missing.join(' ')}, and installing them needs root (no sudo here). As root, run: apt-get install ${missing.join(' ')}`);
  }
  log(`installing Debian packages: ${missing.join(' ')}`);
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => run(sudo[0] ?? 'apt-get', [...(sudo.length ? ['apt-get'] : []), 'install', '-y', '--no-install-recommends', ...missing], { env });
  if (!install().ok) {
    // A fresh machine may have no package lists yet.
    run(sudo[0] ?? 'apt-get', [...(sudo.length ? ['apt-get'] : []), 'update'], { env });
    if (!install().ok) fail(`apt-get could not install: ${missing.join(' ')} (see above)`);
  }
  const still = names.filter((p) => !present(p));
  if (still.length > 0) fail(`apt-get finished but these are still missing: ${still.map((p) => PACKAGES[p].file ?? PACKAGES[p].command).join(', ')}`);
}

/**
 * The kvm accelerator's native addon (native/kvm_shim.c), built from source with the node-gyp
 * that npm bundles, against the headers of the Node that runs this script (no download).
 * Only rebuilt when the sources are newer than the binary. A failure is a warning: everything
 * but the kvm accelerator works without it, and Hypervisor.open({ accel: 'kvm' }) then says
 * how to build it.
 */
function buildNative() {
  if (process.platform !== 'linux') return;
  const dir = join(root, 'native');
  const out = join(dir, 'build', 'Release', 'kvm_shim.node');
  const sources = ['kvm_shim.c', 'binding.gyp'].map((f) => join(dir, f));
  if (existsSync(out) && sources.every((f) => statSync(f).mtimeMs <= statSync(out).mtimeMs)) return;
  const gyp = findNodeGyp();
  if (gyp === undefined) {
    log('warning: node-gyp not found (it comes with npm); the kvm accelerator is unavailable');
    return;
  }
  const args = [gyp, 'rebuild'];
  const nodedir = process.env.npm_config_nodedir ?? localNodeDir();
  if (nodedir !== undefined) args.push(`--nodedir=${nodedir}`);
  log('building the kvm native addon (native/kvm_shim.c)');
  const r = spawnSync(process.execPath, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(`${r.stdout ?? ''}${r.stderr ?? ''}`);
    log('warning: building native/kvm_shim.c failed (see above); the kvm accelerator is unavailable');
  }
}

/** npm exports its bundled node-gyp to scripts; run by hand, look next to npm itself. */
function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  const npm = run('sh', ['-c', 'command -v npm'], { quiet: true });
  if (npm.ok) {
    const npmRoot = join(dirname(realpathSync(npm.out.trim())), '..');
    candidates.push(join(npmRoot, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  }
  return candidates.find((c) => existsSync(c));
}

/** The prefix whose include/node has this Node's headers, when the distribution installed them. */
function localNodeDir() {
  const prefix = join(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
}

/** Where the fingerprint of the sources the last successful build compiled is kept. */
const BUILD_STAMP = join(root, 'dist', '.sources-stamp');

/**
 * A fingerprint of every input of the TypeScript build (path, size and modification time of
 * each file under src/, test/, bench/, the compiler's version and tsconfig.json). Stat calls
 * only: a few milliseconds, where tsc takes seconds even with nothing to do.
 */
function sourcesFingerprint() {
  const hash = createHash('sha256');
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.name.endsWith('.ts')) {
        const st = statSync(path);
        hash.update(`${path}\0${st.size}\0${st.mtimeMs}\n`);
      }
    }
  };
  for (const dir of ['src', 'test', 'bench']) if (existsSync(join(root, dir))) walk(join(root, dir));
  for (const file of ['tsconfig.json', join('node_modules', 'typescript', 'package.json')]) hash.update(readFileSync(join(root, file)));
  return hash.digest('hex');
}

/** True when dist/ was compiled from the sources as they are now (setup would not recompile). */
export function buildIsCurrent() {
  return existsSync(BUILD_STAMP) && readFileSync(BUILD_STAMP, 'utf8') === sourcesFingerprint();
}

async function build() {
  if (!buildIsCurrent()) {
    const fingerprint = sourcesFingerprint();
    log('compiling TypeScript');
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    if (!run(process.execPath, [tsc, '-p', join(root, 'tsconfig.json')]).ok) fail('the TypeScript build failed (see above)');
    writeFileSync(BUILD_STAMP, fingerprint);
  }
  if (bundlesFresh(root)) return;
  log('bundling the start-up files (dist/bundle)');
  const error = await writeBundles(root);
  // Not fatal: bin/ngkvm.js runs dist/src when the bundles are missing or stale.
  if (error !== undefined) log(`warning: bundling failed, ngkvm runs unbundled (slower start): ${error}`);
}

function buildGuests(dirs) {
  for (const dir of dirs) {
    log(`building guest programs in ${dir}`);
    const jobs = `-j${Math.min(8, Math.max(2, availableParallelism()))}`;
    if (!run('make', ['-C', join(root, dir), '-s', jobs]).ok) fail(`building the guests in ${dir} failed (see above)`);
  }
}

function buildLinuxImages() {
  log('building (or finding in the cache) the Linux guests');
  if (!run(process.execPath, [join(root, 'bin', 'ngkvm.js'), 'build-linux']).ok) fail('building the Linux guests failed (see above)');
}

/** Everything `purpose` needs, installed or built where missing; exits the process on failure. */
export async function setup(purpose) {
  if (!NEEDS[purpose]) fail(`unknown purpose "${purpose}"; use --for start, web, test, bench, fuzz or linux`);
  ensureNpmDependencies();
  ensureDebianPackages(NEEDS[purpose]);
  buildNative();
  await build();
  buildGuests(GUEST_DIRS[purpose]);
  if (LINUX_IMAGES.has(purpose)) buildLinuxImages();
  log('ready');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await setup(process.argv.includes('--for') ? process.argv[process.argv.indexOf('--for') + 1] : 'start');
}
