/**
 * An I2C bus at the level a controller model needs: START (or repeated START) with a 7-bit
 * address and the R/W bit, bytes sent to the addressed target or received from it, the
 * acknowledge bit of every byte, and STOP. Clock stretching, timing and multi-master
 * arbitration are not modelled: a controller model is the only master, and every byte
 * transfer completes at once.
 *
 * Nobody drives SDA when no target answers, so the pull-up wins: an address nobody has is
 * not acknowledged, and a byte read from nobody is 0xFF (what QEMU's i2c core returns too).
 */

import { StateError, type DeviceState, type StateReader, type StateWriter } from '../state.js';

/** A device on the bus (a target, formerly "slave"), as the bus sees it. */
export interface I2cTarget {
  readonly name: string;
  /**
   * START or repeated START with this target's address; `read` is the R/W bit. Returns
   * whether the target acknowledges its address.
   */
  start(read: boolean): boolean;
  /** A byte from the controller in a write transfer; returns the acknowledge bit (false = NAK). */
  write(byte: number): boolean;
  /**
   * The controller clocks in a byte of a read transfer. `ack` is what the controller answers
   * for it: false (NAK) tells the target this was the last byte.
   */
  read(ack: boolean): number;
  /** STOP, or a repeated START that addresses another target: the transfer is over. */
  stop(): void;
}

/** What a bus looks like from the controller side. */
export interface I2cController {
  /** START or repeated START; returns whether a target acknowledged the address. */
  start(address: number, read: boolean): boolean;
  /** Sends a byte in a write transfer; returns the acknowledge bit (false = NAK or nobody). */
  send(byte: number): boolean;
  /** Receives a byte in a read transfer, acknowledging it with `ack`; 0xFF if nobody sends. */
  receive(ack: boolean): number;
  stop(): void;
}

export const I2C_ADDRESS_MAX = 0x7f;

export class I2cBus implements I2cController, DeviceState {
  readonly stateId = 'i2c-bus';
  readonly stateVersion = 1;
  private readonly targets = new Map<number, I2cTarget>();
  /** Target of the transfer in progress, if its address was acknowledged. */
  private current: I2cTarget | undefined;
  private reading = false;

  /** Wiring: puts `target` at a 7-bit address. Two targets at one address is a wiring bug. */
  attach(address: number, target: I2cTarget): void {
    if (!Number.isInteger(address) || address < 0 || address > I2C_ADDRESS_MAX) {
      throw new RangeError(`I2C target ${target.name}: address ${String(address)} is not a 7-bit address`);
    }
    const other = this.targets.get(address);
    if (other !== undefined) throw new Error(`I2C address 0x${address.toString(16)} of ${target.name} is taken by ${other.name}`);
    this.targets.set(address, target);
  }

  /** The transfer in progress: its target's address (0xff: none) and direction. */
  saveState(w: StateWriter): void {
    const at = [...this.targets].find(([, t]) => t === this.current)?.[0];
    w.u8(at ?? 0xff);
    w.bool(this.reading);
  }

  loadState(r: StateReader): void {
    const at = r.u8();
    this.reading = r.bool();
    if (at === 0xff) {
      this.current = undefined;
      return;
    }
    const t = this.targets.get(at);
    if (t === undefined) throw new StateError(`i2c-bus: a transfer with a target at 0x${at.toString(16)}, where this machine has none`);
    // The target's own state (its register pointer) comes from its section: no START here.
    this.current = t;
  }

  /** The target at `address`, if any (for diagnostics and tests). */
  target(address: number): I2cTarget | undefined {
    return this.targets.get(address);
  }

  /** Whether a transfer with an acknowledging target is in progress. */
  get busy(): boolean {
    return this.current !== undefined;
  }

  start(address: number, read: boolean): boolean {
    const next = this.targets.get(address & I2C_ADDRESS_MAX);
    // A repeated START to another address ends the first target's transfer; one to the same
    // target only restarts it (the target sees the START and the new direction).
    if (this.current !== undefined && this.current !== next) this.current.stop();
    this.current = undefined;
    if (next === undefined || !next.start(read)) return false;
    this.current = next;
    this.reading = read;
    return true;
  }

  send(byte: number): boolean {
    if (this.current === undefined || this.reading) return false;
    return this.current.write(byte & 0xff);
  }

  receive(ack: boolean): number {
    if (this.current === undefined || !this.reading) return 0xff;
    return this.current.read(ack) & 0xff;
  }

  stop(): void {
    const t = this.current;
    this.current = undefined;
    t?.stop();
  }
}
