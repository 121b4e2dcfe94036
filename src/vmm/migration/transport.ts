/**
 * How migration bytes leave and reach the machine thread. Files are read and written here
 * synchronously. A TCP connection belongs to the main thread (host-side.ts), which owns all
 * sockets: the machine thread hands it chunks (transferred, not copied) and reads how much
 * it has written from shared memory, so a slow link holds the sender back; on the
 * destination the main thread hands received chunks over the same port.
 */
import { closeSync, fsyncSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { MigrationSink } from './outgoing.js';
import { MigrationError, type ByteSource } from './stream.js';

/** Machine → main thread. */
export type MigrationRequest =
  | { readonly kind: 'connect'; readonly host: string; readonly port: number }
  | { readonly kind: 'data'; readonly bytes: Uint8Array }
  /** Everything is sent: close the connection once written. */
  | { readonly kind: 'end' }
  | { readonly kind: 'abort' };

/** Main → machine thread. */
export type MigrationEvent =
  | { readonly kind: 'connected' }
  | { readonly kind: 'data'; readonly bytes: Uint8Array }
  | { readonly kind: 'eof' }
  | { readonly kind: 'error'; readonly message: string };

/**
 * Shared words: [0] changes (and is notified) with every event posted to the machine
 * thread; [1] the outgoing link's state; bytes 8–15 the bytes the main thread has written.
 */
export const MIGRATION_SHARED_BYTES = 16;
export const LINK_OPEN = 0;
export const LINK_CLOSED = 1;
export const LINK_FAILED = 2;

export class MigrationShared {
  readonly words: Int32Array;
  readonly written: BigInt64Array;
  constructor(readonly buffer: SharedArrayBuffer) {
    this.words = new Int32Array(buffer, 0, 2);
    this.written = new BigInt64Array(buffer, 8, 1);
  }
  /** Main thread: an event was posted. */
  signal(): void {
    Atomics.add(this.words, 0, 1);
    Atomics.notify(this.words, 0);
  }
}

/** At most this much may wait in the main thread's queue (the link's backpressure). */
const IN_FLIGHT_BYTES = 4 * 1024 * 1024;

/** The outgoing end over the main thread's TCP connection. */
export class ChannelSink implements MigrationSink {
  private connected = false;
  private error: string | undefined;
  private posted = 0;

  constructor(
    private readonly port: MessagePort,
    private readonly shared: MigrationShared,
    host: string,
    tcpPort: number,
  ) {
    // A previous migration's state is reset here: the main thread starts a new link.
    Atomics.store(shared.words, 1, LINK_OPEN);
    Atomics.store(shared.written, 0, 0n);
    port.postMessage({ kind: 'connect', host, port: tcpPort } satisfies MigrationRequest);
  }

  private drain(): void {
    for (let m = receiveMessageOnPort(this.port); m !== undefined; m = receiveMessageOnPort(this.port)) {
      const e = m.message as MigrationEvent;
      if (e.kind === 'connected') this.connected = true;
      else if (e.kind === 'error') this.error ??= e.message;
    }
  }

  room(): number {
    this.drain();
    if (!this.connected || this.error !== undefined) return 0;
    return Math.max(0, IN_FLIGHT_BYTES - this.inFlight());
  }

  inFlight(): number {
    return this.posted - Number(Atomics.load(this.shared.written, 0));
  }

  send(bytes: Uint8Array): void {
    this.posted += bytes.length;
    this.port.postMessage({ kind: 'data', bytes } satisfies MigrationRequest, [bytes.buffer as ArrayBuffer]);
  }

  close(): void {
    this.port.postMessage({ kind: 'end' } satisfies MigrationRequest);
  }

  closed(): boolean {
    return Atomics.load(this.shared.words, 1) === LINK_CLOSED;
  }

  failure(): string | undefined {
    this.drain();
    if (this.error === undefined && Atomics.load(this.shared.words, 1) === LINK_FAILED) return 'the connection failed';
    return this.error;
  }

  abort(): void {
    this.port.postMessage({ kind: 'abort' } satisfies MigrationRequest);
  }
}

/** A snapshot file: written beside its final name and renamed when complete and synced. */
export class FileSink implements MigrationSink {
  private readonly fd: number;
  private readonly partial: string;

  constructor(private readonly path: string) {
    this.partial = `${path}.partial`;
    try {
      this.fd = openSync(this.partial, 'w', 0o600);
    } catch (err) {
      throw new MigrationError(`cannot write ${this.partial}: ${(err as Error).message}`);
    }
  }

  room(): number {
    return Infinity;
  }

  inFlight(): number {
    return 0;
  }

  send(bytes: Uint8Array): void {
    try {
      for (let done = 0; done < bytes.length; ) done += writeSync(this.fd, bytes, done);
    } catch (err) {
      throw new MigrationError(`writing ${this.partial}: ${(err as Error).message}`);
    }
  }

  private done = false;

  close(): void {
    try {
      fsyncSync(this.fd);
      closeSync(this.fd);
      renameSync(this.partial, this.path);
    } catch (err) {
      throw new MigrationError(`finishing ${this.path}: ${(err as Error).message}`);
    }
    this.done = true;
  }

  closed(): boolean {
    return this.done;
  }

  failure(): string | undefined {
    return undefined;
  }

  abort(): void {
    try {
      closeSync(this.fd);
    } catch {
      // Already closed by finish().
    }
    rmSync(this.partial, { force: true });
  }
}

export class FileSource implements ByteSource {
  private readonly fd: number;
  constructor(path: string) {
    try {
      this.fd = openSync(path, 'r');
    } catch (err) {
      throw new MigrationError(`cannot read ${path}: ${(err as Error).message}`);
    }
  }
  read(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const k = readSync(this.fd, out, got, n - got, null);
      if (k === 0) break;
      got += k;
    }
    return got === n ? out : out.subarray(0, got);
  }
  close(): void {
    closeSync(this.fd);
  }
}

/**
 * The incoming end over the main thread's connection. `idle` runs while waiting (serves the
 * monitor, notices a quit by throwing).
 */
export class ChannelSource implements ByteSource {
  private readonly chunks: Uint8Array[] = [];
  private buffered = 0;
  private eof = false;
  private error: string | undefined;

  constructor(
    private readonly port: MessagePort,
    private readonly shared: MigrationShared,
    private readonly idle: () => void,
  ) {}

  private drain(): void {
    for (let m = receiveMessageOnPort(this.port); m !== undefined; m = receiveMessageOnPort(this.port)) {
      const e = m.message as MigrationEvent;
      if (e.kind === 'data') {
        this.chunks.push(e.bytes);
        this.buffered += e.bytes.length;
      } else if (e.kind === 'eof') this.eof = true;
      else if (e.kind === 'error') this.error ??= e.message;
    }
  }

  read(n: number): Uint8Array {
    // Draining the port costs a call into the runtime: only when what is buffered is short.
    while (this.buffered < n && !this.eof && this.error === undefined) {
      const seen = Atomics.load(this.shared.words, 0);
      this.drain();
      if (this.buffered >= n || this.eof || this.error !== undefined) break;
      this.idle();
      Atomics.wait(this.shared.words, 0, seen, 50);
    }
    if (this.buffered < n && this.error !== undefined) throw new MigrationError(this.error);
    const first = this.chunks[0];
    if (first !== undefined && first.length >= n) {
      // Inside one received chunk (most pages): a view, no copy (chunks are never reused).
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return first.subarray(0, n);
    }
    const take = Math.min(n, this.buffered);
    const out = new Uint8Array(take);
    let at = 0;
    while (at < take) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, take - at);
      out.set(c.subarray(0, k), at);
      at += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.buffered -= take;
    return out;
  }
}
