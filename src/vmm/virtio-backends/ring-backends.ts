/**
 * The machine thread's ends of host resources that live on the main thread: a network link
 * (frames through two FrameRings) and a character device (bytes through two SharedRings, as
 * the serial ports have). The main thread owns the sockets, the terminal and the files and
 * wakes the machine thread (REQ_INPUT) when input arrived.
 */
import type { CharBackend, NetBackend } from '../../devices/virtio/backends.js';
import { FrameRing, type FrameRingDescriptor } from '../frame-ring.js';
import { SharedRing, type RingDescriptor } from '../ring.js';

export interface NetRings {
  /** Frames from the network to the guest (main thread writes). */
  readonly rx: FrameRingDescriptor;
  /** Frames from the guest to the network (machine thread writes). */
  readonly tx: FrameRingDescriptor;
}

export class RingNetBackend implements NetBackend {
  private readonly rx: FrameRing;
  private readonly tx: FrameRing;
  private next: Uint8Array | undefined;
  /** Frames the guest sent while the transmit ring was full (a congested link drops them). */
  dropped = 0;

  constructor(rings: NetRings) {
    this.rx = new FrameRing(rings.rx);
    this.tx = new FrameRing(rings.tx);
  }

  send(frame: Uint8Array): void {
    if (!this.tx.tryWrite(frame)) this.dropped++;
  }

  peek(): Uint8Array | undefined {
    this.next ??= this.rx.peek();
    return this.next;
  }

  take(): void {
    this.next = undefined;
    this.rx.take();
  }
}

export interface CharRings {
  readonly out: RingDescriptor;
  readonly in: RingDescriptor;
}

export class RingCharBackend implements CharBackend {
  private readonly out: SharedRing;
  private readonly input: SharedRing;

  constructor(rings: CharRings) {
    this.out = new SharedRing(rings.out);
    this.input = new SharedRing(rings.in);
  }

  write(bytes: Uint8Array): void {
    // Waits (machine thread) while the host side drains, as the UART does: nothing is lost.
    let done = 0;
    while (done < bytes.length) {
      const n = this.out.write(bytes.subarray(done));
      done += n;
      if (done < bytes.length) {
        if (this.out.closed) return;
        this.out.writeByteBlocking(bytes[done]!);
        done++;
      }
    }
  }

  read(max: number): Uint8Array {
    const out: number[] = [];
    while (out.length < max) {
      const b = this.input.readByte();
      if (b < 0) break;
      out.push(b);
    }
    return Uint8Array.from(out);
  }
}

/** A character device nobody listens to (`-chardev null`): output discarded, no input. */
export const nullChar: CharBackend = { write: () => {}, read: () => new Uint8Array(0) };
