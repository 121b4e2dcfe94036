/**
 * Global utilities block of the MPC8544 (what QEMU's ppce500 board has at CCSR+0xE0000):
 * processor/system version mirrors and the reset control register. Only 32-bit accesses
 * reach registers; other sizes read 0 and are ignored, as the real block does not decode them.
 */
import type { MmioDevice } from './bus.js';

const PVR = 0xa0;
const SVR = 0xa4;
const RSTCR = 0xb0;
const RSTCR_HRESET_REQ = 0x2;

export interface GutsHooks {
  /** PVR of the core that performs the read. */
  readonly pvr: () => number;
  readonly svr: number;
  /** The guest asked for a system reset (RSTCR[HRESET_REQ]). */
  readonly requestReset: () => void;
}

export class Mpc8544Guts implements MmioDevice {
  readonly name = 'mpc8544-guts';
  readonly endian = 'big' as const;
  private readonly hooks: GutsHooks;

  constructor(hooks: GutsHooks) {
    this.hooks = hooks;
  }

  read(offset: number, size: number): number {
    if (size !== 4) return 0;
    switch (offset) {
      case PVR:
        return this.hooks.pvr() >>> 0;
      case SVR:
        return this.hooks.svr >>> 0;
      default:
        return 0;
    }
  }

  write(offset: number, size: number, value: number): void {
    if (size === 4 && offset === RSTCR && (value & RSTCR_HRESET_REQ) !== 0) this.hooks.requestReset();
  }
}
