/**
 * Small x86 machines for the kvm accelerator tests: RAM at 0, a guest assembled by the
 * host's `as`, and vCPU state set up for real mode or for 64-bit mode with paging (at CPL0
 * or CPL3), with an IDT whose handlers report the vector on port 0x80 (32 bits).
 */
import { existsSync } from 'node:fs';
import {
  Hypervisor,
  gpa,
  x86Control,
  x86Dtable,
  x86Gpr,
  x86Segment,
  type RegisterId,
  type Vcpu,
  type Vm,
  type X86Segment,
} from '../../src/api/index.js';
import { assemble } from './x86-asm.js';

/** Why the kvm tests are skipped here, or undefined when they run. */
export const KVM_SKIP: string | undefined = existsSync('/dev/kvm')
  ? undefined
  : 'skipped: /dev/kvm does not exist on this host (the kvm accelerator tests need KVM)';

export const RAM_SIZE = 0x400000;
/** Long-mode layout (guest-physical = guest-virtual: identity-mapped 1 GiB, 2 MiB pages). */
export const LM = {
  pml4: 0x1000,
  pdpt: 0x2000,
  pd: 0x3000,
  /** Second page directory: 3–4 GiB, for the local APIC page at 0xfee00000. */
  pdHigh: 0xa000,
  gdt: 0x4000,
  idt: 0x5000,
  tss: 0x6000,
  stubs: 0x7000,
  code: 0x10000,
  kernelStack: 0x80000,
  userStack: 0x90000,
  /** Port the exception stubs write the vector to (then they halt). */
  vectorPort: 0x80,
} as const;
export const SEL = { kcode: 0x08, kdata: 0x10, udata: 0x1b, ucode: 0x23, tss: 0x28 } as const;

export interface TestMachine {
  readonly vm: Vm;
  readonly vcpu: Vcpu;
  close(): void;
}

export async function machine(options: { splitIrqchip?: boolean; fullIrqchip?: boolean; ramSize?: number } = {}): Promise<TestMachine> {
  const hv = await Hypervisor.open({ accel: 'kvm' });
  const vm = hv.createVm({ name: 'test' });
  if (options.splitIrqchip === true) vm.enableCap('x86-split-irqchip', [24]);
  if (options.fullIrqchip === true) vm.enableCap('x86-irqchip');
  const ram = vm.createMemory(options.ramSize ?? RAM_SIZE, { name: 'ram' });
  vm.setMemoryMap([{ guestAddr: gpa(0), size: ram.size, backing: ram, offset: 0, name: 'ram' }]);
  const vcpu = vm.createVcpu(0, { target: 'host' });
  return {
    vm,
    vcpu,
    close() {
      vm.close();
      hv.close();
    },
  };
}

function segment(seg: X86Segment, selector: number, base: number, limit: number, attributes: number): [RegisterId, bigint][] {
  return [
    [x86Segment(seg, 'selector'), BigInt(selector)],
    [x86Segment(seg, 'base'), BigInt(base)],
    [x86Segment(seg, 'limit'), BigInt(limit)],
    [x86Segment(seg, 'attributes'), BigInt(attributes)],
  ];
}

/** Loads 16-bit code at `addr` and points the vCPU at it (CS = 0, real mode). */
export function loadRealMode(m: TestMachine, source: string, addr = 0x1000): void {
  m.vm.memory.write(gpa(addr), assemble('.code16\n' + source, addr));
  m.vcpu.setRegisters([
    ...segment('cs', 0, 0, 0xffff, 0x9b),
    ...segment('ds', 0, 0, 0xffff, 0x93),
    ...segment('ss', 0, 0, 0xffff, 0x93),
    [x86Gpr('rip'), BigInt(addr)],
    [x86Gpr('rsp'), 0x8000n],
    [x86Gpr('rflags'), 2n],
  ]);
}

const ATTR = {
  code64: (dpl: number) => 0xb | (1 << 4) | (dpl << 5) | (1 << 7) | (1 << 13) | (1 << 15),
  data: (dpl: number) => 0x3 | (1 << 4) | (dpl << 5) | (1 << 7) | (1 << 14) | (1 << 15),
  tss64: 0xb | (1 << 7),
};

/**
 * Builds page tables, GDT, TSS and an IDT in guest memory and puts the vCPU in 64-bit mode
 * at `LM.code` (CPL0 or CPL3) running `source`. Exception/interrupt handlers run at CPL0:
 * stub N writes N to port LM.vectorPort (4 bytes) and halts. `handlers` replaces stubs.
 */
export function loadLongMode(m: TestMachine, source: string, options: { cpl?: 0 | 3; handlers?: Readonly<Record<number, string>> } = {}): void {
  const mem = m.vm.memory;
  const cpl = options.cpl ?? 0;
  // Page tables: PML4[0] → PDPT; PDPT[0] → PD; PD: 512 × 2 MiB pages, present|rw|user.
  mem.writeBigUint64LE(gpa(LM.pml4), BigInt(LM.pdpt | 0x7));
  mem.writeBigUint64LE(gpa(LM.pdpt), BigInt(LM.pd | 0x7));
  for (let i = 0; i < 512; i++) mem.writeBigUint64LE(gpa(LM.pd + 8 * i), (BigInt(i) << 21n) | 0x87n);
  mem.writeBigUint64LE(gpa(LM.pdpt + 8 * 3), BigInt(LM.pdHigh | 0x7));
  for (let i = 0; i < 512; i++) mem.writeBigUint64LE(gpa(LM.pdHigh + 8 * i), ((3n << 30n) + (BigInt(i) << 21n)) | 0x87n);
  // GDT: null, kernel code, kernel data, user data, user code, 64-bit TSS (two slots).
  const desc = (type: number, dpl: number, l: number, db: number): bigint =>
    0xffffn | (BigInt(type | 0x10 | (dpl << 5) | 0x80) << 40n) | (0xfn << 48n) | (BigInt((l << 1) | (db << 2) | 0x8) << 52n);
  mem.writeBigUint64LE(gpa(LM.gdt + 0x08), desc(0xb, 0, 1, 0));
  mem.writeBigUint64LE(gpa(LM.gdt + 0x10), desc(0x3, 0, 0, 1));
  mem.writeBigUint64LE(gpa(LM.gdt + 0x18), desc(0x3, 3, 0, 1));
  mem.writeBigUint64LE(gpa(LM.gdt + 0x20), desc(0xb, 3, 1, 0));
  const tssLimit = 0x67n;
  const tssBase = BigInt(LM.tss);
  mem.writeBigUint64LE(
    gpa(LM.gdt + 0x28),
    tssLimit | ((tssBase & 0xffffffn) << 16n) | (0x89n << 40n) | (((tssBase >> 24n) & 0xffn) << 56n),
  );
  mem.writeBigUint64LE(gpa(LM.gdt + 0x30), tssBase >> 32n);
  // TSS: RSP0 for CPL3 → CPL0 transitions; I/O map base beyond the limit (no port allowed at CPL3).
  mem.writeBigUint64LE(gpa(LM.tss + 4), BigInt(LM.kernelStack));
  mem.writeUint16LE(gpa(LM.tss + 0x66), 0x68);
  // IDT: 256 interrupt gates at DPL3 (so int3 from CPL3 reaches them) to 32-byte stubs.
  // Exceptions (0..31) report and halt; interrupts (32..255) report, EOI the local APIC and return.
  // One assembly for all 256 stubs (the assembler runs once per distinct set of handlers).
  const stubs = Array.from({ length: 256 }, (_, v) => {
    const body =
      options.handlers?.[v] ??
      (v < 32
        ? `movl $${v}, %eax\nout %eax, $${LM.vectorPort}\nhlt\njmp .-1`
        : `movl $${v}, %eax\nout %eax, $${LM.vectorPort}\nmov $0xfee000b0, %edx\nmovl $0, (%rdx)\niretq`);
    // A stub longer than 32 bytes makes the next .org move backwards, which `as` refuses.
    return `.org ${32 * v}\n${body}`;
  });
  mem.write(gpa(LM.stubs), assemble(`.code64\n${stubs.join('\n')}\n.org ${32 * 256}`, LM.stubs));
  for (let v = 0; v < 256; v++) {
    const handler = LM.stubs + 32 * v;
    const lo = BigInt(handler & 0xffff) | (BigInt(SEL.kcode) << 16n) | (0xeen << 40n) | (BigInt((handler >>> 16) & 0xffff) << 48n);
    mem.writeBigUint64LE(gpa(LM.idt + 16 * v), lo);
    mem.writeBigUint64LE(gpa(LM.idt + 16 * v + 8), 0n);
  }
  mem.write(gpa(LM.code), assemble('.code64\n' + source, LM.code));
  const v = m.vcpu;
  const code = cpl === 3 ? SEL.ucode : SEL.kcode;
  const data = cpl === 3 ? SEL.udata : SEL.kdata;
  v.setRegisters([
    ...segment('cs', code, 0, 0xffffffff, ATTR.code64(cpl)),
    ...(['ds', 'es', 'ss', 'fs', 'gs'] as const).flatMap((s) => segment(s, data, 0, 0xffffffff, ATTR.data(cpl))),
    ...segment('tr', SEL.tss, LM.tss, 0x67, ATTR.tss64),
    [x86Dtable('gdt', 'base'), BigInt(LM.gdt)],
    [x86Dtable('gdt', 'limit'), 0x37n],
    [x86Dtable('idt', 'base'), BigInt(LM.idt)],
    [x86Dtable('idt', 'limit'), 0xfffn],
    [x86Control('cr3'), BigInt(LM.pml4)],
    [x86Control('cr4'), 0x20n | 0x200n | 0x400n], // PAE, OSFXSR, OSXMMEXCPT
    [x86Control('cr0'), 0x80050033n], // PG WP NE ET MP PE
    [x86Control('efer'), 0x500n | 0x1n], // LMA LME SCE
    [x86Gpr('rip'), BigInt(LM.code)],
    [x86Gpr('rsp'), BigInt(cpl === 3 ? LM.userStack : LM.kernelStack)],
    [x86Gpr('rflags'), 2n],
  ]);
}

/** Runs until an exit other than those `skip` accepts; at most `limit` exits. */
export function runUntil(vcpu: Vcpu, stop: (e: ReturnType<Vcpu['run']>) => boolean, limit = 1000): ReturnType<Vcpu['run']> {
  for (let i = 0; i < limit; i++) {
    const e = vcpu.run();
    if (stop(e)) return e;
  }
  throw new Error(`no matching exit within ${limit} exits`);
}
