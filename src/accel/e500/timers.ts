/**
 * Book E timer facility: time base, decrementer (with DECAR auto-reload), fixed-interval
 * timer and watchdog, driven by virtual time derived from the host clock at the board's
 * time-base frequency.
 *
 * Nothing ticks: every register is computed from "now" when it is read, and events are
 * found by comparing "now" with precomputed deadlines at block boundaries (and used as the
 * sleep timeout of a halted vCPU). Decrementer deadlines are kept in raw clock ticks so that
 * a guest writing TBL/TBU does not disturb the decrementer; FIT and watchdog follow TB bits.
 */

export const TSR = {
  ENW: 0x80000000,
  WIS: 0x40000000,
  WRS: 0x30000000,
  DIS: 0x08000000,
  FIS: 0x04000000,
} as const;

export const TCR = {
  WP: 0xc0000000,
  WRC: 0x30000000,
  WIE: 0x08000000,
  DIE: 0x04000000,
  FP: 0x03000000,
  FIE: 0x00800000,
  ARE: 0x00400000,
  WPEXT: 0x001e0000,
  FPEXT: 0x0001e000,
} as const;

const TWO32 = 0x100000000;

/**
 * Virtual time source shared by the vCPUs of one VM: milliseconds (a double) since the VM's
 * time base started. The vCPUs read the same clock with no epoch of their own, so their time
 * bases agree however far apart they were created, as on the hardware (where one time-base
 * clock feeds every core) and on QEMU. Linux relies on it: QEMU's e500 platform has no
 * time-base handshake between CPUs, so a vCPU created late would run its clock behind the
 * others and a task moving between CPUs would see CLOCK_MONOTONIC step backwards.
 */
export interface VirtualClock {
  nowMs(): number;
}

export class HostClock implements VirtualClock {
  private readonly originMs = performance.now();

  nowMs(): number {
    return performance.now() - this.originMs;
  }
}

export class BookeTimers {
  readonly ticksPerMs: number;
  private readonly clock: VirtualClock;

  /** TB = raw ticks + tbOffset. */
  private tbOffset = 0;
  /** Raw tick at which DEC reaches 0; Infinity when it is stopped. */
  private decZeroAt = Infinity;
  /** TB values of the next FIT / watchdog bit transitions (Infinity when not selected). */
  private fitNext = Infinity;
  private wdtNext = Infinity;

  tsr = 0;
  tcr = 0;
  decar = 0;
  /** Set when the watchdog's final expiry asks for a reset (TCR[WRC] != 0). */
  resetRequested = false;

  constructor(clock: VirtualClock, tbFrequencyHz: number) {
    this.clock = clock;
    this.ticksPerMs = tbFrequencyHz / 1000;
  }

  /** Ticks of the VM's clock: the same on every vCPU of the VM at the same moment. */
  rawTicks(): number {
    return Math.floor(this.clock.nowMs() * this.ticksPerMs);
  }

  tb(): number {
    return this.rawTicks() + this.tbOffset;
  }

  readTbl(): number {
    return this.tb() % TWO32;
  }

  readTbu(): number {
    return Math.floor(this.tb() / TWO32) % TWO32;
  }

  writeTbl(value: number): void {
    this.update();
    const tb = this.tb();
    this.setTb(Math.floor(tb / TWO32) * TWO32 + (value >>> 0));
  }

  writeTbu(value: number): void {
    this.update();
    const tb = this.tb();
    this.setTb((value >>> 0) * TWO32 + (tb % TWO32));
  }

  /** Sets the 64-bit time base (the host side of the TB_OFFSET register). */
  setTb(tb: number): void {
    this.tbOffset = tb - this.rawTicks();
    this.rearmTbEvents(tb);
  }

  getTbOffset(): number {
    return this.tbOffset;
  }

  readDec(): number {
    this.update();
    if (this.decZeroAt === Infinity) return 0;
    return Math.max(0, this.decZeroAt - this.rawTicks()) >>> 0;
  }

  writeDec(value: number): void {
    this.update();
    const v = value >>> 0;
    this.decZeroAt = v === 0 ? Infinity : this.rawTicks() + v;
  }

  writeDecar(value: number): void {
    this.update();
    this.decar = value >>> 0;
  }

  writeTcr(value: number): void {
    this.update();
    // WRC can only be set once (until reset); other fields are plain.
    const wrc = (this.tcr & TCR.WRC) !== 0 ? this.tcr & TCR.WRC : value & TCR.WRC;
    this.tcr = ((value & ~TCR.WRC) | wrc) >>> 0;
    this.rearmTbEvents(this.tb());
  }

  /** TSR is write-1-to-clear. */
  writeTsr(value: number): void {
    this.update();
    this.tsr = (this.tsr & ~value) >>> 0;
  }

  /** Host-side write: set TSR bits (KVM_REG_PPC_OR_TSR). */
  orTsr(value: number): void {
    this.update();
    this.tsr = (this.tsr | value) >>> 0;
  }

  /** TB value (or raw tick for the decrementer) of the next event, as milliseconds from now. */
  msUntilNextEvent(): number {
    const raw = this.rawTicks();
    const tb = raw + this.tbOffset;
    let ticks = Infinity;
    if (this.decZeroAt !== Infinity) ticks = Math.min(ticks, this.decZeroAt - raw);
    ticks = Math.min(ticks, this.fitNext - tb, this.wdtNext - tb);
    return ticks === Infinity ? Infinity : Math.max(0, ticks / this.ticksPerMs);
  }

  /** Earliest deadline in raw ticks (for cheap checks in the run loop). */
  nextDeadlineRaw(): number {
    return Math.min(this.decZeroAt, this.fitNext - this.tbOffset, this.wdtNext - this.tbOffset);
  }

  /**
   * Processes every event up to now and says whether TSR changed since the run loop last
   * asked (poll). Readers of TSR and DEC call `update` too, between polls: a status bit they
   * latch must still reach the run loop, or the interrupt it raises would be lost (a
   * decrementer that ran out while the VMM read the registers of a paused guest).
   */
  poll(): boolean {
    this.update();
    const changed = this.tsrChanged;
    this.tsrChanged = false;
    return changed;
  }

  private tsrChanged = false;

  /** Processes every event up to now. Returns true if TSR changed. */
  update(): boolean {
    const raw = this.rawTicks();
    const before = this.tsr;
    if (raw >= this.decZeroAt) {
      this.tsr = (this.tsr | TSR.DIS) >>> 0;
      if ((this.tcr & TCR.ARE) !== 0 && this.decar > 0) {
        // Reload happens at the 1→0 transition, so the period is DECAR ticks.
        const periods = Math.floor((raw - this.decZeroAt) / this.decar) + 1;
        this.decZeroAt += periods * this.decar;
      } else {
        this.decZeroAt = Infinity;
      }
    }
    const tb = raw + this.tbOffset;
    if (tb >= this.fitNext) {
      this.tsr = (this.tsr | TSR.FIS) >>> 0;
      this.fitNext = nextTransition(tb, fitBit(this.tcr));
    }
    // The watchdog state machine saturates after three events, so at most three matter.
    for (let n = 0; n < 3 && tb >= this.wdtNext; n++) {
      this.watchdogEvent();
      this.wdtNext = nextTransition(this.wdtNext, wdtBit(this.tcr));
    }
    if (tb >= this.wdtNext) this.wdtNext = nextTransition(tb, wdtBit(this.tcr));
    if (this.tsr === before) return false;
    this.tsrChanged = true;
    return true;
  }

  /** Decrementer/FIT/watchdog interrupt conditions (TSR status AND TCR enable). */
  pendingMask(): { dec: boolean; fit: boolean; wdt: boolean } {
    return {
      dec: (this.tsr & TSR.DIS) !== 0 && (this.tcr & TCR.DIE) !== 0,
      fit: (this.tsr & TSR.FIS) !== 0 && (this.tcr & TCR.FIE) !== 0,
      wdt: (this.tsr & TSR.WIS) !== 0 && (this.tcr & TCR.WIE) !== 0,
    };
  }

  /** System reset state: TCR and TSR cleared, DEC stopped (the TB keeps running). */
  reset(): void {
    this.tsr = 0;
    this.tcr = 0;
    this.decar = 0;
    this.decZeroAt = Infinity;
    this.resetRequested = false;
    this.rearmTbEvents(this.tb());
  }

  private watchdogEvent(): void {
    if ((this.tsr & TSR.ENW) === 0) {
      this.tsr = (this.tsr | TSR.ENW) >>> 0;
    } else if ((this.tsr & TSR.WIS) === 0) {
      this.tsr = (this.tsr | TSR.WIS) >>> 0;
    } else {
      const wrc = (this.tcr & TCR.WRC) >>> 28;
      if (wrc !== 0 && !this.resetRequested) {
        this.tsr = ((this.tsr & ~TSR.WRS) | (wrc << 28)) >>> 0;
        this.resetRequested = true;
      }
    }
  }

  private rearmTbEvents(tb: number): void {
    this.fitNext = nextTransition(tb, fitBit(this.tcr));
    this.wdtNext = nextTransition(tb, wdtBit(this.tcr));
  }
}

/** LSB-numbered TB bit selected by TCR[FPEXT]||TCR[FP] (IBM numbering counts from the MSB). */
function fitBit(tcr: number): number {
  const sel = (((tcr & TCR.FPEXT) >>> 13) << 2) | ((tcr & TCR.FP) >>> 24);
  return 63 - sel;
}

function wdtBit(tcr: number): number {
  const sel = (((tcr & TCR.WPEXT) >>> 17) << 2) | ((tcr & TCR.WP) >>> 30);
  return 63 - sel;
}

/** Smallest TB value > tb at which bit `bit` goes from 0 to 1. */
function nextTransition(tb: number, bit: number): number {
  // Bits above 52 cannot change within the life of a double-precision TB here.
  if (bit > 52) return Infinity;
  const half = 2 ** bit;
  const period = half * 2;
  let t = tb - (tb % period) + half;
  if (t <= tb) t += period;
  return t;
}
