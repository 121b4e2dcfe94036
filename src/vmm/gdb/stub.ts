/**
 * The gdb remote stub's command side: one object per machine that answers gdb's packets
 * (registers, memory, breakpoints, threads) and decides which vCPUs may run. It lives on the
 * thread that owns the vCPUs and is driven synchronously:
 *
 *   - `handlePacket` for each packet gdb sends (the transport below it has already checked
 *     the checksum and sent the `+`); replies go out through `io.send`;
 *   - the machine loop asks `running` (may the guest run at all?) and `soloVcpu` (a single
 *     step of one thread while the others stay stopped) before each run;
 *   - `onDebugExit` for every `debug` exit, `interrupt` for Ctrl-C, `onMachineExit` when the
 *     guest ends, `disconnect` when the client goes away.
 *
 * All-stop mode: when any vCPU stops, all of them stop (the machine loop simply runs none),
 * and gdb sees each vCPU as a thread (ids 1..n).
 *
 * Registers are read only when gdb asks for them and cached until the guest runs again;
 * writes go to the vCPU at once (later memory accesses translate with the new MSR) and only
 * when the value changes. `g` carries the registers gdb needs at every stop; the Book E SPRs
 * are fetched one by one with `p` when gdb shows them.
 */
import type { DebugExit } from '../../api/exit.js';
import type { GuestDebug, HardwareBreakpoint } from '../../api/hypervisor.js';
import { gpa } from '../../api/memory.js';
import type { RegisterDescriptor, RegisterId } from '../../api/registers.js';
import { ADVERTISED_PACKET_SIZE, escapeBinary, fromHex, hex8, parseHexNumber, textToHex, toHex, unescapeBinary } from './packet.js';
import type { DebugVcpu, GdbTarget } from './target.js';
import { registersOf, targetXml, type GdbRegister } from './target-description.js';

/** Error replies, as errno numbers in hex the way gdbserver sends them. */
const E_PERM = 'E01';
const E_FAULT = 'E0e'; // EFAULT (14): address not mapped
const E_INVAL = 'E16'; // EINVAL (22): malformed or unacceptable arguments
const E_NOSPC = 'E1c'; // ENOSPC (28): no hardware breakpoint slot left
const E_SRCH = 'E03'; // ESRCH: no such thread

const SIGINT = 2;
const SIGTRAP = 5;

export interface StubIo {
  /** Sends one reply packet (payload only; the transport frames it). `rle` allows run-length encoding. */
  send(payload: string, options?: { readonly rle?: boolean }): void;
  /** A diagnostic line for the VMM's log. */
  log(line: string): void;
  /** gdb asked to kill the program: end the run. */
  kill(): void;
  /**
   * gdb's `monitor CMD` (qRcmd): runs one monitor line and returns what it printed. Absent
   * when the VMM has no monitor to offer; gdb then says the target does not support it.
   */
  monitor?(line: string): string;
}

type StopInfo =
  | { readonly kind: 'signal'; readonly signal: number; readonly thread: number }
  | { readonly kind: 'debug'; readonly thread: number; readonly reason: DebugExit['reason']; readonly address: number };

/**
 * A planted software breakpoint. Breakpoints at two effective addresses that map to the same
 * physical instruction (aliases) share one plant and one `original`; breakpoints never
 * overlap otherwise (a misaligned Z0 is refused), so restoring one never writes another's
 * trap back as if it were guest code.
 */
interface SwBreakpoint {
  readonly address: number;
  /** Guest-physical address the breakpoint was planted at (restored there, whatever the TLB says later). */
  readonly phys: number;
  /** The guest's own bytes under the breakpoint instruction (shared by aliases). */
  readonly original: Uint8Array;
}

/** A gdb Z1..Z4 request and the API breakpoints it became (a long watch needs several). */
interface HwRequest {
  readonly type: 1 | 2 | 3 | 4;
  readonly address: number;
  readonly length: number;
  readonly entries: readonly HardwareBreakpoint[];
}

type Action = { readonly kind: 'continue' | 'step' } | null;

/** The per-vCPU register view: gdb numbering mapped to API ids on first use, values cached per stop. */
class RegisterView {
  private map: Map<number, { reg: GdbRegister; desc: RegisterDescriptor | undefined }> | undefined;
  private readonly cache = new Map<RegisterId, bigint>();

  constructor(
    private readonly vcpu: DebugVcpu,
    private readonly all: readonly GdbRegister[],
  ) {}

  /** Built lazily: registerList() is only asked when gdb first touches a register. */
  private mapping(): Map<number, { reg: GdbRegister; desc: RegisterDescriptor | undefined }> {
    if (this.map === undefined) {
      const byName = new Map(this.vcpu.registerList().map((d) => [d.name, d]));
      this.map = new Map(
        this.all.map((reg) => {
          const desc = (reg.api ?? [reg.name]).map((n) => byName.get(n)).find((d) => d !== undefined);
          return [reg.regnum, { reg, desc }];
        }),
      );
    }
    return this.map;
  }

  has(regnum: number): boolean {
    return this.mapping().has(regnum);
  }

  register(regnum: number): GdbRegister | undefined {
    return this.mapping().get(regnum)?.reg;
  }

  /** Values of the given gdb registers (undefined: the vCPU has no such register). One API call for all misses. */
  read(regnums: readonly number[]): (bigint | undefined)[] {
    const m = this.mapping();
    const missing: RegisterId[] = [];
    for (const n of regnums) {
      const d = m.get(n)?.desc;
      if (d !== undefined && !this.cache.has(d.id) && !missing.includes(d.id)) missing.push(d.id);
    }
    if (missing.length > 0) {
      const values = this.vcpu.getRegisters(missing);
      missing.forEach((id, i) => this.cache.set(id, values[i]!));
    }
    return regnums.map((n) => {
      const d = m.get(n)?.desc;
      return d === undefined ? undefined : this.cache.get(d.id);
    });
  }

  /**
   * Writes gdb-sized values; a gdb register narrower than the API's (fpscr) replaces only the
   * low bits. Unchanged values are not written. Throws the API's typed errors (read-only, …).
   */
  write(values: readonly (readonly [number, bigint])[]): void {
    const m = this.mapping();
    const current = this.read(values.map(([n]) => n));
    const out: [RegisterId, bigint][] = [];
    values.forEach(([n, v], i) => {
      const e = m.get(n);
      if (e === undefined) throw new RangeError(`gdb register ${n} is not in the target description`);
      if (e.desc === undefined) throw new RangeError(`register ${e.reg.name} does not exist on this vCPU`);
      const mask = (1n << BigInt(e.reg.bitsize)) - 1n;
      const next = (current[i]! & ~mask) | (v & mask);
      if (next !== current[i]) out.push([e.desc.id, next]);
    });
    if (out.length === 0) return;
    try {
      this.vcpu.setRegisters(out);
    } finally {
      // The accelerator may normalise what it was given (PC alignment, MSR side effects).
      for (const [id] of out) this.cache.delete(id);
    }
  }

  invalidate(): void {
    this.cache.clear();
  }
}

export class GdbStub {
  private readonly regs: GdbRegister[];
  private readonly gRegs: GdbRegister[];
  private readonly views: RegisterView[];
  private readonly xml: string;
  private readonly le: boolean;
  /** Client features from qSupported. */
  private clientSwbreak = false;
  private clientHwbreak = false;
  /** Thread for g/m/Z… (Hg) and for c/s without vCont (Hc; -1 = all), as vCPU indexes. */
  private gThread = 0;
  private cThread = -1;
  private attached = false;
  private halted: boolean;
  private solo: number | null = null;
  private lastStop: StopInfo;
  private readonly swBps = new Map<number, SwBreakpoint>();
  /** Z0 breakpoints at addresses nothing mapped when they were set: kept as execute breakpoints. */
  private readonly swAsHw = new Set<number>();
  private hwReqs: HwRequest[] = [];
  /** What setGuestDebug was last given per vCPU (JSON), to call it only on a change. */
  private readonly applied: (string | null)[];

  /**
   * `startHalted`: the guest does not run until a debugger connects and continues it (-S).
   */
  constructor(
    private readonly target: GdbTarget,
    private readonly io: StubIo,
    options: { readonly startHalted?: boolean } = {},
  ) {
    this.regs = registersOf(target.description);
    this.gRegs = this.regs.filter((r) => r.inG);
    this.views = target.vcpus.map((v) => new RegisterView(v, this.regs));
    this.xml = targetXml(target.description);
    this.le = target.description.endian === 'little';
    this.halted = options.startHalted === true;
    this.lastStop = { kind: 'signal', signal: SIGTRAP, thread: 0 };
    this.applied = target.vcpus.map(() => null);
  }

  /** May the machine run its vCPUs? */
  get running(): boolean {
    return !this.halted;
  }

  /** When not null, only this vCPU (index) runs: gdb steps one thread and holds the others. */
  get soloVcpu(): number | null {
    return this.halted ? null : this.solo;
  }

  get connected(): boolean {
    return this.attached;
  }

  /** A client connected: stop the guest where it is (gdb expects a stopped target) and wait for '?'. */
  connect(lastRan = 0): void {
    this.attached = true;
    this.clientSwbreak = this.clientHwbreak = false;
    this.gThread = 0;
    this.cThread = -1;
    if (!this.halted) this.stop({ kind: 'signal', signal: SIGTRAP, thread: lastRan });
  }

  /**
   * The client went away without `D`: breakpoints come out of guest memory and the guest
   * runs on (a stopped guest resumes), as after a detach — a VM must not stay frozen for a
   * debugger that no longer exists.
   */
  disconnect(): void {
    if (!this.attached) return;
    this.detachAll();
    this.attached = false;
  }

  /** Ctrl-C from the client while the guest runs. `vcpu`: the one that ran last. */
  interrupt(vcpu = 0): void {
    if (this.halted || !this.attached) return;
    this.stop({ kind: 'signal', signal: SIGINT, thread: vcpu });
    this.io.send(this.stopReply());
  }

  /**
   * A `debug` exit of vCPU `index`. Returns true when the guest is now stopped for gdb; false
   * for a debug exit nobody asked for (no client: the machine just runs on).
   */
  onDebugExit(index: number, exit: Pick<DebugExit, 'reason' | 'pc' | 'address'>): boolean {
    if (!this.attached || this.halted) return false;
    this.stop({ kind: 'debug', thread: index, reason: exit.reason, address: exit.address });
    this.io.send(this.stopReply());
    return true;
  }

  /** The guest ended (reset with --no-reboot, shutdown): tell gdb the "process" exited. */
  onMachineExit(code: number): void {
    if (!this.attached) return;
    this.io.send(`W${hex8(code & 0xff)}`);
    this.attached = false;
  }

  // ------------------------------------------------------------------ packets

  handlePacket(payload: string): void {
    const reply = this.dispatch(payload);
    if (reply !== null) this.io.send(reply.text, reply.rle === true ? { rle: true } : undefined);
  }

  private dispatch(p: string): { text: string; rle?: boolean } | null {
    const ok = (text: string): { text: string } => ({ text });
    try {
      switch (p[0]) {
        case '?':
          return ok(this.stopReply());
        case 'g':
          return { text: this.readAllRegisters(), rle: true };
        case 'G':
          return ok(this.writeAllRegisters(p.slice(1)));
        case 'p':
          return { text: this.readOneRegister(p.slice(1)), rle: true };
        case 'P':
          return ok(this.writeOneRegister(p.slice(1)));
        case 'm':
          // Not run-length encoded: encoding 8 KiB of hex costs more time (~50 µs) than the
          // bytes it saves cost on a TCP connection; register dumps (short, many zeros) are.
          return { text: this.readMemoryPacket(p.slice(1)) };
        case 'M':
          return ok(this.writeMemoryPacket(p.slice(1), 'hex'));
        case 'X':
          return ok(this.writeMemoryPacket(p.slice(1), 'binary'));
        case 'Z':
        case 'z':
          return ok(this.breakpointPacket(p[0] === 'Z', p.slice(1)));
        case 'c':
        case 's':
        case 'C':
        case 'S':
          return this.legacyResume(p);
        case 'v':
          return this.vPacket(p);
        case 'H':
          return ok(this.setThread(p.slice(1)));
        case 'T':
          return ok(this.threadAlive(p.slice(1)));
        case 'q':
          return ok(this.query(p));
        case 'Q':
          return ok('');
        case 'D':
          this.detachAll();
          return ok('OK');
        case 'k':
          this.detachAll();
          this.io.kill();
          return null;
        default:
          return ok('');
      }
    } catch (err) {
      // A guest or argument problem must never end the session: report and carry on.
      this.io.log(`gdb: "${printable(p)}" failed: ${err instanceof Error ? err.message : String(err)}`);
      return ok(E_PERM);
    }
  }

  // ------------------------------------------------------------------ queries

  private query(p: string): string {
    if (p.startsWith('qSupported')) {
      const features = p.slice('qSupported:'.length).split(';');
      this.clientSwbreak = features.includes('swbreak+');
      this.clientHwbreak = features.includes('hwbreak+');
      return [
        `PacketSize=${ADVERTISED_PACKET_SIZE.toString(16)}`,
        'qXfer:features:read+',
        'swbreak+',
        'hwbreak+',
        'vContSupported+',
        'QStartNoAckMode+',
      ].join(';');
    }
    if (p.startsWith('qXfer:features:read:')) return this.xferFeatures(p.slice('qXfer:features:read:'.length));
    if (p === 'qfThreadInfo') return 'm' + this.target.vcpus.map((_, i) => (i + 1).toString(16)).join(',');
    if (p === 'qsThreadInfo') return 'l';
    if (p === 'qC') return `QC${(this.gThread + 1).toString(16)}`;
    // 1: gdb attached to something that existed before it; quitting gdb detaches, the VM lives on.
    if (p === 'qAttached' || p.startsWith('qAttached:')) return '1';
    if (p.startsWith('qThreadExtraInfo,')) {
      const t = this.threadIndex(p.slice('qThreadExtraInfo,'.length));
      if (t === null || t < 0) return E_SRCH;
      const v = this.target.vcpus[t]!;
      return textToHex(`vCPU ${v.id} (${v.target})`);
    }
    if (p === 'qSymbol::') return 'OK';
    if (p.startsWith('qRcmd,')) return this.monitorCommand(p.slice('qRcmd,'.length));
    return '';
  }

  /** Output goes back as `O` packets (hex text, in pieces that fit a packet), then OK. */
  private monitorCommand(hexLine: string): string {
    if (this.io.monitor === undefined) return '';
    const bytes = fromHex(hexLine);
    if (bytes === null) return E_INVAL;
    const output = this.io.monitor(Buffer.from(bytes).toString('latin1'));
    const chunk = Math.floor((ADVERTISED_PACKET_SIZE - 1) / 2);
    for (let i = 0; i < output.length; i += chunk) this.io.send('O' + textToHex(output.slice(i, i + chunk)));
    return 'OK';
  }

  private xferFeatures(args: string): string {
    const m = /^([^:]+):([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(args);
    if (m === null) return E_INVAL;
    if (m[1] !== 'target.xml') return E_FAULT; // gdb asks only for what target.xml includes
    const offset = parseHexNumber(m[2]!);
    const length = parseHexNumber(m[3]!);
    if (offset === null || length === null) return E_INVAL;
    const bytes = Buffer.from(this.xml, 'utf8');
    if (offset > bytes.length) return E_INVAL;
    const part = bytes.subarray(offset, offset + Math.min(length, ADVERTISED_PACKET_SIZE / 2));
    return (offset + part.length >= bytes.length ? 'l' : 'm') + escapeBinary(part);
  }

  // ------------------------------------------------------------------ threads

  /** gdb thread id text → vCPU index; -1 for "all" (-1), the first for "any" (0); null if unknown. */
  private threadIndex(text: string): number | null {
    if (text === '-1') return -1;
    const n = parseHexNumber(text.replace(/^p[0-9a-f]+\./i, ''));
    if (n === null) return null;
    if (n === 0) return 0;
    return n >= 1 && n <= this.target.vcpus.length ? n - 1 : null;
  }

  private setThread(args: string): string {
    const op = args[0];
    const t = this.threadIndex(args.slice(1));
    if ((op !== 'g' && op !== 'c') || t === null) return E_SRCH;
    if (op === 'g') this.gThread = t < 0 ? 0 : t;
    else this.cThread = t;
    return 'OK';
  }

  private threadAlive(args: string): string {
    const t = this.threadIndex(args);
    return t === null || t < 0 ? E_SRCH : 'OK';
  }

  // ------------------------------------------------------------------ registers

  private encode(value: bigint | undefined, bitsize: number): string {
    const n = bitsize / 8;
    if (value === undefined) return 'xx'.repeat(n);
    const bytes = new Uint8Array(n);
    let v = value;
    for (let i = 0; i < n; i++) {
      bytes[this.le ? i : n - 1 - i] = Number(v & 0xffn);
      v >>= 8n;
    }
    return toHex(bytes);
  }

  private decode(bytes: Uint8Array): bigint {
    let v = 0n;
    for (let i = 0; i < bytes.length; i++) v = (v << 8n) | BigInt(bytes[this.le ? bytes.length - 1 - i : i]!);
    return v;
  }

  private readAllRegisters(): string {
    const values = this.views[this.gThread]!.read(this.gRegs.map((r) => r.regnum));
    return this.gRegs.map((r, i) => this.encode(values[i], r.bitsize)).join('');
  }

  private writeAllRegisters(text: string): string {
    const writes: [number, bigint][] = [];
    let at = 0;
    for (const r of this.gRegs) {
      const width = r.bitsize / 4;
      if (at + width > text.length) break; // gdb may send fewer registers than it could
      const chunk = text.slice(at, at + width);
      at += width;
      if (/^x+$/i.test(chunk)) continue;
      const bytes = fromHex(chunk);
      if (bytes === null) return E_INVAL;
      writes.push([r.regnum, this.decode(bytes)]);
    }
    if (at !== text.length) return E_INVAL;
    // Registers the vCPU does not have are skipped: gdb echoes back what `g` told it.
    const view = this.views[this.gThread]!;
    const present = writes.filter(([n]) => view.read([n])[0] !== undefined);
    view.write(present);
    return 'OK';
  }

  private readOneRegister(args: string): string {
    const n = parseHexNumber(args);
    const view = this.views[this.gThread]!;
    if (n === null) return E_INVAL;
    const reg = view.register(n);
    if (reg === undefined) return E_INVAL;
    return this.encode(view.read([n])[0], reg.bitsize);
  }

  private writeOneRegister(args: string): string {
    const m = /^([0-9a-fA-F]+)=([0-9a-fA-F]+)$/.exec(args);
    if (m === null) return E_INVAL;
    const n = parseHexNumber(m[1]!);
    const view = this.views[this.gThread]!;
    const reg = n === null ? undefined : view.register(n);
    const bytes = fromHex(m[2]!);
    if (reg === undefined || bytes === null || bytes.length !== reg.bitsize / 8) return E_INVAL;
    if (view.read([reg.regnum])[0] === undefined) return E_PERM;
    view.write([[reg.regnum, this.decode(bytes)]]);
    return 'OK';
  }

  // ------------------------------------------------------------------ memory

  /**
   * Splits [ea, ea+length) into guest-physical pieces through the current thread's
   * translation. Stops at the first unmapped page (or page without RAM behind it) and
   * returns what came before it.
   */
  private pieces(ea: number, length: number): { phys: number; at: number; n: number }[] {
    const vcpu = this.target.vcpus[this.gThread]!;
    const limit = this.target.addressBits === 32 ? 0x1_0000_0000 : Number.MAX_SAFE_INTEGER;
    const out: { phys: number; at: number; n: number }[] = [];
    let done = 0;
    while (done < length && ea + done < limit) {
      const va = ea + done;
      const phys = this.target.debugTranslate(vcpu, va);
      if (phys === null) break;
      // Pages are at least 4 KiB and aligned: a piece inside one 4 KiB frame is inside one page.
      const n = Math.min(length - done, 0x1000 - (va % 0x1000));
      if (!this.target.memory.isMapped(gpa(phys), n)) break;
      out.push({ phys, at: done, n });
      done += n;
    }
    return out;
  }

  private parseAddrLen(text: string): { addr: number; length: number } | null {
    const m = /^([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(text);
    if (m === null) return null;
    const addr = parseHexNumber(m[1]!);
    const length = parseHexNumber(m[2]!);
    return addr === null || length === null ? null : { addr, length };
  }

  /**
   * Reads guest memory by effective address. A planted breakpoint reads as the guest's own
   * bytes only while its trap is really there: if something else has written over it since,
   * the reader sees what memory holds, never a stale picture.
   */
  readVirtual(addr: number, length: number): Uint8Array {
    const parts = this.pieces(addr, length);
    const total = parts.reduce((s, p) => s + p.n, 0);
    const out = new Uint8Array(total);
    for (const p of parts) {
      this.target.memory.read(gpa(p.phys), out.subarray(p.at, p.at + p.n));
      for (const bp of this.swBps.values()) {
        if (bp.phys + bp.original.length <= p.phys || p.phys + p.n <= bp.phys || !this.planted(bp.phys)) continue;
        overlay(out.subarray(p.at, p.at + p.n), p.phys, bp.original, bp.phys);
      }
    }
    return out;
  }

  private readMemoryPacket(args: string): string {
    const r = this.parseAddrLen(args);
    if (r === null) return E_INVAL;
    // Replies may be shorter than asked (the protocol allows it); never longer than a packet.
    const data = this.readVirtual(r.addr, Math.min(r.length, (ADVERTISED_PACKET_SIZE - 16) >> 1));
    if (data.length === 0 && r.length > 0) return E_FAULT;
    return toHex(data);
  }

  private writeMemoryPacket(args: string, encoding: 'hex' | 'binary'): string {
    const colon = args.indexOf(':');
    if (colon < 0) return E_INVAL;
    const r = this.parseAddrLen(args.slice(0, colon));
    const data = encoding === 'hex' ? fromHex(args.slice(colon + 1)) : unescapeBinary(args.slice(colon + 1));
    if (r === null || data === null || data.length !== r.length) return E_INVAL;
    const parts = this.pieces(r.addr, r.length);
    // All or nothing: a write that would stop halfway reports the fault without writing.
    if (parts.reduce((s, p) => s + p.n, 0) !== r.length) return E_FAULT;
    for (const p of parts) {
      const src = data.subarray(p.at, p.at + p.n);
      this.target.memory.write(gpa(p.phys), src);
      // Writing over a planted breakpoint changes what it restores, and it stays planted
      // (aliases share `original`: updating it twice is harmless).
      for (const bp of this.swBps.values()) {
        if (bp.phys + bp.original.length <= p.phys || p.phys + p.n <= bp.phys) continue;
        overlay(bp.original, bp.phys, src, p.phys);
        this.plant(bp);
      }
    }
    return 'OK';
  }

  // ------------------------------------------------------------------ breakpoints

  private plant(bp: SwBreakpoint): void {
    this.target.memory.write(gpa(bp.phys), this.target.vcpus[0]!.swBreakpointInstruction());
  }

  /** Whether guest memory at `phys` holds the breakpoint instruction. */
  private planted(phys: number): boolean {
    const trap = this.target.vcpus[0]!.swBreakpointInstruction();
    const now = new Uint8Array(trap.length);
    this.target.memory.read(gpa(phys), now);
    return now.every((b, i) => b === trap[i]);
  }

  /**
   * Puts the guest's bytes back under `bp`, unless another breakpoint (an alias) still needs
   * the trap there, or the trap is gone (the guest or a loader wrote new code over it: that
   * code is kept, and the log says so).
   */
  private unplant(bp: SwBreakpoint): void {
    for (const other of this.swBps.values()) if (other !== bp && other.phys === bp.phys) return;
    if (!this.planted(bp.phys)) {
      this.io.log(`gdb: the breakpoint at 0x${bp.address.toString(16)} was overwritten in guest memory; what is there now is left as it is`);
      return;
    }
    this.target.memory.write(gpa(bp.phys), bp.original);
  }

  private breakpointPacket(insert: boolean, args: string): string {
    const m = /^([0-4]),([0-9a-fA-F]+),([0-9a-fA-F]+)(;.*)?$/.exec(args);
    if (m === null) return E_INVAL;
    const type = Number(m[1]) as 0 | 1 | 2 | 3 | 4;
    const addr = parseHexNumber(m[2]!);
    const kind = parseHexNumber(m[3]!);
    if (addr === null || kind === null) return E_INVAL;
    if (type === 0) return insert ? this.insertSw(addr, kind) : this.removeSw(addr);
    return insert ? this.insertHw(type, addr, kind) : this.removeHw(type, addr, kind);
  }

  private insertSw(addr: number, kind: number): string {
    if (this.swBps.has(addr)) return 'OK'; // Z packets are idempotent
    const insn = this.target.vcpus[0]!.swBreakpointInstruction();
    if (kind !== insn.length && kind !== this.target.description.swBreakpointKind) return E_INVAL;
    // Instructions are aligned to the breakpoint instruction's length (4 on Book E): a trap
    // planted elsewhere would straddle two instructions and overlap its neighbours'.
    if (addr % insn.length !== 0) return E_INVAL;
    const parts = this.pieces(addr, insn.length);
    if (parts.length === 0 && this.hwBreakpointFree()) {
      // Nothing maps the address yet (a kernel symbol before the kernel maps itself): QEMU's
      // stub checks its breakpoints by effective address, so gdb users expect `break` to
      // work there. An execute breakpoint by effective address does the same.
      const r = this.insertHw(1, addr, 1);
      if (r === 'OK') this.swAsHw.add(addr);
      return r;
    }
    const only = parts[0];
    if (parts.length !== 1 || only === undefined || only.n !== insn.length) return E_FAULT;
    const phys = only.phys;
    // An alias of a planted breakpoint shares it: memory there holds the trap, not guest code.
    const alias = [...this.swBps.values()].find((b) => b.phys === phys);
    if (alias === undefined && [...this.swBps.values()].some((b) => b.phys < phys + insn.length && phys < b.phys + b.original.length)) return E_INVAL;
    let original: Uint8Array;
    if (alias !== undefined) {
      original = alias.original;
    } else {
      original = new Uint8Array(insn.length);
      this.target.memory.read(gpa(phys), original);
    }
    const bp: SwBreakpoint = { address: addr, phys, original };
    this.swBps.set(addr, bp);
    if (alias === undefined) this.plant(bp);
    this.applyDebug();
    return 'OK';
  }

  private hwBreakpointFree(): boolean {
    return this.hwReqs.reduce((n, h) => n + h.entries.length, 0) < this.target.hwBreakpointSlots;
  }

  private removeSw(addr: number): string {
    if (this.swAsHw.delete(addr)) return this.removeHw(1, addr, 1);
    const bp = this.swBps.get(addr);
    if (bp === undefined) return 'OK';
    this.swBps.delete(addr);
    this.unplant(bp);
    this.applyDebug();
    return 'OK';
  }

  private insertHw(type: 1 | 2 | 3 | 4, addr: number, kind: number): string {
    if (this.hwReqs.some((h) => h.type === type && h.address === addr && h.length === kind)) return 'OK';
    const used = this.hwReqs.reduce((s, h) => s + h.entries.length, 0);
    const free = this.target.hwBreakpointSlots - used;
    let entries: HardwareBreakpoint[];
    if (type === 1) {
      entries = [{ address: addr, kind: 'execute', length: 1 }];
    } else {
      const k = type === 2 ? 'write' : type === 3 ? 'read' : 'access';
      if (kind === 0) return E_INVAL;
      if (addr + kind > 2 ** this.target.addressBits) return E_INVAL;
      // Each slot watches at most 8 bytes: a range the free slots cannot cover is refused
      // before it is split (gdb's length is the client's number: Z2,0,ffffffff).
      if (kind > 8 * free) return E_NOSPC;
      entries = alignedPieces(addr, kind).map(([a, n]) => ({ address: a, kind: k, length: n }));
    }
    if (entries.length > free) return E_NOSPC;
    const req: HwRequest = { type, address: addr, length: kind, entries };
    this.hwReqs.push(req);
    try {
      this.applyDebug();
    } catch (err) {
      // The accelerator refused it (e.g. an unaligned instruction address): leave things as they were.
      this.hwReqs = this.hwReqs.filter((h) => h !== req);
      this.applyDebug();
      this.io.log(`gdb: hardware breakpoint at 0x${addr.toString(16)} refused: ${err instanceof Error ? err.message : String(err)}`);
      return E_INVAL;
    }
    return 'OK';
  }

  private removeHw(type: 1 | 2 | 3 | 4, addr: number, kind: number): string {
    this.hwReqs = this.hwReqs.filter((h) => !(h.type === type && h.address === addr && (type === 1 || h.length === kind)));
    this.applyDebug();
    return 'OK';
  }

  /**
   * Gives every vCPU its guest-debug settings; `stepping` are the vCPU indexes to single-step.
   * setGuestDebug is called only when a vCPU's settings change.
   */
  private applyDebug(stepping: ReadonlySet<number> = new Set()): void {
    const hardware = this.hwReqs.flatMap((h) => h.entries);
    const sw = this.swBps.size > 0;
    this.target.vcpus.forEach((v, i) => {
      const step = stepping.has(i);
      const debug: GuestDebug | null = step || sw || hardware.length > 0 ? { singleStep: step, softwareBreakpoints: sw, hardware } : null;
      const key = JSON.stringify(debug);
      if (this.applied[i] === key) return;
      v.setGuestDebug(debug);
      this.applied[i] = key;
    });
  }

  /** Removes every breakpoint from the guest and lets it run: D, a vanished client, k. */
  private detachAll(): void {
    for (const bp of [...this.swBps.values()]) {
      this.swBps.delete(bp.address);
      this.unplant(bp);
    }
    this.swAsHw.clear();
    this.hwReqs = [];
    this.applyDebug();
    this.resume(this.target.vcpus.map(() => ({ kind: 'continue' })));
  }

  // ------------------------------------------------------------------ execution

  private legacyResume(p: string): null | { text: string } {
    const step = p[0] === 's' || p[0] === 'S';
    // c/s [addr]; C/S sig[;addr]. Signals cannot be delivered to a bare-metal guest: ignored.
    if ((p[0] === 'C' || p[0] === 'S') && !/^[CS][0-9a-fA-F]{2}(;[0-9a-fA-F]+)?$/.test(p)) return { text: E_INVAL };
    const rest = p[0] === 'c' || p[0] === 's' ? p.slice(1) : (p.slice(1).split(';')[1] ?? '');
    if (rest !== '') {
      const addr = parseHexNumber(rest);
      if (addr === null) return { text: E_INVAL };
      const t = this.cThread < 0 ? this.gThread : this.cThread;
      this.views[t]!.write([[this.target.description.pcRegnum, BigInt(addr)]]);
    }
    const t = this.cThread < 0 ? this.gThread : this.cThread;
    // `s` steps one thread with the others held; `c` runs the Hc thread, or all of them.
    const actions: Action[] = this.target.vcpus.map((_, i) =>
      step ? (i === t ? { kind: 'step' } : null) : this.cThread < 0 || i === this.cThread ? { kind: 'continue' } : null,
    );
    this.resume(actions);
    return null;
  }

  private vPacket(p: string): { text: string } | null {
    if (p === 'vCont?') return { text: 'vCont;c;C;s;S' };
    if (p.startsWith('vCont;')) {
      const actions: Action[] = this.target.vcpus.map(() => null);
      for (const item of p.slice('vCont;'.length).split(';')) {
        const m = /^([cCsS])([0-9a-fA-F]{2})?(?::(.+))?$/.exec(item);
        if (m === null) return { text: E_INVAL };
        const kind = m[1] === 's' || m[1] === 'S' ? 'step' : 'continue';
        const t = m[3] === undefined ? -1 : this.threadIndex(m[3]);
        if (t === null) return { text: E_SRCH };
        // The leftmost action that matches a thread applies to it.
        for (let i = 0; i < actions.length; i++) if (actions[i] === null && (t < 0 || t === i)) actions[i] = { kind };
      }
      this.resume(actions);
      return null;
    }
    if (p === 'vMustReplyEmpty') return { text: '' };
    if (p.startsWith('vKill')) {
      this.detachAll();
      this.io.kill();
      return { text: 'OK' };
    }
    return { text: '' };
  }

  private resume(actions: readonly Action[]): void {
    const stepping = new Set<number>();
    actions.forEach((a, i) => {
      if (a?.kind === 'step') stepping.add(i);
    });
    for (const v of this.views) v.invalidate();
    this.applyDebug(stepping);
    const runners = actions.filter((a) => a !== null).length;
    // Only a step with every other vCPU held runs one vCPU alone; vCPUs without an action
    // while others continue run too (all-stop mode has no way to keep them back).
    this.solo = stepping.size === 1 && runners === 1 ? [...stepping][0]! : null;
    this.halted = false;
  }

  private stop(info: StopInfo): void {
    this.halted = true;
    this.solo = null;
    this.lastStop = info;
    this.gThread = info.thread;
    for (const v of this.views) v.invalidate();
  }

  private stopReply(): string {
    const s = this.lastStop;
    const d = this.target.description;
    const signal = s.kind === 'signal' ? s.signal : SIGTRAP;
    // PC and stack pointer go along: gdb needs them at once and saves a `g`.
    const [pc, sp] = this.views[s.thread]!.read([d.pcRegnum, d.spRegnum]);
    const regBits = (n: number): number => this.regs.find((r) => r.regnum === n)!.bitsize;
    let reply = `T${hex8(signal)}thread:${(s.thread + 1).toString(16)};`;
    if (pc !== undefined) reply += `${d.pcRegnum.toString(16)}:${this.encode(pc, regBits(d.pcRegnum))};`;
    if (sp !== undefined) reply += `${d.spRegnum.toString(16)}:${this.encode(sp, regBits(d.spRegnum))};`;
    if (s.kind === 'debug') {
      if (s.reason === 'breakpoint' && this.clientSwbreak) reply += 'swbreak:;';
      else if (s.reason === 'hw-breakpoint' && this.clientHwbreak) reply += 'hwbreak:;';
      else if (s.reason === 'watchpoint') reply += `${this.watchKind(s.address)}:${s.address.toString(16)};`;
    }
    return reply;
  }

  private watchKind(address: number): 'watch' | 'rwatch' | 'awatch' {
    const req = this.hwReqs.find((h) => h.type !== 1 && h.entries.some((e) => address >= e.address && address < e.address + e.length));
    return req?.type === 3 ? 'rwatch' : req?.type === 4 ? 'awatch' : 'watch';
  }
}

/** Copies the bytes of `src` (at guest-physical `srcPhys`) that fall inside `dst` (at `dstPhys`). */
function overlay(dst: Uint8Array, dstPhys: number, src: Uint8Array, srcPhys: number): void {
  const start = Math.max(dstPhys, srcPhys);
  const end = Math.min(dstPhys + dst.length, srcPhys + src.length);
  for (let a = start; a < end; a++) dst[a - dstPhys] = src[a - srcPhys]!;
}

/** [addr, addr+length) as naturally aligned pieces of 8, 4, 2 or 1 bytes. */
function alignedPieces(addr: number, length: number): [number, number][] {
  const out: [number, number][] = [];
  let a = addr;
  const end = addr + length;
  while (a < end) {
    let n = 8;
    while (n > 1 && (a % n !== 0 || a + n > end)) n >>= 1;
    out.push([a, n]);
    a += n;
  }
  return out;
}

function printable(p: string): string {
  const head = p.length > 40 ? p.slice(0, 40) + '…' : p;
  return head.replace(/[^\x20-\x7e]/g, '.');
}
