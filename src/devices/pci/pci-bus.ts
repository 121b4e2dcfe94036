/**
 * A conventional PCI bus 0: functions addressed by slot and function number, their 256-byte
 * configuration spaces, and the bus address space their BARs decode in.
 *
 * Configuration space follows QEMU's generic PCI device, because guests are compared
 * against QEMU: a write changes only the bits of the write mask, status error bits are
 * write-one-to-clear, the cache-line-size and interrupt-line bytes and everything past the
 * 64-byte header are plain read/write storage. BARs answer a sizing write with their size
 * mask and decode only while the command register enables their space.
 *
 * The bus address space is memory BARs laid over the 64 KiB I/O space at bus address 0
 * (I/O BARs decode inside it). That is the ppce500 arrangement, where the host controller
 * reaches I/O ports through an ordinary outbound window; unclaimed addresses read 0.
 */
import { MmioBus, type Logger, type MmioTarget } from '../bus.js';

export const PCI_CONFIG_SIZE = 256;
export const PCI_IO_SPACE_SIZE = 0x1_0000;

const VENDOR_ID = 0x00;
const DEVICE_ID = 0x02;
const PCI_COMMAND = 0x04;
const STATUS = 0x06;
const REVISION = 0x08;
const CACHE_LINE_SIZE = 0x0c;
const BAR0 = 0x10;
const SUBSYSTEM_VENDOR_ID = 0x2c;
const SUBSYSTEM_ID = 0x2e;
const INTERRUPT_LINE = 0x3c;
const INTERRUPT_PIN = 0x3d;
const HEADER_SIZE = 0x40;
const BAR_COUNT = 6;

export const COMMAND = { IO: 0x0001, MEMORY: 0x0002, MASTER: 0x0004, SERR: 0x0100, INTX_DISABLE: 0x0400 } as const;
const COMMAND_WRITABLE = COMMAND.IO | COMMAND.MEMORY | COMMAND.MASTER | COMMAND.SERR | COMMAND.INTX_DISABLE;
/** Parity, target/master aborts, system error, detected parity. */
const STATUS_WRITE_ONE_TO_CLEAR = 0xf900;
const BAR_IO_SPACE = 0x1;

/** QEMU gives every device that does not choose its own these subsystem IDs (Red Hat / QEMU). */
export const QEMU_SUBSYSTEM_VENDOR_ID = 0x1af4;
export const QEMU_SUBSYSTEM_ID = 0x1100;

export interface PciBarSpec {
  /** BAR register index, 0–5. */
  readonly index: number;
  /** 'memory' is a 32-bit non-prefetchable memory BAR. */
  readonly space: 'memory' | 'io';
  /** Power of two, at least 16 (memory) or 4 (I/O). */
  readonly size: number;
  /**
   * What answers inside the BAR once it decodes (offsets relative to the BAR base). The bus
   * maps and unmaps BARs by this object's identity, so each BAR needs its own.
   */
  readonly target: MmioTarget;
}

export interface PciFunctionSpec {
  readonly name: string;
  readonly vendorId: number;
  readonly deviceId: number;
  /** Base class, subclass and programming interface: 0xCCSSPP. */
  readonly classCode: number;
  readonly revision?: number;
  readonly subsystemVendorId?: number;
  readonly subsystemId?: number;
  /** 0 = none, 1–4 = INTA–INTD. */
  readonly interruptPin?: number;
  readonly bars?: readonly PciBarSpec[];
}

/** One PCI function with a type-0 header. */
export class PciFunction {
  readonly name: string;
  readonly bars: readonly PciBarSpec[];
  private readonly spec: PciFunctionSpec;
  private readonly config = new Uint8Array(PCI_CONFIG_SIZE);
  private readonly wmask = new Uint8Array(PCI_CONFIG_SIZE);
  private readonly w1cmask = new Uint8Array(PCI_CONFIG_SIZE);
  /** Called after a write that may have changed what the BARs decode. */
  onDecodeChange: () => void = () => {};

  constructor(spec: PciFunctionSpec) {
    this.spec = spec;
    this.name = spec.name;
    this.bars = spec.bars ?? [];
    for (const bar of this.bars) {
      const min = bar.space === 'memory' ? 16 : 4;
      const isPow2 = Number.isSafeInteger(bar.size) && (bar.size & (bar.size - 1)) === 0;
      if (bar.index < 0 || bar.index >= BAR_COUNT || !isPow2 || bar.size < min || bar.size > 0x8000_0000) {
        throw new RangeError(`${spec.name}: BAR${bar.index} of 0x${bar.size.toString(16)} bytes is not a valid 32-bit ${bar.space} BAR`);
      }
      if (this.bars.some((b) => b !== bar && (b.index === bar.index || b.target === bar.target))) {
        throw new Error(`${spec.name}: BAR${bar.index} shares its register or its target with another BAR`);
      }
    }
    this.reset();
  }

  /** Power-on state: identity registers set, command and BARs cleared. */
  reset(): void {
    const s = this.spec;
    this.config.fill(0);
    this.wmask.fill(0);
    this.w1cmask.fill(0);
    this.set16(VENDOR_ID, s.vendorId);
    this.set16(DEVICE_ID, s.deviceId);
    this.set32(REVISION, ((s.classCode << 8) | (s.revision ?? 0)) >>> 0);
    this.set16(SUBSYSTEM_VENDOR_ID, s.subsystemVendorId ?? QEMU_SUBSYSTEM_VENDOR_ID);
    this.set16(SUBSYSTEM_ID, s.subsystemId ?? QEMU_SUBSYSTEM_ID);
    this.config[INTERRUPT_PIN] = s.interruptPin ?? 0;
    setLe(this.wmask, PCI_COMMAND, 2, COMMAND_WRITABLE);
    setLe(this.w1cmask, STATUS, 2, STATUS_WRITE_ONE_TO_CLEAR);
    this.wmask[CACHE_LINE_SIZE] = 0xff;
    this.wmask[INTERRUPT_LINE] = 0xff;
    this.wmask.fill(0xff, HEADER_SIZE);
    for (const bar of this.bars) {
      const typeBits = bar.space === 'io' ? BAR_IO_SPACE : 0;
      this.set32(BAR0 + 4 * bar.index, typeBits);
      setLe(this.wmask, BAR0 + 4 * bar.index, 4, ~(bar.size - 1) & (bar.space === 'io' ? ~0x3 : ~0xf));
    }
    this.onDecodeChange();
  }

  /** Little-endian read of `size` bytes (1–4) at `offset`; bytes past the end read 0. */
  readConfig(offset: number, size: number): number {
    let v = 0;
    for (let k = size - 1; k >= 0; k--) v = v * 256 + (this.config[offset + k] ?? 0);
    return v;
  }

  /** Little-endian write of `size` bytes at `offset`; bytes past the end are dropped. */
  writeConfig(offset: number, size: number, value: number): void {
    let decodeChanged = false;
    for (let k = 0; k < size && offset + k < PCI_CONFIG_SIZE; k++) {
      const at = offset + k;
      const b = (value >>> (8 * k)) & 0xff;
      const keep = this.config[at]! & ~this.wmask[at]!;
      this.config[at] = (keep | (b & this.wmask[at]!)) & ~(b & this.w1cmask[at]!);
      if (at === PCI_COMMAND || (at >= BAR0 && at < BAR0 + 4 * BAR_COUNT)) decodeChanged = true;
    }
    if (decodeChanged) this.onDecodeChange();
  }

  get command(): number {
    return this.readConfig(PCI_COMMAND, 2);
  }

  /**
   * Bus address a BAR decodes at, or undefined. As in QEMU, a BAR at 0 or one reaching the
   * top of the 32-bit space (the all-ones sizing pattern) decodes nothing.
   */
  barAddress(bar: PciBarSpec): number | undefined {
    const enable = bar.space === 'memory' ? COMMAND.MEMORY : COMMAND.IO;
    if ((this.command & enable) === 0) return undefined;
    const base = this.readConfig(BAR0 + 4 * bar.index, 4) & ~(bar.size - 1) & (bar.space === 'io' ? ~0x3 : ~0xf);
    const addr = base >>> 0;
    if (addr === 0 || addr + bar.size - 1 >= 0xffff_ffff) return undefined;
    return addr;
  }

  private set16(offset: number, v: number): void {
    setLe(this.config, offset, 2, v);
  }

  private set32(offset: number, v: number): void {
    setLe(this.config, offset, 4, v);
  }
}

function setLe(bytes: Uint8Array, offset: number, size: number, v: number): void {
  for (let k = 0; k < size; k++) bytes[offset + k] = (v >>> (8 * k)) & 0xff;
}

/** Bus 0 with up to 32 slots of 8 functions, and the bus address space behind it. */
export class PciBus {
  private readonly functions = new Map<number, PciFunction>();
  /** Bus address space as seen by the host's outbound windows and by bus masters. */
  readonly memory: MmioBus;
  private readonly io: MmioBus;

  constructor(log?: Logger) {
    this.memory = new MmioBus(log);
    this.io = new MmioBus(log);
    const io = this.io;
    // Below every memory BAR: a memory BAR placed over the I/O range hides the ports.
    this.memory.mapUnderlay(0, PCI_IO_SPACE_SIZE, { name: 'pci-io', kind: 'window', access: (o, w, d) => io.access(o, w, d) }, 0);
  }

  attach(slot: number, fn: number, dev: PciFunction): void {
    if (!Number.isInteger(slot) || slot < 0 || slot > 31 || !Number.isInteger(fn) || fn < 0 || fn > 7) {
      throw new RangeError(`${dev.name}: PCI slot ${slot} function ${fn} does not exist`);
    }
    const devfn = (slot << 3) | fn;
    if (this.functions.has(devfn)) throw new Error(`${dev.name}: PCI 00:${slot}.${fn} is already taken`);
    this.functions.set(devfn, dev);
    dev.onDecodeChange = () => this.updateBars(dev);
    this.updateBars(dev);
  }

  /** The function at `devfn` of bus `bus`, if any; only bus 0 exists. */
  lookup(bus: number, devfn: number): PciFunction | undefined {
    return bus === 0 ? this.functions.get(devfn) : undefined;
  }

  /** All functions return to their power-on state (their BARs stop decoding). */
  reset(): void {
    for (const f of this.functions.values()) f.reset();
  }

  private updateBars(dev: PciFunction): void {
    for (const bar of dev.bars) {
      const space = bar.space === 'memory' ? this.memory : this.io;
      space.unmap(bar.target);
      const addr = dev.barAddress(bar);
      if (addr !== undefined) space.mapUnderlay(addr, bar.size, bar.target, 1);
    }
  }
}
