/**
 * Conversions between JavaScript values and property value bytes.
 * All multi-byte quantities in a device tree are big-endian.
 */
import { FdtError } from './fdt-error.js';

const U32_MAX = 0xffff_ffff;
const U64_MAX = (1n << 64n) - 1n;

const utf8Encoder = new TextEncoder();
// Non-fatal: a guest-supplied or corrupt string must still be printable.
const utf8Decoder = new TextDecoder('utf-8');

export function encodeCells(cells: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(cells.length * 4);
  const view = new DataView(bytes.buffer);
  cells.forEach((cell, i) => {
    if (!Number.isInteger(cell) || cell < 0 || cell > U32_MAX) {
      throw new FdtError('invalid-value', `cell value ${cell} is not a u32`);
    }
    view.setUint32(i * 4, cell);
  });
  return bytes;
}

export function encodeU64s(values: readonly (number | bigint)[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  values.forEach((value, i) => {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) {
      throw new FdtError('invalid-value', `u64 value ${value} is not a safe integer; pass a bigint`);
    }
    const big = BigInt(value);
    if (big < 0n || big > U64_MAX) {
      throw new FdtError('invalid-value', `value ${value} is not a u64`);
    }
    view.setBigUint64(i * 8, big);
  });
  return bytes;
}

/** UTF-8 bytes of `text` without terminator; rejects embedded NULs, which would split the string. */
export function encodeText(text: string, what: string): Uint8Array {
  const bytes = utf8Encoder.encode(text);
  if (bytes.includes(0)) {
    throw new FdtError('invalid-value', `${what} ${JSON.stringify(text)} contains a NUL character`);
  }
  return bytes;
}

export function encodeStrings(values: readonly string[]): Uint8Array {
  const parts = values.map((value) => encodeText(value, 'string'));
  const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.length + 1, 0));
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length + 1;
  }
  return bytes;
}

export function decodeText(bytes: Uint8Array): string {
  return utf8Decoder.decode(bytes);
}

function describe(name: string): string {
  return `property "${name}"`;
}

export function decodeCells(name: string, value: Uint8Array): number[] {
  if (value.length % 4 !== 0) {
    throw new FdtError('bad-property-value', `${describe(name)} is ${value.length} bytes, not a whole number of cells`);
  }
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const cells: number[] = [];
  for (let at = 0; at < value.length; at += 4) cells.push(view.getUint32(at));
  return cells;
}

export function decodeU32(name: string, value: Uint8Array): number {
  if (value.length !== 4) {
    throw new FdtError('bad-property-value', `${describe(name)} is ${value.length} bytes, expected a 4-byte u32`);
  }
  return new DataView(value.buffer, value.byteOffset, 4).getUint32(0);
}

export function decodeU64(name: string, value: Uint8Array): bigint {
  if (value.length !== 8) {
    throw new FdtError('bad-property-value', `${describe(name)} is ${value.length} bytes, expected an 8-byte u64`);
  }
  return new DataView(value.buffer, value.byteOffset, 8).getBigUint64(0);
}

export function decodeStrings(name: string, value: Uint8Array): string[] {
  if (value.length === 0 || value[value.length - 1] !== 0) {
    throw new FdtError('bad-property-value', `${describe(name)} is not a NUL-terminated string list`);
  }
  const strings: string[] = [];
  let start = 0;
  for (let at = 0; at < value.length; at++) {
    if (value[at] === 0) {
      strings.push(decodeText(value.subarray(start, at)));
      start = at + 1;
    }
  }
  return strings;
}

export function decodeString(name: string, value: Uint8Array): string {
  const strings = decodeStrings(name, value);
  const only = strings[0];
  if (strings.length !== 1 || only === undefined) {
    throw new FdtError('bad-property-value', `${describe(name)} holds ${strings.length} strings, expected one`);
  }
  return only;
}
