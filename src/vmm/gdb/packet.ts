/**
 * The byte level of the gdb remote serial protocol: `$payload#cs` framing with a modulo-256
 * checksum, `}` escaping of binary data, run-length encoding of replies, `+`/`-`
 * acknowledgements and the out-of-band Ctrl-C (0x03).
 *
 * Payloads are handled as latin1 strings: every char is one byte (0..255), so binary data
 * (X packets, qXfer replies) round-trips without a second representation, and the command
 * dispatcher can use ordinary string operations on the text parts.
 */

/** Largest payload we accept; advertised (a little lower) as PacketSize so gdb stays below. */
export const MAX_PACKET_PAYLOAD = 0x4000;
/** What qSupported tells gdb: it sizes m/X/qXfer requests to fit. */
export const ADVERTISED_PACKET_SIZE = MAX_PACKET_PAYLOAD - 0x100;

export function checksum(payload: string): number {
  // Summing a latin1 copy is several times faster than charCodeAt on long replies (m, g).
  const bytes = Buffer.from(payload, 'latin1');
  let sum = 0;
  for (let i = 0; i < bytes.length; i++) sum += bytes[i]!;
  return sum & 0xff;
}

const hexDigits = '0123456789abcdef';

export function hex8(n: number): string {
  return hexDigits[(n >> 4) & 0xf]! + hexDigits[n & 0xf]!;
}

/** Bytes that must be escaped inside a packet: they would end it or start another. */
function needsEscape(code: number): boolean {
  return code === 0x23 /* # */ || code === 0x24 /* $ */ || code === 0x7d /* } */ || code === 0x2a; /* * (RLE marker) */
}

/** Binary data as packet text: the four special bytes become `}` followed by byte ^ 0x20. */
export function escapeBinary(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += needsEscape(b) ? '}' + String.fromCharCode(b ^ 0x20) : String.fromCharCode(b);
  return out;
}

/** Inverse of escapeBinary; a trailing lone `}` is malformed. */
export function unescapeBinary(text: string): Uint8Array | null {
  const out = new Uint8Array(text.length);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c === 0x7d) {
      if (++i >= text.length) return null;
      c = text.charCodeAt(i) ^ 0x20;
    }
    out[n++] = c & 0xff;
  }
  return out.subarray(0, n);
}

/**
 * Run-length encoding of a reply (gdb decodes it in every reply): `X*N` repeats X a further
 * N - 29 times. Counts that would produce `#`, `$` (or `+`/`-`, which confuse some readers)
 * as the count character are avoided by using a shorter run. Only worth it for long runs
 * (register dumps with zeroes), so runs shorter than 4 are left alone.
 */
export function rleEncode(payload: string): string {
  // Only runs are rewritten; a regular expression finds them without a per-character loop.
  // Escape-related characters are never run-length encoded (`}` binds to the next byte).
  return payload.replace(/([^}*#$])\1{3,}/g, (run: string, ch: string) => {
    let out = '';
    let left = run.length;
    while (left >= 4) {
      let extra = Math.min(left, 98) - 1;
      // 29 + extra is the count character; '#' (35), '$' (36), '+' (43), '-' (45) are not allowed.
      while (extra === 6 || extra === 7 || extra === 14 || extra === 16) extra--;
      out += ch + '*' + String.fromCharCode(29 + extra);
      left -= extra + 1;
    }
    return out + ch.repeat(left);
  });
}

/** Expands `X*N` runs (gdb never sends them, but a client may; decoding is cheap). */
export function rleDecode(payload: string): string | null {
  if (!payload.includes('*')) return payload;
  let out = '';
  for (let i = 0; i < payload.length; i++) {
    const ch = payload[i]!;
    if (ch === '}') {
      if (i + 1 >= payload.length) return null;
      out += ch + payload[++i]!;
      continue;
    }
    if (ch !== '*') {
      out += ch;
      continue;
    }
    if (out.length === 0 || i + 1 >= payload.length) return null;
    const count = payload.charCodeAt(++i) - 29;
    if (count < 0) return null;
    out += out[out.length - 1]!.repeat(count);
  }
  return out;
}

/** A complete framed packet, ready for the wire. */
export function framePacket(payload: string, options: { readonly rle?: boolean } = {}): string {
  const body = options.rle === true ? rleEncode(payload) : payload;
  return '$' + body + '#' + hex8(checksum(body));
}

/** What the byte stream from the client contained. */
export type WireEvent =
  | { readonly kind: 'packet'; readonly payload: string }
  | { readonly kind: 'ack' }
  | { readonly kind: 'nack' }
  | { readonly kind: 'interrupt' }
  /** A packet whose checksum did not match: answer `-` so the client sends it again. */
  | { readonly kind: 'bad-checksum'; readonly expected: number; readonly got: number }
  /** A packet longer than MAX_PACKET_PAYLOAD (discarded up to its end). */
  | { readonly kind: 'overlong'; readonly length: number }
  /** Bytes outside any packet that mean nothing (line noise, a telnet user). */
  | { readonly kind: 'junk'; readonly byte: number };

/**
 * Incremental decoder of the client's byte stream. Feed it whatever the socket delivers; it
 * returns the events completed by those bytes. State survives across chunks, so a packet may
 * arrive one byte at a time.
 */
export class PacketDecoder {
  private state: 'idle' | 'payload' | 'cs1' | 'cs2' = 'idle';
  private payload: string[] = [];
  private length = 0;
  private overlong = false;
  private sum = 0;
  private cs = 0;

  constructor(private readonly maxPayload = MAX_PACKET_PAYLOAD) {}

  /** Bytes as a latin1 string or a byte array. */
  push(data: Uint8Array | string): WireEvent[] {
    const events: WireEvent[] = [];
    const text = typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1');
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      switch (this.state) {
        case 'idle':
          if (c === 0x24) this.begin();
          else if (c === 0x2b) events.push({ kind: 'ack' });
          else if (c === 0x2d) events.push({ kind: 'nack' });
          else if (c === 0x03) events.push({ kind: 'interrupt' });
          else events.push({ kind: 'junk', byte: c });
          break;
        case 'payload':
          if (c === 0x23) {
            this.state = 'cs1';
          } else if (c === 0x24) {
            // A `$` inside a packet: the client gave up on the previous one; start over.
            this.begin();
          } else {
            this.sum = (this.sum + c) & 0xff;
            this.length++;
            if (this.length > this.maxPayload) this.overlong = true;
            else this.payload.push(text[i]!);
          }
          break;
        case 'cs1':
        case 'cs2': {
          const d = hexValue(c);
          // A non-hex checksum digit can never match; treat it as a checksum of -1.
          this.cs = d < 0 || this.cs < 0 ? -1 : (this.cs << 4) | d;
          if (this.state === 'cs1') {
            this.state = 'cs2';
            break;
          }
          this.state = 'idle';
          if (this.overlong) events.push({ kind: 'overlong', length: this.length });
          else if (this.cs !== this.sum) events.push({ kind: 'bad-checksum', expected: this.sum, got: this.cs });
          else events.push({ kind: 'packet', payload: this.payload.join('') });
          this.payload = [];
          break;
        }
      }
    }
    return events;
  }

  private begin(): void {
    this.state = 'payload';
    this.payload = [];
    this.length = 0;
    this.overlong = false;
    this.sum = 0;
    this.cs = 0;
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/** Bytes as lower-case hex, two digits each (memory and register contents). */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Hex text as bytes, or null when it is not an even number of hex digits. */
export function fromHex(text: string): Uint8Array | null {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return null;
  return new Uint8Array(Buffer.from(text, 'hex'));
}

/** An unsigned hex number as gdb writes addresses and lengths, or null. */
export function parseHexNumber(text: string): number | null {
  if (!/^[0-9a-fA-F]{1,16}$/.test(text)) return null;
  const n = Number.parseInt(text, 16);
  return Number.isSafeInteger(n) ? n : null;
}

/** Text as hex (qRcmd output, qThreadExtraInfo). */
export function textToHex(text: string): string {
  return Buffer.from(text, 'utf8').toString('hex');
}
