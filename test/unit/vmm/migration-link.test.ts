/**
 * The TCP path of a migration in one process: the monitor's controller on one side of a
 * MessageChannel, the main thread's MigrationHost on the other, a plain TCP server as the
 * destination. The stream that arrives loads into a second machine with RAM equal at the
 * switch; a cancelled or refused migration ends as QEMU's would and leaves the guest running.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { MessageChannel } from 'node:worker_threads';
import { after, test } from 'node:test';
import { Hypervisor, gpa } from '../../../src/api/index.js';
import { Ppce500Board } from '../../../src/boards/ppce500/board.js';
import { TimerQueue } from '../../../src/devices/clock.js';
import { MigrationController, quiesceVcpus } from '../../../src/vmm/migration/controller.js';
import { MigrationHost } from '../../../src/vmm/migration/host-side.js';
import { loadStream } from '../../../src/vmm/migration/machine-image.js';
import { MigrationError } from '../../../src/vmm/migration/stream.js';
import { MIGRATION_SHARED_BYTES, MigrationShared } from '../../../src/vmm/migration/transport.js';
import { RunControl } from '../../../src/vmm/run-state.js';
import { guestElf } from '../../support/monitor.js';

const closers: (() => void)[] = [];
after(() => closers.forEach((c) => c()));

async function board(): Promise<Ppce500Board> {
  const elf = guestElf('e500v2', 'hello');
  return Ppce500Board.create(await Hypervisor.open({ accel: 'e500' }), {
    cpu: 'e500v2',
    ramSize: 64 << 20,
    kernel: { name: elf, bytes: readFileSync(elf) },
    serials: [{ write: () => {}, read: () => -1 }],
    clock: new TimerQueue(),
    log: () => {},
  });
}

function source(b: Ppce500Board) {
  const timers = new TimerQueue();
  const run = new RunControl();
  const { port1, port2 } = new MessageChannel();
  const shared = new MigrationShared(new SharedArrayBuffer(MIGRATION_SHARED_BYTES));
  const host = new MigrationHost(port1, shared, () => {});
  closers.push(() => {
    host.close();
    port1.close();
    port2.close();
  });
  const lines: string[] = [];
  const controller = new MigrationController({ board: b, clock: timers, run, quiesce: () => quiesceVcpus(b), log: (l) => lines.push(l), version: 'test', link: { port: port2, shared } });
  return { timers, run, controller, lines };
}

/** Gives the controller its turns (the machine loop's timers) until the migration is no longer active. */
async function drive(s: ReturnType<typeof source>): Promise<string> {
  for (let i = 0; i < 5000; i++) {
    await new Promise((r) => setTimeout(r, 1));
    s.timers.runDue();
    const info = s.controller.info();
    if (!/^Migration status: (active|setup)$/m.test(info)) return info;
  }
  throw new Error('the migration did not end');
}

/** A destination that keeps what it receives; `onData` may cut the connection. */
async function destination(onData?: (s: net.Socket) => void): Promise<{ port: number; received: Promise<Uint8Array> }> {
  let resolve!: (b: Uint8Array) => void;
  const received = new Promise<Uint8Array>((r) => (resolve = r));
  const server = net.createServer((s) => {
    const parts: Buffer[] = [];
    s.on('data', (b) => {
      parts.push(b);
      onData?.(s);
    });
    s.on('close', () => resolve(Buffer.concat(parts)));
    s.on('error', () => {});
  });
  closers.push(() => server.close());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, received };
}

test('tcp: the stream a destination receives loads into a fresh machine with the same RAM; the source ends postmigrate', { timeout: 60_000 }, async () => {
  const a = await board();
  const s = source(a);
  const dest = await destination();
  s.controller.start(`tcp:127.0.0.1:${dest.port}`);
  const info = await drive(s);
  assert.match(info, /^Migration status: completed$/m, `${info}\n${s.lines.join('\n')}`);
  assert.match(info, /^downtime: \d+ ms$/m);
  assert.match(info, /^total ram: 65536 kbytes$/m);
  assert.equal(s.run.status(), 'postmigrate');
  const bytes = await dest.received;
  assert.equal(Number(/^transferred ram: (\d+) kbytes$/m.exec(info)![1]), Math.floor(bytes.length / 1024), 'info migrate counts what was sent');
  const b = await board();
  let at = 0;
  loadStream({ read: (n) => bytes.subarray(at, (at += n)) }, b.migration, b.vm);
  const digest = (x: Ppce500Board) => new MigrationController({ board: x, clock: new TimerQueue(), run: new RunControl(), quiesce: () => {}, log: () => {}, version: 't' }).ramDigest();
  assert.equal(digest(b), s.controller.ramDigest());
  assert.ok(s.lines.some((l) => /^ngkvm: migration: completed in \d+ ms, downtime \d+ ms/.test(l)), s.lines.join('\n'));
});

test('tcp: a destination that drops the connection fails the migration with one error line; the guest keeps running', { timeout: 60_000 }, async () => {
  const a = await board();
  // 48 MiB of data pages: far more than socket buffers hold, so the drop is seen while sending.
  const junk = new Uint8Array(48 << 20);
  for (let k = 0; k < junk.length; k += 512) junk[k] = (k >>> 9) | 1;
  a.vm.memory.write(gpa(8 << 20), junk);
  const s = source(a);
  const dest = await destination((sock) => sock.destroy());
  s.controller.start(`tcp:127.0.0.1:${dest.port}`);
  const info = await drive(s);
  assert.match(info, /^Migration status: failed$/m, info);
  assert.match(info, /^error: .*127\.0\.0\.1:\d+.*$/m, info);
  assert.equal(s.run.status(), 'running');
  // Nothing listens on a closed port: the next attempt fails too, as a connect error.
  const closed = await destination();
  closers.pop()!();
  await new Promise((r) => setTimeout(r, 20));
  s.controller.start(`tcp:127.0.0.1:${closed.port}`);
  assert.match(await drive(s), /^error: cannot connect to 127\.0\.0\.1:\d+: .*ECONNREFUSED/m);
  assert.equal(s.run.status(), 'running');
});

test('migrate_cancel ends an active migration as cancelled; parameters are checked', { timeout: 60_000 }, async () => {
  const a = await board();
  const s = source(a);
  const dest = await destination();
  assert.throws(() => s.controller.setParameter('downtime-limit', 'soon'), MigrationError);
  assert.throws(() => s.controller.setParameter('max-bandwidth', '1'), /unknown migration parameter "max-bandwidth"/);
  s.controller.setParameter('downtime-limit', '50');
  assert.equal(s.controller.parameters(), 'downtime-limit: 50 ms\n');
  s.controller.start(`tcp:127.0.0.1:${dest.port}`);
  assert.throws(() => s.controller.start(`tcp:127.0.0.1:${dest.port}`), /already in progress/);
  s.controller.cancel();
  assert.match(s.controller.info(), /^Migration status: cancelled$/m);
  assert.equal(s.run.status(), 'running');
  await dest.received;
  assert.throws(() => s.controller.start('udp:1.2.3.4:5'), /not a migration address ngkvm knows/);
});
