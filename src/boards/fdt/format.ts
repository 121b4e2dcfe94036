/** Constants of the flattened device tree format (devicetree specification, ch. 5). */

export const FDT_MAGIC = 0xd00dfeed;

/** Version written by the builder, and the oldest version it stays compatible with. */
export const FDT_VERSION = 17;
export const FDT_LAST_COMPATIBLE_VERSION = 16;
/** Oldest version the parser accepts: earlier ones lack the strings block size. */
export const FDT_OLDEST_READABLE_VERSION = 16;

export const FDT_BEGIN_NODE = 0x1;
export const FDT_END_NODE = 0x2;
export const FDT_PROP = 0x3;
export const FDT_NOP = 0x4;
export const FDT_END = 0x9;

/** Header size for version 17 (version 16 lacks the final size_dt_struct word). */
export const FDT_HEADER_SIZE = 40;
export const FDT_V16_HEADER_SIZE = 36;

/** One reservation entry: u64 address, u64 size. */
export const FDT_RESERVE_ENTRY_SIZE = 16;

/** Byte offsets of the header fields. */
export const HeaderField = {
  magic: 0,
  totalSize: 4,
  offDtStruct: 8,
  offDtStrings: 12,
  offMemRsvmap: 16,
  version: 20,
  lastCompVersion: 24,
  bootCpuidPhys: 28,
  sizeDtStrings: 32,
  sizeDtStruct: 36,
} as const;

/** `n` rounded up to a multiple of 4; exact for any offset (no 32-bit bitwise wrap at 2 GiB). */
export function align4(n: number): number {
  return n + ((4 - (n % 4)) % 4);
}
