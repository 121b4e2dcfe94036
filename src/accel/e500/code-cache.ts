/**
 * Decoded code per 4 KiB page of guest RAM, shared by every vCPU of a VM.
 *
 * A page is dropped as a whole when a guest store, a VMM write or a new memory map touches
 * its decoded instructions; every vCPU then forgets its instruction-side translations to it.
 * While a page holds code, no vCPU keeps a fast-path write entry for it, so each store to it
 * goes through the slow path, which checks for overlap with decoded instructions.
 */
import type { Block } from './block.js';
import type { Cpu } from './cpu.js';
import type { PhysRegion } from './phys-map.js';

/** Decoded code for one 4 KiB physical page. */
export class CodePage {
  readonly key: number;
  readonly region: PhysRegion;
  /** Offset of the page inside the backing. */
  readonly hostOffset: number;
  readonly pa: number;
  readonly blocks: (Block | undefined)[] = new Array(1024);
  /** One bit per instruction slot covered by a decoded block. */
  readonly codeBits = new Uint32Array(32);
  valid = true;

  constructor(key: number, region: PhysRegion, hostOffset: number, pa: number) {
    this.key = key;
    this.region = region;
    this.hostOffset = hostOffset;
    this.pa = pa;
    this.valid = false;
    this.valid = true;
  }

  /** Whether a write of `len` bytes at page offset `off` touches decoded instructions. */
  overlaps(off: number, len: number): boolean {
    const first = off >>> 2;
    const last = (off + len - 1) >>> 2;
    for (let s = first; s <= last && s < 1024; s++) {
      if ((this.codeBits[s >>> 5]! & (1 << (s & 31))) !== 0) return true;
    }
    return false;
  }
}

/** Key of a backing page: backing id and page index (exact in a double for < 2^24 backings). */
function pageKey(backingId: number, hostOffset: number): number {
  return backingId * 0x10000000 + Math.floor(hostOffset / 4096);
}

export class CodeCache {
  private readonly pages = new Map<number, CodePage>();
  private readonly cpus: Cpu[] = [];
  /** Pages dropped because their code changed (exit statistics). */
  invalidations = 0;

  attach(cpu: Cpu): void {
    this.cpus.push(cpu);
  }

  has(region: PhysRegion, hostOffset: number): boolean {
    return this.pages.has(pageKey(region.backing.id, hostOffset));
  }

  get(region: PhysRegion, hostOffset: number): CodePage | undefined {
    return this.pages.get(pageKey(region.backing.id, hostOffset));
  }

  pageFor(region: PhysRegion, hostOffset: number, pa: number): CodePage {
    const key = pageKey(region.backing.id, hostOffset);
    let cp = this.pages.get(key);
    if (cp === undefined) {
      cp = new CodePage(key, region, hostOffset, pa);
      this.pages.set(key, cp);
      for (const c of this.cpus) c.mmu.dropWriteEntriesFor(region.backing, hostOffset);
    }
    return cp;
  }

  drop(cp: CodePage): void {
    if (!cp.valid) return;
    cp.valid = false;
    this.pages.delete(cp.key);
    this.invalidations++;
    for (const c of this.cpus) c.mmu.forgetCodePage(cp);
  }

  /** A write by the VMM (loader, debugger, device DMA) into a backing. */
  invalidateHostRange(backingId: number, offset: number, length: number): void {
    if (this.pages.size === 0 || length <= 0) return;
    const first = Math.floor(offset / 4096);
    const last = Math.floor((offset + length - 1) / 4096);
    for (let p = first; p <= last; p++) {
      const cp = this.pages.get(backingId * 0x10000000 + p);
      if (cp !== undefined) this.drop(cp);
    }
  }

  dropAll(): void {
    for (const cp of [...this.pages.values()]) this.drop(cp);
  }
}
