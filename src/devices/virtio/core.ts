/**
 * The transport-neutral half of a virtio transport: feature negotiation, the device status
 * state machine, per-queue registers, the interrupt status (ISR) bits and the NEEDS_RESET
 * policy. virtio-pci and virtio-mmio map their registers onto it and deliver interrupts
 * their own way (MSI-X / INTx, an interrupt line).
 *
 * Nothing the guest does can make an exception leave this class: every call into the
 * device is guarded. A VirtqueueError or DmaError (the driver misprogrammed a queue) and any
 * other failure put the device into DEVICE_NEEDS_RESET with one log line and a
 * configuration interrupt; the device then ignores its queues until the driver resets it.
 */
import { RateLimitedLog, type Logger } from '../bus.js';
import { StateError, type StateReader, type StateWriter } from '../state.js';
import { ISR_CONFIG, ISR_QUEUE, STATUS, F, VIRTIO_MSI_NO_VECTOR, hasFeature } from './constants.js';
import type { VirtioDevice, VirtioDeviceHost } from './device.js';
import { DmaError, type GuestDma } from './dma.js';
import { SplitVirtqueue, VirtqueueError, layoutProblem, readVirtqueueProgress, saveVirtqueueProgress, type VirtqueueProgress } from './virtqueue.js';

export interface QueueRegisters {
  readonly maxSize: number;
  size: number;
  /** The driver enabled the queue (queue_enable / QueueReady). */
  enabled: boolean;
  desc: number;
  avail: number;
  used: number;
  /** MSI-X vector (PCI only). */
  vector: number;
  /** Reset by the driver alone and not enabled again since (VIRTIO_F_RING_RESET). */
  reset: boolean;
  vq: SplitVirtqueue | undefined;
}

/** A queue as a snapshot holds it, checked, before the core takes it over. */
interface SavedQueue {
  readonly size: number;
  readonly enabled: boolean;
  readonly reset: boolean;
  readonly desc: number;
  readonly avail: number;
  readonly used: number;
  readonly vector: number;
  readonly progress: VirtqueueProgress | undefined;
}

export interface VirtioCoreOptions {
  /**
   * The largest queue size the transport lets the driver choose, for every queue (QEMU's
   * virtio-mmio: 1024); default: each queue's size as the device declares it.
   */
  readonly queueMax?: number;
  /** Transport features added to the device's own (VERSION_1, EVENT_IDX, …). */
  readonly transportFeatures: bigint;
  readonly dma: GuestDma;
  /** Device name as messages show it, e.g. `virtio-blk-pci 00:02.0`. */
  readonly name: string;
  readonly log: Logger;
  /** ISR bits were set for `vector` (VIRTIO_MSI_NO_VECTOR without vectors): deliver it. */
  readonly interrupt: (vector: number) => void;
  /** The ISR went back to zero (the transport lowers a level-triggered line). */
  readonly isrCleared: () => void;
}

export class VirtioCore {
  readonly device: VirtioDevice;
  readonly name: string;
  readonly queues: QueueRegisters[];
  readonly offeredFeatures: bigint;
  driverFeatures = 0n;
  status = 0;
  configGeneration = 0;
  configVector = VIRTIO_MSI_NO_VECTOR;
  isr = 0;
  private failed = false;
  private readonly opts: VirtioCoreOptions;
  private readonly failures: RateLimitedLog;
  private readonly notes: RateLimitedLog;

  constructor(device: VirtioDevice, opts: VirtioCoreOptions) {
    this.device = device;
    this.opts = opts;
    this.name = opts.name;
    this.offeredFeatures = device.features | opts.transportFeatures;
    this.failures = new RateLimitedLog(opts.log);
    this.notes = new RateLimitedLog(opts.log);
    this.queues = device.queueSizes.map((size) => ({ maxSize: opts.queueMax ?? size, size: opts.queueMax ?? size, enabled: false, desc: 0, avail: 0, used: 0, vector: VIRTIO_MSI_NO_VECTOR, reset: false, vq: undefined }));
    const core = this;
    const host: VirtioDeviceHost = {
      dma: opts.dma,
      queue: (i) => core.liveQueue(i),
      usedBuffers: (i) => core.usedBuffers(i),
      configChanged: () => core.configChanged(),
      fail: (reason) => core.fail(reason),
      log: (line) => core.notes.log(`ngkvm: ${core.name}: ${line}`),
    };
    device.attach(host);
  }

  /** The device is in DEVICE_NEEDS_RESET. */
  get needsReset(): boolean {
    return this.failed;
  }

  get driverOk(): boolean {
    return (this.status & STATUS.DRIVER_OK) !== 0 && (this.status & STATUS.FAILED) === 0;
  }

  /** 32 bits of the offered features: word 0 = bits 0–31, word 1 = bits 32–63, others 0. */
  deviceFeatureWord(select: number): number {
    if (select > 1) return 0;
    return Number((this.offeredFeatures >> BigInt(32 * select)) & 0xffff_ffffn);
  }

  driverFeatureWord(select: number): number {
    if (select > 1) return 0;
    return Number((this.driverFeatures >> BigInt(32 * select)) & 0xffff_ffffn);
  }

  /** The driver writes 32 bits of what it accepts; ignored once FEATURES_OK is set. */
  setDriverFeatureWord(select: number, value: number): void {
    if (select > 1 || (this.status & STATUS.FEATURES_OK) !== 0) return;
    const shift = BigInt(32 * select);
    this.driverFeatures = (this.driverFeatures & ~(0xffff_ffffn << shift)) | (BigInt(value >>> 0) << shift);
  }

  writeStatus(value: number): void {
    const v = value & 0xff;
    if (v === 0) {
      this.reset();
      return;
    }
    let next = (v & ~STATUS.NEEDS_RESET) | (this.status & STATUS.NEEDS_RESET);
    const newly = next & ~this.status;
    if ((newly & STATUS.FEATURES_OK) !== 0) {
      const unknown = this.driverFeatures & ~this.offeredFeatures;
      // Not setting FEATURES_OK is how a device refuses (spec 3.1.1): the driver reads it back.
      if (unknown !== 0n || !hasFeature(this.driverFeatures, F.VERSION_1)) next &= ~STATUS.FEATURES_OK;
    }
    this.status = next;
    if ((newly & STATUS.DRIVER_OK) !== 0 && (next & STATUS.FEATURES_OK) === 0) {
      this.fail('the driver set DRIVER_OK without FEATURES_OK');
      return;
    }
    if ((newly & STATUS.DRIVER_OK) !== 0 && !this.failed) {
      this.guard('activation', () => {
        this.device.activate(this.driverFeatures);
        // Buffers made available before DRIVER_OK (or whose notification came early).
        for (let i = 0; i < this.queues.length; i++) if (this.liveQueue(i)?.hasAvailable() === true) this.device.notify(i);
        this.device.poll?.();
      });
    }
  }

  /** The driver enabled queue `i` (PCI queue_enable = 1, MMIO QueueReady = 1). */
  enableQueue(i: number): void {
    const q = this.queues[i];
    if (q === undefined || q.enabled || this.failed) return;
    const layout = { size: q.size, desc: q.desc, avail: q.avail, used: q.used };
    const problem = layoutProblem(this.opts.dma, layout, q.maxSize);
    if (problem !== undefined) {
      this.fail(`queue ${i}: ${problem}`);
      return;
    }
    q.enabled = true;
    q.reset = false;
    q.vq = new SplitVirtqueue(this.opts.dma, layout, {
      eventIdx: hasFeature(this.driverFeatures, F.EVENT_IDX),
      indirect: hasFeature(this.driverFeatures, F.INDIRECT_DESC),
    }, `${this.name} queue ${i}`);
  }

  /** MMIO QueueReady = 0: the queue stops; its registers keep their values. */
  disableQueue(i: number): void {
    const q = this.queues[i];
    if (q === undefined) return;
    q.enabled = false;
    q.vq = undefined;
  }

  /** VIRTIO_F_RING_RESET: queue `i` alone goes back to its reset state. */
  resetQueue(i: number): void {
    const q = this.queues[i];
    if (q === undefined) return;
    this.guard(`reset of queue ${i}`, () => this.device.resetQueue?.(i));
    this.resetQueueRegisters(q);
    q.reset = true;
  }

  /** The driver notified queue `i`. Ignored for queues that are not live. */
  notify(i: number): void {
    if (this.liveQueue(i) === undefined) return;
    this.guard(`queue ${i}`, () => this.device.notify(i));
  }

  /** Host input may be waiting for the device. */
  poll(): void {
    if (!this.driverOk || this.failed || this.device.poll === undefined) return;
    this.guard('host input', () => this.device.poll?.());
  }

  readConfig(offset: number, size: number): number {
    if (offset < 0 || offset + size > this.device.configSize) return size >= 4 ? 0xffff_ffff : (1 << (8 * size)) - 1;
    let v = 0;
    this.guard('configuration read', () => {
      v = this.device.readConfig(offset, size);
    });
    return v;
  }

  writeConfig(offset: number, size: number, value: number): void {
    if (offset < 0 || offset + size > this.device.configSize) return;
    this.guard('configuration write', () => this.device.writeConfig(offset, size, value));
  }

  /** Reads the ISR and clears it (PCI ISR register semantics); the line drops. */
  readAndClearIsr(): number {
    const v = this.isr;
    if (v !== 0) {
      this.isr = 0;
      this.opts.isrCleared();
    }
    return v;
  }

  /** MMIO InterruptACK: clears the given bits. */
  acknowledge(bits: number): void {
    const before = this.isr;
    this.isr &= ~bits;
    if (before !== 0 && this.isr === 0) this.opts.isrCleared();
  }

  /**
   * The transport-neutral state for a snapshot: what the driver negotiated and programmed,
   * the ISR, and where the device is in each live ring. NEEDS_RESET in the status is the
   * `failed` flag (only fail() sets it and only reset() clears it), so it is not saved twice.
   */
  saveState(w: StateWriter): void {
    w.u16(this.device.deviceId);
    w.u64(this.driverFeatures);
    w.u8(this.status);
    w.u8(this.configGeneration);
    w.u16(this.configVector);
    w.u8(this.isr);
    w.u16(this.queues.length);
    for (const q of this.queues) {
      w.u32(q.size);
      w.bool(q.enabled);
      w.bool(q.reset);
      // The guest reads the addresses back as 64-bit registers: that is what it would see.
      for (const addr of [q.desc, q.avail, q.used]) w.u64(BigInt(addr));
      w.u16(q.vector);
      w.bool(q.vq !== undefined);
      if (q.vq !== undefined) saveVirtqueueProgress(w, q.vq.progress);
    }
  }

  /**
   * Reads what saveState wrote, checks all of it, then takes it over. `vectors` is the size of
   * the transport's MSI-X table (0: it has none, so every vector must be VIRTIO_MSI_NO_VECTOR).
   * Nothing is signalled: the transport re-evaluates its interrupt output afterwards.
   */
  loadState(r: StateReader, vectors: number): void {
    const deviceId = r.u16();
    if (deviceId !== this.device.deviceId) throw new StateError(`${this.name}: saved for virtio device ID ${deviceId}, this is ${this.device.name} (ID ${this.device.deviceId})`);
    const driverFeatures = r.u64();
    const status = r.u8();
    const configGeneration = r.u8();
    const configVector = this.readVector(r, vectors, 'the configuration vector');
    const isr = r.u8();
    if ((isr & ~(ISR_QUEUE | ISR_CONFIG)) !== 0) throw new StateError(`${this.name}: ISR 0x${isr.toString(16)} has bits other than queue and configuration`);
    const failed = (status & STATUS.NEEDS_RESET) !== 0;
    if ((status & STATUS.FEATURES_OK) !== 0 && ((driverFeatures & ~this.offeredFeatures) !== 0n || !hasFeature(driverFeatures, F.VERSION_1))) {
      throw new StateError(`${this.name}: FEATURES_OK with driver features 0x${driverFeatures.toString(16)}, which this device would have refused (it offers 0x${this.offeredFeatures.toString(16)})`);
    }
    const count = r.u16();
    if (count !== this.queues.length) throw new StateError(`${this.name}: ${count} queues saved, this device has ${this.queues.length}`);
    const saved = this.queues.map((q, i) => this.readQueue(r, q, i, vectors, failed));
    this.driverFeatures = driverFeatures;
    this.status = status;
    this.configGeneration = configGeneration;
    this.configVector = configVector;
    this.isr = isr;
    this.failed = failed;
    saved.forEach((s, i) => this.restoreQueue(i, s));
  }

  private readQueue(r: StateReader, q: QueueRegisters, i: number, vectors: number, failed: boolean): SavedQueue {
    const size = r.u32();
    const enabled = r.bool();
    const reset = r.bool();
    // Beyond 2^53 a register keeps the nearest double, as a guest write would have.
    const [desc, avail, used] = [r.u64(), r.u64(), r.u64()].map(Number) as [number, number, number];
    const vector = this.readVector(r, vectors, `queue ${i}'s vector`);
    const live = r.bool();
    const what = `${this.name}: queue ${i}`;
    if (reset && enabled) throw new StateError(`${what} is both enabled and reset`);
    // A disabled queue's size is whatever the driver last wrote; only an enabled one was checked.
    if (enabled) {
      const problem = layoutProblem(this.opts.dma, { size, desc, avail, used }, q.maxSize);
      if (problem !== undefined) throw new StateError(`${what} is enabled, but ${problem}`);
    }
    if (live !== (enabled && !failed)) {
      throw new StateError(`${what}: ${live ? 'a ring position saved' : 'no ring position saved'} for a queue that is ${enabled ? 'enabled' : 'disabled'}${failed ? ' on a device that needs a reset' : ''}`);
    }
    let progress: VirtqueueProgress | undefined;
    if (live) {
      progress = readVirtqueueProgress(r, size, what);
      if ((progress.options.eventIdx && !hasFeature(this.offeredFeatures, F.EVENT_IDX)) || (progress.options.indirect && !hasFeature(this.offeredFeatures, F.INDIRECT_DESC))) {
        throw new StateError(`${what}: ring options the device does not offer`);
      }
    }
    return { size, enabled, reset, desc, avail, used, vector, progress };
  }

  private restoreQueue(i: number, s: SavedQueue): void {
    const q = this.queues[i]!;
    q.size = s.size;
    q.enabled = s.enabled;
    q.reset = s.reset;
    q.desc = s.desc;
    q.avail = s.avail;
    q.used = s.used;
    q.vector = s.vector;
    q.vq = undefined;
    if (s.progress !== undefined) {
      q.vq = new SplitVirtqueue(this.opts.dma, { size: s.size, desc: s.desc, avail: s.avail, used: s.used }, s.progress.options, `${this.name} queue ${i}`);
      q.vq.restore(s.progress);
    }
  }

  private readVector(r: StateReader, vectors: number, what: string): number {
    const v = r.u16();
    if (v !== VIRTIO_MSI_NO_VECTOR && v >= vectors) {
      throw new StateError(`${this.name}: ${what} is ${v}, ${vectors === 0 ? 'but this transport has no MSI-X' : `past the ${vectors}-entry MSI-X table`} (and not 0xffff, no vector)`);
    }
    return v;
  }

  /** Device reset: the status, features, queues and ISR go back to their reset values. */
  reset(): void {
    this.guard('reset', () => this.device.reset());
    this.status = 0;
    this.driverFeatures = 0n;
    this.configVector = VIRTIO_MSI_NO_VECTOR;
    this.failed = false;
    for (const q of this.queues) {
      this.resetQueueRegisters(q);
      q.reset = false;
    }
    if (this.isr !== 0) {
      this.isr = 0;
      this.opts.isrCleared();
    }
  }

  /**
   * The device cannot go on: DEVICE_NEEDS_RESET, a configuration interrupt when the driver
   * is running, one log line (rate-limited), and queues are ignored until a reset.
   */
  fail(reason: string): void {
    if (this.failed) return;
    this.failed = true;
    this.status |= STATUS.NEEDS_RESET;
    for (const q of this.queues) q.vq = undefined;
    this.failures.log(`ngkvm: ${this.name}: device needs reset: ${reason}`);
    if ((this.status & STATUS.DRIVER_OK) !== 0) this.signal(ISR_CONFIG, this.configVector);
  }

  private liveQueue(i: number): SplitVirtqueue | undefined {
    if (!this.driverOk || this.failed) return undefined;
    const q = this.queues[i];
    return q?.enabled === true ? q.vq : undefined;
  }

  private usedBuffers(i: number): void {
    const q = this.queues[i];
    if (q?.vq === undefined || this.failed) return;
    if (q.vq.takeInterrupt()) this.signal(ISR_QUEUE, q.vector);
  }

  private configChanged(): void {
    this.configGeneration = (this.configGeneration + 1) & 0xff;
    if (this.driverOk) this.signal(ISR_CONFIG, this.configVector);
  }

  private signal(bits: number, vector: number): void {
    this.isr |= bits;
    this.opts.interrupt(vector);
  }

  private resetQueueRegisters(q: QueueRegisters): void {
    q.size = q.maxSize;
    q.enabled = false;
    q.desc = 0;
    q.avail = 0;
    q.used = 0;
    q.vector = VIRTIO_MSI_NO_VECTOR;
    q.vq = undefined;
  }

  /** Runs device code; whatever it throws becomes NEEDS_RESET instead of leaving the VMM. */
  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (e instanceof VirtqueueError || e instanceof DmaError) this.fail(`${what}: ${e.message}`);
      else this.fail(`${what}: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
  }
}
