/**
 * The strings block: property names, NUL-terminated, referenced by offset.
 *
 * A name is stored once, and a name that is the tail of one already stored
 * ("stdout-path" inside "linux,stdout-path") reuses that tail. dtc and libfdt
 * both share tails this way, so following the same rule and the same insertion
 * order reproduces their blobs byte for byte.
 */
import { encodeText } from './property-values.js';

export class StringTable {
  #bytes = new Uint8Array(256);
  #length = 0;
  readonly #offsets = new Map<string, number>();

  get size(): number {
    return this.#length;
  }

  /** Offset of `name` in the block, appending it if no stored string ends with it. */
  intern(name: string): number {
    const known = this.#offsets.get(name);
    if (known !== undefined) return known;
    const encoded = encodeText(name, 'property name');
    const offset = this.#findTail(encoded) ?? this.#append(encoded);
    this.#offsets.set(name, offset);
    return offset;
  }

  bytes(): Uint8Array {
    return this.#bytes.slice(0, this.#length);
  }

  #findTail(encoded: Uint8Array): number | undefined {
    const last = this.#length - encoded.length - 1;
    for (let start = 0; start <= last; start++) {
      if (this.#bytes[start + encoded.length] !== 0) continue;
      let match = true;
      for (let i = 0; i < encoded.length && match; i++) match = this.#bytes[start + i] === encoded[i];
      if (match) return start;
    }
    return undefined;
  }

  #append(encoded: Uint8Array): number {
    const needed = this.#length + encoded.length + 1;
    if (needed > this.#bytes.length) {
      const grown = new Uint8Array(Math.max(needed, this.#bytes.length * 2));
      grown.set(this.#bytes.subarray(0, this.#length));
      this.#bytes = grown;
    }
    const offset = this.#length;
    this.#bytes.set(encoded, offset);
    this.#bytes[offset + encoded.length] = 0;
    this.#length = needed;
    return offset;
  }
}
