/**
 * How `ngkvm` starts (issue 13, start-up): the bundles setup writes (one file per thread,
 * scripts/bundle.mjs) are what bin/ngkvm.js runs while they are at least as new as tsc's
 * output, and never after a newer tsc run; they run a guest exactly as the per-module build
 * does; the machine thread started before the CLI loads never keeps a failed command alive;
 * `npm start`'s script sets up and boots in one process.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { GUEST_BUILD, ROOT } from '../../support/paths.js';
import { ngkvm, ngkvmGuest, runProcess } from '../../support/processes.js';

interface BundleModule {
  bundlesFresh(root: string): boolean;
}
const bundles = (await import(pathToFileURL(join(ROOT, 'scripts', 'bundle.mjs')).href)) as BundleModule;
const SKIP = bundles.bundlesFresh(ROOT) ? undefined : 'skipped: dist/bundle is missing or older than dist/src (run `npm run setup` or `node scripts/setup.mjs`)';
const guest = join(GUEST_BUILD, 'e500v2', 'arith.elf');

const dir = mkdtempSync(join(tmpdir(), 'ngkvm-start-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('setup leaves bundles as new as the compiled sources', { skip: SKIP }, () => {
  for (const f of ['cli.js', 'machine-worker.js', 'machine-worker-cached.js', 'machine-worker.script.js', join('virtio-backends', 'tap-reader.js')]) {
    assert.ok(existsSync(join(ROOT, 'dist', 'bundle', f)), `dist/bundle/${f}`);
  }
});

test("the machine thread runs its script bundle with V8's code cache: a run writes it, the next uses it, a damaged one is replaced", { skip: SKIP ?? (existsSync(guest) ? undefined : `skipped: ${guest} is not built`) }, async () => {
  const cacheHome = join(dir, 'xdg-cache');
  const env = { XDG_CACHE_HOME: cacheHome, NGKVM_CODE_CACHE_LOG: '1', NGKVM_JIT: '0' };
  const args = [join(ROOT, 'bin', 'ngkvm.js'), 'run', '--machine', 'ppce500', '--cpu', 'e500v2', '-m', '256M', '--bios', guest, '--serial', 'stdio', '--no-reboot'];
  const run = async (): Promise<{ stdout: Buffer; log: string[] }> => {
    const r = await runProcess(process.execPath, args, { env, timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    return { stdout: r.stdout, log: r.stderr.split('\n').filter((l) => l.includes('code cache')) };
  };
  const first = await run();
  assert.deepEqual(first.log, ['ngkvm: machine thread code cache: miss', 'ngkvm: machine thread code cache: saved']);
  const files = readdirSync(join(cacheHome, 'ngkvm', 'v8'));
  assert.equal(files.length, 1);
  const second = await run();
  assert.deepEqual(second.log, ['ngkvm: machine thread code cache: hit']);
  assert.ok(first.stdout.length > 0);
  assert.deepEqual(second.stdout, first.stdout);

  const file = join(cacheHome, 'ngkvm', 'v8', files[0]!);
  const bytes = readFileSync(file);
  bytes[bytes.length >> 1]! ^= 0xff;
  writeFileSync(file, bytes);
  const third = await run();
  assert.deepEqual(third.log, ['ngkvm: machine thread code cache: damaged', 'ngkvm: machine thread code cache: saved']);
  assert.deepEqual(third.stdout, first.stdout);
  assert.deepEqual((await run()).log, ['ngkvm: machine thread code cache: hit']);
});

test('a guest prints the same through the bundles as through dist/src', { skip: SKIP ?? (existsSync(guest) ? undefined : `skipped: ${guest} is not built`) }, async () => {
  const bundled = await ngkvmGuest('e500v2', guest, { jit: false });
  const perModule = await runProcess(process.execPath, [join(ROOT, 'bin', 'ngkvm.js'), 'run', '--machine', 'ppce500', '--cpu', 'e500v2', '-m', '256M', '--bios', guest, '--serial', 'stdio', '--no-reboot'], {
    env: { NGKVM_NO_BUNDLE: '1', NGKVM_JIT: '0' },
    timeoutMs: 120_000,
  });
  assert.equal(bundled.code, 0, bundled.stderr);
  assert.equal(perModule.code, 0, perModule.stderr);
  assert.ok(bundled.stdout.length > 0);
  assert.deepEqual(bundled.stdout, perModule.stdout);
});

/**
 * A clone with only what the bundles need of dist/src (the file whose age decides, and the
 * machine-thread starter bin/ngkvm.js loads first): a run works only through the bundles.
 */
function bundleOnlyClone(): string {
  const root = join(dir, 'clone');
  rmSync(root, { recursive: true, force: true });
  mkdirSync(join(root, 'dist', 'src', 'tools'), { recursive: true });
  mkdirSync(join(root, 'dist', 'src', 'vmm'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(root, 'package.json'));
  cpSync(join(ROOT, 'bin'), join(root, 'bin'), { recursive: true });
  cpSync(join(ROOT, 'dist', 'bundle'), join(root, 'dist', 'bundle'), { recursive: true });
  cpSync(join(ROOT, 'dist', 'src', 'vmm', 'machine-thread.js'), join(root, 'dist', 'src', 'vmm', 'machine-thread.js'));
  writeFileSync(join(root, 'dist', 'src', 'tools', 'cli.js'), 'throw new Error("the per-module build ran, not the bundle");\n');
  const old = new Date(Date.now() - 60_000);
  utimesSync(join(root, 'dist', 'src', 'tools', 'cli.js'), old, old);
  return root;
}

test('bin/ngkvm.js runs the bundles while they are fresh, and not once tsc wrote newer output', { skip: SKIP ?? (existsSync(guest) ? undefined : `skipped: ${guest} is not built`) }, async () => {
  const root = bundleOnlyClone();
  const bin = join(root, 'bin', 'ngkvm.js');
  const args = [bin, 'run', '--machine', 'ppce500', '--cpu', 'e500v2', '-m', '256M', '--bios', guest, '--serial', 'stdio', '--no-reboot'];
  const fresh = await runProcess(process.execPath, args, { timeoutMs: 120_000, env: { NGKVM_JIT: '0' } });
  assert.equal(fresh.code, 0, fresh.stderr);
  assert.ok(fresh.stdout.length > 0, 'the guest printed through the bundles');
  const version = await runProcess(process.execPath, [bin, 'version']);
  assert.match(version.stdout.toString(), /^ngkvm \d+\.\d+\.\d+\n$/, 'the bundle finds package.json from dist/bundle');

  // tsc ran after the bundles were made: its output wins (here: the stand-in that throws).
  const now = new Date(Date.now() + 60_000);
  utimesSync(join(root, 'dist', 'src', 'tools', 'cli.js'), now, now);
  const stale = await runProcess(process.execPath, [bin, 'version']);
  assert.notEqual(stale.code, 0);
  assert.match(stale.stderr, /the per-module build ran, not the bundle/);
});

test('a command that fails before the machine starts exits at once despite the machine thread started early', async () => {
  for (const [args, code, message] of [
    [['run', '--bogus'], 2, /unknown option "--bogus"/],
    [['run', '--machine', 'ppce500', '--bios', join(dir, 'missing.elf')], 1, /cannot read firmware/],
  ] as const) {
    const r = await ngkvm(args, { timeoutMs: 30_000 });
    assert.equal(r.timedOut, false, `${args.join(' ')} did not exit`);
    assert.equal(r.code, code, r.stderr);
    assert.match(r.stderr, message);
  }
});

interface SetupModule {
  buildIsCurrent(): boolean;
}
const setupModule = (await import(pathToFileURL(join(ROOT, 'scripts', 'setup.mjs')).href)) as SetupModule;

test("npm start's script checks the setup and runs the CLI in one process", {
  // Sources edited since the build: start.mjs would recompile dist/ under the running suite.
  skip: setupModule.buildIsCurrent() ? false : 'skipped: the sources changed since the last build (run node scripts/setup.mjs first)',
}, async () => {
  const r = await runProcess(process.execPath, [join(ROOT, 'scripts', 'start.mjs'), '--help'], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /setup: ready/);
  assert.match(r.stdout.toString(), /^usage: ngkvm run/);
});
