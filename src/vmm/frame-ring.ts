/**
 * A single-producer, single-consumer ring of whole frames in shared memory, for network
 * frames between the main thread (sockets, tap) and the machine thread (virtio-net). A frame
 * is a 32-bit little-endian length and its bytes; the producer publishes `head` only after a
 * whole frame is in, so the consumer never sees half a frame. A frame that does not fit is
 * not written (tryWrite says so): the producer keeps it or drops it.
 */
const HEAD = 0;
const TAIL = 1;
const CLOSED = 2;
const HEADER_WORDS = 4;
const LEN = 4;

export interface FrameRingDescriptor {
  readonly buffer: SharedArrayBuffer;
}

export class FrameRing {
  readonly buffer: SharedArrayBuffer;
  private readonly idx: Int32Array;
  private readonly data: Uint8Array;
  private readonly mask: number;

  static create(capacity = 1 << 20): FrameRing {
    if ((capacity & (capacity - 1)) !== 0) throw new Error('frame ring capacity must be a power of two');
    return new FrameRing({ buffer: new SharedArrayBuffer(HEADER_WORDS * 4 + capacity) });
  }

  constructor(desc: FrameRingDescriptor) {
    this.buffer = desc.buffer;
    this.idx = new Int32Array(this.buffer, 0, HEADER_WORDS);
    this.data = new Uint8Array(this.buffer, HEADER_WORDS * 4);
    this.mask = this.data.length - 1;
  }

  descriptor(): FrameRingDescriptor {
    return { buffer: this.buffer };
  }

  /** Largest frame the ring can ever hold. */
  get maxFrame(): number {
    return this.data.length - LEN;
  }

  private used(): number {
    return (Atomics.load(this.idx, HEAD) - Atomics.load(this.idx, TAIL)) >>> 0;
  }

  /** Producer: writes the whole frame, or nothing (false) when there is no room. */
  tryWrite(frame: Uint8Array): boolean {
    const need = LEN + frame.length;
    if (need > this.data.length - this.used()) return false;
    const head = Atomics.load(this.idx, HEAD);
    const len = frame.length;
    for (let k = 0; k < LEN; k++) this.data[(head + k) & this.mask] = (len >>> (8 * k)) & 0xff;
    for (let k = 0; k < len; k++) this.data[(head + LEN + k) & this.mask] = frame[k]!;
    Atomics.store(this.idx, HEAD, (head + need) | 0);
    Atomics.notify(this.idx, HEAD);
    return true;
  }

  /** Consumer: a copy of the next frame, without taking it. */
  peek(): Uint8Array | undefined {
    if (this.used() === 0) return undefined;
    const tail = Atomics.load(this.idx, TAIL);
    let len = 0;
    for (let k = LEN - 1; k >= 0; k--) len = len * 256 + this.data[(tail + k) & this.mask]!;
    const out = new Uint8Array(len);
    for (let k = 0; k < len; k++) out[k] = this.data[(tail + LEN + k) & this.mask]!;
    return out;
  }

  /** Consumer: drops the next frame. */
  take(): void {
    if (this.used() === 0) return;
    const tail = Atomics.load(this.idx, TAIL);
    let len = 0;
    for (let k = LEN - 1; k >= 0; k--) len = len * 256 + this.data[(tail + k) & this.mask]!;
    Atomics.store(this.idx, TAIL, (tail + LEN + len) | 0);
    Atomics.notify(this.idx, TAIL);
  }

  /** Resolves when a frame may be waiting (main thread, consumer side). */
  async waitForData(timeoutMs?: number): Promise<void> {
    const head = Atomics.load(this.idx, HEAD);
    if (head !== Atomics.load(this.idx, TAIL)) return;
    const r = Atomics.waitAsync(this.idx, HEAD, head, timeoutMs);
    if (r.async) await r.value;
  }

  /** Resolves when the consumer may have taken frames (main thread, producer side). */
  async waitForRoom(timeoutMs?: number): Promise<void> {
    const tail = Atomics.load(this.idx, TAIL);
    if (tail === Atomics.load(this.idx, HEAD)) return;
    const r = Atomics.waitAsync(this.idx, TAIL, tail, timeoutMs);
    if (r.async) await r.value;
  }

  /** Sleeps (worker threads only) until the consumer may have taken frames, or the time passes. */
  waitForRoomSync(timeoutMs: number): void {
    const tail = Atomics.load(this.idx, TAIL);
    if (tail === Atomics.load(this.idx, HEAD)) return;
    Atomics.wait(this.idx, TAIL, tail, timeoutMs);
  }

  close(): void {
    Atomics.store(this.idx, CLOSED, 1);
    Atomics.notify(this.idx, HEAD);
    Atomics.notify(this.idx, TAIL);
  }

  get closed(): boolean {
    return Atomics.load(this.idx, CLOSED) !== 0;
  }
}
