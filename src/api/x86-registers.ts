/**
 * x86-64 register ids (REG_ARCH_X86), accelerator-neutral. Upstream KVM reaches most x86
 * state through struct ioctls rather than ONE_REG, so these are ngkvm's own sets (see
 * registers.ts); an accelerator groups a get/set of any subset into the fewest transfers
 * of its own (kvm: one KVM_GET_REGS for any number of GPRs).
 *
 *   set 1  GPRs in encoding order (rax rcx rdx rbx rsp rbp rsi rdi r8..r15), 16 rip, 17 rflags
 *   set 2  segments, number = segment × 4 + field; segments in encoding order
 *          (es cs ss ds fs gs) then ldt (6), tr (7); fields: 0 selector (2 bytes),
 *          1 base (8), 2 limit (4), 3 attributes (4, VMX access-rights layout: type 3..0,
 *          s 4, dpl 6..5, p 7, avl 12, l 13, db 14, g 15, unusable 16)
 *   set 3  descriptor tables: 0 gdt base, 1 gdt limit (2 bytes), 2 idt base, 3 idt limit
 *   set 4  control: number = n for CRn (0 2 3 4 8); 0x100 EFER, 0x101 APIC base
 *   set 5  legacy FPU/SSE: 0..7 st0..st7 (16 bytes, 80-bit value in the low 10), 8 fcw,
 *          9 fsw, 10 ftw (abridged, 1 byte), 11 fop, 12 fip, 13 fdp, 14 mxcsr,
 *          0x10..0x1f xmm0..xmm15 (16 bytes)
 *   set 6  the XSAVE area (XSAVE standard format) in 256-byte pieces: number n = bytes
 *          [256n, 256n + 256)
 *   set 7  debug registers: 0..3 dr0..dr3, 6 dr6, 7 dr7
 *   set 8  pending events: see X86_EVENT
 *   set 9  local APIC registers, number = register offset >> 4 (0x20 ID → 2), 4 bytes
 *   MSRs   bits 39..32 = 2, bits 31..0 = the MSR index (8 bytes); `x86MsrId(0xc0000080)`
 */
import { InvalidArgumentError, hex } from './errors.js';
import { REG_ARCH_X86, regId, type RegisterId, type RegisterSize } from './registers.js';

export const X86_SET = { gpr: 1, segment: 2, dtable: 3, control: 4, fpu: 5, xsave: 6, debug: 7, events: 8, lapic: 9 } as const;

export const X86_GPR_NAMES = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const;
export type X86Gpr = (typeof X86_GPR_NAMES)[number] | 'rip' | 'rflags';
export const X86_SEGMENT_NAMES = ['es', 'cs', 'ss', 'ds', 'fs', 'gs', 'ldt', 'tr'] as const;
export type X86Segment = (typeof X86_SEGMENT_NAMES)[number];
export const X86_SEGMENT_FIELDS = ['selector', 'base', 'limit', 'attributes'] as const;
export type X86SegmentField = (typeof X86_SEGMENT_FIELDS)[number];
const SEGMENT_FIELD_SIZE: Record<X86SegmentField, RegisterSize> = { selector: 2, base: 8, limit: 4, attributes: 4 };

/**
 * Fields of set 8 (KVM: struct kvm_vcpu_events). KVM's SIPI vector is not here: KVM accepts
 * it but never reports it, so it cannot be a readable register.
 */
export const X86_EVENT: Readonly<Record<string, { readonly number: number; readonly size: RegisterSize }>> = {
  'exception.injected': { number: 0, size: 1 },
  'exception.nr': { number: 1, size: 1 },
  'exception.has_error_code': { number: 2, size: 1 },
  'exception.pending': { number: 3, size: 1 },
  'exception.error_code': { number: 4, size: 4 },
  'interrupt.injected': { number: 5, size: 1 },
  'interrupt.nr': { number: 6, size: 1 },
  'interrupt.soft': { number: 7, size: 1 },
  'interrupt.shadow': { number: 8, size: 1 },
  'nmi.injected': { number: 9, size: 1 },
  'nmi.pending': { number: 10, size: 1 },
  'nmi.masked': { number: 11, size: 1 },
};

export function x86Gpr(name: X86Gpr): RegisterId {
  if (name === 'rip') return regId(REG_ARCH_X86, 8, X86_SET.gpr, 16);
  if (name === 'rflags') return regId(REG_ARCH_X86, 8, X86_SET.gpr, 17);
  const n = X86_GPR_NAMES.indexOf(name);
  if (n < 0) throw new InvalidArgumentError(`unknown x86 register ${JSON.stringify(name)}`);
  return regId(REG_ARCH_X86, 8, X86_SET.gpr, n);
}

export function x86Segment(seg: X86Segment, field: X86SegmentField): RegisterId {
  const s = X86_SEGMENT_NAMES.indexOf(seg);
  const f = X86_SEGMENT_FIELDS.indexOf(field);
  if (s < 0 || f < 0) throw new InvalidArgumentError(`unknown x86 segment register ${seg}.${field}`);
  return regId(REG_ARCH_X86, SEGMENT_FIELD_SIZE[field], X86_SET.segment, s * 4 + f);
}

export function x86Dtable(table: 'gdt' | 'idt', field: 'base' | 'limit'): RegisterId {
  return regId(REG_ARCH_X86, field === 'base' ? 8 : 2, X86_SET.dtable, (table === 'gdt' ? 0 : 2) + (field === 'base' ? 0 : 1));
}

export type X86Control = 'cr0' | 'cr2' | 'cr3' | 'cr4' | 'cr8' | 'efer' | 'apic_base';
export function x86Control(name: X86Control): RegisterId {
  const n = { cr0: 0, cr2: 2, cr3: 3, cr4: 4, cr8: 8, efer: 0x100, apic_base: 0x101 }[name];
  if (n === undefined) throw new InvalidArgumentError(`unknown x86 control register ${JSON.stringify(name)}`);
  return regId(REG_ARCH_X86, 8, X86_SET.control, n);
}

export function x86Debug(n: 0 | 1 | 2 | 3 | 6 | 7): RegisterId {
  return regId(REG_ARCH_X86, 8, X86_SET.debug, n);
}

export function x86Xmm(n: number): RegisterId {
  return regId(REG_ARCH_X86, 16, X86_SET.fpu, 0x10 + n);
}

export function x86Event(name: keyof typeof X86_EVENT): RegisterId {
  const e = X86_EVENT[name];
  if (e === undefined) throw new InvalidArgumentError(`unknown x86 event field ${JSON.stringify(name)}`);
  return regId(REG_ARCH_X86, e.size, X86_SET.events, e.number);
}

export function x86Lapic(offset: number): RegisterId {
  if (!Number.isInteger(offset) || offset < 0 || offset >= 0x400 || offset % 16 !== 0) {
    throw new InvalidArgumentError(`local APIC register offset ${hex(offset)} must be a multiple of 0x10 below 0x400`);
  }
  return regId(REG_ARCH_X86, 4, X86_SET.lapic, offset >> 4);
}

const MSR_TYPE = 2n;
export function x86MsrId(index: number): RegisterId {
  if (!Number.isInteger(index) || index < 0 || index > 0xffffffff) throw new InvalidArgumentError(`MSR index ${String(index)} is not a 32-bit number`);
  return ((REG_ARCH_X86 << 56n) | (3n << 52n) | (MSR_TYPE << 32n) | BigInt(index)) as RegisterId;
}

/** The MSR index of an MSR id, or undefined for other ids. */
export function x86MsrIndex(id: RegisterId): number | undefined {
  if (id >> 56n !== REG_ARCH_X86 || ((id >> 32n) & 0xffn) !== MSR_TYPE) return undefined;
  return Number(id & 0xffffffffn);
}
