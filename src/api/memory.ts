/**
 * Guest memory as its own abstraction: address types, backings, regions and the
 * read/write interface that loaders, devices (DMA) and debuggers use.
 *
 * A backing is host memory that can be mapped into the guest-physical address space:
 * a SharedArrayBuffer for the software accelerator, an mmap'd memfd for kvm. A region
 * places a window of a backing at a guest-physical address; two regions may share a
 * backing (aliases).
 */
import { InvalidArgumentError, hex } from './errors.js';

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

/** Host memory that can back guest-physical ranges. Created only by `Vm.createMemory`. */
export interface MemoryBacking {
  /** Unique within its VM; used in messages and snapshots. */
  readonly id: number;
  readonly name: string;
  readonly size: number;
  /** Host view of the whole backing. Writing here bypasses dirty tracking: prefer `Vm.memory`. */
  readonly bytes: Uint8Array;
  readonly view: DataView;
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
