/**
 * Guest memory as its own abstraction: address types, backings, regions and the
 * read/write interface that loaders, devices (DMA) and debuggers use.
 *
 * A backing is host memory that can be mapped into the guest-physical address space:
 * a SharedArrayBuffer for the software accelerator, an mmap'd memfd for kvm. A region
 * places a window of a backing at a guest-physical address; two regions may share a
 * backing (aliases).
 */
import { InvalidArgumentError, UnsupportedError, hex } from './errors.js';

declare const guestPhysBrand: unique symbol;
declare const guestVirtBrand: unique symbol;

/** A guest-physical address. Fits in a JS number: every accelerator here has ≤ 52 address bits. */
export type GuestPhysAddr = number & { readonly [guestPhysBrand]: true };
/** A guest-effective (virtual) address as the vCPU issues it. */
export type GuestVirtAddr = number & { readonly [guestVirtBrand]: true };

export function gpa(value: number): GuestPhysAddr {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(`guest-physical address ${value} is not a non-negative integer`);
  }
  return value as GuestPhysAddr;
}

export function gva(value: number): GuestVirtAddr {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(`guest-virtual address ${value} is not a non-negative integer`);
  }
  return value as GuestVirtAddr;
}

export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12;

/**
 * The most bytes one typed array covers (V8's limit on a typed array's length on 64-bit
 * hosts). A backing up to this size is viewed in one piece.
 */
export const MAX_VIEW_BYTES = 2 ** 32;
/** The size of the pieces a larger backing is viewed in (the last piece may be shorter). */
export const BACKING_CHUNK_BYTES = 2 ** 30;

/** How long the pieces of a backing of `size` bytes are: the whole backing, or BACKING_CHUNK_BYTES. */
export function backingChunkBytes(size: number): number {
  return size <= MAX_VIEW_BYTES ? size : BACKING_CHUNK_BYTES;
}

/**
 * Host memory that can back guest-physical ranges. Created only by `Vm.createMemory`; any
 * size (a page multiple) works, also beyond what one typed array can view: such a backing
 * is seen in pieces (`chunks`).
 */
export interface MemoryBacking {
  /** Unique within its VM; used in messages and snapshots. */
  readonly id: number;
  readonly name: string;
  readonly size: number;
  /**
   * Host views of the backing in consecutive pieces: piece i covers bytes
   * [i * chunkBytes, min(size, (i + 1) * chunkBytes)). One piece when `size` is at most
   * MAX_VIEW_BYTES. Writing here bypasses dirty tracking: prefer `Vm.memory`.
   */
  readonly chunks: readonly Uint8Array[];
  readonly chunkBytes: number;
  /**
   * Host view of the whole backing. Only a backing in one piece has one: on a larger
   * backing reading `bytes` throws an UnsupportedError (use `chunks` or `Vm.memory`).
   */
  readonly bytes: Uint8Array;
  /**
   * DataView of the whole backing, where the host can make one (a backing in one piece
   * always; the e500 accelerator at any size); otherwise reading it throws UnsupportedError.
   */
  readonly view: DataView;
}

/**
 * The `bytes`/`view`/`chunks` part of a backing over one contiguous host range seen in
 * pieces, shared by the accelerators' backings so "what a piece is" has one answer.
 */
export abstract class ChunkedBacking implements MemoryBacking {
  readonly id: number;
  readonly name: string;
  readonly size: number;
  readonly chunks: readonly Uint8Array[];
  readonly chunkBytes: number;
  private readonly wholeView: DataView | undefined;

  /** `whole`: a DataView of the whole backing when the host can make one although it is in pieces. */
  protected constructor(id: number, name: string, size: number, chunks: readonly Uint8Array[], whole?: DataView) {
    this.id = id;
    this.name = name;
    this.size = size;
    this.chunkBytes = backingChunkBytes(size);
    const expected = Math.ceil(size / this.chunkBytes);
    if (chunks.length !== expected || chunks.some((c, i) => c.length !== Math.min(this.chunkBytes, size - i * this.chunkBytes))) {
      throw new InvalidArgumentError(`backing "${name}": ${chunks.length} pieces do not tile ${hex(size)} bytes in pieces of ${hex(this.chunkBytes)}`);
    }
    this.chunks = chunks;
    const first = chunks[0];
    this.wholeView = whole ?? (chunks.length === 1 && first !== undefined ? new DataView(first.buffer, first.byteOffset, first.byteLength) : undefined);
  }

  get bytes(): Uint8Array {
    const first = this.chunks[0];
    if (this.chunks.length !== 1 || first === undefined) {
      throw new UnsupportedError(
        `backing "${this.name}" has ${hex(this.size)} bytes, more than one typed array can view (${hex(MAX_VIEW_BYTES)}): use backing.chunks (pieces of ${hex(this.chunkBytes)}) or vm.memory`,
      );
    }
    return first;
  }

  get view(): DataView {
    if (this.wholeView === undefined) {
      throw new UnsupportedError(
        `backing "${this.name}" has ${hex(this.size)} bytes and this accelerator cannot view it in one DataView: use backing.chunks (pieces of ${hex(this.chunkBytes)}) or vm.memory`,
      );
    }
    return this.wholeView;
  }
}

/**
 * Calls `fn` for each piece of [offset, offset + length) of `backing` that lies in one of
 * its chunks: the chunk, the offset in it, the position in the range and the length.
 */
export function forEachChunkPiece(
  backing: MemoryBacking,
  offset: number,
  length: number,
  fn: (chunk: Uint8Array, chunkOffset: number, pos: number, len: number) => void,
): void {
  const size = backing.chunkBytes;
  let pos = 0;
  while (pos < length) {
    const at = offset + pos;
    const index = Math.floor(at / size);
    const chunk = backing.chunks[index];
    if (chunk === undefined) throw new InvalidArgumentError(`offset ${hex(at)} is outside backing "${backing.name}" (${hex(backing.size)} bytes)`);
    const inChunk = at - index * size;
    const len = Math.min(length - pos, chunk.length - inChunk);
    fn(chunk, inChunk, pos, len);
    pos += len;
  }
}

export interface MemoryRegionFlags {
  /** Guest writes do not reach the backing; they exit as MMIO writes instead (as with KVM_MEM_READONLY). */
  readonly readOnly?: boolean;
  /** Record guest and VMM writes in the dirty log. */
  readonly logDirty?: boolean;
}

export interface MemoryRegion extends MemoryRegionFlags {
  readonly guestAddr: GuestPhysAddr;
  readonly size: number;
  readonly backing: MemoryBacking;
  /** Offset of the window in the backing. */
  readonly offset: number;
  readonly name?: string;
}

/**
 * Byte-level access to guest-physical memory through the memory map in force.
 * Writes are dirty-tracked and keep accelerator caches (decoded code) coherent.
 */
export interface GuestMemory {
  read(addr: GuestPhysAddr, dst: Uint8Array): void;
  write(addr: GuestPhysAddr, src: Uint8Array): void;
  /** Fills `length` bytes with `value` (zeroing BSS, clearing a page). */
  fill(addr: GuestPhysAddr, length: number, value: number): void;
  readUint8(addr: GuestPhysAddr): number;
  readUint16BE(addr: GuestPhysAddr): number;
  readUint16LE(addr: GuestPhysAddr): number;
  readUint32BE(addr: GuestPhysAddr): number;
  readUint32LE(addr: GuestPhysAddr): number;
  readBigUint64BE(addr: GuestPhysAddr): bigint;
  readBigUint64LE(addr: GuestPhysAddr): bigint;
  writeUint8(addr: GuestPhysAddr, value: number): void;
  writeUint16BE(addr: GuestPhysAddr, value: number): void;
  writeUint16LE(addr: GuestPhysAddr, value: number): void;
  writeUint32BE(addr: GuestPhysAddr, value: number): void;
  writeUint32LE(addr: GuestPhysAddr, value: number): void;
  writeBigUint64BE(addr: GuestPhysAddr, value: bigint): void;
  writeBigUint64LE(addr: GuestPhysAddr, value: bigint): void;
  /** True when [addr, addr+length) is entirely backed by memory regions. */
  isMapped(addr: GuestPhysAddr, length: number): boolean;
}

export function describeRange(addr: number, size: number): string {
  return `[${hex(addr)}, ${hex(addr + size)})`;
}
