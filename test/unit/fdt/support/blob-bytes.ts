/**
 * An independent walk over a blob's structure block (deliberately not using
 * the library's parser) that zeroes the bytes whose content the format leaves
 * open: alignment padding after names and values (libfdt leaves stale bytes
 * there), and the values of named properties such as the random rng-seed.
 * Two blobs that are equal after this are equal in every meaningful byte,
 * string offsets included.
 */
const FDT_BEGIN_NODE = 1;
const FDT_END_NODE = 2;
const FDT_PROP = 3;
const FDT_NOP = 4;
const FDT_END = 9;

export function meaningfulBytes(blob: Uint8Array, ignoredValues: ReadonlySet<string>): Uint8Array {
  const copy = blob.slice();
  const view = new DataView(copy.buffer);
  const structStart = view.getUint32(8);
  const stringsStart = view.getUint32(12);
  const nameAt = (offset: number): string => {
    let end = stringsStart + offset;
    while (copy[end] !== 0) end++;
    return new TextDecoder().decode(copy.subarray(stringsStart + offset, end));
  };
  const padTo4 = (from: number): number => {
    let at = from;
    while (at % 4 !== 0) copy[at++] = 0;
    return at;
  };
  for (let at = structStart; ; ) {
    const token = view.getUint32(at);
    at += 4;
    if (token === FDT_BEGIN_NODE) {
      at = padTo4(copy.indexOf(0, at) + 1);
    } else if (token === FDT_PROP) {
      const length = view.getUint32(at);
      const name = nameAt(view.getUint32(at + 4));
      at += 8;
      if (ignoredValues.has(name)) copy.fill(0, at, at + length);
      at = padTo4(at + length);
    } else if (token === FDT_END) {
      return copy;
    } else if (token !== FDT_END_NODE && token !== FDT_NOP) {
      throw new Error(`unexpected token ${token} at ${at - 4}`);
    }
  }
}

export function firstDifference(a: Uint8Array, b: Uint8Array): number | undefined {
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return i;
  return undefined;
}
