/**
 * Freescale PCI host controller as QEMU's ppce500 has it at CCSR+0x8000 ("e500-pcihost",
 * device tree "fsl,mpc8540-pci"): the indirect configuration mechanism, the address
 * translation windows (ATMU) and the host bridge at 00:00.0.
 *
 * Where QEMU 7.2 departs from the hardware manual, this follows QEMU (measured through
 * U-Boot's md/mw on both): register reads ignore the offset inside a register and return its
 * low bytes; a sub-word write stores the zero-extended value; CFG_ADDR takes only full-word
 * writes; CFG_DATA addresses config byte `(CFG_ADDR | lane) & 0xFF`, so the low two bits of
 * CFG_ADDR shift the window; the gasket timer answers anywhere in 0xE20–0xE3F.
 *
 * Outbound window n makes CPU physical `POWBAR << 12`, `2 << POWAR[SIZE]` bytes, a view of
 * PCI bus space from `POTAR << 12`. The windows lie below every CPU-side device (an overlap
 * with the CCSR leaves the CCSR visible) and a higher-numbered window hides a lower one, as in
 * QEMU. The host bridge's BAR0 shows the whole CCSR on the PCI side; that is how a device's
 * MSI write reaches the MPIC's MSIIR.
 */
import { hostLogLine } from '../../api/host-env.js';
import type { GuestMemory, GuestPhysAddr } from '../../api/memory.js';
import { RateLimitedLog, type AccessOptions, type Logger, type MmioDevice, type MmioTarget, type MmioWindow } from '../bus.js';
import { PCI_CONFIG_SIZE, PciBus, PciFunction } from './pci-bus.js';
import { StateError, type DeviceState, type StateReader, type StateWriter } from '../state.js';

export const FSL_PCI_HOST_SIZE = 0x1000;
const CCSR_SIZE = 0x10_0000;
/** e500 cores issue 36-bit physical addresses; window parts above are unreachable. */
const CPU_PHYS_LIMIT = 2 ** 36;

const CFG_ADDR = 0x000;
const CFG_DATA = 0x004;
const CFG_DATA_END = 0x008;
const ATMU = 0xc00;
/**
 * PCIe IP block revision register 1 (PEX_IP_BLK_REV1) of PCIe controllers. Linux's fsl_pci
 * driver reads it when it adds the host bridge; QEMU's host bridge does not decode it and
 * the read returns 0 without a word, so here too. Other undecoded offsets are still reported.
 */
const PCIE_IP_BLK_REV1 = 0xbf8;
const CFG_ENABLE = 0x8000_0000;
const WINDOW_ENABLE = 0x8000_0000;
const WINDOW_SIZE_MASK = 0x3f;
const PAGE = 0x1000;

/** Register blocks by base offset; window n of the manual is element n−1. */
const OUTBOUND_BLOCKS = [0xc20, 0xc40, 0xc60, 0xc80];
const INBOUND_BLOCKS = [0xde0, 0xdc0, 0xda0];
const GASKET_TIMER = 0xe20;
const BLOCK_MASK = 0xfe0;

/** Register index (offset within the block / 4); POTEAR is index 1 and only stored. */
const POTAR = 0;
const POWBAR = 2;
const POWBEAR = 3;
const POWAR = 4;
const PITAR = 0;
const PIWBAR = 2;
const PIWBEAR = 3;
const PIWAR = 4;

/** The CPU physical address space, as the board's MmioBus provides it. */
export interface CpuPhysicalSpace {
  access(addr: number, isWrite: boolean, data: Uint8Array, options?: AccessOptions): void;
  mapUnderlay(base: number, size: number, target: MmioTarget, priority: number): void;
  unmap(target: MmioTarget): void;
}

export interface FslPciHostConfig {
  readonly cpu: CpuPhysicalSpace;
  /** CPU physical base of the CCSR block that BAR0 of the host bridge shows. */
  readonly ccsrBase: number;
  /** Guest RAM, for bus masters' accesses that the inbound windows send to memory. */
  readonly memory?: GuestMemory;
  readonly log?: Logger;
}

/** A CPU-side view of PCI bus space. */
class OutboundWindow implements MmioWindow {
  readonly name: string;
  readonly kind = 'window';
  readonly regs = new Uint32Array(5);
  private readonly pci: PciBus;

  constructor(name: string, pci: PciBus) {
    this.name = name;
    this.pci = pci;
  }

  access(offset: number, isWrite: boolean, data: Uint8Array): void {
    this.pci.memory.access(this.regs[POTAR]! * PAGE + offset, isWrite, data);
  }
}

interface Decoded {
  readonly file: Uint32Array;
  readonly index: number;
  /** Runs after a write (windows remap). */
  readonly written?: () => void;
}

export class FslPciHost implements MmioDevice, DeviceState {
  readonly name = 'fsl-pci-host';
  readonly stateId = 'pci-host';
  readonly stateVersion = 1;
  readonly endian = 'big' as const;
  readonly maxAccessSize = 4 as const;
  /** Bus 0; boards attach devices from slot 1 on. */
  readonly pci: PciBus;
  readonly hostBridge: PciFunction;
  private readonly cpu: CpuPhysicalSpace;
  private readonly memory: GuestMemory | undefined;
  private readonly dropped: RateLimitedLog;
  private cfgAddr = 0;
  private readonly gasketTimer = new Uint32Array(1);
  private readonly outbound: OutboundWindow[];
  private readonly inbound = INBOUND_BLOCKS.map(() => new Uint32Array(5));
  private readonly unknown: RateLimitedLog;

  constructor(config: FslPciHostConfig) {
    const { cpu, ccsrBase } = config;
    this.cpu = cpu;
    this.memory = config.memory;
    this.unknown = new RateLimitedLog(config.log ?? hostLogLine);
    this.dropped = new RateLimitedLog(config.log ?? hostLogLine);
    this.pci = new PciBus(config.log);
    this.outbound = OUTBOUND_BLOCKS.map((_, i) => new OutboundWindow(`pci-outbound-${i + 1}`, this.pci));
    const ccsrAlias: MmioWindow = {
      kind: 'window',
      name: 'pci-ccsr-alias',
      access: (offset, isWrite, data) => cpu.access(ccsrBase + offset, isWrite, data, { underlays: false }),
    };
    this.hostBridge = new PciFunction({
      name: 'e500-host-bridge',
      vendorId: 0x1957,
      deviceId: 0x0030,
      classCode: 0x0b2000,
      bars: [{ index: 0, space: 'memory', size: CCSR_SIZE, target: ccsrAlias }],
    });
    this.pci.attach(0, 0, this.hostBridge);
  }

  /** The configuration address and the ATMU windows; the bus and its functions are the pci-bus section. */
  saveState(w: StateWriter): void {
    w.u32(this.cfgAddr);
    w.u32(this.gasketTimer[0]!);
    for (const o of this.outbound) w.u32s(o.regs);
    for (const i of this.inbound) w.u32s(i);
  }

  loadState(r: StateReader): void {
    this.cfgAddr = r.u32();
    this.gasketTimer[0] = r.u32();
    const file = (into: Uint32Array, what: string): void => {
      const v = r.u32s(into.length);
      if (v.length !== into.length) throw new StateError(`pci-host: ${what} has ${v.length} registers, not ${into.length}`);
      into.set(v);
    };
    this.outbound.forEach((o, n) => {
      file(o.regs, `outbound window ${n + 1}`);
      this.remap(o, n);
    });
    this.inbound.forEach((i, n) => file(i, `inbound window ${n + 1}`));
    this.onInboundChange();
  }

  /** Power-on state: windows closed, configuration address cleared, devices reset. */
  reset(): void {
    this.cfgAddr = 0;
    this.gasketTimer[0] = 0;
    for (const w of this.outbound) {
      w.regs.fill(0);
      this.cpu.unmap(w);
    }
    for (const r of this.inbound) r.fill(0);
    this.onInboundChange();
    this.pci.reset();
  }

  /** Called after the inbound windows changed (a register write, reset, a restored snapshot). */
  onInboundChange: () => void = () => {};

  /**
   * The enabled inbound windows (bus address, size, CPU physical address), for a bus master
   * served outside this thread (a device process's DMA, answered on the VMM's main thread).
   */
  inboundWindows(): { bus: number; size: number; cpu: number }[] {
    const out: { bus: number; size: number; cpu: number }[] = [];
    for (const r of this.inbound) {
      const range = windowRange(r[PIWBAR]!, r[PIWAR]!);
      if (range !== undefined) out.push({ bus: range.base, size: range.size, cpu: r[PITAR]! * PAGE });
    }
    return out;
  }

  /**
   * CPU physical address a bus master's PCI address `addr` reaches through the inbound
   * windows, or undefined. Bus masters see PCI memory (BARs, e.g. the MSI path through BAR0)
   * first; only addresses no BAR claims should be translated here.
   */
  pciToCpu(addr: number): number | undefined {
    for (const r of this.inbound) {
      const range = windowRange(r[PIWBAR]!, r[PIWAR]!);
      if (range !== undefined && addr >= range.base && addr < range.base + range.size) {
        return r[PITAR]! * PAGE + (addr - range.base);
      }
    }
    return undefined;
  }

  /**
   * A bus master's DMA to memory: the CPU physical address the whole range reaches through
   * one inbound window, or undefined (no window, or a device BAR claims part of it: that is a
   * peer-to-peer access, not memory).
   */
  dmaTranslate(addr: number, length: number): number | undefined {
    if (this.pci.memoryBarClaims(addr, Math.max(1, length))) return undefined;
    for (const r of this.inbound) {
      const range = windowRange(r[PIWBAR]!, r[PIWAR]!);
      if (range !== undefined && addr >= range.base && addr + length <= range.base + range.size) return r[PITAR]! * PAGE + (addr - range.base);
    }
    return undefined;
  }

  /**
   * A bus master's access (e.g. an MSI-X message): to a BAR on the bus if one claims the
   * address (the host bridge's BAR0 is the CCSR, so an MSI reaches the MPIC's MSIIR), else
   * through an inbound window to RAM or the CPU's devices. Unclaimed accesses are dropped
   * (reads return zeros) with a log line: a master abort.
   */
  masterAccess(addr: number, isWrite: boolean, data: Uint8Array): void {
    if (this.pci.memoryBarClaims(addr, data.length)) {
      this.pci.memory.access(addr, isWrite, data);
      return;
    }
    const cpu = this.pciToCpu(addr);
    if (cpu === undefined) {
      if (!isWrite) data.fill(0);
      this.dropped.log(`ngkvm: ${this.name}: bus-master ${isWrite ? 'write to' : 'read from'} PCI address 0x${addr.toString(16)} that nothing claims (master abort)`);
      return;
    }
    const mem = this.memory;
    if (mem !== undefined && mem.isMapped(cpu as GuestPhysAddr, data.length)) {
      if (isWrite) mem.write(cpu as GuestPhysAddr, data);
      else mem.read(cpu as GuestPhysAddr, data);
      return;
    }
    this.cpu.access(cpu, isWrite, data);
  }

  read(offset: number, size: number): number {
    const end = regionEnd(offset);
    if (offset + size > end) {
      const n = end - offset;
      return (this.read(offset, n) * 2 ** (8 * (size - n)) + this.read(end, size - n)) >>> 0;
    }
    if (offset < CFG_DATA) return lowBytes(this.cfgAddr, size);
    if (offset < CFG_DATA_END) return this.readConfigData(offset - CFG_DATA, size);
    if (offset >= PCIE_IP_BLK_REV1 && offset + size <= PCIE_IP_BLK_REV1 + 4) return 0;
    const reg = this.decode(offset);
    if (reg === undefined) {
      this.logUnknown('read', offset, size);
      return 0;
    }
    return reg === 'ignored' ? 0 : lowBytes(reg.file[reg.index]!, size);
  }

  write(offset: number, size: number, value: number): void {
    const end = regionEnd(offset);
    if (offset + size > end) {
      const n = end - offset;
      const scale = 2 ** (8 * (size - n));
      this.write(offset, n, Math.floor(value / scale));
      this.write(end, size - n, value % scale);
      return;
    }
    if (offset < CFG_DATA) {
      if (offset === CFG_ADDR && size === 4) this.cfgAddr = value >>> 0;
      return;
    }
    if (offset < CFG_DATA_END) {
      this.writeConfigData(offset - CFG_DATA, size, value);
      return;
    }
    const reg = this.decode(offset);
    if (reg === undefined) {
      this.logUnknown('write', offset, size);
      return;
    }
    if (reg === 'ignored') return;
    reg.file[reg.index] = value;
    reg.written?.();
  }

  /** The function CFG_ADDR selects, if the enable bit is set and it exists. */
  private selected(): PciFunction | undefined {
    if ((this.cfgAddr & CFG_ENABLE) === 0) return undefined;
    return this.pci.lookup((this.cfgAddr >>> 16) & 0xff, (this.cfgAddr >>> 8) & 0xff);
  }

  // CFG_DATA is little-endian: byte lane k carries config byte start + k. Bytes past the end
  // of config space read 0 and are not written, as QEMU truncates the access.
  private readConfigData(lane: number, size: number): number {
    const fn = this.selected();
    if (fn === undefined) return lowBytes(0xffff_ffff, size);
    const start = (this.cfgAddr & 0xff) | lane;
    return byteSwap(fn.readConfig(start, Math.min(size, PCI_CONFIG_SIZE - start)), size);
  }

  private writeConfigData(lane: number, size: number, value: number): void {
    const start = (this.cfgAddr & 0xff) | lane;
    this.selected()?.writeConfig(start, Math.min(size, PCI_CONFIG_SIZE - start), byteSwap(value, size));
  }

  /** ATMU register at `offset`; 'ignored' for registers QEMU accepts but does not keep. */
  private decode(offset: number): Decoded | 'ignored' | undefined {
    if (offset < ATMU || offset >= FSL_PCI_HOST_SIZE) return undefined;
    const block = offset & BLOCK_MASK;
    const inBlock = offset & ~BLOCK_MASK;
    if (block === GASKET_TIMER) return { file: this.gasketTimer, index: 0 };
    if (inBlock % 4 !== 0 || inBlock > 0x10) return undefined;
    const index = inBlock / 4;
    const ow = OUTBOUND_BLOCKS.indexOf(block);
    if (ow >= 0) {
      if (index === POWBEAR) return 'ignored';
      const w = this.outbound[ow]!;
      return { file: w.regs, index, written: () => this.remap(w, ow) };
    }
    const iw = INBOUND_BLOCKS.indexOf(block);
    if (iw >= 0 && (index === PITAR || index === PIWBAR || index === PIWBEAR || index === PIWAR)) {
      return { file: this.inbound[iw]!, index, written: () => this.onInboundChange() };
    }
    return undefined;
  }

  private remap(w: OutboundWindow, number: number): void {
    this.cpu.unmap(w);
    const range = windowRange(w.regs[POWBAR]!, w.regs[POWAR]!);
    if (range === undefined || range.base >= CPU_PHYS_LIMIT) return;
    // POTEAR and POWBEAR take no part: QEMU keeps PCI and CPU window bases to 32 bits << 12.
    this.cpu.mapUnderlay(range.base, Math.min(range.size, CPU_PHYS_LIMIT - range.base), w, number);
  }

  private logUnknown(kind: 'read' | 'write', offset: number, size: number): void {
    this.unknown.log(`ngkvm: ${this.name}: ${kind} of unmodelled register at offset 0x${offset.toString(16)} (${size}-byte access)`);
  }
}

/** End of the register region holding `offset`: accesses that cross it are split, as QEMU does. */
function regionEnd(offset: number): number {
  if (offset < CFG_DATA) return CFG_DATA;
  if (offset < CFG_DATA_END) return CFG_DATA_END;
  if (offset < ATMU) return ATMU;
  return Infinity;
}

/** Enabled window of a base/attribute register pair; undefined when disabled or empty. */
function windowRange(bar: number, war: number): { base: number; size: number } | undefined {
  if ((war & WINDOW_ENABLE) === 0) return undefined;
  const bits = (war & WINDOW_SIZE_MASK) + 1;
  // QEMU computes 2 << 63 in 64 bits, which wraps to an empty window.
  if (bits === 64) return undefined;
  return { base: bar * PAGE, size: 2 ** bits };
}

function lowBytes(v: number, size: number): number {
  return size >= 4 ? v >>> 0 : v & ((1 << (8 * size)) - 1);
}

function byteSwap(v: number, size: number): number {
  let r = 0;
  for (let k = 0; k < size; k++) r = r * 256 + ((v >>> (8 * k)) & 0xff);
  return r;
}
