/**
 * Minimal big-endian 32-bit PowerPC ELF images for booting QEMU far enough to
 * dump its device tree, and the load extent QEMU's loader derives from one.
 */

export interface ElfSegment {
  readonly physicalAddress: number;
  /** Size in memory; the bytes beyond the file contents are bss. */
  readonly memorySize: number;
}

const ELF_HEADER_SIZE = 52;
const PROGRAM_HEADER_SIZE = 32;
const PT_LOAD = 1;
const EM_PPC = 20;
/** `b .` – never executed (QEMU exits after dumping), but keeps the image honest. */
const BRANCH_TO_SELF = 0x4800_0000;

export function makeDummyElf(segments: readonly ElfSegment[]): Uint8Array {
  const dataOffset = ELF_HEADER_SIZE + PROGRAM_HEADER_SIZE * segments.length;
  const elf = new Uint8Array(dataOffset + 4 * segments.length);
  const view = new DataView(elf.buffer);
  elf.set([0x7f, 0x45, 0x4c, 0x46, 1 /* 32-bit */, 2 /* big-endian */, 1 /* version */]);
  view.setUint16(16, 2); // ET_EXEC
  view.setUint16(18, EM_PPC);
  view.setUint32(20, 1);
  view.setUint32(24, segments[0]?.physicalAddress ?? 0); // entry
  view.setUint32(28, ELF_HEADER_SIZE); // phoff
  view.setUint16(40, ELF_HEADER_SIZE);
  view.setUint16(42, PROGRAM_HEADER_SIZE);
  view.setUint16(44, segments.length);
  segments.forEach((segment, i) => {
    const at = ELF_HEADER_SIZE + i * PROGRAM_HEADER_SIZE;
    const fileOffset = dataOffset + 4 * i;
    view.setUint32(at, PT_LOAD);
    view.setUint32(at + 4, fileOffset);
    view.setUint32(at + 8, segment.physicalAddress); // vaddr
    view.setUint32(at + 12, segment.physicalAddress); // paddr
    view.setUint32(at + 16, 4); // filesz
    view.setUint32(at + 20, segment.memorySize);
    view.setUint32(at + 24, 7); // RWX
    view.setUint32(at + 28, 4);
    view.setUint32(fileOffset, BRANCH_TO_SELF);
  });
  return elf;
}

/** What QEMU's load_elf() reports: lowest PT_LOAD paddr and the sum of PT_LOAD memsz. */
export function elfLoadExtent(elf: Uint8Array): { address: number; size: number } {
  const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  const phoff = view.getUint32(28);
  const phentsize = view.getUint16(42);
  const phnum = view.getUint16(44);
  let address = Infinity;
  let size = 0;
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (view.getUint32(at) !== PT_LOAD) continue;
    address = Math.min(address, view.getUint32(at + 12));
    size += view.getUint32(at + 20);
  }
  return { address, size };
}
