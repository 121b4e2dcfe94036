/**
 * The contract between a virtio device model (blk, net, console, rng) and the transport
 * that presents it to the guest (virtio-pci, virtio-mmio). Devices know nothing about the
 * transport: they see their queues, guest memory through GuestDma, and a few calls back.
 * Host resources (files, sockets, randomness) come through the backend interfaces of
 * backends.ts. So a device runs unchanged in the VMM's process or, later, in a device
 * process behind a route (its DMA then blocking messages, its interrupts irqEvents).
 */
import type { StateReader, StateWriter } from '../state.js';
import type { GuestDma } from './dma.js';
import type { SplitVirtqueue } from './virtqueue.js';

/** What the transport provides to its device. */
export interface VirtioDeviceHost {
  readonly dma: GuestDma;
  /** Queue `index` when it is live (enabled and the driver is running), else undefined. */
  queue(index: number): SplitVirtqueue | undefined;
  /** The device put buffers in queue `index`'s used ring: interrupt if the driver wants one. */
  usedBuffers(index: number): void;
  /** The configuration space changed (new generation, configuration interrupt). */
  configChanged(): void;
  /**
   * The device cannot go on (the driver misprogrammed it): DEVICE_NEEDS_RESET, one log line,
   * no more queue processing until the driver resets the device.
   */
  fail(reason: string): void;
  /** A diagnostic line (rate-limited by the transport). */
  log(line: string): void;
}

export interface VirtioDevice {
  /** For messages: `virtio-blk`, … */
  readonly name: string;
  /** Virtio device ID (VIRTIO_ID). */
  readonly deviceId: number;
  /** Device-specific features offered; the transport adds the ring/transport features. */
  readonly features: bigint;
  /** Maximum size of each of the device's queues (their count is the array's length). */
  readonly queueSizes: readonly number[];
  /** Length of the device-specific configuration space in bytes. */
  readonly configSize: number;

  /** Called once by the transport before anything else. */
  attach(host: VirtioDeviceHost): void;
  /** Little-endian read of 1, 2 or 4 bytes of configuration space (offsets are checked). */
  readConfig(offset: number, size: number): number;
  writeConfig(offset: number, size: number, value: number): void;
  /** The driver set DRIVER_OK having accepted `features` (transport bits included). */
  activate(features: bigint): void;
  /** The driver notified queue `index` (new buffers available). */
  notify(index: number): void;
  /** Host-side input may be waiting (received frames, console input): take what fits. */
  poll?(): void;
  /** The driver reset queue `index` alone (VIRTIO_F_RING_RESET). */
  resetQueue?(index: number): void;
  /** Device reset (the driver wrote status 0, or the machine reset). */
  reset(): void;
  /**
   * The device's own mutable state, inside its transport's snapshot section (after the
   * transport's). Backends are not state: a restored device is built over new ones.
   */
  saveState(w: StateWriter): void;
  /** Reads, checks (StateError naming the field) and takes over what saveState wrote. */
  loadState(r: StateReader, version: number): void;
}

/** Configuration space kept as little-endian bytes, with the usual accessors. */
export class ConfigSpace {
  readonly bytes: Uint8Array;
  private readonly view: DataView;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }

  get size(): number {
    return this.bytes.length;
  }

  read(offset: number, size: number): number {
    let v = 0;
    for (let k = size - 1; k >= 0; k--) v = v * 256 + (this.bytes[offset + k] ?? 0);
    return v;
  }

  u8(offset: number, v: number): void {
    this.view.setUint8(offset, v);
  }
  u16(offset: number, v: number): void {
    this.view.setUint16(offset, v, true);
  }
  u32(offset: number, v: number): void {
    this.view.setUint32(offset, v >>> 0, true);
  }
  u64(offset: number, v: bigint): void {
    this.view.setBigUint64(offset, v, true);
  }
}
