/**
 * The x86 port I/O bus: maps port ranges to device models and completes PIO exits.
 *
 * Port devices use the register interface of MMIO devices (offset, size, value), always
 * little-endian, so a register-level model such as the 16550 serves either bus. An access
 * wider than a device takes, or one that runs past the end of its range, is split into byte
 * accesses of consecutive ports, each decoded on its own — the behaviour of an ISA bus, and
 * what QEMU does (a 16-bit `in` from the UART's MSR returns MSR and SCR). Ports nobody
 * decodes read as all ones (a floating ISA data bus) and ignore writes.
 *
 * String instructions (`rep ins`/`rep outs`) arrive as one exit with `count` items; they are
 * performed item by item, in order.
 */
import { hostLogLine } from '../api/host-env.js';
import type { PioExit } from '../api/exit.js';
import { RateLimitedLog, type Logger, type MmioDevice } from './bus.js';

/** A device on the port bus: the MMIO register interface, little-endian by definition. */
export type PortDevice = Pick<MmioDevice, 'name' | 'maxAccessSize' | 'read' | 'write'>;

interface PortMapping {
  readonly base: number;
  readonly size: number;
  readonly device: PortDevice;
}

export const PORT_SPACE = 0x10000;

export class PioBus {
  private mappings: PortMapping[] = [];
  private readonly unassigned: RateLimitedLog;
  /** When set, accesses to ports nobody decodes are reported (like QEMU's -d guest_errors). */
  logUnassigned = false;

  constructor(log: Logger = hostLogLine) {
    this.unassigned = new RateLimitedLog(log);
  }

  map(base: number, size: number, device: PortDevice): void {
    if (!Number.isInteger(base) || !Number.isInteger(size) || base < 0 || size <= 0 || base + size > PORT_SPACE) {
      throw new RangeError(`port range of ${device.name}: base 0x${base.toString(16)} size ${size} is not inside 0..0xffff`);
    }
    for (const m of this.mappings) {
      if (base < m.base + m.size && m.base < base + size) {
        throw new Error(`port range of ${device.name} at 0x${base.toString(16)} overlaps ${m.device.name}`);
      }
    }
    this.mappings.push({ base, size, device });
  }

  find(port: number): PortMapping | undefined {
    for (const m of this.mappings) if (port >= m.base && port < m.base + m.size) return m;
    return undefined;
  }

  /** Completes a PIO exit: performs the writes, or fills `data` for reads. */
  handle(exit: PioExit): void {
    const { size, count, data } = exit;
    for (let i = 0; i < count; i++) {
      const item = data.subarray(i * size, (i + 1) * size);
      if (exit.isWrite) this.write(exit.port, size, readLe(item));
      else writeLe(item, this.read(exit.port, size));
    }
  }

  /** An `in` of `size` bytes (1, 2 or 4) from `port`. */
  read(port: number, size: number): number {
    const m = this.find(port);
    if (m !== undefined && port + size <= m.base + m.size && size <= (m.device.maxAccessSize ?? 4)) {
      return m.device.read(port - m.base, size) >>> 0;
    }
    if (size === 1) {
      if (m === undefined) {
        this.report(port, size, false);
        return 0xff;
      }
      return m.device.read(port - m.base, 1) & 0xff;
    }
    let v = 0;
    for (let k = size - 1; k >= 0; k--) v = v * 256 + this.read((port + k) & 0xffff, 1);
    return v >>> 0;
  }

  /** An `out` of `size` bytes (1, 2 or 4) to `port`. */
  write(port: number, size: number, value: number): void {
    const m = this.find(port);
    if (m !== undefined && port + size <= m.base + m.size && size <= (m.device.maxAccessSize ?? 4)) {
      m.device.write(port - m.base, size, value >>> 0);
      return;
    }
    if (size === 1) {
      if (m === undefined) this.report(port, size, true);
      else m.device.write(port - m.base, 1, value & 0xff);
      return;
    }
    for (let k = 0; k < size; k++) this.write((port + k) & 0xffff, 1, (value >>> (8 * k)) & 0xff);
  }

  private report(port: number, size: number, isWrite: boolean): void {
    if (!this.logUnassigned) return;
    this.unassigned.log(`ngkvm: unassigned ${isWrite ? 'out to' : 'in from'} port 0x${port.toString(16)} (${size} byte${size > 1 ? 's' : ''})`);
  }
}

function readLe(b: Uint8Array): number {
  let v = 0;
  for (let k = b.length - 1; k >= 0; k--) v = v * 256 + b[k]!;
  return v;
}

function writeLe(b: Uint8Array, value: number): void {
  for (let k = 0; k < b.length; k++) b[k] = (value >>> (8 * k)) & 0xff;
}
