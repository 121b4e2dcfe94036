/**
 * Maxim DS1338 real-time clock with 56 bytes of NVRAM, an I2C target (QEMU 7.2's ppce500
 * has one at address 0x68, hw/rtc/ds1338.c; the device tree calls it pericom,pt7c4338, which
 * Linux's rtc-ds1307 drives as a DS1307).
 *
 * 64 registers behind a 6-bit register pointer: 0x00–0x06 the time in BCD (seconds with the
 * CH clock-halt bit, minutes, hours with the 12/24-hour bit, day of week 1–7, date, month,
 * year 00–99 for 2000–2099), 0x07 control (OUT, OSF, SQWE, RS1–0), 0x08–0x3F NVRAM. The
 * first byte written after a START sets the pointer; every byte read or written advances
 * it, wrapping from 0x3F to 0x00. A START in read direction, and every wrap, copies the
 * running time into the registers read back, so a multi-byte read sees one instant.
 *
 * Time comes from a `WallClock` (UTC); the chip keeps only an offset from it, in whole
 * seconds, as QEMU does, and the day of week as an offset from the true one (software may
 * number the days from any weekday).
 *
 * Where QEMU departs from the data sheet, this follows the chip:
 * - The 12/24-hour bit written to the hours register is kept and selects how the hours read
 *   back. QEMU never stores it, so its clock always reads in 24-hour mode.
 * - CH (seconds bit 7) halts the clock, and halting it sets OSF; QEMU ignores CH.
 * - Time registers written in one transfer take effect together when it ends, and the ones
 *   not written keep counting (the chip's registers are written independently). QEMU applies
 *   each byte at once through a calendar normalisation: setting 29 February 2024 while the
 *   clock is in 2023 lands on 1 March, and a day of week written before the date is numbered
 *   against the old date (Linux writes it before).
 * - The chip is battery-backed: a machine reset ends a transfer in progress but keeps the
 *   time and the NVRAM. QEMU's reset puts the clock back to host time and clears the NVRAM.
 */
import type { WallClock } from '../clock.js';
import type { I2cTarget } from './i2c-bus.js';
import { StateError, type DeviceState, type StateReader, type StateWriter } from '../state.js';

export const DS1338_REGISTERS = 64;
const SECONDS = 0;
const MINUTES = 1;
const HOURS = 2;
const DAY = 3;
const DATE = 4;
const MONTH = 5;
const YEAR = 6;
const CONTROL = 7;
const CH = 0x80;
const HOURS_12 = 0x40;
const HOURS_PM = 0x20;
const CONTROL_OSF = 0x20;
/** Control bits that exist: OUT, OSF, SQWE, RS1, RS0; the others read 0. */
const CONTROL_MASK = 0xb3;
/** The chip counts years 00–99 as 2000–2099. */
const CENTURY = 2000;

/** A broken-down UTC time, as the registers hold it (month 0–11). */
interface Fields {
  sec: number;
  min: number;
  hour: number;
  date: number;
  month: number;
  year: number;
}

const toBcd = (n: number): number => ((Math.floor(n / 10) % 10) << 4) | n % 10;
/** As the chip's counters take them: each nibble at face value, so 0x7F is 7·10 + 15. */
const fromBcd = (b: number): number => (b >>> 4) * 10 + (b & 0x0f);

function fieldsOf(seconds: number): Fields {
  const d = new Date(seconds * 1000);
  return {
    sec: d.getUTCSeconds(),
    min: d.getUTCMinutes(),
    hour: d.getUTCHours(),
    date: d.getUTCDate(),
    month: d.getUTCMonth(),
    year: d.getUTCFullYear(),
  };
}

/** Seconds since the epoch; out-of-range fields carry over, as QEMU's mktimegm does. */
function secondsOf(f: Fields): number {
  return Math.floor(Date.UTC(f.year, f.month, f.date, f.hour, f.min, f.sec) / 1000);
}

const PENDING_FIELDS = ['sec', 'min', 'hour', 'date', 'month', 'year', 'weekday'] as const;

export class Ds1338 implements I2cTarget, DeviceState {
  readonly name = 'ds1338';
  readonly stateId = 'rtc';
  readonly stateVersion = 1;
  private readonly wallClock: WallClock;
  private readonly regs = new Uint8Array(DS1338_REGISTERS);
  private pointer = 0;
  /** The next byte written sets the register pointer (first byte after a START). */
  private pointerNext = false;
  /** Guest time minus wall-clock time, in seconds. */
  private offset = 0;
  /** Added to the true day of week (0–6) to give what the day register reads. */
  private weekdayOffset = 0;
  private hour12 = false;
  /** The time at which CH stopped the clock (seconds since the epoch), while it is stopped. */
  private haltedAt: number | undefined;
  /** Time registers written in the current transfer, applied when it ends. */
  private pending: (Partial<Fields> & { halt?: boolean; weekday?: number }) | undefined;

  constructor(wallClock: WallClock) {
    this.wallClock = wallClock;
  }

  /**
   * Registers and NVRAM, the register pointer, the clock as an offset from the host's wall
   * clock (so it has kept running, as a battery-backed clock does, when it is loaded later or
   * elsewhere) or the time it was stopped at, and time fields written in a transfer that has
   * not ended.
   */
  saveState(w: StateWriter): void {
    w.bytes(this.regs);
    w.u8(this.pointer);
    w.bool(this.pointerNext);
    w.u64(BigInt(this.offset));
    w.u8(this.weekdayOffset);
    w.bool(this.hour12);
    w.bool(this.haltedAt !== undefined);
    w.u64(BigInt(this.haltedAt ?? 0));
    const p = this.pending;
    w.bool(p !== undefined);
    w.u8(p?.halt === undefined ? 0 : p.halt ? 2 : 1);
    for (const k of PENDING_FIELDS) {
      const v = p?.[k];
      w.bool(v !== undefined);
      w.u64(BigInt(v ?? 0));
    }
  }

  loadState(r: StateReader): void {
    const regs = r.bytes(DS1338_REGISTERS);
    if (regs.length !== DS1338_REGISTERS) throw new StateError(`rtc: ${regs.length} registers, the DS1338 has ${DS1338_REGISTERS}`);
    this.regs.set(regs);
    this.pointer = r.u8() & (DS1338_REGISTERS - 1);
    this.pointerNext = r.bool();
    this.offset = Number(BigInt.asIntN(64, r.u64()));
    this.weekdayOffset = r.u8() % 7;
    this.hour12 = r.bool();
    const halted = r.bool();
    const at = Number(BigInt.asIntN(64, r.u64()));
    this.haltedAt = halted ? at : undefined;
    const hasPending = r.bool();
    const halt = r.oneOf(r.u8(), [0, 1, 2], 'pending halt');
    const pending: Partial<Fields> & { halt?: boolean; weekday?: number } = {};
    if (halt !== 0) pending.halt = halt === 2;
    for (const k of PENDING_FIELDS) {
      const present = r.bool();
      const v = Number(BigInt.asIntN(64, r.u64()));
      if (present) pending[k] = v;
    }
    this.pending = hasPending ? pending : undefined;
  }

  /** Machine reset: ends a transfer in progress; time and NVRAM survive (battery-backed). */
  reset(): void {
    this.commit();
    this.pointerNext = false;
  }

  /** Current guest time, seconds since the epoch. */
  now(): number {
    return this.haltedAt ?? Math.floor(this.wallClock.utcNowMs() / 1000) + this.offset;
  }

  // ---- I2cTarget ------------------------------------------------------------------------

  start(read: boolean): boolean {
    this.commit();
    if (read) this.capture();
    else this.pointerNext = true;
    return true;
  }

  write(byte: number): boolean {
    if (this.pointerNext) {
      this.pointerNext = false;
      this.pointer = byte & (DS1338_REGISTERS - 1);
      return true;
    }
    const p = this.pointer;
    if (p <= YEAR) this.writeTime(p, byte);
    else if (p === CONTROL) {
      // OSF can be cleared but not set by software.
      const osf = byte & this.regs[CONTROL]! & CONTROL_OSF;
      this.regs[CONTROL] = (byte & CONTROL_MASK & ~CONTROL_OSF) | osf;
    } else this.regs[p] = byte;
    this.advance();
    return true;
  }

  read(_ack: boolean): number {
    const v = this.regs[this.pointer]!;
    this.advance();
    return v;
  }

  stop(): void {
    this.commit();
    this.pointerNext = false;
  }

  // ---- registers ------------------------------------------------------------------------

  private advance(): void {
    this.pointer = (this.pointer + 1) & (DS1338_REGISTERS - 1);
    // Wrapping around re-captures the time, as the chip refreshes its read buffer.
    if (this.pointer === 0) this.capture();
  }

  /** Copies the running time into registers 0–6. */
  private capture(): void {
    const t = this.now();
    const f = fieldsOf(t);
    const r = this.regs;
    r[SECONDS] = toBcd(f.sec) | (this.haltedAt !== undefined ? CH : 0);
    r[MINUTES] = toBcd(f.min);
    if (this.hour12) {
      // 0 → 12 AM, 12 → 12 PM, 13 → 1 PM.
      const h = f.hour % 12 === 0 ? 12 : f.hour % 12;
      r[HOURS] = HOURS_12 | (f.hour >= 12 ? HOURS_PM : 0) | toBcd(h);
    } else {
      r[HOURS] = toBcd(f.hour);
    }
    r[DAY] = ((new Date(t * 1000).getUTCDay() + this.weekdayOffset) % 7) + 1;
    r[DATE] = toBcd(f.date);
    r[MONTH] = toBcd(f.month + 1);
    r[YEAR] = toBcd((((f.year - CENTURY) % 100) + 100) % 100);
  }

  private writeTime(reg: number, byte: number): void {
    const f = (this.pending ??= {});
    switch (reg) {
      case SECONDS:
        f.sec = fromBcd(byte & 0x7f);
        f.halt = (byte & CH) !== 0;
        break;
      case MINUTES:
        f.min = fromBcd(byte & 0x7f);
        break;
      case HOURS:
        this.hour12 = (byte & HOURS_12) !== 0;
        if (this.hour12) {
          // 12 AM is hour 0, 12 PM hour 12.
          f.hour = (fromBcd(byte & 0x1f) % 12) + ((byte & HOURS_PM) !== 0 ? 12 : 0);
        } else {
          f.hour = fromBcd(byte & 0x3f);
        }
        break;
      case DAY:
        // 1–7; the data sheet leaves other values undefined.
        f.weekday = (byte & 7) - 1;
        break;
      case DATE:
        f.date = fromBcd(byte & 0x3f);
        break;
      case MONTH:
        f.month = fromBcd(byte & 0x1f) - 1;
        break;
      default:
        f.year = CENTURY + fromBcd(byte);
    }
  }

  /**
   * Applies the time registers written in the transfer that just ended: the ones not written
   * keep counting, the written ones take their new values together.
   */
  private commit(): void {
    const w = this.pending;
    if (w === undefined) return;
    this.pending = undefined;
    const { weekday, halt, ...written } = w;
    let t = this.now();
    if (Object.keys(written).length > 0 || halt !== undefined) {
      t = secondsOf({ ...fieldsOf(t), ...written });
      const stop = halt ?? this.haltedAt !== undefined;
      if (stop) {
        // Stopping the oscillator is one of the events that set the oscillator-stop flag.
        if (this.haltedAt === undefined) this.regs[CONTROL] = this.regs[CONTROL]! | CONTROL_OSF;
        this.haltedAt = t;
      } else {
        this.haltedAt = undefined;
        this.offset = t - Math.floor(this.wallClock.utcNowMs() / 1000);
      }
    }
    // The day register counts on its own; keep its numbering relative to the new date.
    if (weekday !== undefined) this.weekdayOffset = (((weekday - new Date(t * 1000).getUTCDay()) % 7) + 7) % 7;
  }
}
