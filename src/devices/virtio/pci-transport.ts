/**
 * virtio-pci, modern only (virtio 1.x; QEMU's `disable-legacy=on`), with QEMU 7.2's layout
 * so a guest sees what it sees on QEMU (checked against QEMU's configuration space dumps):
 *
 * | where            | what                                                               |
 * |------------------|--------------------------------------------------------------------|
 * | IDs              | 1af4:(1040 + device ID), revision 1, subsystem 1af4:1100, INTA      |
 * | BAR1             | 32-bit memory, 4 KiB: MSI-X table at 0, PBA at 0x800               |
 * | BAR4             | 64-bit prefetchable memory, 16 KiB: common configuration at 0,     |
 * |                  | ISR at 0x1000, device configuration at 0x2000, notifications at     |
 * |                  | 0x3000 (queue n at 4·n: notify_off_multiplier 4), each 4 KiB       |
 * | capabilities     | 0x98 MSI-X → 0x84 PCI-cfg window → 0x70 notify → 0x60 device →     |
 * |                  | 0x50 ISR → 0x40 common                                             |
 *
 * Interrupts: with MSI-X enabled a queue or configuration event sends its vector as the
 * function's bus-master write (`msiSend`); otherwise the ISR drives INTA (level; reading the
 * ISR clears it). A notification is a write of any value to the queue's notify address.
 * Both are the transport's own hooks, so a device route can later turn the notify window
 * into ioEvents and `interrupt` into irqEvents.
 */
import { RateLimitedLog, type Logger, type MmioDevice, type MmioTarget } from '../bus.js';
import { Msix, msixCapability } from '../pci/msix.js';
import { PciFunction, type PciCapabilitySpec, type PciConfigHooks, type PciFunctionSpec } from '../pci/pci-bus.js';
import type { DeviceState, StateReader, StateWriter } from '../state.js';
import { F, TRANSPORT_FEATURES, VIRTIO_ID, VIRTIO_MSI_NO_VECTOR, bit } from './constants.js';
import { VirtioCore } from './core.js';
import type { VirtioDevice } from './device.js';
import type { GuestDma } from './dma.js';

const PCI_CAP_ID_VNDR = 0x09;
const CFG_TYPE = { common: 1, notify: 2, isr: 3, device: 4, pci: 5 } as const;
export const MODERN_BAR = 4;
export const MSIX_BAR = 1;
const REGION_SIZE = 0x1000;
const COMMON_OFFSET = 0x0000;
const ISR_OFFSET = 0x1000;
const DEVICE_OFFSET = 0x2000;
export const NOTIFY_OFFSET = 0x3000;
export const NOTIFY_OFF_MULTIPLIER = 4;
const MODERN_BAR_SIZE = 0x4000;
const MSIX_BAR_SIZE = 0x1000;
const MSIX_PBA_OFFSET = 0x800;
const CAP = { common: 0x40, isr: 0x50, device: 0x60, notify: 0x70, pciCfg: 0x84, msix: 0x98 } as const;
const PCI_CFG_DATA = CAP.pciCfg + 16;

/** PCI class codes QEMU gives its virtio devices. */
const CLASS_CODES: Readonly<Record<number, number>> = {
  [VIRTIO_ID.net]: 0x020000,
  [VIRTIO_ID.block]: 0x010000,
  [VIRTIO_ID.console]: 0x078000,
  [VIRTIO_ID.entropy]: 0x00ff00,
};

/** Common configuration structure offsets (spec 4.1.4.3). */
const COMMON = {
  DFSELECT: 0x00,
  DF: 0x04,
  GFSELECT: 0x08,
  GF: 0x0c,
  MSIX: 0x10,
  NUMQ: 0x12,
  STATUS: 0x14,
  CFGGENERATION: 0x15,
  Q_SELECT: 0x16,
  Q_SIZE: 0x18,
  Q_MSIX: 0x1a,
  Q_ENABLE: 0x1c,
  Q_NOFF: 0x1e,
  Q_DESCLO: 0x20,
  Q_DESCHI: 0x24,
  Q_AVAILLO: 0x28,
  Q_AVAILHI: 0x2c,
  Q_USEDLO: 0x30,
  Q_USEDHI: 0x34,
  Q_NDATA: 0x38,
  Q_RESET: 0x3a,
  END: 0x3c,
} as const;

export interface VirtioPciOptions {
  readonly device: VirtioDevice;
  /** For messages, e.g. `virtio-blk-pci`. */
  readonly name: string;
  readonly dma: GuestDma;
  /** MSI-X vectors (QEMU: queues + 1 for most devices). */
  readonly vectors: number;
  /** The function's bus-master write of an MSI message. */
  readonly msiSend: (address: number, data: number) => void;
  readonly log: Logger;
  /** Snapshot section name, unique in the machine (default: `name`). */
  readonly stateId?: string;
}

/**
 * A snapshot section holds what the bus's 'pci-bus' section does not: the common
 * configuration's selectors, the VirtioCore (status, features, queues, ring positions, ISR),
 * the MSI-X table and pending bits, then the device's own state. Configuration space (BARs,
 * MSI-X Enable, the INTx level) is the bus's: list this section after 'pci-bus', so the INTx
 * line re-evaluated here sees the restored MSI-X Enable.
 */
export class VirtioPciTransport implements DeviceState {
  readonly stateId: string;
  readonly stateVersion = 1;
  readonly function: PciFunction;
  readonly core: VirtioCore;
  readonly msix: Msix;
  private dfSelect = 0;
  private gfSelect = 0;
  private queueSelect = 0;
  /** Set while the window's read result is stored into pci_cfg_data (not a guest write). */
  private inWindowStore = false;
  private readonly bad: RateLimitedLog;
  private readonly name: string;
  private readonly modern: MmioDevice;

  constructor(opts: VirtioPciOptions) {
    const { device } = opts;
    this.name = opts.name;
    this.stateId = opts.stateId ?? opts.name;
    this.bad = new RateLimitedLog(opts.log);
    this.msix = new Msix({
      name: opts.name,
      vectors: opts.vectors,
      bar: MSIX_BAR,
      tableOffset: 0,
      pbaOffset: MSIX_PBA_OFFSET,
      capOffset: CAP.msix,
      send: opts.msiSend,
      log: opts.log,
    });
    this.core = new VirtioCore(device, {
      transportFeatures: TRANSPORT_FEATURES,
      dma: opts.dma,
      name: opts.name,
      log: opts.log,
      interrupt: (vector) => this.interrupt(vector),
      isrCleared: () => this.updateIntx(),
    });
    this.modern = {
      name: `${opts.name}-modern`,
      endian: 'little',
      maxAccessSize: 4,
      read: (offset, size) => this.readModern(offset, size),
      write: (offset, size, value) => this.writeModern(offset, size, value),
    };
    this.function = new PciFunction(
      virtioPciFunctionSpec({
        name: opts.name,
        virtioId: device.deviceId,
        vectors: opts.vectors,
        msixTarget: this.msix.region,
        modernTarget: this.modern,
        configHooks: {
          read: (offset, size) => this.configRead(offset, size),
          afterWrite: (offset, size) => this.configWritten(offset, size),
        },
      }),
    );
    this.msix.bindControl(() => this.function.storedConfig(CAP.msix + 2, 2));
  }

  /** Machine reset: the device, MSI-X table and configuration space to their reset state. */
  reset(): void {
    this.core.reset();
    this.msix.reset();
    this.function.reset();
  }

  saveState(w: StateWriter): void {
    w.u32(this.dfSelect);
    w.u32(this.gfSelect);
    w.u16(this.queueSelect);
    this.core.saveState(w);
    this.msix.saveState(w);
    this.core.device.saveState(w);
  }

  loadState(r: StateReader, version: number): void {
    const dfSelect = r.u32();
    const gfSelect = r.u32();
    const queueSelect = r.u16();
    this.core.loadState(r, this.msix.vectors);
    this.msix.loadState(r);
    this.core.device.loadState(r, version);
    this.dfSelect = dfSelect;
    this.gfSelect = gfSelect;
    this.queueSelect = queueSelect;
    // The line follows the restored ISR (with MSI-X enabled it stays low).
    this.updateIntx();
  }

  /**
   * Bus address the driver writes to notify queue `index`, while BAR4 decodes (for an
   * accelerator-side ioEvent).
   */
  notifyAddress(index: number): number | undefined {
    const bar = this.function.bars.find((b) => b.index === MODERN_BAR);
    const base = bar === undefined ? undefined : this.function.barAddress(bar);
    return base === undefined ? undefined : base + NOTIFY_OFFSET + NOTIFY_OFF_MULTIPLIER * index;
  }

  /** The VirtioCore's interrupt hook: MSI-X vector, or INTA from the ISR. */
  private interrupt(vector: number): void {
    if (this.msix.enabled) {
      if (vector !== VIRTIO_MSI_NO_VECTOR) this.msix.notify(vector);
      return;
    }
    this.updateIntx();
  }

  private updateIntx(): void {
    this.function.setIntx(!this.msix.enabled && this.core.isr !== 0);
  }

  // ---- BAR4 ---------------------------------------------------------------------------------

  private readModern(offset: number, size: number): number {
    const region = offset & ~(REGION_SIZE - 1);
    const off = offset - region;
    switch (region) {
      case COMMON_OFFSET:
        return this.readCommon(off, size);
      case ISR_OFFSET:
        return this.core.readAndClearIsr();
      case DEVICE_OFFSET:
        return this.core.readConfig(off, size);
      default:
        return 0; // notify region: write-only
    }
  }

  private writeModern(offset: number, size: number, value: number): void {
    const region = offset & ~(REGION_SIZE - 1);
    const off = offset - region;
    switch (region) {
      case COMMON_OFFSET:
        this.writeCommon(off, size, value);
        break;
      case ISR_OFFSET:
        break; // read-only
      case DEVICE_OFFSET:
        this.core.writeConfig(off, size, value);
        break;
      default:
        // QEMU takes the queue from the address and ignores the value written.
        if (off % NOTIFY_OFF_MULTIPLIER === 0) this.core.notify(off / NOTIFY_OFF_MULTIPLIER);
        break;
    }
  }

  private readCommon(off: number, size: number): number {
    if (off + size > COMMON.END) return 0;
    const snap = new DataView(new ArrayBuffer(COMMON.END));
    const core = this.core;
    const q = core.queues[this.queueSelect];
    snap.setUint32(COMMON.DFSELECT, this.dfSelect, true);
    snap.setUint32(COMMON.DF, core.deviceFeatureWord(this.dfSelect), true);
    snap.setUint32(COMMON.GFSELECT, this.gfSelect, true);
    snap.setUint32(COMMON.GF, core.driverFeatureWord(this.gfSelect), true);
    snap.setUint16(COMMON.MSIX, core.configVector, true);
    snap.setUint16(COMMON.NUMQ, core.queues.length, true);
    snap.setUint8(COMMON.STATUS, core.status);
    snap.setUint8(COMMON.CFGGENERATION, core.configGeneration);
    snap.setUint16(COMMON.Q_SELECT, this.queueSelect, true);
    if (q !== undefined) {
      snap.setUint16(COMMON.Q_SIZE, q.size, true);
      snap.setUint16(COMMON.Q_MSIX, q.vector, true);
      snap.setUint16(COMMON.Q_ENABLE, q.enabled ? 1 : 0, true);
      snap.setUint16(COMMON.Q_NOFF, this.queueSelect, true);
      snap.setBigUint64(COMMON.Q_DESCLO, BigInt(q.desc), true);
      snap.setBigUint64(COMMON.Q_AVAILLO, BigInt(q.avail), true);
      snap.setBigUint64(COMMON.Q_USEDLO, BigInt(q.used), true);
      snap.setUint16(COMMON.Q_RESET, q.reset ? 1 : 0, true);
    }
    let v = 0;
    for (let k = size - 1; k >= 0; k--) v = v * 256 + snap.getUint8(off + k);
    return v;
  }

  private writeCommon(off: number, size: number, value: number): void {
    const core = this.core;
    const q = core.queues[this.queueSelect];
    const field = (at: number, width: number): boolean => off === at && size === width;
    if (field(COMMON.DFSELECT, 4)) this.dfSelect = value >>> 0;
    else if (field(COMMON.GFSELECT, 4)) this.gfSelect = value >>> 0;
    else if (field(COMMON.GF, 4)) core.setDriverFeatureWord(this.gfSelect, value);
    else if (field(COMMON.MSIX, 2)) core.configVector = this.vector(value);
    else if (field(COMMON.STATUS, 1)) core.writeStatus(value);
    else if (field(COMMON.Q_SELECT, 2)) this.queueSelect = value;
    else if (q === undefined) this.report(`write to queue register 0x${off.toString(16)} with queue_select ${this.queueSelect}, which does not exist`);
    else if (field(COMMON.Q_SIZE, 2)) {
      if (!q.enabled) q.size = value;
    } else if (field(COMMON.Q_MSIX, 2)) q.vector = this.vector(value);
    else if (field(COMMON.Q_ENABLE, 2)) {
      if (value === 1) core.enableQueue(this.queueSelect);
    } else if (field(COMMON.Q_RESET, 2)) {
      if (value === 1 && (core.driverFeatures & bit(F.RING_RESET)) !== 0n) core.resetQueue(this.queueSelect);
    } else if (size === 4 && off >= COMMON.Q_DESCLO && off < COMMON.Q_NDATA && off % 4 === 0) {
      if (q.enabled) return;
      const which = off < COMMON.Q_AVAILLO ? 'desc' : off < COMMON.Q_USEDLO ? 'avail' : 'used';
      const high = off % 8 === 4;
      const old = q[which];
      q[which] = high ? (value >>> 0) * 2 ** 32 + (old % 2 ** 32) : Math.floor(old / 2 ** 32) * 2 ** 32 + (value >>> 0);
    } else {
      this.report(`${size}-byte write to common configuration offset 0x${off.toString(16)} ignored (read-only or not a register of that width)`);
    }
  }

  /** A vector the driver asks for: kept when the table has it, else VIRTIO_MSI_NO_VECTOR (QEMU's rule). */
  private vector(value: number): number {
    return value < this.msix.vectors ? value : VIRTIO_MSI_NO_VECTOR;
  }

  // ---- configuration space: the PCI-cfg window (VIRTIO_PCI_CAP_PCI_CFG) and MSI-X control ----

  private configRead(offset: number, size: number): number | undefined {
    if (offset + size <= PCI_CFG_DATA || offset >= PCI_CFG_DATA + 4) return undefined;
    // Reading pci_cfg_data performs the read the capability describes, as QEMU does.
    const window = this.windowAccess();
    if (window !== undefined) {
      const v = this.readModern(window.offset, window.length);
      for (let k = 0; k < 4; k++) this.storeConfigByte(PCI_CFG_DATA + k, k < window.length ? (v >>> (8 * k)) & 0xff : 0);
    }
    return undefined;
  }

  private configWritten(offset: number, size: number): void {
    if (this.inWindowStore) return;
    if (offset < CAP.msix + 4 && offset + size > CAP.msix + 2) {
      this.msix.controlWritten();
      this.updateIntx();
    }
    if (offset < PCI_CFG_DATA + 4 && offset + size > PCI_CFG_DATA) {
      const window = this.windowAccess();
      if (window !== undefined) this.writeModern(window.offset, window.length, this.function.storedConfig(PCI_CFG_DATA, window.length));
    }
  }

  /** The BAR4 access the PCI-cfg capability describes, if it is one the window supports. */
  private windowAccess(): { offset: number; length: number } | undefined {
    const bar = this.function.storedConfig(CAP.pciCfg + 4, 1);
    const offset = this.function.storedConfig(CAP.pciCfg + 8, 4);
    const length = this.function.storedConfig(CAP.pciCfg + 12, 4);
    if (bar !== MODERN_BAR || (length !== 1 && length !== 2 && length !== 4) || offset % length !== 0 || offset + length > MODERN_BAR_SIZE) return undefined;
    return { offset, length };
  }

  private storeConfigByte(at: number, v: number): void {
    // pci_cfg_data is writable, so a config write of the value stores it (the write hook
    // ignores writes made from here: the access it describes already happened).
    this.inWindowStore = true;
    try {
      this.function.writeConfig(at, 1, v);
    } finally {
      this.inWindowStore = false;
    }
  }

  private report(what: string): void {
    this.bad.log(`ngkvm: ${this.name}: ${what}`);
  }
}

export interface VirtioPciFunctionOptions {
  readonly name: string;
  /** The virtio device ID (VIRTIO_ID). */
  readonly virtioId: number;
  readonly vectors: number;
  /** What answers in BAR1 (the MSI-X table and PBA) and BAR4 (the modern registers). */
  readonly msixTarget: MmioTarget;
  readonly modernTarget: MmioTarget;
  readonly configHooks?: PciConfigHooks;
}

/**
 * The PCI function of a modern virtio-pci device (IDs, class, BARs, capabilities): the one
 * description both the transport and a VMM-side proxy for a transport in a device process
 * (src/devices/remote/pci-proxy.ts) are built from, so the guest sees the same function.
 */
export function virtioPciFunctionSpec(opts: VirtioPciFunctionOptions): PciFunctionSpec {
  const classCode = CLASS_CODES[opts.virtioId];
  if (classCode === undefined) throw new RangeError(`${opts.name}: no PCI class for virtio device ID ${opts.virtioId}`);
  const caps: PciCapabilitySpec[] = [
    msixCapability({ vectors: opts.vectors, bar: MSIX_BAR, tableOffset: 0, pbaOffset: MSIX_PBA_OFFSET, capOffset: CAP.msix }),
    vendorCap(CAP.pciCfg, CFG_TYPE.pci, 0, 0, 0, 20, pciCfgWriteMask()),
    vendorCap(CAP.notify, CFG_TYPE.notify, MODERN_BAR, NOTIFY_OFFSET, REGION_SIZE, 20),
    vendorCap(CAP.device, CFG_TYPE.device, MODERN_BAR, DEVICE_OFFSET, REGION_SIZE, 16),
    vendorCap(CAP.isr, CFG_TYPE.isr, MODERN_BAR, ISR_OFFSET, REGION_SIZE, 16),
    vendorCap(CAP.common, CFG_TYPE.common, MODERN_BAR, COMMON_OFFSET, REGION_SIZE, 16),
  ];
  return {
    name: opts.name,
    vendorId: 0x1af4,
    deviceId: 0x1040 + opts.virtioId,
    classCode,
    revision: 1,
    interruptPin: 1,
    bars: [
      { index: MSIX_BAR, space: 'memory', size: MSIX_BAR_SIZE, target: opts.msixTarget },
      { index: MODERN_BAR, space: 'memory64', prefetchable: true, size: MODERN_BAR_SIZE, target: opts.modernTarget },
    ],
    capabilities: caps,
    ...(opts.configHooks !== undefined ? { configHooks: opts.configHooks } : {}),
  };
}

/** The BAR sizes of virtioPciFunctionSpec, by BAR index. */
export const VIRTIO_PCI_BAR_SIZES: Readonly<Record<number, number>> = { [MSIX_BAR]: MSIX_BAR_SIZE, [MODERN_BAR]: MODERN_BAR_SIZE };

/** A virtio vendor-specific capability (struct virtio_pci_cap, + notify multiplier / cfg data). */
function vendorCap(offset: number, cfgType: number, bar: number, regionOffset: number, length: number, capLen: number, writeMask?: Uint8Array): PciCapabilitySpec {
  const bytes = new Uint8Array(capLen);
  const v = new DataView(bytes.buffer);
  bytes[0] = PCI_CAP_ID_VNDR;
  bytes[2] = capLen;
  bytes[3] = cfgType;
  bytes[4] = bar;
  v.setUint32(8, regionOffset, true);
  v.setUint32(12, length, true);
  if (cfgType === CFG_TYPE.notify) v.setUint32(16, NOTIFY_OFF_MULTIPLIER, true);
  return { id: PCI_CAP_ID_VNDR, offset, bytes, ...(writeMask !== undefined ? { writeMask } : {}) };
}

/** The PCI-cfg capability's bar, offset, length and data fields are writable (as in QEMU). */
function pciCfgWriteMask(): Uint8Array {
  const m = new Uint8Array(20);
  m[4] = 0xff;
  m.fill(0xff, 8, 20);
  return m;
}

/** MSI-X vectors QEMU gives each virtio-pci device (its `vectors` defaults). */
export function virtioMsixVectors(device: VirtioDevice): number {
  switch (device.deviceId) {
    case VIRTIO_ID.block:
      return device.queueSizes.length + 1;
    case VIRTIO_ID.net:
      return 4;
    case VIRTIO_ID.console:
      // max_nr_ports + 1; the queues are two per port plus the control pair.
      return (device.queueSizes.length - 2) / 2 + 1;
    default:
      return 2;
  }
}
