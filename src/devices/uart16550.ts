/**
 * National Semiconductor 16550A UART (register-compatible with QEMU's "serial" model, which
 * is what the ppce500 board has at CCSR+0x4500).
 *
 * Baud rate and line timing are not modelled: a byte written to THR reaches the backend at
 * once, and THR is always empty again. Input is taken from the backend only while the
 * receive FIFO has room, so bytes typed faster than the guest reads them wait in the backend
 * and nothing is lost (the FIFO never overruns). Host input "arrives" when the guest looks
 * for it, so a receive-FIFO reset hands bytes the guest has not read back to the queue:
 * firmware that resets its UART while booting does not eat what was typed ahead (QEMU drops
 * those bytes).
 */
import type { MmioDevice } from './bus.js';
import type { DeviceState, StateReader, StateWriter } from './state.js';

/** Where the UART's bytes go and come from (console, file, socket). */
export interface SerialBackend {
  write(byte: number): void;
  /** Next waiting input byte, or -1. */
  read(): number;
}

export const LSR = { DR: 0x01, OE: 0x02, PE: 0x04, FE: 0x08, BI: 0x10, THRE: 0x20, TEMT: 0x40, FIFOE: 0x80 } as const;
const IER = { RDI: 0x01, THRI: 0x02, RLSI: 0x04, MSI: 0x08 } as const;
const IIR_NO_INT = 0x01;
const IIR_MSI = 0x00;
const IIR_THRI = 0x02;
const IIR_RDI = 0x04;
const IIR_RLSI = 0x06;
const IIR_CTI = 0x0c;
const IIR_FIFO = 0xc0;
const MCR = { DTR: 0x01, RTS: 0x02, OUT1: 0x04, OUT2: 0x08, LOOP: 0x10 } as const;
const MSR_BITS = { DCTS: 0x01, DDSR: 0x02, TERI: 0x04, DDCD: 0x08, CTS: 0x10, DSR: 0x20, RI: 0x40, DCD: 0x80 } as const;
const FIFO_SIZE = 16;
const TRIGGER_LEVELS = [1, 4, 8, 14] as const;

export class Uart16550 implements MmioDevice, DeviceState {
  readonly name: string;
  readonly stateVersion = 1;
  readonly endian = 'big' as const;
  readonly maxAccessSize = 1 as const;
  backend: SerialBackend;
  /** Level of the interrupt output; the board wires it to its interrupt controller. */
  onIrq: (level: boolean) => void = () => {};

  private rxFifo: number[] = [];
  /** Bytes taken from the backend but given back by a FIFO reset; read before the backend. */
  private pushback: number[] = [];
  private ier = 0;
  private lcr = 0;
  private mcr: number = MCR.OUT2;
  private scr = 0;
  private msr: number = MSR_BITS.DCD | MSR_BITS.DSR | MSR_BITS.CTS;
  private divisor = 0x0c;
  private fifoEnabled = false;
  private triggerLevel: number = 1;
  private thrPending = false;
  private lsrErrors = 0;
  private irqLevel = false;

  constructor(name: string, backend: SerialBackend) {
    this.name = name;
    this.backend = backend;
  }

  reset(): void {
    this.returnUnread();
    this.ier = 0;
    this.lcr = 0;
    this.mcr = MCR.OUT2;
    this.scr = 0;
    this.msr = MSR_BITS.DCD | MSR_BITS.DSR | MSR_BITS.CTS;
    this.divisor = 0x0c;
    this.fifoEnabled = false;
    this.triggerLevel = 1;
    this.thrPending = false;
    this.lsrErrors = 0;
    this.updateIrq();
  }

  /** Moves waiting backend input into the FIFO; the VMM calls this when input arrives. */
  pollInput(): void {
    const room = this.fifoEnabled ? FIFO_SIZE : 1;
    while (this.rxFifo.length < room) {
      const b = this.pushback.shift() ?? this.backend.read();
      if (b < 0) break;
      this.rxFifo.push(b & 0xff);
    }
    this.updateIrq();
  }

  /** A receive reset: unread host bytes go back to the front of the input queue. */
  private returnUnread(): void {
    this.pushback = [...this.rxFifo, ...this.pushback];
    this.rxFifo = [];
  }

  private get dlab(): boolean {
    return (this.lcr & 0x80) !== 0;
  }

  private lsr(): number {
    let v = LSR.THRE | LSR.TEMT | this.lsrErrors;
    if (this.rxFifo.length > 0) v |= LSR.DR;
    return v;
  }

  /** Pending interrupt cause in priority order, as IIR reports it. */
  private cause(): number {
    if ((this.ier & IER.RLSI) !== 0 && this.lsrErrors !== 0) return IIR_RLSI;
    if ((this.ier & IER.RDI) !== 0 && this.rxFifo.length > 0) {
      // Below the trigger level data is reported by the character timeout, as on real parts.
      return this.fifoEnabled && this.rxFifo.length < this.triggerLevel ? IIR_CTI : IIR_RDI;
    }
    if ((this.ier & IER.THRI) !== 0 && this.thrPending) return IIR_THRI;
    if ((this.ier & IER.MSI) !== 0 && (this.msr & 0x0f) !== 0) return IIR_MSI;
    return IIR_NO_INT;
  }

  private updateIrq(): void {
    const level = this.cause() !== IIR_NO_INT;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.onIrq(level);
    }
  }

  get irq(): boolean {
    return this.irqLevel;
  }

  get stateId(): string {
    return this.name;
  }

  /** Registers, the receive FIFO and the input taken from the host but not yet read. */
  saveState(w: StateWriter): void {
    w.u8(this.ier);
    w.u8(this.lcr);
    w.u8(this.mcr);
    w.u8(this.scr);
    w.u8(this.msr);
    w.u16(this.divisor);
    w.bool(this.fifoEnabled);
    w.u8(this.triggerLevel);
    w.bool(this.thrPending);
    w.u8(this.lsrErrors);
    w.bytes(Uint8Array.from(this.rxFifo));
    w.bytes(Uint8Array.from(this.pushback));
  }

  loadState(r: StateReader): void {
    this.ier = r.u8() & 0x0f;
    this.lcr = r.u8();
    this.mcr = r.u8() & 0x1f;
    this.scr = r.u8();
    this.msr = r.u8();
    this.divisor = r.u16();
    this.fifoEnabled = r.bool();
    this.triggerLevel = r.oneOf(r.u8(), TRIGGER_LEVELS, 'FIFO trigger level');
    this.thrPending = r.bool();
    this.lsrErrors = r.u8() & (LSR.OE | LSR.PE | LSR.FE | LSR.BI);
    this.rxFifo = [...r.bytes(FIFO_SIZE)];
    // Host input already taken: bounded only by what a stream can hold.
    this.pushback = [...r.bytes(1 << 20)];
    this.updateIrq();
  }

  read(offset: number): number {
    switch (offset & 7) {
      case 0: {
        if (this.dlab) return this.divisor & 0xff;
        if ((this.mcr & MCR.LOOP) === 0) this.pollInput();
        const b = this.rxFifo.shift() ?? 0;
        if ((this.mcr & MCR.LOOP) === 0) this.pollInput();
        else this.updateIrq();
        return b;
      }
      case 1:
        return this.dlab ? (this.divisor >>> 8) & 0xff : this.ier;
      case 2: {
        const c = this.cause();
        // Reading IIR acknowledges a THR-empty interrupt.
        if (c === IIR_THRI) {
          this.thrPending = false;
          this.updateIrq();
        }
        return c | (this.fifoEnabled ? IIR_FIFO : 0);
      }
      case 3:
        return this.lcr;
      case 4:
        return this.mcr;
      case 5: {
        if ((this.mcr & MCR.LOOP) === 0) this.pollInput();
        const v = this.lsr();
        if (this.lsrErrors !== 0) {
          this.lsrErrors = 0;
          this.updateIrq();
        }
        return v;
      }
      case 6: {
        const v = this.modemStatus();
        this.msr &= 0xf0;
        this.updateIrq();
        return v;
      }
      default:
        return this.scr;
    }
  }

  private modemStatus(): number {
    if ((this.mcr & MCR.LOOP) === 0) return this.msr;
    // Loopback: modem inputs follow the modem control outputs.
    const m = this.mcr;
    return (
      (this.msr & 0x0f) |
      ((m & MCR.RTS) !== 0 ? MSR_BITS.CTS : 0) |
      ((m & MCR.DTR) !== 0 ? MSR_BITS.DSR : 0) |
      ((m & MCR.OUT1) !== 0 ? MSR_BITS.RI : 0) |
      ((m & MCR.OUT2) !== 0 ? MSR_BITS.DCD : 0)
    );
  }

  write(offset: number, _size: number, value: number): void {
    const v = value & 0xff;
    switch (offset & 7) {
      case 0:
        if (this.dlab) {
          this.divisor = (this.divisor & 0xff00) | v;
          return;
        }
        if ((this.mcr & MCR.LOOP) !== 0) {
          if (this.rxFifo.length < (this.fifoEnabled ? FIFO_SIZE : 1)) this.rxFifo.push(v);
          else this.lsrErrors |= LSR.OE;
        } else {
          this.backend.write(v);
        }
        // The byte leaves at once, so THR is empty again.
        this.thrPending = true;
        this.updateIrq();
        return;
      case 1:
        if (this.dlab) {
          this.divisor = (this.divisor & 0x00ff) | (v << 8);
          return;
        }
        {
          const wasThri = (this.ier & IER.THRI) !== 0;
          this.ier = v & 0x0f;
          // Enabling the THR-empty interrupt while THR is empty raises it immediately.
          if (!wasThri && (this.ier & IER.THRI) !== 0) this.thrPending = true;
          this.updateIrq();
        }
        return;
      case 2:
        this.fifoEnabled = (v & 0x01) !== 0;
        if ((v & 0x02) !== 0 || !this.fifoEnabled) this.returnUnread();
        this.triggerLevel = TRIGGER_LEVELS[(v >>> 6) & 3]!;
        this.pollInput();
        return;
      case 3:
        this.lcr = v;
        return;
      case 4: {
        this.mcr = v & 0x1f;
        this.updateIrq();
        return;
      }
      case 5:
      case 6:
        // LSR and MSR are read-only; the write is ignored as on the real part.
        return;
      default:
        this.scr = v;
    }
  }
}
