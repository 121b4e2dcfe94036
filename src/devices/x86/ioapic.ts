/**
 * The I/O APIC (82093AA register model, version 0x20 with the EOI register), in the VMM.
 *
 * This is the split-irqchip design: the local APICs live in the accelerator (the kernel's
 * LAPIC under KVM), the IOAPIC lives here. A pin that fires becomes an MSI-shaped message
 * (address 0xFEE0_0000 | destination, data = vector | delivery mode | trigger mode), handed
 * to an `MsiSink` — KVM_SIGNAL_MSI, a GSI route, or a test's array. End-of-interrupt for
 * level-triggered vectors comes back through `endOfInterrupt(vector)` (KVM_EXIT_IOAPIC_EOI,
 * or the EOI register at offset 0x40), which clears Remote IRR and re-delivers while the
 * line is still asserted.
 *
 * Registers: IOREGSEL at offset 0x00 selects an indirect register read and written through
 * IOWIN at 0x10. Indirect 0x00 ID, 0x01 version, 0x02 arbitration, 0x10 + 2n / 0x11 + 2n the
 * low / high halves of redirection entry n.
 */
import type { MsiMessage } from '../../api/events.js';
import type { MmioDevice } from '../bus.js';

export type { MsiMessage };

export const IOAPIC_BASE = 0xfec0_0000;
export const IOAPIC_SIZE = 0x1000;
export const IOAPIC_PINS = 24;
export const IOAPIC_VERSION = 0x20;
/** The local APICs' MSI window: messages are writes of `data` to this address + destination. */
export const MSI_ADDRESS_BASE = 0xfee0_0000;

/**
 * Where the IOAPIC's messages go: `Vm.signalMsi` on a VM, an array in a test. A message's
 * address is 0xFEEx_xxxx with the destination APIC ID in bits 19..12 and logical
 * destination mode in bit 2; its data has the vector in bits 7..0, the delivery mode in
 * 10..8, level-assert in 14 and trigger mode (level) in 15 — what KVM_SIGNAL_MSI and MSI GSI
 * routes take.
 */
export interface MsiSink {
  signalMsi(msg: MsiMessage): void;
}

const REG_ID = 0x00;
const REG_VER = 0x01;
const REG_ARB = 0x02;
const REG_REDTBL = 0x10;

/** Redirection entry bits (low word). */
export const RTE = {
  VECTOR: 0xff,
  DELIVERY_MODE: 0x700,
  DEST_LOGICAL: 1 << 11,
  DELIVERY_STATUS: 1 << 12,
  POLARITY_LOW: 1 << 13,
  REMOTE_IRR: 1 << 14,
  LEVEL: 1 << 15,
  MASKED: 1 << 16,
} as const;
/** Bits the guest cannot write: delivery status and Remote IRR. */
const RTE_READ_ONLY = RTE.DELIVERY_STATUS | RTE.REMOTE_IRR;
/** Bits 17..55 are reserved and read as zero. */
const RTE_LOW_WRITABLE = 0x1ffff & ~RTE_READ_ONLY;

export class IoApic implements MmioDevice {
  readonly name = 'ioapic';
  readonly endian = 'little' as const;
  readonly maxAccessSize = 4 as const;
  private readonly sink: MsiSink;
  private id = 0;
  private regsel = 0;
  /** Low and high 32 bits of each redirection entry. */
  private readonly low = new Uint32Array(IOAPIC_PINS);
  private readonly high = new Uint32Array(IOAPIC_PINS);
  /** Input line levels as the devices drive them. */
  private lines = 0;
  /** Interrupt request register: pins waiting to be delivered. */
  private irr = 0;
  /**
   * Called after the guest changed a redirection entry: an accelerator that needs to know
   * which vectors are level-triggered (to report their EOIs) or that installs routes in the
   * kernel refreshes them from `routes()`.
   */
  onRoutesChanged: () => void = () => {};

  constructor(sink: MsiSink) {
    this.sink = sink;
    this.reset();
  }

  reset(): void {
    this.id = 0;
    this.regsel = 0;
    this.low.fill(RTE.MASKED);
    this.high.fill(0);
    this.irr = 0;
  }

  /** A device drives input `pin` (an ISA IRQ or GSI) to `level`. */
  setLine(pin: number, level: boolean): void {
    if (!Number.isInteger(pin) || pin < 0 || pin >= IOAPIC_PINS) throw new RangeError(`IOAPIC pin ${pin} is outside 0..${IOAPIC_PINS - 1}`);
    const bit = 1 << pin;
    const was = (this.lines & bit) !== 0;
    if (level) this.lines |= bit;
    else this.lines &= ~bit;
    const entry = this.low[pin]!;
    const asserted = this.asserted(pin);
    if ((entry & RTE.LEVEL) !== 0) {
      if (asserted) this.irr |= bit;
      else this.irr &= ~bit;
    } else if (asserted && (entry & RTE.POLARITY_LOW ? was && !level : !was && level)) {
      // The 82093AA ignores edges on masked pins: the edge is lost, not latched.
      if ((entry & RTE.MASKED) === 0) this.irr |= bit;
    }
    this.service();
  }

  /** Whether input `pin` is asserted after polarity: active-low pins assert on a low line. */
  private asserted(pin: number): boolean {
    const high = (this.lines & (1 << pin)) !== 0;
    return (this.low[pin]! & RTE.POLARITY_LOW) !== 0 ? !high : high;
  }

  /**
   * A local APIC finished a level-triggered interrupt with this vector: clear Remote IRR of
   * every level pin using it, and deliver again those whose line is still asserted.
   */
  endOfInterrupt(vector: number): void {
    let any = false;
    for (let pin = 0; pin < IOAPIC_PINS; pin++) {
      const e = this.low[pin]!;
      if ((e & RTE.VECTOR) !== (vector & 0xff) || (e & RTE.REMOTE_IRR) === 0) continue;
      this.low[pin] = e & ~RTE.REMOTE_IRR;
      any = true;
    }
    if (any) this.service();
  }

  /** Delivers every pending, unmasked pin that is not waiting for an EOI. */
  private service(): void {
    for (let pin = 0; pin < IOAPIC_PINS; pin++) {
      const bit = 1 << pin;
      if ((this.irr & bit) === 0) continue;
      const e = this.low[pin]!;
      if ((e & RTE.MASKED) !== 0) continue;
      if ((e & RTE.LEVEL) !== 0) {
        if ((e & RTE.REMOTE_IRR) !== 0) continue;
        // Remote IRR: accepted by a LAPIC, not yet EOI'd. Set before sending, since the sink
        // may deliver synchronously and the EOI arrive before signalMsi returns.
        this.low[pin] = e | RTE.REMOTE_IRR;
      } else {
        this.irr &= ~bit;
      }
      this.sink.signalMsi(this.message(pin));
    }
  }

  /** The message pin `pin` sends under its current redirection entry. */
  message(pin: number): MsiMessage {
    const e = this.low[pin]!;
    const dest = (this.high[pin]! >>> 24) & 0xff;
    const level = (e & RTE.LEVEL) !== 0;
    const mode = (e & RTE.DELIVERY_MODE) >>> 8;
    return {
      address: BigInt(MSI_ADDRESS_BASE + dest * 0x1000 + ((e & RTE.DEST_LOGICAL) !== 0 ? 4 : 0)),
      // Level-triggered messages always assert (bit 14); edge ones carry no level.
      data: (e & RTE.VECTOR) | (mode << 8) | (level ? 0xc000 : 0),
    };
  }

  /**
   * Every unmasked pin's message with its trigger mode, for GSI routing tables and for the
   * accelerator's list of vectors whose EOI must reach the VMM.
   */
  routes(): { pin: number; msg: MsiMessage; level: boolean }[] {
    const out: { pin: number; msg: MsiMessage; level: boolean }[] = [];
    for (let pin = 0; pin < IOAPIC_PINS; pin++) {
      const e = this.low[pin]!;
      if ((e & RTE.MASKED) !== 0) continue;
      out.push({ pin, msg: this.message(pin), level: (e & RTE.LEVEL) !== 0 });
    }
    return out;
  }

  /** Redirection entry of `pin` as a 64-bit value (tests, monitor). */
  entry(pin: number): bigint {
    return (BigInt(this.high[pin]!) << 32n) | BigInt(this.low[pin]!);
  }

  read(offset: number, size: number): number {
    const reg = offset & ~3;
    let v: number;
    if (reg === 0x00) v = this.regsel;
    else if (reg === 0x10) v = this.readIndirect(this.regsel);
    else v = 0;
    // Narrow reads take the addressed bytes of the 32-bit register.
    return size >= 4 ? v >>> 0 : (v >>> (8 * (offset & 3))) & (size === 1 ? 0xff : 0xffff);
  }

  write(offset: number, size: number, value: number): void {
    const reg = offset & ~3;
    if (size < 4) {
      // IOREGSEL is a byte register; other registers only take full 32-bit writes.
      if (reg === 0x00 && (offset & 3) === 0) this.regsel = value & 0xff;
      return;
    }
    switch (reg) {
      case 0x00:
        this.regsel = value & 0xff;
        return;
      case 0x10:
        this.writeIndirect(this.regsel, value >>> 0);
        return;
      case 0x40:
        this.endOfInterrupt(value & 0xff);
        return;
      default:
        return;
    }
  }

  private readIndirect(index: number): number {
    switch (index) {
      case REG_ID:
      case REG_ARB:
        return (this.id << 24) >>> 0;
      case REG_VER:
        return ((IOAPIC_PINS - 1) << 16) | IOAPIC_VERSION;
      default: {
        const pin = (index - REG_REDTBL) >> 1;
        if (index < REG_REDTBL || pin >= IOAPIC_PINS) return 0;
        return (index & 1) === 0 ? this.low[pin]! : this.high[pin]!;
      }
    }
  }

  private writeIndirect(index: number, value: number): void {
    if (index === REG_ID) {
      this.id = (value >>> 24) & 0x0f;
      return;
    }
    const pin = (index - REG_REDTBL) >> 1;
    if (index < REG_REDTBL || pin >= IOAPIC_PINS) return;
    if ((index & 1) === 1) {
      this.high[pin] = value & 0xff00_0000;
    } else {
      const old = this.low[pin]!;
      let e = (old & RTE_READ_ONLY) | (value & RTE_LOW_WRITABLE);
      // An edge-triggered pin never waits for an EOI.
      if ((e & RTE.LEVEL) === 0) e &= ~RTE.REMOTE_IRR;
      this.low[pin] = e >>> 0;
      // A level pin whose line is asserted is pending as soon as it may deliver.
      if ((e & RTE.LEVEL) !== 0 && this.asserted(pin)) this.irr |= 1 << pin;
      else if ((e & RTE.LEVEL) !== 0) this.irr &= ~(1 << pin);
    }
    this.onRoutesChanged();
    this.service();
  }
}
