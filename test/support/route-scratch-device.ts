/**
 * A device for route tests: 64 bytes of scratch registers, and registers that report what
 * the device saw, so a test can check order and sizes from the device's side.
 *   0x00–0x3F  scratch (any size)
 *   0x40       number of writes seen (read)
 *   0x44       offset of the last write seen (read)
 *   0x48       reading it takes `slowMs` milliseconds (a slow device)
 *   0x4C       a write sets interrupt line 0 to (value & 1)
 */
import type { MmioDevice } from '../../src/devices/bus.js';

export class ScratchDevice implements MmioDevice {
  readonly endian = 'big';
  readonly maxAccessSize = 4;
  readonly regs = new Uint8Array(64);
  writes = 0;
  lastWrite = -1;
  slowMs = 0;
  readonly log: string[] = [];
  onIrq: (level: boolean) => void = () => {};
  /** Called when a read of the slow register starts (before the wait). */
  onSlowRead: () => void = () => {};

  constructor(readonly name = 'scratch') {}

  /** Machine reset (a route's Reset): registers and counters back to zero. */
  reset(): void {
    this.regs.fill(0);
    this.writes = 0;
    this.lastWrite = -1;
    this.log.push('reset');
  }

  read(offset: number, size: number): number {
    this.log.push(`r${offset.toString(16)}/${size}`);
    if (offset < 64) {
      let v = 0;
      for (let k = 0; k < size; k++) v = v * 256 + this.regs[offset + k]!;
      return v;
    }
    if (offset === 0x40) return this.writes;
    if (offset === 0x44) return this.lastWrite >>> 0;
    if (offset === 0x48) {
      this.onSlowRead();
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, this.slowMs);
      return 0x5105;
    }
    return 0;
  }

  write(offset: number, size: number, value: number): void {
    this.log.push(`w${offset.toString(16)}/${size}=${value.toString(16)}`);
    this.writes++;
    this.lastWrite = offset;
    if (offset < 64) {
      for (let k = size - 1; k >= 0; k--) {
        this.regs[offset + k] = value & 0xff;
        value = Math.floor(value / 256);
      }
    } else if (offset === 0x4c) {
      this.onIrq((value & 1) !== 0);
    }
  }
}
