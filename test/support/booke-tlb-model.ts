/**
 * A reference model of the e500 TLBs, written from the core manuals independently of the
 * accelerator: plain objects, no shared array, no caches. The property tests drive the real
 * vCPU and this model with the same operations and compare.
 */
export interface ModelEntry {
  mas1: number;
  mas2: number;
  mas3: number;
  mas7: number;
  mas8: number;
}

export interface ModelCore {
  readonly tlb0Entries: number;
  readonly tlb0Ways: number;
  readonly tlb1Entries: number;
  readonly pidBits: number;
  readonly hasMas8: boolean;
}

const V = 0x80000000;
const IPROT = 0x40000000;
const empty = (): ModelEntry => ({ mas1: 0, mas2: 0, mas3: 0, mas7: 0, mas8: 0 });

export class TlbModel {
  readonly tlb0: ModelEntry[][];
  readonly tlb1: ModelEntry[];
  private readonly sets: number;

  constructor(readonly core: ModelCore) {
    this.sets = core.tlb0Entries / core.tlb0Ways;
    this.tlb0 = Array.from({ length: this.sets }, () => Array.from({ length: core.tlb0Ways }, empty));
    this.tlb1 = Array.from({ length: core.tlb1Entries }, empty);
  }

  private setOf(ea: number): ModelEntry[] {
    return this.tlb0[Math.floor(ea / 4096) % this.sets]!;
  }

  /** Entry size in bytes: TLB0 pages are 4 KiB; TLB1 pages 4^TSIZE KiB. */
  sizeOf(tlb: 0 | 1, e: ModelEntry): number {
    return tlb === 0 ? 4096 : 1024 * 4 ** ((e.mas1 >>> 8) & 0xf);
  }

  /** tlbwe with MAS0–MAS3, MAS7 (and MAS8) as given; the caller keeps TSIZE legal. */
  tlbwe(mas0: number, mas1: number, mas2: number, mas3: number, mas7: number, mas8: number): void {
    const tlbsel = (mas0 >>> 28) & 3;
    const esel = (mas0 >>> 16) & 0xfff;
    const tidBits = ((1 << this.core.pidBits) - 1) << 16;
    let m1 = (mas1 & ~0x3fff0000) | (mas1 & tidBits);
    let target: ModelEntry;
    if (tlbsel === 0) {
      target = this.setOf(mas2 >>> 0)[esel % this.core.tlb0Ways]!;
      m1 = (m1 & ~IPROT & ~0xf00) | 0x100;
    } else {
      target = this.tlb1[esel]!;
    }
    const size = this.sizeOf(tlbsel === 0 ? 0 : 1, { ...empty(), mas1: m1 });
    const epn = size >= 2 ** 32 ? 0 : Math.floor(((mas2 >>> 0) - ((mas2 >>> 0) % 4096)) / size) * size;
    target.mas1 = m1 >>> 0;
    target.mas2 = (epn + (mas2 & 0x1f)) >>> 0;
    target.mas3 = mas3 >>> 0;
    target.mas7 = mas7 & 0xf;
    target.mas8 = this.core.hasMas8 ? mas8 >>> 0 : 0;
  }

  /** tlbivax: EA bit 0x8 selects TLB1, bit 0x4 invalidates all; IPROT entries survive. */
  tlbivax(ea: number): void {
    const tlb: 0 | 1 = (ea & 8) !== 0 ? 1 : 0;
    const all = (ea & 4) !== 0;
    const page = (ea >>> 0) - ((ea >>> 0) % 4096);
    const list = tlb === 0 ? (all ? this.tlb0.flat() : this.setOf(page)) : this.tlb1;
    for (const e of list) {
      if ((e.mas1 & V) === 0 || (e.mas1 & IPROT) !== 0) continue;
      if (all || this.contains(tlb, e, page)) e.mas1 = (e.mas1 & ~V) >>> 0;
    }
  }

  contains(tlb: 0 | 1, e: ModelEntry, ea: number): boolean {
    const size = this.sizeOf(tlb, e);
    const base = e.mas2 - (e.mas2 % 4096);
    const start = base - (base % size);
    return ea >= start && ea < start + size;
  }

  /** The entry that translates `ea` (TLB0 set first, then TLB1 in order), or null. */
  lookup(ea: number, as: number, pid: number): { tlb: 0 | 1; entry: ModelEntry } | null {
    const ok = (e: ModelEntry): boolean => {
      if ((e.mas1 & V) === 0 || ((e.mas1 >>> 12) & 1) !== as) return false;
      const tid = (e.mas1 >>> 16) & 0x3fff;
      return tid === 0 || tid === pid;
    };
    for (const e of this.setOf(ea)) if (ok(e) && this.contains(0, e, ea)) return { tlb: 0, entry: e };
    for (const e of this.tlb1) if (ok(e) && this.contains(1, e, ea)) return { tlb: 1, entry: e };
    return null;
  }

  /** Physical address `ea` maps to through `hit`. */
  physOf(hit: { tlb: 0 | 1; entry: ModelEntry }, ea: number): number {
    const size = this.sizeOf(hit.tlb, hit.entry);
    const rpn = hit.entry.mas7 * 2 ** 32 + ((hit.entry.mas3 >>> 0) - ((hit.entry.mas3 >>> 0) % 4096));
    const base = hit.entry.mas2 - (hit.entry.mas2 % 4096);
    return rpn - (rpn % size) + ((ea >>> 0) - (base - (base % size)));
  }

  /** Every entry in the shared array's order: TLB0 set by set, way by way, then TLB1. */
  ordered(): ModelEntry[] {
    return [...this.tlb0.flat(), ...this.tlb1];
  }

  /** A VMM edit of array entry `index` (the model is told what the VMM wrote). */
  set(index: number, e: ModelEntry): void {
    const all = this.ordered();
    Object.assign(all[index]!, e);
  }
}
