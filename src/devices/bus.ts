/**
 * The MMIO bus: maps guest-physical ranges to device models and completes MMIO exits.
 *
 * Devices see register accesses as (offset, size, value) with the value in the byte order
 * the device declares; the bus converts from and to the bytes of the exit. Accesses wider
 * than a device accepts are split, as a real bus would. Windows onto another bus (bridges)
 * get the access bytes untouched, so byte order survives any number of hops. Unassigned
 * addresses read as zero and ignore writes (what QEMU's ppce500 does), with a rate-limited
 * log line.
 *
 * Device mappings must not overlap: two devices at one address is a wiring bug. Underlays
 * are for ranges the guest programs (PCI windows, BARs): they may overlap anything, and
 * device mappings always win over them, as QEMU's lower-priority regions do.
 */
import { hostLogLine } from '../api/host-env.js';
import type { MmioExit } from '../api/exit.js';

export interface MmioDevice {
  readonly name: string;
  /** Register byte order for multi-byte accesses. */
  readonly endian: 'big' | 'little';
  /** Widest access the device handles in one call (wider accesses are split). */
  readonly maxAccessSize?: 1 | 2 | 4;
  read(offset: number, size: number): number;
  write(offset: number, size: number, value: number): void;
}

/** A window onto another address space: receives the access bytes as the guest issued them. */
export interface MmioWindow {
  readonly name: string;
  /** Tells windows from devices: a device model may well have an `access` method of its own. */
  readonly kind: 'window';
  access(offset: number, isWrite: boolean, data: Uint8Array): void;
}

export type MmioTarget = MmioDevice | MmioWindow;

const isWindow = (t: MmioTarget): t is MmioWindow => (t as Partial<MmioWindow>).kind === 'window';

interface Mapping {
  readonly base: number;
  readonly size: number;
  readonly device: MmioTarget;
}

interface Underlay extends Mapping {
  readonly priority: number;
}

export interface AccessOptions {
  /**
   * Whether underlays take part. An alias of a block of devices (e.g. the CCSR seen from
   * PCI) sees only those devices; letting it reach windows could loop back into itself.
   */
  readonly underlays?: boolean;
}

export type Logger = (line: string) => void;

/** Prints at most one line per interval and says how many were dropped in between. */
export class RateLimitedLog {
  private last = -Infinity;
  private dropped = 0;
  private readonly sink: Logger;
  private readonly intervalMs: number;

  constructor(sink: Logger, intervalMs = 1000) {
    this.sink = sink;
    this.intervalMs = intervalMs;
  }

  log(line: string): void {
    const now = Date.now();
    if (now - this.last < this.intervalMs) {
      this.dropped++;
      return;
    }
    const extra = this.dropped > 0 ? ` (${this.dropped} similar messages suppressed)` : '';
    this.dropped = 0;
    this.last = now;
    this.sink(line + extra);
  }
}

export class MmioBus {
  private mappings: Mapping[] = [];
  /** Highest priority first; among equals the most recently mapped first. */
  private underlays: Underlay[] = [];
  private readonly unassigned: RateLimitedLog;
  /** When set, unassigned accesses are reported (like QEMU's -d guest_errors). */
  logUnassigned = false;

  constructor(log: Logger = hostLogLine) {
    this.unassigned = new RateLimitedLog(log);
  }

  map(base: number, size: number, device: MmioTarget): void {
    checkRange(base, size, device);
    for (const m of this.mappings) {
      if (base < m.base + m.size && m.base < base + size) {
        throw new Error(`MMIO range of ${device.name} at 0x${base.toString(16)} overlaps ${m.device.name}`);
      }
    }
    this.mappings.push({ base, size, device });
    this.mappings.sort((a, b) => a.base - b.base);
  }

  /**
   * Maps a guest-programmed range below every device mapping. Underlays may overlap each
   * other; the one with the higher priority answers, and among equal priorities the most
   * recently mapped one.
   */
  mapUnderlay(base: number, size: number, target: MmioTarget, priority = 0): void {
    checkRange(base, size, target);
    const at = this.underlays.findIndex((u) => u.priority <= priority);
    this.underlays.splice(at < 0 ? this.underlays.length : at, 0, { base, size, device: target, priority });
  }

  /** Removes every mapping and underlay of `device` (by identity). */
  unmap(device: MmioTarget): void {
    this.mappings = this.mappings.filter((m) => m.device !== device);
    this.underlays = this.underlays.filter((m) => m.device !== device);
  }

  find(addr: number, options?: AccessOptions): Mapping | undefined {
    for (const m of this.mappings) if (addr >= m.base && addr < m.base + m.size) return m;
    if (options?.underlays === false) return undefined;
    for (const m of this.underlays) if (addr >= m.base && addr < m.base + m.size) return m;
    return undefined;
  }

  /** Every mapping (priority 0) and underlay, for a debugger's view of the address map. */
  regions(): { readonly base: number; readonly size: number; readonly name: string; readonly priority: number; readonly underlay: boolean }[] {
    return [
      ...this.mappings.map((m) => ({ base: m.base, size: m.size, name: m.device.name, priority: 0, underlay: false })),
      ...this.underlays.map((u) => ({ base: u.base, size: u.size, name: u.device.name, priority: u.priority, underlay: true })),
    ];
  }

  /** Completes an MMIO exit: performs the write, or fills `data` for a read. */
  handle(exit: MmioExit): void {
    this.access(exit.addr as number, exit.isWrite, exit.data);
  }

  /** Performs an access of `data.length` bytes: writes them, or fills them for a read. */
  access(addr: number, isWrite: boolean, data: Uint8Array, options?: AccessOptions): void {
    const m = this.find(addr, options);
    if (m === undefined || addr + data.length > m.base + m.size) {
      if (!isWrite) data.fill(0);
      if (this.logUnassigned) {
        this.unassigned.log(
          `ngkvm: unassigned ${isWrite ? 'write to' : 'read from'} guest-physical 0x${addr.toString(16)} (${data.length} bytes)`,
        );
      }
      return;
    }
    const dev = m.device;
    if (isWindow(dev)) {
      dev.access(addr - m.base, isWrite, data);
      return;
    }
    deviceAccess(dev, addr - m.base, isWrite, data);
  }
}

/**
 * One access of `data.length` bytes (guest memory order) at `offset` of a device: split into
 * pieces the device takes and converted to and from its register byte order. The MMIO bus
 * and the device-process library both use it, so a device behaves the same in either place.
 */
export function deviceAccess(dev: MmioDevice, offset: number, isWrite: boolean, data: Uint8Array): void {
  const max = dev.maxAccessSize ?? 4;
  const step = Math.min(data.length, max);
  const little = dev.endian === 'little';
  for (let pos = 0; pos < data.length; pos += step) {
    if (isWrite) {
      dev.write(offset + pos, step, bytesToValue(data, pos, step, little));
    } else {
      valueToBytes(dev.read(offset + pos, step), data, pos, step, little);
    }
  }
}

function checkRange(base: number, size: number, target: MmioTarget): void {
  if (!Number.isSafeInteger(base) || base < 0 || !Number.isSafeInteger(size) || size <= 0 || !Number.isSafeInteger(base + size)) {
    throw new RangeError(`MMIO range of ${target.name}: base 0x${base.toString(16)} size 0x${size.toString(16)} is not a valid range`);
  }
}

function bytesToValue(data: Uint8Array, pos: number, size: number, little: boolean): number {
  let v = 0;
  for (let k = 0; k < size; k++) {
    const b = data[pos + (little ? size - 1 - k : k)]!;
    v = v * 256 + b;
  }
  return v >>> 0;
}

function valueToBytes(value: number, data: Uint8Array, pos: number, size: number, little: boolean): void {
  for (let k = 0; k < size; k++) {
    const shift = 8 * (little ? k : size - 1 - k);
    data[pos + k] = (value >>> shift) & 0xff;
  }
}
