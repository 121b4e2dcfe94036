/**
 * Book E MMU API (seeds 002 and 000): the guest-visible TLB is an array shared between the
 * VMM and the accelerator, in the upstream layout `struct kvm_book3e_206_tlb_entry`
 * (mas8 u32, mas1 u32, mas2 u64, mas7_3 u64; 24 bytes, host byte order), TLB0 entries first
 * (set by set, way by way), then TLB1.
 *
 * Ownership: after `configTlb` the TLB is empty and the VMM may fill the array; before the
 * next `run()` it reports what it changed with `dirtyTlb`. While `run()` executes the array
 * belongs to the accelerator; when `run()` returns it reflects the guest's TLB exactly.
 */
import { endianness } from 'node:os';

/** MMU types, numbered as KVM_MMU_FSL_BOOKE_NOHV / KVM_MMU_FSL_BOOKE_HV. */
export const MMU_FSL_BOOKE_NOHV = 0;
export const MMU_FSL_BOOKE_HV = 1;
export type BookeMmuType = typeof MMU_FSL_BOOKE_NOHV | typeof MMU_FSL_BOOKE_HV;

export const BOOKE_TLB_ENTRY_BYTES = 24;

/** `struct kvm_book3e_206_tlb_params` (version 1): four TLBs, eight reserved words that must be zero. */
export interface BookeTlbParams {
  readonly tlbSizes: readonly [number, number, number, number];
  readonly tlbWays: readonly [number, number, number, number];
  readonly reserved?: readonly number[];
}

export interface BookeTlbConfig {
  readonly mmuType: BookeMmuType;
  readonly params: BookeTlbParams;
  /** The shared array (a SharedArrayBuffer when another thread must see it). */
  readonly array: ArrayBufferLike;
  /** Bytes of `array` the accelerator may use (from offset 0). */
  readonly arrayLength: number;
}

/** One entry's fields as the array stores them. */
export interface BookeTlbEntry {
  mas8: number;
  mas1: number;
  mas2: number;
  /** MAS7 in the high word, MAS3 in the low word. */
  mas7_3: bigint;
}

const LE = endianness() === 'LE';

/** Reads entry `index` of a shared TLB array without copying the array. */
export function readTlbEntry(view: DataView, index: number): BookeTlbEntry {
  const o = index * BOOKE_TLB_ENTRY_BYTES;
  return {
    mas8: view.getUint32(o, LE),
    mas1: view.getUint32(o + 4, LE),
    mas2: Number(view.getBigUint64(o + 8, LE) & 0xffffffffn),
    mas7_3: view.getBigUint64(o + 16, LE),
  };
}

export function writeTlbEntry(view: DataView, index: number, e: BookeTlbEntry): void {
  const o = index * BOOKE_TLB_ENTRY_BYTES;
  view.setUint32(o, e.mas8 >>> 0, LE);
  view.setUint32(o + 4, e.mas1 >>> 0, LE);
  view.setBigUint64(o + 8, BigInt(e.mas2 >>> 0), LE);
  view.setBigUint64(o + 16, e.mas7_3, LE);
}
