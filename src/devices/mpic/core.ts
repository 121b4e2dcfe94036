/**
 * The MPIC's interrupt logic without its register map: sources, per-CPU priority, acknowledge
 * and end-of-interrupt, and the INT/CINT outputs. `OpenPic` decodes registers onto this.
 *
 * Semantics are those of QEMU 7.2's FSL MPIC v4.2 model, from its source and measured with
 * U-Boot's md/mw and small guests on `qemu-system-ppc -M ppce500 -smp 3`:
 * - The A (activity) bit of a vector/priority register reads 1 exactly while the source is
 *   pending and unmasked; being in service does not set it.
 * - A source whose IDR names several CPUs is presented to every one of them (QEMU's
 *   "directed" delivery; the distributed-delivery mode bit is not writable on v4.2), and a
 *   level source can then be acknowledged by each. IPIs and timers are multicast: each CPU
 *   in the mask gets its own copy and acknowledges it independently.
 * - IACK returns the highest-priority pending source above CTPR (lowest number on ties),
 *   even when a source of higher priority is already in service: in-service priority only
 *   gates the INT output. A level source stays pending after IACK, so a second IACK returns
 *   it again. With nothing deliverable IACK returns the spurious vector.
 * - EOI retires the highest-priority source in service of that CPU (lowest number on ties).
 * - Critical (ILR 1) and machine-check (ILR 2) routing bypass priority, IACK and EOI; CINT
 *   follows the level of the sources routed to it; the machine-check output is not wired on
 *   ppce500. An edge on a source routed there is a pulse the core never sees.
 * - IVPR[P] (polarity) is stored but ignored: board inputs are "asserted" levels. (Linux
 *   programs PCI INTx active-low; honouring P would invert them.)
 *
 * Deliberate differences. QEMU raises and lowers its outputs from cached per-CPU state that
 * can go stale; here the outputs are derived from the current state after every change:
 * - QEMU asserts INT after an EOI even if the next source is not above CTPR, and its IACK
 *   then returns the spurious vector and drops that edge source (`isa/mpic_ctpr`); here
 *   INT stays low and the source waits for CTPR to drop. IACK of a source below CTPR
 *   likewise returns the spurious vector without dropping it.
 * - When one CPU acknowledges an edge source sent to several CPUs, QEMU leaves it raised on
 *   the others, which then acknowledge the spurious vector; here it is withdrawn from them.
 * - An IDR or ILR write re-routes a pending source at once (QEMU waits for the source's next
 *   change, and can leave a level source raised for good on its old CPU).
 * Inputs:
 * - Switching an external source from edge to level re-reads its input (QEMU keeps an
 *   earlier latched edge pending while the line is low, and nothing ever clears it).
 * - An edge is latched on the input's rising transition (QEMU latches on every "assert"
 *   call, which its devices only make on changes).
 */

import { StateError, type StateReader, type StateWriter } from '../state.js';

export const IVPR_MSK = 0x80000000;
export const IVPR_A = 0x40000000;
export const IVPR_P = 0x00800000;
export const IVPR_S = 0x00400000;
const IVPR_PRIORITY = 0x000f0000;
const IVPR_VECTOR = 0x0000ffff;

/** Ordinary sources 0–255, then IPIs 0–3, then global timers 0–3. */
export const MPIC_SOURCES = 256;
export const MPIC_IPI_BASE = 256;
export const MPIC_TIMER_BASE = 260;
export const MPIC_NSRC = 264;
/** External sources (pins) are 0–15; 16–255 are internal and always level-sensitive. */
const FIRST_INTERNAL = 16;

/** Where a source is routed (ILR INTTGT). */
export const enum Output {
  Int = 0,
  Cint = 1,
  Mck = 2,
}

export interface MpicOutputs {
  /** INT output of CPU `cpu` (external input of the core). */
  setInt(cpu: number, level: boolean): void;
  /** CINT output of CPU `cpu` (critical input of the core). */
  setCint(cpu: number, level: boolean): void;
  /** External-proxy mode was entered or left (the cores then read vectors from SPR EPR). */
  setProxyMode(on: boolean): void;
}

type Kind = 'external' | 'internal' | 'special';

interface Source {
  readonly kind: Kind;
  /** Vector/priority register without the A bit. */
  ivpr: number;
  idr: number;
  /** CPUs still to be offered this source: IDR, or what IPI dispatch and acknowledges left. */
  destmask: number;
  output: Output;
  pending: boolean;
  /** Input as the board drives it (ordinary sources). */
  line: boolean;
}

interface CpuState {
  ctpr: number;
  /** Sources in service (a set: acknowledging one twice keeps one entry). */
  inService: number[];
  int: boolean;
  cint: boolean;
}

export class MpicCore {
  readonly cpuCount: number;
  private readonly src: Source[] = [];
  private readonly cpus: CpuState[];
  /** Sources that are pending and unmasked (A = 1), the only ones that can reach a CPU. */
  private readonly active = new Set<number>();
  private readonly outputs: MpicOutputs;
  svr = 0xffff;

  constructor(cpuCount: number, outputs: MpicOutputs) {
    this.cpuCount = cpuCount;
    this.outputs = outputs;
    this.cpus = Array.from({ length: cpuCount }, () => ({ ctpr: 15, inService: [], int: false, cint: false }));
    for (let n = 0; n < MPIC_NSRC; n++) {
      const kind: Kind = n >= MPIC_SOURCES ? 'special' : n >= FIRST_INTERNAL ? 'internal' : 'external';
      this.src.push({ kind, ivpr: 0, idr: 0, destmask: 0, output: Output.Int, pending: false, line: false });
    }
    this.reset();
  }

  /**
   * GCR reset (QEMU uses the same reset for machine reset). As measured on QEMU, a source's
   * pending state and its ILR routing survive; every IDR becomes CPU 0 except the IPIs',
   * which aim at no CPU until the next dispatch (QEMU 6.2 and later).
   */
  reset(): void {
    this.svr = 0xffff;
    this.active.clear();
    this.src.forEach((s, n) => {
      s.ivpr = IVPR_MSK | (s.kind === 'internal' ? IVPR_P : 0);
      s.idr = n >= MPIC_IPI_BASE && n < MPIC_TIMER_BASE ? 0 : 1;
      s.destmask = s.idr;
    });
    for (const c of this.cpus) {
      c.ctpr = 15;
      c.inService = [];
    }
    this.update();
  }

  private cpuMask(): number {
    return this.cpuCount >= 32 ? 0xffffffff : (1 << this.cpuCount) - 1;
  }

  private isLevel(s: Source): boolean {
    return s.kind === 'internal' || (s.kind === 'external' && (s.ivpr & IVPR_S) !== 0);
  }

  private priority(n: number): number {
    return (this.src[n]!.ivpr & IVPR_PRIORITY) >>> 16;
  }

  private refresh(n: number): void {
    const s = this.src[n]!;
    // An edge routed to CINT or the machine-check output is a pulse: nothing stays latched.
    if (s.output !== Output.Int && !this.isLevel(s)) s.pending = false;
    if (s.pending && (s.ivpr & IVPR_MSK) === 0) this.active.add(n);
    else this.active.delete(n);
  }

  // ---- inputs -----------------------------------------------------------------------------

  /** Input `n` (ordinary sources 0–255) is asserted or deasserted. */
  setInput(n: number, asserted: boolean): void {
    const s = this.src[n];
    if (s === undefined || s.kind === 'special') return;
    const rising = asserted && !s.line;
    s.line = asserted;
    if (this.isLevel(s)) s.pending = asserted;
    else if (rising) s.pending = true;
    this.refresh(n);
    this.update();
  }

  /** IPI dispatch: IPI `ipi` for every CPU in `mask` (bits beyond the CPUs are kept, as QEMU does). */
  dispatchIpi(ipi: number, mask: number): void {
    const n = MPIC_IPI_BASE + ipi;
    const s = this.src[n]!;
    s.destmask = (s.destmask | mask) >>> 0;
    s.pending = true;
    this.refresh(n);
    this.update();
  }

  /** Global timer `t` reached zero: its source fires for every CPU in its destination register. */
  timerExpired(t: number): void {
    const n = MPIC_TIMER_BASE + t;
    const s = this.src[n]!;
    s.destmask = s.idr;
    s.pending = true;
    this.refresh(n);
    this.update();
  }

  /** Whether another expiry of timer `t` would change anything (it would not while it is still pending for everyone). */
  timerExpiryMatters(t: number): boolean {
    const s = this.src[MPIC_TIMER_BASE + t]!;
    return !(s.pending && s.destmask === s.idr);
  }

  // ---- source registers -------------------------------------------------------------------

  readVpr(n: number): number {
    const s = this.src[n]!;
    return (s.ivpr | (this.active.has(n) ? IVPR_A : 0)) >>> 0;
  }

  writeVpr(n: number, value: number): void {
    const s = this.src[n]!;
    const wasLevel = this.isLevel(s);
    let v = value & (IVPR_MSK | IVPR_PRIORITY | IVPR_S | IVPR_P | IVPR_VECTOR);
    // Internal sources are level-only with S reading 0; IPIs and timers have neither S nor P.
    if (s.kind === 'internal') v &= ~IVPR_S;
    if (s.kind === 'special') v &= ~(IVPR_S | IVPR_P);
    s.ivpr = v >>> 0;
    if (this.isLevel(s) && !wasLevel) s.pending = s.line;
    this.refresh(n);
    this.update();
  }

  readDest(n: number): number {
    return this.src[n]!.idr;
  }

  /** IDR: one bit per CPU; v4.2 has no critical bits here (routing is in ILR), so they read 0. */
  writeDest(n: number, value: number): void {
    const s = this.src[n]!;
    s.idr = (value & this.cpuMask()) >>> 0;
    s.destmask = s.idr;
    this.update();
  }

  readRoute(n: number): number {
    return this.src[n]!.output;
  }

  /** ILR: 0 INT, 1 CINT, 2 machine check; returns false (and routes to INT) for other values, as QEMU does. */
  writeRoute(n: number, value: number): boolean {
    const t = value & 0xff;
    const s = this.src[n]!;
    s.output = t === 1 ? Output.Cint : t === 2 ? Output.Mck : Output.Int;
    this.refresh(n);
    this.update();
    return t <= 2;
  }

  // ---- per-CPU ------------------------------------------------------------------------------

  ctpr(cpu: number): number {
    return this.cpus[cpu]!.ctpr;
  }

  setCtpr(cpu: number, value: number): void {
    this.cpus[cpu]!.ctpr = value & 0xf;
    this.update();
  }

  /** Highest-priority source offered to `cpu` on INT (lowest number on ties), or -1. */
  private best(cpu: number): number {
    const bit = 1 << cpu;
    let best = -1;
    let bestPrio = -1;
    for (const n of this.active) {
      const s = this.src[n]!;
      if (s.output !== Output.Int || (s.destmask & bit) === 0) continue;
      const p = this.priority(n);
      if (p > bestPrio || (p === bestPrio && n < best)) {
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

  /** Interrupt acknowledge by `cpu`: the vector now in service, or the spurious vector. */
  acknowledge(cpu: number): number {
    const c = this.cpus[cpu]!;
    const n = this.best(cpu);
    if (n < 0 || this.priority(n) <= c.ctpr) return this.svr;
    const s = this.src[n]!;
    if (!c.inService.includes(n)) c.inService.push(n);
    if (s.kind === 'special') {
      // Each CPU takes its own copy; the source stays pending for the ones not served yet.
      s.destmask = (s.destmask & ~(1 << cpu)) >>> 0;
      s.pending = s.destmask !== 0;
    } else if (!this.isLevel(s)) {
      s.pending = false;
    }
    this.refresh(n);
    this.update();
    return s.ivpr & IVPR_VECTOR;
  }

  /** Ends the highest-priority interrupt in service on `cpu`; returns its source, or -1. */
  endOfInterrupt(cpu: number): number {
    const c = this.cpus[cpu]!;
    if (c.inService.length === 0) return -1;
    let idx = 0;
    for (let k = 1; k < c.inService.length; k++) {
      const a = c.inService[k]!;
      const b = c.inService[idx]!;
      if (this.priority(a) > this.priority(b) || (this.priority(a) === this.priority(b) && a < b)) idx = k;
    }
    const n = c.inService[idx]!;
    c.inService.splice(idx, 1);
    this.update();
    return n;
  }

  /** Sources (vector/priority, destinations, output, pending, input) and CPUs (CTPR, in service). */
  saveState(w: StateWriter): void {
    w.u32(this.svr);
    w.u32(this.src.length);
    for (const s of this.src) {
      w.u32(s.ivpr);
      w.u32(s.idr);
      w.u32(s.destmask);
      w.u8(s.output);
      w.bool(s.pending);
      w.bool(s.line);
    }
    w.u32(this.cpus.length);
    for (const c of this.cpus) {
      w.u8(c.ctpr);
      w.u32s(c.inService);
    }
  }

  loadState(r: StateReader): void {
    this.svr = r.u32();
    if (r.u32() !== this.src.length) throw new StateError('mpic: a different number of interrupt sources');
    for (const s of this.src) {
      s.ivpr = r.u32();
      s.idr = r.u32();
      s.destmask = r.u32();
      s.output = r.oneOf(r.u8(), [Output.Int, Output.Cint, Output.Mck], 'source output');
      s.pending = r.bool();
      s.line = r.bool();
    }
    const cpus = r.u32();
    if (cpus !== this.cpus.length) throw new StateError(`mpic: saved with ${cpus} CPUs, this machine has ${this.cpus.length}`);
    for (const c of this.cpus) {
      c.ctpr = r.u8() & 15;
      const inService = r.u32s(this.src.length);
      if (inService.some((n) => n >= this.src.length)) throw new StateError('mpic: a source in service that does not exist');
      c.inService = inService;
    }
    this.active.clear();
    for (let n = 0; n < this.src.length; n++) this.refresh(n);
    this.update();
  }

  /** Re-derives every CPU's INT and CINT and reports changes. */
  private update(): void {
    this.cpus.forEach((c, cpu) => {
      const b = this.best(cpu);
      const p = b < 0 ? -1 : this.priority(b);
      const int = b >= 0 && p > c.ctpr && p > this.servicePriority(cpu);
      let cint = false;
      const bit = 1 << cpu;
      for (const n of this.active) {
        const s = this.src[n]!;
        if (s.output === Output.Cint && (s.destmask & bit) !== 0) {
          cint = true;
          break;
        }
      }
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
}
