/**
 * How a run of an e500 vCPU ends and resumes: the exit records handed to the VMM, the exit
 * an instruction is waiting on, and the MMIO log that lets an instruction which exited be
 * executed again from the start on the next run().
 *
 * Why a separate object: none of this is touched per instruction. The hot path only sees
 * `Cpu.stop` (set here through the host) and checks it after an access that may have
 * exited; everything else — the exit records, the log, the VM's routes, ioEvents and
 * coalesced zones — is cold, and keeping it out of the Cpu keeps that object small and its
 * shape about what generated code reads. It needs nothing of the Cpu but `stop` and a
 * counter, so it can be driven alone (test/unit/e500/exit-protocol.test.ts).
 *
 * Replay, in short: the first time an MMIO access of an instruction is reached the vCPU
 * exits; the VMM completes the access (fills `data` for a read); the next run() executes the
 * instruction again with `replaying` set, and accesses that already exited are answered from
 * the log (reads) or skipped (writes), so instructions with several accesses (lmw, stmw,
 * page crossings) need no special cases.
 */
import { RouteInterrupted } from '../../api/routes.js';
import type { RouteTable } from '../../api/route-table.js';
import type { CoalescedMmio } from '../../api/coalesced.js';
import type { DebugExit, DcrExit, EprExit, Exit, HaltExit, HypercallExit, InterruptedExit, MmioExit } from '../../api/exit.js';
import type { GuestPhysAddr } from '../../api/memory.js';
import type { E500Events } from './events.js';
import { STOP_EXIT } from './stop.js';
import { settleField } from './shapes.js';

export interface MmioLogEntry {
  readonly pa: number;
  readonly isWrite: boolean;
  readonly data: Uint8Array;
}

/** What the exit protocol needs of its vCPU: the stop flag and the MMIO exit counter. */
export interface ExitHost {
  stop: number;
  readonly counters: { mmio: number };
}

/** The exit records of one vCPU, reused for every exit of their kind (no allocation per exit). */
export interface ExitRecords {
  readonly mmio: MmioExit;
  readonly dcr: DcrExit;
  readonly hypercall: HypercallExit;
  readonly halt: HaltExit;
  readonly interrupted: InterruptedExit;
  readonly epr: EprExit;
  readonly debug: DebugExit;
  /** A kick while a routed device was being waited for: the instruction is replayed on resume. */
  readonly routeWait: InterruptedExit;
}

export class ExitProtocol {
  readonly exits: ExitRecords = {
    mmio: { kind: 'mmio', addr: 0 as GuestPhysAddr, size: 0, isWrite: false, data: new Uint8Array(8) },
    dcr: { kind: 'dcr', dcrn: 0, isWrite: false, data: 0 },
    hypercall: { kind: 'hypercall', nr: 0, args: new Uint32Array(8), ret: new Uint32Array(8) },
    halt: { kind: 'halt' },
    interrupted: { kind: 'interrupted' },
    epr: { kind: 'epr', epr: 0 },
    debug: { kind: 'debug', reason: 'single-step', pc: 0, address: 0 },
    routeWait: { kind: 'interrupted' },
  };
  /** The exit the current (or last) instruction stopped for; cleared when run() resumes it. */
  pending: Exit | null = null;
  /** The instruction that exited completes when run() is called again (PC goes past it). */
  resumesAfter = false;
  /** Runs when run() is called again after an exit that completes the instruction. */
  resumeAction: (() => void) | null = null;
  /** The MMIO accesses of the current instruction so far (see the header). */
  readonly log: MmioLogEntry[] = [];
  replaying = false;
  replayIndex = 0;

  /** The VM's device routes (api/route-table.ts), consulted before an MMIO access exits. */
  routes: RouteTable | null = null;
  /** The VM's ioEvents and irqEvents (events.ts): matched writes signal instead of exiting. */
  events: E500Events | null = null;
  /** The VM's coalesced MMIO zones: writes there are queued in a ring instead of exiting. */
  coalesced: CoalescedMmio | null = null;

  constructor(private readonly host: ExitHost) {
    settleField(this, 'pending', [this.exits.mmio, this.exits.dcr]);
    settleField(this, 'resumeAction', [() => {}]);
  }

  /** Forgets any exit in flight (vCPU reset). */
  reset(): void {
    this.pending = null;
    this.resumeAction = null;
    this.log.length = 0;
    this.replaying = false;
  }

  /** Ends the current instruction with an exit to the VMM. Returns 0 for `return c.exit.to(…)`. */
  to(exit: Exit, resumesAfter: boolean): 0 {
    this.pending = exit;
    this.resumesAfter = resumesAfter;
    this.host.stop = STOP_EXIT;
    return 0;
  }

  /** Starts executing the exited instruction again: its logged accesses are answered from the log. */
  beginReplay(): void {
    this.replaying = true;
    this.replayIndex = 0;
  }

  endReplay(): void {
    this.replaying = false;
  }

  /** The instruction completed or faulted: its accesses no longer answer anything. */
  clearLog(): void {
    this.log.length = 0;
  }

  /** Reads `size` bytes at physical `pa` outside RAM; the value is unsigned. */
  read(pa: number, size: number, le: boolean): number {
    const data = this.access(pa, size, false, le);
    let v = 0;
    if (le) for (let k = size - 1; k >= 0; k--) v = v * 256 + data[k]!;
    else for (let k = 0; k < size; k++) v = v * 256 + data[k]!;
    return v >>> 0;
  }

  write(pa: number, size: number, v: number, le: boolean): void {
    const data = new Uint8Array(size);
    for (let k = 0; k < size; k++) {
      const shift = 8 * (le ? k : size - 1 - k);
      data[k] = (v >>> shift) & 0xff;
    }
    this.access(pa, size, true, le, data);
  }

  /**
   * One MMIO access of the current instruction: answered from the log when replaying, else
   * offered to ioEvents, routes and coalesced zones, else an exit (`host.stop` set; the data
   * returned is then meaningless until the VMM completes it).
   */
  access(pa: number, size: number, isWrite: boolean, le: boolean, writeData?: Uint8Array): Uint8Array {
    if (this.replaying) {
      const k = this.replayIndex++;
      const entry = this.log[k];
      if (entry !== undefined) return entry.data;
    }
    const data = writeData ?? new Uint8Array(size);
    const log = this.log;
    if (log.length > 0) {
      // Accesses that did not exit (routes, ioEvents, coalesced zones) stay in the log, for
      // an instruction whose later access exits; but once that instruction is over they are
      // stale and would answer the next exit's replay. The accesses of one instruction are
      // consecutive in address and direction (lmw, stmw, lfd, evldd, dcbz, page crossings),
      // so anything else starts a new log. (Two instructions that touch adjacent addresses
      // the same way, the first routed and the second exiting, are not told apart.)
      const last = log[log.length - 1]!;
      if (last.pa + last.data.length !== pa || last.isWrite !== isWrite) log.length = 0;
    }
    if (isWrite && this.events !== null && this.events.hasIoEvents) {
      let v = 0;
      if (le) for (let k = size - 1; k >= 0; k--) v = v * 256 + data[k]!;
      else for (let k = 0; k < size; k++) v = v * 256 + data[k]!;
      if (this.events.ioWrite(pa, size, v)) {
        log.push({ pa, isWrite, data });
        return data;
      }
    }
    const routes = this.routes;
    if (routes !== null && routes.has('mmio')) {
      let routed: boolean;
      try {
        routed = routes.access('mmio', pa, isWrite, data);
      } catch (e) {
        if (!(e instanceof RouteInterrupted)) throw e;
        // Not logged: the instruction runs again on the next run() and asks the endpoint
        // again, which picks up the reply it was waiting for.
        this.to(this.exits.routeWait, false);
        return data;
      }
      if (routed) {
        // Logged like an exit, so a later access of the same instruction that does exit
        // replays this one from the log instead of reaching the device twice.
        log.push({ pa, isWrite, data });
        return data;
      }
    }
    if (this.coalesced !== null && isWrite && this.coalesced.absorb('mmio', pa, data)) {
      log.push({ pa, isWrite, data });
      return data;
    }
    log.push({ pa, isWrite, data });
    const e = this.exits.mmio;
    e.addr = pa as GuestPhysAddr;
    e.size = size;
    e.isWrite = isWrite;
    e.data = data;
    this.host.counters.mmio++;
    this.to(e, false);
    return data;
  }
}
