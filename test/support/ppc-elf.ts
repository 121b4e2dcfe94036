/**
 * Hand-assembled ppce500 guests as ELF files, for tests that run the CLI with a guest whose
 * behaviour they need exactly (a console that never stops writing, …).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asm, words } from './ppc-asm.js';

/** A 32-bit big-endian PowerPC ELF with `code` as its one segment, entered at its start. */
export function ppcElf(code: Uint8Array, at = 0x10_0000): Uint8Array {
  const elf = new Uint8Array(52 + 32 + code.length);
  const v = new DataView(elf.buffer);
  elf.set([0x7f, 0x45, 0x4c, 0x46, 1, 2, 1]);
  v.setUint16(16, 2); // ET_EXEC
  v.setUint16(18, 20); // EM_PPC
  v.setUint32(20, 1);
  v.setUint32(24, at);
  v.setUint32(28, 52);
  v.setUint16(40, 52);
  v.setUint16(42, 32);
  v.setUint16(44, 1);
  v.setUint32(52, 1); // PT_LOAD
  v.setUint32(56, 84);
  v.setUint32(60, at);
  v.setUint32(64, at);
  v.setUint32(68, code.length);
  v.setUint32(72, code.length);
  v.setUint32(76, 7);
  v.setUint32(80, 4);
  elf.set(code, 84);
  return elf;
}

const SPR = { MAS0: 624, MAS1: 625, MAS2: 626, MAS3: 627, MAS7: 944 } as const;

/** Loads a 32-bit constant into `r` (lis + ori). */
const li32 = (r: number, value: number): number[] => [asm.lis(r, value >>> 16), asm.ori(r, r, value & 0xffff)];

/**
 * Maps the CCSR block (PA 0xF_E000_0000, 1 MiB, cache-inhibited and guarded) at EA
 * 0xE000_0000 in TLB1 entry 1, as the guests' crt0 does; UART0 is then at 0xE000_4500.
 */
export const mapCcsr = (): number[] => [
  ...li32(3, 0x1001_0000), // MAS0: TLB1, ESEL 1
  asm.mtspr(SPR.MAS0, 3),
  ...li32(3, 0xc000_0500), // MAS1: V, IPROT, TSIZE 1 MiB
  asm.mtspr(SPR.MAS1, 3),
  ...li32(3, 0xe000_000a), // MAS2: EPN 0xE0000000, I, G
  asm.mtspr(SPR.MAS2, 3),
  ...li32(3, 0xe000_0005), // MAS3: RPN 0xE0000000, SW, SR
  asm.mtspr(SPR.MAS3, 3),
  asm.li(3, 0xf), // MAS7: PA bits 32-35
  asm.mtspr(SPR.MAS7, 3),
  asm.isync(),
  asm.tlbwe(),
  asm.isync(),
];

/** A guest that writes `byte` to UART0's THR for ever, without looking at LSR. */
export function chattyGuest(byte = 0x78): Uint8Array {
  return ppcElf(words(...mapCcsr(), ...li32(4, 0xe000_4500), asm.li(5, byte), asm.stb(5, 4, 0), asm.b(-4)));
}

/** `chattyGuest()` in a temporary file; returns its path. */
export function chattyGuestFile(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'ngkvm-guest-')), 'chatty.elf');
  writeFileSync(path, chattyGuest());
  return path;
}
