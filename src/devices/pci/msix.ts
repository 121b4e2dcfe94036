/**
 * MSI-X for a PCI function (PCI Local Bus 3.0, section 6.8.2): the capability, a vector table
 * and a pending-bit array in a memory BAR, and the rules for delivering a vector:
 *
 *  - nothing is sent while the capability's Enable bit is clear;
 *  - a vector whose table entry is masked, or any vector while Function Mask is set, only
 *    sets its pending bit; unmasking sends the pending message and clears the bit;
 *  - the message is a 32-bit little-endian write of the entry's data to the entry's
 *    address, issued by the function as a bus master (the host bridge's board decides where
 *    that lands: the MPIC's MSIIR on ppce500, the local APICs on a PC).
 *
 * Table entries power on masked with address and data zero, as the specification requires.
 * The table and PBA accept only aligned 32-bit accesses (the specification's rule; QEMU
 * does the same for the table); other accesses read 0 / are ignored and logged.
 */
import { RateLimitedLog, type Logger, type MmioDevice } from '../bus.js';
import { StateError, type StateReader, type StateWriter } from '../state.js';
import type { PciCapabilitySpec } from './pci-bus.js';

export const PCI_CAP_ID_MSIX = 0x11;
const ENTRY_SIZE = 16;
const VECTOR_CTRL_MASKED = 0x1;
/** Message Control (capability offset 2): bit 15 Enable, bit 14 Function Mask. */
const CTRL_ENABLE = 0x8000;
const CTRL_FUNCTION_MASK = 0x4000;
export const MSIX_MAX_VECTORS = 2048;

export interface MsixConfig {
  readonly vectors: number;
  /** BAR holding the table and the PBA, and their offsets in it (8-byte aligned). */
  readonly bar: number;
  readonly tableOffset: number;
  readonly pbaOffset: number;
  /** Where the capability goes in configuration space. */
  readonly capOffset: number;
  /** Sends a message (the function's bus-master write of `data` to `address`). */
  readonly send: (address: number, data: number) => void;
  readonly log?: Logger;
  readonly name: string;
}

/**
 * The MSI-X capability of a function with this table layout (also for a function whose table
 * lives elsewhere, e.g. a proxy for a device in another process).
 */
export function msixCapability(cfg: Pick<MsixConfig, 'vectors' | 'bar' | 'tableOffset' | 'pbaOffset' | 'capOffset'>): PciCapabilitySpec {
  const bytes = new Uint8Array(12);
  const view = new DataView(bytes.buffer);
  view.setUint16(2, cfg.vectors - 1, true);
  view.setUint32(4, (cfg.tableOffset | cfg.bar) >>> 0, true);
  view.setUint32(8, (cfg.pbaOffset | cfg.bar) >>> 0, true);
  const writeMask = new Uint8Array(12);
  writeMask[3] = (CTRL_ENABLE | CTRL_FUNCTION_MASK) >>> 8;
  return { id: PCI_CAP_ID_MSIX, offset: cfg.capOffset, bytes, writeMask };
}

export class Msix {
  readonly capability: PciCapabilitySpec;
  /** The MMIO target for the BAR region holding the table and PBA. */
  readonly region: MmioDevice;
  readonly vectors: number;
  private readonly table: DataView;
  private readonly pending: Uint8Array;
  private readonly cfg: MsixConfig;
  private readonly badAccess: RateLimitedLog | undefined;
  /** The capability's Message Control word, as the function's configuration space holds it. */
  private readControl: () => number = () => 0;

  constructor(cfg: MsixConfig) {
    if (!Number.isInteger(cfg.vectors) || cfg.vectors < 1 || cfg.vectors > MSIX_MAX_VECTORS) {
      throw new RangeError(`${cfg.name}: MSI-X takes 1 to ${MSIX_MAX_VECTORS} vectors, not ${cfg.vectors}`);
    }
    if (cfg.tableOffset % 8 !== 0 || cfg.pbaOffset % 8 !== 0) throw new RangeError(`${cfg.name}: MSI-X table and PBA offsets must be 8-byte aligned`);
    const tableEnd = cfg.tableOffset + cfg.vectors * ENTRY_SIZE;
    const pbaEnd = cfg.pbaOffset + Math.ceil(cfg.vectors / 64) * 8;
    if (cfg.tableOffset < pbaEnd && cfg.pbaOffset < tableEnd) throw new RangeError(`${cfg.name}: the MSI-X table and PBA overlap`);
    this.cfg = cfg;
    this.vectors = cfg.vectors;
    this.table = new DataView(new ArrayBuffer(cfg.vectors * ENTRY_SIZE));
    this.pending = new Uint8Array(Math.ceil(cfg.vectors / 8));
    this.badAccess = cfg.log === undefined ? undefined : new RateLimitedLog(cfg.log);
    this.capability = msixCapability(cfg);
    const size = Math.max(tableEnd, pbaEnd);
    this.region = {
      name: `${cfg.name}-msix`,
      endian: 'little',
      maxAccessSize: 4,
      read: (offset, sz) => this.readRegion(offset, sz, size),
      write: (offset, sz, value) => this.writeRegion(offset, sz, value, size),
    };
    this.reset();
  }

  /** Connects the capability to the function's configuration space (its Message Control word). */
  bindControl(read: () => number): void {
    this.readControl = read;
  }

  get enabled(): boolean {
    return (this.readControl() & CTRL_ENABLE) !== 0;
  }

  private get functionMasked(): boolean {
    return (this.readControl() & CTRL_FUNCTION_MASK) !== 0;
  }

  /** Power-on state: every entry masked and zero, nothing pending. */
  reset(): void {
    for (let v = 0; v < this.vectors; v++) {
      this.table.setBigUint64(v * ENTRY_SIZE, 0n, true);
      this.table.setUint32(v * ENTRY_SIZE + 8, 0, true);
      this.table.setUint32(v * ENTRY_SIZE + 12, VECTOR_CTRL_MASKED, true);
    }
    this.pending.fill(0);
  }

  /**
   * The table and the pending bits, for the function's snapshot section (Enable and Function
   * Mask live in configuration space, which the bus saves).
   */
  saveState(w: StateWriter): void {
    w.bytes(new Uint8Array(this.table.buffer));
    w.bytes(this.pending);
  }

  /**
   * Restores them without sending anything: a saved function never holds a pending vector it
   * could deliver (unmasking delivers at once), so there is nothing to catch up on.
   */
  loadState(r: StateReader): void {
    const table = r.bytes(this.vectors * ENTRY_SIZE);
    if (table.length !== this.vectors * ENTRY_SIZE) throw new StateError(`${this.cfg.name}: an MSI-X table of ${table.length / ENTRY_SIZE} entries, this function has ${this.vectors}`);
    const control = new DataView(table.buffer);
    for (let v = 0; v < this.vectors; v++) {
      const c = control.getUint32(v * ENTRY_SIZE + 12, true);
      if ((c & ~VECTOR_CTRL_MASKED) !== 0) throw new StateError(`${this.cfg.name}: MSI-X vector ${v}'s control word 0x${c.toString(16)} has bits other than the mask`);
    }
    const pending = r.bytes(this.pending.length);
    if (pending.length !== this.pending.length) throw new StateError(`${this.cfg.name}: ${pending.length} bytes of MSI-X pending bits, this function has ${this.pending.length}`);
    const spare = this.vectors % 8 === 0 ? 0 : pending[pending.length - 1]! >> (this.vectors % 8);
    if (spare !== 0) throw new StateError(`${this.cfg.name}: MSI-X pending bits set past vector ${this.vectors - 1}`);
    new Uint8Array(this.table.buffer).set(table);
    this.pending.set(pending);
  }

  /**
   * The function signals `vector`: sent now, or left pending while masked. False when MSI-X
   * is disabled or the vector does not exist (the caller falls back to INTx or drops it).
   */
  notify(vector: number): boolean {
    if (!this.enabled || !Number.isInteger(vector) || vector < 0 || vector >= this.vectors) return false;
    if (this.functionMasked || this.entryMasked(vector)) {
      this.pending[vector >> 3] = this.pending[vector >> 3]! | (1 << (vector & 7));
      return true;
    }
    this.send(vector);
    return true;
  }

  /** Message Control was written (enable / function mask): pending unmasked vectors go out. */
  controlWritten(): void {
    this.deliverPending();
  }

  isPending(vector: number): boolean {
    return (this.pending[vector >> 3]! & (1 << (vector & 7))) !== 0;
  }

  entry(vector: number): { address: number; data: number; masked: boolean } {
    const at = vector * ENTRY_SIZE;
    return {
      address: Number(this.table.getBigUint64(at, true)),
      data: this.table.getUint32(at + 8, true),
      masked: this.entryMasked(vector),
    };
  }

  private entryMasked(vector: number): boolean {
    return (this.table.getUint32(vector * ENTRY_SIZE + 12, true) & VECTOR_CTRL_MASKED) !== 0;
  }

  private send(vector: number): void {
    const e = this.entry(vector);
    this.cfg.send(e.address, e.data);
  }

  private deliverPending(): void {
    if (!this.enabled || this.functionMasked) return;
    for (let v = 0; v < this.vectors; v++) {
      if (this.isPending(v) && !this.entryMasked(v)) {
        this.pending[v >> 3] = this.pending[v >> 3]! & ~(1 << (v & 7));
        this.send(v);
      }
    }
  }

  private readRegion(offset: number, size: number, regionSize: number): number {
    if (size !== 4 || offset % 4 !== 0 || offset >= regionSize) {
      this.report(`${size}-byte read at 0x${offset.toString(16)}`);
      return 0;
    }
    const t = offset - this.cfg.tableOffset;
    if (t >= 0 && t < this.vectors * ENTRY_SIZE) return this.table.getUint32(t, true);
    const p = offset - this.cfg.pbaOffset;
    if (p >= 0 && p < Math.ceil(this.vectors / 64) * 8) {
      let v = 0;
      for (let k = 3; k >= 0; k--) v = v * 256 + (this.pending[p + k] ?? 0);
      return v;
    }
    return 0;
  }

  private writeRegion(offset: number, size: number, value: number, regionSize: number): void {
    if (size !== 4 || offset % 4 !== 0 || offset >= regionSize) {
      this.report(`${size}-byte write at 0x${offset.toString(16)}`);
      return;
    }
    const t = offset - this.cfg.tableOffset;
    // The PBA is read-only; writes elsewhere in the region are ignored.
    if (t < 0 || t >= this.vectors * ENTRY_SIZE) return;
    const vector = Math.floor(t / ENTRY_SIZE);
    const wasMasked = this.entryMasked(vector);
    this.table.setUint32(t, value >>> 0, true);
    if (t % ENTRY_SIZE === 12) {
      // Only the mask bit of Vector Control is defined; the rest reads 0.
      this.table.setUint32(t, value & VECTOR_CTRL_MASKED, true);
      if (wasMasked && !this.entryMasked(vector)) this.deliverPending();
    }
  }

  private report(what: string): void {
    this.badAccess?.log(`ngkvm: ${this.cfg.name}: MSI-X table ${what} ignored (only aligned 32-bit accesses are defined)`);
  }
}
