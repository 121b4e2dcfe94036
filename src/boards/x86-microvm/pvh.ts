/**
 * Loading an ELF kernel through its Xen PVH entry point (XEN_ELFNOTE_PHYS32_ENTRY), as
 * QEMU's `-kernel` does for a PVH ELF: PT_LOAD segments at their physical addresses, an
 * hvm_start_info (version 1) with the memory map, command line and the initrd as module 0,
 * and the vCPU in 32-bit protected mode with flat 4 GiB segments, paging off, interrupts
 * off, EBX = the start info's address.
 *
 * Layouts (Xen public/arch-x86/hvm/start_info.h, little-endian):
 *   hvm_start_info  magic u32, version u32, flags u32, nr_modules u32, modlist_paddr u64,
 *                   cmdline_paddr u64, rsdp_paddr u64, memmap_paddr u64,
 *                   memmap_entries u32, reserved u32                         (56 bytes)
 *   hvm_modlist_entry     paddr u64, size u64, cmdline_paddr u64, reserved u64 (32)
 *   hvm_memmap_table_entry addr u64, size u64, type u32, reserved u32         (24)
 */
import { BoardError, asImageError } from '../errors.js';
import type { BootImage } from '../board.js';
import { EM_386, EM_X86_64, isElf, machineName, parseElf, type ElfImage } from '../loaders/elf.js';
import {
  CR0_ET,
  CR0_PE,
  FLAT_CODE32,
  FLAT_DATA,
  NO_LDT,
  RFLAGS_RESET,
  TSS_AT_0,
  buildGdt,
  type X86CpuState,
} from './boot-state.js';
import {
  BOOT_GDT_ADDR,
  CMDLINE_ADDR,
  CMDLINE_MAX,
  KERNEL_BASE,
  MEMMAP_ADDR,
  MODLIST_ADDR,
  START_INFO_ADDR,
  cmdlineBytes,
  e820Map,
  placeInitrd,
  type BootWrite,
  type RamLayout,
} from './layout.js';

export const XEN_ELFNOTE_PHYS32_ENTRY = 18;
export const HVM_START_MAGIC = 0x336e_c578;
const START_INFO_SIZE = 56;
const MODLIST_ENTRY_SIZE = 32;
const MEMMAP_ENTRY_SIZE = 24;

/** The selectors of the boot GDT (the ABI leaves their values to the loader). */
const SEL_CODE = 0x08;
const SEL_DATA = 0x10;
const SEL_TSS = 0x18;

export interface BootPlan {
  readonly writes: readonly BootWrite[];
  readonly cpu: X86CpuState;
  /** First instruction (for messages and tests). */
  readonly entry: number;
  readonly protocol: 'pvh' | 'linux';
}

export interface KernelLoadOptions {
  readonly kernel: BootImage;
  readonly initrd?: BootImage;
  readonly append?: string;
  readonly layout: RamLayout;
}

/** The PVH entry of an ELF, or undefined when it has no PHYS32_ENTRY note. */
export function pvhEntry(elf: ElfImage, name: string): number | undefined {
  const note = elf.notes.find((n) => n.name === 'Xen' && n.type === XEN_ELFNOTE_PHYS32_ENTRY);
  if (note === undefined) return undefined;
  const dv = new DataView(note.desc.buffer, note.desc.byteOffset, note.desc.byteLength);
  // Linux writes the note as 32 bits, other kernels as 64; the entry must be a 32-bit address.
  if (note.desc.length === 4) return dv.getUint32(0, true);
  if (note.desc.length === 8) {
    const v = dv.getBigUint64(0, true);
    if (v > 0xffff_ffffn) throw new BoardError('ERR_IMAGE_FORMAT', `${name}: PVH entry 0x${v.toString(16)} is above 4 GiB (it is entered in 32-bit mode)`);
    return Number(v);
  }
  throw new BoardError('ERR_IMAGE_FORMAT', `${name}: PVH entry note has a ${note.desc.length}-byte value (expected 4 or 8)`);
}

export function isPvhElf(bytes: Uint8Array, name: string): boolean {
  if (!isElf(bytes)) return false;
  return asImageError(name, () => pvhEntry(parseElf(bytes, name), name) !== undefined);
}

export function loadPvh(opts: KernelLoadOptions): BootPlan {
  const { kernel, layout } = opts;
  const elf = parseElf(kernel.bytes, kernel.name);
  if (elf.machine !== EM_X86_64 && elf.machine !== EM_386) {
    throw new BoardError('ERR_IMAGE_ARCH', `${kernel.name}: built for ${machineName(elf.machine)}; x86-microvm boots x86 kernels`);
  }
  if (!elf.littleEndian) throw new BoardError('ERR_IMAGE_FORMAT', `${kernel.name}: big-endian ELF; x86 images are little-endian`);
  const entry = pvhEntry(elf, kernel.name);
  if (entry === undefined) {
    throw new BoardError(
      'ERR_IMAGE_FORMAT',
      `${kernel.name}: ELF without a Xen PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY); x86-microvm boots PVH ELF kernels and bzImages`,
    );
  }
  const writes: BootWrite[] = [];
  let kernelEnd = 0;
  for (const seg of elf.segments) {
    const end = seg.paddr + seg.memsz;
    if (seg.paddr < KERNEL_BASE || end > layout.lowSize) {
      throw new BoardError(
        'ERR_IMAGE_PLACEMENT',
        `${kernel.name}: segment at 0x${seg.paddr.toString(16)}-0x${end.toString(16)} is outside RAM from 1 MiB to 0x${layout.lowSize.toString(16)}` +
          (end > layout.lowSize && seg.paddr >= KERNEL_BASE ? '; use a larger -m' : ' (below 1 MiB are the boot structures)'),
      );
    }
    writes.push({ addr: seg.paddr, bytes: seg.data, what: `${kernel.name} segment`, zeroFill: seg.memsz - seg.data.length });
    kernelEnd = Math.max(kernelEnd, end);
  }

  // The vCPU starts at the entry in 32-bit mode with paging off: it must be RAM below 4 GiB,
  // or the first fetch fails inside the accelerator instead of here, naming the image.
  if (entry >= layout.lowSize) {
    throw new BoardError(
      'ERR_IMAGE_FORMAT',
      `${kernel.name}: PVH entry point 0x${entry.toString(16)} is outside RAM (0 to 0x${layout.lowSize.toString(16)}) and outside the kernel's segments`,
    );
  }

  const cmdline = cmdlineBytes(opts.append, CMDLINE_MAX);
  writes.push({ addr: CMDLINE_ADDR, bytes: cmdline, what: 'command line' });

  const memmap = e820Map(layout);
  const mm = new Uint8Array(memmap.length * MEMMAP_ENTRY_SIZE);
  const mmv = new DataView(mm.buffer);
  memmap.forEach((e, i) => {
    mmv.setBigUint64(i * MEMMAP_ENTRY_SIZE, BigInt(e.addr), true);
    mmv.setBigUint64(i * MEMMAP_ENTRY_SIZE + 8, BigInt(e.size), true);
    mmv.setUint32(i * MEMMAP_ENTRY_SIZE + 16, e.type, true);
  });
  writes.push({ addr: MEMMAP_ADDR, bytes: mm, what: 'memory map' });

  let nrModules = 0;
  if (opts.initrd !== undefined) {
    const addr = placeInitrd(opts.initrd.bytes.length, layout, kernelEnd, layout.lowSize, opts.initrd.name);
    writes.push({ addr, bytes: opts.initrd.bytes, what: 'initrd' });
    const mod = new Uint8Array(MODLIST_ENTRY_SIZE);
    const mv = new DataView(mod.buffer);
    mv.setBigUint64(0, BigInt(addr), true);
    mv.setBigUint64(8, BigInt(opts.initrd.bytes.length), true);
    writes.push({ addr: MODLIST_ADDR, bytes: mod, what: 'module list' });
    nrModules = 1;
  }

  const si = new Uint8Array(START_INFO_SIZE);
  const sv = new DataView(si.buffer);
  sv.setUint32(0, HVM_START_MAGIC, true);
  sv.setUint32(4, 1, true);
  sv.setUint32(12, nrModules, true);
  sv.setBigUint64(16, nrModules > 0 ? BigInt(MODLIST_ADDR) : 0n, true);
  sv.setBigUint64(24, BigInt(CMDLINE_ADDR), true);
  // No ACPI tables on this board: rsdp_paddr stays 0.
  sv.setBigUint64(40, BigInt(MEMMAP_ADDR), true);
  sv.setUint32(48, memmap.length, true);
  writes.push({ addr: START_INFO_ADDR, bytes: si, what: 'hvm_start_info' });

  const gdt = buildGdt([
    [SEL_CODE, FLAT_CODE32],
    [SEL_DATA, FLAT_DATA],
    [SEL_TSS, TSS_AT_0],
  ]);
  writes.push({ addr: BOOT_GDT_ADDR, bytes: gdt, what: 'boot GDT' });
  const data = { selector: SEL_DATA, ...FLAT_DATA };
  return {
    writes,
    entry,
    protocol: 'pvh',
    cpu: {
      gprs: { rip: BigInt(entry), rflags: RFLAGS_RESET, rbx: BigInt(START_INFO_ADDR), rax: 0n, rsi: 0n, rsp: 0n },
      segments: { cs: { selector: SEL_CODE, ...FLAT_CODE32 }, ds: data, es: data, ss: data, fs: data, gs: data, tr: { selector: SEL_TSS, ...TSS_AT_0 }, ldt: NO_LDT },
      gdt: { base: BOOT_GDT_ADDR, limit: gdt.length - 1 },
      idt: { base: 0, limit: 0 },
      cr0: CR0_PE | CR0_ET,
      cr3: 0n,
      cr4: 0n,
      efer: 0n,
    },
  };
}
