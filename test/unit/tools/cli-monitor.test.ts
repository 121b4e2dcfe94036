/** `--monitor` on the command line: the forms QEMU spells, and clear usage errors for the rest. */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildRunConfig, loadTargetCatalog, parseMonitor } from '../../../src/tools/cli.js';
import { UsageError } from '../../../src/tools/options.js';
import { existsSync } from 'node:fs';
import { enterMonitor, guestElf, monitorCommand, ngkvmWithMonitor } from '../../support/monitor.js';
import { GUEST_BUILD } from '../../support/paths.js';
import { ngkvm } from '../../support/processes.js';

test('--monitor: stdio, none, unix:PATH with QEMU\'s server/wait flags', async () => {
  const catalog = await loadTargetCatalog();
  assert.deepEqual(parseMonitor('stdio'), { kind: 'stdio' });
  assert.deepEqual(parseMonitor('none'), { kind: 'none' });
  assert.deepEqual(parseMonitor('unix:/tmp/m.sock'), { kind: 'unix', path: '/tmp/m.sock', wait: false });
  assert.deepEqual(parseMonitor('unix:/tmp/m.sock,server,wait'), { kind: 'unix', path: '/tmp/m.sock', wait: true });
  assert.deepEqual(parseMonitor('unix:/tmp/m.sock,server=on,wait=off'), { kind: 'unix', path: '/tmp/m.sock', wait: false });
  const cfg = buildRunConfig(['--bios', 'x.elf', '--monitor', 'stdio'], catalog);
  assert.ok(typeof cfg === 'object' && 'machine' in cfg);
  assert.deepEqual(cfg.monitor, { kind: 'stdio' });
  const none = buildRunConfig(['--bios', 'x.elf'], catalog);
  assert.ok(typeof none === 'object' && 'machine' in none);
  assert.deepEqual(none.monitor, { kind: 'none' }, 'no monitor unless asked for');
});

test('--monitor: unsupported forms are usage errors that say what works', () => {
  assert.throws(() => parseMonitor('tcp:localhost:4444'), (e: unknown) => e instanceof UsageError && /use stdio, unix:PATH or none/.test(e.message));
  assert.throws(() => parseMonitor('unix:'), (e: unknown) => e instanceof UsageError && /needs a path/.test(e.message));
  assert.throws(() => parseMonitor('unix:/tmp/m,telnet'), (e: unknown) => e instanceof UsageError && /unknown flag "telnet"/.test(e.message));
  assert.throws(() => parseMonitor(`unix:/tmp/${'a'.repeat(120)}`), (e: unknown) => e instanceof UsageError && /at most 107 bytes/.test(e.message));
});

test('run --help documents --monitor', async () => {
  const r = await ngkvm(['run', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout.toString(), /--monitor DEV\s+the monitor/);
  assert.match(r.stdout.toString(), /Ctrl-A c switches between the console and the monitor/);
});

test('--exit-timing: the monitor\'s info stats shows the VMM time per exit kind (only when asked for)', { skip: existsSync(guestElf('e500v2', 'hello')) ? false : 'the ppce500 guests are not built (make -C guests)' }, async () => {
  const cfg = buildRunConfig(['--bios', 'x.elf', '--exit-timing'], await loadTargetCatalog());
  assert.ok(typeof cfg === 'object' && 'machine' in cfg && cfg.exitTiming === true);
  for (const timing of [true, false]) {
    const s = ngkvmWithMonitor('e500v2', guestElf('e500v2', 'hello'), timing ? ['--exit-timing'] : []);
    try {
      await s.waitFor("quits.\r\n> ", 60_000);
      await enterMonitor(s);
      const stats = await monitorCommand(s, 'info stats vcpu');
      assert.match(stats, /^CPU#0\nprovider: e500\n/);
      assert.match(stats, /    mmio \(cumulative\): [1-9]\d*\n/);
      if (timing) {
        assert.match(stats, /exit timing \(VMM time from an exit to the next run, ns\):\n/);
        // The banner went out through the UART one MMIO exit per byte, each handled by the VMM.
        assert.match(stats, /    mmio: count [1-9]\d*, total \d+, min \d+, max \d+, mean \d+\n/);
      } else {
        assert.doesNotMatch(stats, /exit timing/);
      }
      s.type('quit\n');
      assert.equal(await s.exit(), 0);
    } finally {
      s.kill();
    }
  }
});

const arith = join(GUEST_BUILD, 'e500v2', 'arith.elf');

test('--monitor unix: in a directory that does not exist says so (libuv calls it EACCES), one line', async () => {
  const r = await ngkvm(['run', '--kernel', arith, '--serial', 'null', '--monitor', 'unix:/no/such/dir/sock']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'ngkvm: --monitor unix:/no/such/dir/sock: cannot listen: the directory "/no/such/dir" does not exist\n');
});

test('--monitor unix: in a directory without write permission says permission denied, naming it', { skip: process.getuid?.() === 0 ? 'root may create sockets anywhere' : false }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ngkvm-ro-'));
  chmodSync(dir, 0o500);
  try {
    const r = await ngkvm(['run', '--kernel', arith, '--serial', 'null', '--monitor', `unix:${dir}/sock`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot listen: permission denied: cannot create a socket in ".*ngkvm-ro-/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
