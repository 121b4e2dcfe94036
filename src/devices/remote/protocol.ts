/**
 * The device-route wire protocol (version 1): how an accelerator carries a routed MMIO or
 * port range to a device model in another process, and how that device raises interrupts
 * and reaches guest memory. docs/device-routes.md is the specification; this module is its
 * one encoder/decoder, shared by the VMM side and the device-process library.
 *
 * Every message is a frame: a 16-byte little-endian header (payload length, type, flags,
 * sequence number, reserved word) and the payload. Frames are self-delimiting, so a reader
 * needs no other state to split a byte stream; every length is checked against the bytes
 * present and against the protocol's limits before anything is allocated.
 *
 * Host-neutral: no Node imports (the device library and the accelerators run in a browser
 * too, over other transports).
 */

export const PROTOCOL_VERSION = 1;
export const HEADER_SIZE = 16;
/** Largest payload either side sends (a DMA chunk plus its header); anything larger is malformed. */
export const MAX_PAYLOAD = 64 * 1024 + 64;
/** Largest DMA transfer in one message; longer transfers are split by the sender. */
export const MAX_DMA_CHUNK = 64 * 1024;
export const MAX_RANGES = 16;
export const MAX_NAME = 64;

export const enum MsgType {
  /** VMM → device, answering DeviceHello: protocol version, the device's ranges, memory grant, token. */
  Hello = 1,
  /** Device → VMM, first on the access channel: the version it speaks and its name. */
  DeviceHello = 2,
  /** VMM → device: read `size` bytes at `offset` of range `range`. */
  Read = 3,
  /** Device → VMM: the bytes read (same sequence number). */
  ReadReply = 4,
  /** VMM → device: write; with FLAG_POSTED no reply is sent. */
  Write = 5,
  /** Device → VMM: a non-posted write is complete. */
  WriteAck = 6,
  /** VMM → device: the machine is resetting; the device returns to its reset state and acks. */
  Reset = 7,
  ResetAck = 8,
  /** Either way: the peer broke the protocol or cannot go on; the route is disabled. */
  Error = 9,
  /** Device → VMM, event channel: pairs this connection with an access channel (its token). */
  EventHello = 16,
  /** Device → VMM: interrupt line `line` of the device to `level` (0/1). */
  IrqLevel = 17,
  /** Device → VMM: a message-signalled interrupt. */
  Msi = 18,
  /** Device → VMM: read guest memory (a reply DmaData carries it, or Error). */
  DmaRead = 19,
  /** VMM → device: guest memory read for DmaRead (same sequence number). */
  DmaData = 20,
  /** Device → VMM: write guest memory; DmaAck (or Error) follows. */
  DmaWrite = 21,
  DmaAck = 22,
  /** VMM → device: the guest acknowledged a level interrupt of `line` (re-assert if still pending). */
  Resample = 23,
}

/** A write that does not wait for the device (ordering is kept by the accelerator). */
export const FLAG_POSTED = 1;

export type Space = 'mmio' | 'pio';

export interface RangeInfo {
  readonly space: Space;
  /** Guest-physical address or first port. */
  readonly base: number;
  readonly size: number;
}

/** What guest memory the route lets the device reach. */
export type MemoryGrant =
  | { readonly kind: 'none' }
  | { readonly kind: 'all' }
  | { readonly kind: 'windows'; readonly windows: readonly { readonly addr: number; readonly size: number }[] };

export type Message =
  | {
      readonly type: MsgType.Hello;
      readonly seq: number;
      readonly version: number;
      /** Byte order of guest accesses' data bytes ('big' on Book E, 'little' on x86). */
      readonly guestOrder: 'big' | 'little';
      readonly ranges: readonly RangeInfo[];
      readonly memory: MemoryGrant;
      /** Identifies this session on the event channel. */
      readonly token: number;
    }
  | { readonly type: MsgType.DeviceHello; readonly seq: number; readonly version: number; readonly name: string }
  | { readonly type: MsgType.Read; readonly seq: number; readonly range: number; readonly size: number; readonly offset: number }
  | { readonly type: MsgType.ReadReply; readonly seq: number; readonly data: Uint8Array }
  | { readonly type: MsgType.Write; readonly seq: number; readonly posted: boolean; readonly range: number; readonly offset: number; readonly data: Uint8Array }
  | { readonly type: MsgType.WriteAck; readonly seq: number }
  | { readonly type: MsgType.Reset; readonly seq: number }
  | { readonly type: MsgType.ResetAck; readonly seq: number }
  | { readonly type: MsgType.Error; readonly seq: number; readonly code: number; readonly message: string }
  | { readonly type: MsgType.EventHello; readonly seq: number; readonly token: number }
  | { readonly type: MsgType.IrqLevel; readonly seq: number; readonly line: number; readonly level: 0 | 1 }
  | { readonly type: MsgType.Msi; readonly seq: number; readonly address: bigint; readonly data: number }
  | { readonly type: MsgType.DmaRead; readonly seq: number; readonly addr: number; readonly length: number }
  | { readonly type: MsgType.DmaData; readonly seq: number; readonly data: Uint8Array }
  | { readonly type: MsgType.DmaWrite; readonly seq: number; readonly addr: number; readonly data: Uint8Array }
  | { readonly type: MsgType.DmaAck; readonly seq: number }
  | { readonly type: MsgType.Resample; readonly seq: number; readonly line: number };

/** Error codes carried by MsgType.Error. */
export const enum ErrorCode {
  Malformed = 1,
  Version = 2,
  Denied = 3,
  Unsupported = 4,
  Device = 5,
}

export class ProtocolError extends Error {
  readonly code = 'ERR_ROUTE_PROTOCOL';
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

const ACCESS_SIZES = new Set([1, 2, 4, 8]);

// ---- encoding ------------------------------------------------------------------------------

class Writer {
  private buf: Uint8Array;
  private view: DataView;
  private pos = HEADER_SIZE;

  constructor(capacity: number) {
    this.buf = new Uint8Array(HEADER_SIZE + capacity);
    this.view = new DataView(this.buf.buffer);
  }

  u8(v: number): this {
    this.view.setUint8(this.pos, v);
    this.pos += 1;
    return this;
  }
  u16(v: number): this {
    this.view.setUint16(this.pos, v, true);
    this.pos += 2;
    return this;
  }
  u32(v: number): this {
    this.view.setUint32(this.pos, v >>> 0, true);
    this.pos += 4;
    return this;
  }
  /** Non-negative safe integers (addresses, sizes) as u64. */
  u64(v: number): this {
    this.view.setBigUint64(this.pos, BigInt(v), true);
    this.pos += 8;
    return this;
  }
  big64(v: bigint): this {
    this.view.setBigUint64(this.pos, BigInt.asUintN(64, v), true);
    this.pos += 8;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }
  str(s: string, max: number): this {
    const b = new TextEncoder().encode(s).subarray(0, max);
    return this.u16(b.length).bytes(b);
  }

  finish(type: MsgType, flags: number, seq: number): Uint8Array {
    const len = this.pos - HEADER_SIZE;
    this.view.setUint32(0, len, true);
    this.view.setUint8(4, type);
    this.view.setUint8(5, flags);
    this.view.setUint16(6, 0, true);
    this.view.setUint32(8, seq >>> 0, true);
    this.view.setUint32(12, 0, true);
    return this.buf.subarray(0, this.pos);
  }
}

const SPACE_CODE: Record<Space, number> = { mmio: 0, pio: 1 };

/** Encodes one message as a frame. Throws ProtocolError for values the protocol cannot carry. */
export function encode(m: Message): Uint8Array {
  switch (m.type) {
    case MsgType.Hello: {
      if (m.ranges.length === 0 || m.ranges.length > MAX_RANGES) throw new ProtocolError(`a route has 1 to ${MAX_RANGES} ranges, not ${m.ranges.length}`);
      const windows = m.memory.kind === 'windows' ? m.memory.windows : [];
      if (windows.length > MAX_RANGES) throw new ProtocolError(`at most ${MAX_RANGES} memory windows`);
      const w = new Writer(16 + m.ranges.length * 20 + windows.length * 16);
      w.u16(m.version).u8(m.guestOrder === 'big' ? 0 : 1).u8(m.ranges.length).u32(m.token);
      for (const r of m.ranges) w.u8(SPACE_CODE[r.space]).u8(0).u16(0).u64(r.base).u64(r.size);
      w.u8(m.memory.kind === 'none' ? 0 : m.memory.kind === 'all' ? 1 : 2).u8(windows.length).u16(0);
      for (const win of windows) w.u64(win.addr).u64(win.size);
      return w.finish(m.type, 0, m.seq);
    }
    case MsgType.DeviceHello:
      return new Writer(4 + MAX_NAME).u16(m.version).str(m.name, MAX_NAME).finish(m.type, 0, m.seq);
    case MsgType.Read:
      checkAccess(m.size);
      return new Writer(12).u8(m.range).u8(m.size).u16(0).u64(m.offset).finish(m.type, 0, m.seq);
    case MsgType.ReadReply:
      checkAccess(m.data.length);
      return new Writer(12).u8(m.data.length).u8(0).u16(0).bytes(pad8(m.data)).finish(m.type, 0, m.seq);
    case MsgType.Write:
      checkAccess(m.data.length);
      return new Writer(20).u8(m.range).u8(m.data.length).u16(0).u64(m.offset).bytes(pad8(m.data)).finish(m.type, m.posted ? FLAG_POSTED : 0, m.seq);
    case MsgType.WriteAck:
    case MsgType.Reset:
    case MsgType.ResetAck:
    case MsgType.DmaAck:
      return new Writer(0).finish(m.type, 0, m.seq);
    case MsgType.Error:
      return new Writer(8 + 256).u32(m.code).str(m.message, 256).finish(m.type, 0, m.seq);
    case MsgType.EventHello:
      return new Writer(4).u32(m.token).finish(m.type, 0, m.seq);
    case MsgType.IrqLevel:
      return new Writer(8).u32(m.line).u8(m.level).u8(0).u16(0).finish(m.type, 0, m.seq);
    case MsgType.Msi:
      return new Writer(12).big64(m.address).u32(m.data).finish(m.type, 0, m.seq);
    case MsgType.DmaRead:
      if (m.length < 0 || m.length > MAX_DMA_CHUNK) throw new ProtocolError(`a DMA read moves at most ${MAX_DMA_CHUNK} bytes`);
      return new Writer(12).u64(m.addr).u32(m.length).finish(m.type, 0, m.seq);
    case MsgType.DmaData:
      if (m.data.length > MAX_DMA_CHUNK) throw new ProtocolError(`a DMA reply moves at most ${MAX_DMA_CHUNK} bytes`);
      return new Writer(m.data.length).bytes(m.data).finish(m.type, 0, m.seq);
    case MsgType.DmaWrite:
      if (m.data.length > MAX_DMA_CHUNK) throw new ProtocolError(`a DMA write moves at most ${MAX_DMA_CHUNK} bytes`);
      return new Writer(8 + m.data.length).u64(m.addr).bytes(m.data).finish(m.type, 0, m.seq);
    case MsgType.Resample:
      return new Writer(4).u32(m.line).finish(m.type, 0, m.seq);
  }
}

function checkAccess(size: number): void {
  if (!ACCESS_SIZES.has(size)) throw new ProtocolError(`an access is 1, 2, 4 or 8 bytes, not ${size}`);
}

function pad8(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(8);
  out.set(b.subarray(0, 8));
  return out;
}

// ---- decoding ------------------------------------------------------------------------------

class Reader {
  private pos = 0;
  private readonly view: DataView;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new ProtocolError(`message payload is too short (${this.buf.length} bytes)`);
  }
  u8(): number {
    this.need(1);
    return this.view.getUint8(this.pos++);
  }
  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  /** A u64 that must be a safe integer (addresses, sizes). */
  u64(what: string): number {
    this.need(8);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ProtocolError(`${what} 0x${v.toString(16)} is out of range`);
    return Number(v);
  }
  big64(): bigint {
    this.need(8);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    const b = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  rest(): Uint8Array {
    return this.bytes(this.buf.length - this.pos);
  }
  str(max: number): string {
    const n = this.u16();
    if (n > max) throw new ProtocolError(`string of ${n} bytes is longer than ${max}`);
    return new TextDecoder().decode(this.bytes(n));
  }
}

/** Decodes one frame's payload; throws ProtocolError for anything malformed. */
export function decodePayload(type: number, flags: number, seq: number, payload: Uint8Array): Message {
  const r = new Reader(payload);
  switch (type) {
    case MsgType.Hello: {
      const version = r.u16();
      const order = r.u8();
      const n = r.u8();
      const token = r.u32();
      if (order > 1) throw new ProtocolError(`unknown byte order ${order}`);
      if (n === 0 || n > MAX_RANGES) throw new ProtocolError(`hello announces ${n} ranges (1 to ${MAX_RANGES})`);
      const ranges: RangeInfo[] = [];
      for (let i = 0; i < n; i++) {
        const space = r.u8();
        r.u8();
        r.u16();
        if (space > 1) throw new ProtocolError(`unknown address space ${space}`);
        ranges.push({ space: space === 0 ? 'mmio' : 'pio', base: r.u64('range base'), size: r.u64('range size') });
      }
      const memKind = r.u8();
      const nWin = r.u8();
      r.u16();
      if (memKind > 2) throw new ProtocolError(`unknown memory grant ${memKind}`);
      if (nWin > MAX_RANGES) throw new ProtocolError(`too many memory windows (${nWin})`);
      const windows: { addr: number; size: number }[] = [];
      for (let i = 0; i < nWin; i++) windows.push({ addr: r.u64('window address'), size: r.u64('window size') });
      const memory: MemoryGrant = memKind === 0 ? { kind: 'none' } : memKind === 1 ? { kind: 'all' } : { kind: 'windows', windows };
      return { type, seq, version, guestOrder: order === 0 ? 'big' : 'little', ranges, memory, token };
    }
    case MsgType.DeviceHello:
      return { type, seq, version: r.u16(), name: r.str(MAX_NAME) };
    case MsgType.Read: {
      const range = r.u8();
      const size = r.u8();
      r.u16();
      if (!ACCESS_SIZES.has(size)) throw new ProtocolError(`read of ${size} bytes`);
      return { type, seq, range, size, offset: r.u64('offset') };
    }
    case MsgType.ReadReply: {
      const size = r.u8();
      r.u8();
      r.u16();
      if (!ACCESS_SIZES.has(size)) throw new ProtocolError(`read reply of ${size} bytes`);
      return { type, seq, data: r.bytes(8).subarray(0, size) };
    }
    case MsgType.Write: {
      const range = r.u8();
      const size = r.u8();
      r.u16();
      if (!ACCESS_SIZES.has(size)) throw new ProtocolError(`write of ${size} bytes`);
      const offset = r.u64('offset');
      return { type, seq, posted: (flags & FLAG_POSTED) !== 0, range, offset, data: r.bytes(8).subarray(0, size) };
    }
    case MsgType.WriteAck:
    case MsgType.Reset:
    case MsgType.ResetAck:
    case MsgType.DmaAck:
      return { type, seq };
    case MsgType.Error:
      return { type, seq, code: r.u32(), message: r.str(256) };
    case MsgType.EventHello:
      return { type, seq, token: r.u32() };
    case MsgType.IrqLevel: {
      const line = r.u32();
      const level = r.u8();
      if (level > 1) throw new ProtocolError(`interrupt level ${level}`);
      return { type, seq, line, level: level as 0 | 1 };
    }
    case MsgType.Msi:
      return { type, seq, address: r.big64(), data: r.u32() };
    case MsgType.DmaRead: {
      const addr = r.u64('DMA address');
      const length = r.u32();
      if (length > MAX_DMA_CHUNK) throw new ProtocolError(`DMA read of ${length} bytes (at most ${MAX_DMA_CHUNK})`);
      return { type, seq, addr, length };
    }
    case MsgType.DmaData:
      return { type, seq, data: r.rest() };
    case MsgType.DmaWrite:
      return { type, seq, addr: r.u64('DMA address'), data: r.rest() };
    case MsgType.Resample:
      return { type, seq, line: r.u32() };
    default:
      throw new ProtocolError(`unknown message type ${type}`);
  }
}

/**
 * Splits a byte stream into frames. `push` bytes as they arrive; `next()` returns the next
 * complete message or undefined. A malformed frame throws ProtocolError and the stream is
 * unusable afterwards (the route is disabled).
 */
export class FrameReader {
  private buf = new Uint8Array(4096);
  private start = 0;
  private end = 0;

  push(bytes: Uint8Array): void {
    const live = this.end - this.start;
    if (this.end + bytes.length > this.buf.length) {
      if (live + bytes.length <= this.buf.length) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        const grown = new Uint8Array(Math.max(this.buf.length * 2, live + bytes.length));
        grown.set(this.buf.subarray(this.start, this.end));
        this.buf = grown;
      }
      this.start = 0;
      this.end = live;
    }
    this.buf.set(bytes, this.end);
    this.end += bytes.length;
  }

  /** Bytes buffered but not yet returned as messages. */
  get pending(): number {
    return this.end - this.start;
  }

  next(): Message | undefined {
    if (this.end - this.start < HEADER_SIZE) return undefined;
    const view = new DataView(this.buf.buffer, this.buf.byteOffset + this.start, HEADER_SIZE);
    const len = view.getUint32(0, true);
    if (len > MAX_PAYLOAD) throw new ProtocolError(`frame of ${len} bytes exceeds the ${MAX_PAYLOAD}-byte limit`);
    if (this.end - this.start < HEADER_SIZE + len) return undefined;
    const type = view.getUint8(4);
    const flags = view.getUint8(5);
    const seq = view.getUint32(8, true);
    const payload = this.buf.subarray(this.start + HEADER_SIZE, this.start + HEADER_SIZE + len);
    this.start += HEADER_SIZE + len;
    if (this.start === this.end) this.start = this.end = 0;
    return decodePayload(type, flags, seq, payload);
  }
}
