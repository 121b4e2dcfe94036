/**
 * The VMM end of a device route whose device runs in another process: the access channel
 * of docs/device-routes.md, spoken synchronously on the vCPU's thread over the socket's file
 * descriptor (the main thread accepted the connection, did the hello exchange and handed
 * the descriptor over; it never reads it again).
 *
 * Node gives no blocking socket reads, so a reply is waited for by retrying a non-blocking
 * read: a short spin (a device process on the other core answers in tens of microseconds),
 * then short sleeps, checking `shouldAbort` (the vCPU's kick) so a slow or stuck device
 * never makes the vCPU unkickable. A device that is gone (EOF, a write error, a protocol
 * error) turns the endpoint dead: reads return all ones, writes are dropped, one log line,
 * until the main thread attaches a new connection.
 */
import { readSync, writeSync } from 'node:fs';
import type { RouteEndpoint } from '../../api/routes.js';
import { RouteInterrupted } from '../../api/routes.js';
import { ErrorCode, FrameReader, MsgType, ProtocolError, encode, type Message } from '../../devices/remote/protocol.js';

/** How the endpoint moves bytes; the fd-based one is below, tests use their own. */
export interface SyncChannel {
  /** Writes as much as it can without blocking; returns the count, -1 for "would block", or throws on a dead peer. */
  write(bytes: Uint8Array): number;
  /** Reads what is there; 0 at EOF, -1 for "nothing yet". Throws on a dead peer. */
  read(into: Uint8Array): number;
  close(): void;
}

export class FdChannel implements SyncChannel {
  constructor(readonly fd: number) {}

  write(bytes: Uint8Array): number {
    try {
      return writeSync(this.fd, bytes);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return -1;
      throw e;
    }
  }

  read(into: Uint8Array): number {
    try {
      return readSync(this.fd, into, 0, into.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return -1;
      throw e;
    }
  }

  /** The descriptor belongs to the main thread's socket object, which closes it. */
  close(): void {}
}

const SPIN_TRIES = 2000;
const SLEEP_MS = 0.2;
/** Posted writes are sent in batches of at most this many bytes. */
const QUEUE_LIMIT = 64 * 1024;

export interface SocketEndpointOptions {
  readonly log: (line: string) => void;
  /** True when the vCPU was kicked: a wait gives up (RouteInterrupted) and resumes on the next run. */
  readonly shouldAbort: () => boolean;
  /** Called when the connection turned dead (the main thread then closes the socket). */
  readonly onDead?: (reason: string) => void;
  /**
   * Work this thread must keep doing while it waits for the device (e.g. the DMA writes a
   * device process is waiting for before it can answer); called between waits.
   */
  readonly whileWaiting?: () => void;
}

interface Outstanding {
  readonly seq: number;
  readonly type: MsgType.Read | MsgType.Write | MsgType.Reset;
  readonly range: number;
  readonly offset: number;
  readonly size: number;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

export class SocketRouteEndpoint implements RouteEndpoint {
  private channel: SyncChannel | null = null;
  private reader = new FrameReader();
  private readonly rx = new Uint8Array(16 * 1024);
  private queue = new Uint8Array(QUEUE_LIMIT);
  private queued = 0;
  private seq = 1;
  private outstanding: Outstanding | null = null;
  /** Logged once per connection. */
  private deadLogged = false;
  constructor(
    readonly name: string,
    private readonly opts: SocketEndpointOptions,
  ) {}

  /** A device connected (hello exchanged): accesses go to it from now on. */
  attach(channel: SyncChannel): void {
    this.channel?.close();
    this.channel = channel;
    this.reader = new FrameReader();
    this.outstanding = null;
    this.queued = 0;
    this.deadLogged = false;
  }

  get connected(): boolean {
    return this.channel !== null;
  }

  get hasQueued(): boolean {
    return this.queued > 0;
  }

  read(range: number, offset: number, data: Uint8Array): void {
    const reply = this.transact(MsgType.Read, range, offset, data);
    if (reply === null) {
      data.fill(0xff);
      return;
    }
    if (reply.type !== MsgType.ReadReply || reply.data.length !== data.length) {
      this.kill(`answered a ${data.length}-byte read with message type ${reply.type}`, true);
      data.fill(0xff);
      return;
    }
    data.set(reply.data);
  }

  write(range: number, offset: number, data: Uint8Array): void {
    const reply = this.transact(MsgType.Write, range, offset, data);
    if (reply !== null && reply.type !== MsgType.WriteAck) this.kill(`answered a write with message type ${reply.type}`, true);
  }

  post(range: number, offset: number, data: Uint8Array): void {
    if (this.channel === null) return;
    const frame = encode({ type: MsgType.Write, seq: this.seq++, posted: true, range, offset, data });
    if (this.queued + frame.length > this.queue.length) this.flush();
    this.queue.set(frame, this.queued);
    this.queued += frame.length;
  }

  /**
   * Reset and ResetAck (docs/device-routes.md). Waits without giving up on a kick: the VMM
   * resets between runs, and an ack arriving after the wait was abandoned would answer a
   * later request. A dead device is left dead (it starts in reset state when it reconnects).
   */
  reset(): void {
    this.flushAll();
    if (this.channel === null) return;
    const seq = this.seq++;
    this.outstanding = { seq, type: MsgType.Reset, range: 0, offset: 0, size: 0 };
    if (this.sendAll(encode({ type: MsgType.Reset, seq }), true) < 0) return;
    const reply = this.awaitReply(false);
    if (reply !== null && reply.type !== MsgType.ResetAck) this.kill(`answered a reset with message type ${reply.type}`, true);
  }

  /** Every queued write, not stopping for kicks. */
  private flushAll(): void {
    while (this.queued > 0 && this.channel !== null) {
      const sent = this.sendAll(this.queue.subarray(0, this.queued), true);
      if (sent < 0) return;
      this.queued = 0;
    }
  }

  flush(): void {
    if (this.queued === 0 || this.channel === null) {
      this.queued = 0;
      return;
    }
    const bytes = this.queue.subarray(0, this.queued);
    const sent = this.sendAll(bytes, false);
    if (sent < bytes.length) {
      // Kicked while the device did not take them: keep the rest, in order, for later.
      this.queue.copyWithin(0, sent, this.queued);
      this.queued -= sent;
    } else {
      this.queued = 0;
    }
  }

  /**
   * Sends a request (after everything queued) and waits for its reply; null when there is
   * no device (or it died meanwhile). Re-entered after a kick with the same access, it
   * keeps waiting for the reply of the request already sent.
   */
  private transact(type: MsgType.Read | MsgType.Write, range: number, offset: number, data: Uint8Array): Message | null {
    if (this.channel === null) return null;
    const o = this.outstanding;
    if (o === null || o.type !== type || o.range !== range || o.offset !== offset || o.size !== data.length) {
      this.flush();
      if (this.queued > 0) throw new RouteInterrupted();
      if (this.channel === null) return null;
      const seq = this.seq++;
      const frame =
        type === MsgType.Read
          ? encode({ type, seq, range, size: data.length, offset })
          : encode({ type, seq, posted: false, range, offset, data });
      this.outstanding = { seq, type, range, offset, size: data.length };
      if (this.sendAll(frame, true) < 0) return null;
    }
    return this.awaitReply();
  }

  private awaitReply(abortable = true): Message | null {
    let tries = 0;
    for (;;) {
      const ch = this.channel;
      const o = this.outstanding;
      if (ch === null || o === null) return null;
      let m: Message | undefined;
      try {
        m = this.reader.next();
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        this.kill(`sent a malformed message: ${e.message}`, true);
        return null;
      }
      if (m !== undefined) {
        if (m.type === MsgType.Error) {
          this.kill(`reported an error: ${m.message}`, false);
          return null;
        }
        if (m.seq !== o.seq) {
          this.kill(`answered request ${o.seq} with sequence number ${m.seq}`, true);
          return null;
        }
        this.outstanding = null;
        return m;
      }
      let n: number;
      try {
        n = ch.read(this.rx);
      } catch (e) {
        this.kill(`connection failed (${(e as NodeJS.ErrnoException).code ?? String(e)})`, false);
        return null;
      }
      if (n === 0) {
        this.kill('closed its connection', false);
        return null;
      }
      if (n > 0) {
        this.reader.push(this.rx.subarray(0, n));
        tries = 0;
        continue;
      }
      if (++tries > SPIN_TRIES) {
        if (abortable && this.opts.shouldAbort()) throw new RouteInterrupted();
        this.opts.whileWaiting?.();
        Atomics.wait(sleeper, 0, 0, SLEEP_MS);
      }
    }
  }

  /**
   * Writes all of `bytes`; returns how many went out. Waits (spin, then sleeps) while the
   * device does not drain its socket; a kick stops the wait (a partial count). -1: the
   * connection died.
   */
  private sendAll(bytes: Uint8Array, mustFinish: boolean): number {
    let sent = 0;
    let tries = 0;
    while (sent < bytes.length) {
      const ch = this.channel;
      if (ch === null) return -1;
      let n: number;
      try {
        n = ch.write(bytes.subarray(sent));
      } catch (e) {
        this.kill(`connection failed (${(e as NodeJS.ErrnoException).code ?? String(e)})`, false);
        return -1;
      }
      if (n > 0) {
        sent += n;
        tries = 0;
        continue;
      }
      if (++tries > SPIN_TRIES) {
        if (!mustFinish && this.opts.shouldAbort()) return sent;
        this.opts.whileWaiting?.();
        Atomics.wait(sleeper, 0, 0, SLEEP_MS);
      }
    }
    return sent;
  }

  /** The device is gone or broke the protocol: dead until a new connection is attached. */
  private kill(why: string, protocolError: boolean): void {
    const ch = this.channel;
    if (ch === null) return;
    if (protocolError) {
      try {
        ch.write(encode({ type: MsgType.Error, seq: 0, code: ErrorCode.Malformed, message: why }));
      } catch {
        // The peer is going away anyway.
      }
    }
    ch.close();
    this.channel = null;
    this.outstanding = null;
    this.queued = 0;
    const reason = `ngkvm: device ${this.name} ${why}; its registers read as all ones and writes are dropped until it reconnects`;
    if (!this.deadLogged) this.opts.log(reason);
    this.deadLogged = true;
    this.opts.onDead?.(why);
  }
}
