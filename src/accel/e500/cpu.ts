/**
 * The e500 vCPU's hot state: what the interpreter and the region translator's generated code
 * read and write per instruction — GPRs, CR fields, XER bits, LR/CTR/PC, MSR, SPRs, SPE
 * halves and ACC, the software-TLB arrays and the RAM view the inlined loads and stores go
 * through, and the stop/fault record an instruction leaves — plus the load/store helpers and
 * their slow paths.
 *
 * Why it is split: V8 turns `c.field` into one load only while `c` has one stable shape, so
 * every field touched per instruction must be a direct property of this one object (generated
 * code names them; see translator.ts and shapes.ts). Behaviour and state that are not on that
 * path live in collaborators the Cpu owns, one per concern, each testable alone:
 *   - `mmu` (mmu.ts): architected TLB, PIDs, misses, and everything that fills or flushes the
 *     software-TLB arrays kept here;
 *   - `irq` (irq.ts): input lines, doorbells, delivery and interrupt entry; it maintains
 *     `irqReady`, the one flag the run loop checks per block;
 *   - `exit` (exit-protocol.ts): the exit records, the exit in flight, and the MMIO log that
 *     replays an instruction which exited; it sets `stop`;
 *   - `timers` (timers.ts): TB, DEC, FIT and watchdog.
 *
 * Nothing here throws: a fault, an exit to the VMM or a change of decoded code is recorded in
 * the Cpu (`stop`, `resync`) and the caller checks after the call that may have caused it
 * (generated instruction code checks only on its slow paths).
 *
 * Guest effective addresses, PC, LR and CTR are int32 (signed) here: kernel addresses above
 * 2 GiB would otherwise be heap numbers in V8. They are unsigned only at the API boundary
 * (registers.ts) and where they are compared with TLB entries (slow paths).
 *
 * Fast paths are written for V8: typed arrays, monomorphic objects, no allocation. A store
 * takes the fast path only through a software-TLB write entry, and such an entry is created
 * only for a page that holds no decoded code and needs no dirty logging (or is already
 * dirty); everything else goes through the slow path. Dirty logging therefore costs nothing
 * while it is off.
 */
import { hostLogLine } from '../../api/host-env.js';
import { FpuState } from './fpu/state.js';
import { ESR, Ivor } from './interrupts.js';
import { FAMILY_TRAITS, MSR, type CpuModel, type FamilyTraits } from './models.js';
import type { PhysMap } from './phys-map.js';
import { BookeTimers, type VirtualClock } from './timers.js';
import { sprTable, type SprDef } from './spr.js';
import { CodeCache, type CodePage } from './code-cache.js';
import { checkDac, updateDebugState, type HostWatchpoint } from './debug.js';
import { STOP_FAULT } from './stop.js';
import { ExitProtocol } from './exit-protocol.js';
import { Mmu } from './mmu.js';
import { CpuInterrupts } from './irq.js';
import { settle, settleField } from './shapes.js';

/** log2 of the software-TLB entries per translation mode. */
export const STLB_BITS = 10;
export const STLB_SIZE = 1 << STLB_BITS;
export const STLB_MASK = STLB_SIZE - 1;
/** Four translation modes (MSR[PR] × address space), each with its own software TLB slice. */
export const STLB_TOTAL = STLB_SIZE * 4;

export const SPR = {
  XER: 1,
  LR: 8,
  CTR: 9,
  DEC: 22,
  SRR0: 26,
  SRR1: 27,
  PID0: 48,
  DECAR: 54,
  CSRR0: 58,
  CSRR1: 59,
  DEAR: 61,
  ESR: 62,
  IVPR: 63,
  USPRG0: 256,
  TBL_R: 268,
  TBU_R: 269,
  SPRG0: 272,
  TBL_W: 284,
  TBU_W: 285,
  PIR: 286,
  PVR: 287,
  DBSR: 304,
  EPCR: 307,
  DBCR0: 308,
  DBCR1: 309,
  DBCR2: 310,
  IAC1: 312,
  IAC2: 313,
  DAC1: 316,
  DAC2: 317,
  TSR: 336,
  TCR: 340,
  MAS5: 339,
  MAS8: 341,
  SPEFSCR: 512,
  L1CFG0: 515,
  L1CFG1: 516,
  MCSRR0: 570,
  MCSRR1: 571,
  MCSR: 572,
  MCAR: 573,
  DSRR0: 574,
  DSRR1: 575,
  MAS0: 624,
  MAS1: 625,
  MAS2: 626,
  MAS3: 627,
  MAS4: 628,
  MAS6: 630,
  PID1: 633,
  PID2: 634,
  TLB0CFG: 688,
  TLB1CFG: 689,
  EPR: 702,
  MAS7: 944,
  HID0: 1008,
  HID1: 1009,
  L1CSR0: 1010,
  L1CSR1: 1011,
  MMUCSR0: 1012,
  MMUCFG: 1015,
  SVR: 1023,
} as const;

export const HID0 = {
  DOZE: 0x00800000,
  NAP: 0x00400000,
  SLEEP: 0x00200000,
  EN_MAS7_UPDATE: 0x00000080,
} as const;

/** Per-vCPU counters; plain fields so the hot paths can bump them cheaply. */
export class CpuCounters {
  instructions = 0;
  blocksTranslated = 0;
  /** Regions translated to JS functions. */
  regionsTranslated = 0;
  interrupts = 0;
  emulationFailures = 0;
  tlbMisses = 0;
  mmio = 0;
  dcr = 0;
  hypercalls = 0;
  halts = 0;
  /** `b .` loops turned into halts (see Block.idleLoop). */
  idleLoops = 0;
}

export class Cpu {
  readonly model: CpuModel;
  readonly traits: FamilyTraits;
  readonly vcpuId: number;

  // ---- architected state -------------------------------------------------------------
  readonly gpr = new Int32Array(32);
  /** Address of the next instruction to execute (outside a block); int32. */
  pc = 0;
  /** Inside an interpreted block: where execution continues after it; branches write it. */
  npc = 0;
  /** Effective address of the first instruction of the current interpreted block. */
  blockEa = 0;
  /** CR as eight 4-bit fields, CR0 first (the translator keeps each in a local). */
  readonly crf = new Int32Array(8);
  /** int32 */
  lr = 0;
  /** int32 */
  ctr = 0;
  xerSO = 0;
  xerOV = 0;
  xerCA = 0;
  /** XER bits other than SO/OV/CA (byte count and reserved bits, kept as written). */
  xerRest = 0;
  msr = 0;
  /** SPRs without side effects live here, indexed by SPR number. */
  readonly spr = new Uint32Array(1024);
  resvValid = false;
  resvAddr = 0;
  readonly fpu: FpuState;
  /** SPE upper halves of the 64-bit GPRs (e500v2). */
  readonly gprHigh = new Int32Array(32);
  /** SPE 64-bit accumulator, high and low words (e500v2). */
  accHi = 0;
  accLo = 0;
  /** Room for helpers that must read everything before writing any register (lmw). */
  readonly scratch = new Int32Array(32);

  // ---- MMU ---------------------------------------------------------------------------
  /** The architected TLB, PIDs, misses and everything that fills or flushes the arrays below (mmu.ts). */
  readonly mmu: Mmu;

  // ---- software TLB (translation cache) ------------------------------------------------
  /** Offset of the current data / instruction translation mode's slice in the arrays below. */
  dmode = 0;
  imode = 0;
  /**
   * Fast-path entries cover pages of the primary RAM backing (`ram`) only; the addend turns
   * an effective address into an offset in it with 32-bit integer arithmetic:
   * `(add[i] + ea) | 0`. Pages of other backings or beyond 2 GiB take the slow path.
   */
  readonly rTag = new Int32Array(STLB_TOTAL).fill(-1);
  readonly rAdd = new Int32Array(STLB_TOTAL);
  readonly wTag = new Int32Array(STLB_TOTAL).fill(-1);
  readonly wAdd = new Int32Array(STLB_TOTAL);
  readonly xTag = new Int32Array(STLB_TOTAL).fill(-1);
  readonly xPage: (CodePage | undefined)[] = new Array<CodePage | undefined>(STLB_TOTAL).fill(undefined);
  /**
   * The architected TLB entry each cached translation came from, so that when the VMM
   * changes a few entries of the shared array (dirtyTlb) only their translations are dropped.
   */
  readonly rSrc = new Int32Array(STLB_TOTAL);
  readonly wSrc = new Int32Array(STLB_TOTAL);
  readonly xSrc = new Int32Array(STLB_TOTAL);

  // ---- physical memory ----------------------------------------------------------------
  /** The backing of the largest RAM region: the one the load/store fast paths address (set by mmu.setPhysMap). */
  ram: DataView = new DataView(new ArrayBuffer(8));
  /** Decoded code, shared by every vCPU of the VM so that stores invalidate it for all. */
  readonly code: CodeCache;

  // ---- interrupts and timers -----------------------------------------------------------
  readonly timers: BookeTimers;
  /** Lines, doorbells, delivery and interrupt entry (irq.ts). */
  readonly irq: CpuInterrupts;
  /** Deliverable now: recomputed (irq.update) whenever MSR, TSR/TCR or lines change. */
  irqReady = false;
  halted = false;
  /** Powered off / held by the board (KVM_MP_STATE_STOPPED): runs only when started. */
  stopped = false;

  // ---- faults and exits in flight --------------------------------------------------------
  /**
   * Non-zero when the current instruction must not go on: a fault (STOP_FAULT, described by
   * the fault* fields) or an exit to the VMM (STOP_EXIT, `exit.pending`). Set by `fault`,
   * `systemCall`, `exit.to`; cleared by the engine once it has handled it.
   */
  stop = 0;
  /**
   * A store changed decoded code: the current instruction completes, then the block ends so
   * that execution continues with freshly decoded instructions.
   */
  resync = 0;
  faultIvor = -1;
  faultEsr = 0;
  faultDear = 0;
  faultSetsDear = false;
  faultSetsEsr = false;
  /** System call style: SRR0 points after the instruction. */
  faultAfter = false;
  /** Instructions must run one at a time with debug checks (see debug.ts). */
  debugStepping = false;
  /** DAC compares are armed: data accesses take the slow path. */
  dacActive = false;
  /** Host (VMM) single-step request through the API (setGuestDebug). */
  hostSingleStep = false;
  /** Host (VMM) hardware instruction breakpoints (effective addresses). */
  hostBreakpoints: readonly number[] = [];
  /** Host (VMM) watchpoints; any of them puts every data access on the slow path. */
  hostWatchpoints: readonly HostWatchpoint[] = [];
  /** The software-breakpoint instruction exits to the VMM instead of being illegal. */
  hostSwBreakpoints = false;
  /** A host watchpoint the current instruction hit (reported once the instruction is done). */
  hostWatchHit = -1;
  /** A breakpoint at this address was just reported: the next instruction runs past it once. */
  hostResumeAt = -1;
  /** Instructions the engine may still run before it checks timers and kicks (regions use it). */
  left = 0;

  /** Exit records, the exit in flight and the MMIO replay log (exit-protocol.ts). */
  readonly exit: ExitProtocol;

  readonly features: ReadonlySet<string>;
  /** SPR behaviour table of this core family. */
  readonly sprs: readonly (SprDef | undefined)[];
  readonly counters = new CpuCounters();
  /** Rate-limits the log line for injected emulation failures. */
  lastFailureLogMs = 0;
  failureLogSuppressed = 0;
  log: (line: string) => void = hostLogLine;

  constructor(opts: {
    model: CpuModel;
    vcpuId: number;
    phys: PhysMap;
    clock: VirtualClock;
    timebaseHz: number;
    features: ReadonlySet<string>;
    code?: CodeCache;
  }) {
    this.model = opts.model;
    this.traits = FAMILY_TRAITS[opts.model.family];
    this.vcpuId = opts.vcpuId;
    this.features = opts.features;
    this.code = opts.code ?? new CodeCache();
    this.code.attach(this);
    this.sprs = sprTable(opts.model.family);
    this.fpu = new FpuState();
    this.timers = new BookeTimers(opts.clock, opts.timebaseHz);
    this.mmu = new Mmu(this, opts.phys);
    this.exit = new ExitProtocol(this);
    this.irq = new CpuInterrupts(this);
    this.mmu.setPhysMap(opts.phys);
    this.reset();
    // Final field kinds before any code runs (see shapes.ts).
    settle(this, ['faultDear', 'resvAddr', 'lastFailureLogMs']);
    settle(this.counters, ['instructions']);
    settle(this.timers, ['tbOffset', 'decZeroAt', 'fitNext', 'wdtNext', 'decar', 'tsr', 'tcr']);
    settle(this.fpu, ['fpscr']);
    settleField(this, 'hostBreakpoints', [[]]);
    settleField(this, 'hostWatchpoints', [[]]);
    this.mmu.settle();
    settleField(this, 'log', [() => {}]);
  }

  /** Architected reset state (what a Book E core has after a hard reset, before any boot loader). */
  reset(): void {
    this.gpr.fill(0);
    this.gprHigh.fill(0);
    this.accHi = this.accLo = 0;
    this.pc = 0xfffffffc | 0;
    this.crf.fill(0);
    this.lr = 0;
    this.ctr = 0;
    this.xerSO = this.xerOV = this.xerCA = this.xerRest = 0;
    this.spr.fill(0);
    this.resvValid = false;
    this.fpu.fpr.fill(0);
    this.fpu.fpscr = 0;
    this.mmu.reset();
    this.spr[SPR.PVR] = this.model.pvr;
    this.spr[SPR.PIR] = this.vcpuId;
    this.spr[SPR.SVR] = 0;
    this.timers.reset();
    this.irq.reset();
    this.halted = false;
    this.stopped = false;
    this.exit.reset();
    this.stop = 0;
    this.resync = 0;
    this.faultIvor = -1;
    this.setMsr(0);
  }

  // ==== CR and XER as architected words ==================================================

  get cr(): number {
    const f = this.crf;
    return ((f[0]! << 28) | (f[1]! << 24) | (f[2]! << 20) | (f[3]! << 16) | (f[4]! << 12) | (f[5]! << 8) | (f[6]! << 4) | f[7]!) >>> 0;
  }

  set cr(v: number) {
    for (let k = 0; k < 8; k++) this.crf[k] = (v >>> (28 - 4 * k)) & 0xf;
  }

  get xer(): number {
    return ((this.xerSO << 31) | (this.xerOV << 30) | (this.xerCA << 29) | (this.xerRest & 0x1fffffff)) >>> 0;
  }

  set xer(v: number) {
    this.xerSO = (v >>> 31) & 1;
    this.xerOV = (v >>> 30) & 1;
    this.xerCA = (v >>> 29) & 1;
    this.xerRest = v & 0x1fffffff;
  }

  // ==== MSR, modes and interrupt readiness =============================================

  setMsr(value: number): void {
    this.msr = (value & this.traits.msrMask) >>> 0;
    this.fpu.fe = (this.msr & (MSR.FE0 | MSR.FE1)) !== 0;
    updateDebugState(this);
    const pr = (this.msr & MSR.PR) !== 0 ? 2 * STLB_SIZE : 0;
    this.dmode = pr | ((this.msr & MSR.DS) !== 0 ? STLB_SIZE : 0);
    this.imode = pr | ((this.msr & MSR.IS) !== 0 ? STLB_SIZE : 0);
    this.irq.update();
  }

  // ==== faults and exits (recorded, never thrown) ===========================================

  /**
   * Records a synchronous interrupt for the current instruction, which must then stop
   * without further effect. Returns 0 so that value-returning paths can `return c.fault(…)`.
   */
  fault(ivor: Ivor, esr: number | undefined, dear?: number): 0 {
    this.faultIvor = ivor;
    this.faultSetsEsr = esr !== undefined;
    this.faultEsr = esr ?? 0;
    this.faultSetsDear = dear !== undefined;
    this.faultDear = dear ?? 0;
    this.faultAfter = false;
    this.stop = STOP_FAULT;
    return 0;
  }

  programInterrupt(esr: number): 0 {
    return this.fault(Ivor.Program, esr);
  }

  illegal(): 0 {
    return this.fault(Ivor.Program, ESR.PIL);
  }

  privileged(): 0 {
    return this.fault(Ivor.Program, ESR.PPR);
  }

  /** Checks MSR[PR] for a privileged instruction: true (and the fault recorded) in user mode. */
  notSupervisor(): boolean {
    if ((this.msr & MSR.PR) === 0) return false;
    this.privileged();
    return true;
  }

  /** A system-call style interrupt: SRR0 points after the instruction. */
  systemCall(ivor: number): 0 {
    this.faultIvor = ivor;
    this.faultSetsEsr = false;
    this.faultSetsDear = false;
    this.faultAfter = true;
    this.stop = STOP_FAULT;
    return 0;
  }

  /**
   * A post-completion interrupt (the embedded FP round interrupt): the instruction has
   * written its results and SRR0 points after it.
   */
  interruptAfter(ivor: number, esr: number): 0 {
    this.faultIvor = ivor;
    this.faultSetsEsr = true;
    this.faultEsr = esr;
    this.faultSetsDear = false;
    this.faultDear = 0;
    this.faultAfter = true;
    this.stop = STOP_FAULT;
    return 0;
  }

  /** Delivers the fault recorded by `fault()` for the instruction at `cia`. */
  deliverFault(cia: number): void {
    const ivor = this.faultIvor as Ivor;
    this.faultIvor = -1;
    if (this.faultSetsEsr) this.spr[SPR.ESR] = this.faultEsr >>> 0;
    if (this.faultSetsDear) this.spr[SPR.DEAR] = this.faultDear >>> 0;
    this.irq.take(ivor, this.faultAfter ? (cia + 4) | 0 : cia);
  }

  // ==== loads and stores (for helpers; generated code inlines the fast path) ===============
  // `ea` is any 32-bit number. On a fault or exit the result is meaningless and `stop` is set.

  ld8(ea: number): number {
    const pn = ea >>> 12;
    const i = (pn & STLB_MASK) | this.dmode;
    if (this.rTag[i] === pn) return this.ram.getUint8((this.rAdd[i]! + ea) | 0);
    return this.loadSlow(ea, 1);
  }

  ld16(ea: number): number {
    const pn = ea >>> 12;
    const i = (pn & STLB_MASK) | this.dmode;
    if (this.rTag[i] === pn && (ea & 0xfff) <= 0xffe) return this.ram.getUint16((this.rAdd[i]! + ea) | 0);
    return this.loadSlow(ea, 2);
  }

  /** Returns the word as a signed 32-bit integer. */
  ld32(ea: number): number {
    const pn = ea >>> 12;
    const i = (pn & STLB_MASK) | this.dmode;
    if (this.rTag[i] === pn && (ea & 0xfff) <= 0xffc) return this.ram.getInt32((this.rAdd[i]! + ea) | 0);
    return this.loadSlow(ea, 4);
  }

  st8(ea: number, v: number): void {
    const pn = ea >>> 12;
    const i = (pn & STLB_MASK) | this.dmode;
    if (this.wTag[i] === pn) {
      this.ram.setUint8((this.wAdd[i]! + ea) | 0, v);
      return;
    }
    this.storeSlow(ea, 1, v);
  }

  st16(ea: number, v: number): void {
    const pn = ea >>> 12;
    const i = (pn & STLB_MASK) | this.dmode;
    if (this.wTag[i] === pn && (ea & 0xfff) <= 0xffe) {
      this.ram.setUint16((this.wAdd[i]! + ea) | 0, v);
      return;
    }
    this.storeSlow(ea, 2, v);
  }

  st32(ea: number, v: number): void {
    const pn = ea >>> 12;
    const i = (pn & STLB_MASK) | this.dmode;
    if (this.wTag[i] === pn && (ea & 0xfff) <= 0xffc) {
      this.ram.setInt32((this.wAdd[i]! + ea) | 0, v);
      return;
    }
    this.storeSlow(ea, 4, v);
  }

  /** Probes write access without storing (dcbz, stwcx. on a failed reservation); -1 on a fault. */
  probeWrite(ea: number): number {
    return this.mmu.translateData(ea, true);
  }

  /** Physical address of a word just loaded by lwarx (the reservation granule); -1 on a fault. */
  probeReservation(ea: number): number {
    return this.mmu.translateData(ea, false);
  }

  /**
   * A load that missed the software TLB (or crosses a page, or needs debug checks). Returns
   * the value zero-extended for sizes 1 and 2 and as int32 for 4.
   */
  loadSlow(ea: number, size: number): number {
    if ((ea & 0xfff) + size > 0x1000) {
      // Crosses a page: each byte is translated (and may fault) on its own.
      let v = 0;
      for (let k = 0; k < size; k++) {
        v = (v << 8) | this.ld8((ea + k) | 0);
        if (this.stop !== 0) return 0;
      }
      return size === 4 ? v | 0 : v;
    }
    const pa = this.mmu.translateData(ea, false);
    if (pa < 0) return 0;
    if (this.dacActive) {
      checkDac(this, ea >>> 0, size, false);
      if (this.stop !== 0) return 0;
    }
    const le = this.mmu.lastLittleEndian;
    const r = this.mmu.phys.find(pa);
    let v: number;
    if (r !== undefined) {
      const off = pa - r.start + r.offset;
      v = size === 1 ? r.view.getUint8(off) : size === 2 ? r.view.getUint16(off, le) : r.view.getInt32(off, le);
    } else {
      v = this.exit.read(pa, size, le);
      if (size === 4) v |= 0;
    }
    return v;
  }

  storeSlow(ea: number, size: number, v: number): void {
    if ((ea & 0xfff) + size > 0x1000) {
      for (let k = 0; k < size; k++) {
        this.st8((ea + k) | 0, (v >>> (8 * (size - 1 - k))) & 0xff);
        if (this.stop !== 0) return;
      }
      return;
    }
    const pa = this.mmu.translateData(ea, true);
    if (pa < 0) return;
    if (this.dacActive) {
      checkDac(this, ea >>> 0, size, true);
      if (this.stop !== 0) return;
    }
    const le = this.mmu.lastLittleEndian;
    const r = this.mmu.phys.find(pa);
    if (r === undefined || r.readOnly) {
      this.exit.write(pa, size, v, le);
      return;
    }
    const off = pa - r.start + r.offset;
    this.mmu.noteGuestWrite(r, off, size);
    if (size === 1) r.view.setUint8(off, v);
    else if (size === 2) r.view.setUint16(off, v, le);
    else r.view.setUint32(off, v >>> 0, le);
  }

}
