/**
 * gzip (RFC 1952) and DEFLATE (RFC 1951) decompression for boot images: QEMU's uImage loader
 * unpacks gzip-compressed kernels, and boards must do it without host libraries (the board
 * layer also runs in a browser), synchronously, and with a bound on the output so that a
 * hostile image cannot make the VMM allocate without limit.
 *
 * Huffman codes are decoded canonically (symbol counts per code length, codes read a bit at
 * a time), which is short and obviously correct; a 6 MiB kernel unpacks in well under a
 * second.
 */

export class InflateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InflateError';
  }
}

const MAX_BITS = 15;

interface Huffman {
  /** Number of codes of each length 0..15. */
  readonly count: Uint16Array;
  /** Symbols ordered by code. */
  readonly symbol: Uint16Array;
}

/** Length base values and extra bits for length codes 257..285. */
const LEN_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LEN_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
/** Distance base values and extra bits for distance codes 0..29. */
const DIST_BASE = [
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
/** Order in which code-length code lengths are stored in a dynamic block header. */
const CLEN_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/** Builds a canonical Huffman decoder from code lengths; incomplete codes are allowed only where RFC 1951 allows them. */
function buildHuffman(lengths: ArrayLike<number>, n: number): Huffman {
  const count = new Uint16Array(MAX_BITS + 1);
  for (let s = 0; s < n; s++) count[lengths[s]!]!++;
  let left = 1;
  for (let len = 1; len <= MAX_BITS; len++) {
    left = left * 2 - count[len]!;
    if (left < 0) throw new InflateError('over-subscribed Huffman code');
  }
  const offs = new Uint16Array(MAX_BITS + 1);
  for (let len = 1; len < MAX_BITS; len++) offs[len + 1] = offs[len]! + count[len]!;
  const symbol = new Uint16Array(n);
  for (let s = 0; s < n; s++) if (lengths[s] !== 0) symbol[offs[lengths[s]!]!++] = s;
  return { count, symbol };
}

let fixedLit: Huffman | undefined;
let fixedDist: Huffman | undefined;

function fixedTables(): { lit: Huffman; dist: Huffman } {
  if (fixedLit === undefined || fixedDist === undefined) {
    const l = new Uint8Array(288);
    l.fill(8, 0, 144);
    l.fill(9, 144, 256);
    l.fill(7, 256, 280);
    l.fill(8, 280, 288);
    fixedLit = buildHuffman(l, 288);
    fixedDist = buildHuffman(new Uint8Array(30).fill(5), 30);
  }
  return { lit: fixedLit, dist: fixedDist };
}

class Inflater {
  private pos: number;
  private bitBuf = 0;
  private bitCount = 0;
  private out: Uint8Array;
  private outLen = 0;

  constructor(
    private readonly input: Uint8Array,
    start: number,
    private readonly maxOutput: number,
    sizeHint: number,
  ) {
    this.pos = start;
    this.out = new Uint8Array(Math.max(1024, Math.min(sizeHint, maxOutput)));
  }

  get consumed(): number {
    return this.pos;
  }

  private bits(n: number): number {
    while (this.bitCount < n) {
      if (this.pos >= this.input.length) throw new InflateError('compressed data ends too early (truncated?)');
      this.bitBuf |= this.input[this.pos++]! << this.bitCount;
      this.bitCount += 8;
    }
    const v = this.bitBuf & ((1 << n) - 1);
    this.bitBuf >>>= n;
    this.bitCount -= n;
    return v;
  }

  private decode(h: Huffman): number {
    let code = 0;
    let first = 0;
    let index = 0;
    for (let len = 1; len <= MAX_BITS; len++) {
      code |= this.bits(1);
      const count = h.count[len]!;
      if (code - count < first) return h.symbol[index + (code - first)]!;
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    throw new InflateError('invalid Huffman code');
  }

  private room(n: number): void {
    const need = this.outLen + n;
    if (need > this.maxOutput) throw new InflateError(`decompressed data exceeds ${this.maxOutput} bytes`);
    if (need <= this.out.length) return;
    const grown = new Uint8Array(Math.min(this.maxOutput, Math.max(need, this.out.length * 2)));
    grown.set(this.out.subarray(0, this.outLen));
    this.out = grown;
  }

  run(): Uint8Array {
    let last = 0;
    while (last === 0) {
      last = this.bits(1);
      const type = this.bits(2);
      if (type === 0) this.stored();
      else if (type === 1) {
        const f = fixedTables();
        this.codes(f.lit, f.dist);
      } else if (type === 2) this.dynamic();
      else throw new InflateError('invalid block type 3');
    }
    return this.out.subarray(0, this.outLen);
  }

  private stored(): void {
    this.bitBuf = 0;
    this.bitCount = 0;
    if (this.pos + 4 > this.input.length) throw new InflateError('stored block header is truncated');
    const len = this.input[this.pos]! | (this.input[this.pos + 1]! << 8);
    const nlen = this.input[this.pos + 2]! | (this.input[this.pos + 3]! << 8);
    this.pos += 4;
    if ((len ^ 0xffff) !== nlen) throw new InflateError('stored block length check failed');
    if (this.pos + len > this.input.length) throw new InflateError('stored block is truncated');
    this.room(len);
    this.out.set(this.input.subarray(this.pos, this.pos + len), this.outLen);
    this.outLen += len;
    this.pos += len;
  }

  private dynamic(): void {
    const nlen = this.bits(5) + 257;
    const ndist = this.bits(5) + 1;
    const ncode = this.bits(4) + 4;
    if (nlen > 286 || ndist > 30) throw new InflateError('too many length or distance codes');
    const lengths = new Uint8Array(320);
    for (let i = 0; i < ncode; i++) lengths[CLEN_ORDER[i]!] = this.bits(3);
    const clen = buildHuffman(lengths, 19);
    lengths.fill(0);
    let i = 0;
    while (i < nlen + ndist) {
      const sym = this.decode(clen);
      if (sym < 16) {
        lengths[i++] = sym;
        continue;
      }
      let repeat: number;
      let value = 0;
      if (sym === 16) {
        if (i === 0) throw new InflateError('repeat of a code length with none before it');
        value = lengths[i - 1]!;
        repeat = 3 + this.bits(2);
      } else if (sym === 17) repeat = 3 + this.bits(3);
      else repeat = 11 + this.bits(7);
      if (i + repeat > nlen + ndist) throw new InflateError('code lengths overrun the table');
      lengths.fill(value, i, i + repeat);
      i += repeat;
    }
    if (lengths[256] === 0) throw new InflateError('no end-of-block code');
    const lit = buildHuffman(lengths.subarray(0, nlen), nlen);
    const dist = buildHuffman(lengths.subarray(nlen, nlen + ndist), ndist);
    this.codes(lit, dist);
  }

  private codes(lit: Huffman, dist: Huffman): void {
    for (;;) {
      const sym = this.decode(lit);
      if (sym < 256) {
        this.room(1);
        this.out[this.outLen++] = sym;
      } else if (sym === 256) {
        return;
      } else {
        const li = sym - 257;
        if (li >= 29) throw new InflateError('invalid length code');
        const len = LEN_BASE[li]! + this.bits(LEN_EXTRA[li]!);
        const di = this.decode(dist);
        if (di >= 30) throw new InflateError('invalid distance code');
        const d = DIST_BASE[di]! + this.bits(DIST_EXTRA[di]!);
        if (d > this.outLen) throw new InflateError('distance reaches before the start of the output');
        this.room(len);
        const o = this.out;
        let from = this.outLen - d;
        for (let k = 0; k < len; k++) o[this.outLen++] = o[from++]!;
      }
    }
  }
}

/** Raw DEFLATE data starting at `start`; returns the output and where the compressed data ended. */
export function inflateRaw(input: Uint8Array, start: number, maxOutput: number, sizeHint = input.length * 3): { data: Uint8Array; end: number } {
  const inf = new Inflater(input, start, maxOutput, sizeHint);
  const data = inf.run();
  return { data, end: inf.consumed };
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Decompresses one gzip member (RFC 1952), checking its CRC-32 and length trailer. Output
 * beyond `maxOutput` bytes is an error.
 */
export function gunzip(bytes: Uint8Array, maxOutput: number, crc32: (b: Uint8Array) => number): Uint8Array {
  if (!isGzip(bytes)) throw new InflateError('not gzip data (no 1f 8b magic)');
  if (bytes.length < 18) throw new InflateError('gzip data is truncated');
  if (bytes[2] !== 8) throw new InflateError(`unknown gzip compression method ${bytes[2]}`);
  const flags = bytes[3]!;
  let p = 10;
  const need = (n: number): void => {
    if (p + n > bytes.length) throw new InflateError('gzip header is truncated');
  };
  if ((flags & 4) !== 0) {
    need(2);
    p += 2 + (bytes[p]! | (bytes[p + 1]! << 8));
  }
  for (const bit of [8, 16]) {
    if ((flags & bit) === 0) continue;
    while (p < bytes.length && bytes[p] !== 0) p++;
    p++;
  }
  if ((flags & 2) !== 0) p += 2;
  need(0);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // ISIZE (length mod 2^32) from the trailer sizes the buffer when the member fills the input.
  const isize = view.getUint32(bytes.length - 4, true);
  const { data, end } = inflateRaw(bytes, p, maxOutput, isize);
  if (end + 8 > bytes.length) throw new InflateError('gzip trailer is missing (truncated?)');
  const crc = view.getUint32(end, true);
  const size = view.getUint32(end + 4, true);
  if (crc32(data) !== crc) throw new InflateError('gzip CRC-32 does not match the data (corrupt?)');
  if (data.length % 0x1_0000_0000 !== size) throw new InflateError('gzip length does not match the data (corrupt?)');
  return data;
}
