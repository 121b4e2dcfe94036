/**
 * The host ends of the guest's network links (main thread), QEMU's `-netdev`:
 *
 *  - `socket,listen=HOST:PORT` / `socket,connect=HOST:PORT`: two VMs joined by a TCP stream
 *    in QEMU's framing (each frame preceded by its length as a 32-bit big-endian number), so
 *    an ngkvm VM and a QEMU VM can be on one link. The listening side takes one peer at a
 *    time and listens again when it leaves; the connecting side connects at start-up (a
 *    refused connection is an error, as in QEMU). Frames sent while no peer is there are
 *    dropped, as on an unplugged cable.
 *  - `tap,ifname=NAME`: a Linux tap interface (tap.ts), read by a small worker thread.
 *
 * Frames reach the machine thread through a FrameRing; when the guest cannot keep up they
 * wait here (a bounded queue; the socket is paused while it is full) rather than being lost.
 */
import { writeSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import type { NetdevSpec } from './config.js';
import { FrameRing } from './frame-ring.js';
import { HostSetupError } from './setup-error.js';
import type { NetRings } from './virtio-backends/ring-backends.js';
import { TapError, closeTap, openTap } from './virtio-backends/tap.js';
import type { TapReaderData } from './virtio-backends/tap-reader.js';

/** A netdev that cannot be set up: the host's HostSetupError for the 'netdev' end. */
export class NetdevSetupError extends HostSetupError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('netdev', message, options);
  }
}

/** QEMU's NET_BUFSIZE: a peer announcing a longer frame is broken, and is disconnected. */
export const MAX_SOCKET_FRAME = 4096 + 65536;
const RING_BYTES = 1 << 20;
/** Frames held here while the guest's ring is full, before the socket is paused. */
const BACKLOG_FRAMES = 256;

export interface NetdevHost {
  readonly id: string;
  readonly rings: NetRings;
  open(): Promise<void>;
  close(): Promise<void>;
}

export function createNetdevHost(spec: NetdevSpec, wake: () => void, log: (line: string) => void): NetdevHost {
  return spec.kind === 'tap' ? new TapNetdev(spec.id, spec.ifname, wake, log) : new SocketNetdev(spec, wake, log);
}

/** What both kinds share: the rings, the transmit pump and the receive backlog. */
abstract class RingNetdev implements NetdevHost {
  readonly rings: NetRings;
  protected readonly rx = FrameRing.create(RING_BYTES);
  protected readonly tx = FrameRing.create(RING_BYTES);
  private backlog: Uint8Array[] = [];
  private feeding = false;
  private stopped = false;
  private pump: Promise<void> | undefined;

  constructor(
    readonly id: string,
    protected readonly wake: () => void,
    protected readonly log: (line: string) => void,
  ) {
    this.rings = { rx: this.rx.descriptor(), tx: this.tx.descriptor() };
  }

  abstract open(): Promise<void>;
  /** Sends one frame from the guest to the network. */
  protected abstract transmit(frame: Uint8Array): void;
  protected abstract closeLink(): Promise<void>;
  /** The backlog is full (pause the source) or has room again (resume it). */
  protected flowControl(_full: boolean): void {}

  protected startPump(): void {
    this.pump = (async () => {
      while (!this.stopped) {
        await this.tx.waitForData(200);
        for (let f = this.tx.peek(); f !== undefined; f = this.tx.peek()) {
          this.tx.take();
          this.transmit(f);
        }
      }
    })();
  }

  /** A frame from the network for the guest. */
  protected deliver(frame: Uint8Array): void {
    if (frame.length > this.rx.maxFrame) return;
    if (this.backlog.length === 0 && this.rx.tryWrite(frame)) {
      this.wake();
      return;
    }
    this.backlog.push(frame);
    if (this.backlog.length >= BACKLOG_FRAMES) this.flowControl(true);
    void this.feed();
  }

  private async feed(): Promise<void> {
    if (this.feeding) return;
    this.feeding = true;
    try {
      while (!this.stopped && this.backlog.length > 0) {
        if (this.rx.tryWrite(this.backlog[0]!)) {
          this.backlog.shift();
          if (this.backlog.length === BACKLOG_FRAMES - 1) this.flowControl(false);
          this.wake();
          continue;
        }
        await this.rx.waitForRoom(50);
      }
    } finally {
      this.feeding = false;
    }
  }

  async close(): Promise<void> {
    this.stopped = true;
    this.rx.close();
    this.tx.close();
    await this.pump;
    await this.closeLink();
  }
}

class SocketNetdev extends RingNetdev {
  private server: Server | undefined;
  private peer: Socket | undefined;
  private readonly spec: Extract<NetdevSpec, { kind: 'socket' }>;

  constructor(spec: Extract<NetdevSpec, { kind: 'socket' }>, wake: () => void, log: (line: string) => void) {
    super(spec.id, wake, log);
    this.spec = spec;
  }

  async open(): Promise<void> {
    const { spec } = this;
    if (spec.mode === 'listen') {
      const server = createServer({ noDelay: true });
      this.server = server;
      await new Promise<void>((resolve, reject) => {
        server.once('error', (err: NodeJS.ErrnoException) => reject(new NetdevSetupError(`netdev ${this.id}: cannot listen on ${spec.host}:${spec.port}: ${err.code ?? err.message}`)));
        server.listen(spec.port, spec.host, () => resolve());
      });
      const addr = server.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : spec.port;
      this.log(`ngkvm: netdev ${this.id}: listening on ${spec.host}:${port}`);
      server.on('connection', (socket) => {
        if (this.peer !== undefined && !this.peer.destroyed) {
          socket.destroy();
          return;
        }
        this.attach(socket);
      });
    } else {
      const socket = await new Promise<Socket>((resolve, reject) => {
        const s = connect({ host: spec.host, port: spec.port, noDelay: true });
        s.once('connect', () => resolve(s));
        s.once('error', (err: NodeJS.ErrnoException) => reject(new NetdevSetupError(`netdev ${this.id}: cannot connect to ${spec.host}:${spec.port}: ${err.code ?? err.message}`)));
      });
      this.attach(socket);
    }
    this.startPump();
  }

  private attach(socket: Socket): void {
    this.peer = socket;
    socket.setNoDelay(true);
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let at = 0;
      while (pending.length - at >= 4) {
        const len = pending.readUInt32BE(at);
        if (len > MAX_SOCKET_FRAME) {
          this.log(`ngkvm: netdev ${this.id}: the peer sent a ${len}-byte frame (at most ${MAX_SOCKET_FRAME}); connection closed`);
          socket.destroy();
          return;
        }
        if (pending.length - at < 4 + len) break;
        this.deliver(new Uint8Array(pending.subarray(at + 4, at + 4 + len)));
        at += 4 + len;
      }
      pending = at === 0 ? pending : pending.subarray(at);
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      if (this.peer === socket) this.peer = undefined;
    });
  }

  protected override flowControl(full: boolean): void {
    if (full) this.peer?.pause();
    else this.peer?.resume();
  }

  protected transmit(frame: Uint8Array): void {
    const p = this.peer;
    if (p === undefined || p.destroyed) return;
    const header = Buffer.alloc(4);
    header.writeUInt32BE(frame.length, 0);
    p.write(header);
    p.write(frame);
  }

  protected async closeLink(): Promise<void> {
    this.peer?.end();
    this.peer?.destroy();
    await new Promise<void>((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())));
  }
}

class TapNetdev extends RingNetdev {
  private fd = -1;
  private reader: Worker | undefined;
  private readonly stop = new SharedArrayBuffer(4);

  constructor(
    id: string,
    private readonly ifname: string,
    wake: () => void,
    log: (line: string) => void,
  ) {
    super(id, wake, log);
  }

  async open(): Promise<void> {
    try {
      this.fd = openTap(this.ifname);
    } catch (e) {
      if (e instanceof TapError) throw new NetdevSetupError(`netdev ${this.id}: ${e.message}`);
      throw e;
    }
    const data: TapReaderData = { fd: this.fd, ring: this.rx.descriptor(), stop: this.stop };
    const reader = new Worker(new URL('./virtio-backends/tap-reader.js', import.meta.url), { workerData: data });
    this.reader = reader;
    reader.on('message', (m: { type: string; message?: string }) => {
      if (m.type === 'frames') this.wake();
      else this.log(`ngkvm: netdev ${this.id}: ${m.message ?? 'the tap reader stopped'}`);
    });
    reader.on('error', (err) => this.log(`ngkvm: netdev ${this.id}: the tap reader failed: ${err.message}`));
    this.startPump();
    await Promise.resolve();
  }

  protected transmit(frame: Uint8Array): void {
    try {
      writeSync(this.fd, frame);
    } catch {
      // The interface is down or its queue is full: the frame is lost, as on a wire.
    }
  }

  protected async closeLink(): Promise<void> {
    Atomics.store(new Int32Array(this.stop), 0, 1);
    await this.reader?.terminate();
    if (this.fd >= 0) closeTap(this.fd);
    this.fd = -1;
  }
}
