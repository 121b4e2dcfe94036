/**
 * The device side of a route: serves the accesses the VMM sends to device models written
 * against the ordinary MMIO device interface (the same classes the VMM runs in process),
 * and gives those models a way to raise interrupts and reach guest memory. Transport-neutral:
 * a device process (src/vmm/remote/device-process.ts) feeds it the bytes of its two socket
 * channels; a test can feed it directly.
 */
import { deviceAccess, type MmioDevice } from '../bus.js';
import { DmaError } from '../virtio/dma.js';
import {
  ErrorCode,
  FrameReader,
  HEADER_SIZE,
  MAX_DMA_CHUNK,
  MAX_PAYLOAD,
  MsgType,
  PROTOCOL_VERSION,
  ProtocolError,
  encode,
  type MemoryGrant,
  type Message,
  type RangeInfo,
} from './protocol.js';

/** A device model served by a session: the MMIO interface, plus reset. */
export interface RemoteDeviceModel extends MmioDevice {
  reset?(): void;
}

export interface SessionTransport {
  send(bytes: Uint8Array): void;
}

/** What a device model may do towards the machine (interrupts, DMA). */
export interface DeviceHost {
  /** Sets one of the device's interrupt lines (index from 0, as the route was given them). */
  setIrq(line: number, level: boolean): void;
  msi(address: bigint, data: number): void;
  /** Reads guest memory (inside the route's grant); rejects with the VMM's error otherwise. */
  dmaRead(addr: number, length: number): Promise<Uint8Array>;
  dmaWrite(addr: number, data: Uint8Array): Promise<void>;
  /** Called when the guest acknowledged a level interrupt on `line`. */
  onResample: ((line: number) => void) | null;
}

/**
 * A non-blocking byte channel the session can wait on synchronously (a device process's
 * event socket, read with readSync while its JavaScript runs): what blocking DMA needs.
 */
export interface SyncEventChannel {
  /** Writes all of `bytes` (waiting while the socket is full); throws when the peer is gone. */
  write(bytes: Uint8Array): void;
  /** Reads what is there: a count, 0 at EOF, -1 for "nothing yet"; throws when the peer is gone. */
  read(into: Uint8Array): number;
  /** Waits a little before the next read attempt (after a spin). */
  idle(): void;
}

interface Pending {
  resolve(m: Message): void;
  reject(e: Error): void;
  expect: MsgType;
}

export class DeviceSession implements DeviceHost {
  /** Where the device is mapped, from the VMM's Hello. */
  ranges: readonly RangeInfo[] = [];
  memory: MemoryGrant = { kind: 'none' };
  token = -1;
  onResample: ((line: number) => void) | null = null;
  /** Called once when the session cannot go on (protocol error, VMM error). */
  onClose: ((reason: string) => void) | null = null;
  /** Called when the VMM's Hello arrived: the event channel can now be opened with `token`. */
  onReady: (() => void) | null = null;

  private readonly access = new FrameReader();
  private readonly events = new FrameReader();
  private eventSink: SessionTransport | null = null;
  private readonly irqLevels: boolean[] = [];
  private seq = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;
  private syncEvents: SyncEventChannel | null = null;
  private readonly syncRx = new Uint8Array(MAX_PAYLOAD + HEADER_SIZE);

  constructor(
    readonly name: string,
    /** One device model per range, in the order the route lists its ranges. */
    private readonly models: readonly RemoteDeviceModel[],
    private readonly accessSink: SessionTransport,
  ) {}

  /** Starts the access channel: the device speaks first. */
  start(): void {
    this.accessSink.send(encode({ type: MsgType.DeviceHello, seq: 0, version: PROTOCOL_VERSION, name: this.name }));
  }

  /** The event channel is connected: identify it and flush interrupt state raised meanwhile. */
  attachEvents(sink: SessionTransport): void {
    this.eventSink = sink;
    sink.send(encode({ type: MsgType.EventHello, seq: 0, token: this.token >>> 0 }));
    this.irqLevels.forEach((level, line) => {
      if (level) sink.send(encode({ type: MsgType.IrqLevel, seq: this.seq++, line, level: 1 }));
    });
  }

  /** Bytes from the access channel. */
  accessData(bytes: Uint8Array): void {
    this.feed(this.access, bytes, (m) => this.onAccess(m));
  }

  /** Bytes from the event channel. */
  eventData(bytes: Uint8Array): void {
    this.feed(this.events, bytes, (m) => this.onEvent(m));
  }

  private feed(reader: FrameReader, bytes: Uint8Array, handle: (m: Message) => void): void {
    if (this.closed) return;
    try {
      reader.push(bytes);
      for (let m = reader.next(); m !== undefined && !this.closed; m = reader.next()) handle(m);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      this.fail(ErrorCode.Malformed, e.message);
    }
  }

  private onAccess(m: Message): void {
    switch (m.type) {
      case MsgType.Hello:
        if (m.version !== PROTOCOL_VERSION) return this.fail(ErrorCode.Version, `the VMM speaks protocol version ${m.version}, this device ${PROTOCOL_VERSION}`);
        if (m.ranges.length !== this.models.length) {
          return this.fail(ErrorCode.Unsupported, `the route has ${m.ranges.length} ranges; ${this.name} serves ${this.models.length}`);
        }
        this.ranges = m.ranges;
        this.memory = m.memory;
        this.token = m.token;
        this.onReady?.();
        return;
      case MsgType.Read: {
        const model = this.modelFor(m.range, m.offset, m.size);
        if (model === undefined) return;
        const data = new Uint8Array(m.size);
        deviceAccess(model, m.offset, false, data);
        this.accessSink.send(encode({ type: MsgType.ReadReply, seq: m.seq, data }));
        return;
      }
      case MsgType.Write: {
        const model = this.modelFor(m.range, m.offset, m.data.length);
        if (model === undefined) return;
        deviceAccess(model, m.offset, true, m.data);
        if (!m.posted) this.accessSink.send(encode({ type: MsgType.WriteAck, seq: m.seq }));
        return;
      }
      case MsgType.Reset:
        for (const model of this.models) model.reset?.();
        this.accessSink.send(encode({ type: MsgType.ResetAck, seq: m.seq }));
        return;
      case MsgType.Error:
        return this.close(`the VMM closed the route: ${m.message}`);
      default:
        return this.fail(ErrorCode.Malformed, `unexpected message type ${m.type} on the access channel`);
    }
  }

  private modelFor(range: number, offset: number, size: number): RemoteDeviceModel | undefined {
    const info = this.ranges[range];
    const model = this.models[range];
    if (info === undefined || model === undefined || offset + size > info.size) {
      this.fail(ErrorCode.Malformed, `access to range ${range} offset 0x${offset.toString(16)} (${size} bytes) is outside the device`);
      return undefined;
    }
    return model;
  }

  private onEvent(m: Message): void {
    switch (m.type) {
      case MsgType.Resample:
        this.onResample?.(m.line);
        return;
      case MsgType.DmaData:
      case MsgType.DmaAck:
      case MsgType.Error: {
        const p = this.pending.get(m.seq);
        if (p === undefined) {
          if (m.type === MsgType.Error) return this.close(`the VMM closed the route: ${m.message}`);
          return this.fail(ErrorCode.Malformed, `reply ${m.seq} to no request`);
        }
        this.pending.delete(m.seq);
        if (m.type === MsgType.Error) p.reject(new Error(`DMA refused: ${m.message}`));
        else if (m.type !== p.expect) p.reject(new ProtocolError(`reply of type ${m.type} to a request expecting ${p.expect}`));
        else p.resolve(m);
        return;
      }
      default:
        return this.fail(ErrorCode.Malformed, `unexpected message type ${m.type} on the event channel`);
    }
  }

  setIrq(line: number, level: boolean): void {
    if (this.irqLevels[line] === level) return;
    this.irqLevels[line] = level;
    this.eventSink?.send(encode({ type: MsgType.IrqLevel, seq: this.seq++, line, level: level ? 1 : 0 }));
  }

  msi(address: bigint, data: number): void {
    this.eventSink?.send(encode({ type: MsgType.Msi, seq: this.seq++, address, data }));
  }

  async dmaRead(addr: number, length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    for (let done = 0; done < length; done += MAX_DMA_CHUNK) {
      const n = Math.min(MAX_DMA_CHUNK, length - done);
      const m = await this.request({ type: MsgType.DmaRead, seq: 0, addr: addr + done, length: n }, MsgType.DmaData);
      if (m.type !== MsgType.DmaData || m.data.length !== n) throw new ProtocolError(`DMA read of ${n} bytes answered with the wrong length`);
      out.set(m.data, done);
    }
    return out;
  }

  async dmaWrite(addr: number, data: Uint8Array): Promise<void> {
    for (let done = 0; done < data.length; done += MAX_DMA_CHUNK) {
      await this.request({ type: MsgType.DmaWrite, seq: 0, addr: addr + done, data: data.subarray(done, done + MAX_DMA_CHUNK) }, MsgType.DmaAck);
    }
  }

  /**
   * Makes the event channel synchronous for DMA (`dmaReadSync`, `dmaWriteSync`): the caller
   * writes every event-channel frame through `channel` (so frames stay in order) and still
   * feeds `eventData` with what arrives while no DMA waits.
   */
  attachSyncEvents(channel: SyncEventChannel): void {
    this.syncEvents = channel;
  }

  /** Guest memory read that waits for the VMM's answer; DmaError when refused or disconnected. */
  dmaReadSync(addr: number, dst: Uint8Array): void {
    for (let done = 0; done < dst.length; done += MAX_DMA_CHUNK) {
      const n = Math.min(MAX_DMA_CHUNK, dst.length - done);
      const m = this.requestSync({ type: MsgType.DmaRead, seq: 0, addr: addr + done, length: n }, MsgType.DmaData, addr, dst.length);
      if (m.type !== MsgType.DmaData || m.data.length !== n) {
        this.fail(ErrorCode.Malformed, `DMA read of ${n} bytes answered with the wrong length`);
        throw new DmaError(addr, dst.length, 'the VMM answered with the wrong length');
      }
      dst.set(m.data, done);
    }
  }

  dmaWriteSync(addr: number, src: Uint8Array): void {
    for (let done = 0; done < src.length; done += MAX_DMA_CHUNK) {
      this.requestSync({ type: MsgType.DmaWrite, seq: 0, addr: addr + done, data: src.subarray(done, done + MAX_DMA_CHUNK) }, MsgType.DmaAck, addr, src.length);
    }
  }

  private requestSync(m: Message & { seq: number }, expect: MsgType, addr: number, length: number): Message {
    const ch = this.syncEvents;
    if (ch === null || this.closed) throw new DmaError(addr, length, `${this.name} is not connected to a VMM`);
    const seq = this.seq++;
    // Messages that are not the reply (Resample) are handled once the reply is in.
    const later: Message[] = [];
    try {
      ch.write(encode({ ...m, seq } as Message));
      let tries = 0;
      for (;;) {
        const r = this.events.next();
        if (r !== undefined) {
          if (r.type === MsgType.Resample) later.push(r);
          else if (r.seq !== seq) {
            this.fail(ErrorCode.Malformed, `reply ${r.seq} to no request`);
            throw new DmaError(addr, length, 'the VMM broke the protocol');
          } else if (r.type === MsgType.Error) throw new DmaError(addr, length, r.message);
          else if (r.type !== expect) {
            this.fail(ErrorCode.Malformed, `reply of type ${r.type} to a request expecting ${expect}`);
            throw new DmaError(addr, length, 'the VMM broke the protocol');
          } else return r;
          continue;
        }
        const n = ch.read(this.syncRx);
        if (n === 0) {
          this.close('the VMM closed the event channel');
          throw new DmaError(addr, length, 'the VMM closed the connection');
        }
        if (n > 0) {
          this.events.push(this.syncRx.subarray(0, n));
          tries = 0;
        } else if (++tries > 2000) ch.idle();
      }
    } catch (e) {
      if (e instanceof ProtocolError) {
        this.fail(ErrorCode.Malformed, e.message);
        throw new DmaError(addr, length, 'the VMM broke the protocol');
      }
      if (e instanceof DmaError) throw e;
      this.close(`event channel failed: ${String(e)}`);
      throw new DmaError(addr, length, 'the connection to the VMM failed');
    } finally {
      for (const r of later) queueMicrotask(() => this.onEvent(r));
    }
  }

  private request(m: Message & { seq: number }, expect: MsgType): Promise<Message> {
    const sink = this.eventSink;
    if (sink === null || this.closed) return Promise.reject(new Error(`${this.name}: not connected to a VMM`));
    const seq = this.seq++;
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject, expect });
      sink.send(encode({ ...m, seq } as Message));
    });
  }

  private fail(code: ErrorCode, message: string): void {
    if (this.closed) return;
    this.accessSink.send(encode({ type: MsgType.Error, seq: 0, code, message }));
    this.close(message);
  }

  /** Ends the session (the transports are the caller's to close). */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) p.reject(new Error(`${this.name}: ${reason}`));
    this.pending.clear();
    this.onClose?.(reason);
  }
}
