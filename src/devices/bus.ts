/**
 * The MMIO bus: maps guest-physical ranges to device models and completes MMIO exits.
 *
 * Devices see register accesses as (offset, size, value) with the value in the byte order
 * the device declares; the bus converts from and to the bytes of the exit. Accesses wider
 * than a device accepts are split, as a real bus would. Unassigned addresses read as zero and
 * ignore writes (what QEMU's ppce500 does), with a rate-limited log line.
 */
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

interface Mapping {
  readonly base: number;
  readonly size: number;
  readonly device: MmioDevice;
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
  private readonly unassigned: RateLimitedLog;
  /** When set, unassigned accesses are reported (like QEMU's -d guest_errors). */
  logUnassigned = false;

  constructor(log: Logger = (l) => process.stderr.write(l + '\n')) {
    this.unassigned = new RateLimitedLog(log);
  }

  map(base: number, size: number, device: MmioDevice): void {
    for (const m of this.mappings) {
      if (base < m.base + m.size && m.base < base + size) {
        throw new Error(`MMIO range of ${device.name} at 0x${base.toString(16)} overlaps ${m.device.name}`);
      }
    }
    this.mappings.push({ base, size, device });
    this.mappings.sort((a, b) => a.base - b.base);
  }

  unmap(device: MmioDevice): void {
    this.mappings = this.mappings.filter((m) => m.device !== device);
  }

  find(addr: number): Mapping | undefined {
    for (const m of this.mappings) if (addr >= m.base && addr < m.base + m.size) return m;
    return undefined;
  }

  /** Completes an MMIO exit: performs the write, or fills `data` for a read. */
  handle(exit: MmioExit): void {
    const addr = exit.addr as number;
    const m = this.find(addr);
    if (m === undefined || addr + exit.size > m.base + m.size) {
      if (!exit.isWrite) exit.data.fill(0);
      if (this.logUnassigned) {
        this.unassigned.log(
          `ngkvm: unassigned ${exit.isWrite ? 'write to' : 'read from'} guest-physical 0x${addr.toString(16)} (${exit.size} bytes)`,
        );
      }
      return;
    }
    const dev = m.device;
    const max = dev.maxAccessSize ?? 4;
    const step = Math.min(exit.size, max);
    const little = dev.endian === 'little';
    for (let pos = 0; pos < exit.size; pos += step) {
      const offset = addr - m.base + pos;
      if (exit.isWrite) {
        dev.write(offset, step, bytesToValue(exit.data, pos, step, little));
      } else {
        valueToBytes(dev.read(offset, step), exit.data, pos, step, little);
      }
    }
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
