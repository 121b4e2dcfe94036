/**
 * The guest-visible Book E TLB, stored in the layout KVM_CAP_SW_TLB shares with the VMM
 * (`struct kvm_book3e_206_tlb_entry`: mas8 u32, mas1 u32, mas2 u64, mas7_3 u64; 24 bytes,
 * host byte order), TLB0 first (set by set, way by way), then TLB1.
 *
 * Keeping the architected TLB in exactly that array means the VMM can read it for "info
 * tlb", reset, migration or a debugger without a copy (seed 000). The accelerator looks
 * entries up here on software-TLB misses only, so the array is not on the hot path.
 */
import { HOST_LITTLE_ENDIAN } from '../../api/booke.js';

export const TLB_ENTRY_BYTES = 24;
export const TLB_ENTRY_WORDS = 6;

const LE = HOST_LITTLE_ENDIAN;
/** Word indexes of the fields inside one entry, for this host's byte order. */
export const W_MAS8 = 0;
export const W_MAS1 = 1;
export const W_MAS2_LO = LE ? 2 : 3;
export const W_MAS2_HI = LE ? 3 : 2;
export const W_MAS3 = LE ? 4 : 5;
export const W_MAS7 = LE ? 5 : 4;

export const MAS1_V = 0x80000000;
export const MAS1_IPROT = 0x40000000;
export const MAS1_TS = 0x00001000;
export const MAS2_EPN = 0xfffff000;
export const MAS3_RPN = 0xfffff000;
export const MAS3_UX = 0x20;
export const MAS3_SX = 0x10;
export const MAS3_UW = 0x08;
export const MAS3_SW = 0x04;
export const MAS3_UR = 0x02;
export const MAS3_SR = 0x01;

export interface TlbGeometry {
  /** TLB0: number of entries and ways (sets = entries / ways). */
  readonly tlb0Entries: number;
  readonly tlb0Ways: number;
  /** TLB1: fully associative. */
  readonly tlb1Entries: number;
}

export function tlbTid(mas1: number): number {
  return (mas1 >>> 16) & 0x3fff;
}

export function tlbTsize(mas1: number): number {
  return (mas1 >>> 8) & 0xf;
}

/** Page sizes by TSIZE: a table, because this is on every soft-TLB miss (`2 **` is a pow call). */
const TSIZE_BYTES = Float64Array.from({ length: 16 }, (_, t) => 2 ** (10 + 2 * t));

/** Page size in bytes for a MAV 1.0 TSIZE (4^n KiB). */
export function tsizeBytes(tsize: number): number {
  return TSIZE_BYTES[tsize & 0xf]!;
}

export class TlbArray {
  readonly geometry: TlbGeometry;
  readonly tlb0Sets: number;
  readonly totalEntries: number;
  readonly buffer: ArrayBufferLike;
  readonly words: Uint32Array;
  /** Byte offset of this TLB inside `buffer` (the VMM may hand us a window of a larger buffer). */
  readonly byteOffset: number;

  constructor(geometry: TlbGeometry, buffer?: ArrayBufferLike, byteOffset = 0) {
    this.geometry = geometry;
    this.tlb0Sets = geometry.tlb0Entries / geometry.tlb0Ways;
    this.totalEntries = geometry.tlb0Entries + geometry.tlb1Entries;
    this.buffer = buffer ?? new ArrayBuffer(this.totalEntries * TLB_ENTRY_BYTES);
    this.byteOffset = byteOffset;
    this.words = new Uint32Array(this.buffer, byteOffset, this.totalEntries * TLB_ENTRY_WORDS);
  }

  /** Entry index of TLB0 (set, way). */
  tlb0Index(ea: number, way: number): number {
    return ((ea >>> 12) & (this.tlb0Sets - 1)) * this.geometry.tlb0Ways + way;
  }

  tlb1Index(esel: number): number {
    return this.geometry.tlb0Entries + esel;
  }

  mas1(e: number): number {
    return this.words[e * TLB_ENTRY_WORDS + W_MAS1]!;
  }

  mas2(e: number): number {
    return this.words[e * TLB_ENTRY_WORDS + W_MAS2_LO]!;
  }

  mas3(e: number): number {
    return this.words[e * TLB_ENTRY_WORDS + W_MAS3]!;
  }

  mas7(e: number): number {
    return this.words[e * TLB_ENTRY_WORDS + W_MAS7]!;
  }

  mas8(e: number): number {
    return this.words[e * TLB_ENTRY_WORDS + W_MAS8]!;
  }

  write(e: number, mas1: number, mas2: number, mas3: number, mas7: number, mas8: number): void {
    const w = this.words;
    const o = e * TLB_ENTRY_WORDS;
    w[o + W_MAS8] = mas8;
    w[o + W_MAS1] = mas1;
    w[o + W_MAS2_LO] = mas2;
    w[o + W_MAS2_HI] = 0;
    w[o + W_MAS3] = mas3;
    w[o + W_MAS7] = mas7;
  }

  setMas1(e: number, mas1: number): void {
    this.words[e * TLB_ENTRY_WORDS + W_MAS1] = mas1;
  }

  isTlb1(e: number): boolean {
    return e >= this.geometry.tlb0Entries;
  }

  /** Page size of an entry; TLB0 only holds 4 KiB pages whatever TSIZE says. */
  pageBytes(e: number): number {
    return this.isTlb1(e) ? tsizeBytes(tlbTsize(this.mas1(e))) : 4096;
  }

  /** Physical address of the page (36-bit on e500: MAS7 holds RPN bits 32–35). */
  pagePhys(e: number): number {
    const size = this.pageBytes(e);
    const rpn = this.mas7(e) * 0x100000000 + ((this.mas3(e) & MAS3_RPN) >>> 0);
    return rpn - (rpn % size);
  }

  pageEffective(e: number): number {
    const size = this.pageBytes(e);
    // A page of 4 GiB or more starts at 0; below that, size - 1 is a 32-bit mask.
    return size >= 0x100000000 ? 0 : (this.mas2(e) & MAS2_EPN & ~(size - 1)) >>> 0;
  }

  /**
   * Whether entry `e` translates `ea` in address space `as` for one of the PIDs.
   * `pids` holds PID0..PIDn; a TID of 0 matches every PID.
   */
  matches(e: number, ea: number, as: number, pid0: number, pid1: number, pid2: number): boolean {
    const mas1 = this.mas1(e);
    if ((mas1 & MAS1_V) === 0) return false;
    if (((mas1 >>> 12) & 1) !== as) return false;
    const tid = tlbTid(mas1);
    if (tid !== 0 && tid !== pid0 && tid !== pid1 && tid !== pid2) return false;
    return this.containsEa(e, ea);
  }

  containsEa(e: number, ea: number): boolean {
    const size = this.pageBytes(e);
    if (size >= 0x100000000) return true;
    // Same page: the bits above the page offset agree (on every soft-TLB miss: no division).
    return ((ea ^ (this.mas2(e) & MAS2_EPN)) & ~(size - 1)) === 0;
  }

  /**
   * Finds the entry translating `ea`: TLB0 ways of the set first, then TLB1 in index order
   * (the order `tlbsx` reports). Returns -1 on a miss. PIDs that are not implemented or are
   * zero must be passed as -1 so they cannot match a TID.
   */
  find(ea: number, as: number, pid0: number, pid1: number, pid2: number): number {
    const g = this.geometry;
    const set0 = ((ea >>> 12) & (this.tlb0Sets - 1)) * g.tlb0Ways;
    for (let way = 0; way < g.tlb0Ways; way++) {
      if (this.matches(set0 + way, ea, as, pid0, pid1, pid2)) return set0 + way;
    }
    const end = g.tlb0Entries + g.tlb1Entries;
    for (let e = g.tlb0Entries; e < end; e++) {
      if (this.matches(e, ea, as, pid0, pid1, pid2)) return e;
    }
    return -1;
  }

  /** Clears V of every entry of TLB `tlb` (0 or 1) that is not IPROT-protected. */
  invalidateAll(tlb: 0 | 1): void {
    const g = this.geometry;
    const from = tlb === 0 ? 0 : g.tlb0Entries;
    const to = tlb === 0 ? g.tlb0Entries : g.tlb0Entries + g.tlb1Entries;
    for (let e = from; e < to; e++) {
      const m = this.mas1(e);
      if ((m & MAS1_V) !== 0 && (m & MAS1_IPROT) === 0) this.setMas1(e, m & ~MAS1_V);
    }
  }

  clear(): void {
    this.words.fill(0);
  }
}
