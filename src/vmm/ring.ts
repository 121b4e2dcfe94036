/**
 * A single-producer, single-consumer byte ring in shared memory, for console bytes between
 * the main thread and a vCPU thread without a message per byte.
 *
 * The producer publishes `head` after writing; the consumer publishes `tail` after reading.
 * Either side may sleep on the other's index (Atomics.wait on a worker, Atomics.waitAsync on
 * the main thread). Capacity is a power of two; indexes run freely and wrap at 2^32.
 *
 * A producer blocked on a full ring sleeps on a wake counter instead of `tail`: the consumer
 * bumps it when it takes bytes, and so can anyone else who needs the producer to look up
 * (`wakeProducer`: the VMM asking its machine thread to quit or to serve the monitor while
 * the guest waits for a console nobody reads).
 */
const HEAD = 0;
const TAIL = 1;
const CLOSED = 2;
const WAKE = 3;
const HEADER_WORDS = 4;

export interface RingDescriptor {
  readonly buffer: SharedArrayBuffer;
}

export class SharedRing {
  readonly buffer: SharedArrayBuffer;
  private readonly idx: Int32Array;
  private readonly data: Uint8Array;
  private readonly mask: number;

  static create(capacity = 1 << 16): SharedRing {
    if ((capacity & (capacity - 1)) !== 0) throw new Error('ring capacity must be a power of two');
    return new SharedRing({ buffer: new SharedArrayBuffer(HEADER_WORDS * 4 + capacity) });
  }

  constructor(desc: RingDescriptor) {
    this.buffer = desc.buffer;
    this.idx = new Int32Array(this.buffer, 0, HEADER_WORDS);
    this.data = new Uint8Array(this.buffer, HEADER_WORDS * 4);
    this.mask = this.data.length - 1;
  }

  descriptor(): RingDescriptor {
    return { buffer: this.buffer };
  }

  get capacity(): number {
    return this.data.length;
  }

  /** Bytes waiting to be read. */
  available(): number {
    return (Atomics.load(this.idx, HEAD) - Atomics.load(this.idx, TAIL)) >>> 0;
  }

  free(): number {
    return this.capacity - this.available();
  }

  /** Writes as much of `bytes` as fits; returns how many were written. Producer side. */
  write(bytes: Uint8Array): number {
    const head = Atomics.load(this.idx, HEAD);
    const n = Math.min(bytes.length, this.free());
    for (let k = 0; k < n; k++) this.data[(head + k) & this.mask] = bytes[k]!;
    if (n > 0) {
      Atomics.store(this.idx, HEAD, (head + n) | 0);
      Atomics.notify(this.idx, HEAD);
    }
    return n;
  }

  /**
   * Writes one byte, sleeping (worker threads only) while the ring is full. Each time the
   * producer is woken without room, `giveUp` is asked whether to stop waiting: then, or when
   * the ring is closed, the byte is not written and the result is false.
   */
  writeByteBlocking(byte: number, giveUp?: () => boolean): boolean {
    for (;;) {
      const wake = Atomics.load(this.idx, WAKE);
      const head = Atomics.load(this.idx, HEAD);
      const tail = Atomics.load(this.idx, TAIL);
      if (((head - tail) >>> 0) < this.capacity) {
        this.data[head & this.mask] = byte;
        Atomics.store(this.idx, HEAD, (head + 1) | 0);
        Atomics.notify(this.idx, HEAD);
        return true;
      }
      if (this.closed || giveUp?.() === true) return false;
      // Any change of the wake counter since it was read ends the wait at once: no lost wake-up.
      Atomics.wait(this.idx, WAKE, wake);
    }
  }

  /** Makes a producer blocked in writeByteBlocking look again (and ask its `giveUp`). Any thread. */
  wakeProducer(): void {
    Atomics.add(this.idx, WAKE, 1);
    Atomics.notify(this.idx, WAKE);
  }

  /** Next byte or -1. Consumer side. */
  readByte(): number {
    const tail = Atomics.load(this.idx, TAIL);
    if (tail === Atomics.load(this.idx, HEAD)) return -1;
    const b = this.data[tail & this.mask]!;
    Atomics.store(this.idx, TAIL, (tail + 1) | 0);
    Atomics.notify(this.idx, TAIL);
    this.wakeProducer();
    return b;
  }

  /** Everything waiting, as one copy. Consumer side. */
  drain(): Uint8Array {
    const tail = Atomics.load(this.idx, TAIL);
    const n = (Atomics.load(this.idx, HEAD) - tail) >>> 0;
    const out = new Uint8Array(n);
    for (let k = 0; k < n; k++) out[k] = this.data[(tail + k) & this.mask]!;
    if (n > 0) {
      Atomics.store(this.idx, TAIL, (tail + n) | 0);
      Atomics.notify(this.idx, TAIL);
      this.wakeProducer();
    }
    return out;
  }

  /** Resolves when data may be available (main thread). */
  async waitForData(timeoutMs?: number): Promise<void> {
    const head = Atomics.load(this.idx, HEAD);
    if (head !== Atomics.load(this.idx, TAIL)) return;
    const r = Atomics.waitAsync(this.idx, HEAD, head, timeoutMs);
    if (r.async) await r.value;
  }

  /** Resolves when the consumer may have taken bytes (main thread, producer side). */
  async waitForConsumer(timeoutMs?: number): Promise<void> {
    const tail = Atomics.load(this.idx, TAIL);
    if (tail === Atomics.load(this.idx, HEAD)) return;
    const r = Atomics.waitAsync(this.idx, TAIL, tail, timeoutMs);
    if (r.async) await r.value;
  }

  close(): void {
    Atomics.store(this.idx, CLOSED, 1);
    Atomics.notify(this.idx, HEAD);
    Atomics.notify(this.idx, TAIL);
    this.wakeProducer();
  }

  get closed(): boolean {
    return Atomics.load(this.idx, CLOSED) !== 0;
  }
}
