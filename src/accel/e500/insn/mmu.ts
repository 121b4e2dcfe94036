/**
 * TLB management instructions on the MAS registers (Book E MAV 1.0 as the e500 cores
 * implement it). Every change to the architected TLB drops the affected software-TLB
 * entries before the next access can use them.
 */
import type { Cpu } from '../cpu.js';
import { HID0, SPR } from '../cpu.js';
import { MAS1_IPROT, MAS1_V, tlbTsize, tsizeBytes } from '../tlb.js';
import { registerHelpers } from './helpers.js';
import { eaX } from './loadstore.js';
import { RC_BIT, xForm, type InsnDef, type Template } from './ops.js';
import { priv } from './system.js';

/** Entry selected by MAS0 (and MAS2[EPN] for TLB0), or -1 if the selection is invalid. */
function selectedEntry(c: Cpu): number {
  const mas0 = c.spr[SPR.MAS0]!;
  const tlbsel = (mas0 >>> 28) & 3;
  const esel = (mas0 >>> 16) & 0xfff;
  const g = c.mmu.tlb.geometry;
  if (tlbsel === 0) return c.mmu.tlb.tlb0Index(c.spr[SPR.MAS2]!, esel & (g.tlb0Ways - 1));
  if (tlbsel === 1) return esel < g.tlb1Entries ? c.mmu.tlb.tlb1Index(esel) : -1;
  return -1;
}

function flushEntryRange(c: Cpu, e: number): void {
  if ((c.mmu.tlb.mas1(e) & MAS1_V) !== 0) c.mmu.flushSoftTlbRange(c.mmu.tlb.pageEffective(e), c.mmu.tlb.pageBytes(e));
}

function tlbwe(c: Cpu): void {
  const mas0 = c.spr[SPR.MAS0]!;
  // MAS0[WQ] other than "write" asks for reservation semantics the e500 cores do not have.
  if ((mas0 & 0x3000) !== 0) return;
  const e = selectedEntry(c);
  if (e < 0) {
    c.illegal();
    return;
  }
  const isTlb1 = c.mmu.tlb.isTlb1(e);
  const t = c.traits;
  let mas1 = c.spr[SPR.MAS1]!;
  const tidMask = ((1 << t.pidBits) - 1) << 16;
  mas1 = (mas1 & ~0x3fff0000) | (mas1 & tidMask);
  if (isTlb1) {
    const tsize = tlbTsize(mas1);
    if ((mas1 & MAS1_V) !== 0 && (tsize < 1 || tsize > t.tlb1MaxTsize)) {
      c.illegal();
      return;
    }
  } else {
    // TLB0 holds 4 KiB pages only and cannot protect entries.
    mas1 = (mas1 & ~(MAS1_IPROT | 0x0f00)) | 0x0100;
    c.mmu.tlb0Nv = mas0 & (c.mmu.tlb.geometry.tlb0Ways - 1);
  }
  const size = isTlb1 ? tsizeBytes(tlbTsize(mas1)) : 4096;
  let mas2 = c.spr[SPR.MAS2]!;
  // The EPN is kept aligned to the page size, as the hardware compares only those bits.
  const epn = size >= 0x100000000 ? 0 : (mas2 & 0xfffff000 & ~(size - 1)) >>> 0;
  mas2 = (epn | (mas2 & 0x1f)) >>> 0;
  flushEntryRange(c, e);
  c.mmu.tlb.write(e, mas1 >>> 0, mas2, c.spr[SPR.MAS3]!, c.spr[SPR.MAS7]! & 0xf, t.hasMas8 ? c.spr[SPR.MAS8]! : 0);
  flushEntryRange(c, e);
}

/** Copies entry `e` into MAS1–3/7 (MAS7 on e500v2 only with HID0[EN_MAS7_UPDATE]). */
function entryToMas(c: Cpu, e: number): void {
  c.spr[SPR.MAS1] = c.mmu.tlb.mas1(e);
  c.spr[SPR.MAS2] = c.mmu.tlb.mas2(e);
  c.spr[SPR.MAS3] = c.mmu.tlb.mas3(e);
  if (!c.traits.mas7UpdateNeedsHid0 || (c.spr[SPR.HID0]! & HID0.EN_MAS7_UPDATE) !== 0) {
    c.spr[SPR.MAS7] = c.mmu.tlb.mas7(e);
  }
  if (c.traits.hasMas8) c.spr[SPR.MAS8] = c.mmu.tlb.mas8(e);
}

function tlbre(c: Cpu): void {
  const e = selectedEntry(c);
  if (e < 0) {
    c.spr[SPR.MAS1] = 0;
    return;
  }
  entryToMas(c, e);
  if (!c.mmu.tlb.isTlb1(e)) {
    const mas0 = c.spr[SPR.MAS0]!;
    c.spr[SPR.MAS0] = ((mas0 & ~0xfff) | c.mmu.tlb0Nv) >>> 0;
  }
}

function tlbsx(c: Cpu, eaSigned: number): void {
  const ea = eaSigned >>> 0;
  const mas6 = c.spr[SPR.MAS6]!;
  const spid = (mas6 >>> 16) & 0x3fff;
  const sas = mas6 & 1;
  const e = c.mmu.tlb.find(ea, sas, spid, -1, -1);
  const g = c.mmu.tlb.geometry;
  if (e >= 0) {
    const tlb1 = c.mmu.tlb.isTlb1(e);
    const esel = tlb1 ? e - g.tlb0Entries : e % g.tlb0Ways;
    c.spr[SPR.MAS0] = (((tlb1 ? 1 : 0) << 28) | (esel << 16) | (tlb1 ? 0 : c.mmu.tlb0Nv)) >>> 0;
    entryToMas(c, e);
    return;
  }
  const mas4 = c.spr[SPR.MAS4]!;
  const tlbsel = (mas4 >>> 28) & 3;
  const nv = c.mmu.tlb0Nv;
  c.spr[SPR.MAS0] = ((tlbsel << 28) | (tlbsel === 0 ? (nv << 16) | ((nv + 1) % g.tlb0Ways) : 0)) >>> 0;
  c.spr[SPR.MAS1] = ((spid << 16) | (sas << 12) | (mas4 & 0x0f00)) >>> 0;
  c.spr[SPR.MAS2] = ((ea & 0xfffff000) | (mas4 & 0x1f)) >>> 0;
  c.spr[SPR.MAS3] = 0;
  if (!c.traits.mas7UpdateNeedsHid0 || (c.spr[SPR.HID0]! & HID0.EN_MAS7_UPDATE) !== 0) c.spr[SPR.MAS7] = 0;
}

/** Invalidates entries of `tlb` (0/1) that contain `ea`, whatever their TID and TS. */
function invalidateEa(c: Cpu, tlb: 0 | 1, ea: number, keep: (e: number) => boolean): void {
  const g = c.mmu.tlb.geometry;
  const from = tlb === 0 ? c.mmu.tlb.tlb0Index(ea, 0) : g.tlb0Entries;
  const to = tlb === 0 ? from + g.tlb0Ways : g.tlb0Entries + g.tlb1Entries;
  for (let e = from; e < to; e++) {
    const m = c.mmu.tlb.mas1(e);
    if ((m & MAS1_V) === 0 || (m & MAS1_IPROT) !== 0 || keep(e)) continue;
    if (c.mmu.tlb.containsEa(e, ea)) {
      flushEntryRange(c, e);
      c.mmu.tlb.setMas1(e, m & ~MAS1_V);
    }
  }
}

function tlbivax(c: Cpu, eaSigned: number): void {
  const ea = eaSigned >>> 0;
  const tlb = (ea & 0x8) !== 0 ? 1 : 0;
  const op =
    (ea & 0x4) !== 0
      ? (cpu: Cpu) => {
          cpu.mmu.tlb.invalidateAll(tlb);
          cpu.mmu.flushSoftTlb();
        }
      : (cpu: Cpu) => invalidateEa(cpu, tlb, (ea & 0xfffff000) >>> 0, () => false);
  if (c.mmu.tlbInvalidateSink !== null) c.mmu.tlbInvalidateSink(op);
  else op(c);
}

/** tlbilx (e500mc): T=0 all, T=1 by MAS6[SPID], T=3 by EA + SPID + SAS; this vCPU only. */
function tlbilx(c: Cpu, word: number, eaSigned: number): void {
  const t = (word >>> 21) & 3;
  const mas6 = c.spr[SPR.MAS6]!;
  const spid = (mas6 >>> 16) & 0x3fff;
  const sas = mas6 & 1;
  const g = c.mmu.tlb.geometry;
  const total = g.tlb0Entries + g.tlb1Entries;
  if (t === 0 || t === 1) {
    for (let e = 0; e < total; e++) {
      const m = c.mmu.tlb.mas1(e);
      if ((m & MAS1_V) === 0 || (m & MAS1_IPROT) !== 0) continue;
      if (t === 1 && ((m >>> 16) & 0x3fff) !== spid) continue;
      c.mmu.tlb.setMas1(e, m & ~MAS1_V);
    }
    c.mmu.flushSoftTlb();
  } else if (t === 3) {
    const ea = eaSigned >>> 0;
    const other = (e: number): boolean => {
      const m = c.mmu.tlb.mas1(e);
      return ((m >>> 16) & 0x3fff) !== spid || ((m >>> 12) & 1) !== sas;
    };
    invalidateEa(c, 0, ea, other);
    invalidateEa(c, 1, ea, other);
  } else {
    c.illegal();
  }
}

registerHelpers({ tlbwe, tlbre, tlbsx, tlbivax, tlbilx });

/** MMU instructions end their block: the translation may have changed. */
const x = (name: string, xo: number, sem: Template, extra: Partial<InsnDef> = {}): InsnDef => xForm(name, xo, sem, { ends: true, ...extra });

export const MMU_DEFS: readonly InsnDef[] = [
  // Rc is reserved in all but tlbsx (which QEMU 7.2 runs with Rc = 1, as other fields it ignores).
  x('tlbivax', 786, (o) => `${priv(o)} ${o.call(`${o.h('tlbivax')}(c, ${eaX(o)})`)}`, { reserved: RC_BIT }),
  // No architectural effect in this model, but privileged.
  x('tlbsync', 566, (o) => priv(o), { ends: false, reserved: 0x03fff801 }),
  x('tlbsx', 914, (o) => `${priv(o)} ${o.call(`${o.h('tlbsx')}(c, ${eaX(o)})`)}`),
  x('tlbre', 946, (o) => `${priv(o)} ${o.call(`${o.h('tlbre')}(c)`)}`, { reserved: RC_BIT }),
  x('tlbwe', 978, (o) => `${priv(o)} ${o.call(`${o.h('tlbwe')}(c)`)}`, { reserved: RC_BIT }),
  // tlbilx computes its EA only for T=3 (T=0/1 leave rA/rB unused); T=2 is reserved, and so
  // are the bits above T.
  x('tlbilx', 18, (o) => `${priv(o)} ${o.call(`${o.h('tlbilx')}(c, ${o.word}, ${eaX(o)})`)}`, {
    avail: 'e500mc',
    reserved: 0x03800001,
    invalid: (f) => (f.d & 3) === 2,
  }),
];
