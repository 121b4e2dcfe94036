/**
 * Device and board state as versioned sections, for snapshots and migration (issue 14).
 *
 * A device that can be saved names its section (`stateId`, unique within a machine) and
 * the version of the layout it writes (`stateVersion`). It writes its fields with a
 * StateWriter and reads them back, for any version it still understands, with a
 * StateReader. A stream is a list of sections; loading checks the whole list before any
 * device changes: an unknown section, a missing one, a newer version than the device writes
 * or a section of the wrong length is refused with a message naming it. Integers are
 * little-endian; lengths and counts are checked against the bytes that remain, so a
 * corrupt or truncated stream is an error, never a huge allocation or an exception from
 * deep inside a device.
 */

export class StateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateError';
  }
}

export interface DeviceState {
  /** Section name: unique within the machine (e.g. "uart0", "mpic"). */
  readonly stateId: string;
  /** Layout version this code writes; it reads this one and any older it lists as readable. */
  readonly stateVersion: number;
  saveState(w: StateWriter): void;
  /** `version` ≤ stateVersion (checked before this is called). */
  loadState(r: StateReader, version: number): void;
}

const MAX_NAME = 64;

export class StateWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private at = 0;

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.at + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.at));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.room(1);
    this.view.setUint8(this.at, v);
    this.at += 1;
  }

  bool(v: boolean): void {
    this.u8(v ? 1 : 0);
  }

  u16(v: number): void {
    this.room(2);
    this.view.setUint16(this.at, v, true);
    this.at += 2;
  }

  u32(v: number): void {
    this.room(4);
    this.view.setUint32(this.at, v >>> 0, true);
    this.at += 4;
  }

  u64(v: bigint): void {
    this.room(8);
    this.view.setBigUint64(this.at, BigInt.asUintN(64, v), true);
    this.at += 8;
  }

  /** A length-prefixed byte string. */
  bytes(v: Uint8Array): void {
    this.u32(v.length);
    this.room(v.length);
    this.buf.set(v, this.at);
    this.at += v.length;
  }

  /** A length-prefixed list of 32-bit words. */
  u32s(v: ArrayLike<number>): void {
    this.u32(v.length);
    for (let k = 0; k < v.length; k++) this.u32(v[k]!);
  }

  string(v: string): void {
    this.bytes(new TextEncoder().encode(v));
  }

  /** Bytes as they are, without a length (for formats that frame their own records). */
  raw(v: Uint8Array): void {
    this.room(v.length);
    this.buf.set(v, this.at);
    this.at += v.length;
  }

  /** Bytes written since the start or the last `reset`. */
  get length(): number {
    return this.at;
  }

  /** The bytes written so far, as a view valid until the next write. */
  written(): Uint8Array {
    return this.buf.subarray(0, this.at);
  }

  /** Starts over, keeping the buffer. */
  reset(): void {
    this.at = 0;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.at);
  }
}

export class StateReader {
  private readonly view: DataView;
  private at = 0;

  /** `what` names the section in error messages. */
  constructor(
    private readonly data: Uint8Array,
    private readonly what: string,
  ) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  get remaining(): number {
    return this.data.length - this.at;
  }

  private need(n: number, field: string): void {
    if (n > this.remaining) throw new StateError(`${this.what}: truncated at byte ${this.at} (${field} needs ${n} bytes, ${this.remaining} left)`);
  }

  u8(): number {
    this.need(1, 'u8');
    return this.view.getUint8(this.at++);
  }

  bool(): boolean {
    const v = this.u8();
    if (v > 1) throw new StateError(`${this.what}: byte ${this.at - 1} is ${v}, not a boolean`);
    return v === 1;
  }

  u16(): number {
    this.need(2, 'u16');
    const v = this.view.getUint16(this.at, true);
    this.at += 2;
    return v;
  }

  u32(): number {
    this.need(4, 'u32');
    const v = this.view.getUint32(this.at, true);
    this.at += 4;
    return v;
  }

  u64(): bigint {
    this.need(8, 'u64');
    const v = this.view.getBigUint64(this.at, true);
    this.at += 8;
    return v;
  }

  /** A length-prefixed byte string of at most `max` bytes (a copy). */
  bytes(max: number): Uint8Array {
    const n = this.u32();
    if (n > max) throw new StateError(`${this.what}: a ${n}-byte field where at most ${max} fit`);
    this.need(n, 'bytes');
    const v = this.data.slice(this.at, this.at + n);
    this.at += n;
    return v;
  }

  /** A length-prefixed list of at most `max` 32-bit words. */
  u32s(max: number): number[] {
    const n = this.u32();
    if (n > max) throw new StateError(`${this.what}: a list of ${n} words where at most ${max} fit`);
    this.need(n * 4, 'u32 list');
    const out: number[] = [];
    for (let k = 0; k < n; k++) out.push(this.u32());
    return out;
  }

  string(max: number): string {
    const b = this.bytes(max);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(b);
    } catch {
      throw new StateError(`${this.what}: a name that is not UTF-8`);
    }
  }

  /** A value must be one of a few (an enumeration, a FIFO trigger level …). */
  oneOf<T extends number>(v: number, allowed: readonly T[], field: string): T {
    if (!(allowed as readonly number[]).includes(v)) throw new StateError(`${this.what}: ${field} ${v} is not one of ${allowed.join(', ')}`);
    return v as T;
  }

  /** Every byte of the section must have been read. */
  end(): void {
    if (this.remaining !== 0) throw new StateError(`${this.what}: ${this.remaining} bytes left over (a layout this version does not know)`);
  }
}

/** The sections of `devices`, in order: u32 count, then per section name, version, length, payload. */
export function saveSections(devices: readonly DeviceState[]): Uint8Array {
  const ids = new Set<string>();
  const w = new StateWriter();
  w.u32(devices.length);
  for (const d of devices) {
    if (ids.has(d.stateId)) throw new StateError(`two devices save a section named "${d.stateId}"`);
    ids.add(d.stateId);
    const body = new StateWriter();
    d.saveState(body);
    w.string(d.stateId);
    w.u32(d.stateVersion);
    w.bytes(body.finish());
  }
  return w.finish();
}

/**
 * Loads what saveSections wrote into the same set of devices. The stream is checked whole
 * (names, versions, lengths) before the first device is loaded; a field a device finds
 * invalid while loading is still an error after others have loaded, so a machine whose load
 * failed is discarded, never run (an incoming migration starts only after a complete load).
 */
export function loadSections(data: Uint8Array, devices: readonly DeviceState[]): void {
  const r = new StateReader(data, 'device state');
  const count = r.u32();
  const byId = new Map(devices.map((d) => [d.stateId, d]));
  if (count > byId.size + 1024) throw new StateError(`device state: ${count} sections is not a plausible count`);
  const sections: { device: DeviceState; version: number; body: Uint8Array }[] = [];
  const seen = new Set<string>();
  for (let k = 0; k < count; k++) {
    const id = r.string(MAX_NAME);
    const version = r.u32();
    const body = r.bytes(r.remaining);
    const device = byId.get(id);
    if (device === undefined) throw new StateError(`device state: section "${id}" belongs to no device of this machine (it has ${[...byId.keys()].join(', ')})`);
    if (seen.has(id)) throw new StateError(`device state: section "${id}" appears twice`);
    if (version > device.stateVersion || version === 0) {
      throw new StateError(`device state: section "${id}" is version ${version}; this ngkvm reads versions 1 to ${device.stateVersion}`);
    }
    seen.add(id);
    sections.push({ device, version, body });
  }
  r.end();
  const missing = [...byId.keys()].filter((id) => !seen.has(id));
  if (missing.length > 0) throw new StateError(`device state: no section for ${missing.join(', ')}`);
  for (const s of sections) {
    const body = new StateReader(s.body, `section "${s.device.stateId}" (version ${s.version})`);
    s.device.loadState(body, s.version);
    body.end();
  }
}
