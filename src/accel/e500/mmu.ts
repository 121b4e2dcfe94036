/**
 * The e500 MMU of one vCPU: the architected TLB (the VMM-shared array, tlb.ts) with the PIDs
 * that select entries, TLB-miss MAS preloading, and the data side of translation, which also
 * fills the software TLB, keeps it coherent (PID changes, tlbivax, dirtyTlb, decoded code,
 * dirty logging) and knows which physical backing the fast paths address.
 *
 * Why the split: the software-TLB arrays (`Cpu.rTag`/`rAdd`/`wTag`/…, `dmode`, `ram`) are
 * read by every load and store that generated code inlines, so they stay direct fields of the
 * Cpu, one property load from the `c` the code already has. Everything that *writes* them —
 * misses, fills, flushes — runs on slow paths and lives here, with the cold MMU state, so
 * the Cpu's shape is the fast path and this object can be tested by translating through TLB
 * entries without running instructions (test/unit/e500/mmu.test.ts).
 */
import { isPageDirty, markPages } from '../../api/dirty-log.js';
import { ESR, Ivor } from './interrupts.js';
import { MSR, tlbCfg } from './models.js';
import type { PhysMap, PhysRegion } from './phys-map.js';
import { MAS1_V, MAS3_SR, MAS3_SW, MAS3_SX, MAS3_UR, MAS3_UW, MAS3_UX, TlbArray, tlbTid } from './tlb.js';
import type { CodePage } from './code-cache.js';
import { settle, settleField } from './shapes.js';
import { SPR, STLB_MASK, STLB_SIZE, STLB_TOTAL, type Cpu } from './cpu.js';

export class Mmu {
  tlb: TlbArray;
  /** PIDs for matching; unimplemented PIDs are -1 so they never match a TID. */
  pid0 = 0;
  pid1 = -1;
  pid2 = -1;
  /** Round-robin next victim for TLB0 misses. */
  tlb0Nv = 0;
  tlb0Cfg: number;
  tlb1Cfg: number;

  /** tlbivax/tlbilx are broadcast to every vCPU of the VM (set by the VM). */
  tlbInvalidateSink: ((op: (c: Cpu) => void) => void) | null = null;


  /** The physical map the slow paths look addresses up in (replaced by setPhysMap). */
  phys: PhysMap;
  /** The backing of the largest RAM region, which `Cpu.ram` views. */
  private ramBacking: unknown = null;

  constructor(
    private readonly c: Cpu,
    phys: PhysMap,
  ) {
    const t = c.traits;
    this.phys = phys;
    this.tlb = new TlbArray({ tlb0Entries: t.tlb0.entries, tlb0Ways: t.tlb0.ways, tlb1Entries: t.tlb1Entries });
    this.tlb0Cfg = tlbCfg({ entries: t.tlb0.entries, ways: t.tlb0.ways, minTsize: 1, maxTsize: 1, iprot: false, avail: false });
    this.tlb1Cfg = tlbCfg({ entries: t.tlb1Entries, ways: t.tlb1Entries, minTsize: 1, maxTsize: t.tlb1MaxTsize, iprot: true, avail: true });
  }

  /** Final field kinds before any code runs (see shapes.ts). */
  settle(): void {
    settle(this);
    settleField(this, 'tlbInvalidateSink', [() => {}]);
    settleField(this, 'dirtyBitmapOf', [() => undefined]);
  }

  /** Reset: PIDs and the victim counter. The TLB is the VMM's shared array (KVM_CAP_SW_TLB): a reset leaves it to the VMM. */
  reset(): void {
    const t = this.c.traits;
    this.pid0 = 0;
    this.pid1 = t.pidCount >= 2 ? 0 : -1;
    this.pid2 = t.pidCount >= 3 ? 0 : -1;
    this.tlb0Nv = 0;
    this.flushSoftTlb();
  }

  /** Installs a (VMM-shared) TLB array of a new geometry; the TLB starts empty. */
  installTlb(tlb: TlbArray): void {
    const c = this.c;
    const g = tlb.geometry;
    this.tlb = tlb;
    tlb.clear();
    this.tlb0Nv = 0;
    this.tlb0Cfg = tlbCfg({ entries: g.tlb0Entries, ways: g.tlb0Ways, minTsize: 1, maxTsize: 1, iprot: false, avail: false });
    this.tlb1Cfg = tlbCfg({
      entries: g.tlb1Entries,
      ways: g.tlb1Entries,
      minTsize: 1,
      maxTsize: c.traits.tlb1MaxTsize,
      iprot: true,
      avail: true,
    });
    this.flushSoftTlb();
  }

  // ==== software TLB =======================================================================

  flushSoftTlb(): void {
    const c = this.c;
    c.rTag.fill(-1);
    c.wTag.fill(-1);
    c.xTag.fill(-1);
    c.xPage.fill(undefined);
  }

  /** Drops cached translations of effective pages [ea, ea+size) in every mode. */
  flushSoftTlbRange(ea: number, size: number): void {
    const c = this.c;
    if (size > 16 * 4096) {
      this.flushSoftTlb();
      return;
    }
    for (let off = 0; off < size; off += 4096) {
      const pn = ((ea + off) >>> 12) & 0xfffff;
      const base = pn & STLB_MASK;
      for (let m = 0; m < STLB_TOTAL; m += STLB_SIZE) {
        const i = base | m;
        if (c.rTag[i] === pn) c.rTag[i] = -1;
        if (c.wTag[i] === pn) c.wTag[i] = -1;
        if (c.xTag[i] === pn) {
          c.xTag[i] = -1;
          c.xPage[i] = undefined;
        }
      }
    }
  }

  /**
   * After the VMM changed the TLB entries set in `bitmap` (bit n of byte n/8 = entry n) in the
   * shared array: drops the cached translations that came from their old contents, and those
   * of the pages their new contents cover (which they may now take over from another entry).
   */
  flushSoftTlbEntries(bitmap: Uint8Array): void {
    const c = this.c;
    const dirty = (e: number): boolean => ((bitmap[e >>> 3] ?? 0) & (1 << (e & 7))) !== 0;
    for (let i = 0; i < STLB_TOTAL; i++) {
      if (c.rTag[i] !== -1 && dirty(c.rSrc[i]!)) c.rTag[i] = -1;
      if (c.wTag[i] !== -1 && dirty(c.wSrc[i]!)) c.wTag[i] = -1;
      if (c.xTag[i] !== -1 && dirty(c.xSrc[i]!)) {
        c.xTag[i] = -1;
        c.xPage[i] = undefined;
      }
    }
    const t = this.tlb;
    for (let byte = 0; byte < bitmap.length; byte++) {
      if (bitmap[byte] === 0) continue;
      for (let e = byte * 8; e < byte * 8 + 8 && e < t.totalEntries; e++) {
        if (dirty(e) && (t.mas1(e) & MAS1_V) !== 0) this.flushSoftTlbRange(t.pageEffective(e), t.pageBytes(e));
      }
    }
  }

  flushWriteTlb(): void {
    const c = this.c;
    c.wTag.fill(-1);
  }

  setPid(which: 0 | 1 | 2, value: number): void {
    const c = this.c;
    const v = value & ((1 << c.traits.pidBits) - 1);
    if (which === 0) {
      c.spr[SPR.PID0] = v;
      this.pid0 = v;
    } else if (which === 1) {
      c.spr[SPR.PID1] = v;
      this.pid1 = v;
    } else {
      c.spr[SPR.PID2] = v;
      this.pid2 = v;
    }
    this.flushPidTranslations();
  }

  /**
   * After a PID change: drops the cached translations that came from entries with a TID, and
   * keeps those of global entries (TID 0), which match whatever the PIDs are — the kernel's
   * pages stay cached across a context switch. (A global entry and a TID entry matching the
   * same address at once is a multi-hit, which the e500 manuals leave undefined.)
   */
  private flushPidTranslations(): void {
    const c = this.c;
    const t = this.tlb;
    const global = (e: number): boolean => tlbTid(t.mas1(e)) === 0;
    for (let i = 0; i < STLB_TOTAL; i++) {
      if (c.rTag[i] !== -1 && !global(c.rSrc[i]!)) c.rTag[i] = -1;
      if (c.wTag[i] !== -1 && !global(c.wSrc[i]!)) c.wTag[i] = -1;
      if (c.xTag[i] !== -1 && !global(c.xSrc[i]!)) {
        c.xTag[i] = -1;
        c.xPage[i] = undefined;
      }
    }
  }

  /**
   * Translates a data access at `ea` (any 32-bit number); on success returns the physical
   * address and fills the software TLB for RAM pages. Faults (TLB miss, permission) are
   * recorded (`stop`) and return -1.
   */
  translateData(ea: number, isWrite: boolean): number {
    const c = this.c;
    const uea = ea >>> 0;
    const as = (c.msr & MSR.DS) !== 0 ? 1 : 0;
    const e = this.tlb.find(uea, as, this.pid0, this.pid1, this.pid2);
    if (e < 0) {
      this.tlbMiss(uea, as, false, isWrite);
      return -1;
    }
    const mas3 = this.tlb.mas3(e);
    const user = (c.msr & MSR.PR) !== 0;
    const canRead = (mas3 & (user ? MAS3_UR : MAS3_SR)) !== 0;
    const canWrite = (mas3 & (user ? MAS3_UW : MAS3_SW)) !== 0;
    if (isWrite ? !canWrite : !canRead) {
      c.fault(Ivor.DataStorage, isWrite ? ESR.ST : 0, uea);
      return -1;
    }
    const pa = this.tlb.pagePhys(e) + (uea - this.tlb.pageEffective(e));
    const wimge = this.tlb.mas2(e) & 0x1f;
    const littleEndian = (wimge & 1) !== 0;
    if (!littleEndian) this.fillDataTlb(uea, pa, canRead, canWrite, e);
    this.lastLittleEndian = littleEndian;
    this.lastWimge = wimge;
    return pa;
  }

  /** Byte order of the page of the last `translateData` (MAS2[E]). */
  lastLittleEndian = false;
  /** WIMGE attributes of the page of the last `translateData`. */
  lastWimge = 0;

  private fillDataTlb(ea: number, pa: number, canRead: boolean, canWrite: boolean, entry: number): void {
    const c = this.c;
    const paPage = pa - (pa % 4096);
    const r = this.phys.find(paPage);
    if (r === undefined || r.backing !== this.ramBacking || c.dacActive) return;
    const hostOffset = paPage - r.start + r.offset;
    if (hostOffset > 0x7fffefff) return;
    const pn = ea >>> 12;
    const i = (pn & STLB_MASK) | c.dmode;
    const add = (hostOffset - (ea & 0xfffff000)) | 0;
    if (canRead) {
      c.rTag[i] = pn;
      c.rSrc[i] = entry;
      c.rAdd[i] = add;
    }
    if (canWrite && !r.readOnly && !c.code.has(r, hostOffset) && !this.needsDirtyMark(r, hostOffset)) {
      c.wTag[i] = pn;
      c.wSrc[i] = entry;
      c.wAdd[i] = add;
    }
  }

  /** Dirty bitmap per backing, supplied by the VM when logging is enabled for a region. */
  dirtyBitmapOf: (region: PhysRegion) => Uint32Array | undefined = () => undefined;

  private needsDirtyMark(r: PhysRegion, hostOffset: number): boolean {
    if (!r.logDirty) return false;
    const bm = this.dirtyBitmapOf(r);
    if (bm === undefined) return false;
    return !isPageDirty(bm, Math.floor(hostOffset / 4096));
  }

  private markDirty(r: PhysRegion, hostOffset: number, length: number): void {
    if (!r.logDirty) return;
    const bm = this.dirtyBitmapOf(r);
    if (bm === undefined) return;
    markPages(bm, Math.floor(hostOffset / 4096), Math.floor((hostOffset + length - 1) / 4096));
  }

  /** Data/instruction TLB miss (unsigned `ea`): preload MAS registers as the e500 does and record the interrupt. */
  tlbMiss(ea: number, as: number, isFetch: boolean, isWrite: boolean): 0 {
    const c = this.c;
    c.counters.tlbMisses++;
    const mas4 = c.spr[SPR.MAS4]!;
    const tlbsel = (mas4 >>> 28) & 3;
    const tidsel = (mas4 >>> 16) & 3;
    const tid = tidsel === 0 ? this.pid0 : tidsel === 1 ? Math.max(this.pid1, 0) : tidsel === 2 ? Math.max(this.pid2, 0) : 0;
    const victim = this.tlb0Nv;
    this.tlb0Nv = (victim + 1) % this.tlb.geometry.tlb0Ways;
    c.spr[SPR.MAS0] = ((tlbsel << 28) | (tlbsel === 0 ? (victim << 16) | this.tlb0Nv : 0)) >>> 0;
    c.spr[SPR.MAS1] = (MAS1_V | (tid << 16) | (as << 12) | (mas4 & 0x0f00)) >>> 0;
    c.spr[SPR.MAS2] = ((ea & 0xfffff000) | (mas4 & 0x1f)) >>> 0;
    c.spr[SPR.MAS3] = 0;
    c.spr[SPR.MAS7] = 0;
    c.spr[SPR.MAS6] = ((this.pid0 << 16) | as) >>> 0;
    if (isFetch) return c.fault(Ivor.InstructionTlb, undefined);
    return c.fault(Ivor.DataTlb, isWrite ? ESR.ST : 0, ea);
  }

  /** Invalidates decoded code and marks dirty before a guest store lands in RAM. */
  noteGuestWrite(r: PhysRegion, hostOffset: number, size: number): void {
    const c = this.c;
    const pageOff = hostOffset - (hostOffset % 4096);
    const cp = c.code.get(r, pageOff);
    if (cp !== undefined && cp.overlaps(hostOffset - pageOff, size)) {
      c.code.drop(cp);
      c.resync = 1;
    }
    this.markDirty(r, hostOffset, size);
  }

  // ==== code pages ==========================================================================

  /** Finds or creates the decoded-code record for the RAM page at physical `paPage`. */
  codePageFor(paPage: number): CodePage | undefined {
    const c = this.c;
    const r = this.phys.find(paPage);
    if (r === undefined) return undefined;
    return c.code.pageFor(r, paPage - r.start + r.offset, paPage);
  }

  /** A page of `backing` now holds decoded code: stores to it must take the slow path. */
  dropWriteEntriesFor(backing: unknown, hostOffset: number): void {
    const c = this.c;
    if (backing !== this.ramBacking) return;
    for (let i = 0; i < STLB_TOTAL; i++) {
      const pn = c.wTag[i]!;
      if (pn !== -1 && ((c.wAdd[i]! + (pn << 12)) | 0) === hostOffset) c.wTag[i] = -1;
    }
  }

  /** A decoded page was dropped: forget instruction-side translations that point at it. */
  forgetCodePage(cp: CodePage): void {
    const c = this.c;
    for (let i = 0; i < STLB_TOTAL; i++) {
      if (c.xPage[i] === cp) {
        c.xTag[i] = -1;
        c.xPage[i] = undefined;
      }
    }
  }

  /** Installs a new physical map (from setMemoryMap). */
  setPhysMap(map: PhysMap): void {
    const c = this.c;
    this.phys = map;
    let largest: PhysRegion | undefined;
    for (const r of map.regions) if (largest === undefined || r.end - r.start > largest.end - largest.start) largest = r;
    c.ram = largest?.view ?? new DataView(new ArrayBuffer(8));
    this.ramBacking = largest?.backing ?? null;
    c.code.dropAll();
    this.flushSoftTlb();
  }

  /** Permission helpers for instruction fetch. */
  canExecute(mas3: number): boolean {
    const c = this.c;
    return (mas3 & ((c.msr & MSR.PR) !== 0 ? MAS3_UX : MAS3_SX)) !== 0;
  }

  tlbEntryTid(e: number): number {
    return tlbTid(this.tlb.mas1(e));
  }
}
