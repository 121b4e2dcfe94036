/**
 * Dirty-page logging, written once for every accelerator (seed 001: "which pages are dirty
 * in this range", "at most N pages", a log the caller can read).
 *
 * The log is a bitmap per backing, one bit per page of the backing (bit b of word w is page
 * 32w + b), in a SharedArrayBuffer: bits belong to memory, not to guest addresses, so a
 * region that moves or goes away keeps them, and the words can be read in place by whoever
 * holds them (a later migration reads them without copies). Every access is atomic: the e500
 * vCPU marks its stores in the same words, and a reader may sit on another thread.
 *
 * What an accelerator adds (`DirtyLogSource`): `harvest` folds a log the accelerator keeps
 * elsewhere into these bitmaps just before they are read (kvm: KVM_GET_DIRTY_LOG of the
 * memory slot; per range, with KVM_CLEAR_DIRTY_LOG, once that capability is used), and
 * `cleared` re-arms logging after bits were cleared (e500: its software TLB must catch the
 * next store to those pages again).
 *
 * A query costs what is mapped in the range, word by word of the bitmaps, never the size of
 * the range: a 2^44-byte range over 256 MiB of RAM reads 2048 words.
 */
import { ArgumentRangeError } from './errors.js';
import { checkInteger, checkObject, checkOptionalBoolean, checkOptionalObject } from './validate.js';
import { PAGE_SIZE, type MemoryBacking, type MemoryRegion } from './memory.js';

/** A guest-physical range for `Vm.getDirtyLog`. */
export interface DirtyLogRange {
  readonly addr: number;
  readonly size: number;
}

export interface DirtyLogOptions {
  /** At most this many pages (the first ones in address order); default: all. */
  readonly maxPages?: number;
  /** Clear the returned pages in the log. */
  readonly clear?: boolean;
}

/** What an accelerator plugs into the shared log. */
export interface DirtyLogSource {
  /**
   * Called before the bits of `region` are read: fold what the accelerator logged for the
   * backing pages [firstPage, firstPage + pageCount) into `log` (at least those; more is
   * harmless).
   */
  harvest?(region: MemoryRegion, firstPage: number, pageCount: number): void;
  /** Called once after a query cleared bits: writes to those pages must be logged again. */
  cleared?(): void;
}

interface CheckedQuery {
  readonly addr: number;
  readonly end: number;
  readonly max: number;
  readonly clear: boolean;
}

/** Checks `getDirtyLog`'s arguments the same way for every accelerator. */
export function checkDirtyLogQuery(range: unknown, options: unknown): CheckedQuery {
  const r = checkObject('getDirtyLog: the range', range);
  const addr = checkInteger('getDirtyLog: range.addr', r['addr'], 0);
  const size = checkInteger('getDirtyLog: range.size', r['size'], 1);
  if (addr % PAGE_SIZE !== 0 || size % PAGE_SIZE !== 0) {
    throw new ArgumentRangeError(`getDirtyLog: the range ${String(addr)} + ${String(size)} must start and end on ${PAGE_SIZE}-byte page boundaries`);
  }
  checkInteger('getDirtyLog: the end of the range', addr + size);
  const o = checkOptionalObject('getDirtyLog: the options', options);
  const maxPages = o?.['maxPages'] === undefined ? Infinity : checkInteger('getDirtyLog: options.maxPages', o['maxPages'], 0);
  const clear = checkOptionalBoolean('getDirtyLog: options.clear', o?.['clear']) === true;
  return { addr, end: addr + size, max: maxPages, clear };
}

export class DirtyLog {
  private readonly bitmaps = new Map<number, Uint32Array>();

  /** The bitmap of `backing`, created (all clean) the first time a logged region maps it. */
  track(backing: MemoryBacking): Uint32Array {
    let bm = this.bitmaps.get(backing.id);
    if (bm === undefined) {
      const pages = Math.ceil(backing.size / PAGE_SIZE);
      bm = new Uint32Array(new SharedArrayBuffer(Math.ceil(pages / 32) * 4));
      this.bitmaps.set(backing.id, bm);
    }
    return bm;
  }

  /** The bitmap of `backing`, if a logged region ever mapped it: readable in place. */
  bitmap(backing: MemoryBacking): Uint32Array | undefined {
    return this.bitmaps.get(backing.id);
  }

  /** Marks the pages of [offset, offset + length) of `region`'s backing, if the region is logged. */
  markBytes(region: MemoryRegion, offset: number, length: number): void {
    if (region.logDirty !== true || length <= 0) return;
    markPages(this.track(region.backing), Math.floor(offset / PAGE_SIZE), Math.floor((offset + length - 1) / PAGE_SIZE));
  }

  /** ORs `words` (bit i = backing page firstPage + i, as KVM_GET_DIRTY_LOG fills them) into the log. */
  mergeWords(backing: MemoryBacking, firstPage: number, words: Uint32Array): void {
    const bm = this.track(backing);
    for (let w = 0; w < words.length; w++) {
      let bits = words[w]!;
      while (bits !== 0) {
        const b = 31 - Math.clz32(bits & -bits);
        bits &= bits - 1;
        const page = firstPage + w * 32 + b;
        Atomics.or(bm, Math.floor(page / 32), 1 << page % 32);
      }
    }
  }

  /**
   * The dirty pages of a range through the map `sorted` (regions in address order), as page
   * numbers relative to `range.addr`, ascending; at most `maxPages`; with `clear` the
   * returned pages are cleared. Arguments are checked here (checkDirtyLogQuery).
   */
  query(sorted: readonly MemoryRegion[], range: DirtyLogRange, options: DirtyLogOptions | undefined, source: DirtyLogSource = {}): number[] {
    const q = checkDirtyLogQuery(range, options);
    const out: number[] = [];
    let cleared = false;
    for (const r of sorted) {
      if (out.length >= q.max || r.guestAddr >= q.end) break;
      const lo = Math.max(q.addr, r.guestAddr);
      const hi = Math.min(q.end, r.guestAddr + r.size);
      if (lo >= hi || r.logDirty !== true) continue;
      const first = (r.offset + (lo - r.guestAddr)) / PAGE_SIZE;
      const count = (hi - lo) / PAGE_SIZE;
      source.harvest?.(r, first, count);
      const bm = this.bitmaps.get(r.backing.id);
      if (bm === undefined) continue;
      // Backing page p is page p + shift of the range.
      const shift = (lo - q.addr) / PAGE_SIZE - first;
      cleared = scanPages(bm, first, first + count, q.max - out.length, q.clear, (p) => out.push(p + shift)) || cleared;
    }
    if (cleared) source.cleared?.();
    return out;
  }
}

/** Sets the bits of pages first..last (inclusive). */
export function markPages(bm: Uint32Array, first: number, last: number): void {
  for (let p = first; p <= last; p++) Atomics.or(bm, Math.floor(p / 32), 1 << p % 32);
}

/** Whether page `page` is marked. */
export function isPageDirty(bm: Uint32Array, page: number): boolean {
  return (Atomics.load(bm, Math.floor(page / 32)) & (1 << page % 32)) !== 0;
}

/**
 * Calls `found` for each set bit of pages [first, end), in order, at most `max` times,
 * clearing each found bit when `clear`; zero words are skipped whole. Returns whether a bit
 * was cleared.
 */
function scanPages(bm: Uint32Array, first: number, end: number, max: number, clear: boolean, found: (page: number) => void): boolean {
  let n = 0;
  let cleared = false;
  for (let w = Math.floor(first / 32); w * 32 < end && n < max; w++) {
    let bits = Atomics.load(bm, w);
    if (bits === 0) continue;
    // Only the bits of this word inside [first, end).
    const lo = Math.max(first - w * 32, 0);
    const hi = Math.min(end - w * 32, 32);
    if (lo > 0) bits &= ~((1 << lo) - 1);
    if (hi < 32) bits &= (1 << hi) - 1;
    while (bits !== 0 && n < max) {
      const bit = bits & -bits;
      bits &= bits - 1;
      found(w * 32 + 31 - Math.clz32(bit));
      n++;
      if (clear) {
        Atomics.and(bm, w, ~bit);
        cleared = true;
      }
    }
  }
  return cleared;
}
