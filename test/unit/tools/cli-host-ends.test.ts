/**
 * Host ends that fail or do not cooperate never freeze the machine or keep the process alive:
 * a serial file that cannot be written, a TCP console client that does not read, debugger
 * and monitor clients that keep their sockets open after the run ended.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { framePacket } from '../../../src/vmm/gdb/packet.js';
import { CLI, GUEST_BUILD } from '../../support/paths.js';
import { chattyGuestFile } from '../../support/ppc-elf.js';

const chatty = chattyGuestFile();
const dir = mkdtempSync(join(tmpdir(), 'ngkvm-hostends-'));
after(() => {
  rmSync(dirname(chatty), { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});
// A guest that prints and ends by itself (a reset, with --no-reboot the end of the run).
const arith = join(GUEST_BUILD, 'e500v2', 'arith.elf');

interface Run {
  readonly child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `re` in stderr (now or later). */
  stderrMatch(re: RegExp): Promise<RegExpExecArray>;
  stdoutMatch(re: RegExp): Promise<RegExpExecArray>;
  readonly exited: Promise<number | null>;
}

function start(args: readonly string[]): Run {
  const child = spawn(process.execPath, [CLI, 'run', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const watchers: { stream: 'out' | 'err'; re: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];
  const check = (): void => {
    for (let i = watchers.length - 1; i >= 0; i--) {
      const w = watchers[i]!;
      const m = w.re.exec(w.stream === 'out' ? out : err);
      if (m !== null) {
        watchers.splice(i, 1);
        w.resolve(m);
      }
    }
  };
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString('latin1');
    check();
  });
  child.stderr.on('data', (b: Buffer) => {
    err += b.toString();
    check();
  });
  child.stdin.on('error', () => {});
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const match = (stream: 'out' | 'err', re: RegExp): Promise<RegExpExecArray> =>
    new Promise((resolve, reject) => {
      watchers.push({ stream, re, resolve });
      check();
      void exited.then(() => reject(new Error(`ngkvm ended before ${re} appeared; stderr: ${err}`)));
    });
  return { child, stdout: () => out, stderr: () => err, stderrMatch: (re) => match('err', re), stdoutMatch: (re) => match('out', re), exited };
}

/** A client that keeps its end open when the server ends the connection (as a stuck debugger does). */
function halfOpenClient(port: number | string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = typeof port === 'number' ? connect({ port, host: '127.0.0.1', allowHalfOpen: true }) : connect({ path: port, allowHalfOpen: true });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

test('--serial file:/dev/full: one line says the output is discarded, the guest runs on, the monitor answers and quit quits', async () => {
  const r = start(['--kernel', chatty, '--serial', 'file:/dev/full', '--monitor', 'stdio']);
  await r.stderrMatch(/serial 0: writing to "\/dev\/full" failed \(no space left on the device\); the guest's further output on this port is discarded\n/);
  r.child.stdin.write('info status\nquit\n');
  assert.equal(await r.exited, 0, r.stderr());
  assert.match(r.stdout(), /VM status: running/);
  assert.equal(r.stderr().match(/writing to/g)?.length, 1, 'said once');
});

test('--serial tcp with a client that never reads: the monitor still answers, quit ends the run and the process', async () => {
  const r = start(['--kernel', chatty, '--serial', 'tcp:127.0.0.1:0', '--monitor', 'stdio']);
  const port = Number((await r.stderrMatch(/waiting for a connection on tcp:127\.0\.0\.1:(\d+)/))[1]);
  const client = await halfOpenClient(port);
  // It reads the first bytes (the guest runs) and then nothing more: the guest soon blocks in its UART write.
  await new Promise<void>((resolve) => client.once('data', () => resolve()));
  client.pause();
  r.child.stdin.write('info status\n');
  await r.stdoutMatch(/VM status: running/);
  r.child.stdin.write('quit\n');
  assert.equal(await r.exited, 0, r.stderr());
  client.destroy();
});

test('gdb `k` ends the process while the debugger keeps its socket open', async () => {
  const r = start(['--kernel', arith, '--serial', 'null', '--gdb', 'tcp:127.0.0.1:0', '-S']);
  const port = Number((await r.stderrMatch(/gdb stub listening on tcp:127\.0\.0\.1:(\d+)/))[1]);
  const client = await halfOpenClient(port);
  client.on('data', () => {});
  client.write(framePacket('?'));
  client.write(framePacket('k'));
  assert.equal(await r.exited, 0, r.stderr());
  assert.equal(client.destroyed, false, 'the client still holds its end');
  client.destroy();
});

test('the guest\'s end finishes the process while gdb and monitor clients keep their sockets open', async () => {
  const monitorPath = join(dir, 'mon.sock');
  const r = start(['--kernel', arith, '--serial', 'stdio', '--no-reboot', '--gdb', 'tcp:127.0.0.1:0', '-S', '--monitor', `unix:${monitorPath}`]);
  const port = Number((await r.stderrMatch(/gdb stub listening on tcp:127\.0\.0\.1:(\d+)/))[1]);
  const monitor = await halfOpenClient(monitorPath);
  monitor.on('data', () => {});
  const gdb = await halfOpenClient(port);
  let replies = '';
  gdb.on('data', (b: Buffer) => (replies += b.toString('latin1')));
  gdb.write(framePacket('?'));
  gdb.write(framePacket('c'));
  assert.equal(await r.exited, 0, r.stderr());
  assert.match(replies, /\$W00#/, 'gdb heard that the guest exited');
  assert.match(r.stdout(), /^== arith/);
  gdb.destroy();
  monitor.destroy();
});
