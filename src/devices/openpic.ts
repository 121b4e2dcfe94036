/**
 * Freescale MPIC (OpenPIC-compatible, v4.2 as on QEMU's ppce500 at CCSR+0x40000): interrupt
 * sources with vector/priority registers, per-CPU priority, acknowledge and end-of-interrupt,
 * inter-processor interrupts, MSI groups and external-proxy ("coreint") mode.
 *
 * Outputs are levels per CPU: INT (external input) and CINT (critical input). The model
 * follows the MPIC reference manual where QEMU's openpic loses a source whose priority falls
 * below CTPR while it is raised; guests see the same behaviour otherwise.
 */
import type { MmioDevice } from './bus.js';

const IVPR_MSK = 0x80000000;
const IVPR_A = 0x40000000;
const IVPR_P = 0x00800000;
const IVPR_S = 0x00400000;
const IVPR_WRITABLE = IVPR_MSK | IVPR_P | IVPR_S | 0x000f0000 | 0xffff;
const GCR_RESET = 0x80000000;
const GCR_MODE = 0x60000000;
export const GCR_MODE_PROXY = 0x60000000;

/** 256 ordinary sources, then 4 IPIs, then 4 global timers. */
export const MPIC_IPI_BASE = 256;
export const MPIC_TIMER_BASE = 260;
const NSRC = 264;
const MSI_BASE = 224;
const FIRST_INTERNAL = 16;
const BRR1 = 0x00400402;
/** QEMU's FSL MPIC 4.2 reports 196 sources in FRR. */
const FRR_SOURCES = 196;

export interface MpicOutputs {
  /** INT output of CPU `cpu` (external input of the core). */
  setInt(cpu: number, level: boolean): void;
  /** CINT output of CPU `cpu` (critical input of the core). */
  setCint(cpu: number, level: boolean): void;
  /** External-proxy mode was entered or left (the cores then read vectors from SPR EPR). */
  setProxyMode(on: boolean): void;
}

interface Source {
  ivpr: number;
  idr: number;
  ilr: number;
  /** Input line level (after polarity) for ordinary sources. */
  line: boolean;
  /** Latched request (edge sources) or line-derived request (level sources). */
  pending: boolean;
}

interface CpuState {
  ctpr: number;
  /** Sources in service, most recently acknowledged last. */
  inService: number[];
  /** IPI requests pending for this CPU (bit n = IPI n). */
  ipiPending: number;
  int: boolean;
  cint: boolean;
}

export class OpenPic implements MmioDevice {
  readonly name = 'mpic';
  readonly endian = 'big' as const;
  readonly maxAccessSize = 4 as const;
  /** CPU that performs the current MMIO access (set by the board before dispatching). */
  currentCpu = 0;
  private readonly cpus: CpuState[];
  private readonly src: Source[] = [];
  private gcr = 0;
  private svr = 0xffff;
  private tfrr = 0;
  private readonly msir = new Uint32Array(8);
  private readonly timerBase = new Uint32Array(4);
  private readonly outputs: MpicOutputs;

  constructor(cpuCount: number, outputs: MpicOutputs) {
    this.outputs = outputs;
    this.cpus = Array.from({ length: cpuCount }, () => ({ ctpr: 15, inService: [], ipiPending: 0, int: false, cint: false }));
    for (let n = 0; n < NSRC; n++) this.src.push({ ivpr: 0, idr: 0, ilr: 0, line: false, pending: false });
    this.reset();
  }

  get proxyMode(): boolean {
    return (this.gcr & GCR_MODE) === GCR_MODE_PROXY;
  }

  reset(): void {
    const wasProxy = this.proxyMode;
    this.gcr = 0;
    this.svr = 0xffff;
    this.tfrr = 0;
    this.msir.fill(0);
    this.timerBase.fill(0x80000000);
    this.src.forEach((s, n) => {
      // Internal sources are level-sensitive, active high; external ones start as edge.
      s.ivpr = IVPR_MSK | (n >= FIRST_INTERNAL && n < MPIC_IPI_BASE ? IVPR_P | IVPR_S : 0);
      s.idr = 1;
      s.ilr = 0;
      s.pending = n < MPIC_IPI_BASE && this.isLevel(n) ? s.line : false;
    });
    for (const c of this.cpus) {
      c.ctpr = 15;
      c.inService = [];
      c.ipiPending = 0;
    }
    this.update();
    if (wasProxy) this.outputs.setProxyMode(false);
  }

  /** Input line `n` (ordinary sources 0–255) changes level. */
  setLine(n: number, level: boolean): void {
    const s = this.src[n];
    if (s === undefined || n >= MPIC_IPI_BASE) return;
    const active = level === ((s.ivpr & IVPR_P) !== 0 || n >= FIRST_INTERNAL);
    const was = s.line;
    s.line = active;
    if (this.isLevel(n)) s.pending = active;
    else if (active && !was) s.pending = true;
    this.update();
  }

  private isLevel(n: number): boolean {
    if (n >= MPIC_IPI_BASE) return false;
    return n >= FIRST_INTERNAL || (this.src[n]!.ivpr & IVPR_S) !== 0;
  }

  private priority(n: number): number {
    return (this.src[n]!.ivpr >>> 16) & 0xf;
  }

  private requested(n: number, cpu: number): boolean {
    const s = this.src[n]!;
    if ((s.ivpr & IVPR_MSK) !== 0) return false;
    if (n >= MPIC_IPI_BASE && n < MPIC_TIMER_BASE) return (this.cpus[cpu]!.ipiPending & (1 << (n - MPIC_IPI_BASE))) !== 0;
    return s.pending && (s.idr & (1 << cpu)) !== 0;
  }

  /** Highest-priority requested INT source for `cpu` (lowest number on ties), or -1. */
  private best(cpu: number): number {
    let best = -1;
    let bestPrio = -1;
    for (let n = 0; n < NSRC; n++) {
      if (this.src[n]!.ilr !== 0 || !this.requested(n, cpu)) continue;
      const p = this.priority(n);
      if (p > bestPrio) {
        best = n;
        bestPrio = p;
      }
    }
    return best;
  }

  private servicePriority(cpu: number): number {
    let p = -1;
    for (const n of this.cpus[cpu]!.inService) p = Math.max(p, this.priority(n));
    return p;
  }

  /** Re-evaluates every CPU's outputs and the activity bits. */
  private update(): void {
    for (let n = 0; n < NSRC; n++) {
      const s = this.src[n]!;
      const inService = this.cpus.some((c) => c.inService.includes(n));
      const pending = n >= MPIC_IPI_BASE && n < MPIC_TIMER_BASE ? this.cpus.some((c) => (c.ipiPending & (1 << (n - MPIC_IPI_BASE))) !== 0) : s.pending;
      s.ivpr = pending || inService ? s.ivpr | IVPR_A : s.ivpr & ~IVPR_A;
    }
    this.cpus.forEach((c, cpu) => {
      const b = this.best(cpu);
      const int = b >= 0 && this.priority(b) > c.ctpr && this.priority(b) > this.servicePriority(cpu);
      let cint = false;
      for (let n = 0; n < NSRC && !cint; n++) cint = this.src[n]!.ilr === 1 && this.requested(n, cpu);
      if (int !== c.int) {
        c.int = int;
        this.outputs.setInt(cpu, int);
      }
      if (cint !== c.cint) {
        c.cint = cint;
        this.outputs.setCint(cpu, cint);
      }
    });
  }

  /** Interrupt acknowledge for `cpu`: the vector of the source now in service, or the spurious vector. */
  acknowledge(cpu: number): number {
    const c = this.cpus[cpu]!;
    const b = this.best(cpu);
    if (b < 0 || this.priority(b) <= c.ctpr || this.priority(b) <= this.servicePriority(cpu)) {
      return this.svr & 0xffff;
    }
    c.inService.push(b);
    if (b >= MPIC_IPI_BASE && b < MPIC_TIMER_BASE) c.ipiPending &= ~(1 << (b - MPIC_IPI_BASE));
    else if (!this.isLevel(b)) this.src[b]!.pending = false;
    const vector = this.src[b]!.ivpr & 0xffff;
    this.update();
    return vector;
  }

  private endOfInterrupt(cpu: number): void {
    const c = this.cpus[cpu]!;
    if (c.inService.length === 0) return;
    // Retire the highest-priority source in service.
    let idx = 0;
    for (let k = 1; k < c.inService.length; k++) {
      if (this.priority(c.inService[k]!) > this.priority(c.inService[idx]!)) idx = k;
    }
    c.inService.splice(idx, 1);
    this.update();
  }

  // ---- register file -------------------------------------------------------------------

  read(offset: number, size: number): number {
    if (size !== 4) return 0;
    if (offset >= 0x20000 && offset < 0x20000 + 0x1000 * this.cpus.length) {
      return this.readCpu((offset - 0x20000) >>> 12, offset & 0xfff);
    }
    if (offset >= 0x10000 && offset < 0x10000 + 0x20 * 256) return this.readSource((offset - 0x10000) >>> 5, offset & 0x1f);
    if (offset < 0x1000) return offset === 0 ? BRR1 : this.readCpu(this.currentCpu, offset);
    switch (offset) {
      case 0x1000:
        return ((FRR_SOURCES - 1) << 16) | ((this.cpus.length - 1) << 8) | 2;
      case 0x1020:
        return this.gcr;
      case 0x1080:
        return 0;
      case 0x1090:
        return 0;
      case 0x10e0:
        return this.svr;
      case 0x10f0:
        return this.tfrr;
      case 0x1720: {
        let v = 0;
        for (let g = 0; g < 8; g++) if (this.msir[g] !== 0) v |= 1 << g;
        return v;
      }
      default:
        break;
    }
    if (offset >= 0x10a0 && offset < 0x10e0 && (offset & 0xf) === 0) return this.src[MPIC_IPI_BASE + ((offset - 0x10a0) >>> 4)]!.ivpr >>> 0;
    if (offset >= 0x1100 && offset < 0x1200) return this.readTimer((offset - 0x1100) >>> 6, offset & 0x3f);
    if (offset >= 0x1600 && offset < 0x1680 && (offset & 0xf) === 0) {
      // Reading MSIR n returns and clears the group's pending bits.
      const g = (offset - 0x1600) >>> 4;
      const v = this.msir[g]!;
      this.msir[g] = 0;
      this.setLine(MSI_BASE + g, false);
      return v;
    }
    return 0;
  }

  write(offset: number, size: number, value: number): void {
    if (size !== 4) return;
    const v = value >>> 0;
    if (offset >= 0x20000 && offset < 0x20000 + 0x1000 * this.cpus.length) {
      this.writeCpu((offset - 0x20000) >>> 12, offset & 0xfff, v);
      return;
    }
    if (offset >= 0x10000 && offset < 0x10000 + 0x20 * 256) {
      this.writeSource((offset - 0x10000) >>> 5, offset & 0x1f, v);
      return;
    }
    if (offset < 0x1000) {
      this.writeCpu(this.currentCpu, offset, v);
      return;
    }
    switch (offset) {
      case 0x1020:
        if ((v & GCR_RESET) !== 0) this.reset();
        else {
          const was = this.proxyMode;
          this.gcr = v & GCR_MODE;
          if (was !== this.proxyMode) this.outputs.setProxyMode(this.proxyMode);
        }
        return;
      case 0x1090:
        // Processor initialisation: the core reset outputs are not wired on this board.
        return;
      case 0x10e0:
        this.svr = v & 0xffff;
        return;
      case 0x10f0:
        this.tfrr = v;
        return;
      case 0x1740: {
        // MSIIR: group in bits 31..29, bit number in 28..24.
        const g = v >>> 29;
        this.msir[g] = (this.msir[g]! | (1 << ((v >>> 24) & 0x1f))) >>> 0;
        this.setLine(MSI_BASE + g, true);
        return;
      }
      default:
        break;
    }
    if (offset >= 0x10a0 && offset < 0x10e0 && (offset & 0xf) === 0) {
      const s = this.src[MPIC_IPI_BASE + ((offset - 0x10a0) >>> 4)]!;
      s.ivpr = (s.ivpr & IVPR_A) | (v & (IVPR_MSK | 0x000f0000 | 0xffff));
      this.update();
      return;
    }
    if (offset >= 0x1100 && offset < 0x1200) this.writeTimer((offset - 0x1100) >>> 6, offset & 0x3f, v);
  }

  private readCpu(cpu: number, reg: number): number {
    const c = this.cpus[cpu];
    if (c === undefined) return 0;
    switch (reg) {
      case 0x80:
        return c.ctpr;
      case 0x90:
        return cpu;
      case 0xa0:
        return this.acknowledge(cpu);
      default:
        return 0;
    }
  }

  private writeCpu(cpu: number, reg: number, v: number): void {
    const c = this.cpus[cpu];
    if (c === undefined) return;
    if (reg >= 0x40 && reg <= 0x70 && (reg & 0xf) === 0) {
      // IPI dispatch: raise IPI n on every CPU in the mask.
      const ipi = (reg - 0x40) >>> 4;
      this.cpus.forEach((t, k) => {
        if ((v & (1 << k)) !== 0) t.ipiPending |= 1 << ipi;
      });
      this.update();
    } else if (reg === 0x80) {
      c.ctpr = v & 0xf;
      this.update();
    } else if (reg === 0xb0) {
      this.endOfInterrupt(cpu);
    }
  }

  private readSource(n: number, reg: number): number {
    const s = this.src[n]!;
    if (reg === 0x00) return s.ivpr >>> 0;
    if (reg === 0x10) return s.idr;
    if (reg === 0x18) return s.ilr;
    return 0;
  }

  private writeSource(n: number, reg: number, v: number): void {
    const s = this.src[n]!;
    if (reg === 0x00) {
      let ivpr = (s.ivpr & IVPR_A) | (v & IVPR_WRITABLE);
      // Internal sources are always level-sensitive and active high.
      if (n >= FIRST_INTERNAL && n < MPIC_IPI_BASE) ivpr |= IVPR_P | IVPR_S;
      s.ivpr = ivpr;
      if (this.isLevel(n)) s.pending = s.line;
    } else if (reg === 0x10) {
      s.idr = v & ((1 << this.cpus.length) - 1);
    } else if (reg === 0x18) {
      s.ilr = v & 3;
    }
    this.update();
  }

  private readTimer(t: number, reg: number): number {
    const n = MPIC_TIMER_BASE + t;
    switch (reg) {
      case 0x00:
        return this.timerBase[t]! & 0x7fffffff;
      case 0x10:
        return this.timerBase[t]!;
      case 0x20:
        return this.src[n]!.ivpr >>> 0;
      case 0x30:
        return this.src[n]!.idr;
      default:
        return 0;
    }
  }

  private writeTimer(t: number, reg: number, v: number): void {
    const n = MPIC_TIMER_BASE + t;
    if (reg === 0x10) this.timerBase[t] = v;
    else if (reg === 0x20) this.writeSource(n, 0, v);
    else if (reg === 0x30) this.writeSource(n, 0x10, v);
  }
}
