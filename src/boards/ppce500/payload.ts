/**
 * What QEMU 7.2's ppce500 runs first (hw/ppc/e500.c): the `-bios` firmware, or without one
 * the `-kernel` image itself. QEMU tries the file as an ELF and then as a U-Boot image; the
 * payload's address, size and entry then place the device tree and the initrd, so they are
 * computed here exactly as QEMU's loaders report them.
 */
import { BoardError, asImageError } from '../errors.js';
import type { BootImage } from '../board.js';
import { EM_PPC, elfExtent, isElf, machineName, parseElf, physicalEntry } from '../loaders/elf.js';
import { isUImage, parseUImage } from '../loaders/uimage.js';

export interface PayloadSegment {
  readonly paddr: number;
  readonly data: Uint8Array;
  /** Bytes in memory; beyond `data` they are zero. */
  readonly memsz: number;
}

export interface BootPayload {
  readonly name: string;
  readonly format: 'elf' | 'uimage';
  readonly segments: readonly PayloadSegment[];
  /** Physical address the boot CPU starts at. */
  readonly entry: number;
  /** QEMU's "loadaddr": the lowest physical address. */
  readonly address: number;
  /** QEMU's payload size: the sum of the ELF segments' memsz, or the unpacked uImage size. */
  readonly size: number;
}

/** Parses a ppce500 payload (ELF or uImage) as QEMU's loaders would; throws BoardError only. */
export function loadPpcPayload(img: BootImage): BootPayload {
  return asImageError(img.name, () => parsePayload(img));
}

function parsePayload(img: BootImage): BootPayload {
  if (isUImage(img.bytes)) {
    const u = parseUImage(img.bytes, img.name);
    return {
      name: img.name,
      format: 'uimage',
      segments: [{ paddr: u.load, data: u.data, memsz: u.data.length }],
      entry: u.entry,
      address: u.load,
      size: u.data.length,
    };
  }
  if (!isElf(img.bytes)) {
    throw new BoardError('ERR_IMAGE_FORMAT', `${img.name}: neither an ELF file nor a U-Boot image; ppce500 boots ELF images (U-Boot's uboot.elf, a vmlinux) and uImage kernels`);
  }
  const elf = parseElf(img.bytes, img.name);
  if (elf.machine !== EM_PPC || elf.class !== 32) {
    throw new BoardError('ERR_IMAGE_ARCH', `${img.name}: built for ${machineName(elf.machine)} (ELF${elf.class}); ppce500 needs a 32-bit PowerPC image`);
  }
  if (elf.littleEndian) {
    throw new BoardError('ERR_IMAGE_ARCH', `${img.name}: little-endian PowerPC image; the e500 cores boot big-endian code`);
  }
  const extent = elfExtent(elf);
  return {
    name: img.name,
    format: 'elf',
    segments: elf.segments.map((s) => ({ paddr: s.paddr, data: s.data, memsz: s.memsz })),
    entry: physicalEntry(elf),
    address: extent.low,
    size: extent.totalMemsz,
  };
}
