/**
 * The guest-physical memory map as one vCPU's memory system sees it: RAM regions it can
 * touch directly, and everything else (MMIO) that becomes an exit.
 *
 * The map is replaced as a whole (atomic `setMemoryMap`); a vCPU picks up a new map at its
 * next block boundary and flushes its software TLB, so no access ever uses a stale window.
 */
import type { MemoryBacking, MemoryRegion } from '../../api/memory.js';
import { findSpan } from '../../api/memory-map.js';

export class PhysRegion {
  readonly start: number;
  readonly end: number;
  readonly backing: MemoryBacking;
  /** The whole backing (the e500 accelerator's backings have one DataView at any size). */
  readonly view: DataView;
  /** Offset of `start` inside the backing. */
  readonly offset: number;
  readonly readOnly: boolean;
  readonly logDirty: boolean;

  constructor(r: MemoryRegion) {
    this.start = r.guestAddr;
    this.end = r.guestAddr + r.size;
    this.backing = r.backing;
    this.view = r.backing.view;
    this.offset = r.offset;
    this.readOnly = r.readOnly === true;
    this.logDirty = r.logDirty === true;
  }
}

export class PhysMap {
  /** Sorted by start; regions never overlap (validated by the API layer). */
  readonly regions: readonly PhysRegion[];
  readonly generation: number;

  constructor(regions: readonly MemoryRegion[], generation: number) {
    this.regions = regions.map((r) => new PhysRegion(r)).sort((a, b) => a.start - b.start);
    this.generation = generation;
  }

  find(pa: number): PhysRegion | undefined {
    return findSpan(this.regions, pa);
  }
}
