/**
 * Global utilities block of the MPC8544 (what QEMU's ppce500 board has at CCSR+0xE0000):
 * processor/system version mirrors and the reset control register. Only 32-bit accesses
 * reach registers; other sizes read 0 and are ignored, as the real block does not decode them.
 * The power-on configuration registers (PORPLLSR and the rest) read 0, as in QEMU.
 */
import { RateLimitedLog, type Logger, type MmioDevice } from './bus.js';

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
  /** Accesses to registers that are not modelled are reported here, rate-limited. */
  readonly log?: Logger;
}

export class Mpc8544Guts implements MmioDevice {
  readonly name = 'mpc8544-guts';
  readonly endian = 'big' as const;
  private readonly hooks: GutsHooks;
  private readonly unmodelled: RateLimitedLog | undefined;

  constructor(hooks: GutsHooks) {
    this.hooks = hooks;
    this.unmodelled = hooks.log === undefined ? undefined : new RateLimitedLog(hooks.log);
  }

  read(offset: number, size: number): number {
    if (size === 4 && offset === PVR) return this.hooks.pvr() >>> 0;
    if (size === 4 && offset === SVR) return this.hooks.svr >>> 0;
    this.report('read of', offset, size);
    return 0;
  }

  write(offset: number, size: number, value: number): void {
    if (size === 4 && offset === RSTCR) {
      if ((value & RSTCR_HRESET_REQ) !== 0) this.hooks.requestReset();
      return;
    }
    this.report(`write of 0x${value.toString(16)} to`, offset, size);
  }

  private report(what: string, offset: number, size: number): void {
    const why = size !== 4 ? `${size}-byte access (the block decodes 32-bit accesses only)` : 'register not modelled, reads as 0';
    this.unmodelled?.log(`ngkvm: guts: ${what} offset 0x${offset.toString(16)} ignored: ${why}`);
  }
}
