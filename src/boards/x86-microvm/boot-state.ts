/**
 * The x86 vCPU state a loader hands over at the first guest instruction, as plain data, and
 * its translation to the accelerator-neutral register ids (src/api/x86-registers.ts).
 * Loaders also write the GDT this state's segments come from, because guests read their
 * descriptors back (sgdt) and reload selectors from it.
 */
import { x86Control, x86Dtable, x86Gpr, x86Segment, type X86Gpr, type X86Segment } from '../../api/x86-registers.js';
import type { RegisterId } from '../../api/registers.js';

/** A segment register with its hidden part; `attributes` in the VMX access-rights layout. */
export interface SegmentState {
  readonly selector: number;
  readonly base: number;
  /** Byte-granular limit (0xFFFF_FFFF for a flat 4 GiB segment). */
  readonly limit: number;
  readonly attributes: number;
}

export interface X86CpuState {
  readonly gprs: Partial<Record<X86Gpr, bigint>>;
  readonly segments: Record<X86Segment, SegmentState>;
  readonly gdt: { readonly base: number; readonly limit: number };
  readonly idt: { readonly base: number; readonly limit: number };
  readonly cr0: bigint;
  readonly cr3: bigint;
  readonly cr4: bigint;
  readonly efer: bigint;
}

/** Access-rights bits (type 3..0, S 4, DPL 6..5, P 7, L 13, D/B 14, G 15, unusable 16). */
export const ATTR = { S: 1 << 4, P: 1 << 7, L: 1 << 13, DB: 1 << 14, G: 1 << 15, UNUSABLE: 1 << 16 } as const;
/** Type nibbles: code execute/read accessed, data read/write accessed, busy TSS, LDT. */
export const SEG_TYPE = { CODE: 0xb, DATA: 0x3, TSS_BUSY: 0xb, LDT: 0x2 } as const;

export const FLAT_CODE32: Omit<SegmentState, 'selector'> = { base: 0, limit: 0xffff_ffff, attributes: SEG_TYPE.CODE | ATTR.S | ATTR.P | ATTR.DB | ATTR.G };
export const FLAT_CODE64: Omit<SegmentState, 'selector'> = { base: 0, limit: 0xffff_ffff, attributes: SEG_TYPE.CODE | ATTR.S | ATTR.P | ATTR.L | ATTR.G };
export const FLAT_DATA: Omit<SegmentState, 'selector'> = { base: 0, limit: 0xffff_ffff, attributes: SEG_TYPE.DATA | ATTR.S | ATTR.P | ATTR.DB | ATTR.G };
/** A busy TSS at 0 with the minimum 32-bit TSS limit (what the PVH ABI prescribes for TR). */
export const TSS_AT_0: Omit<SegmentState, 'selector'> = { base: 0, limit: 0x67, attributes: SEG_TYPE.TSS_BUSY | ATTR.P };
export const NO_LDT: SegmentState = { selector: 0, base: 0, limit: 0, attributes: ATTR.UNUSABLE };

export const CR0_PE = 1n;
export const CR0_ET = 0x10n;
export const CR0_PG = 0x8000_0000n;
export const CR4_PAE = 0x20n;
export const EFER_LME = 0x100n;
export const EFER_LMA = 0x400n;
/** RFLAGS with only the always-one bit: interrupts off, no trap, no virtual-8086. */
export const RFLAGS_RESET = 2n;

/** The 8-byte GDT descriptor of a segment; granularity follows G in its attributes. */
export function encodeDescriptor(seg: Omit<SegmentState, 'selector'>): bigint {
  const g = (seg.attributes & ATTR.G) !== 0;
  const raw = g ? Math.floor(seg.limit / 4096) : seg.limit;
  const base = BigInt(seg.base >>> 0);
  const limit = BigInt(raw & 0xfffff);
  const attr = BigInt(seg.attributes);
  return (
    (limit & 0xffffn) |
    ((base & 0xff_ffffn) << 16n) |
    ((attr & 0xffn) << 40n) |
    ((limit >> 16n) << 48n) |
    (((attr >> 12n) & 0xfn) << 52n) |
    (((base >> 24n) & 0xffn) << 56n)
  );
}

/** A GDT image: entry i at byte 8i; index 0 stays the null descriptor. */
export function buildGdt(entries: readonly (readonly [selector: number, seg: Omit<SegmentState, 'selector'>])[]): Uint8Array {
  const count = Math.max(...entries.map(([sel]) => sel >> 3)) + 1;
  const out = new Uint8Array(count * 8);
  const dv = new DataView(out.buffer);
  for (const [sel, seg] of entries) dv.setBigUint64(sel & ~7, encodeDescriptor(seg), true);
  return out;
}

/** The state as (register id, value) pairs for one `Vcpu.setRegisters` call. */
export function cpuStateRegisters(s: X86CpuState): [RegisterId, bigint][] {
  const out: [RegisterId, bigint][] = [];
  for (const [name, v] of Object.entries(s.gprs) as [X86Gpr, bigint][]) out.push([x86Gpr(name), v]);
  for (const [name, seg] of Object.entries(s.segments) as [X86Segment, SegmentState][]) {
    out.push([x86Segment(name, 'selector'), BigInt(seg.selector)]);
    out.push([x86Segment(name, 'base'), BigInt(seg.base)]);
    out.push([x86Segment(name, 'limit'), BigInt(seg.limit >>> 0)]);
    out.push([x86Segment(name, 'attributes'), BigInt(seg.attributes)]);
  }
  out.push([x86Dtable('gdt', 'base'), BigInt(s.gdt.base)], [x86Dtable('gdt', 'limit'), BigInt(s.gdt.limit)]);
  out.push([x86Dtable('idt', 'base'), BigInt(s.idt.base)], [x86Dtable('idt', 'limit'), BigInt(s.idt.limit)]);
  out.push([x86Control('cr0'), s.cr0], [x86Control('cr3'), s.cr3], [x86Control('cr4'), s.cr4], [x86Control('efer'), s.efer]);
  return out;
}
