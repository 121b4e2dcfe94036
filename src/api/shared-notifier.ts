/**
 * An EventNotifier in shared memory, for accelerators without kernel eventfds (e500): a
 * counter word that any thread holding the buffer can signal, read and wait on, and an
 * optional doorbell — a word of the consumer's control block that a signal also sets and
 * wakes, so a vCPU sleeping for an interrupt notices an irqEvent at once.
 *
 * A notifier crosses threads as its `share()` (structured-cloneable) and is rebuilt there
 * with `SharedNotifier.open`. Between processes there is no shared memory: a device process
 * raises interrupts through its route's event channel (docs/device-routes.md) instead.
 */
import type { EventNotifier } from './events.js';

/** Word 0: the count; word 1: non-zero once closed. */
const COUNT = 0;
const CLOSED = 1;

export interface NotifierShare {
  readonly buffer: SharedArrayBuffer;
  readonly doorbell: SharedArrayBuffer | null;
  readonly doorbellIndex: number;
  /**
   * Word of the doorbell buffer a signal also wakes (the one its owner sleeps on), and the
   * bit it sets there first: a sleeper that checked for events just before the signal still
   * finds its word changed and does not sleep through it.
   */
  readonly wakeIndex: number;
  readonly wakeBit: number;
}

export class SharedNotifier implements EventNotifier {
  readonly fd = -1;
  private readonly words: Int32Array;
  private readonly bell: Int32Array | null;

  private constructor(private readonly shared: NotifierShare) {
    this.words = new Int32Array(shared.buffer);
    this.bell = shared.doorbell === null ? null : new Int32Array(shared.doorbell);
  }

  static create(doorbell: { buffer: SharedArrayBuffer; index: number; wakeIndex: number; wakeBit: number } | null = null): SharedNotifier {
    return new SharedNotifier({
      buffer: new SharedArrayBuffer(8),
      doorbell: doorbell?.buffer ?? null,
      doorbellIndex: doorbell?.index ?? 0,
      wakeIndex: doorbell?.wakeIndex ?? 0,
      wakeBit: doorbell?.wakeBit ?? 0,
    });
  }

  /** The notifier on another thread, from what `share()` posted there. */
  static open(share: NotifierShare): SharedNotifier {
    return new SharedNotifier(share);
  }

  share(): NotifierShare {
    return this.shared;
  }

  get closed(): boolean {
    return Atomics.load(this.words, CLOSED) !== 0;
  }

  read(): number {
    return Atomics.exchange(this.words, COUNT, 0);
  }

  wait(timeoutMs?: number): boolean {
    if (Atomics.load(this.words, COUNT) !== 0) return true;
    Atomics.wait(this.words, COUNT, 0, timeoutMs);
    return Atomics.load(this.words, COUNT) !== 0;
  }

  /**
   * The event-loop form of `wait`: resolves at once when signalled, else at the next signal,
   * close or `wake()`; true when the count is non-zero (left for `read`).
   */
  async waitAsync(): Promise<boolean> {
    if (Atomics.load(this.words, COUNT) === 0 && !this.closed) await Atomics.waitAsync(this.words, COUNT, 0).value;
    return Atomics.load(this.words, COUNT) !== 0;
  }

  /** Ends a `waitAsync` (or `wait`) of this notifier on any thread without signalling it. */
  wake(): void {
    Atomics.notify(this.words, COUNT);
  }

  signal(): void {
    if (this.closed) return;
    Atomics.add(this.words, COUNT, 1);
    Atomics.notify(this.words, COUNT);
    const b = this.bell;
    if (b !== null) {
      Atomics.store(b, this.shared.doorbellIndex, 1);
      Atomics.or(b, this.shared.wakeIndex, this.shared.wakeBit);
      Atomics.notify(b, this.shared.wakeIndex);
    }
  }

  close(): void {
    Atomics.store(this.words, CLOSED, 1);
    // A thread blocked in wait() returns (false) instead of sleeping on a dead notifier.
    Atomics.notify(this.words, COUNT);
  }
}
