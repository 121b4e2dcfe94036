/**
 * `info registers` for x86-64 vCPUs in the layout of QEMU 7.2's x86 CPU dump (with the FPU
 * part, as its HMP asks for), so that the two read side by side. Values come from the
 * vCPU's register list by name (the API's x86 names: rax…, es.selector…, gdt.base, cr0,
 * efer, dr0…, st0…, fcw, xmm0…, event.interrupt.shadow).
 *
 * The layout follows the mode as QEMU's does: 64-bit code (EFER.LMA and CS.L) prints RAX…
 * and 16-digit segment bases and 16 XMM registers; otherwise EAX…, 8-digit bases and 8 XMM
 * registers; GDT/IDT/CR2/CR3 are 16 digits whenever EFER.LMA is set.
 *
 * Segment attributes print as QEMU prints them under kvm: the descriptor's second dword
 * masked to 0x00ffff00 without the limit bits 19:16 (KVM's struct kvm_segment has no raw
 * descriptor), and 0 for a segment KVM marks unusable. Fields QEMU knows and a KVM vCPU
 * does not expose: A20 is always 1 (KVM has no A20 gate), SMM is 0 (this VMM never enters
 * SMM); CPL is SS.DPL (what QEMU derives it from); II is the interrupt shadow and HLT the
 * halted MP state. Registers the vCPU lacks print as dashes of the column's width.
 */
import type { MpState } from '../../api/hypervisor.js';
import type { RegisterSource } from './ppc-registers.js';

const EFER_LMA = 1n << 10n;
const CR0_PE = 1n;
/** VMX access-rights bits (the API's segment attribute layout). */
const AR_S = 1n << 4n;
const AR_P = 1n << 7n;
const AR_L = 1n << 13n;
const AR_DB = 1n << 14n;
const AR_UNUSABLE = 1n << 16n;

const SYSTEM_TYPES_32 = [
  'Reserved', 'TSS16-avl', 'LDT', 'TSS16-busy', 'CallGate16', 'TaskGate', 'IntGate16', 'TrapGate16',
  'Reserved', 'TSS32-avl', 'Reserved', 'TSS32-busy', 'CallGate32', 'Reserved', 'IntGate32', 'TrapGate32',
] as const;
const SYSTEM_TYPES_64 = [
  '<hiword>', 'Reserved', 'LDT', 'Reserved', 'Reserved', 'Reserved', 'Reserved', 'Reserved',
  'Reserved', 'TSS64-avl', 'Reserved', 'TSS64-busy', 'CallGate64', 'Reserved', 'IntGate64', 'TrapGate64',
] as const;

function snapshot(cpu: RegisterSource): (name: string) => bigint | undefined {
  const list = cpu.registerList();
  const values = cpu.getRegisters(list.map((r) => r.id));
  const byName = new Map(list.map((r, i) => [r.name, values[i]!]));
  return (name) => byName.get(name);
}

export function formatX86Registers(cpu: RegisterSource, mpState?: MpState): string {
  const get = snapshot(cpu);
  const hex = (v: bigint | undefined, digits: number): string =>
    v === undefined ? '-'.repeat(digits) : BigInt.asUintN(digits * 4, v).toString(16).padStart(digits, '0');
  const reg = (name: string, digits: number): string => hex(get(name), digits);

  const efer = get('efer') ?? 0n;
  const lma = (efer & EFER_LMA) !== 0n;
  const csAr = get('cs.attributes') ?? 0n;
  const cs64 = lma && (csAr & AR_L) !== 0n;
  const pe = ((get('cr0') ?? 0n) & CR0_PE) !== 0n;
  const rflags = get('rflags');
  const fl = rflags ?? 0n;
  const bit = (mask: bigint, c: string): string => ((fl & mask) !== 0n ? c : '-');
  const flagText = rflags === undefined ? '-------' : bit(0x400n, 'D') + bit(0x800n, 'O') + bit(0x80n, 'S') + bit(0x40n, 'Z') + bit(0x10n, 'A') + bit(0x4n, 'P') + bit(0x1n, 'C');
  const ssAr = get('ss.attributes');
  const cpl = ssAr === undefined ? '-' : String(Number((ssAr >> 5n) & 3n));
  const shadow = get('event.interrupt.shadow');
  const ii = shadow === undefined ? '-' : shadow !== 0n ? '1' : '0';
  const hlt = mpState === undefined ? '-' : mpState === 'halted' ? '1' : '0';
  const tail = `[${flagText}] CPL=${cpl} II=${ii} A20=1 SMM=0 HLT=${hlt}\n`;

  let out = '';
  if (cs64) {
    const line = (names: readonly [string, string][]): string => names.map(([label, n]) => `${label}=${reg(n, 16)}`).join(' ') + '\n';
    out += line([['RAX', 'rax'], ['RBX', 'rbx'], ['RCX', 'rcx'], ['RDX', 'rdx']]);
    out += line([['RSI', 'rsi'], ['RDI', 'rdi'], ['RBP', 'rbp'], ['RSP', 'rsp']]);
    out += line([['R8 ', 'r8'], ['R9 ', 'r9'], ['R10', 'r10'], ['R11', 'r11']]);
    out += line([['R12', 'r12'], ['R13', 'r13'], ['R14', 'r14'], ['R15', 'r15']]);
    out += `RIP=${reg('rip', 16)} RFL=${hex(rflags, 8)} ${tail}`;
  } else {
    const line = (names: readonly [string, string][]): string => names.map(([label, n]) => `${label}=${reg(n, 8)}`).join(' ') + '\n';
    out += line([['EAX', 'rax'], ['EBX', 'rbx'], ['ECX', 'rcx'], ['EDX', 'rdx']]);
    out += line([['ESI', 'rsi'], ['EDI', 'rdi'], ['EBP', 'rbp'], ['ESP', 'rsp']]);
    out += `EIP=${reg('rip', 8)} EFL=${hex(rflags, 8)} ${tail}`;
  }

  for (const [label, seg] of [['ES', 'es'], ['CS', 'cs'], ['SS', 'ss'], ['DS', 'ds'], ['FS', 'fs'], ['GS', 'gs'], ['LDT', 'ldt'], ['TR', 'tr']] as const) {
    const ar = get(`${seg}.attributes`);
    const usable = ar !== undefined && (ar & AR_UNUSABLE) === 0n;
    // QEMU's descriptor flags: type/S/DPL/P in bits 15:8, AVL/L/DB/G in bits 23:20.
    const flags = ar === undefined ? undefined : usable ? ((ar & 0xffn) << 8n) | ((ar & 0xf000n) << 8n) : 0n;
    out += `${label.padEnd(3)}=${reg(`${seg}.selector`, 4)} ${reg(`${seg}.base`, cs64 ? 16 : 8)} ${reg(`${seg}.limit`, 8)} ${hex(flags, 8)}`;
    if (pe && ar !== undefined && usable && (ar & AR_P) !== 0n) {
      out += ` DPL=${Number((ar >> 5n) & 3n)} `;
      const type = Number(ar & 0xfn);
      if ((ar & AR_S) !== 0n) {
        if ((type & 8) !== 0) {
          out += (ar & AR_L) !== 0n ? 'CS64' : (ar & AR_DB) !== 0n ? 'CS32' : 'CS16';
          out += ` [${type & 4 ? 'C' : '-'}${type & 2 ? 'R' : '-'}`;
        } else {
          out += (ar & AR_DB) !== 0n || lma ? 'DS  ' : 'DS16';
          out += ` [${type & 4 ? 'E' : '-'}${type & 2 ? 'W' : '-'}`;
        }
        out += `${type & 1 ? 'A' : '-'}]`;
      } else {
        out += (lma ? SYSTEM_TYPES_64 : SYSTEM_TYPES_32)[type];
      }
    }
    out += '\n';
  }

  const wide = lma ? 16 : 8;
  out += `GDT=     ${reg('gdt.base', wide)} ${reg('gdt.limit', 8)}\n`;
  out += `IDT=     ${reg('idt.base', wide)} ${reg('idt.limit', 8)}\n`;
  out += `CR0=${reg('cr0', 8)} CR2=${reg('cr2', wide)} CR3=${reg('cr3', wide)} CR4=${reg('cr4', 8)}\n`;
  for (const i of [0, 1, 2, 3]) out += `DR${i}=${reg(`dr${i}`, 16)} `;
  out += `\nDR6=${reg('dr6', 16)} DR7=${reg('dr7', 16)}\n`;
  out += `EFER=${reg('efer', 16)}\n`;

  const fsw = get('fsw');
  const top = fsw === undefined ? '-' : String(Number((fsw >> 11n) & 7n));
  out += `FCW=${reg('fcw', 4)} FSW=${hex(fsw, 4)} [ST=${top}] FTW=${reg('ftw', 2)} MXCSR=${reg('mxcsr', 8)}\n`;
  for (let i = 0; i < 8; i++) {
    const st = get(`st${i}`);
    // The 80-bit value: 64-bit significand, then sign and exponent.
    out += `FPR${i}=${hex(st, 16)} ${st === undefined ? '----' : hex(st >> 64n, 4)}`;
    out += i % 2 === 1 ? '\n' : ' ';
  }
  const xmmCount = cs64 ? 16 : 8;
  for (let i = 0; i < xmmCount; i++) {
    const x = get(`xmm${i}`);
    out += `XMM${String(i).padStart(2, '0')}=${x === undefined ? '-'.repeat(16) : hex(x >> 64n, 16)} ${hex(x, 16)}`;
    out += i % 2 === 1 ? '\n' : ' ';
  }
  return out;
}
