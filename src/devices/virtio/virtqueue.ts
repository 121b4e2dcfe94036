/**
 * The split virtqueue (virtio 1.x, spec 2.7) as a device sees it, with every check a hostile
 * or broken driver needs. The driver owns the rings; everything read from them is
 * untrusted, so each descriptor chain is walked and validated completely before a device
 * touches its buffers:
 *
 *  - the available index may run ahead of the device by at most the queue size;
 *  - head and `next` indexes must be inside the table (the queue's, or the indirect one);
 *  - a chain may not be longer than the queue (which also ends any loop);
 *  - an indirect table needs the feature, sits only in a chain's single descriptor (it
 *    cannot have NEXT: spec 2.7.5.3.1), has a nonzero length that is a multiple of 16, lies
 *    in RAM and holds no indirect descriptor itself;
 *  - every buffer lies entirely in guest RAM (GuestDma.isRam), device-writable buffers come
 *    after all device-readable ones, and neither direction adds up to more than 4 GiB − 1
 *    (used lengths are 32-bit).
 *
 * A violation is a VirtqueueError: the transport puts the device into NEEDS_RESET. Nothing
 * here allocates in proportion to guest-chosen lengths.
 *
 * Notification suppression: with VIRTIO_F_EVENT_IDX the device interrupts only when the
 * used index passes the driver's used_event, and publishes avail_event (the next available
 * index it has not seen) after draining; without it, avail.flags NO_INTERRUPT is honoured.
 */
import { StateError, type StateReader, type StateWriter } from '../state.js';
import { DmaError, type GuestDma } from './dma.js';
import { VIRTQ_AVAIL_F_NO_INTERRUPT, VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from './constants.js';

export const DESC_SIZE = 16;
/** Bytes a chain may carry in one direction (used.len is a 32-bit count). */
export const MAX_CHAIN_BYTES = 0xffff_ffff;

/** The driver broke the ring protocol: the device must stop using the queue (NEEDS_RESET). */
export class VirtqueueError extends Error {
  readonly code = 'ERR_VIRTQUEUE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VirtqueueError';
  }
}

export interface GuestBuffer {
  readonly addr: number;
  readonly len: number;
}

export interface DescriptorChain {
  /** Descriptor index the driver put in the available ring (returned in the used ring). */
  readonly head: number;
  /** Buffers the device reads (driver → device), in order. */
  readonly readable: readonly GuestBuffer[];
  /** Buffers the device writes (device → driver), in order. */
  readonly writable: readonly GuestBuffer[];
  readonly readableBytes: number;
  readonly writableBytes: number;
}

export interface VirtqueueLayout {
  /** Power of two, 1 to 32768. */
  readonly size: number;
  /** Guest-physical (bus) addresses of the descriptor table, available and used rings. */
  readonly desc: number;
  readonly avail: number;
  readonly used: number;
}

export interface VirtqueueOptions {
  readonly eventIdx: boolean;
  readonly indirect: boolean;
}

/**
 * What a device knows about its place in a ring that guest memory does not hold (snapshots):
 * the options it was created with and its four counters.
 */
export interface VirtqueueProgress {
  readonly options: VirtqueueOptions;
  readonly lastAvail: number;
  readonly usedIdx: number;
  readonly signalledUsed: number;
  readonly pushedSinceSignal: boolean;
}

export function saveVirtqueueProgress(w: StateWriter, p: VirtqueueProgress): void {
  w.bool(p.options.eventIdx);
  w.bool(p.options.indirect);
  w.u16(p.lastAvail);
  w.u16(p.usedIdx);
  w.u16(p.signalledUsed);
  w.bool(p.pushedSinceSignal);
}

/**
 * Reads what saveVirtqueueProgress wrote for a queue of `size` entries. The device never
 * holds more chains than the queue has entries, so last_avail may run ahead of the used
 * index by at most `size`; more means a corrupt section (it would re-use or skip chains).
 */
export function readVirtqueueProgress(r: StateReader, size: number, what: string): VirtqueueProgress {
  const options = { eventIdx: r.bool(), indirect: r.bool() };
  const lastAvail = r.u16();
  const usedIdx = r.u16();
  const signalledUsed = r.u16();
  const pushedSinceSignal = r.bool();
  const inFlight = (lastAvail - usedIdx) & 0xffff;
  if (inFlight > size) throw new StateError(`${what}: last_avail ${lastAvail} is ${inFlight} entries ahead of the used index ${usedIdx}, more than the queue's ${size}`);
  return { options, lastAvail, usedIdx, signalledUsed, pushedSinceSignal };
}

/** Bytes of each part of a split ring of `size` entries (the event fields included). */
export function ringBytes(size: number): { desc: number; avail: number; used: number } {
  return { desc: DESC_SIZE * size, avail: 6 + 2 * size, used: 6 + 8 * size };
}

/**
 * Checks a ring layout the driver programmed before the queue goes live: a power-of-two
 * size no larger than `maxSize`, each part aligned as spec 2.7 requires and entirely in RAM.
 * Returns what is wrong, or undefined.
 */
export function layoutProblem(dma: GuestDma, layout: VirtqueueLayout, maxSize: number): string | undefined {
  const { size, desc, avail, used } = layout;
  if (!Number.isInteger(size) || size < 1 || size > maxSize || (size & (size - 1)) !== 0) {
    return `queue size ${size} is not a power of two from 1 to ${maxSize}`;
  }
  const bytes = ringBytes(size);
  const parts = [
    ['descriptor table', desc, bytes.desc, 16],
    ['available ring', avail, bytes.avail, 2],
    ['used ring', used, bytes.used, 4],
  ] as const;
  for (const [what, addr, len, align] of parts) {
    if (addr % align !== 0) return `${what} at 0x${addr.toString(16)} is not ${align}-byte aligned`;
    if (!dma.isRam(addr, len)) return `${what} [0x${addr.toString(16)}, 0x${(addr + len).toString(16)}) is not in guest RAM`;
  }
  return undefined;
}

export class SplitVirtqueue {
  readonly size: number;
  readonly layout: VirtqueueLayout;
  private readonly dma: GuestDma;
  private readonly options: VirtqueueOptions;
  private lastAvail = 0;
  private usedIdx = 0;
  private signalledUsed = 0;
  /** Used entries were added since the last interrupt decision. */
  private pushedSinceSignal = false;
  private readonly scratch = new Uint8Array(DESC_SIZE);
  private readonly view = new DataView(this.scratch.buffer);

  /** The layout must have passed layoutProblem. */
  constructor(dma: GuestDma, layout: VirtqueueLayout, options: VirtqueueOptions, readonly name = 'virtqueue') {
    this.dma = dma;
    this.layout = layout;
    this.size = layout.size;
    this.options = options;
  }

  get progress(): VirtqueueProgress {
    return { options: this.options, lastAvail: this.lastAvail, usedIdx: this.usedIdx, signalledUsed: this.signalledUsed, pushedSinceSignal: this.pushedSinceSignal };
  }

  /** Continues where a saved queue stopped (its options are the constructor's). */
  restore(p: VirtqueueProgress): void {
    this.lastAvail = p.lastAvail;
    this.usedIdx = p.usedIdx;
    this.signalledUsed = p.signalledUsed;
    this.pushedSinceSignal = p.pushedSinceSignal;
  }

  /** Index of the next available entry the device will take (mod 2^16). */
  get nextAvail(): number {
    return this.lastAvail;
  }

  /** The driver has made chains available that the device has not taken yet. */
  hasAvailable(): boolean {
    return this.pendingCount() > 0;
  }

  /** How many chains the driver has made available that the device has not taken yet. */
  availableCount(): number {
    return this.pendingCount();
  }

  /** Takes the next available chain, validated; undefined when there is none. */
  pop(): DescriptorChain | undefined {
    if (this.pendingCount() === 0) return undefined;
    const slot = this.lastAvail % this.size;
    const head = this.read16(this.layout.avail + 4 + 2 * slot);
    const chain = this.walk(head);
    this.lastAvail = (this.lastAvail + 1) & 0xffff;
    return chain;
  }

  /** Gives back the last `count` chains taken and not used (e.g. a frame did not fit yet). */
  rewind(count: number): void {
    this.lastAvail = (this.lastAvail - count) & 0xffff;
  }

  /** Returns a chain to the driver with `written` bytes placed in its writable buffers. */
  push(chain: DescriptorChain, written: number): void {
    this.pushHead(chain.head, Math.min(written, chain.writableBytes));
  }

  /** Returns several chains at once (MRG_RXBUF): entries first, then one index update. */
  pushMany(entries: readonly { readonly chain: DescriptorChain; readonly written: number }[]): void {
    for (const e of entries) this.writeUsedEntry(e.chain.head, Math.min(e.written, e.chain.writableBytes));
    this.write16(this.layout.used + 2, this.usedIdx);
    this.pushedSinceSignal = this.pushedSinceSignal || entries.length > 0;
  }

  /**
   * Whether the driver wants an interrupt for what was pushed since the last call (EVENT_IDX:
   * used_event was passed; otherwise: unless avail.flags has NO_INTERRUPT).
   */
  takeInterrupt(): boolean {
    if (!this.pushedSinceSignal) return false;
    this.pushedSinceSignal = false;
    const old = this.signalledUsed;
    this.signalledUsed = this.usedIdx;
    if (this.options.eventIdx) {
      const usedEvent = this.read16(this.layout.avail + 4 + 2 * this.size);
      return ((this.usedIdx - usedEvent - 1) & 0xffff) < ((this.usedIdx - old) & 0xffff);
    }
    return (this.read16(this.layout.avail) & VIRTQ_AVAIL_F_NO_INTERRUPT) === 0;
  }

  /**
   * With EVENT_IDX: asks the driver to notify when it makes the next entry available (the
   * device has taken everything before it). Returns true when more arrived meanwhile, so
   * the caller drains again before sleeping.
   */
  armNotification(): boolean {
    if (!this.options.eventIdx) return this.hasAvailable();
    this.write16(this.layout.used + 4 + 8 * this.size, this.lastAvail);
    return this.hasAvailable();
  }

  private pendingCount(): number {
    const availIdx = this.read16(this.layout.avail + 2);
    const pending = (availIdx - this.lastAvail) & 0xffff;
    if (pending > this.size) {
      throw new VirtqueueError(`${this.name}: the available index moved from ${this.lastAvail} to ${availIdx}, more than the queue's ${this.size} entries`);
    }
    return pending;
  }

  private pushHead(head: number, written: number): void {
    this.writeUsedEntry(head, written);
    this.write16(this.layout.used + 2, this.usedIdx);
    this.pushedSinceSignal = true;
  }

  private writeUsedEntry(head: number, written: number): void {
    const slot = this.usedIdx % this.size;
    this.view.setUint32(0, head, true);
    this.view.setUint32(4, written >>> 0, true);
    this.dmaWrite(this.layout.used + 4 + 8 * slot, this.scratch.subarray(0, 8));
    this.usedIdx = (this.usedIdx + 1) & 0xffff;
  }

  /** Walks and validates the chain starting at `head` of the queue's descriptor table. */
  private walk(head: number): DescriptorChain {
    const readable: GuestBuffer[] = [];
    const writable: GuestBuffer[] = [];
    let readableBytes = 0;
    let writableBytes = 0;
    let table = this.layout.desc;
    let tableEntries = this.size;
    let inIndirect = false;
    let index = head;
    let count = 0;
    const where = (): string => `${this.name}: chain at head ${head}${inIndirect ? ' (indirect table)' : ''}, descriptor ${index}`;
    if (head >= this.size) throw new VirtqueueError(`${this.name}: available ring entry names descriptor ${head}, past the ${this.size}-entry table`);
    for (;;) {
      if (++count > this.size) throw new VirtqueueError(`${this.name}: chain at head ${head} is longer than the queue (${this.size} descriptors): a loop or a runaway chain`);
      const d = this.readDescriptor(table, index);
      if ((d.flags & VIRTQ_DESC_F_INDIRECT) !== 0) {
        if (!this.options.indirect) throw new VirtqueueError(`${where()}: indirect descriptor without VIRTIO_F_INDIRECT_DESC`);
        if (inIndirect) throw new VirtqueueError(`${where()}: indirect descriptor inside an indirect table`);
        if (count !== 1 || (d.flags & VIRTQ_DESC_F_NEXT) !== 0) {
          throw new VirtqueueError(`${where()}: an indirect descriptor must be the chain's only descriptor (no NEXT, nothing before it)`);
        }
        if (d.len === 0 || d.len % DESC_SIZE !== 0) throw new VirtqueueError(`${where()}: indirect table length ${d.len} is not a nonzero multiple of ${DESC_SIZE}`);
        if (!this.dma.isRam(d.addr, d.len)) throw new VirtqueueError(`${where()}: indirect table [0x${d.addr.toString(16)}, +0x${d.len.toString(16)}) is not in guest RAM`);
        table = d.addr;
        tableEntries = d.len / DESC_SIZE;
        inIndirect = true;
        index = 0;
        count = 0;
        continue;
      }
      if (!this.dma.isRam(d.addr, d.len)) throw new VirtqueueError(`${where()}: buffer [0x${d.addr.toString(16)}, +0x${d.len.toString(16)}) is not in guest RAM`);
      if ((d.flags & VIRTQ_DESC_F_WRITE) !== 0) {
        writableBytes += d.len;
        if (writableBytes > MAX_CHAIN_BYTES) throw new VirtqueueError(`${where()}: device-writable buffers add up to more than 4 GiB`);
        writable.push({ addr: d.addr, len: d.len });
      } else {
        if (writable.length > 0) throw new VirtqueueError(`${where()}: device-readable buffer after a device-writable one`);
        readableBytes += d.len;
        if (readableBytes > MAX_CHAIN_BYTES) throw new VirtqueueError(`${where()}: device-readable buffers add up to more than 4 GiB`);
        readable.push({ addr: d.addr, len: d.len });
      }
      if ((d.flags & VIRTQ_DESC_F_NEXT) === 0) break;
      if (d.next >= tableEntries) throw new VirtqueueError(`${where()}: next descriptor ${d.next} is past the ${tableEntries}-entry table`);
      index = d.next;
    }
    return { head, readable, writable, readableBytes, writableBytes };
  }

  private readDescriptor(table: number, index: number): { addr: number; len: number; flags: number; next: number } {
    this.dmaRead(table + DESC_SIZE * index, this.scratch);
    const v = this.view;
    const high = v.getUint32(4, true);
    if (high >= 0x20_0000) throw new VirtqueueError(`${this.name}: descriptor ${index} addresses beyond 2^53`);
    return { addr: high * 2 ** 32 + v.getUint32(0, true), len: v.getUint32(8, true), flags: v.getUint16(12, true), next: v.getUint16(14, true) };
  }

  private read16(addr: number): number {
    this.dmaRead(addr, this.scratch.subarray(0, 2));
    return this.view.getUint16(0, true);
  }

  private write16(addr: number, value: number): void {
    const b = new Uint8Array(2);
    b[0] = value & 0xff;
    b[1] = (value >>> 8) & 0xff;
    this.dmaWrite(addr, b);
  }

  // Ring memory was checked when the queue went live; should the memory map change under a
  // live queue, a DMA failure is still the driver's problem, reported the same way.
  private dmaRead(addr: number, dst: Uint8Array): void {
    try {
      this.dma.read(addr, dst);
    } catch (e) {
      if (e instanceof DmaError) throw new VirtqueueError(`${this.name}: ring memory is not readable: ${e.message}`, { cause: e });
      throw e;
    }
  }

  private dmaWrite(addr: number, src: Uint8Array): void {
    try {
      this.dma.write(addr, src);
    } catch (e) {
      if (e instanceof DmaError) throw new VirtqueueError(`${this.name}: ring memory is not writable: ${e.message}`, { cause: e });
      throw e;
    }
  }
}

/** Reads a chain's device-readable bytes in order. */
export class ChainReader {
  private buf = 0;
  private off = 0;
  private consumed = 0;
  readonly length: number;

  constructor(
    private readonly dma: GuestDma,
    private readonly buffers: readonly GuestBuffer[],
  ) {
    this.length = buffers.reduce((n, b) => n + b.len, 0);
  }

  get remaining(): number {
    return this.length - this.consumed;
  }

  /** Copies up to dst.length bytes; returns how many. */
  read(dst: Uint8Array): number {
    let done = 0;
    while (done < dst.length && this.buf < this.buffers.length) {
      const b = this.buffers[this.buf]!;
      const n = Math.min(b.len - this.off, dst.length - done);
      if (n > 0) this.dma.read(b.addr + this.off, dst.subarray(done, done + n));
      done += n;
      this.advance(n);
    }
    return done;
  }

  /** Exactly n bytes, or undefined when the chain has fewer left (nothing is consumed then). */
  take(n: number): Uint8Array | undefined {
    if (n > this.remaining) return undefined;
    const out = new Uint8Array(n);
    this.read(out);
    return out;
  }

  skip(n: number): void {
    let left = Math.min(n, this.remaining);
    while (left > 0) {
      const b = this.buffers[this.buf]!;
      const k = Math.min(b.len - this.off, left);
      this.advance(k);
      left -= k;
    }
  }

  /** The remaining bytes as the guest buffers they lie in (for zero-copy users). */
  pieces(max: number): GuestBuffer[] {
    const out: GuestBuffer[] = [];
    let left = Math.min(max, this.remaining);
    let i = this.buf;
    let off = this.off;
    while (left > 0 && i < this.buffers.length) {
      const b = this.buffers[i]!;
      const n = Math.min(b.len - off, left);
      if (n > 0) out.push({ addr: b.addr + off, len: n });
      left -= n;
      i++;
      off = 0;
    }
    return out;
  }

  private advance(n: number): void {
    this.off += n;
    this.consumed += n;
    while (this.buf < this.buffers.length && this.off >= this.buffers[this.buf]!.len) {
      this.off -= this.buffers[this.buf]!.len;
      this.buf++;
    }
  }
}

/** Writes a chain's device-writable buffers in order. */
export class ChainWriter {
  private buf = 0;
  private off = 0;
  private done = 0;
  readonly length: number;

  constructor(
    private readonly dma: GuestDma,
    private readonly buffers: readonly GuestBuffer[],
  ) {
    this.length = buffers.reduce((n, b) => n + b.len, 0);
  }

  get written(): number {
    return this.done;
  }

  get remaining(): number {
    return this.length - this.done;
  }

  /** Writes as much of src as fits; returns how many bytes. */
  write(src: Uint8Array): number {
    let pos = 0;
    while (pos < src.length && this.buf < this.buffers.length) {
      const b = this.buffers[this.buf]!;
      const n = Math.min(b.len - this.off, src.length - pos);
      if (n > 0) this.dma.write(b.addr + this.off, src.subarray(pos, pos + n));
      pos += n;
      this.off += n;
      this.done += n;
      while (this.buf < this.buffers.length && this.off >= this.buffers[this.buf]!.len) {
        this.off -= this.buffers[this.buf]!.len;
        this.buf++;
      }
    }
    return pos;
  }

  /** Where the next `n` bytes go, without writing them (they count as written). */
  reserve(n: number): GuestBuffer[] {
    const out: GuestBuffer[] = [];
    let left = Math.min(n, this.remaining);
    while (left > 0) {
      const b = this.buffers[this.buf]!;
      const k = Math.min(b.len - this.off, left);
      if (k > 0) out.push({ addr: b.addr + this.off, len: k });
      this.off += k;
      this.done += k;
      left -= k;
      while (this.buf < this.buffers.length && this.off >= this.buffers[this.buf]!.len) {
        this.off -= this.buffers[this.buf]!.len;
        this.buf++;
      }
    }
    return out;
  }
}
