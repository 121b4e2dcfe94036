/**
 * The x86-64 register catalogue of a KVM vCPU: which ids exist (api/x86-registers.ts), in
 * which KVM struct each lives and at what offset. Reads and writes of any subset are grouped
 * by struct, so any number of GPRs is one KVM_GET_REGS, all MSRs asked for are one
 * KVM_GET_MSRS, and a write is one read-modify-write per struct touched.
 */
import type { RegisterAccess, RegisterDescriptor, RegisterId, RegisterSize } from '../../api/registers.js';
import { REG_ARCH_X86, regId } from '../../api/registers.js';
import {
  X86_EVENT,
  X86_GPR_NAMES,
  X86_SEGMENT_FIELDS,
  X86_SEGMENT_NAMES,
  X86_SET,
  x86MsrId,
  type X86Segment,
} from '../../api/x86-registers.js';
import { DEBUGREGS, FPU, IOCTL, SEG, SIZE, SREGS } from './abi.js';

/** A KVM struct that holds registers, with its get/set ioctls. */
export interface StateGroup {
  readonly name: string;
  readonly size: number;
  readonly get: number;
  readonly set: number;
}

export const GROUPS = {
  regs: { name: 'kvm_regs', size: SIZE.regs, get: IOCTL.GET_REGS, set: IOCTL.SET_REGS },
  sregs: { name: 'kvm_sregs', size: SIZE.sregs, get: IOCTL.GET_SREGS, set: IOCTL.SET_SREGS },
  fpu: { name: 'kvm_fpu', size: SIZE.fpu, get: IOCTL.GET_FPU, set: IOCTL.SET_FPU },
  xsave: { name: 'kvm_xsave', size: SIZE.xsave, get: IOCTL.GET_XSAVE, set: IOCTL.SET_XSAVE },
  debugregs: { name: 'kvm_debugregs', size: SIZE.debugregs, get: IOCTL.GET_DEBUGREGS, set: IOCTL.SET_DEBUGREGS },
  events: { name: 'kvm_vcpu_events', size: SIZE.vcpuEvents, get: IOCTL.GET_VCPU_EVENTS, set: IOCTL.SET_VCPU_EVENTS },
  lapic: { name: 'kvm_lapic_state', size: SIZE.lapicState, get: IOCTL.GET_LAPIC, set: IOCTL.SET_LAPIC },
} as const satisfies Record<string, StateGroup>;
export type GroupName = keyof typeof GROUPS;

export interface X86Register extends RegisterDescriptor {
  /** Struct it lives in, or 'msr' for KVM_GET/SET_MSRS. */
  readonly group: GroupName | 'msr';
  /** Byte offset in the struct (MSRs: the MSR index). */
  readonly offset: number;
  /** Custom encoding (segment attributes) instead of plain little-endian bytes. */
  readonly codec?: { read(dv: DataView, off: number): bigint; write(dv: DataView, off: number, v: bigint): void };
}

/** Unsigned little-endian integer of `size` bytes at `off`. */
export function readLE(dv: DataView, off: number, size: number): bigint {
  switch (size) {
    case 1: return BigInt(dv.getUint8(off));
    case 2: return BigInt(dv.getUint16(off, true));
    case 4: return BigInt(dv.getUint32(off, true));
    case 8: return dv.getBigUint64(off, true);
  }
  let v = 0n;
  for (let i = size - 8; i >= 0; i -= 8) v = (v << 64n) | dv.getBigUint64(off + i, true);
  return v;
}

export function writeLE(dv: DataView, off: number, size: number, v: bigint): void {
  switch (size) {
    case 1: dv.setUint8(off, Number(v)); return;
    case 2: dv.setUint16(off, Number(v), true); return;
    case 4: dv.setUint32(off, Number(v), true); return;
    case 8: dv.setBigUint64(off, v, true); return;
  }
  for (let i = 0; i < size; i += 8) {
    dv.setBigUint64(off + i, v & 0xffffffffffffffffn, true);
    v >>= 64n;
  }
}

/** kvm_segment's unpacked attribute bytes ⇄ the VMX access-rights word the API exposes. */
const SEGMENT_ATTRIBUTES = {
  read(dv: DataView, off: number): bigint {
    const b = (f: number) => dv.getUint8(off + f);
    return BigInt(
      (b(SEG.type) & 0xf) | ((b(SEG.s) & 1) << 4) | ((b(SEG.dpl) & 3) << 5) | ((b(SEG.present) & 1) << 7) |
        ((b(SEG.avl) & 1) << 12) | ((b(SEG.l) & 1) << 13) | ((b(SEG.db) & 1) << 14) | ((b(SEG.g) & 1) << 15) |
        ((b(SEG.unusable) & 1) << 16),
    );
  },
  write(dv: DataView, off: number, value: bigint): void {
    const v = Number(value);
    dv.setUint8(off + SEG.type, v & 0xf);
    dv.setUint8(off + SEG.s, (v >> 4) & 1);
    dv.setUint8(off + SEG.dpl, (v >> 5) & 3);
    dv.setUint8(off + SEG.present, (v >> 7) & 1);
    dv.setUint8(off + SEG.avl, (v >> 12) & 1);
    dv.setUint8(off + SEG.l, (v >> 13) & 1);
    dv.setUint8(off + SEG.db, (v >> 14) & 1);
    dv.setUint8(off + SEG.g, (v >> 15) & 1);
    dv.setUint8(off + SEG.unusable, (v >> 16) & 1);
  },
};

/** kvm_sregs orders segments cs ds es fs gs ss tr ldt; the API uses encoding order. */
const KVM_SEGMENT_INDEX: Readonly<Record<X86Segment, number>> = { cs: 0, ds: 1, es: 2, fs: 3, gs: 4, ss: 5, tr: 6, ldt: 7 };
/** kvm_regs order: rax rbx rcx rdx rsi rdi rsp rbp r8..r15 rip rflags. */
const KVM_GPR_INDEX: Record<string, number> = { rax: 0, rbx: 1, rcx: 2, rdx: 3, rsi: 4, rdi: 5, rsp: 6, rbp: 7 };

const EVENT_OFFSETS: Record<string, number> = {
  'exception.injected': 0,
  'exception.nr': 1,
  'exception.has_error_code': 2,
  'exception.pending': 3,
  'exception.error_code': 4,
  'interrupt.injected': 8,
  'interrupt.nr': 9,
  'interrupt.soft': 10,
  'interrupt.shadow': 11,
  'nmi.injected': 12,
  'nmi.pending': 13,
  'nmi.masked': 14,
};
/** kvm_vcpu_events.flags bits that make KVM_SET_VCPU_EVENTS take nmi.pending and interrupt.shadow. */
export const EVENTS_VALID_ALL = 0x1 | 0x4;

const LAPIC_NAMES: Record<number, string> = {
  0x02: 'apic_id', 0x03: 'apic_version', 0x08: 'apic_tpr', 0x0a: 'apic_ppr', 0x0d: 'apic_ldr', 0x0e: 'apic_dfr',
  0x0f: 'apic_svr', 0x28: 'apic_esr', 0x30: 'apic_icr_lo', 0x31: 'apic_icr_hi', 0x32: 'apic_lvt_timer',
  0x33: 'apic_lvt_thermal', 0x34: 'apic_lvt_pmc', 0x35: 'apic_lvt_lint0', 0x36: 'apic_lvt_lint1', 0x37: 'apic_lvt_error',
  0x38: 'apic_timer_initial', 0x39: 'apic_timer_current', 0x3e: 'apic_timer_divide',
};

function reg(size: RegisterSize, set: number, number: number, name: string, group: GroupName, offset: number, access: RegisterAccess = 'read-write', codec?: X86Register['codec']): X86Register {
  return { id: regId(REG_ARCH_X86, size, set, number), name, size, access, group, offset, ...(codec ? { codec } : {}) };
}

/** Every register of a vCPU, given what this vCPU has (in-kernel LAPIC, XSAVE, readable MSRs). */
export function buildCatalogue(opts: { readonly lapic: boolean; readonly xsave: boolean; readonly msrs: readonly number[] }): X86Register[] {
  const out: X86Register[] = [];
  X86_GPR_NAMES.forEach((name, n) => {
    const kvmIndex = KVM_GPR_INDEX[name] ?? n; // r8..r15 share their number with kvm_regs
    out.push(reg(8, X86_SET.gpr, n, name, 'regs', kvmIndex * 8));
  });
  out.push(reg(8, X86_SET.gpr, 16, 'rip', 'regs', 128));
  out.push(reg(8, X86_SET.gpr, 17, 'rflags', 'regs', 136));
  X86_SEGMENT_NAMES.forEach((seg, s) => {
    const base = KVM_SEGMENT_INDEX[seg] * SIZE.segment;
    X86_SEGMENT_FIELDS.forEach((field, f) => {
      const name = `${seg}.${field}`;
      if (field === 'selector') out.push(reg(2, X86_SET.segment, s * 4 + f, name, 'sregs', base + SEG.selector));
      else if (field === 'base') out.push(reg(8, X86_SET.segment, s * 4 + f, name, 'sregs', base + SEG.base));
      else if (field === 'limit') out.push(reg(4, X86_SET.segment, s * 4 + f, name, 'sregs', base + SEG.limit));
      else out.push(reg(4, X86_SET.segment, s * 4 + f, name, 'sregs', base, 'read-write', SEGMENT_ATTRIBUTES));
    });
  });
  out.push(reg(8, X86_SET.dtable, 0, 'gdt.base', 'sregs', SREGS.gdt));
  out.push(reg(2, X86_SET.dtable, 1, 'gdt.limit', 'sregs', SREGS.gdt + 8));
  out.push(reg(8, X86_SET.dtable, 2, 'idt.base', 'sregs', SREGS.idt));
  out.push(reg(2, X86_SET.dtable, 3, 'idt.limit', 'sregs', SREGS.idt + 8));
  for (const [name, n, off] of [['cr0', 0, SREGS.cr0], ['cr2', 2, SREGS.cr2], ['cr3', 3, SREGS.cr3], ['cr4', 4, SREGS.cr4], ['cr8', 8, SREGS.cr8], ['efer', 0x100, SREGS.efer], ['apic_base', 0x101, SREGS.apicBase]] as const) {
    out.push(reg(8, X86_SET.control, n, name, 'sregs', off));
  }
  for (let i = 0; i < 8; i++) out.push(reg(16, X86_SET.fpu, i, `st${i}`, 'fpu', FPU.fpr + 16 * i));
  out.push(reg(2, X86_SET.fpu, 8, 'fcw', 'fpu', FPU.fcw));
  out.push(reg(2, X86_SET.fpu, 9, 'fsw', 'fpu', FPU.fsw));
  out.push(reg(1, X86_SET.fpu, 10, 'ftw', 'fpu', FPU.ftwx));
  out.push(reg(2, X86_SET.fpu, 11, 'fop', 'fpu', FPU.lastOpcode));
  out.push(reg(8, X86_SET.fpu, 12, 'fip', 'fpu', FPU.lastIp));
  out.push(reg(8, X86_SET.fpu, 13, 'fdp', 'fpu', FPU.lastDp));
  out.push(reg(4, X86_SET.fpu, 14, 'mxcsr', 'fpu', FPU.mxcsr));
  for (let i = 0; i < 16; i++) out.push(reg(16, X86_SET.fpu, 0x10 + i, `xmm${i}`, 'fpu', FPU.xmm + 16 * i));
  if (opts.xsave) {
    for (let i = 0; i < SIZE.xsave / 256; i++) out.push(reg(256, X86_SET.xsave, i, `xsave${i}`, 'xsave', 256 * i));
  }
  for (const n of [0, 1, 2, 3] as const) out.push(reg(8, X86_SET.debug, n, `dr${n}`, 'debugregs', DEBUGREGS.db + 8 * n));
  out.push(reg(8, X86_SET.debug, 6, 'dr6', 'debugregs', DEBUGREGS.dr6));
  out.push(reg(8, X86_SET.debug, 7, 'dr7', 'debugregs', DEBUGREGS.dr7));
  for (const [name, e] of Object.entries(X86_EVENT)) {
    const offset = EVENT_OFFSETS[name];
    if (offset === undefined) throw new Error(`x86 register catalogue: X86_EVENT field "${name}" has no offset in struct kvm_vcpu_events`);
    out.push(reg(e.size, X86_SET.events, e.number, `event.${name}`, 'events', offset));
  }
  if (opts.lapic) {
    for (let n = 0; n < 64; n++) {
      // The version register is fixed by the model; the current count is computed by the timer.
      const access: RegisterAccess = n === 0x03 || n === 0x39 || n === 0x0a ? 'read-only' : 'read-write';
      out.push(reg(4, X86_SET.lapic, n, LAPIC_NAMES[n] ?? `apic_${(n << 4).toString(16).padStart(3, '0')}`, 'lapic', n * 16, access));
    }
  }
  for (const index of opts.msrs) {
    out.push({ id: x86MsrId(index), name: `msr_${index.toString(16)}`, size: 8, access: 'read-write', group: 'msr', offset: index });
  }
  return out;
}

export function isX86RegisterId(id: RegisterId): boolean {
  return id >> 56n === REG_ARCH_X86;
}
