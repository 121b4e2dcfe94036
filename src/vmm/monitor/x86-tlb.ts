/**
 * `info tlb` for x86 in QEMU 7.2's layout: x86 has no software-visible TLB, so QEMU walks
 * the guest's page tables from CR3 and prints every present leaf as
 * `VIRT: PHYS XGPDACTUW` (16 hex digits each; the flags are NX, global, large page, dirty,
 * accessed, cache disable, write-through, user, writable, `-` when clear), virtual addresses
 * sign-extended from bit 47. Paging off prints `PG disabled`.
 *
 * Implemented: 4-level long-mode paging (what x86-64 guests use). 32-bit, PAE and 5-level
 * paging get a one-line message instead of QEMU's listing.
 */
const PRESENT = 1n;
const RW = 1n << 1n;
const USER = 1n << 2n;
const PWT = 1n << 3n;
const PCD = 1n << 4n;
const ACCESSED = 1n << 5n;
const DIRTY = 1n << 6n;
const PSE = 1n << 7n;
const GLOBAL = 1n << 8n;
const NX = 1n << 63n;
/** Physical address bits of a table entry (bits 51:12). */
const ADDR_MASK = 0x000f_ffff_ffff_f000n;

export interface PageTableSource {
  readonly cr0: bigint;
  readonly cr3: bigint;
  readonly cr4: bigint;
  readonly efer: bigint;
  /** Guest-physical bytes, or null where there is no RAM. */
  readPhysical(addr: bigint, length: number): Uint8Array | null;
}

function entries(src: PageTableSource, table: bigint): bigint[] | null {
  const bytes = src.readPhysical(table & ADDR_MASK, 4096);
  if (bytes === null) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: 512 }, (_, i) => view.getBigUint64(i * 8, true));
}

function line(virt: bigint, pte: bigint, mask: bigint): string {
  const va = (virt & (1n << 47n)) !== 0n ? virt | (~0n << 48n) : virt;
  const f = (bit: bigint, c: string): string => ((pte & bit) !== 0n ? c : '-');
  const flags = f(NX, 'X') + f(GLOBAL, 'G') + f(PSE, 'P') + f(DIRTY, 'D') + f(ACCESSED, 'A') + f(PCD, 'C') + f(PWT, 'T') + f(USER, 'U') + f(RW, 'W');
  return `${BigInt.asUintN(64, va).toString(16).padStart(16, '0')}: ${(pte & mask).toString(16).padStart(16, '0')} ${flags}\n`;
}

export function formatX86Tlb(src: PageTableSource): string {
  if ((src.cr0 & (1n << 31n)) === 0n) return 'PG disabled\n';
  const pae = (src.cr4 & (1n << 5n)) !== 0n;
  const lma = (src.efer & (1n << 10n)) !== 0n;
  if (!pae || !lma) return 'info tlb: only 4-level long-mode page tables are listed (this vCPU uses 32-bit or PAE paging)\n';
  if ((src.cr4 & (1n << 12n)) !== 0n) return 'info tlb: 5-level paging (CR4.LA57) is not listed by ngkvm\n';
  let out = '';
  const pml4 = entries(src, src.cr3);
  if (pml4 === null) return out;
  pml4.forEach((e1, l1) => {
    if ((e1 & PRESENT) === 0n) return;
    const pdpt = entries(src, e1);
    pdpt?.forEach((e2, l2) => {
      if ((e2 & PRESENT) === 0n) return;
      const va2 = (BigInt(l1) << 39n) | (BigInt(l2) << 30n);
      // 1 GiB page.
      if ((e2 & PSE) !== 0n) return void (out += line(va2, e2, 0x3_ffff_c000_0000n));
      entries(src, e2)?.forEach((e3, l3) => {
        if ((e3 & PRESENT) === 0n) return;
        const va3 = va2 | (BigInt(l3) << 21n);
        // 2 MiB page.
        if ((e3 & PSE) !== 0n) return void (out += line(va3, e3, 0x3_ffff_ffe0_0000n));
        entries(src, e3)?.forEach((e4, l4) => {
          // Bit 7 of a 4 KiB entry is PAT, not a page size: QEMU clears it before printing.
          if ((e4 & PRESENT) !== 0n) out += line(va3 | (BigInt(l4) << 12n), e4 & ~PSE, 0x3_ffff_ffff_f000n);
        });
      });
    });
  });
  return out;
}
