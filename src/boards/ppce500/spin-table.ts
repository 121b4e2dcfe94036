/**
 * The ePAPR spin table QEMU's ppce500 provides at 0xF_EF00_0000 ("e500 spin pv device"):
 * one 32-byte slot per CPU, big-endian: addr (u64, odd = keep spinning), r3 (u64), a
 * reserved word, pir (u32), a reserved doubleword. Secondary CPUs stay stopped until software
 * writes an even `addr` into their slot; the CPU then starts at `addr` (within a 64 MiB
 * identity-style mapping QEMU installs in TLB1[1]) with r3 from the slot, as ePAPR says.
 *
 * This is board logic, not a device a real SoC has, so it lives with the board and starts
 * vCPUs through the hypervisor API.
 */
import type { MmioDevice } from '../../devices/bus.js';
import { StateError, type DeviceState, type StateReader, type StateWriter } from '../../devices/state.js';

export const SPIN_TABLE_BASE = 0xf_ef00_0000;
export const SPIN_SLOT_SIZE = 0x20;
export const SPIN_MAX_CPUS = 32;
export const SPIN_TABLE_SIZE = SPIN_SLOT_SIZE * SPIN_MAX_CPUS;
/** Size of the mapping the released CPU gets (and its r7). */
export const SPIN_MAP_SIZE = 64 * 1024 * 1024;

export interface SpinRelease {
  readonly cpu: number;
  /** Start address (a 64 MiB-aligned window base plus the offset of the entry point). */
  readonly addr: bigint;
  readonly r3: bigint;
}

export class SpinTable implements MmioDevice, DeviceState {
  readonly name = 'spin-table';
  readonly stateId = 'spin-table';
  readonly stateVersion = 1;
  readonly endian = 'big' as const;
  readonly maxAccessSize = 4 as const;
  private readonly bytes = new Uint8Array(SPIN_TABLE_SIZE);
  private readonly view = new DataView(this.bytes.buffer);
  private readonly cpuCount: number;
  /** Called when software releases a secondary CPU; returns that CPU's PIR for the slot. */
  private readonly release: (r: SpinRelease) => number;

  constructor(cpuCount: number, release: (r: SpinRelease) => number) {
    this.cpuCount = cpuCount;
    this.release = release;
    this.reset();
  }

  reset(): void {
    this.bytes.fill(0);
    for (let n = 0; n < SPIN_MAX_CPUS; n++) {
      const o = n * SPIN_SLOT_SIZE;
      this.view.setBigUint64(o, 1n);
      this.view.setBigUint64(o + 8, BigInt(n));
      this.view.setUint32(o + 0x14, n);
    }
  }

  /** The slots as software left them; released CPUs are the vCPUs' own state (MP state, PC). */
  saveState(w: StateWriter): void {
    w.bytes(this.bytes);
  }

  loadState(r: StateReader): void {
    const b = r.bytes(SPIN_TABLE_SIZE);
    if (b.length !== SPIN_TABLE_SIZE) throw new StateError(`spin-table: ${b.length} bytes, the table has ${SPIN_TABLE_SIZE}`);
    this.bytes.set(b);
  }

  read(offset: number, size: number): number {
    if (offset + size > SPIN_TABLE_SIZE) return 0;
    return size === 1 ? this.view.getUint8(offset) : size === 2 ? this.view.getUint16(offset) : this.view.getUint32(offset);
  }

  write(offset: number, size: number, value: number): void {
    if (offset + size > SPIN_TABLE_SIZE) return;
    const cpu = Math.floor(offset / SPIN_SLOT_SIZE);
    // The boot CPU's slot is read-only; slots of CPUs that do not exist too.
    if (cpu === 0 || cpu >= this.cpuCount) return;
    if (size === 1) this.view.setUint8(offset, value);
    else if (size === 2) this.view.setUint16(offset, value);
    else this.view.setUint32(offset, value);
    const o = cpu * SPIN_SLOT_SIZE;
    const addr = this.view.getBigUint64(o);
    if ((addr & 1n) !== 0n) return;
    const pir = this.release({ cpu, addr, r3: this.view.getBigUint64(o + 8) });
    this.view.setUint32(o + 0x14, pir >>> 0);
  }
}
