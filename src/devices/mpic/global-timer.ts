/**
 * One MPIC global timer (TCCR/TBCR), counted lazily from the device clock.
 *
 * The count is never ticked: a running timer remembers when it was (re)loaded and with what
 * count, reads derive the current count from the clock, and expiries that happened since the
 * last look are accounted for in one step (`catchUp`), however many periods went by. The MPIC
 * arms a `DeviceTimer` for the next expiry only when that expiry can change what the guest
 * sees (see `OpenPic.timerExpiryMatters`).
 *
 * Behaviour measured on QEMU 7.2 (`qemu-system-ppc -M ppce500`, FSL MPIC v4.2) and kept here:
 * - The count runs at 25 MHz (40 ns per tick) whatever TFRR says: TB/TCCR deltas are 16.0
 *   against the 400 MHz timebase.
 * - Clearing TBCR[CI] loads TCCR from the base count with the toggle bit clear and starts
 *   counting; setting CI stops the timer and clears the count, leaving only the toggle bit.
 *   Writing TBCR without changing CI never restarts the count: a new base count is used at the
 *   next reload. (The FSL manual has CI freeze the count instead of clearing it.)
 * - Starting with a base count of 0 leaves the timer stopped, and it stays stopped until CI
 *   is set and cleared again, even if a non-zero base is written in between.
 * - At each expiry TCCR reloads from the base count with the toggle bit inverted, and the
 *   timer's source is raised (an edge).
 * - TCCR writes are ignored.
 * QEMU re-arms each period from the moment its host timer callback runs, so its periods
 * stretch with host latency and a late callback lets TCCR read as a wrapped, huge count.
 * Here periods are exact multiples of the base count, which is what QEMU approximates.
 */

import type { StateReader, StateWriter } from '../state.js';

export const TBCR_CI = 0x80000000;
export const TCCR_TOG = 0x80000000;
const COUNT_MASK = 0x7fffffff;
/** QEMU's MPIC timers count at 25 MHz. */
export const MPIC_TIMER_NS_PER_TICK = 40;

export class GlobalTimer {
  /** TBCR as written (CI and base count). */
  tbcr = TBCR_CI;
  private running = false;
  private toggle = false;
  /** Count loaded at `originNs` (meaningful while running). */
  private loaded = 0;
  private originNs = 0;

  reset(): void {
    this.tbcr = TBCR_CI;
    this.running = false;
    this.toggle = false;
    this.loaded = 0;
    this.originNs = 0;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** When the current count reaches zero (Infinity when stopped). */
  get nextExpiryNs(): number {
    return this.running ? this.originNs + this.loaded * MPIC_TIMER_NS_PER_TICK : Infinity;
  }

  /** TCCR at `nowNs`; call `catchUp(nowNs)` first so no expiry is left unaccounted. */
  readCount(nowNs: number): number {
    const tog = this.toggle ? TCCR_TOG : 0;
    if (!this.running) return tog >>> 0;
    const ticks = Math.floor((nowNs - this.originNs) / MPIC_TIMER_NS_PER_TICK);
    return (tog | ((this.loaded - ticks) & COUNT_MASK)) >>> 0;
  }

  /**
   * TBCR write. Returns true when the timer started; `canCount` false (no device clock)
   * keeps it stopped.
   */
  writeBase(value: number, nowNs: number, canCount: boolean): boolean {
    const v = value >>> 0;
    const ciChanged = ((this.tbcr ^ v) & TBCR_CI) !== 0;
    this.tbcr = v;
    if (!ciChanged) return false;
    if ((v & TBCR_CI) !== 0) {
      this.running = false;
      return false;
    }
    this.toggle = false;
    this.loaded = v & COUNT_MASK;
    this.running = this.loaded !== 0 && canCount;
    this.originNs = nowNs;
    return this.running;
  }

  /** Base count, run state, toggle and the count left at `nowNs` (after catchUp). */
  saveState(w: StateWriter, nowNs: number): void {
    w.u32(this.tbcr);
    w.bool(this.running);
    w.bool(this.toggle);
    w.u32(this.running ? this.readCount(nowNs) & COUNT_MASK : this.loaded);
  }

  /** Counts on from the saved count, from `nowNs` of the loading machine's clock. */
  loadState(r: StateReader, nowNs: number): void {
    this.tbcr = r.u32();
    this.running = r.bool();
    this.toggle = r.bool();
    this.loaded = r.u32() & COUNT_MASK;
    this.originNs = nowNs;
    if (this.running && this.loaded === 0) this.running = false;
  }

  /** Accounts for every expiry up to `nowNs`; returns how many there were. */
  catchUp(nowNs: number): number {
    if (!this.running) return 0;
    const first = this.nextExpiryNs;
    if (nowNs < first) return 0;
    const base = this.tbcr & COUNT_MASK;
    if (base === 0) {
      // Reloading a zero count stops the timer (QEMU will not run a zero-length period).
      this.toggle = !this.toggle;
      this.running = false;
      return 1;
    }
    const period = base * MPIC_TIMER_NS_PER_TICK;
    const later = Math.floor((nowNs - first) / period);
    const expiries = 1 + later;
    if (expiries % 2 === 1) this.toggle = !this.toggle;
    this.loaded = base;
    this.originNs = first + later * period;
    return expiries;
  }
}
