/**
 * The x86-microvm guest-physical layout and what loaders place in low memory.
 *
 * RAM starts at 0. Above 3 GiB the space below 4 GiB is the device hole (IOAPIC at
 * 0xFEC0_0000, local APICs at 0xFEE0_0000, room for more windows), so RAM beyond 3 GiB
 * continues at 4 GiB. The legacy region [0x9FC00, 0x100000) (EBDA, VGA, option ROMs, BIOS
 * on a PC) is not reported as RAM, so guests that expect a PC keep away from it; kernels
 * load at 1 MiB.
 *
 * Low-memory boot structures (all below 0x9FC00, none in the first page):
 *   0x0500  boot GDT            0x6000  hvm_start_info, then the module list
 *   0x7000  PVH memory map / Linux zero page (boot_params)
 *   0x9000  page tables for a 64-bit Linux entry (PML4, PDPT, 4 PDs: identity 4 GiB)
 *   0x20000 kernel command line (up to 64 KiB)
 */
import { BoardError } from '../errors.js';

export const MiB = 0x10_0000;
export const GiB = 0x4000_0000;
export const LOW_RAM_MAX = 3 * GiB;
export const HIGH_RAM_BASE = 4 * GiB;
/** End of conventional memory as a PC reports it (the EBDA follows). */
export const CONVENTIONAL_END = 0x9_fc00;
export const KERNEL_BASE = MiB;

export const BOOT_GDT_ADDR = 0x500;
export const START_INFO_ADDR = 0x6000;
export const MODLIST_ADDR = 0x6040;
export const MEMMAP_ADDR = 0x7000;
export const ZERO_PAGE_ADDR = 0x7000;
export const PAGE_TABLES_ADDR = 0x9000;
export const CMDLINE_ADDR = 0x2_0000;
export const CMDLINE_MAX = 0x1_0000;

/** Smallest RAM the board accepts: the boot structures, 1 MiB and a little for a kernel. */
export const MIN_RAM = 2 * MiB;

export const E820_RAM = 1;
export const E820_RESERVED = 2;

export interface E820Entry {
  readonly addr: number;
  readonly size: number;
  readonly type: number;
}

export interface RamLayout {
  /** RAM mapped at 0. */
  readonly lowSize: number;
  /** RAM mapped at 4 GiB (0 when all RAM fits below the hole). */
  readonly highSize: number;
}

export function ramLayout(ramSize: number): RamLayout {
  if (!Number.isSafeInteger(ramSize) || ramSize <= 0) throw new BoardError('ERR_RAM_SIZE', `RAM size ${String(ramSize)} is not a positive number of bytes`);
  if (ramSize % 4096 !== 0) throw new BoardError('ERR_RAM_SIZE', `x86-microvm RAM must be a whole number of 4 KiB pages; got ${ramSize} bytes`);
  if (ramSize < MIN_RAM) throw new BoardError('ERR_RAM_SIZE', `x86-microvm needs at least ${MIN_RAM / MiB} MiB of RAM (boot structures below 1 MiB, the kernel from 1 MiB); got ${ramSize} bytes`);
  const lowSize = Math.min(ramSize, LOW_RAM_MAX);
  return { lowSize, highSize: ramSize - lowSize };
}

/** The RAM map a guest is told about (hvm_start_info memmap, Linux e820). */
export function e820Map(layout: RamLayout): E820Entry[] {
  const out: E820Entry[] = [
    { addr: 0, size: CONVENTIONAL_END, type: E820_RAM },
    { addr: CONVENTIONAL_END, size: MiB - CONVENTIONAL_END, type: E820_RESERVED },
    { addr: MiB, size: layout.lowSize - MiB, type: E820_RAM },
  ];
  if (layout.highSize > 0) out.push({ addr: HIGH_RAM_BASE, size: layout.highSize, type: E820_RAM });
  return out;
}

/** Memory a loader fills before the first instruction. */
export interface BootWrite {
  readonly addr: number;
  readonly bytes: Uint8Array;
  /** For messages: what the bytes are. */
  readonly what: string;
  /** Bytes after `bytes` to zero (BSS). */
  readonly zeroFill?: number;
}

/** Where an initrd goes: page-aligned at the top of low RAM, below `limit`, above `floor`. */
export function placeInitrd(size: number, layout: RamLayout, floor: number, limit: number, name: string): number {
  const top = Math.min(layout.lowSize, limit);
  const addr = Math.floor((top - size) / 4096) * 4096;
  if (size > top || addr < floor) {
    throw new BoardError(
      'ERR_RAM_SIZE',
      `${name} (${size} bytes) does not fit between the kernel's end at 0x${floor.toString(16)} and 0x${top.toString(16)}; use a larger -m`,
    );
  }
  return addr;
}

export function cmdlineBytes(append: string | undefined, max: number): Uint8Array {
  const text = new TextEncoder().encode(append ?? '');
  if (text.includes(0)) throw new BoardError('ERR_BOARD_OPTION', 'the kernel command line cannot contain a NUL character');
  if (text.length + 1 > max) throw new BoardError('ERR_BOARD_OPTION', `the kernel command line is ${text.length} bytes; this kernel takes at most ${max - 1}`);
  const out = new Uint8Array(text.length + 1);
  out.set(text);
  return out;
}
