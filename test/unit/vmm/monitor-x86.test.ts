/**
 * The monitor's x86 output over fabricated vCPUs and RAM: `info registers` in QEMU 7.2's
 * x86-64 layouts (64-bit code and the 32-bit PVH entry state), `info tlb` walking 4-level
 * page tables, and `x` reading little-endian through Vcpu.translate with 64-bit addresses.
 * The formats were measured on QEMU 7.2's `-M microvm` (test/guests/monitor-x86.test.ts
 * compares the two on a guest).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Translation } from '../../../src/api/hypervisor.js';
import type { RegisterDescriptor, RegisterId } from '../../../src/api/registers.js';
import type { MonitorMachine } from '../../../src/vmm/monitor/machine.js';
import { Monitor } from '../../../src/vmm/monitor/monitor.js';
import { formatX86Registers } from '../../../src/vmm/monitor/x86-registers.js';

function fakeVcpu(values: Record<string, bigint>, translate: (ea: number) => Translation = (ea) => ({ kind: 'mapped', phys: ea - (ea % 4096), pageSize: 4096 })) {
  const list: RegisterDescriptor[] = Object.keys(values).map((name, i) => ({ id: BigInt(i + 1) as RegisterId, name, size: 8, access: 'read-write' }));
  return {
    registerList: () => list,
    getRegisters: (ids: readonly RegisterId[]) => ids.map((id) => values[list[Number(id) - 1]!.name]!),
    translate,
    stats: () => ({}),
  };
}

/** A flat 64-bit ring-0 state as the x86 guests' start.S leaves it (KVM's attribute layout). */
const LONG_MODE: Record<string, bigint> = {
  rax: 0x60n, rbx: 0x6000n, rcx: 0n, rdx: 0x3fdn, rsi: 0x3fdn, rdi: 0x3fdn, rbp: 0n, rsp: 0x10bff0n,
  r8: 0x3f8n, r9: 0xdn, r10: 0x101ea8n, r11: 0x30n, r12: 0n, r13: 0n, r14: 0n, r15: 0n,
  rip: 0x101be8n, rflags: 0x46n,
  ...segment('es', 0x10n, 0xc093n), ...segment('cs', 0x8n, 0xa09bn), ...segment('ss', 0x10n, 0xc093n),
  ...segment('ds', 0x10n, 0xc093n), ...segment('fs', 0x10n, 0xc093n), ...segment('gs', 0x10n, 0xc093n),
  'ldt.selector': 0n, 'ldt.base': 0n, 'ldt.limit': 0n, 'ldt.attributes': 0x10000n,
  'tr.selector': 0x18n, 'tr.base': 0n, 'tr.limit': 0x67n, 'tr.attributes': 0x8bn,
  'gdt.base': 0x101ed0n, 'gdt.limit': 0x37n, 'idt.base': 0n, 'idt.limit': 0n,
  cr0: 0x80000011n, cr2: 0n, cr3: 0x102000n, cr4: 0x20n, efer: 0x500n,
  dr0: 0n, dr1: 0n, dr2: 0n, dr3: 0n, dr6: 0xffff0ff0n, dr7: 0x400n,
  fcw: 0x37fn, fsw: 0x3800n, ftw: 0x80n, mxcsr: 0x1f80n,
  st0: 0x4000c90fdaa22168c000n,
  xmm0: 0x0123456789abcdef_fedcba9876543210n,
  'event.interrupt.shadow': 0n,
};

function segment(name: string, selector: bigint, attributes: bigint): Record<string, bigint> {
  // Attributes here are in QEMU's flags bits 23:8 form shifted down (type/S/DPL/P low, AVL/L/DB/G at 15:12).
  return { [`${name}.selector`]: selector, [`${name}.base`]: 0n, [`${name}.limit`]: 0xffffffffn, [`${name}.attributes`]: (attributes & 0xffn) | (attributes & 0xf000n) };
}

test('info registers in 64-bit code: QEMU\'s x86-64 layout', () => {
  const text = formatX86Registers(fakeVcpu(LONG_MODE), 'runnable');
  const lines = text.split('\n');
  assert.deepEqual(lines.slice(0, 20), [
    'RAX=0000000000000060 RBX=0000000000006000 RCX=0000000000000000 RDX=00000000000003fd',
    'RSI=00000000000003fd RDI=00000000000003fd RBP=0000000000000000 RSP=000000000010bff0',
    'R8 =00000000000003f8 R9 =000000000000000d R10=0000000000101ea8 R11=0000000000000030',
    'R12=0000000000000000 R13=0000000000000000 R14=0000000000000000 R15=0000000000000000',
    'RIP=0000000000101be8 RFL=00000046 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=0',
    'ES =0010 0000000000000000 ffffffff 00c09300 DPL=0 DS   [-WA]',
    'CS =0008 0000000000000000 ffffffff 00a09b00 DPL=0 CS64 [-RA]',
    'SS =0010 0000000000000000 ffffffff 00c09300 DPL=0 DS   [-WA]',
    'DS =0010 0000000000000000 ffffffff 00c09300 DPL=0 DS   [-WA]',
    'FS =0010 0000000000000000 ffffffff 00c09300 DPL=0 DS   [-WA]',
    'GS =0010 0000000000000000 ffffffff 00c09300 DPL=0 DS   [-WA]',
    'LDT=0000 0000000000000000 00000000 00000000',
    'TR =0018 0000000000000000 00000067 00008b00 DPL=0 TSS64-busy',
    'GDT=     0000000000101ed0 00000037',
    'IDT=     0000000000000000 00000000',
    'CR0=80000011 CR2=0000000000000000 CR3=0000000000102000 CR4=00000020',
    'DR0=0000000000000000 DR1=0000000000000000 DR2=0000000000000000 DR3=0000000000000000 ',
    'DR6=00000000ffff0ff0 DR7=0000000000000400',
    'EFER=0000000000000500',
    'FCW=037f FSW=3800 [ST=7] FTW=80 MXCSR=00001f80',
  ]);
  assert.equal(lines[20], 'FPR0=c90fdaa22168c000 4000 FPR1=---------------- ----');
  assert.equal(lines[24], 'XMM00=0123456789abcdef fedcba9876543210 XMM01=---------------- ----------------');
  assert.equal(lines.length, 24 + 8 + 1, '16 XMM registers in 64-bit code');
  assert.match(formatX86Registers(fakeVcpu(LONG_MODE), 'halted'), /HLT=1\n/);
});

test('info registers at the PVH entry (32-bit protected mode, no LMA): EAX…, 8-digit bases, 8 XMM registers', () => {
  const entry = { ...LONG_MODE, cr0: 0x11n, efer: 0n, rflags: 0x2n, ...segment('cs', 0x8n, 0xc09bn) };
  const lines = formatX86Registers(fakeVcpu(entry)).split('\n');
  assert.equal(lines[0], 'EAX=00000060 EBX=00006000 ECX=00000000 EDX=000003fd');
  assert.equal(lines[2], 'EIP=00101be8 EFL=00000002 [-------] CPL=0 II=0 A20=1 SMM=0 HLT=-');
  assert.equal(lines[4], 'CS =0008 00000000 ffffffff 00c09b00 DPL=0 CS32 [-RA]');
  assert.equal(lines[10], 'TR =0018 00000000 00000067 00008b00 DPL=0 TSS32-busy');
  assert.equal(lines[11], 'GDT=     00101ed0 00000037');
  assert.equal(lines[13], 'CR0=00000011 CR2=00000000 CR3=00102000 CR4=00000020');
  assert.equal(lines.filter((l) => l.startsWith('XMM')).length, 4, '8 XMM registers, two a line');
});

/** 4 MiB of fabricated RAM with page tables at 0x1000 (PML4), 0x2000 (PDPT), 0x3000 (PD), 0x4000 (PT). */
function pagedMachine(cr0 = 0x80000011n): { machine: MonitorMachine; ram: Uint8Array } {
  const ram = new Uint8Array(0x40_0000);
  const view = new DataView(ram.buffer);
  const set = (at: number, v: bigint): void => view.setBigUint64(at, v, true);
  set(0x1000, 0x2000n | 0x27n); // PML4[0] → PDPT
  set(0x1000 + 511 * 8, 0x2000n | 0x3n); // PML4[511] → the same PDPT: upper-half addresses
  set(0x2000, 0x3000n | 0x7n); // PDPT[0] → PD
  set(0x2000 + 3 * 8, 0xc000_0000n | 0x83n); // PDPT[3]: a 1 GiB page
  set(0x3000, 0x4000n | 0x7n); // PD[0] → PT
  set(0x3000 + 8, 0x20_0000n | 0xe3n | (1n << 63n)); // PD[1]: a 2 MiB page, dirty, accessed, NX
  set(0x4000 + 5 * 8, 0x5000n | 0x163n); // PT[5]: 4 KiB, global, dirty, accessed
  set(0x4000 + 6 * 8, 0x6000n | 0x9bn); // PT[6]: PAT (bit 7) is not a page size; PWT PCD
  const vcpu = fakeVcpu({ cr0, cr3: 0x1000n, cr4: 0x20n, efer: 0x500n }, (ea) =>
    ea >= 0x5000 && ea < 0x7000 ? { kind: 'mapped', phys: ea - (ea % 4096), pageSize: 4096 } : { kind: 'unmapped' },
  );
  const machine: MonitorMachine = {
    version: '1',
    accelerator: 'fake',
    arch: 'x86_64',
    cpus: [{ vcpu }],
    readPhysical: (a, n) => (a + BigInt(n) <= BigInt(ram.length) ? ram.slice(Number(a), Number(a) + n) : null),
    memoryRegions: () => [],
    runStatus: () => 'running',
    pause: () => {},
    resume: () => {},
    requestReset: () => {},
    requestQuit: () => {},
  };
  return { machine, ram };
}

test('info tlb walks the long-mode page tables in QEMU\'s format, upper-half addresses sign-extended', () => {
  const { machine } = pagedMachine();
  assert.equal(
    new Monitor(machine).execute('info tlb'),
    [
      '0000000000005000: 0000000000005000 -G-DA---W',
      '0000000000006000: 0000000000006000 -----CT-W',
      '0000000000200000: 0000000000200000 X-PDA---W',
      '00000000c0000000: 00000000c0000000 --P-----W',
      'ffffff8000005000: 0000000000005000 -G-DA---W',
      'ffffff8000006000: 0000000000006000 -----CT-W',
      'ffffff8000200000: 0000000000200000 X-PDA---W',
      'ffffff80c0000000: 00000000c0000000 --P-----W',
      '',
    ].join('\n'),
  );
  assert.equal(new Monitor(pagedMachine(0x11n).machine).execute('info tlb'), 'PG disabled\n');
});

test('x and gva2gpa on x86: 16-digit virtual addresses, little-endian units, through Vcpu.translate', () => {
  const { machine, ram } = pagedMachine();
  ram.set([0x78, 0x56, 0x34, 0x12, 0xf0, 0xde, 0xbc, 0x9a, 0x41, 0x42], 0x5ff8);
  const m = new Monitor(machine);
  assert.equal(m.execute('x/2wx 0x5ff8'), '0000000000005ff8: 0x12345678 0x9abcdef0\n');
  assert.equal(m.execute('x/1gx 0x5ff8'), '0000000000005ff8: 0x9abcdef012345678\n');
  assert.equal(m.execute('x/2hx 0x6000'), '0000000000006000: 0x4241 0x0000\n', 'across the page boundary');
  assert.equal(m.execute('xp/2wx 0x5ff8'), '0000000000005ff8: 0x12345678 0x9abcdef0\n');
  assert.equal(m.execute('x/2wx 0x7000'), '0000000000007000: Cannot access memory\n');
  assert.equal(m.execute('gva2gpa 0x6004'), 'gpa: 0x6004\n');
  assert.equal(m.execute('gva2gpa 0xffffffff80000000'), 'Unmapped\n');
  assert.equal(m.execute('x/1wx 0xffffffff80000000'), 'ffffffff80000000: Cannot access memory\n');
});
