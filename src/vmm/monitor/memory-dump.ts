/**
 * `x/FMT ADDR` and `xp/FMT ADDR`: the format suffix and the dump layout of QEMU 7.2's HMP, as
 * measured against it (test/guests/monitor.test.ts compares the two):
 * - `/` then an optional decimal count, then letters: a format (`x` hex, `d` signed, `u`
 *   unsigned, `o` octal, `c` character; `i` is disassembly, which ngkvm does not have) and a
 *   size (`b` 1, `h` 2, `w` 4, `g` or `L` 8 bytes), in any order, the last of each winning;
 *   anything else is `invalid char in format: 'C'`. Without `/`, one unit.
 * - A format or size left out is the one used last (initially `x` and `w`), so `x/c` after
 *   `x/g` shows 8 characters per unit, as QEMU does.
 * - Lines hold 8 units of one byte and 16 bytes of anything larger; each starts with the
 *   address (16 hex digits for physical, see below for virtual) and a colon.
 * - Values: `x` is `0x` and 2 digits per byte; `u` and `d` are right-aligned to the width
 *   the size needs in decimal; `o` is C's `%#o` right-aligned to ceil(bits / 3); values are
 *   read in the target's byte order (big-endian e500, little-endian x86) and zero-extended,
 *   so only 8-byte units can print negative with `d`.
 * - A virtual address column is as wide as the target's addresses (QEMU's target_ulong: 8
 *   digits on the 32-bit e500, 16 on x86-64).
 * - `c` prints every byte of the count × size bytes as a quoted character, escaping `'`,
 *   `\`, newline and carriage return, and other bytes outside 32-126 as `\xNN`.
 * - A line that cannot be read entirely prints `Cannot access memory` after its address and
 *   ends the dump.
 */

export type DumpLetter = 'x' | 'd' | 'u' | 'o' | 'c';
export type DumpSize = 1 | 2 | 4 | 8;

/** What the user typed after `/`; missing parts come from the previous dump. */
export interface DumpFormatSpec {
  readonly kind: 'dump-format';
  readonly count: number;
  readonly format?: DumpLetter;
  readonly size?: DumpSize;
}

export interface DumpFormat {
  readonly count: number;
  readonly format: DumpLetter;
  readonly size: DumpSize;
}

/** Largest dump one command may ask for; QEMU has no limit, but a typo must not flood the terminal or stall the guest. */
export const MAX_DUMP_BYTES = 1 << 20;

export class DumpFormatError extends Error {
  readonly code = 'ERR_MONITOR_FORMAT';
}

const SIZES: Readonly<Record<string, DumpSize>> = { b: 1, h: 2, w: 4, g: 8, L: 8 };

/**
 * Reads the format at `pos` (at a `/` or not); returns it and where it ends. Throws
 * DumpFormatError with QEMU's message for a bad character.
 */
export function parseDumpFormat(text: string, pos: number): { readonly spec: DumpFormatSpec; readonly end: number } {
  if (text[pos] !== '/') return { spec: { kind: 'dump-format', count: 1 }, end: pos };
  let p = pos + 1;
  let digits = '';
  while (p < text.length && text[p]! >= '0' && text[p]! <= '9') digits += text[p++];
  let format: DumpLetter | undefined;
  let size: DumpSize | undefined;
  for (; p < text.length && text[p] !== ' ' && text[p] !== '\t'; p++) {
    const ch = text[p]!;
    if (ch === 'x' || ch === 'd' || ch === 'u' || ch === 'o' || ch === 'c') format = ch;
    else if (ch === 'i') throw new DumpFormatError("format 'i' (disassembly) is not supported by ngkvm");
    else if (SIZES[ch] !== undefined) size = SIZES[ch];
    else throw new DumpFormatError(`invalid char in format: '${ch}'`);
  }
  // Digits beyond what a C int holds would wrap in QEMU; here they are simply too many.
  const count = digits === '' ? 1 : Number(digits);
  return { spec: { kind: 'dump-format', count, ...(format !== undefined ? { format } : {}), ...(size !== undefined ? { size } : {}) }, end: p };
}

/** The previous dump's format and size, which a later `x`/`xp` inherits (shared by both, as in QEMU). */
export class DumpDefaults {
  format: DumpLetter = 'x';
  size: DumpSize = 4;

  /** Completes `spec` with the defaults and makes the result the new defaults. */
  resolve(spec: DumpFormatSpec): DumpFormat {
    const f: DumpFormat = { count: spec.count, format: spec.format ?? this.format, size: spec.size ?? this.size };
    if (f.count * f.size > MAX_DUMP_BYTES) {
      throw new DumpFormatError(`at most ${MAX_DUMP_BYTES} bytes can be dumped at once (asked for ${f.count} × ${f.size})`);
    }
    this.format = f.format;
    this.size = f.size;
    return f;
  }
}

/** Reads `length` bytes at `addr`, or null when any of them cannot be read. */
export type DumpReader = (addr: bigint, length: number) => Uint8Array | null;

function readUnit(bytes: Uint8Array, at: number, size: DumpSize, littleEndian: boolean): bigint {
  let v = 0n;
  for (let i = 0; i < size; i++) v = (v << 8n) | BigInt(bytes[at + (littleEndian ? size - 1 - i : i)]!);
  return v;
}

/** How the target shapes a dump: byte order of units, digits of a virtual address. */
export interface DumpTarget {
  readonly littleEndian: boolean;
  readonly virtualAddressBits: 32 | 64;
}

/** The e500 cores: big-endian, 32-bit effective addresses. */
export const BOOKE_DUMP_TARGET: DumpTarget = { littleEndian: false, virtualAddressBits: 32 };

/** Decimal digits needed for `size` bytes, as QEMU sizes its columns: ceil(bits * 10 / 33). */
const decimalWidth = (size: DumpSize): number => Math.ceil((size * 8 * 10) / 33);

function formatValue(v: bigint, format: Exclude<DumpLetter, 'c'>, size: DumpSize): string {
  switch (format) {
    case 'x':
      return `0x${v.toString(16).padStart(size * 2, '0')}`;
    case 'u':
      return v.toString().padStart(decimalWidth(size));
    case 'd':
      return BigInt.asIntN(64, v).toString().padStart(decimalWidth(size));
    case 'o':
      return (v === 0n ? '0' : `0${v.toString(8)}`).padStart(Math.ceil((size * 8) / 3));
  }
}

export function formatChar(b: number): string {
  switch (b) {
    case 0x27:
      return "'\\''";
    case 0x5c:
      return "'\\\\'";
    case 0x0a:
      return "'\\n'";
    case 0x0d:
      return "'\\r'";
    default:
      return b >= 32 && b <= 126 ? `'${String.fromCharCode(b)}'` : `'\\x${b.toString(16).padStart(2, '0')}'`;
  }
}

/** The dump as QEMU prints it; `physical` selects the 16-digit address column. */
export function formatMemoryDump(f: DumpFormat, start: bigint, physical: boolean, read: DumpReader, target: DumpTarget = BOOKE_DUMP_TARGET): string {
  const lineBytes = f.size === 1 ? 8 : 16;
  // `c` shows single bytes, but the amount and the line length still follow the size.
  const unit: DumpSize = f.format === 'c' ? 1 : f.size;
  let out = '';
  let addr = start;
  for (let left = f.count * f.size; left > 0; ) {
    const n = Math.min(left, lineBytes);
    out += physical ? addr.toString(16).padStart(16, '0') : BigInt.asUintN(target.virtualAddressBits, addr).toString(16).padStart(target.virtualAddressBits / 4, '0');
    out += ':';
    const bytes = read(addr, n);
    if (bytes === null) return `${out} Cannot access memory\n`;
    for (let i = 0; i < n; i += unit) {
      out += ' ' + (f.format === 'c' ? formatChar(bytes[i]!) : formatValue(readUnit(bytes, i, unit, target.littleEndian), f.format, unit));
    }
    out += '\n';
    addr += BigInt(n);
    left -= n;
  }
  return out;
}
