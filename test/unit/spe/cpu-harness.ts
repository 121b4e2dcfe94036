/**
 * A software e500v2 vCPU built the way the hypervisor builds one, with 64 KiB of RAM at
 * physical and effective address 0 (one TLB1 entry), for running single instructions
 * through the decoder.
 */
import type { GuestPhysAddr, MemoryBacking } from '../../../src/api/memory.js';
import { Cpu } from '../../../src/accel/e500/cpu.js';
import { Decoder } from '../../../src/accel/e500/insn/decoder.js';
import { CPU_MODELS, FAMILY_TRAITS, MSR } from '../../../src/accel/e500/models.js';
import { PhysMap } from '../../../src/accel/e500/phys-map.js';
import { HostClock } from '../../../src/accel/e500/timers.js';
import { MAS1_V, MAS3_SR, MAS3_SW, MAS3_SX } from '../../../src/accel/e500/tlb.js';
import { evx } from './encoding.js';

export const RAM_BYTES = 0x10000;

export interface Fault {
  ivor: number;
  esr: number | undefined;
  dear: number | undefined;
  /** SRR0 would point after the instruction (post-completion interrupt). */
  after: boolean;
}

export class Harness {
  readonly cpu: Cpu;
  readonly decoder: Decoder;
  readonly ram: Uint8Array;

  constructor() {
    const buffer = new ArrayBuffer(RAM_BYTES);
    const bytes = new Uint8Array(buffer);
    const backing: MemoryBacking = { id: 900, name: 'test-ram', size: RAM_BYTES, bytes, view: new DataView(buffer), chunks: [bytes], chunkBytes: RAM_BYTES };
    this.ram = backing.bytes;
    const phys = new PhysMap([{ guestAddr: 0 as GuestPhysAddr, size: RAM_BYTES, backing, offset: 0 }], 0);
    const model = CPU_MODELS.get('e500v2_v30')!;
    this.cpu = new Cpu({ model, vcpuId: 0, phys, clock: new HostClock(), timebaseHz: 100_000_000, features: new Set() });
    this.decoder = new Decoder('e500v2', FAMILY_TRAITS.e500v2, new Set());
    // TLB1 entry 0: EA 0 → PA 0, 64 KiB (TSIZE 3), supervisor read/write/execute.
    this.cpu.mmu.tlb.write(this.cpu.mmu.tlb.tlb1Index(0), (MAS1_V | (3 << 8)) >>> 0, 0, MAS3_SR | MAS3_SW | MAS3_SX, 0, 0);
    this.cpu.setMsr(MSR.SPE);
  }

  set64(n: number, hi: number, lo: number): void {
    this.cpu.gprHigh[n] = hi | 0;
    this.cpu.gpr[n] = lo | 0;
  }

  setBig(n: number, v: bigint): void {
    this.set64(n, Number((v >> 32n) & 0xffffffffn), Number(v & 0xffffffffn));
  }

  /** [hi, lo] as unsigned numbers. */
  get64(n: number): [number, number] {
    return [this.cpu.gprHigh[n]! >>> 0, this.cpu.gpr[n]! >>> 0];
  }

  getBig(n: number): bigint {
    const [hi, lo] = this.get64(n);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  get acc(): bigint {
    return (BigInt(this.cpu.accHi >>> 0) << 32n) | BigInt(this.cpu.accLo >>> 0);
  }

  set acc(v: bigint) {
    this.cpu.accHi = Number((v >> 32n) & 0xffffffffn) | 0;
    this.cpu.accLo = Number(v & 0xffffffffn) | 0;
  }

  get spefscr(): number {
    return this.cpu.spr[512]!;
  }

  set spefscr(v: number) {
    this.cpu.spr[512] = v >>> 0;
  }

  /** Runs one instruction word; returns the interrupt it raised, if any. */
  runWord(word: number): Fault | null {
    const insn = this.decoder.decode(word);
    const c = this.cpu;
    c.faultIvor = -1;
    c.stop = 0;
    if (insn.fn(c, insn) !== 1) return null;
    c.stop = 0;
    return { ivor: c.faultIvor, esr: c.faultSetsEsr ? c.faultEsr >>> 0 : undefined, dear: c.faultSetsDear ? c.faultDear >>> 0 : undefined, after: c.faultAfter };
  }

  /** Runs `name rD,rA,rB` (fields as numbers; immediates go in the field they use). */
  run(name: string, d: number, a: number, b: number): Fault | null {
    return this.runWord(evx(name, d, a, b));
  }
}
