/**
 * QEMU's `isa-debug-exit`: a write of `v` to its port range ends the VM with exit status
 * `(v << 1) | 1`, so a guest-chosen status never collides with QEMU's own 0 ("ended
 * normally"). Test guests use it to finish a run with a verdict. Reads return 0, as QEMU's.
 */
import type { PortDevice } from '../pio-bus.js';

export class IsaDebugExit implements PortDevice {
  readonly name = 'isa-debug-exit';
  readonly maxAccessSize = 4 as const;
  /** The board turns this into the end of the run. */
  onExit: (status: number, value: number) => void = () => {};

  read(): number {
    return 0;
  }

  write(_offset: number, _size: number, value: number): void {
    // QEMU's status is an int; a 32-bit value shifted left keeps only its low 31 bits there.
    this.onExit((((value >>> 0) << 1) | 1) >>> 0, value >>> 0);
  }
}
