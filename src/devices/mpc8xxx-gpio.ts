/**
 * Freescale MPC8xxx/QorIQ GPIO block (device tree "fsl,qoriq-gpio"), the one QEMU 7.2's
 * ppce500 has at CCSR+0xFF000 (hw/gpio/mpc8xxx.c): 32 pins, pin 0 in the most significant
 * bit, with big-endian 32-bit registers GPDIR 0x00 (1 = output), GPODR 0x04 (open drain),
 * GPDAT 0x08, GPIER 0x0C (events, write 1 to clear), GPIMR 0x10 (event mask), GPICR 0x14
 * (1 = only falling edges are events). The interrupt output is high while an unmasked event
 * is pending.
 *
 * The board sees each pin's output level: an output pin drives its GPDAT bit, an input pin
 * drives nothing and counts as low. Open drain is only stored (a released open-drain pin is
 * pulled high on the board, which is the same level). Input pins read the level the board
 * gives them; output pins read back GPDAT.
 *
 * Where QEMU departs from the hardware, this follows the hardware: a pin that becomes an
 * output drives its GPDAT bit at once (QEMU signals only GPDAT writes), an input event needs
 * a level change (QEMU counts every call while GPICR selects any edge) and GPICR is indexed
 * by pin (QEMU tests it with the pin number instead of its mask). Linux's gpio-mpc8xxx and
 * gpio-poweroff drivers act the same on both.
 *
 * QorIQ parts add GPIBE (0x18, input buffer enable), which Linux writes with all ones at probe
 * and U-Boot before powering off; QEMU does not decode it. Inputs here are always readable, so
 * it is accepted silently and reads 0, as on QEMU. Only 32-bit accesses reach registers.
 */
import type { DeviceState, StateReader, StateWriter } from './state.js';
import { RateLimitedLog, type Logger, type MmioDevice } from './bus.js';

export const MPC8XXX_GPIO_SIZE = 0x1000;
export const MPC8XXX_GPIO_PINS = 32;

const GPDIR = 0x00;
const GPODR = 0x04;
const GPDAT = 0x08;
const GPIER = 0x0c;
const GPIMR = 0x10;
const GPICR = 0x14;
const GPIBE = 0x18;

export interface Mpc8xxxGpioOptions {
  /** Guest misuse (narrow accesses, undecoded offsets), rate-limited. */
  readonly log?: Logger;
}

/** Bit of pin `n` in the registers: pin 0 is the most significant bit. */
export const gpioPinMask = (n: number): number => (0x8000_0000 >>> n) >>> 0;

export class Mpc8xxxGpio implements MmioDevice, DeviceState {
  readonly name = 'mpc8xxx-gpio';
  readonly endian = 'big' as const;
  readonly maxAccessSize = 4 as const;
  /** Level of the interrupt output; the board wires it to the MPIC. */
  onIrq: (level: boolean) => void = () => {};
  /** An output line changed level; the board wires the pins it uses (pin 0: power-off). */
  onOutput: (pin: number, level: boolean) => void = () => {};

  private readonly misuse: RateLimitedLog | undefined;
  private dir = 0;
  private odr = 0;
  private dat = 0;
  private ier = 0;
  private imr = 0;
  private icr = 0;
  /** Levels the board drives onto the pins (seen where a pin is an input). */
  private inputs = 0;
  /** Output levels last reported to the board. */
  private driven = 0;
  private irqLevel = false;

  constructor(options: Mpc8xxxGpioOptions = {}) {
    this.misuse = options.log === undefined ? undefined : new RateLimitedLog(options.log);
  }

  get irq(): boolean {
    return this.irqLevel;
  }

  readonly stateId = 'gpio';
  readonly stateVersion = 1;

  saveState(w: StateWriter): void {
    for (const v of [this.dir, this.odr, this.dat, this.ier, this.imr, this.icr, this.inputs]) w.u32(v);
  }

  /**
   * The outputs are taken as already driven: the machine that saved them acted on them, and
   * reporting them again (pin 0 is the power-off line) would repeat that.
   */
  loadState(r: StateReader): void {
    [this.dir, this.odr, this.dat, this.ier, this.imr, this.icr, this.inputs] = [r.u32(), r.u32(), r.u32(), r.u32(), r.u32(), r.u32(), r.u32()];
    this.driven = (this.dat & this.dir) >>> 0;
    this.update();
  }

  /** Power-on state: every pin an input, no events. */
  reset(): void {
    this.dir = 0;
    this.odr = 0;
    this.dat = 0;
    this.ier = 0;
    this.imr = 0;
    this.icr = 0;
    this.update();
  }

  /** The board drives input pin `pin` (0–31) to `level`. */
  setInput(pin: number, level: boolean): void {
    if (!Number.isInteger(pin) || pin < 0 || pin >= MPC8XXX_GPIO_PINS) return;
    const mask = gpioPinMask(pin);
    const old = (this.inputs & mask) !== 0;
    this.inputs = level ? (this.inputs | mask) >>> 0 : (this.inputs & ~mask) >>> 0;
    if (old === level || (this.dir & mask) !== 0) return;
    // GPICR set: only high-to-low is an event; clear: any change.
    if ((this.icr & mask) === 0 || !level) this.ier = (this.ier | mask) >>> 0;
    this.update();
  }

  read(offset: number, size: number): number {
    if (size !== 4) {
      this.report(`${size}-byte read at offset 0x${offset.toString(16)} reads 0: the registers decode 32-bit accesses only`);
      return 0;
    }
    switch (offset) {
      case GPDIR:
        return this.dir;
      case GPODR:
        return this.odr;
      case GPDAT:
        return ((this.dat & this.dir) | (this.inputs & ~this.dir)) >>> 0;
      case GPIER:
        return this.ier;
      case GPIMR:
        return this.imr;
      case GPICR:
        return this.icr;
      case GPIBE:
        return 0;
      default:
        this.report(`read of offset 0x${offset.toString(16)}: no register there, reads 0`);
        return 0;
    }
  }

  write(offset: number, size: number, value: number): void {
    if (size !== 4) {
      this.report(`${size}-byte write at offset 0x${offset.toString(16)} ignored: the registers decode 32-bit accesses only`);
      return;
    }
    const v = value >>> 0;
    switch (offset) {
      case GPDIR:
        this.dir = v;
        break;
      case GPODR:
        this.odr = v;
        break;
      case GPDAT:
        this.dat = v;
        break;
      case GPIER:
        this.ier = (this.ier & ~v) >>> 0;
        break;
      case GPIMR:
        this.imr = v;
        break;
      case GPICR:
        this.icr = v;
        break;
      case GPIBE:
        return;
      default:
        this.report(`write of 0x${v.toString(16)} to offset 0x${offset.toString(16)} ignored: no register there`);
        return;
    }
    this.update();
  }

  /** Reports output lines that changed, then the interrupt level. */
  private update(): void {
    const driven = (this.dat & this.dir) >>> 0;
    const changed = (driven ^ this.driven) >>> 0;
    this.driven = driven;
    for (let pin = 0; changed !== 0 && pin < MPC8XXX_GPIO_PINS; pin++) {
      const mask = gpioPinMask(pin);
      if ((changed & mask) !== 0) this.onOutput(pin, (driven & mask) !== 0);
    }
    const level = (this.ier & this.imr) !== 0;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.onIrq(level);
    }
  }

  private report(line: string): void {
    this.misuse?.log(`ngkvm: mpc8xxx-gpio: ${line}`);
  }
}
