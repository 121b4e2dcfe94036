/** `--monitor` on the command line: the forms QEMU spells, and clear usage errors for the rest. */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildRunConfig, parseMonitor } from '../../../src/tools/cli.js';
import { UsageError } from '../../../src/tools/options.js';
import { GUEST_BUILD } from '../../support/paths.js';
import { ngkvm } from '../../support/processes.js';

test('--monitor: stdio, none, unix:PATH with QEMU\'s server/wait flags', () => {
  assert.deepEqual(parseMonitor('stdio'), { kind: 'stdio' });
  assert.deepEqual(parseMonitor('none'), { kind: 'none' });
  assert.deepEqual(parseMonitor('unix:/tmp/m.sock'), { kind: 'unix', path: '/tmp/m.sock', wait: false });
  assert.deepEqual(parseMonitor('unix:/tmp/m.sock,server,wait'), { kind: 'unix', path: '/tmp/m.sock', wait: true });
  assert.deepEqual(parseMonitor('unix:/tmp/m.sock,server=on,wait=off'), { kind: 'unix', path: '/tmp/m.sock', wait: false });
  const cfg = buildRunConfig(['--bios', 'x.elf', '--monitor', 'stdio']);
  assert.ok(typeof cfg === 'object');
  assert.deepEqual(cfg.monitor, { kind: 'stdio' });
  const none = buildRunConfig(['--bios', 'x.elf']);
  assert.ok(typeof none === 'object');
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
