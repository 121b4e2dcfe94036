/**
 * The migration stream, which is also the snapshot file format: a self-describing header,
 * RAM pages, the machine's state sections, and a checksum over everything.
 *
 *   "NGKVM-VM"  u32 format  u32 n  n bytes of JSON (StreamHeader)
 *   then records, each a tag byte:
 *     1 pages   u32 count, count × (u32 page, u8 kind: 0 zero | 1 data, [4096 bytes if data])
 *     2 state   u32 length, the machine's sections (src/devices/state.ts saveSections)
 *     255 end   u32 CRC-32 of every byte before it (tag included)
 *
 * Little-endian throughout. A page may come many times (pre-copy sends a page again each
 * time the guest dirtied it); the last copy wins. The destination writes pages as they
 * arrive, loads the state, and starts the machine only once the checksum matched: a
 * corrupt or cut stream never runs.
 */
import { crc32 } from 'node:zlib';
import { StateWriter } from '../../devices/state.js';

export const STREAM_MAGIC = 'NGKVM-VM';
export const STREAM_FORMAT = 1;
export const PAGE_BYTES = 4096;

export const enum Tag {
  Pages = 1,
  State = 2,
  End = 0xff,
}

export const enum PageKind {
  Zero = 0,
  Data = 1,
}

/** What the stream is a snapshot of: the destination checks it against the machine it built. */
export interface StreamHeader {
  readonly format: number;
  /** ngkvm version that wrote it (informational). */
  readonly ngkvm: string;
  readonly machine: string;
  readonly cpu: string;
  readonly cpus: number;
  readonly ramSize: number;
  readonly pageSize: number;
  /** The state sections and their layout versions, in stream order. */
  readonly sections: readonly { readonly id: string; readonly version: number }[];
}

export class MigrationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

const MAX_HEADER = 64 * 1024;
const magicBytes = new TextEncoder().encode(STREAM_MAGIC);

/**
 * Builds the stream in memory, chunk by chunk: `take()` hands out what was encoded since the
 * last call (the caller sends or writes it) and folds it into the running checksum.
 */
export class StreamEncoder {
  private readonly w = new StateWriter();
  private crc = 0;
  /** The checksum, once `end` computed it: it goes out after what it covers. */
  private tail: Uint8Array | null = null;
  /** Bytes handed out so far. */
  total = 0;

  get pending(): number {
    return this.w.length;
  }

  header(h: StreamHeader): void {
    const json = new TextEncoder().encode(JSON.stringify(h));
    this.w.raw(magicBytes);
    this.w.u32(STREAM_FORMAT);
    this.w.u32(json.length);
    this.w.raw(json);
  }

  /** One pages record; `page(i)` gives the bytes of page i, or null for a page of zeros. */
  pages(indices: readonly number[], page: (index: number) => Uint8Array | null): void {
    this.w.u8(Tag.Pages);
    this.w.u32(indices.length);
    for (const i of indices) {
      const bytes = page(i);
      this.w.u32(i);
      if (bytes === null) {
        this.w.u8(PageKind.Zero);
      } else {
        this.w.u8(PageKind.Data);
        this.w.raw(bytes);
      }
    }
  }

  state(sections: Uint8Array): void {
    this.w.u8(Tag.State);
    this.w.u32(sections.length);
    this.w.raw(sections);
  }

  /** The end record: the checksum covers everything before it, so it is computed here. */
  end(): void {
    this.w.u8(Tag.End);
    this.crc = crc32(this.w.written(), this.crc);
    this.tail = new Uint8Array(4);
    new DataView(this.tail.buffer).setUint32(0, this.crc >>> 0, true);
  }

  /** What was encoded since the last take (a copy the caller may keep or transfer). */
  take(): Uint8Array {
    const body = this.w.written();
    const out = new Uint8Array(body.length + (this.tail?.length ?? 0));
    out.set(body);
    if (this.tail !== null) out.set(this.tail, body.length);
    // After `end` the body is already in the checksum.
    else this.crc = crc32(body, this.crc);
    this.tail = null;
    this.total += out.length;
    this.w.reset();
    return out;
  }
}

/** Where a stream is read from, synchronously: `read` returns exactly n bytes or throws. */
export interface ByteSource {
  /** n bytes, or fewer only at the end of the stream. */
  read(n: number): Uint8Array;
}

/** What the decoder calls with each record, in stream order. */
export interface StreamVisitor {
  /** The header, before any record; throw MigrationError to refuse the stream. */
  header(h: StreamHeader): void;
  /** A page's bytes (a view valid only during the call), or null for zeros. */
  page(index: number, bytes: Uint8Array | null): void;
  state(sections: Uint8Array): void;
}

/**
 * Reads a whole stream from `source`, handing records to `visit`, and checks the checksum at
 * the end; returns the bytes read. Every malformed input is a MigrationError: a stream cut
 * short says `truncated`, a wrong checksum says `checksum`.
 */
export function decodeStream(source: ByteSource, visit: StreamVisitor, pageCount: number): number {
  let crc = 0;
  let total = 0;
  const take = (n: number, what: string): Uint8Array => {
    const b = source.read(n);
    if (b.length < n) throw new MigrationError(`the stream is truncated: it ends after ${total + b.length} bytes, inside ${what}`);
    crc = crc32(b, crc);
    total += n;
    return b;
  };
  const u32 = (what: string): number => {
    const b = take(4, what);
    return new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
  };
  const magic = take(8, 'the magic number');
  if (new TextDecoder().decode(magic) !== STREAM_MAGIC) {
    throw new MigrationError(`not an ngkvm migration stream or snapshot (it starts with ${JSON.stringify(new TextDecoder('latin1').decode(magic))}, not "${STREAM_MAGIC}")`);
  }
  const format = u32('the format version');
  if (format !== STREAM_FORMAT) throw new MigrationError(`stream format ${format}; this ngkvm reads format ${STREAM_FORMAT}`);
  const headerLength = u32('the header length');
  if (headerLength > MAX_HEADER) throw new MigrationError(`a ${headerLength}-byte header is not plausible (at most ${MAX_HEADER})`);
  visit.header(parseHeader(take(headerLength, 'the header')));
  let stateSeen = false;
  for (;;) {
    const tag = take(1, 'a record tag')[0]!;
    if (tag === Tag.End) break;
    if (tag === Tag.Pages) {
      const count = u32('a pages record');
      for (let k = 0; k < count; k++) {
        const index = u32('a page number');
        if (index >= pageCount) throw new MigrationError(`page ${index} is beyond this machine's ${pageCount} pages of RAM`);
        const kind = take(1, 'a page kind')[0]!;
        if (kind === PageKind.Zero) visit.page(index, null);
        else if (kind === PageKind.Data) visit.page(index, take(PAGE_BYTES, `page ${index}`));
        else throw new MigrationError(`page ${index} has kind ${kind}, neither zero (0) nor data (1)`);
      }
    } else if (tag === Tag.State) {
      if (stateSeen) throw new MigrationError('the stream holds the machine state twice');
      stateSeen = true;
      const length = u32('the state record');
      visit.state(take(length, 'the machine state'));
    } else {
      throw new MigrationError(`unknown record tag ${tag} after ${total - 1} bytes`);
    }
  }
  const expected = crc >>> 0;
  const b = source.read(4);
  if (b.length < 4) throw new MigrationError(`the stream is truncated: it ends after ${total + b.length} bytes, inside the checksum`);
  const actual = new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
  if (actual !== expected) {
    throw new MigrationError(`checksum mismatch: the stream says 0x${actual.toString(16).padStart(8, '0')}, its ${total} bytes sum to 0x${expected.toString(16).padStart(8, '0')} (corrupted in transit or on disk)`);
  }
  if (!stateSeen) throw new MigrationError('the stream has no machine state');
  return total + 4;
}

function parseHeader(bytes: Uint8Array): StreamHeader {
  let h: unknown;
  try {
    h = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new MigrationError('the header is not valid JSON (a corrupted stream)');
  }
  const o = h as Record<string, unknown>;
  const str = (k: string): string => {
    if (typeof o[k] !== 'string') throw new MigrationError(`the header has no ${k}`);
    return o[k];
  };
  const int = (k: string): number => {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new MigrationError(`the header's ${k} is not a count`);
    return v;
  };
  if (typeof h !== 'object' || h === null || !Array.isArray(o['sections'])) throw new MigrationError('the header has no section list');
  const sections = (o['sections'] as unknown[]).map((s) => {
    const e = s as Record<string, unknown>;
    if (typeof e?.['id'] !== 'string' || typeof e['version'] !== 'number') throw new MigrationError('the header\'s section list is malformed');
    return { id: e['id'], version: e['version'] };
  });
  return { format: int('format'), ngkvm: str('ngkvm'), machine: str('machine'), cpu: str('cpu'), cpus: int('cpus'), ramSize: int('ramSize'), pageSize: int('pageSize'), sections };
}
