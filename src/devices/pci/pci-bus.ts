/**
 * A conventional PCI bus 0: functions addressed by slot and function number, their 256-byte
 * configuration spaces, and the bus address space their BARs decode in.
 *
 * Configuration space follows QEMU's generic PCI device, because guests are compared
 * against QEMU: a write changes only the bits of the write mask, status error bits are
 * write-one-to-clear, the cache-line-size and interrupt-line bytes and everything past the
 * 64-byte header that no capability occupies are plain read/write storage. BARs answer a
 * sizing write with their size mask and decode only while the command register enables
 * their space; a 64-bit memory BAR takes two BAR registers (the high half is fully
 * writable). Capabilities are laid out at the offsets the device chooses and chained from
 * the capabilities pointer in the order given (QEMU's order for the devices that copy it);
 * only the bits each capability declares writable can change.
 *
 * The bus address space is memory BARs laid over the 64 KiB I/O space at bus address 0
 * (I/O BARs decode inside it). That is the ppce500 arrangement, where the host controller
 * reaches I/O ports through an ordinary outbound window; unclaimed addresses read 0.
 */
import { MmioBus, type Logger, type MmioTarget } from '../bus.js';
import { StateError, type DeviceState, type StateReader, type StateWriter } from '../state.js';

export const PCI_CONFIG_SIZE = 256;
export const PCI_IO_SPACE_SIZE = 0x1_0000;

const VENDOR_ID = 0x00;
const DEVICE_ID = 0x02;
const PCI_COMMAND = 0x04;
const STATUS = 0x06;
const STATUS_INTERRUPT = 0x0008;
const STATUS_CAP_LIST = 0x0010;
const CAPABILITY_LIST = 0x34;
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
const BAR_MEM_64 = 0x4;
const BAR_PREFETCH = 0x8;

/** QEMU gives every device that does not choose its own these subsystem IDs (Red Hat / QEMU). */
export const QEMU_SUBSYSTEM_VENDOR_ID = 0x1af4;
export const QEMU_SUBSYSTEM_ID = 0x1100;

export interface PciBarSpec {
  /** BAR register index, 0–5 (a 64-bit BAR also takes index + 1, so at most 4). */
  readonly index: number;
  /** 'memory' is a 32-bit memory BAR, 'memory64' a 64-bit one (two BAR registers). */
  readonly space: 'memory' | 'memory64' | 'io';
  /** Memory BARs only: the prefetchable bit. */
  readonly prefetchable?: boolean;
  /** Power of two, at least 16 (memory) or 4 (I/O); at most 2 GiB (32-bit) or 2^52 (64-bit). */
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
  /** Capabilities, chained from the capabilities pointer in this order. */
  readonly capabilities?: readonly PciCapabilitySpec[];
  /**
   * Configuration accesses a device handles itself (e.g. a window into a BAR): `read` may
   * answer instead of the stored bytes (undefined: stored bytes), `afterWrite` runs after a
   * write was stored through the write masks.
   */
  readonly configHooks?: PciConfigHooks;
}

export interface PciCapabilitySpec {
  /** Capability ID (0x11 MSI-X, 0x09 vendor-specific, …). */
  readonly id: number;
  /** Where it starts in configuration space (0x40 or above, dword-aligned). */
  readonly offset: number;
  /** The whole capability, including the ID and next-pointer bytes (filled in here). */
  readonly bytes: Uint8Array;
  /** Writable bits, same length as `bytes` (default: read-only). */
  readonly writeMask?: Uint8Array;
}

export interface PciConfigHooks {
  read?(offset: number, size: number): number | undefined;
  afterWrite?(offset: number, size: number, value: number): void;
}

/** One PCI function with a type-0 header. */
export class PciFunction {
  readonly name: string;
  readonly bars: readonly PciBarSpec[];
  private readonly spec: PciFunctionSpec;
  private readonly config = new Uint8Array(PCI_CONFIG_SIZE);
  private readonly wmask = new Uint8Array(PCI_CONFIG_SIZE);
  private readonly w1cmask = new Uint8Array(PCI_CONFIG_SIZE);
  private readonly hooks: PciConfigHooks | undefined;
  private intxLevel = false;
  /** What the bus was last told about the pin. */
  private intxOut = false;
  /** Called after a write that may have changed what the BARs decode. */
  onDecodeChange: () => void = () => {};
  /** Level of the INTx pin as the bus sees it (the bus wires it to the host's interrupt lines). */
  onIntx: (level: boolean) => void = () => {};

  constructor(spec: PciFunctionSpec) {
    this.spec = spec;
    this.name = spec.name;
    this.bars = spec.bars ?? [];
    for (const bar of this.bars) {
      const min = bar.space === 'io' ? 4 : 16;
      const max = bar.space === 'memory64' ? 2 ** 52 : 0x8000_0000;
      const isPow2 = Number.isSafeInteger(bar.size) && bar.size > 0 && 2 ** Math.round(Math.log2(bar.size)) === bar.size;
      const last = bar.space === 'memory64' ? bar.index + 1 : bar.index;
      if (!Number.isInteger(bar.index) || bar.index < 0 || last >= BAR_COUNT || !isPow2 || bar.size < min || bar.size > max) {
        throw new RangeError(`${spec.name}: BAR${bar.index} of 0x${bar.size.toString(16)} bytes is not a valid ${bar.space === 'memory64' ? '64-bit memory' : `32-bit ${bar.space}`} BAR`);
      }
      const regs = (b: PciBarSpec): number[] => (b.space === 'memory64' ? [b.index, b.index + 1] : [b.index]);
      if (this.bars.some((b) => b !== bar && (regs(b).some((r) => regs(bar).includes(r)) || b.target === bar.target))) {
        throw new Error(`${spec.name}: BAR${bar.index} shares its register or its target with another BAR`);
      }
    }
    const caps = spec.capabilities ?? [];
    for (const cap of caps) {
      const end = cap.offset + cap.bytes.length;
      if (cap.offset < HEADER_SIZE || cap.offset % 4 !== 0 || cap.bytes.length < 2 || end > PCI_CONFIG_SIZE) {
        throw new RangeError(`${spec.name}: capability 0x${cap.id.toString(16)} at 0x${cap.offset.toString(16)} (${cap.bytes.length} bytes) does not fit in configuration space`);
      }
      if (cap.writeMask !== undefined && cap.writeMask.length !== cap.bytes.length) {
        throw new RangeError(`${spec.name}: capability 0x${cap.id.toString(16)}: the write mask must be as long as the capability`);
      }
      if (caps.some((c) => c !== cap && c.offset < end && cap.offset < c.offset + c.bytes.length)) {
        throw new Error(`${spec.name}: capability 0x${cap.id.toString(16)} at 0x${cap.offset.toString(16)} overlaps another one`);
      }
    }
    this.hooks = spec.configHooks;
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
      const reg = BAR0 + 4 * bar.index;
      if (bar.space === 'io') {
        this.set32(reg, BAR_IO_SPACE);
        setLe(this.wmask, reg, 4, ~(bar.size - 1) & ~0x3);
        continue;
      }
      this.set32(reg, (bar.space === 'memory64' ? BAR_MEM_64 : 0) | (bar.prefetchable === true ? BAR_PREFETCH : 0));
      // Low half: the address bits above the size; high half (64-bit): bits 32… above the size.
      setLe(this.wmask, reg, 4, bar.size >= 2 ** 32 ? 0 : ~(bar.size - 1) & ~0xf);
      if (bar.space === 'memory64') setLe(this.wmask, reg + 4, 4, bar.size > 2 ** 32 ? ~(bar.size / 2 ** 32 - 1) : 0xffff_ffff);
    }
    let next = 0;
    const caps = this.spec.capabilities ?? [];
    for (let i = caps.length - 1; i >= 0; i--) {
      const cap = caps[i]!;
      this.config.set(cap.bytes, cap.offset);
      this.config[cap.offset] = cap.id;
      this.config[cap.offset + 1] = next;
      next = cap.offset;
      for (let k = 0; k < cap.bytes.length; k++) this.wmask[cap.offset + k] = k < 2 ? 0 : (cap.writeMask?.[k] ?? 0);
    }
    if (caps.length > 0) {
      this.config[CAPABILITY_LIST] = next;
      this.config[STATUS] = this.config[STATUS]! | STATUS_CAP_LIST;
    }
    this.wmask[CAPABILITY_LIST] = 0;
    this.intxLevel = false;
    this.updateIntx();
    this.onDecodeChange();
  }

  /** Little-endian read of `size` bytes (1–4) at `offset`; bytes past the end read 0. */
  readConfig(offset: number, size: number): number {
    const hooked = this.hooks?.read?.(offset, size);
    if (hooked !== undefined) return hooked;
    return this.storedConfig(offset, size);
  }

  /** The stored configuration bytes, bypassing the device's read hook. */
  storedConfig(offset: number, size: number): number {
    let v = 0;
    for (let k = size - 1; k >= 0; k--) v = v * 256 + (this.config[offset + k] ?? 0);
    return v;
  }

  /** Little-endian write of `size` bytes at `offset`; bytes past the end are dropped. */
  writeConfig(offset: number, size: number, value: number): void {
    let decodeChanged = false;
    let intxChanged = false;
    for (let k = 0; k < size && offset + k < PCI_CONFIG_SIZE; k++) {
      const at = offset + k;
      const b = (value >>> (8 * k)) & 0xff;
      const keep = this.config[at]! & ~this.wmask[at]!;
      this.config[at] = (keep | (b & this.wmask[at]!)) & ~(b & this.w1cmask[at]!);
      if (at === PCI_COMMAND || (at >= BAR0 && at < BAR0 + 4 * BAR_COUNT)) decodeChanged = true;
      if (at === PCI_COMMAND + 1) intxChanged = true;
    }
    if (decodeChanged) this.onDecodeChange();
    if (intxChanged) this.updateIntx();
    this.hooks?.afterWrite?.(offset, size, value);
  }

  get command(): number {
    return this.storedConfig(PCI_COMMAND, 2);
  }

  /**
   * The device drives its INTx pin (level-triggered). The status register's interrupt bit
   * follows the pin; the command register's INTx-disable bit keeps it off the bus, as QEMU
   * does.
   */
  setIntx(level: boolean): void {
    if (level === this.intxLevel) return;
    this.intxLevel = level;
    const status = this.config[STATUS]!;
    this.config[STATUS] = level ? status | STATUS_INTERRUPT : status & ~STATUS_INTERRUPT;
    this.updateIntx();
  }

  private updateIntx(): void {
    const out = this.intxLevel && (this.command & COMMAND.INTX_DISABLE) === 0 && this.interruptPin !== 0;
    if (out === this.intxOut) return;
    this.intxOut = out;
    this.onIntx(out);
  }

  /** Configuration space and the INTx input; write masks are the function's own, not state. */
  saveState(w: StateWriter): void {
    w.bytes(this.config);
    w.bool(this.intxLevel);
  }

  /** Restores them and tells the bus (BAR decoding) and the host (INTx) what changed. */
  loadState(r: StateReader): void {
    const config = r.bytes(PCI_CONFIG_SIZE);
    if (config.length !== PCI_CONFIG_SIZE) throw new StateError(`${this.name}: ${config.length} bytes of configuration space, not ${PCI_CONFIG_SIZE}`);
    const ids = (b: Uint8Array): number => b[VENDOR_ID]! | (b[VENDOR_ID + 1]! << 8) | (b[DEVICE_ID]! << 16) | (b[DEVICE_ID + 1]! << 24);
    if (ids(config) !== ids(this.config)) throw new StateError(`${this.name}: the saved function has other vendor and device ids`);
    this.config.set(config);
    this.intxLevel = r.bool();
    this.onDecodeChange();
    this.updateIntx();
  }

  /** 0 = none, 1–4 = INTA–INTD. */
  get interruptPin(): number {
    return this.config[INTERRUPT_PIN]!;
  }

  /**
   * Bus address a BAR decodes at, or undefined. As in QEMU, a BAR at 0 or one reaching the
   * top of the 32-bit space (the all-ones sizing pattern) decodes nothing.
   */
  barAddress(bar: PciBarSpec): number | undefined {
    const enable = bar.space === 'io' ? COMMAND.IO : COMMAND.MEMORY;
    if ((this.command & enable) === 0) return undefined;
    const reg = BAR0 + 4 * bar.index;
    const low = (this.storedConfig(reg, 4) & (bar.space === 'io' ? ~0x3 : ~0xf)) >>> 0;
    if (bar.space !== 'memory64') {
      const addr = (low & ~(bar.size - 1)) >>> 0;
      if (addr === 0 || addr + bar.size - 1 >= 0xffff_ffff) return undefined;
      return addr;
    }
    const high = this.storedConfig(reg + 4, 4);
    const full = high * 2 ** 32 + low;
    const addr = full - (full % bar.size);
    // As QEMU: 0, the all-ones sizing pattern and addresses past what a JS number (and any
    // real host bridge) can carry decode nothing.
    if (addr === 0 || addr + bar.size > 2 ** 52) return undefined;
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
export class PciBus implements DeviceState {
  readonly stateId = 'pci-bus';
  readonly stateVersion = 1;
  private readonly functions = new Map<number, PciFunction>();
  /** Memory BARs that decode now, by target (kept by updateBars). */
  private readonly memoryBars = new Map<MmioTarget, { base: number; size: number }>();
  /**
   * A function's INTx pin changed level: slot, pin (1–4 = INTA–INTD) and level. The host
   * bridge's board swizzles slot and pin onto its interrupt lines.
   */
  onIntx: (slot: number, pin: number, level: boolean) => void = () => {};
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
    dev.onIntx = (level) => this.onIntx(slot, dev.interruptPin, level);
    this.updateBars(dev);
  }

  /**
   * Whether a memory BAR of some function claims any byte of [addr, addr + length): a bus
   * master's access there is peer-to-peer, not a memory access through the host bridge.
   */
  memoryBarClaims(addr: number, length: number): boolean {
    for (const r of this.memoryBars.values()) if (addr < r.base + r.size && r.base < addr + length) return true;
    return false;
  }

  /** The function at `devfn` of bus `bus`, if any; only bus 0 exists. */
  lookup(bus: number, devfn: number): PciFunction | undefined {
    return bus === 0 ? this.functions.get(devfn) : undefined;
  }

  /** Every function by slot and function number (a device model's own state is its section). */
  saveState(w: StateWriter): void {
    w.u32(this.functions.size);
    for (const [devfn, f] of this.functions) {
      w.u8(devfn);
      w.string(f.name);
      f.saveState(w);
    }
  }

  loadState(r: StateReader): void {
    const n = r.u32();
    if (n !== this.functions.size) throw new StateError(`pci-bus: ${n} functions saved, this machine has ${this.functions.size}`);
    for (let k = 0; k < n; k++) {
      const devfn = r.u8();
      const name = r.string(64);
      const f = this.functions.get(devfn);
      const at = `00:${(devfn >>> 3).toString(16).padStart(2, '0')}.${devfn & 7}`;
      if (f === undefined || f.name !== name) throw new StateError(`pci-bus: ${name} at ${at}, where this machine has ${f?.name ?? 'nothing'}`);
      f.loadState(r);
    }
  }

  /** All functions return to their power-on state (their BARs stop decoding). */
  reset(): void {
    for (const f of this.functions.values()) f.reset();
  }

  private updateBars(dev: PciFunction): void {
    for (const bar of dev.bars) {
      const space = bar.space === 'io' ? this.io : this.memory;
      space.unmap(bar.target);
      this.memoryBars.delete(bar.target);
      const addr = dev.barAddress(bar);
      if (addr === undefined) continue;
      space.mapUnderlay(addr, bar.size, bar.target, 1);
      if (bar.space !== 'io') this.memoryBars.set(bar.target, { base: addr, size: bar.size });
    }
  }
}
