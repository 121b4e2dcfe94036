/**
 * The listening end of one device route, on the VMM's main thread: a Unix socket (mode 0600)
 * that a device process connects to (and reconnects to after a restart), the hello exchange,
 * and the event channel (interrupts, MSIs, DMA) served from the event loop. The access
 * channel's descriptor is handed to whoever runs the vCPUs (`onAccess`), which speaks to it
 * synchronously; this side never reads it again.
 */
import { chmodSync, rmSync } from 'node:fs';
import net from 'node:net';
import {
  ErrorCode,
  FrameReader,
  MAX_DMA_CHUNK,
  MsgType,
  PROTOCOL_VERSION,
  ProtocolError,
  encode,
  type MemoryGrant,
  type Message,
  type RangeInfo,
} from '../../devices/remote/protocol.js';

export interface RouteServerOptions {
  /** Names the device in messages. */
  readonly name: string;
  readonly path: string;
  readonly ranges: readonly RangeInfo[];
  readonly guestOrder: 'big' | 'little';
  readonly memory: MemoryGrant;
  /** Interrupt lines the device may drive (IrqLevel lines 0 .. irqLines-1). */
  readonly irqLines: number;
  readonly log: (line: string) => void;
  /** A device connected: its access channel's descriptor. `release()` closes it (call when done with it). */
  onAccess(fd: number, release: () => void): void;
  onIrq(line: number, level: boolean): void;
  onMsi(address: bigint, data: number): void;
  /** Guest memory for DMA, already checked against the grant; a string is a refusal reason. */
  dmaRead(addr: number, length: number): Promise<Uint8Array | string>;
  dmaWrite(addr: number, data: Uint8Array): Promise<string | undefined>;
}

/** Node keeps a socket's descriptor on its internal handle; there is no public accessor. */
function socketFd(s: net.Socket): number {
  const fd = (s as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('the socket has no file descriptor');
  return fd;
}

export class RouteServer {
  private server: net.Server | null = null;
  private token = 0;
  private access: net.Socket | null = null;
  private events: net.Socket | null = null;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly opts: RouteServerOptions) {}

  /** Starts listening; resolves once the socket exists (mode 0600). */
  listen(): Promise<void> {
    rmSync(this.opts.path, { force: true });
    const server = net.createServer({ pauseOnConnect: false }, (s) => this.accept(s));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      // The socket is created with the process umask; narrow it to the owner at once (and
      // before any connection can be accepted: accept runs on this same event loop).
      server.listen(this.opts.path, () => {
        chmodSync(this.opts.path, 0o600);
        server.off('error', reject);
        resolve();
      });
    });
  }

  /** The access channel of the current device when it died; close it and forget it. */
  releaseAccess(fd: number): void {
    const s = this.access;
    if (s !== null && socketFd(s) === fd) {
      this.access = null;
      s.destroy();
    }
  }

  close(): void {
    this.server?.close();
    for (const s of this.sockets) s.destroy();
    rmSync(this.opts.path, { force: true });
  }

  private accept(s: net.Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => {});
    const reader = new FrameReader();
    const first = (b: Buffer): void => {
      let m: Message | undefined;
      try {
        reader.push(b);
        m = reader.next();
      } catch (e) {
        this.refuse(s, ErrorCode.Malformed, e instanceof ProtocolError ? e.message : String(e));
        return;
      }
      if (m === undefined) return;
      s.off('data', first);
      if (m.type === MsgType.DeviceHello) this.startAccess(s, m.version, m.name, reader);
      else if (m.type === MsgType.EventHello) this.startEvents(s, m.token, reader);
      else this.refuse(s, ErrorCode.Malformed, `a connection starts with DeviceHello or EventHello, not message type ${m.type}`);
    };
    s.on('data', first);
  }

  private refuse(s: net.Socket, code: ErrorCode, message: string): void {
    this.opts.log(`ngkvm: device ${this.opts.name}: ${message}; connection refused`);
    s.end(encode({ type: MsgType.Error, seq: 0, code, message }));
  }

  private startAccess(s: net.Socket, version: number, deviceName: string, reader: FrameReader): void {
    if (version !== PROTOCOL_VERSION) {
      this.refuse(s, ErrorCode.Version, `device speaks protocol version ${version}; this VMM speaks ${PROTOCOL_VERSION}`);
      return;
    }
    if (reader.pending > 0) {
      this.refuse(s, ErrorCode.Malformed, 'the device sent more before the hello was answered');
      return;
    }
    // A new device takes over: the old one's channels close.
    const old = { access: this.access, events: this.events };
    this.token = (this.token + 1) >>> 0 || 1;
    s.pause();
    // pause() alone lets libuv go on reading into the stream's buffer (up to its high-water
    // mark): this thread would take replies meant for the vCPU's synchronous reads.
    (s as unknown as { _handle?: { readStop?: () => number } })._handle?.readStop?.();
    this.access = s;
    this.events = null;
    const fd = socketFd(s);
    const hello = encode({ type: MsgType.Hello, seq: 0, version: PROTOCOL_VERSION, guestOrder: this.opts.guestOrder, ranges: this.opts.ranges, memory: this.opts.memory, token: this.token });
    // The descriptor changes hands only once the Hello is out, so it is the device's first message.
    s.write(hello, () => {
      if (this.access !== s) return;
      this.opts.log(`ngkvm: device ${this.opts.name}: "${deviceName}" connected`);
      this.opts.onAccess(fd, () => this.releaseAccess(fd));
    });
    old.access?.destroy();
    old.events?.destroy();
    if (old.events !== null) this.dropLines();
  }

  private dropLines(): void {
    for (let line = 0; line < this.opts.irqLines; line++) this.opts.onIrq(line, false);
  }

  private startEvents(s: net.Socket, token: number, reader: FrameReader): void {
    if (this.access === null || token !== this.token) {
      this.refuse(s, ErrorCode.Denied, 'event channel for no connected device (stale token)');
      return;
    }
    this.events?.destroy();
    this.events = s;
    // A device that disappears stops driving its lines (or a line it left high would raise
    // the interrupt again at every EOI, with nobody to clear it).
    s.on('close', () => {
      if (this.events !== s) return;
      this.events = null;
      this.dropLines();
    });
    const handle = (m: Message): void => void this.onEvent(s, m);
    const drain = (): void => {
      try {
        for (let m = reader.next(); m !== undefined; m = reader.next()) handle(m);
      } catch (e) {
        this.protocolError(s, e instanceof ProtocolError ? e.message : String(e));
      }
    };
    s.on('data', (b: Buffer) => {
      reader.push(b);
      drain();
    });
    drain();
  }

  private protocolError(s: net.Socket, message: string): void {
    this.opts.log(`ngkvm: device ${this.opts.name}: ${message}; the route is disabled until it reconnects`);
    s.end(encode({ type: MsgType.Error, seq: 0, code: ErrorCode.Malformed, message }));
    this.access?.destroy();
    this.access = null;
    if (this.events !== null) this.dropLines();
    this.events = null;
  }

  private async onEvent(s: net.Socket, m: Message): Promise<void> {
    if (s !== this.events) return;
    switch (m.type) {
      case MsgType.IrqLevel:
        if (m.line >= this.opts.irqLines) return this.protocolError(s, `interrupt line ${m.line} (the route has ${this.opts.irqLines})`);
        this.opts.onIrq(m.line, m.level === 1);
        return;
      case MsgType.Msi:
        this.opts.onMsi(m.address, m.data);
        return;
      case MsgType.DmaRead: {
        const r = await this.opts.dmaRead(m.addr, m.length);
        if (s !== this.events) return;
        if (typeof r === 'string') s.write(encode({ type: MsgType.Error, seq: m.seq, code: ErrorCode.Denied, message: r }));
        else s.write(encode({ type: MsgType.DmaData, seq: m.seq, data: r }));
        return;
      }
      case MsgType.DmaWrite: {
        if (m.data.length > MAX_DMA_CHUNK) return this.protocolError(s, 'DMA write too long');
        const refused = await this.opts.dmaWrite(m.addr, m.data);
        if (s !== this.events) return;
        s.write(refused === undefined ? encode({ type: MsgType.DmaAck, seq: m.seq }) : encode({ type: MsgType.Error, seq: m.seq, code: ErrorCode.Denied, message: refused }));
        return;
      }
      default:
        return this.protocolError(s, `unexpected message type ${m.type} on the event channel`);
    }
  }

  /** The guest acknowledged a level interrupt of `line`. */
  resample(line: number): void {
    this.events?.write(encode({ type: MsgType.Resample, seq: 0, line }));
  }
}
