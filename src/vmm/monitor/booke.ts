/**
 * Book E (e500) parts of the monitor: `info tlb` in QEMU 7.2's layout. The debugger's address
 * translation (`gva2gpa`, `x`) is api/booke-debug.ts, shared with the gdb stub.
 */
import type { BookeTlbEntry } from '../../api/booke.js';
import type { Vcpu } from '../../api/hypervisor.js';

/** The part of BookeTlbView that `info tlb` reads. */
export interface BookeTlbSource {
  readonly tlb0Entries: number;
  readonly tlb1Entries: number;
  /** Valid entries of one TLB in array order (TLB0 set by set, way by way). */
  valid(tlbsel: 0 | 1): Iterable<{ readonly entry: BookeTlbEntry }>;
  /** Brings the array up to date first, where the MMU type needs that (BookeTlbView.refresh). */
  refresh?(vcpu: Pick<Vcpu, 'syncTlb'>): void;
}

const MAS1_TS = 0x1000;
const MAS2_W = 0x10;
const MAS2_I = 0x08;
const MAS2_M = 0x04;
const MAS2_G = 0x02;
const MAS2_E = 0x01;
const MAS3_SR = 0x01;
const MAS3_UR = 0x02;
const MAS3_SW = 0x04;
const MAS3_UW = 0x08;
const MAS3_SX = 0x10;
const MAS3_UX = 0x20;
const MAS3_U0 = 0x200;
const MAS3_U1 = 0x100;
const MAS3_U2 = 0x80;
const MAS3_U3 = 0x40;

const HEADER = 'Effective          Physical           Size TID   TS SRWX URWX WIMGE U0123\n';

/** "1K" << n for n = 0..31, the way QEMU names page sizes. */
function sizeName(log2KiB: number): string {
  const units = ['K', 'M', 'G', 'T'];
  return `${2 ** (log2KiB % 10)}${units[Math.floor(log2KiB / 10)]!}`;
}

const flag = (set: boolean, ch: string): string => (set ? ch : '-');
const hex16 = (v: bigint): string => `0x${v.toString(16).padStart(16, '0')}`;

/** One entry as QEMU prints it: `0x%016x 0x%016x %4s %-5u %1u  S%c%c%cU%c%c%c %c%c%c%c%c U%c%c%c%c`. */
export function formatTlbEntry(e: BookeTlbEntry): string {
  // The e500 cores (MMU architecture 1.0) have 4^TSIZE KiB pages in MAS1[TSIZE] (bits 8-11);
  // QEMU's 5-bit field one bit lower reads as 2 * TSIZE, i.e. log2 of the size in KiB.
  const log2KiB = 2 * ((e.mas1 >>> 8) & 0xf);
  const mask = ~((1024n << BigInt(log2KiB)) - 1n);
  const ea = BigInt(e.mas2 >>> 0) & mask;
  const pa = e.mas7_3 & mask & 0xffff_ffff_ffff_ffffn;
  const tid = (e.mas1 >>> 16) & 0x3fff;
  const ts = (e.mas1 & MAS1_TS) !== 0 ? 1 : 0;
  const mas3 = Number(e.mas7_3 & 0xffff_ffffn);
  const mas2 = e.mas2;
  return (
    `${hex16(ea)} ${hex16(pa)} ${sizeName(log2KiB).padStart(4)} ${String(tid).padEnd(5)} ${ts}  ` +
    `S${flag((mas3 & MAS3_SR) !== 0, 'R')}${flag((mas3 & MAS3_SW) !== 0, 'W')}${flag((mas3 & MAS3_SX) !== 0, 'X')}` +
    `U${flag((mas3 & MAS3_UR) !== 0, 'R')}${flag((mas3 & MAS3_UW) !== 0, 'W')}${flag((mas3 & MAS3_UX) !== 0, 'X')} ` +
    `${flag((mas2 & MAS2_W) !== 0, 'W')}${flag((mas2 & MAS2_I) !== 0, 'I')}${flag((mas2 & MAS2_M) !== 0, 'M')}` +
    `${flag((mas2 & MAS2_G) !== 0, 'G')}${flag((mas2 & MAS2_E) !== 0, 'E')} ` +
    `U${flag((mas3 & MAS3_U0) !== 0, '0')}${flag((mas3 & MAS3_U1) !== 0, '1')}${flag((mas3 & MAS3_U2) !== 0, '2')}${flag((mas3 & MAS3_U3) !== 0, '3')}\n`
  );
}

/** `info tlb`: every TLB that has entries, each with a blank line, its name and the header. */
export function formatBookeTlb(tlb: BookeTlbSource): string {
  let out = '';
  for (const [tlbsel, size] of [[0, tlb.tlb0Entries], [1, tlb.tlb1Entries]] as const) {
    if (size === 0) continue;
    out += `\nTLB${tlbsel}:\n${HEADER}`;
    for (const slot of tlb.valid(tlbsel)) out += formatTlbEntry(slot.entry);
  }
  return out;
}
