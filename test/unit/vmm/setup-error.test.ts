/**
 * The VMM's host ends (serial ports, the monitor socket, the gdb port) report a failure to
 * set up with one error type, HostSetupError, which says which end and carries a stable code;
 * the VMM turns it into one line and status 1.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import { GdbTcpServer } from '../../../src/vmm/gdb/server.js';
import { MonitorUnixServer } from '../../../src/vmm/monitor/unix-server.js';
import { createHostPorts } from '../../../src/vmm/serial-host.js';
import { HostSetupError } from '../../../src/vmm/setup-error.js';

const io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
const noHost = { inputAvailable: () => {}, quit: () => {} };

async function failure(open: () => Promise<void>): Promise<unknown> {
  try {
    await open();
    return undefined;
  } catch (e) {
    return e;
  }
}

test('a serial output file in a missing directory: HostSetupError "serial"', async () => {
  const [port] = createHostPorts([{ kind: 'file', path: '/no/such/dir/out.txt' }], io, noHost, undefined);
  const e = await failure(() => port!.open());
  assert.ok(e instanceof HostSetupError && e.what === 'serial' && e.code === 'ERR_SERIAL', String(e));
  await port!.close();
});

test('a monitor path that is not a socket: HostSetupError "monitor"', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'ngkvm-setup-')), 'plain-file');
  writeFileSync(path, 'x');
  const server = new MonitorUnixServer(path, false, () => {
    throw new Error('no session expected');
  }, () => {});
  const e = await failure(() => server.open());
  assert.ok(e instanceof HostSetupError && e.what === 'monitor' && e.code === 'ERR_MONITOR', String(e));
});

test('a gdb port in use: HostSetupError "gdb"', async () => {
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  const port = (busy.address() as { port: number }).port;
  const { port1, port2 } = new MessageChannel();
  const gdb = new GdbTcpServer('127.0.0.1', port, port1, () => {}, () => {});
  try {
    const e = await failure(() => gdb.open());
    assert.ok(e instanceof HostSetupError && e.what === 'gdb' && e.code === 'ERR_GDB_SETUP' && /the port is in use/.test(e.message), String(e));
  } finally {
    port1.close();
    port2.close();
    busy.close();
  }
});
