/**
 * Mutators shared by the targets: byte-level changes that find bounds and size bugs in binary
 * formats (bit flips, interesting integers in either byte order, chunks removed, repeated or
 * spliced from another input, truncation), and line/token-level changes for text protocols.
 */
import type { Prng } from '../support/prng.js';

/** Integers that sit at the edges of what size and offset arithmetic handles. */
export const INTERESTING_32 = [
  0, 1, 2, 3, 4, 7, 8, 0xf, 0x10, 0x1f, 0x20, 0x3f, 0x40, 0x7f, 0x80, 0xff, 0x100, 0x1ff, 0x200, 0x3ff, 0x400, 0xfff, 0x1000,
  0x7fff, 0x8000, 0xffff, 0x1_0000, 0x7fff_ffff, 0x8000_0000, 0x8000_0001, 0xffff_fff0, 0xffff_fff4, 0xffff_fffc, 0xffff_fffe, 0xffff_ffff,
];

/** A copy of `input` with 1..`max` stacked byte-level mutations. */
export function mutateBytes(input: Uint8Array, rng: Prng, corpus: readonly Uint8Array[], max = 4): Uint8Array {
  let out: Uint8Array = input.slice();
  const n = 1 + rng.below(max);
  for (let i = 0; i < n; i++) out = mutateOnce(out, rng, corpus);
  return out;
}

function mutateOnce(b: Uint8Array, rng: Prng, corpus: readonly Uint8Array[]): Uint8Array {
  const at = (): number => rng.below(Math.max(1, b.length));
  switch (rng.below(10)) {
    case 0: {
      // flip one bit
      if (b.length === 0) return b;
      const i = at();
      b[i] = b[i]! ^ (1 << rng.below(8));
      return b;
    }
    case 1: {
      // a random byte
      if (b.length === 0) return Uint8Array.of(rng.u32() & 0xff);
      b[at()] = rng.u32() & 0xff;
      return b;
    }
    case 2:
    case 3: {
      // an interesting 8/16/32-bit value, big- or little-endian, often aligned
      if (b.length < 4) return b;
      const width = rng.pick([1, 2, 4]);
      let i = rng.below(b.length - width + 1);
      if (rng.chance(0.7)) i -= i % width;
      const v = rng.pick(INTERESTING_32);
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      const le = rng.chance(0.5);
      if (width === 1) dv.setUint8(i, v & 0xff);
      else if (width === 2) dv.setUint16(i, v & 0xffff, le);
      else dv.setUint32(i, v >>> 0, le);
      return b;
    }
    case 4: {
      // add or subtract a little from a 32-bit word (sizes off by a few)
      if (b.length < 4) return b;
      const i = rng.below(b.length - 3) & ~3;
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      const le = rng.chance(0.5);
      dv.setUint32(i, (dv.getUint32(i, le) + rng.below(33) - 16) >>> 0, le);
      return b;
    }
    case 5: {
      // truncate
      return b.subarray(0, rng.below(b.length + 1)).slice();
    }
    case 6: {
      // remove a chunk
      if (b.length === 0) return b;
      const i = at();
      const n = 1 + rng.below(Math.min(256, b.length - i));
      const out = new Uint8Array(b.length - n);
      out.set(b.subarray(0, i));
      out.set(b.subarray(i + n), i);
      return out;
    }
    case 7: {
      // repeat a chunk in place
      if (b.length === 0) return b;
      const i = at();
      const n = 1 + rng.below(Math.min(256, b.length - i));
      const out = new Uint8Array(b.length + n);
      out.set(b.subarray(0, i + n));
      out.set(b.subarray(i, i + n), i + n);
      out.set(b.subarray(i + n), i + 2 * n);
      return out;
    }
    case 8: {
      // overwrite a chunk with one from another input of the corpus
      const other = rng.pick(corpus);
      if (other.length === 0 || b.length === 0) return b;
      const from = rng.below(other.length);
      const n = 1 + rng.below(Math.min(256, other.length - from));
      const i = at();
      b.set(other.subarray(from, from + Math.min(n, b.length - i)), i);
      return b;
    }
    default: {
      // random bytes appended
      const extra = new Uint8Array(1 + rng.below(64));
      for (let k = 0; k < extra.length; k++) extra[k] = rng.u32() & 0xff;
      const out = new Uint8Array(b.length + extra.length);
      out.set(b);
      out.set(extra, b.length);
      return out;
    }
  }
}

/** Text inputs as lines: lines dropped, repeated, swapped, spliced from other inputs, or byte-mutated. */
export function mutateLines(input: string, rng: Prng, corpus: readonly string[], tokens: readonly string[]): string {
  const lines = input.split('\n');
  const n = 1 + rng.below(3);
  for (let k = 0; k < n; k++) {
    const i = rng.below(lines.length);
    switch (rng.below(7)) {
      case 0:
        lines.splice(i, 1);
        break;
      case 1:
        lines.splice(i, 0, lines[i] ?? '');
        break;
      case 2: {
        const other = rng.pick(corpus).split('\n');
        lines.splice(i, 0, rng.pick(other));
        break;
      }
      case 3:
        lines[i] = (lines[i] ?? '') + rng.pick(tokens);
        break;
      case 4: {
        const line = lines[i] ?? '';
        const at = rng.below(line.length + 1);
        lines[i] = line.slice(0, at) + rng.pick(tokens) + line.slice(at);
        break;
      }
      case 5: {
        const line = lines[i] ?? '';
        const at = rng.below(line.length + 1);
        lines[i] = line.slice(0, at) + line.slice(at + 1 + rng.below(8));
        break;
      }
      default: {
        const line = lines[i] ?? '';
        if (line.length === 0) break;
        const at = rng.below(line.length);
        lines[i] = line.slice(0, at) + String.fromCharCode(rng.below(256)) + line.slice(at + 1);
      }
    }
  }
  return lines.join('\n');
}
