/**
 * ELF executable parsing for boot loaders: the loadable segments and the entry point, with
 * every field checked against the file size before it is used. Nothing is written to guest
 * memory here; boards decide where images may go.
 */
import { BoardError } from '../errors.js';

export const EM_PPC = 20;
export const EM_X86_64 = 62;
export const EM_386 = 3;

const PT_LOAD = 1;
const PT_NOTE = 4;

export interface ElfSegment {
  readonly paddr: number;
  /**
   * Virtual address; NaN when it does not fit a double exactly (a 64-bit kernel linked at
   * 0xFFFF_FFFF_8100_0000): boot loaders place segments by `paddr`.
   */
  readonly vaddr: number;
  /** Bytes taken from the file. */
  readonly data: Uint8Array;
  /** Size in memory (the rest, beyond `data`, is zero-filled). */
  readonly memsz: number;
  /** p_flags: PF_X (1), PF_W (2), PF_R (4). */
  readonly flags: number;
}

export interface ElfNote {
  readonly name: string;
  readonly type: number;
  readonly desc: Uint8Array;
}

export interface ElfImage {
  readonly class: 32 | 64;
  readonly littleEndian: boolean;
  readonly machine: number;
  /** e_entry; NaN when above 2^53 (a high virtual address: see `vaddr`). */
  readonly entry: number;
  readonly segments: readonly ElfSegment[];
  readonly notes: readonly ElfNote[];
}

export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

const MACHINE_NAMES: Record<number, string> = {
  [EM_386]: 'x86 (i386)',
  [EM_PPC]: 'PowerPC (32-bit)',
  21: 'PowerPC64',
  40: 'ARM',
  [EM_X86_64]: 'x86-64',
  183: 'AArch64',
  243: 'RISC-V',
};

export function machineName(machine: number): string {
  return MACHINE_NAMES[machine] ?? `machine ${machine}`;
}

/**
 * Parses `bytes` as an ELF executable. `what` names the file in messages.
 * Throws BoardError ERR_IMAGE_FORMAT for anything malformed or truncated.
 */
export function parseElf(bytes: Uint8Array, what: string): ElfImage {
  const bad = (msg: string): never => {
    throw new BoardError('ERR_IMAGE_FORMAT', `${what}: ${msg}`);
  };
  if (!isElf(bytes)) bad('not an ELF file (no \\x7fELF magic)');
  if (bytes.length < 52) bad(`truncated ELF header (${bytes.length} bytes)`);
  const cls = bytes[4];
  if (cls !== 1 && cls !== 2) bad(`unknown ELF class ${cls}`);
  const data = bytes[5];
  if (data !== 1 && data !== 2) bad(`unknown ELF data encoding ${data}`);
  const le = data === 1;
  const is64 = cls === 2;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (o: number): number => dv.getUint16(o, le);
  const u32 = (o: number): number => dv.getUint32(o, le);
  const addr = (o: number): number => {
    if (!is64) return u32(o);
    const v = dv.getBigUint64(o, le);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) bad(`address 0x${v.toString(16)} is out of range`);
    return Number(v);
  };
  /** Virtual addresses may be anywhere in 64 bits; only physical ones must be exact. */
  const virt = (o: number): number => {
    if (!is64) return u32(o);
    const v = dv.getBigUint64(o, le);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? NaN : Number(v);
  };
  if (is64 && bytes.length < 64) bad(`truncated ELF64 header (${bytes.length} bytes)`);
  const type = u16(16);
  // Position-independent executables (ET_DYN) load at their program-header addresses, as QEMU does.
  if (type !== 2 && type !== 3) bad(`ELF type ${type} is not an executable (ET_EXEC or ET_DYN)`);
  const machine = u16(18);
  const entry = virt(24);
  const phoff = addr(is64 ? 32 : 28);
  const phentsize = u16(is64 ? 54 : 42);
  const phnum = u16(is64 ? 56 : 44);
  const minEnt = is64 ? 56 : 32;
  if (phnum === 0) bad('no program headers');
  if (phentsize < minEnt) bad(`program header entry size ${phentsize} is smaller than ${minEnt}`);
  if (phoff + phnum * phentsize > bytes.length) bad('program header table extends past the end of the file (truncated?)');
  const segments: ElfSegment[] = [];
  const notes: ElfNote[] = [];
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    const ptype = u32(p);
    const offset = addr(is64 ? p + 8 : p + 4);
    const vaddr = virt(is64 ? p + 16 : p + 8);
    const paddr = addr(is64 ? p + 24 : p + 12);
    const filesz = addr(is64 ? p + 32 : p + 16);
    const memsz = addr(is64 ? p + 40 : p + 20);
    const flags = u32(is64 ? p + 4 : p + 24);
    if (ptype !== PT_LOAD && ptype !== PT_NOTE) continue;
    if (offset + filesz > bytes.length) bad(`segment ${i} (file offset 0x${offset.toString(16)}, 0x${filesz.toString(16)} bytes) extends past the end of the file (truncated?)`);
    if (ptype === PT_NOTE) {
      notes.push(...parseNotes(bytes.subarray(offset, offset + filesz), le, bad));
      continue;
    }
    if (memsz < filesz) bad(`segment ${i} has memsz 0x${memsz.toString(16)} smaller than filesz 0x${filesz.toString(16)}`);
    if (memsz === 0) continue;
    segments.push({ paddr, vaddr, data: bytes.subarray(offset, offset + filesz), memsz, flags });
  }
  if (segments.length === 0) bad('no loadable (PT_LOAD) segments');
  return { class: is64 ? 64 : 32, littleEndian: le, machine, entry, segments, notes };
}

/** `n` rounded up to a multiple of 4, in double arithmetic (a 32-bit size near 2^32 must not wrap). */
/**
 * How much of an ELF file a boot loader uses, from its header and program headers alone, so
 * that the VMM can check an image's size before reading it and then read only that much:
 * `needed` bytes from the start of the file (the headers and the file part of every PT_LOAD
 * and PT_NOTE segment) of which `loaded` are PT_LOAD data that go into guest memory. Section
 * headers and debug information past the segments are never read. Undefined when the first
 * bytes are not an ELF header this parser reads (parseElf then says why).
 *
 * `read(offset, length)` returns the file's bytes there (fewer at its end).
 */
export function elfFileSpan(read: (offset: number, length: number) => Uint8Array): { needed: number; loaded: number } | undefined {
  const head = read(0, 64);
  if (!isElf(head) || head.length < 52) return undefined;
  const is64 = head[4] === 2;
  if ((head[4] !== 1 && !is64) || (head[5] !== 1 && head[5] !== 2) || (is64 && head.length < 64)) return undefined;
  const le = head[5] === 1;
  const hv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const word = (dv: DataView, o: number): number => (is64 ? Number(dv.getBigUint64(o, le)) : dv.getUint32(o, le));
  const phoff = word(hv, is64 ? 32 : 28);
  const phentsize = hv.getUint16(is64 ? 54 : 42, le);
  const phnum = hv.getUint16(is64 ? 56 : 44, le);
  const minEnt = is64 ? 56 : 32;
  let needed = Math.max(is64 ? 64 : 52, phoff + phnum * phentsize);
  let loaded = 0;
  if (phentsize < minEnt) return { needed: is64 ? 64 : 52, loaded };
  for (let i = 0; i < phnum; i++) {
    const ph = read(phoff + i * phentsize, minEnt);
    // A table that runs past the end of the file: parseElf reports it.
    if (ph.length < minEnt) break;
    const pv = new DataView(ph.buffer, ph.byteOffset, ph.byteLength);
    const type = pv.getUint32(0, le);
    if (type !== PT_LOAD && type !== PT_NOTE) continue;
    const offset = word(pv, is64 ? 8 : 4);
    const filesz = word(pv, is64 ? 32 : 16);
    needed = Math.max(needed, offset + filesz);
    if (type === PT_LOAD) loaded += filesz;
  }
  return { needed, loaded };
}

function pad4(n: number): number {
  return n + ((4 - (n % 4)) % 4);
}

/**
 * The notes of one PT_NOTE segment. Every size is checked against the bytes that remain
 * before it is used, the arithmetic is exact (doubles, no 32-bit bitwise operators), and
 * each note moves the cursor forward by at least its 12-byte header.
 */
function parseNotes(buf: Uint8Array, le: boolean, bad: (m: string) => never): ElfNote[] {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: ElfNote[] = [];
  let p = 0;
  // Fewer than 12 bytes left cannot hold a note header: padding, ignored as readelf does.
  while (buf.length - p >= 12) {
    const namesz = dv.getUint32(p, le);
    const descsz = dv.getUint32(p + 4, le);
    const type = dv.getUint32(p + 8, le);
    const nameStart = p + 12;
    const index = out.length;
    if (namesz > buf.length - nameStart) {
      bad(`ELF note ${index}: its name (${namesz} bytes) runs past the end of the note segment (${buf.length - nameStart} bytes left)`);
    }
    // The name is padded to 4 bytes; a last note without a descriptor may omit that padding.
    const descStart = Math.min(nameStart + pad4(namesz), buf.length);
    if (descsz > buf.length - descStart) {
      bad(`ELF note ${index}: its descriptor (${descsz} bytes) runs past the end of the note segment (${buf.length - descStart} bytes left)`);
    }
    const nameBytes = buf.subarray(nameStart, nameStart + namesz);
    const nul = nameBytes.indexOf(0);
    const name = new TextDecoder().decode(nul < 0 ? nameBytes : nameBytes.subarray(0, nul));
    out.push({ name, type, desc: buf.subarray(descStart, descStart + descsz) });
    p = descStart + pad4(descsz);
  }
  return out;
}

export const PF_X = 1;

/**
 * The entry point as a physical address, by QEMU's ELF loader rule (include/hw/elf_ops.h):
 * e_entry is virtual, so when it lies in the file part of an executable segment whose
 * virtual and physical addresses differ, it moves with that segment. A Linux vmlinux
 * (linked at 0xC000_0000, loaded at 0) then starts at 0, where the boot mapping puts it.
 */
export function physicalEntry(img: ElfImage): number {
  let entry = img.entry;
  for (const s of img.segments) {
    if ((s.flags & PF_X) === 0 || s.vaddr === s.paddr || Number.isNaN(s.vaddr)) continue;
    if (img.entry >= s.vaddr && img.entry < s.vaddr + s.data.length) entry = img.entry - s.vaddr + s.paddr;
  }
  return entry;
}

/** Lowest physical address and QEMU's notion of the image size (sum of memsz). */
export function elfExtent(img: ElfImage): { low: number; high: number; totalMemsz: number } {
  let low = Infinity;
  let high = 0;
  let total = 0;
  for (const s of img.segments) {
    low = Math.min(low, s.paddr);
    high = Math.max(high, s.paddr + s.memsz);
    total += s.memsz;
  }
  return { low, high, totalMemsz: total };
}
