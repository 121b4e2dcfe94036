/**
 * Book E MMU API (seeds 002 and 000): the guest-visible TLB is an array shared between the
 * VMM and the accelerator, in the upstream layout `struct kvm_book3e_206_tlb_entry`
 * (mas8 u32, mas1 u32, mas2 u64, mas7_3 u64; 24 bytes, host byte order), TLB0 entries first
 * (set by set, way by way), then TLB1.
 *
 * Ownership: after `configTlb` the TLB is empty and the VMM may fill the array; before the
 * next `run()` it reports what it changed with `dirtyTlb`. While `run()` executes the array
 * belongs to the accelerator.
 *
 * What the array holds when `run()` returns depends on the MMU type (seed 000 as amended in
 * seed 001: "make conditional on MMU type the statement that this is synchronized implicitly
 * on return from vcpu_run"):
 *  - FSL_BOOKE_NOHV (e500v2): every change to the guest TLB (tlbwe, tlbivax, tlbilx, a miss
 *    that loads MAS for a victim) goes through the accelerator, which carries it out in the
 *    array: when `run()` returns, the array is the guest's TLB, exactly.
 *  - FSL_BOOKE_HV (e500mc and later cores with category E.HV): hardware of this type can let
 *    the guest load TLB0 entries without the host (E.HV.LRAT, seed 001's "fancier hardware"),
 *    so the array is only promised to be exact after `Vcpu.syncTlb()` (the seed's "ioctl that
 *    forces kvm to read out the current tlb0 contents and push them to memory"), until the
 *    next `run()`. Call it before reading the array (BookeTlbView.refresh does it only for
 *    the MMU types that need it). Writes need no sync: `dirtyTlb` names what the VMM changed.
 * The software e500 accelerator keeps both types' arrays exact at every return (its TLB is
 * the array), so `syncTlb()` costs it nothing; a VMM must still not rely on that for HV.
 */

/** MMU types, numbered as KVM_MMU_FSL_BOOKE_NOHV / KVM_MMU_FSL_BOOKE_HV. */
export const MMU_FSL_BOOKE_NOHV = 0;
export const MMU_FSL_BOOKE_HV = 1;
export type BookeMmuType = typeof MMU_FSL_BOOKE_NOHV | typeof MMU_FSL_BOOKE_HV;

export const BOOKE_TLB_ENTRY_BYTES = 24;

/** Whether the array of a TLB of `mmuType` reflects the guest's TLB whenever `run()` returns (see above). */
export function bookeTlbSyncedOnExit(mmuType: BookeMmuType): boolean {
  return mmuType === MMU_FSL_BOOKE_NOHV;
}

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

/** The host's byte order (the shared TLB array is in host order, as KVM's is). */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LE = HOST_LITTLE_ENDIAN;

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
