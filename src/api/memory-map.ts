/**
 * Validation of a whole guest-physical memory map, and `GuestMemory` over a validated map.
 * Shared by every accelerator so that "what is a valid map" has one answer.
 */
import {
  ArgumentTypeError,
  BackingRangeError,
  ClosedError,
  EmptyRegionError,
  InvalidArgumentError,
  RegionAlignmentError,
  RegionOverlapError,
  UnknownBackingError,
  UnmappedAddressError,
  hex,
} from './errors.js';
import { checkArray, checkBigint, checkBytes, checkInteger, checkObject, checkOptionalBoolean, checkOptionalString } from './validate.js';
import { PAGE_SIZE, describeRange, forEachChunkPiece, type GuestMemory, type GuestPhysAddr, type MemoryBacking, type MemoryRegion } from './memory.js';

function regionName(r: MemoryRegion, index: number): string {
  return r.name !== undefined ? `region ${index} ("${r.name}")` : `region ${index}`;
}

/**
 * Checks a complete map: sizes, alignment, backing ownership and bounds, address width,
 * overlaps. Returns the regions sorted by guest address. Throws the first problem found.
 */
export function validateMemoryMap(
  regions: readonly MemoryRegion[],
  opts: { ownsBacking: (b: MemoryBacking) => boolean; maxPhysBits: number },
): MemoryRegion[] {
  checkArray('setMemoryMap: the regions', regions);
  const limit = 2 ** opts.maxPhysBits;
  regions.forEach((r, i) => {
    checkObject(`setMemoryMap: region ${i}`, r);
    checkOptionalString(`setMemoryMap: region ${i}'s name`, r.name);
    const what = regionName(r, i);
    checkOptionalBoolean(`${what}: readOnly`, r.readOnly);
    checkOptionalBoolean(`${what}: logDirty`, r.logDirty);
    for (const [field, value] of [
      ['guestAddr', r.guestAddr],
      ['size', r.size],
      ['offset', r.offset],
    ] as const) {
      if (typeof value !== 'number') throw new ArgumentTypeError(`${what}: ${field} must be a number, not ${typeof value}`);
    }
    if (!Number.isSafeInteger(r.size) || r.size <= 0) {
      throw new EmptyRegionError(`${what} has size ${String(r.size)}; a region must be at least one page (${PAGE_SIZE} bytes)`);
    }
    for (const [field, value] of [
      ['guest address', r.guestAddr],
      ['size', r.size],
      ['backing offset', r.offset],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < 0) {
        throw new InvalidArgumentError(`${what}: ${field} ${String(value)} is not a non-negative integer`);
      }
      if (value % PAGE_SIZE !== 0) {
        throw new RegionAlignmentError(`${what}: ${field} ${hex(value)} is not a multiple of the ${PAGE_SIZE}-byte page size`);
      }
    }
    if (r.guestAddr + r.size > limit) {
      throw new InvalidArgumentError(
        `${what} ${describeRange(r.guestAddr, r.size)} goes beyond the ${opts.maxPhysBits}-bit guest-physical address space`,
      );
    }
    if (typeof r.backing !== 'object' || r.backing === null || !opts.ownsBacking(r.backing)) {
      throw new UnknownBackingError(`${what}: its backing was not created by this VM (use vm.createMemory())`);
    }
    if (r.offset + r.size > r.backing.size) {
      throw new BackingRangeError(
        `${what}: window ${describeRange(r.offset, r.size)} does not fit backing "${r.backing.name}" of ${hex(r.backing.size)} bytes`,
      );
    }
  });
  const sorted = [...regions].sort((x, y) => x.guestAddr - y.guestAddr);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (cur.guestAddr < prev.guestAddr + prev.size) {
      const a = regions.indexOf(prev);
      const b = regions.indexOf(cur);
      throw new RegionOverlapError(
        `${regionName(cur, b)} ${describeRange(cur.guestAddr, cur.size)} overlaps ${regionName(prev, a)} ${describeRange(prev.guestAddr, prev.size)}`,
      );
    }
  }
  return sorted;
}

/**
 * `GuestMemory` over a sorted map. `onWrite` is told about every write (dirty tracking and
 * code-cache coherence live in the accelerator); accesses that leave RAM are errors, since
 * MMIO belongs to the device models, not to this interface.
 */
/** A half-open range of addresses, as the sorted lists `findSpan` searches hold them. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/**
 * The span of `sorted` (in address order, not overlapping) that holds `addr`: the one
 * binary search of every guest memory map (the API's guest memory, the e500 vCPU's map).
 */
export function findSpan<T extends Span>(sorted: readonly T[], addr: number): T | undefined {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = sorted[mid]!;
    if (addr < s.start) hi = mid - 1;
    else if (addr >= s.end) lo = mid + 1;
    else return s;
  }
  return undefined;
}

/** A region of the map with its span, for findSpan. */
interface RegionSpan extends Span {
  readonly region: MemoryRegion;
}

export class MappedGuestMemory implements GuestMemory {
  private spans: readonly RegionSpan[] = [];
  private readonly onWrite: (region: MemoryRegion, offset: number, length: number) => void;
  private closed = false;

  constructor(onWrite: (region: MemoryRegion, offset: number, length: number) => void) {
    this.onWrite = onWrite;
  }

  setRegions(sorted: readonly MemoryRegion[]): void {
    this.spans = sorted.map((region) => ({ start: region.guestAddr, end: region.guestAddr + region.size, region }));
  }

  /** The VM was closed: every access is a ClosedError from now on. */
  close(): void {
    this.closed = true;
    this.spans = [];
  }

  private find(addr: number): MemoryRegion | undefined {
    return findSpan(this.spans, addr)?.region;
  }

  /** Calls `fn` for each contiguous piece of [addr, addr+length), or throws if a byte is unmapped. */
  private forEachPiece(addr: number, length: number, fn: (r: MemoryRegion, backingOffset: number, pos: number, len: number) => void): void {
    this.checkRange(addr, length);
    let pos = 0;
    while (pos < length) {
      const a = addr + pos;
      const r = this.find(a);
      if (r === undefined) {
        throw new UnmappedAddressError(`guest-physical address ${hex(a)} is not backed by RAM (reading ${describeRange(addr, length)})`);
      }
      const len = Math.min(length - pos, r.guestAddr + r.size - a);
      fn(r, r.offset + (a - r.guestAddr), pos, len);
      pos += len;
    }
  }

  /** Open, and a range of guest-physical addresses as numbers. */
  private checkRange(addr: unknown, length: unknown): void {
    if (this.closed) throw new ClosedError('guest memory of a closed VM');
    checkInteger('guest memory: the address', addr, 0);
    checkInteger('guest memory: the length', length, 0);
  }

  isMapped(addr: GuestPhysAddr, length: number): boolean {
    this.checkRange(addr, length);
    let pos = 0;
    while (pos < length) {
      const r = this.find(addr + pos);
      if (r === undefined) return false;
      pos += r.guestAddr + r.size - (addr + pos);
    }
    return true;
  }

  read(addr: GuestPhysAddr, dst: Uint8Array): void {
    checkBytes('guest memory read: the destination', dst);
    this.forEachPiece(addr, dst.length, (r, off, pos, len) => {
      forEachChunkPiece(r.backing, off, len, (chunk, at, p, n) => dst.set(chunk.subarray(at, at + n), pos + p));
    });
  }

  write(addr: GuestPhysAddr, src: Uint8Array): void {
    checkBytes('guest memory write: the source', src);
    this.forEachPiece(addr, src.length, (r, off, pos, len) => {
      if (r.readOnly === true) throw new UnmappedAddressError(`guest-physical ${describeRange(addr + pos, len)} is read-only memory`);
      forEachChunkPiece(r.backing, off, len, (chunk, at, p, n) => chunk.set(src.subarray(pos + p, pos + p + n), at));
      this.onWrite(r, off, len);
    });
  }

  fill(addr: GuestPhysAddr, length: number, value: number): void {
    checkInteger('guest memory fill: the value', value, 0, 255);
    this.forEachPiece(addr, length, (r, off, pos, len) => {
      if (r.readOnly === true) throw new UnmappedAddressError(`guest-physical ${describeRange(addr + pos, len)} is read-only memory`);
      forEachChunkPiece(r.backing, off, len, (chunk, at, _p, n) => chunk.fill(value, at, at + n));
      this.onWrite(r, off, len);
    });
  }

  private scalar(addr: number, size: number): DataView {
    const buf = new Uint8Array(size);
    this.read(addr as GuestPhysAddr, buf);
    return new DataView(buf.buffer);
  }

  private store(addr: number, size: number, value: number | bigint, set: (v: DataView) => void): void {
    if (size === 8) checkBigint('guest memory: a 64-bit value', value);
    else if (typeof value !== 'number' || !Number.isFinite(value)) throw new ArgumentTypeError(`guest memory: a ${size * 8}-bit value must be a finite number, not ${String(value)}`);
    const buf = new Uint8Array(size);
    set(new DataView(buf.buffer));
    this.write(addr as GuestPhysAddr, buf);
  }

  readUint8(addr: GuestPhysAddr): number {
    return this.scalar(addr, 1).getUint8(0);
  }
  readUint16BE(addr: GuestPhysAddr): number {
    return this.scalar(addr, 2).getUint16(0, false);
  }
  readUint16LE(addr: GuestPhysAddr): number {
    return this.scalar(addr, 2).getUint16(0, true);
  }
  readUint32BE(addr: GuestPhysAddr): number {
    return this.scalar(addr, 4).getUint32(0, false);
  }
  readUint32LE(addr: GuestPhysAddr): number {
    return this.scalar(addr, 4).getUint32(0, true);
  }
  readBigUint64BE(addr: GuestPhysAddr): bigint {
    return this.scalar(addr, 8).getBigUint64(0, false);
  }
  readBigUint64LE(addr: GuestPhysAddr): bigint {
    return this.scalar(addr, 8).getBigUint64(0, true);
  }
  writeUint8(addr: GuestPhysAddr, value: number): void {
    this.store(addr, 1, value, (v) => v.setUint8(0, value));
  }
  writeUint16BE(addr: GuestPhysAddr, value: number): void {
    this.store(addr, 2, value, (v) => v.setUint16(0, value, false));
  }
  writeUint16LE(addr: GuestPhysAddr, value: number): void {
    this.store(addr, 2, value, (v) => v.setUint16(0, value, true));
  }
  writeUint32BE(addr: GuestPhysAddr, value: number): void {
    this.store(addr, 4, value, (v) => v.setUint32(0, value, false));
  }
  writeUint32LE(addr: GuestPhysAddr, value: number): void {
    this.store(addr, 4, value, (v) => v.setUint32(0, value, true));
  }
  writeBigUint64BE(addr: GuestPhysAddr, value: bigint): void {
    this.store(addr, 8, value, (v) => v.setBigUint64(0, value, false));
  }
  writeBigUint64LE(addr: GuestPhysAddr, value: bigint): void {
    this.store(addr, 8, value, (v) => v.setBigUint64(0, value, true));
  }
}
