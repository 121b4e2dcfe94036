/**
 * Freescale MPIC (OpenPIC-compatible, v4.2) as QEMU 7.2's ppce500 has it at CCSR+0x40000:
 * the register map over `MpicCore` (sources, delivery), the four global timers and the
 * shared-message (MSI) block. Registers are big-endian 32-bit.
 *
 * The map follows what QEMU decodes, measured with U-Boot `md`/`mw` on `qemu-system-ppc 7.2`:
 *
 * | offsets            | contents                                                          |
 * |--------------------|-------------------------------------------------------------------|
 * | 0x00000–0x010EF    | BRR1, this CPU's IPIDR/CTPR/WHOAMI/IACK/EOI (0x40–0xB0), FRR, GCR, |
 * |                    | VIR, PIR, IPI vector/priority, SVR                                 |
 * | 0x010F0–0x0130F    | TFRR, timers 0–3 at 0x1100 + 0x40·n; 0x1200–0x130F repeat them     |
 * | 0x01600–0x017FF    | MSIR0–7, MSISR (0x1720), MSIIR (0x1740)                            |
 * | 0x03800–0x03FFF    | summary and error registers: read 0, writes ignored                |
 * | 0x10000–0x11FFF    | IVPR/IDR/ILR of sources 0–255                                      |
 * | 0x20000–0x3F0FF    | per-CPU blocks, 0x1000 apart, for 32 CPUs                          |
 *
 * Inside those ranges, offsets QEMU does not decode read 0xFFFF_FFFF (registers that are not
 * 16-byte aligned, unknown global/per-CPU/source registers, blocks of CPUs that do not exist);
 * unknown MSI registers read 0. Everything else (including the FSL timer group B at
 * 0x2100 and its control registers, which QEMU does not model) is unassigned: reads 0.
 * Writes QEMU ignores are ignored. Each of these accesses is logged, rate-limited, except
 * the timer group B registers and the summary/error block, which Linux writes at every boot
 * and QEMU takes silently (see isTimerGroupB).
 * Byte and halfword accesses act as QEMU's widening does: a 32-bit access at the same offset,
 * the data in its most significant bytes.
 */
import type { InterruptSink, MsiMessage } from '../../api/events.js';
import type { MmioDevice } from '../bus.js';
import { RateLimitedLog, type Logger } from '../bus.js';
import type { DeviceClock, DeviceTimer } from '../clock.js';
import { GlobalTimer, TBCR_CI } from './global-timer.js';
import { MpicCore, MPIC_IPI_BASE, MPIC_TIMER_BASE, type MpicOutputs } from './core.js';
import { StateError, type DeviceState, type StateReader, type StateWriter } from '../state.js';

export { MPIC_IPI_BASE, MPIC_TIMER_BASE, type MpicOutputs } from './core.js';

const BRR1 = 0x00400402;
/** QEMU's FSL MPIC 4.2 reports 196 sources in FRR, though all 256 source registers exist. */
const FRR_SOURCES = 196;
const FRR_VERSION = 2;
const GCR_RESET = 0x80000000;
const GCR_MODE = 0x60000000;
export const GCR_MODE_PROXY = 0x60000000;
const MSI_BASE = 224;
/** MSIIR's offset in the MPIC block. */
const MSIIR_OFFSET = 0x1740;
const MSI_GROUPS = 8;
/** QEMU's per-CPU register space has room for 32 CPUs. */
const MAX_CPUS = 32;
/** What QEMU returns for registers it does not decode inside its register ranges. */
const UNDECODED = 0xffffffff;

export interface OpenPicOptions {
  /** Time for the global timers; without it they never count (and say so in the log). */
  clock?: DeviceClock;
  /** Where guest accesses to registers that are not modelled are reported (rate-limited). */
  log?: Logger;
}

export class OpenPic implements DeviceState, MmioDevice, InterruptSink {
  readonly name = 'mpic';
  readonly endian = 'big' as const;
  readonly maxAccessSize = 4 as const;
  /** CPU that performs the current MMIO access (set by the board before dispatching). */
  currentCpu = 0;
  private readonly core: MpicCore;
  private readonly outputs: MpicOutputs;
  private readonly clock: DeviceClock | undefined;
  private readonly log: RateLimitedLog | undefined;
  private readonly timers: GlobalTimer[] = [];
  private readonly deviceTimers: (DeviceTimer | undefined)[] = [];
  private readonly armedAt: number[] = [];
  private readonly msir = new Uint32Array(MSI_GROUPS);
  private gcr = 0;
  private tfrr = 0;
  private proxy = false;
  private warnedNoClock = false;

  constructor(cpuCount: number, outputs: MpicOutputs, options: OpenPicOptions = {}) {
    if (!Number.isInteger(cpuCount) || cpuCount < 1 || cpuCount > MAX_CPUS) {
      throw new RangeError(`the MPIC serves 1 to ${MAX_CPUS} CPUs, not ${cpuCount}`);
    }
    this.outputs = outputs;
    this.core = new MpicCore(cpuCount, outputs);
    this.clock = options.clock;
    this.log = options.log === undefined ? undefined : new RateLimitedLog(options.log);
    for (let t = 0; t < 4; t++) {
      this.timers.push(new GlobalTimer());
      this.deviceTimers.push(this.clock?.createTimer(`mpic-timer${t}`, () => this.timerFired(t)));
      this.armedAt.push(Infinity);
    }
  }

  get cpuCount(): number {
    return this.core.cpuCount;
  }

  /**
   * Whether the cores were last put in external-proxy mode. Like QEMU, only GCR mode writes
   * change it: neither a GCR reset nor a machine reset takes the cores out of proxy mode.
   */
  get proxyMode(): boolean {
    return this.proxy;
  }

  readonly stateId = 'mpic';
  readonly stateVersion = 1;

  /** GCR, the MSI registers, the global timers (counts carried, not times) and the core. */
  saveState(w: StateWriter): void {
    this.syncTimers();
    const now = this.now();
    w.u32(this.gcr);
    w.u32(this.tfrr);
    w.bool(this.proxy);
    w.u32s(this.msir);
    w.u32(this.timers.length);
    for (const t of this.timers) t.saveState(w, now);
    this.core.saveState(w);
  }

  loadState(r: StateReader): void {
    this.gcr = r.u32() & GCR_MODE;
    this.tfrr = r.u32();
    this.proxy = r.bool();
    const msir = r.u32s(this.msir.length);
    if (msir.length !== this.msir.length) throw new StateError(`mpic: ${msir.length} MSI registers, this MPIC has ${this.msir.length}`);
    this.msir.set(msir);
    if (r.u32() !== this.timers.length) throw new StateError('mpic: a different number of global timers');
    const now = this.now();
    for (const t of this.timers) t.loadState(r, now);
    this.core.loadState(r);
    this.outputs.setProxyMode(this.proxy);
    this.armedAt.fill(-1);
    this.rearmTimers();
  }

  /** Machine reset: what a GCR reset does (QEMU uses one reset for both). */
  reset(): void {
    this.core.reset();
    this.gcr = 0;
    this.tfrr = 0;
    for (const t of this.timers) t.reset();
    this.rearmTimers();
  }

  /** Input line `n` (ordinary sources 0–255) is asserted or deasserted by the board. */
  setLine(n: number, asserted: boolean): void {
    if (!Number.isInteger(n) || n < 0 || n >= MPIC_IPI_BASE) return;
    this.core.setInput(n, asserted);
  }

  // ---- InterruptSink (api/events.ts): what the accelerator's irqEvents and MSIs reach -----

  private readonly eoiListeners: ((gsi: number) => void)[] = [];

  setIrq(gsi: number, level: boolean): void {
    this.setLine(gsi, level);
  }

  /**
   * An MSI is a write of `data` to MSIIR; the address must be MSIIR's within the MPIC block
   * (its offset in the 256 KiB block: the board's base is the VMM's business).
   */
  msi(msi: MsiMessage): boolean {
    if (Number(msi.address & 0x3ffffn) !== MSIIR_OFFSET) return false;
    this.msiRegister(MSIIR_OFFSET, true, msi.data >>> 0);
    return true;
  }

  onEoi(listener: (gsi: number) => void): void {
    this.eoiListeners.push(listener);
  }

  /** Interrupt acknowledge for `cpu` (external proxy: the vector for SPR EPR). */
  acknowledge(cpu: number): number {
    if (!this.validCpu(cpu)) return UNDECODED;
    this.syncTimers();
    const v = this.core.acknowledge(cpu);
    this.rearmTimers();
    return v;
  }

  // ---- MMIO ---------------------------------------------------------------------------------

  read(offset: number, size: number): number {
    if (size >= 4) return this.access(offset, false, 0);
    this.report(`${size}-byte read at 0x${hex(offset)}`);
    const shift = 8 * (4 - size);
    return (this.access(offset, false, 0) >>> shift) & ((1 << (8 * size)) - 1);
  }

  write(offset: number, size: number, value: number): void {
    if (size >= 4) {
      this.access(offset, true, value >>> 0);
      return;
    }
    this.report(`${size}-byte write at 0x${hex(offset)}`);
    this.access(offset, true, (value << (8 * (4 - size))) >>> 0);
  }

  private access(off: number, isWrite: boolean, v: number): number {
    this.syncTimers();
    let r: number;
    if (off < 0x10f0) r = this.global(off, isWrite, v);
    else if (off < 0x1310) r = this.timerRegs(off, isWrite, v);
    else if (off >= 0x1600 && off < 0x1800) r = this.msiRegister(off, isWrite, v);
    else if (off >= 0x10000 && off < 0x12000) r = this.sourceRegs(off, isWrite, v);
    else if (off >= 0x20000 && off < 0x20000 + 0x1000 * (MAX_CPUS - 1) + 0x100) {
      const cpu = (off - 0x20000) >>> 12;
      if (cpu >= this.core.cpuCount) r = this.undecoded(off, isWrite, `block of CPU ${cpu}, which does not exist`);
      else r = this.cpuRegs(cpu, off, isWrite, v);
    } else {
      // QEMU's FSL MPIC decodes the summary/error block (0x3800-0x3FFF: Linux writes the
      // error interrupt mask EIMR at 0x3910 at every boot) as read-0/ignore, silently.
      const summary = off >= 0x3800 && off < 0x4000;
      if (!isTimerGroupB(off) && !summary) this.report(`${isWrite ? 'write to' : 'read from'} 0x${hex(off)}: offset is not modelled`);
      r = 0;
    }
    this.rearmTimers();
    return r >>> 0;
  }

  private undecoded(off: number, isWrite: boolean, what: string): number {
    this.report(`${isWrite ? 'write to' : 'read from'} 0x${hex(off)} ignored (${what})`);
    return UNDECODED;
  }

  private report(line: string): void {
    this.log?.log(`ngkvm: mpic: ${line}`);
  }

  private validCpu(cpu: number): boolean {
    return Number.isInteger(cpu) && cpu >= 0 && cpu < this.core.cpuCount;
  }

  private global(off: number, isWrite: boolean, v: number): number {
    if ((off & 0xf) !== 0) return this.undecoded(off, isWrite, 'unaligned');
    if (off >= 0x40 && off <= 0xb0) {
      // This CPU's registers, aliased from the per-CPU block of the accessing CPU.
      if (!this.validCpu(this.currentCpu)) return this.undecoded(off, isWrite, `no CPU ${this.currentCpu}`);
      return this.cpuRegs(this.currentCpu, 0x20000 + 0x1000 * this.currentCpu + off, isWrite, v);
    }
    if (off >= 0x10a0 && off <= 0x10d0) {
      const n = MPIC_IPI_BASE + ((off - 0x10a0) >>> 4);
      if (isWrite) this.core.writeVpr(n, v);
      return this.core.readVpr(n);
    }
    switch (off) {
      case 0x0000:
        return BRR1; // read-only
      case 0x1000:
        return ((FRR_SOURCES - 1) << 16) | ((this.core.cpuCount - 1) << 8) | FRR_VERSION; // read-only
      case 0x1020:
        if (isWrite) this.writeGcr(v);
        return this.gcr;
      case 0x1080:
        return 0; // VIR: generic vendor, read-only
      case 0x1090:
        // PIR: the core reset outputs it drives are not wired on ppce500, and it reads 0.
        return 0;
      case 0x10e0:
        if (isWrite) this.core.svr = v & 0xffff;
        return this.core.svr;
      default:
        return this.undecoded(off, isWrite, 'not a global register');
    }
  }

  private writeGcr(v: number): void {
    if ((v & GCR_RESET) !== 0) {
      this.reset();
      return;
    }
    this.gcr = v & GCR_MODE;
    // Told on every mode write, as QEMU does, so the cores follow GCR whatever happened since.
    this.proxy = this.gcr === GCR_MODE_PROXY;
    this.outputs.setProxyMode(this.proxy);
  }

  private cpuRegs(cpu: number, off: number, isWrite: boolean, v: number): number {
    if ((off & 0xf) !== 0) return this.undecoded(off, isWrite, 'unaligned');
    const reg = off & 0xff0;
    if (reg >= 0x40 && reg <= 0x70) {
      if (!isWrite) return this.undecoded(off, isWrite, 'IPI dispatch registers are write-only');
      this.core.dispatchIpi((reg - 0x40) >>> 4, v);
      return 0;
    }
    switch (reg) {
      case 0x80:
        if (isWrite) this.core.setCtpr(cpu, v);
        return this.core.ctpr(cpu);
      case 0x90:
        return cpu; // WHOAMI, read-only
      case 0xa0:
        return isWrite ? 0 : this.core.acknowledge(cpu); // IACK, read-only
      case 0xb0:
        if (isWrite) {
          const n = this.core.endOfInterrupt(cpu);
          if (n >= 0) for (const l of this.eoiListeners) l(n);
        }
        return 0;
      default:
        return this.undecoded(off, isWrite, 'not a per-CPU register');
    }
  }

  private sourceRegs(off: number, isWrite: boolean, v: number): number {
    const n = (off - 0x10000) >>> 5;
    switch (off & 0x1f) {
      case 0x00:
        if (isWrite) this.core.writeVpr(n, v);
        return this.core.readVpr(n);
      case 0x10:
        if (isWrite) this.core.writeDest(n, v);
        return this.core.readDest(n);
      case 0x18:
        if (isWrite && !this.core.writeRoute(n, v)) {
          this.report(`ILR of source ${n} written with unsupported target ${v & 0xff}; routed to INT`);
        }
        return this.core.readRoute(n);
      default:
        return this.undecoded(off, isWrite, 'not a source register');
    }
  }

  private timerRegs(off: number, isWrite: boolean, v: number): number {
    if ((off & 0xf) !== 0) return this.undecoded(off, isWrite, 'unaligned');
    if (off === 0x10f0) {
      // TFRR only reports what software stored; the timers run at 25 MHz regardless.
      if (isWrite) this.tfrr = v;
      return this.tfrr;
    }
    const r = off - 0x1100;
    const t = (r >>> 6) & 3;
    const n = MPIC_TIMER_BASE + t;
    switch (r & 0x30) {
      case 0x00:
        return this.timers[t]!.readCount(this.now()); // TCCR, read-only
      case 0x10:
        if (isWrite) this.writeTbcr(t, v);
        return this.timers[t]!.tbcr;
      case 0x20:
        if (isWrite) this.core.writeVpr(n, v);
        return this.core.readVpr(n);
      default:
        if (isWrite) this.core.writeDest(n, v);
        return this.core.readDest(n);
    }
  }

  private writeTbcr(t: number, v: number): void {
    const timer = this.timers[t]!;
    const startsCounting = (timer.tbcr & TBCR_CI) !== 0 && (v & TBCR_CI) === 0 && (v & ~TBCR_CI) !== 0;
    if (startsCounting && this.clock === undefined && !this.warnedNoClock) {
      this.warnedNoClock = true;
      this.log?.log(`ngkvm: mpic: global timer ${t} started, but this MPIC was built without a DeviceClock: the timers do not count`);
    }
    timer.writeBase(v, this.now(), this.clock !== undefined);
  }

  private msiRegister(off: number, isWrite: boolean, v: number): number {
    if ((off & 0xf) !== 0) return this.undecoded(off, isWrite, 'unaligned');
    const r = off - 0x1600;
    if (isWrite) {
      if (r === 0x140) {
        // MSIIR: group (shared-message register) in bits 31..29, bit number in 28..24.
        const g = v >>> 29;
        this.msir[g] = (this.msir[g]! | (1 << ((v >>> 24) & 0x1f))) >>> 0;
        this.core.setInput(MSI_BASE + g, true);
      } else if (r >= 0x80 && r !== 0x120) {
        this.report(`write to 0x${hex(off)} ignored (not an MSI register)`);
      }
      return 0;
    }
    if (r < 0x80) {
      // Reading MSIR n returns and clears the group's bits, which drops its source.
      const g = r >>> 4;
      const bits = this.msir[g]!;
      this.msir[g] = 0;
      this.core.setInput(MSI_BASE + g, false);
      return bits;
    }
    if (r === 0x120) {
      let summary = 0;
      for (let g = 0; g < MSI_GROUPS; g++) if (this.msir[g] !== 0) summary |= 1 << g;
      return summary;
    }
    if (r !== 0x140) this.report(`read from 0x${hex(off)}: not an MSI register, reads 0`);
    return 0;
  }

  // ---- global timers ------------------------------------------------------------------------

  private now(): number {
    return this.clock?.nowNs() ?? 0;
  }

  /** Accounts for timer expiries up to now, so every register access sees the present. */
  private syncTimers(): void {
    if (this.clock === undefined || !this.timers.some((t) => t.isRunning)) return;
    const now = this.clock.nowNs();
    this.timers.forEach((timer, t) => {
      if (timer.catchUp(now) > 0) this.core.timerExpired(t);
    });
  }

  /**
   * Asks for a callback at the next expiry of each running timer, unless that expiry would
   * change nothing (its source still pending for every destination): then the count is just
   * derived from the clock when next looked at, and the callback is re-armed once the source
   * is taken.
   */
  private rearmTimers(): void {
    this.timers.forEach((timer, t) => {
      const dt = this.deviceTimers[t];
      if (dt === undefined) return;
      const at = timer.isRunning && this.core.timerExpiryMatters(t) ? timer.nextExpiryNs : Infinity;
      if (at === this.armedAt[t]) return;
      this.armedAt[t] = at;
      if (at === Infinity) dt.cancel();
      else dt.arm(at);
    });
  }

  private timerFired(t: number): void {
    this.armedAt[t] = Infinity;
    this.syncTimers();
    this.rearmTimers();
  }
}

function hex(n: number): string {
  return n.toString(16);
}

/**
 * The FSL MPIC's timer group B registers (4 timers at 0x2100 + 0x40·n: current count, base
 * count, vector/priority, destination). Linux's MPIC driver sets up eight timers on an MPIC
 * that reports version 4.2, as QEMU's does, so at boot it writes the vector/priority and
 * destination registers of group B (the first at 0x2130). QEMU does not model group B and
 * ignores those accesses without a word, so accesses to these 16 registers are not reported
 * here either; they still read 0 and change nothing. Other unassigned offsets are reported.
 */
function isTimerGroupB(off: number): boolean {
  return off >= 0x2100 && off < 0x2200 && (off & 0xf) === 0;
}
