/**
 * The VMM's side of the shared Book E TLB (KVM_CAP_SW_TLB): the operations the first proposal
 * (seed 002) wanted as ioctls — read an entry, iterate a TLB, search like `tlbsx`, invalidate
 * all — done directly on the array the VMM shares with the accelerator, with no copy of the
 * TLB. Edits are recorded in a dirty bitmap that `sync` hands to `Vcpu.dirtyTlb`.
 *
 * Use it only while the vCPU is not running: during `run()` the array belongs to the
 * accelerator (seed 000).
 */
import {
  BOOKE_TLB_ENTRY_BYTES,
  MMU_FSL_BOOKE_HV,
  bookeTlbSyncedOnExit,
  readTlbEntry,
  writeTlbEntry,
  type BookeTlbConfig,
  type BookeTlbEntry,
} from './booke.js';
import { InvalidArgumentError } from './errors.js';
import { checkFixedBuffer, checkObject } from './validate.js';
import type { Vcpu } from './hypervisor.js';

export type TlbSel = 0 | 1;

const MAS1_V = 0x80000000;
const MAS1_TS = 0x1000;

/** One entry and where it is: the MAS0 that selects it, and its index in the array. */
export interface TlbSlot {
  readonly tlbsel: TlbSel;
  /** TLB1: the entry number; TLB0: the way inside the entry's set. */
  readonly esel: number;
  /** Position in the shared array. */
  readonly index: number;
  /** MAS0 as `tlbre`/`tlbsx` would leave it (TLBSEL and ESEL; NV is not modelled here). */
  readonly mas0: number;
  readonly entry: BookeTlbEntry;
}

/** KVM_PPC_GET_TLB-style iteration: an entry and the cursor for the next call, or the end. */
export type TlbReadResult = { readonly kind: 'entry'; readonly slot: TlbSlot; readonly next: TlbCursor } | { readonly kind: 'end'; readonly errno: 'ENOENT' };

export interface TlbCursor {
  readonly tlbsel: TlbSel;
  readonly position: number;
}

export class BookeTlbView {
  readonly tlb0Entries: number;
  readonly tlb0Ways: number;
  readonly tlb0Sets: number;
  readonly tlb1Entries: number;
  readonly totalEntries: number;
  private readonly hv: boolean;
  /** Whether the array is exact whenever run() returns, without `refresh` (api/booke.ts). */
  readonly syncedOnExit: boolean;
  private readonly view: DataView;
  private readonly dirty: Uint8Array;
  private dirtyCount = 0;

  /** `config` is the object given to `Vcpu.configTlb` (already validated there). */
  constructor(config: BookeTlbConfig) {
    checkObject('BookeTlbView: the params', checkObject('BookeTlbView: the config', config)['params']);
    checkFixedBuffer('BookeTlbView: config.array', config.array);
    const [s0, s1] = config.params.tlbSizes;
    this.tlb0Entries = s0;
    this.tlb0Ways = config.params.tlbWays[0];
    this.tlb0Sets = s0 / this.tlb0Ways;
    this.tlb1Entries = s1;
    this.totalEntries = s0 + s1;
    this.hv = config.mmuType === MMU_FSL_BOOKE_HV;
    this.syncedOnExit = bookeTlbSyncedOnExit(config.mmuType);
    this.view = new DataView(config.array, 0, this.totalEntries * BOOKE_TLB_ENTRY_BYTES);
    this.dirty = new Uint8Array(Math.ceil(this.totalEntries / 8));
  }

  /** Array index of TLB1 entry `esel`, or of way `esel` in the TLB0 set that `ea` selects. */
  index(tlbsel: TlbSel, esel: number, ea = 0): number {
    if (tlbsel === 0) {
      if (!Number.isInteger(esel) || esel < 0 || esel >= this.tlb0Ways) {
        throw new InvalidArgumentError(`TLB0 way ${String(esel)} is out of range (0..${this.tlb0Ways - 1})`);
      }
      return ((ea >>> 12) & (this.tlb0Sets - 1)) * this.tlb0Ways + esel;
    }
    if (tlbsel === 1) {
      if (!Number.isInteger(esel) || esel < 0 || esel >= this.tlb1Entries) {
        throw new InvalidArgumentError(`TLB1 entry ${String(esel)} is out of range (0..${this.tlb1Entries - 1})`);
      }
      return this.tlb0Entries + esel;
    }
    throw new InvalidArgumentError(`TLB ${String(tlbsel)} does not exist (e500 cores have TLB0 and TLB1)`);
  }

  /** Reads one entry (TLB0: way `esel` of the set `ea` selects). */
  read(tlbsel: TlbSel, esel: number, ea = 0): TlbSlot {
    return this.slotAt(this.index(tlbsel, esel, ea));
  }

  /** Writes one entry and marks it dirty. */
  write(tlbsel: TlbSel, esel: number, ea: number, entry: BookeTlbEntry): void {
    this.writeAt(this.index(tlbsel, esel, ea), entry);
  }

  writeAt(index: number, entry: BookeTlbEntry): void {
    this.checkIndex(index);
    writeTlbEntry(this.view, index, entry);
    this.markDirty(index);
  }

  slotAt(index: number): TlbSlot {
    this.checkIndex(index);
    const tlbsel: TlbSel = index < this.tlb0Entries ? 0 : 1;
    const esel = tlbsel === 0 ? index % this.tlb0Ways : index - this.tlb0Entries;
    return { tlbsel, esel, index, mas0: ((tlbsel << 28) | (esel << 16)) >>> 0, entry: readTlbEntry(this.view, index) };
  }

  /** Starts iterating TLB `tlbsel` (every entry, valid or not, in array order). */
  readFirst(tlbsel: TlbSel): TlbReadResult {
    this.index(tlbsel, 0);
    return this.readNext({ tlbsel, position: 0 });
  }

  readNext(cursor: TlbCursor): TlbReadResult {
    const size = cursor.tlbsel === 0 ? this.tlb0Entries : this.tlb1Entries;
    if (cursor.position >= size) return { kind: 'end', errno: 'ENOENT' };
    const base = cursor.tlbsel === 0 ? 0 : this.tlb0Entries;
    return { kind: 'entry', slot: this.slotAt(base + cursor.position), next: { tlbsel: cursor.tlbsel, position: cursor.position + 1 } };
  }

  /** The valid entries of one TLB, in array order. */
  *valid(tlbsel: TlbSel): Generator<TlbSlot> {
    for (let r = this.readFirst(tlbsel); r.kind === 'entry'; r = this.readNext(r.next)) {
      if ((r.slot.entry.mas1 & MAS1_V) !== 0) yield r.slot;
    }
  }

  /**
   * Searches as `tlbsx` does: MAS6[SPID] (TID 0 matches any) and MAS6[SAS], TLB0 (the set of
   * `ea`) first, then TLB1 in order. Returns null when nothing matches. With `mas5` (HV MMU
   * only) the entry's MAS8[TGS] and [TLPID] must also equal MAS5[SGS] and [SLPID], as `tlbsx`
   * requires in hypervisor state on cores with guest support; the e500mc as QEMU and ngkvm
   * model it has no guest state, and its `tlbsx` ignores MAS5.
   */
  search(ea: number, mas6: number, mas5?: number): TlbSlot | null {
    if (mas5 !== undefined && !this.hv) throw new InvalidArgumentError('MAS5 exists only with the FSL_BOOKE_HV MMU (e500mc)');
    const spid = (mas6 >>> 16) & 0x3fff;
    const sas = mas6 & 1;
    const set = ((ea >>> 12) & (this.tlb0Sets - 1)) * this.tlb0Ways;
    for (let way = 0; way < this.tlb0Ways; way++) {
      if (this.matches(set + way, ea >>> 0, spid, sas, mas5)) return this.slotAt(set + way);
    }
    for (let i = this.tlb0Entries; i < this.totalEntries; i++) {
      if (this.matches(i, ea >>> 0, spid, sas, mas5)) return this.slotAt(i);
    }
    return null;
  }

  private matches(index: number, ea: number, spid: number, sas: number, mas5: number | undefined): boolean {
    const o = index * BOOKE_TLB_ENTRY_BYTES;
    const le = LITTLE;
    const mas1 = this.view.getUint32(o + 4, le);
    if ((mas1 & MAS1_V) === 0 || ((mas1 & MAS1_TS) !== 0 ? 1 : 0) !== sas) return false;
    const tid = (mas1 >>> 16) & 0x3fff;
    if (tid !== 0 && tid !== spid) return false;
    if (mas5 !== undefined) {
      const mas8 = this.view.getUint32(o, le);
      if ((mas8 >>> 31) !== (mas5 >>> 31) || (mas8 & 0xff) !== (mas5 & 0xff)) return false;
    }
    const size = index < this.tlb0Entries ? 4096 : 2 ** (10 + 2 * ((mas1 >>> 8) & 0xf));
    const epn = (this.view.getUint32(o + 8 + (le ? 0 : 4), le) & 0xfffff000) >>> 0;
    const base = epn - (epn % size);
    return ea >= base && ea - base < size;
  }

  /** Zeroes every entry (V = 0, IPROT ignored, as a reset does) and marks all dirty. */
  invalidateAll(): void {
    new Uint8Array(this.view.buffer, this.view.byteOffset, this.view.byteLength).fill(0);
    this.markAllDirty();
  }

  /** A copy of the whole array (for a snapshot). */
  snapshot(): Uint8Array {
    return new Uint8Array(this.view.buffer, this.view.byteOffset, this.view.byteLength).slice();
  }

  /** Puts a snapshot back (same geometry) and marks everything dirty. */
  restore(bytes: Uint8Array): void {
    if (bytes.length !== this.view.byteLength) {
      throw new InvalidArgumentError(`TLB snapshot has ${bytes.length} bytes; this TLB (${this.totalEntries} entries) has ${this.view.byteLength}`);
    }
    new Uint8Array(this.view.buffer, this.view.byteOffset, this.view.byteLength).set(bytes);
    this.markAllDirty();
  }

  markDirty(index: number): void {
    this.checkIndex(index);
    const bit = 1 << (index & 7);
    if ((this.dirty[index >>> 3]! & bit) === 0) {
      this.dirty[index >>> 3]! |= bit;
      this.dirtyCount++;
    }
  }

  markAllDirty(): void {
    this.dirty.fill(0xff);
    this.dirtyCount = this.totalEntries;
  }

  /** Entries changed since the last `sync`. */
  get pendingChanges(): number {
    return this.dirtyCount;
  }

  /**
   * Before reading the array after a run(): has the vCPU push its TLB into the array if its
   * MMU type does not do that on every return (FSL_BOOKE_HV), and does nothing otherwise.
   */
  refresh(vcpu: Pick<Vcpu, 'syncTlb'>): void {
    if (!this.syncedOnExit) vcpu.syncTlb();
  }

  /** Tells the vCPU what changed (KVM_DIRTY_TLB) and starts a new dirty set. */
  sync(vcpu: Vcpu): void {
    if (this.dirtyCount === 0) return;
    vcpu.dirtyTlb(this.dirtyCount === this.totalEntries ? null : this.dirty, this.dirtyCount);
    this.dirty.fill(0);
    this.dirtyCount = 0;
  }

  private checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.totalEntries) {
      throw new InvalidArgumentError(`TLB entry index ${String(index)} is out of range (0..${this.totalEntries - 1})`);
    }
  }
}

const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
