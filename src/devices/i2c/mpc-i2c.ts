/**
 * Freescale I2C controller (MPC85xx/MPC83xx "fsl-i2c"), the one QEMU 7.2's ppce500 has at
 * CCSR+0x3000 (hw/i2c/mpc_i2c.c), as a master on an `I2cBus`. Registers are bytes, one per
 * word: ADR 0x00, FDR 0x04, CR 0x08, SR 0x0C, DR 0x10, DFSRR 0x14.
 *
 * Every byte transfer completes at once (no bit timing), so MCF is always set. The
 * controller is the only master on its bus, so it is never addressed as a target (MAAS,
 * BCSTM and SRW stay 0; ADR is only stored) and arbitration is lost only where the manual
 * says a lone master loses it: a repeated START requested while not master.
 *
 * Reading DR in master receive mode returns the byte received last and clocks in the next
 * one, the pipelining the hardware has (and Linux's i2c-mpc relies on: a "dummy" read starts
 * the first byte; setting MTX before the last read keeps it from starting another).
 *
 * Where QEMU departs from the hardware manual, this follows the hardware; Linux's i2c-mpc
 * driver behaves the same on both:
 * - SR: only MIF and MAL can be written, and only to clear them; the other bits are status.
 *   QEMU stores any write (so clearing MIF also clears MBB, MCF and RXAK).
 * - A byte that is not acknowledged (no target at the address, or a target refusing data)
 *   still completes the transfer: MIF is set with RXAK, so a driver sees -ENXIO at once.
 *   QEMU sets only RXAK and raises no interrupt, so a probe of an empty address times out.
 * - The interrupt output follows MEN, MIEN and MIF whenever any of them changes; QEMU updates
 *   it only on transfers and some SR writes.
 * - Clearing MEN resets the transfer state and CR/SR/DR but keeps the clock settings (FDR,
 *   DFSRR) besides ADR; QEMU clears FDR too. The bus sees a STOP if a transfer was open.
 * - RSTA reads 0 (it is a command); DR is written to the bus only in transmit mode.
 */
import type { DeviceState, StateReader, StateWriter } from '../state.js';
import { RateLimitedLog, type Logger, type MmioDevice } from '../bus.js';
import type { I2cController } from './i2c-bus.js';

/** Register block size QEMU maps (and the device tree's `reg`); DFSRR lies just past it. */
export const MPC_I2C_SIZE = 0x14;

const ADR = 0x00;
const FDR = 0x04;
const CR = 0x08;
const SR = 0x0c;
const DR = 0x10;
const DFSRR = 0x14;

export const CR_BITS = { MEN: 0x80, MIEN: 0x40, MSTA: 0x20, MTX: 0x10, TXAK: 0x08, RSTA: 0x04 } as const;
export const SR_BITS = { MCF: 0x80, MAAS: 0x40, MBB: 0x20, MAL: 0x10, BCSTM: 0x08, SRW: 0x04, MIF: 0x02, RXAK: 0x01 } as const;

/** CR bits that are stored (RSTA is a command; bit 0, broadcast, is not modelled). */
const CR_STORED = 0xf8;
const ADR_MASK = 0xfe;
const CLOCK_MASK = 0x3f;
/** SR after reset: transfer complete, no acknowledge seen. */
const SR_RESET = SR_BITS.MCF | SR_BITS.RXAK;

export interface MpcI2cOptions {
  /** Guest misuse (undecoded offsets, commands that make no sense in the current mode). */
  readonly log?: Logger;
}

export class MpcI2c implements MmioDevice, DeviceState {
  readonly name = 'mpc-i2c';
  readonly endian = 'big' as const;
  readonly maxAccessSize = 1 as const;
  /** Level of the interrupt output; the board wires it to the MPIC. */
  onIrq: (level: boolean) => void = () => {};

  private readonly bus: I2cController;
  private readonly misuse: RateLimitedLog | undefined;
  private adr = 0;
  private fdr = 0;
  private dfsrr = 0;
  private cr = 0;
  private sr = SR_RESET;
  private dr = 0;
  /** The next DR write in master transmit mode is an address (after START or repeated START). */
  private addressNext = false;
  /** A transfer is open on the bus (an address went out since the last STOP). */
  private open = false;
  private irqLevel = false;

  constructor(bus: I2cController, options: MpcI2cOptions = {}) {
    this.bus = bus;
    this.misuse = options.log === undefined ? undefined : new RateLimitedLog(options.log);
  }

  get irq(): boolean {
    return this.irqLevel;
  }

  readonly stateId = 'i2c';
  readonly stateVersion = 1;

  /** The controller's registers; a transfer in progress is the bus's (and its target's) section. */
  saveState(w: StateWriter): void {
    for (const v of [this.adr, this.fdr, this.dfsrr, this.cr, this.sr, this.dr]) w.u8(v);
    w.bool(this.addressNext);
    w.bool(this.open);
  }

  loadState(r: StateReader): void {
    [this.adr, this.fdr, this.dfsrr, this.cr, this.sr, this.dr] = [r.u8(), r.u8(), r.u8(), r.u8(), r.u8(), r.u8()];
    this.addressNext = r.bool();
    this.open = r.bool();
    this.updateIrq();
  }

  /** Power-on state, as a machine reset leaves it. */
  reset(): void {
    this.adr = 0;
    this.fdr = 0;
    this.dfsrr = 0;
    this.disable();
  }

  read(offset: number): number {
    switch (offset) {
      case ADR:
        return this.adr;
      case FDR:
        return this.fdr;
      case CR:
        return this.cr;
      case SR:
        return this.sr;
      case DR: {
        const v = this.dr;
        if (this.master && (this.cr & CR_BITS.MTX) === 0) this.receiveNext();
        return v;
      }
      case DFSRR:
        return this.dfsrr;
      default:
        this.report(`read of offset 0x${offset.toString(16)}: no register there, reads 0`);
        return 0;
    }
  }

  write(offset: number, _size: number, value: number): void {
    const v = value & 0xff;
    switch (offset) {
      case ADR:
        this.adr = v & ADR_MASK;
        return;
      case FDR:
        this.fdr = v & CLOCK_MASK;
        return;
      case CR:
        this.writeCr(v);
        return;
      case SR:
        // MIF and MAL are cleared by writing 0; writing 1 leaves them; the rest is status.
        this.sr &= ~((SR_BITS.MIF | SR_BITS.MAL) & ~v);
        this.updateIrq();
        return;
      case DR:
        this.writeDr(v);
        return;
      case DFSRR:
        this.dfsrr = v & CLOCK_MASK;
        return;
      default:
        this.report(`write of 0x${v.toString(16)} to offset 0x${offset.toString(16)} ignored: no register there`);
    }
  }

  private get enabled(): boolean {
    return (this.cr & CR_BITS.MEN) !== 0;
  }

  private get master(): boolean {
    return (this.cr & (CR_BITS.MEN | CR_BITS.MSTA)) === (CR_BITS.MEN | CR_BITS.MSTA);
  }

  private writeCr(v: number): void {
    if (this.enabled && (v & CR_BITS.MEN) === 0) {
      // Disabling the module resets it (the manual's soft reset).
      this.disable();
      this.cr = v & CR_STORED;
      return;
    }
    const wasMaster = this.master;
    this.cr = v & CR_STORED;
    const isMaster = this.master;
    if (!wasMaster && isMaster) {
      // MSTA 0→1: START. The address follows with the next DR write.
      this.sr |= SR_BITS.MBB;
      this.addressNext = true;
    } else if (wasMaster && !isMaster) {
      this.stop();
    } else if ((v & CR_BITS.RSTA) !== 0) {
      if (isMaster) {
        this.addressNext = true;
      } else if (this.enabled) {
        // A repeated START while not master: the manual's arbitration-lost case.
        this.sr |= SR_BITS.MAL | SR_BITS.MIF;
        this.report('repeated START (CR[RSTA]) requested while not master: arbitration lost');
      }
    }
    this.updateIrq();
  }

  private writeDr(v: number): void {
    if (!this.enabled) return; // the module is held in reset
    this.dr = v;
    if (!this.master) return; // data for a master addressing us: never happens on this bus
    if ((this.cr & CR_BITS.MTX) === 0) {
      this.report(`DR write of 0x${v.toString(16)} in master receive mode: nothing is sent (set CR[MTX] to transmit)`);
      return;
    }
    let ack: boolean;
    if (this.addressNext) {
      this.addressNext = false;
      ack = this.bus.start(v >>> 1, (v & 1) !== 0);
      this.open = true;
    } else {
      ack = this.bus.send(v);
    }
    this.sr = (this.sr & ~SR_BITS.RXAK) | (ack ? 0 : SR_BITS.RXAK) | SR_BITS.MCF | SR_BITS.MIF;
    this.updateIrq();
  }

  /** Master receive: clocks in the next byte, answering it as CR[TXAK] says. */
  private receiveNext(): void {
    this.dr = this.bus.receive((this.cr & CR_BITS.TXAK) === 0);
    this.sr |= SR_BITS.MCF | SR_BITS.MIF;
    this.updateIrq();
  }

  private stop(): void {
    if (this.open) this.bus.stop();
    this.open = false;
    this.addressNext = false;
    this.sr &= ~SR_BITS.MBB;
  }

  /** Module reset: transfer state, CR, SR and DR; the bus sees a STOP if a transfer was open. */
  private disable(): void {
    this.stop();
    this.cr = 0;
    this.sr = SR_RESET;
    this.dr = 0;
    this.updateIrq();
  }

  private updateIrq(): void {
    const level = (this.cr & (CR_BITS.MEN | CR_BITS.MIEN)) === (CR_BITS.MEN | CR_BITS.MIEN) && (this.sr & SR_BITS.MIF) !== 0;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.onIrq(level);
    }
  }

  private report(line: string): void {
    this.misuse?.log(`ngkvm: mpc-i2c: ${line}`);
  }
}
