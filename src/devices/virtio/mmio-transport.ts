/**
 * virtio-mmio, version 2 (virtio 1.x, spec 4.2.2), as QEMU 7.2's virtio-mmio presents a
 * device with `force-legacy=false`:
 *
 *  - 0x200 bytes per transport: little-endian 32-bit registers below 0x100, the device's
 *    configuration space from 0x100 (1-, 2- and 4-byte accesses);
 *  - a transport with no device reads the magic value, version 2 and QEMU's vendor ID
 *    ("QEMU") and zero everywhere else, so a guest scanning the slots skips it;
 *  - QueueNumMax reads 1024 (QEMU's VIRTQUEUE_MAX_SIZE) for each queue the device has, and
 *    the driver chooses the size;
 *  - registers take only 32-bit accesses (others read 0 and are ignored, with a log line),
 *    write-only registers read 0;
 *  - QueueNotify's value names the queue; the interrupt line is high while InterruptStatus
 *    is nonzero (level-triggered; InterruptACK clears bits).
 *
 * Queue notifications (`core.notify`) and the interrupt line (`setIrq`) are the transport's
 * hooks, which a device route can later back with an ioEvent and an irqEvent.
 */
import { RateLimitedLog, type Logger, type MmioDevice } from '../bus.js';
import { StateError, type DeviceState, type StateReader, type StateWriter } from '../state.js';
import { F, bit } from './constants.js';
import { VirtioCore } from './core.js';
import type { VirtioDevice } from './device.js';
import type { GuestDma } from './dma.js';

export const VIRTIO_MMIO_SIZE = 0x200;
export const VIRTIO_MMIO_MAGIC = 0x74726976;
/** QEMU's VIRT_VENDOR: "QEMU" as a little-endian word. */
export const VIRTIO_MMIO_VENDOR = 0x554d4551;
/** QEMU's VIRTQUEUE_MAX_SIZE, which its virtio-mmio reports as QueueNumMax. */
export const VIRTIO_MMIO_QUEUE_MAX = 1024;
const CONFIG_BASE = 0x100;

const REG = {
  MAGIC: 0x000,
  VERSION: 0x004,
  DEVICE_ID: 0x008,
  VENDOR_ID: 0x00c,
  DEVICE_FEATURES: 0x010,
  DEVICE_FEATURES_SEL: 0x014,
  DRIVER_FEATURES: 0x020,
  DRIVER_FEATURES_SEL: 0x024,
  QUEUE_SEL: 0x030,
  QUEUE_NUM_MAX: 0x034,
  QUEUE_NUM: 0x038,
  QUEUE_READY: 0x044,
  QUEUE_NOTIFY: 0x050,
  INTERRUPT_STATUS: 0x060,
  INTERRUPT_ACK: 0x064,
  STATUS: 0x070,
  QUEUE_DESC_LOW: 0x080,
  QUEUE_DESC_HIGH: 0x084,
  QUEUE_DRIVER_LOW: 0x090,
  QUEUE_DRIVER_HIGH: 0x094,
  QUEUE_DEVICE_LOW: 0x0a0,
  QUEUE_DEVICE_HIGH: 0x0a4,
  SHM_SEL: 0x0ac,
  SHM_LEN_LOW: 0x0b0,
  SHM_LEN_HIGH: 0x0b4,
  SHM_BASE_LOW: 0x0b8,
  SHM_BASE_HIGH: 0x0bc,
  CONFIG_GENERATION: 0x0fc,
} as const;

const WRITE_ONLY = new Set<number>([
  REG.DEVICE_FEATURES_SEL, REG.DRIVER_FEATURES, REG.DRIVER_FEATURES_SEL, REG.QUEUE_SEL, REG.QUEUE_NUM, REG.QUEUE_NOTIFY,
  REG.INTERRUPT_ACK, REG.QUEUE_DESC_LOW, REG.QUEUE_DESC_HIGH, REG.QUEUE_DRIVER_LOW, REG.QUEUE_DRIVER_HIGH,
  REG.QUEUE_DEVICE_LOW, REG.QUEUE_DEVICE_HIGH, REG.SHM_SEL,
]);

export interface VirtioMmioOptions {
  /** The device behind the transport; none leaves an empty slot (device ID 0). */
  readonly device?: VirtioDevice;
  /** For messages, e.g. `virtio-mmio@0xfeb00e00`. */
  readonly name: string;
  readonly dma: GuestDma;
  /** The transport's interrupt line (level). */
  readonly setIrq: (level: boolean) => void;
  readonly log: Logger;
  /** Snapshot section name, unique in the machine (default: `name`). */
  readonly stateId?: string;
}

/**
 * A snapshot section holds whether a device is behind the slot, the feature and queue
 * selectors, the VirtioCore (status, features, queues, ring positions, ISR) and the device's
 * own state; an empty slot has no state besides.
 */
export class VirtioMmioTransport implements MmioDevice, DeviceState {
  readonly name: string;
  readonly stateId: string;
  readonly stateVersion = 1;
  readonly endian = 'little' as const;
  readonly maxAccessSize = 4 as const;
  readonly core: VirtioCore | undefined;
  private dfSelect = 0;
  private gfSelect = 0;
  private queueSelect = 0;
  private readonly bad: RateLimitedLog;
  private readonly setIrq: (level: boolean) => void;

  constructor(opts: VirtioMmioOptions) {
    this.name = opts.name;
    this.stateId = opts.stateId ?? opts.name;
    this.setIrq = opts.setIrq;
    this.bad = new RateLimitedLog(opts.log);
    if (opts.device !== undefined) {
      this.core = new VirtioCore(opts.device, {
        queueMax: VIRTIO_MMIO_QUEUE_MAX,
        // RING_RESET is a virtio-pci feature in QEMU 7.2 (its virtio-mmio has no QueueReset).
        transportFeatures: bit(F.INDIRECT_DESC) | bit(F.EVENT_IDX) | bit(F.VERSION_1),
        dma: opts.dma,
        name: opts.name,
        log: opts.log,
        interrupt: () => this.setIrq(true),
        isrCleared: () => this.setIrq(false),
      });
    }
  }

  get device(): VirtioDevice | undefined {
    return this.core?.device;
  }

  /** Machine reset. */
  reset(): void {
    this.dfSelect = 0;
    this.gfSelect = 0;
    this.queueSelect = 0;
    this.core?.reset();
  }

  saveState(w: StateWriter): void {
    w.bool(this.core !== undefined);
    if (this.core === undefined) return;
    w.u32(this.dfSelect);
    w.u32(this.gfSelect);
    w.u32(this.queueSelect);
    this.core.saveState(w);
    this.core.device.saveState(w);
  }

  loadState(r: StateReader, version: number): void {
    const hasDevice = r.bool();
    const core = this.core;
    if (hasDevice !== (core !== undefined)) throw new StateError(`${this.name}: saved ${hasDevice ? 'with a device' : 'as an empty slot'}, but this slot ${core !== undefined ? `has ${core.device.name}` : 'is empty'}`);
    if (core === undefined) return;
    const dfSelect = r.u32();
    const gfSelect = r.u32();
    const queueSelect = r.u32();
    // No MSI-X: every vector register must hold "no vector".
    core.loadState(r, 0);
    core.device.loadState(r, version);
    this.dfSelect = dfSelect;
    this.gfSelect = gfSelect;
    this.queueSelect = queueSelect;
    // The level-triggered line follows the restored InterruptStatus.
    this.setIrq(core.isr !== 0);
  }

  read(offset: number, size: number): number {
    const core = this.core;
    if (offset >= CONFIG_BASE) return core === undefined ? 0 : core.readConfig(offset - CONFIG_BASE, size);
    if (size !== 4) {
      this.report(`${size}-byte read of register 0x${offset.toString(16)} (registers are 32-bit)`);
      return 0;
    }
    if (core === undefined) {
      switch (offset) {
        case REG.MAGIC:
          return VIRTIO_MMIO_MAGIC;
        case REG.VERSION:
          return 2;
        case REG.VENDOR_ID:
          return VIRTIO_MMIO_VENDOR;
        default:
          return 0;
      }
    }
    const q = core.queues[this.queueSelect];
    switch (offset) {
      case REG.MAGIC:
        return VIRTIO_MMIO_MAGIC;
      case REG.VERSION:
        return 2;
      case REG.DEVICE_ID:
        return core.device.deviceId;
      case REG.VENDOR_ID:
        return VIRTIO_MMIO_VENDOR;
      case REG.DEVICE_FEATURES:
        return core.deviceFeatureWord(this.dfSelect);
      case REG.QUEUE_NUM_MAX:
        return q === undefined ? 0 : q.maxSize;
      case REG.QUEUE_READY:
        return q?.enabled === true ? 1 : 0;
      case REG.INTERRUPT_STATUS:
        return core.isr;
      case REG.STATUS:
        return core.status;
      case REG.CONFIG_GENERATION:
        return core.configGeneration;
      case REG.SHM_LEN_LOW:
      case REG.SHM_LEN_HIGH:
      case REG.SHM_BASE_LOW:
      case REG.SHM_BASE_HIGH:
        // No shared memory regions: a length of all ones says so (spec 4.2.2.1).
        return 0xffff_ffff;
      default:
        this.report(WRITE_ONLY.has(offset) ? `read of write-only register 0x${offset.toString(16)}` : `read of unknown register 0x${offset.toString(16)}`);
        return 0;
    }
  }

  write(offset: number, size: number, value: number): void {
    const core = this.core;
    if (offset >= CONFIG_BASE) {
      core?.writeConfig(offset - CONFIG_BASE, size, value);
      return;
    }
    if (size !== 4) {
      this.report(`${size}-byte write of register 0x${offset.toString(16)} ignored (registers are 32-bit)`);
      return;
    }
    if (core === undefined) return;
    const v = value >>> 0;
    const q = core.queues[this.queueSelect];
    switch (offset) {
      case REG.DEVICE_FEATURES_SEL:
        this.dfSelect = v;
        return;
      case REG.DRIVER_FEATURES:
        core.setDriverFeatureWord(this.gfSelect, v);
        return;
      case REG.DRIVER_FEATURES_SEL:
        this.gfSelect = v;
        return;
      case REG.QUEUE_SEL:
        this.queueSelect = v;
        return;
      case REG.QUEUE_NOTIFY:
        core.notify(v);
        return;
      case REG.INTERRUPT_ACK:
        core.acknowledge(v);
        return;
      case REG.STATUS:
        core.writeStatus(v);
        return;
      case REG.SHM_SEL:
        return;
      default:
        break;
    }
    if (q === undefined) {
      this.report(`write to queue register 0x${offset.toString(16)} with QueueSel ${this.queueSelect}, which does not exist`);
      return;
    }
    switch (offset) {
      case REG.QUEUE_NUM:
        if (!q.enabled) q.size = v;
        return;
      case REG.QUEUE_READY:
        if (v !== 0) core.enableQueue(this.queueSelect);
        else core.disableQueue(this.queueSelect);
        return;
      case REG.QUEUE_DESC_LOW:
      case REG.QUEUE_DESC_HIGH:
      case REG.QUEUE_DRIVER_LOW:
      case REG.QUEUE_DRIVER_HIGH:
      case REG.QUEUE_DEVICE_LOW:
      case REG.QUEUE_DEVICE_HIGH: {
        if (q.enabled) return;
        const which = offset < REG.QUEUE_DRIVER_LOW ? 'desc' : offset < REG.QUEUE_DEVICE_LOW ? 'avail' : 'used';
        const old = q[which];
        q[which] = offset % 8 === 4 ? v * 2 ** 32 + (old % 2 ** 32) : Math.floor(old / 2 ** 32) * 2 ** 32 + v;
        return;
      }
      default:
        this.report(`write to ${[...Object.values(REG)].includes(offset as never) ? 'read-only' : 'unknown'} register 0x${offset.toString(16)} ignored`);
    }
  }

  /** Host input may be waiting for the device (received frames, console input). */
  poll(): void {
    this.core?.poll();
  }

  private report(what: string): void {
    this.bad.log(`ngkvm: ${this.name}: ${what}`);
  }
}
