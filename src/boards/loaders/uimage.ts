/**
 * U-Boot legacy images ("uImage": a 64-byte big-endian header, then the payload), as QEMU's
 * `load_uimage` takes them for a ppce500 `-kernel` and as U-Boot's `bootm` boots them.
 *
 * QEMU checks only the magic, the image type and the compression; ngkvm also checks both
 * CRCs and the architecture, so a corrupt or foreign image is a clear error instead of a
 * guest that crashes somewhere in its first instructions. The writer is used by the image
 * builder (src/tools/images) and by tests.
 */
import { BoardError } from '../errors.js';
import { crc32 } from './crc32.js';
import { gunzip, InflateError } from './inflate.js';

export const UIMAGE_MAGIC = 0x27051956;
export const UIMAGE_HEADER_SIZE = 64;
export const IH_OS_LINUX = 5;
export const IH_ARCH_PPC = 7;
export const IH_TYPE_KERNEL = 2;
export const IH_COMP_NONE = 0;
export const IH_COMP_GZIP = 1;
/** QEMU refuses to unpack more than this (UBOOT_MAX_GUNZIP_BYTES). */
export const UIMAGE_MAX_UNPACKED = 64 << 20;

const ARCH_NAMES: Record<number, string> = { 2: 'ARM', 3: 'x86', 5: 'MIPS', 7: 'PowerPC', 15: 'SuperH', 22: 'AArch64', 26: 'RISC-V' };
const COMP_NAMES: Record<number, string> = { 0: 'none', 1: 'gzip', 2: 'bzip2', 3: 'lzma', 4: 'lzo', 5: 'lz4', 6: 'zstd' };

export interface UImage {
  readonly name: string;
  readonly os: number;
  readonly arch: number;
  readonly type: number;
  readonly compression: number;
  /** Load address and entry point (physical). */
  readonly load: number;
  readonly entry: number;
  /** The payload as it goes into guest memory (unpacked when it was compressed). */
  readonly data: Uint8Array;
}

export function isUImage(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0) === UIMAGE_MAGIC;
}

/**
 * How much of a uImage file the loader uses, from its header: the header and the payload it
 * announces (`loaded` bytes). Undefined when `head` does not start with a uImage header.
 */
export function uImageFileSpan(head: Uint8Array): { needed: number; loaded: number } | undefined {
  if (!isUImage(head) || head.length < UIMAGE_HEADER_SIZE) return undefined;
  const size = new DataView(head.buffer, head.byteOffset, UIMAGE_HEADER_SIZE).getUint32(12);
  return { needed: UIMAGE_HEADER_SIZE + size, loaded: size };
}

/** Parses and checks a uImage; `what` names the file in messages. Throws BoardError. */
export function parseUImage(bytes: Uint8Array, what: string): UImage {
  const bad = (msg: string): never => {
    throw new BoardError('ERR_IMAGE_FORMAT', `${what}: ${msg}`);
  };
  if (!isUImage(bytes)) bad('not a U-Boot image (no 0x27051956 magic)');
  if (bytes.length < UIMAGE_HEADER_SIZE) bad(`truncated U-Boot image header (${bytes.length} bytes)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, UIMAGE_HEADER_SIZE);
  const header = new Uint8Array(bytes.subarray(0, UIMAGE_HEADER_SIZE));
  const hcrc = dv.getUint32(4);
  new DataView(header.buffer).setUint32(4, 0);
  if (crc32(header) !== hcrc) bad('U-Boot image header checksum is wrong (corrupt image?)');
  const size = dv.getUint32(12);
  const load = dv.getUint32(16);
  const entry = dv.getUint32(20);
  const dcrc = dv.getUint32(24);
  const os = dv.getUint8(28);
  const arch = dv.getUint8(29);
  const type = dv.getUint8(30);
  const compression = dv.getUint8(31);
  const nameBytes = bytes.subarray(32, 64);
  const nul = nameBytes.indexOf(0);
  const name = new TextDecoder('latin1').decode(nul < 0 ? nameBytes : nameBytes.subarray(0, nul));
  if (UIMAGE_HEADER_SIZE + size > bytes.length) {
    bad(`U-Boot image is truncated: the header announces ${size} bytes of data, the file has ${bytes.length - UIMAGE_HEADER_SIZE}`);
  }
  const payload = bytes.subarray(UIMAGE_HEADER_SIZE, UIMAGE_HEADER_SIZE + size);
  if (crc32(payload) !== dcrc) bad('U-Boot image data checksum is wrong (corrupt image?)');
  if (type !== IH_TYPE_KERNEL) bad(`U-Boot image of type ${type}; only kernel images (type ${IH_TYPE_KERNEL}) boot with --kernel`);
  if (arch !== IH_ARCH_PPC) bad(`U-Boot image for ${ARCH_NAMES[arch] ?? `architecture ${arch}`}; ppce500 needs a PowerPC image`);
  let data = payload;
  if (compression === IH_COMP_GZIP) {
    try {
      data = gunzip(payload, UIMAGE_MAX_UNPACKED, crc32);
    } catch (e) {
      if (!(e instanceof InflateError)) throw e;
      bad(`cannot unpack the gzip-compressed kernel: ${e.message}`);
    }
  } else if (compression !== IH_COMP_NONE) {
    bad(`U-Boot image compressed with ${COMP_NAMES[compression] ?? `method ${compression}`}; QEMU and ngkvm unpack only gzip or uncompressed images`);
  }
  return { name, os, arch, type, compression, load, entry, data };
}

/** Builds a uImage around `payload` (already compressed as `compression` says). */
export function buildUImage(opts: {
  readonly name: string;
  readonly load: number;
  readonly entry: number;
  readonly payload: Uint8Array;
  readonly compression: number;
  readonly os?: number;
  readonly arch?: number;
  readonly type?: number;
  /** Seconds since the epoch (header field ih_time); fixed for reproducible images. */
  readonly time?: number;
}): Uint8Array {
  const out = new Uint8Array(UIMAGE_HEADER_SIZE + opts.payload.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, UIMAGE_MAGIC);
  dv.setUint32(8, opts.time ?? 0);
  dv.setUint32(12, opts.payload.length);
  dv.setUint32(16, opts.load >>> 0);
  dv.setUint32(20, opts.entry >>> 0);
  dv.setUint32(24, crc32(opts.payload));
  out[28] = opts.os ?? IH_OS_LINUX;
  out[29] = opts.arch ?? IH_ARCH_PPC;
  out[30] = opts.type ?? IH_TYPE_KERNEL;
  out[31] = opts.compression;
  out.set(new TextEncoder().encode(opts.name).subarray(0, 31), 32);
  out.set(opts.payload, UIMAGE_HEADER_SIZE);
  dv.setUint32(4, crc32(out.subarray(0, UIMAGE_HEADER_SIZE)));
  return out;
}
