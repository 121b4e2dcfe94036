/**
 * Live migration and snapshots, end to end through the CLI and the monitor. Linux runs
 * /usr/share/ngkvm/migrate.sh: a new word in every page of a few MiB and a `tick N` line every
 * 100 ms. A migration is right when both sides' RAM hashes match at the switch and the
 * console's counter goes on at the destination with no gap and no repeat (a lost or replayed
 * stretch of guest time shows there). Then the failures: a destination killed mid-migration
 * leaves the source running; a corrupt, cut or mismatched snapshot never runs (U-Boot's
 * snapshot is enough for those, and quick).
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { ConsoleSession } from '../support/console-session.js';
import { linuxImagesOrWhy, type LinuxImages } from '../support/linux.js';
import { freePort, parseInfoMigrate, tickBreak, tickLine, ticks, waitForMigration } from '../support/migration.js';
import { MonitorSocket } from '../support/monitor-socket.js';
import { CLI } from '../support/paths.js';
import { runProcess } from '../support/processes.js';
import { UBOOT_ELF, haveUboot, ubootOnNgkvm } from '../support/uboot.js';

const images = linuxImagesOrWhy();
const dir = mkdtempSync(join(tmpdir(), 'ngkvm-migrate-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const RAMHASH = /^sha256 [0-9a-f]{64}\n$/;
const FAILED = 'ngkvm: incoming migration failed: ';

interface Guest {
  /** MiB the job rewrites every tick. */
  readonly dirtyMib?: number;
  readonly monitor: string;
  readonly incoming?: string;
  readonly halted?: boolean;
}

/** Linux on ngkvm running the migration job; a destination gets the same machine options. */
function linux(im: LinuxImages, g: Guest): ConsoleSession {
  return new ConsoleSession(process.execPath, [
    CLI, 'run', '--machine', 'ppce500', '--cpu', 'e500v2', '--smp', '1', '-m', '256M', '--serial', 'stdio', '--no-reboot',
    '--kernel', im.kernels.e500v2.vmlinux, '--initrd', im.initramfs,
    '--append', `console=ttyS0 ngkvm.script=migrate ngkvm.dirty_mib=${g.dirtyMib ?? 4}`,
    '--monitor', `unix:${g.monitor}`, ...(g.incoming !== undefined ? ['--incoming', g.incoming] : []), ...(g.halted === true ? ['-S'] : []),
  ]);
}

const text = (s: ConsoleSession): string => s.transcript.replace(/\r/g, '');
const lastTick = (s: ConsoleSession): number => Math.max(-1, ...ticks(text(s)));

/** Waits for `s` to print the tick `n` after `from` (default: the latest it has printed). */
async function moreTicks(s: ConsoleSession, n: number, from = lastTick(s), timeoutMs = 120_000): Promise<number> {
  const want = from + n;
  await s.waitFor(tickLine(want), timeoutMs);
  return want;
}

/** Source output up to the switch, then the destination's: the counter must read 0, 1, 2, … */
function assertSeamless(source: ConsoleSession | string, dest: ConsoleSession): void {
  const before = typeof source === 'string' ? source : text(source);
  const brk = tickBreak(ticks(before + text(dest)));
  assert.equal(brk, undefined, `the tick counter across the migration: ${brk}\nsource ends:\n${before.slice(-300)}\ndestination begins:\n${text(dest).slice(0, 300)}`);
}

async function quit(mon: MonitorSocket, vm: ConsoleSession): Promise<void> {
  mon.close();
  vm.kill();
  await vm.exit();
}

describe('Linux migrates with its memory and its time intact', { concurrency: 1, skip: typeof images === 'string' ? images : false }, () => {
  test('live over TCP: RAM hashes match at the switch, the console counter goes on with no gap or repeat', { timeout: 600_000 }, async (t) => {
    if (typeof images === 'string') return;
    const port = await freePort();
    const uri = `tcp:127.0.0.1:${port}`;
    const dest = linux(images, { monitor: join(dir, 'live-dest.sock'), incoming: uri, halted: true });
    const source = linux(images, { monitor: join(dir, 'live-source.sock') });
    let srcMon: MonitorSocket | undefined;
    let dstMon: MonitorSocket | undefined;
    try {
      await dest.waitForStderr(new RegExp(`ngkvm: waiting for an incoming migration on 127\\.0\\.0\\.1:${port}\\n`));
      srcMon = await MonitorSocket.connect(join(dir, 'live-source.sock'), false);
      await source.waitFor(/\ntick 10\r?\n/, 300_000);
      await srcMon.command(`migrate -d ${uri}`);
      const { info, seen } = await waitForMigration(srcMon);
      assert.equal(info.status, 'completed', `${info.text}\nsource stderr: ${source.stderr}\ndestination stderr: ${dest.stderr}`);
      assert.ok(info.downtimeMs !== undefined && info.totalMs !== undefined && info.transferredKiB !== undefined, info.text);
      t.diagnostic(`total ${info.totalMs} ms, downtime ${info.downtimeMs} ms, transferred ${info.transferredKiB} kbytes, dirty sync count ${info.dirtySyncCount}, statuses ${seen.join(' → ')}`);
      assert.equal(await srcMon.command('info status'), 'VM status: paused (postmigrate)\n');
      assert.match(source.stderr, /^ngkvm: migration: /m, 'the source reports its progress on stderr');
      await dest.waitForStderr(/ngkvm: incoming migration complete \(/);
      dstMon = await MonitorSocket.connect(join(dir, 'live-dest.sock'), false);
      const [a, b] = [await srcMon.command('info ramhash'), await dstMon.command('info ramhash')];
      assert.match(a, RAMHASH);
      assert.equal(b, a, 'guest RAM on the destination equals the source\'s');
      assert.equal(dest.transcript, '', 'the destination (-S) runs nothing before cont');
      const stoppedAt = lastTick(source);
      assert.equal(await dstMon.command('cont'), '');
      await moreTicks(dest, 10, stoppedAt);
      assert.equal(lastTick(source), stoppedAt, 'the source stays paused after the switch');
      assertSeamless(source, dest);
      // QEMU's postmigrate source can be continued (a second copy of the guest, now diverging).
      assert.equal(await srcMon.command('cont'), '');
      await moreTicks(source, 3, stoppedAt);
    } finally {
      srcMon?.close();
      dstMon?.close();
      source.kill();
      dest.kill();
      await Promise.all([source.exit(), dest.exit()]);
    }
  });

  test('snapshot to a file, a new process resumes it: the counter goes on where the source stopped; the source continues too', { timeout: 600_000 }, async () => {
    if (typeof images === 'string') return;
    const file = join(dir, 'linux.snapshot');
    const source = linux(images, { monitor: join(dir, 'snap-source.sock') });
    const mon = await MonitorSocket.connect(join(dir, 'snap-source.sock'), false);
    let restored: ConsoleSession | undefined;
    try {
      await source.waitFor(/\ntick 10\r?\n/, 300_000);
      assert.equal(await mon.command(`migrate file:${file}`), '');
      assert.ok(existsSync(file) && statSync(file).size > 0, 'the snapshot is written when migrate returns');
      assert.equal(parseInfoMigrate(await mon.command('info migrate')).status, 'completed');
      assert.equal(await mon.command('info status'), 'VM status: paused (postmigrate)\n');
      const atSnapshot = text(source);
      const stoppedAt = Math.max(-1, ...ticks(atSnapshot));
      // Looking at the paused source and continuing it must not cost the guest its timer: its
      // decrementer runs out during the pause, and the register read must not swallow that.
      await new Promise((r) => setTimeout(r, 300));
      assert.match(await mon.command('info registers'), /TCR /);
      assert.equal(await mon.command('cont'), '');
      await moreTicks(source, 3, stoppedAt);
      await quit(mon, source);
      restored = linux(images, { monitor: join(dir, 'snap-dest.sock'), incoming: `file:${file}` });
      await restored.waitForStderr(/ngkvm: incoming migration complete \(/);
      await moreTicks(restored, 10, stoppedAt);
      assertSeamless(atSnapshot, restored);
    } finally {
      mon.close();
      source.kill();
      restored?.kill();
      await Promise.all([source.exit(), restored?.exit()]);
    }
  });

  test('a destination killed mid-migration: the migration fails with an error, the source runs on', { timeout: 600_000 }, async (t) => {
    if (typeof images === 'string') return;
    const port = await freePort();
    const uri = `tcp:127.0.0.1:${port}`;
    // 32 MiB of changing pages is far more than the sockets' buffers hold, so with the
    // destination stopped (SIGSTOP) the first pass cannot finish: the kill lands while active.
    // An empty host is the loopback address, as in QEMU's tcp::PORT.
    const dest = linux(images, { dirtyMib: 32, monitor: join(dir, 'kill-dest.sock'), incoming: `tcp::${port}` });
    const source = linux(images, { dirtyMib: 32, monitor: join(dir, 'kill-source.sock') });
    let mon: MonitorSocket | undefined;
    try {
      await dest.waitForStderr(new RegExp(`ngkvm: waiting for an incoming migration on 127\\.0\\.0\\.1:${port}\\n`));
      mon = await MonitorSocket.connect(join(dir, 'kill-source.sock'), false);
      await source.waitFor(/\ntick 5\r?\n/, 300_000);
      process.kill(dest.pid!, 'SIGSTOP');
      await mon.command(`migrate -d ${uri}`);
      let info = parseInfoMigrate(await mon.command('info migrate'));
      for (let i = 0; i < 600 && (info.status === 'setup' || info.status === 'none'); i++) {
        await new Promise((r) => setTimeout(r, 50));
        info = parseInfoMigrate(await mon.command('info migrate'));
      }
      assert.equal(info.status, 'active', info.text);
      process.kill(dest.pid!, 'SIGKILL');
      const end = await waitForMigration(mon);
      assert.equal(end.info.status, 'failed', end.info.text);
      assert.ok(end.info.error !== undefined && end.info.error.trim() !== '', `an error line:\n${end.info.text}`);
      t.diagnostic(`error: ${end.info.error}`);
      assert.equal(await mon.command('info status'), 'VM status: running\n');
      await moreTicks(source, 5);
      assert.equal(tickBreak(ticks(text(source))), undefined, 'the source\'s counter never stopped or jumped');
    } finally {
      mon?.close();
      source.kill();
      dest.kill();
      await Promise.all([source.exit(), dest.exit()]);
    }
  });
});

describe('a snapshot that is corrupt, cut or for another machine never runs', { concurrency: 1, skip: haveUboot() ? false : `U-Boot is not installed (${UBOOT_ELF})` }, () => {
  const snapshot = join(dir, 'uboot.snapshot');

  before(async () => {
    const mon = join(dir, 'uboot.sock');
    const vm = ubootOnNgkvm('e500v2', ['--monitor', `unix:${mon}`]);
    const m = await MonitorSocket.connect(mon, false);
    try {
      await vm.waitFor('Hit any key to stop autoboot');
      vm.type('\n');
      await vm.waitFor(/=> $/);
      assert.equal(await m.command(`migrate file:${snapshot}`), '');
      m.send('quit');
      assert.equal(await vm.exit(), 0);
    } finally {
      m.close();
      vm.kill();
    }
  });

  /** `ngkvm run` with U-Boot from a snapshot file; the machine options default to the source's. */
  const restore = (file: string, opts: { cpu?: string; mem?: string } = {}): ReturnType<typeof runProcess> =>
    runProcess(process.execPath, [
      CLI, 'run', '--machine', 'ppce500', '--cpu', opts.cpu ?? 'e500v2', '-m', opts.mem ?? '256M', '--bios', UBOOT_ELF,
      '--serial', 'stdio', '--no-reboot', '--incoming', `file:${file}`,
    ], { timeoutMs: 60_000 });

  /** Exit status 1, one line on stderr, and not a byte from the guest. */
  async function refused(t: TestContext, file: string, opts: { cpu?: string; mem?: string } = {}): Promise<string> {
    const r = await restore(file, opts);
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    assert.equal(r.code, 1, `exit status (stderr: ${r.stderr})`);
    assert.equal(lines.length, 1, `one line on stderr: ${r.stderr}`);
    assert.ok(lines[0]!.startsWith(FAILED), lines[0]);
    assert.equal(r.stdout.toString('latin1'), '', 'the guest never ran');
    t.diagnostic(lines[0]!);
    return lines[0]!;
  }

  test('the untouched snapshot resumes U-Boot at its prompt (the control for the cases below)', async () => {
    const vm = ubootOnNgkvm('e500v2', ['--incoming', `file:${snapshot}`]);
    try {
      await vm.waitForStderr(/ngkvm: incoming migration complete \(/);
      vm.type('echo resumed\n');
      await vm.waitFor(/\nresumed\r?\n/);
      assert.doesNotMatch(vm.transcript, /U-Boot 20/, 'resumed, not booted again');
    } finally {
      vm.kill();
      await vm.exit();
    }
  });

  test('one byte flipped in the middle: refused with a checksum error', async (t) => {
    const file = join(dir, 'flipped.snapshot');
    const bytes = readFileSync(snapshot);
    const middle = bytes.length >> 1;
    bytes[middle] = bytes[middle]! ^ 0xff;
    writeFileSync(file, bytes);
    assert.match(await refused(t, file), /checksum/);
  });

  test('cut in half: refused as truncated', async (t) => {
    const file = join(dir, 'cut.snapshot');
    copyFileSync(snapshot, file);
    truncateSync(file, statSync(snapshot).size >> 1);
    assert.match(await refused(t, file), /truncated/);
  });

  test('a destination with 512 MiB of RAM: refused, naming both sizes', async (t) => {
    const line = await refused(t, snapshot, { mem: '512M' });
    assert.match(line, /RAM/);
    assert.match(line, /256 MiB/);
    assert.match(line, /512 MiB/);
  });

  test('a destination with another CPU: refused, naming it', async (t) => {
    const line = await refused(t, snapshot, { cpu: 'e500mc' });
    assert.match(line, /e500mc/);
    assert.match(line, /e500v2/);
  });
});
