/**
 * The machine thread's migration state: what the monitor's `migrate`, `migrate_cancel`,
 * `migrate_set_parameter`, `info migrate` and `info ramhash` act on, and the timer that
 * gives an outgoing migration its turns between vCPU runs.
 */
import type { Vm } from '../../api/hypervisor.js';
import type { Board, MigratableBoard } from '../../boards/board.js';
import type { DeviceClock, DeviceTimer } from '../../devices/clock.js';
import type { MessagePort } from 'node:worker_threads';
import type { MigrationUri } from '../config.js';
import type { RunControl, RunStatus } from '../run-state.js';
import { RamPages, WrittenPages } from './machine-image.js';
import { DEFAULT_DOWNTIME_LIMIT_MS, OutgoingMigration, type MigrationHooks, type MigrationSink } from './outgoing.js';
import { MigrationError } from './stream.js';
import { ChannelSink, FileSink, MigrationShared } from './transport.js';

/** A step sends for this long, then the guest runs for at least GAP_MS. */
const SLICE_MS = 40;
const GAP_MS = 2;

export interface MigrationControllerOptions {
  readonly board: Board;
  readonly clock: DeviceClock;
  readonly run: RunControl;
  /** Completes every vCPU's exit in flight, so registers hold everything (before a save). */
  readonly quiesce: () => void;
  readonly log: (line: string) => void;
  readonly version: string;
  /** The main thread's end for TCP links; absent where no main thread owns sockets (tests). */
  readonly link?: { readonly port: MessagePort; readonly shared: MigrationShared };
}


/** `tcp:HOST:PORT` (empty HOST: 127.0.0.1) or `file:PATH`, as QEMU spells them. */
export function parseMigrationUri(uri: string): MigrationUri {
  if (uri.startsWith('file:')) {
    const path = uri.slice(5);
    if (path === '') throw new MigrationError('file: needs a path (file:PATH)');
    return { kind: 'file', path };
  }
  const tcp = /^tcp:(.*):(\d+)$/.exec(uri);
  if (tcp !== null) {
    const port = Number(tcp[2]);
    if (port < 1 || port > 65535) throw new MigrationError(`port ${tcp[2]} is not a TCP port (1 to 65535)`);
    const host = tcp[1] === '' ? '127.0.0.1' : tcp[1]!.replace(/^\[(.*)\]$/, '$1');
    return { kind: 'tcp', host, port };
  }
  throw new MigrationError(`"${uri}" is not a migration address ngkvm knows: use tcp:HOST:PORT or file:PATH`);
}

export class MigrationController {
  private current: OutgoingMigration | undefined;
  private readonly timer: DeviceTimer;
  private downtimeLimitMs = DEFAULT_DOWNTIME_LIMIT_MS;
  /** Pages written since the VM was created, kept across migrations (each harvest clears the log). */
  private written: WrittenPages | undefined;

  constructor(private readonly opts: MigrationControllerOptions) {
    this.timer = opts.clock.createTimer('migration', () => this.turn());
  }

  private migratable(): MigratableBoard {
    const m = this.opts.board.migration;
    if (m === undefined) throw new MigrationError('this board cannot be saved or migrated');
    return m;
  }

  /** `migrate URI`: a file is written now (the guest stopped); a TCP migration starts and goes on in turns. */
  start(uri: string): void {
    if (this.current?.active === true) throw new MigrationError('a migration is already in progress (migrate_cancel stops it)');
    const target = parseMigrationUri(uri);
    const board = this.migratable();
    if (target.kind === 'file') {
      const before = this.opts.run.status();
      this.stopGuest();
      const m = this.begin(board, new FileSink(target.path), before);
      while (m.active) m.step(Infinity);
      if (m.status !== 'completed') {
        restore(this.opts.run, before);
        throw new MigrationError(m.error ?? `migration ${m.status}`);
      }
      return;
    }
    const link = this.opts.link;
    if (link === undefined) throw new MigrationError('TCP migration needs the VMM\'s main thread');
    this.begin(board, new ChannelSink(link.port, link.shared, target.host, target.port), this.opts.run.status());
    this.timer.arm(this.opts.clock.nowNs());
  }

  private begin(board: MigratableBoard, sink: MigrationSink, before: RunStatus): OutgoingMigration {
    const hooks: MigrationHooks = {
      nowMs: () => this.opts.clock.nowNs() / 1e6,
      stopGuest: () => this.stopGuest(),
      completed: () => this.opts.run.pause('postmigrate'),
      failedWhileStopped: () => restore(this.opts.run, before),
      log: this.opts.log,
      version: this.opts.version,
    };
    let m: OutgoingMigration;
    try {
      if (board.ramLoggedFromStart === true) this.written ??= new WrittenPages(Math.floor(board.ram.size / 4096));
      m = new OutgoingMigration(board, this.opts.board.vm as Vm, sink, { downtimeLimitMs: this.downtimeLimitMs }, hooks, this.written);
    } catch (err) {
      sink.abort();
      restore(this.opts.run, before);
      throw err;
    }
    this.current = m;
    return m;
  }

  /** Stops guest code for the final copy; returns whether it ran. */
  private stopGuest(): boolean {
    const was = this.opts.run.running;
    if (this.opts.run.status() !== 'finish-migrate') this.opts.run.pause('finish-migrate');
    this.opts.quiesce();
    return was;
  }

  /** A link event (connected, delivered, failed): the migration's turn now rather than at its timer. */
  linkEvent(): void {
    this.turn();
  }

  private turn(): void {
    const m = this.current;
    if (m === undefined || !m.active) return;
    m.step(SLICE_MS);
    if (m.active) this.timer.arm(this.opts.clock.nowNs() + GAP_MS * 1e6);
  }

  cancel(): void {
    this.current?.cancel();
    this.timer.cancel();
  }

  info(): string {
    return this.current?.info() ?? '';
  }

  setParameter(name: string, value: string): void {
    if (name !== 'downtime-limit') throw new MigrationError(`unknown migration parameter "${name}" (ngkvm has downtime-limit)`);
    const ms = Number(value);
    if (!Number.isInteger(ms) || ms < 0 || ms > 2000000) throw new MigrationError(`downtime-limit: "${value}" is not a number of milliseconds (0 to 2000000)`);
    this.downtimeLimitMs = ms;
    if (this.current?.active === true) this.current.params.downtimeLimitMs = ms;
  }

  parameters(): string {
    return `downtime-limit: ${this.downtimeLimitMs} ms\n`;
  }

  /** SHA-256 of guest RAM (compare two machines at the switch). */
  ramDigest(): string {
    return new RamPages(this.migratable()).digest();
  }
}

function restore(run: RunControl, before: RunStatus): void {
  if (before === 'running') run.resume();
  else run.pause(before);
}

/**
 * Completes each vCPU's exit in flight (a load's data goes into its register on the next
 * run) so registers hold the whole state: a kick makes that run return before any guest
 * instruction, as KVM's immediate_exit does.
 */
export function quiesceVcpus(board: Board): void {
  for (const v of board.vcpus) {
    for (let k = 0; ; k++) {
      v.kick();
      const exit = v.run();
      if (exit.kind === 'interrupted') break;
      if (k >= 64) throw new MigrationError(`vCPU ${v.id} keeps exiting (${exit.kind}) instead of stopping`);
      // The completed instruction can exit again (an access that needs one more device cycle).
      board.handleExit(v, exit);
    }
  }
}
