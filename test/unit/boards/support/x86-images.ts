/**
 * Synthetic x86 kernel images for loader tests: a little-endian ELF64 with PT_LOAD
 * segments and an optional Xen PVH entry note, and a bzImage with a setup header whose
 * fields the test chooses.
 */

export interface PvhElfOptions {
  readonly segments: readonly { readonly paddr: number; readonly data: Uint8Array; readonly memsz?: number; readonly vaddr?: bigint }[];
  /** e_entry (default: the first segment's paddr). */
  readonly entry?: bigint;
  /** PVH entry; omitted = no note. */
  readonly pvhEntry?: number;
  /** Width of the note's value (4 as Linux writes it, 8 as the test guests do). */
  readonly noteSize?: 4 | 8;
  readonly machine?: number;
}

export function makeX86Elf(o: PvhElfOptions): Uint8Array {
  const ehsize = 64;
  const phentsize = 56;
  const hasNote = o.pvhEntry !== undefined;
  const phnum = o.segments.length + (hasNote ? 1 : 0);
  const noteDescSize = o.noteSize ?? 8;
  const note = new Uint8Array(hasNote ? 12 + 4 + noteDescSize : 0);
  if (hasNote) {
    const nv = new DataView(note.buffer);
    nv.setUint32(0, 4, true);
    nv.setUint32(4, noteDescSize, true);
    nv.setUint32(8, 18, true);
    note.set([0x58, 0x65, 0x6e, 0], 12);
    if (noteDescSize === 8) nv.setBigUint64(16, BigInt(o.pvhEntry!), true);
    else nv.setUint32(16, o.pvhEntry!, true);
  }
  let offset = ehsize + phentsize * phnum;
  const noteOffset = offset;
  offset += note.length;
  const dataOffsets = o.segments.map((s) => {
    const at = offset;
    offset += s.data.length;
    return at;
  });
  const out = new Uint8Array(offset);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  v.setUint16(16, 2, true);
  v.setUint16(18, o.machine ?? 62, true);
  v.setUint32(20, 1, true);
  v.setBigUint64(24, o.entry ?? BigInt(o.segments[0]?.paddr ?? 0), true);
  v.setBigUint64(32, BigInt(ehsize), true);
  v.setUint16(52, ehsize, true);
  v.setUint16(54, phentsize, true);
  v.setUint16(56, phnum, true);
  o.segments.forEach((s, i) => {
    const p = ehsize + i * phentsize;
    v.setUint32(p, 1, true);
    v.setUint32(p + 4, 7, true);
    v.setBigUint64(p + 8, BigInt(dataOffsets[i]!), true);
    v.setBigUint64(p + 16, s.vaddr ?? BigInt(s.paddr), true);
    v.setBigUint64(p + 24, BigInt(s.paddr), true);
    v.setBigUint64(p + 32, BigInt(s.data.length), true);
    v.setBigUint64(p + 40, BigInt(s.memsz ?? s.data.length), true);
    out.set(s.data, dataOffsets[i]!);
  });
  if (hasNote) {
    const p = ehsize + o.segments.length * phentsize;
    v.setUint32(p, 4, true);
    v.setBigUint64(p + 8, BigInt(noteOffset), true);
    v.setBigUint64(p + 32, BigInt(note.length), true);
    v.setBigUint64(p + 40, BigInt(note.length), true);
    out.set(note, noteOffset);
  }
  return out;
}

export interface BzImageOptions {
  readonly version?: number;
  readonly setupSects?: number;
  readonly loadflags?: number;
  readonly xloadflags?: number;
  readonly initrdAddrMax?: number;
  readonly cmdlineSize?: number;
  readonly initSize?: number;
  /** The protected-mode kernel's bytes. */
  readonly payload?: Uint8Array;
}

export function makeBzImage(o: BzImageOptions = {}): Uint8Array {
  const setupSects = o.setupSects ?? 4;
  const setupBytes = ((setupSects === 0 ? 4 : setupSects) + 1) * 512;
  const payload = o.payload ?? new Uint8Array(4096).map((_, i) => i & 0xff);
  const out = new Uint8Array(setupBytes + payload.length);
  const v = new DataView(out.buffer);
  out[0x1f1] = setupSects;
  v.setUint16(0x1fe, 0xaa55, true);
  out[0x200] = 0xeb;
  out[0x201] = 0x6a; // header ends at 0x26c, as Linux's
  v.setUint32(0x202, 0x53726448, true);
  v.setUint16(0x206, o.version ?? 0x020f, true);
  out[0x211] = o.loadflags ?? 0x01;
  v.setUint32(0x214, 0x100000, true);
  v.setUint32(0x22c, o.initrdAddrMax ?? 0x7fffffff, true);
  v.setUint16(0x236, o.xloadflags ?? 0x1, true);
  v.setUint32(0x238, o.cmdlineSize ?? 2047, true);
  v.setUint32(0x260, o.initSize ?? 0x200000, true);
  out.set(payload, setupBytes);
  return out;
}
