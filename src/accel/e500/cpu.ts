/**
 * Architected state of one e500 vCPU and its memory system: GPRs/SPRs, the software TLB
 * that caches translations in front of the architected TLB, the load/store fast paths, and
 * the slow paths that translate, fault, exit for MMIO, keep decoded code coherent and log
 * dirty pages.
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
import { isPageDirty, markPages } from '../../api/dirty-log.js';
import { FpuState } from './fpu/state.js';
import { ESR, Ivor } from './interrupts.js';
import { FAMILY_TRAITS, MSR, tlbCfg, type CpuModel, type FamilyTraits } from './models.js';
import type { PhysMap, PhysRegion } from './phys-map.js';
import { BookeTimers, type VirtualClock } from './timers.js';
import { MAS1_V, MAS3_SR, MAS3_SW, MAS3_SX, MAS3_UR, MAS3_UW, MAS3_UX, TlbArray, tlbTid } from './tlb.js';
import { sprTable, type SprDef } from './spr.js';
import { CodeCache, type CodePage } from './code-cache.js';
import { checkDac, updateDebugState, type HostWatchpoint } from './debug.js';
import { STOP_FAULT } from './stop.js';
import { ExitProtocol } from './exit-protocol.js';
import { CpuInterrupts } from './irq.js';
import { settle, settleField } from './shapes.js';

/** log2 of the software-TLB entries per translation mode. */
export const STLB_BITS = 10;
export const STLB_SIZE = 1 << STLB_BITS;
export const STLB_MASK = STLB_SIZE - 1;
/** Four translation modes (MSR[PR] × address space), each with its own software TLB slice. */
const STLB_TOTAL = STLB_SIZE * 4;

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
  tlb: TlbArray;
  /** PIDs for matching; unimplemented PIDs are -1 so they never match a TID. */
  pid0 = 0;
  pid1 = -1;
  pid2 = -1;
  /** Round-robin next victim for TLB0 misses. */
  tlb0Nv = 0;
  tlb0Cfg: number;
  tlb1Cfg: number;

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
  phys: PhysMap;
  /** The backing of the largest RAM region: the one the load/store fast paths address. */
  ram: DataView = new DataView(new ArrayBuffer(8));
  private ramBacking: unknown = null;
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
    this.phys = opts.phys;
    this.features = opts.features;
    this.code = opts.code ?? new CodeCache();
    this.code.attach(this);
    this.sprs = sprTable(opts.model.family);
    this.fpu = new FpuState();
    this.timers = new BookeTimers(opts.clock, opts.timebaseHz);
    const t = this.traits;
    this.tlb = new TlbArray({ tlb0Entries: t.tlb0.entries, tlb0Ways: t.tlb0.ways, tlb1Entries: t.tlb1Entries });
    this.tlb0Cfg = tlbCfg({ entries: t.tlb0.entries, ways: t.tlb0.ways, minTsize: 1, maxTsize: 1, iprot: false, avail: false });
    this.tlb1Cfg = tlbCfg({ entries: t.tlb1Entries, ways: t.tlb1Entries, minTsize: 1, maxTsize: t.tlb1MaxTsize, iprot: true, avail: true });
    this.exit = new ExitProtocol(this);
    this.irq = new CpuInterrupts(this);
    this.setPhysMap(opts.phys);
    this.reset();
    // Final field kinds before any code runs (see shapes.ts).
    settle(this, ['faultDear', 'resvAddr', 'lastFailureLogMs']);
    settle(this.counters, ['instructions']);
    settle(this.timers, ['tbOffset', 'decZeroAt', 'fitNext', 'wdtNext', 'decar', 'tsr', 'tcr']);
    settle(this.fpu, ['fpscr']);
    settleField(this, 'hostBreakpoints', [[]]);
    settleField(this, 'hostWatchpoints', [[]]);
    settleField(this, 'tlbInvalidateSink', [() => {}]);
    settleField(this, 'dirtyBitmapOf', [() => undefined]);
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
    // The TLB is the VMM's shared array (KVM_CAP_SW_TLB): a reset leaves it to the VMM.
    this.pid0 = 0;
    this.pid1 = this.traits.pidCount >= 2 ? 0 : -1;
    this.pid2 = this.traits.pidCount >= 3 ? 0 : -1;
    this.tlb0Nv = 0;
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
    this.flushSoftTlb();
  }

  /** Installs a (VMM-shared) TLB array of a new geometry; the TLB starts empty. */
  installTlb(tlb: TlbArray): void {
    const g = tlb.geometry;
    this.tlb = tlb;
    tlb.clear();
    this.tlb0Nv = 0;
    this.tlb0Cfg = tlbCfg({ entries: g.tlb0Entries, ways: g.tlb0Ways, minTsize: 1, maxTsize: 1, iprot: false, avail: false });
    this.tlb1Cfg = tlbCfg({
      entries: g.tlb1Entries,
      ways: g.tlb1Entries,
      minTsize: 1,
      maxTsize: this.traits.tlb1MaxTsize,
      iprot: true,
      avail: true,
    });
    this.flushSoftTlb();
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

  // ==== software TLB =======================================================================

  flushSoftTlb(): void {
    this.rTag.fill(-1);
    this.wTag.fill(-1);
    this.xTag.fill(-1);
    this.xPage.fill(undefined);
  }

  /** Drops cached translations of effective pages [ea, ea+size) in every mode. */
  flushSoftTlbRange(ea: number, size: number): void {
    if (size > 16 * 4096) {
      this.flushSoftTlb();
      return;
    }
    for (let off = 0; off < size; off += 4096) {
      const pn = ((ea + off) >>> 12) & 0xfffff;
      const base = pn & STLB_MASK;
      for (let m = 0; m < STLB_TOTAL; m += STLB_SIZE) {
        const i = base | m;
        if (this.rTag[i] === pn) this.rTag[i] = -1;
        if (this.wTag[i] === pn) this.wTag[i] = -1;
        if (this.xTag[i] === pn) {
          this.xTag[i] = -1;
          this.xPage[i] = undefined;
        }
      }
    }
  }

  /**
   * After the VMM changed the TLB entries set in `bitmap` (bit n of byte n/8 = entry n) in the
   * shared array: drops the cached translations that came from their old contents, and those
   * of the pages their new contents cover (which they may now take over from another entry).
   */
  flushSoftTlbEntries(bitmap: Uint8Array): void {
    const dirty = (e: number): boolean => ((bitmap[e >>> 3] ?? 0) & (1 << (e & 7))) !== 0;
    for (let i = 0; i < STLB_TOTAL; i++) {
      if (this.rTag[i] !== -1 && dirty(this.rSrc[i]!)) this.rTag[i] = -1;
      if (this.wTag[i] !== -1 && dirty(this.wSrc[i]!)) this.wTag[i] = -1;
      if (this.xTag[i] !== -1 && dirty(this.xSrc[i]!)) {
        this.xTag[i] = -1;
        this.xPage[i] = undefined;
      }
    }
    const t = this.tlb;
    for (let byte = 0; byte < bitmap.length; byte++) {
      if (bitmap[byte] === 0) continue;
      for (let e = byte * 8; e < byte * 8 + 8 && e < t.totalEntries; e++) {
        if (dirty(e) && (t.mas1(e) & MAS1_V) !== 0) this.flushSoftTlbRange(t.pageEffective(e), t.pageBytes(e));
      }
    }
  }

  flushWriteTlb(): void {
    this.wTag.fill(-1);
  }

  setPid(which: 0 | 1 | 2, value: number): void {
    const v = value & ((1 << this.traits.pidBits) - 1);
    if (which === 0) {
      this.spr[SPR.PID0] = v;
      this.pid0 = v;
    } else if (which === 1) {
      this.spr[SPR.PID1] = v;
      this.pid1 = v;
    } else {
      this.spr[SPR.PID2] = v;
      this.pid2 = v;
    }
    this.flushPidTranslations();
  }

  /**
   * After a PID change: drops the cached translations that came from entries with a TID, and
   * keeps those of global entries (TID 0), which match whatever the PIDs are — the kernel's
   * pages stay cached across a context switch. (A global entry and a TID entry matching the
   * same address at once is a multi-hit, which the e500 manuals leave undefined.)
   */
  private flushPidTranslations(): void {
    const t = this.tlb;
    const global = (e: number): boolean => tlbTid(t.mas1(e)) === 0;
    for (let i = 0; i < STLB_TOTAL; i++) {
      if (this.rTag[i] !== -1 && !global(this.rSrc[i]!)) this.rTag[i] = -1;
      if (this.wTag[i] !== -1 && !global(this.wSrc[i]!)) this.wTag[i] = -1;
      if (this.xTag[i] !== -1 && !global(this.xSrc[i]!)) {
        this.xTag[i] = -1;
        this.xPage[i] = undefined;
      }
    }
  }

  /**
   * Translates a data access at `ea` (any 32-bit number); on success returns the physical
   * address and fills the software TLB for RAM pages. Faults (TLB miss, permission) are
   * recorded (`stop`) and return -1.
   */
  translateData(ea: number, isWrite: boolean): number {
    const uea = ea >>> 0;
    const as = (this.msr & MSR.DS) !== 0 ? 1 : 0;
    const e = this.tlb.find(uea, as, this.pid0, this.pid1, this.pid2);
    if (e < 0) {
      this.tlbMiss(uea, as, false, isWrite);
      return -1;
    }
    const mas3 = this.tlb.mas3(e);
    const user = (this.msr & MSR.PR) !== 0;
    const canRead = (mas3 & (user ? MAS3_UR : MAS3_SR)) !== 0;
    const canWrite = (mas3 & (user ? MAS3_UW : MAS3_SW)) !== 0;
    if (isWrite ? !canWrite : !canRead) {
      this.fault(Ivor.DataStorage, isWrite ? ESR.ST : 0, uea);
      return -1;
    }
    const pa = this.tlb.pagePhys(e) + (uea - this.tlb.pageEffective(e));
    const wimge = this.tlb.mas2(e) & 0x1f;
    const littleEndian = (wimge & 1) !== 0;
    if (!littleEndian) this.fillDataTlb(uea, pa, canRead, canWrite, e);
    this.lastLittleEndian = littleEndian;
    this.lastWimge = wimge;
    return pa;
  }

  /** Byte order of the page of the last `translateData` (MAS2[E]). */
  lastLittleEndian = false;
  /** WIMGE attributes of the page of the last `translateData`. */
  lastWimge = 0;

  private fillDataTlb(ea: number, pa: number, canRead: boolean, canWrite: boolean, entry: number): void {
    const paPage = pa - (pa % 4096);
    const r = this.phys.find(paPage);
    if (r === undefined || r.backing !== this.ramBacking || this.dacActive) return;
    const hostOffset = paPage - r.start + r.offset;
    if (hostOffset > 0x7fffefff) return;
    const pn = ea >>> 12;
    const i = (pn & STLB_MASK) | this.dmode;
    const add = (hostOffset - (ea & 0xfffff000)) | 0;
    if (canRead) {
      this.rTag[i] = pn;
      this.rSrc[i] = entry;
      this.rAdd[i] = add;
    }
    if (canWrite && !r.readOnly && !this.code.has(r, hostOffset) && !this.needsDirtyMark(r, hostOffset)) {
      this.wTag[i] = pn;
      this.wSrc[i] = entry;
      this.wAdd[i] = add;
    }
  }

  /** Dirty bitmap per backing, supplied by the VM when logging is enabled for a region. */
  dirtyBitmapOf: (region: PhysRegion) => Uint32Array | undefined = () => undefined;

  private needsDirtyMark(r: PhysRegion, hostOffset: number): boolean {
    if (!r.logDirty) return false;
    const bm = this.dirtyBitmapOf(r);
    if (bm === undefined) return false;
    return !isPageDirty(bm, Math.floor(hostOffset / 4096));
  }

  private markDirty(r: PhysRegion, hostOffset: number, length: number): void {
    if (!r.logDirty) return;
    const bm = this.dirtyBitmapOf(r);
    if (bm === undefined) return;
    markPages(bm, Math.floor(hostOffset / 4096), Math.floor((hostOffset + length - 1) / 4096));
  }

  /** Data/instruction TLB miss (unsigned `ea`): preload MAS registers as the e500 does and record the interrupt. */
  tlbMiss(ea: number, as: number, isFetch: boolean, isWrite: boolean): 0 {
    this.counters.tlbMisses++;
    const mas4 = this.spr[SPR.MAS4]!;
    const tlbsel = (mas4 >>> 28) & 3;
    const tidsel = (mas4 >>> 16) & 3;
    const tid = tidsel === 0 ? this.pid0 : tidsel === 1 ? Math.max(this.pid1, 0) : tidsel === 2 ? Math.max(this.pid2, 0) : 0;
    const victim = this.tlb0Nv;
    this.tlb0Nv = (victim + 1) % this.tlb.geometry.tlb0Ways;
    this.spr[SPR.MAS0] = ((tlbsel << 28) | (tlbsel === 0 ? (victim << 16) | this.tlb0Nv : 0)) >>> 0;
    this.spr[SPR.MAS1] = (MAS1_V | (tid << 16) | (as << 12) | (mas4 & 0x0f00)) >>> 0;
    this.spr[SPR.MAS2] = ((ea & 0xfffff000) | (mas4 & 0x1f)) >>> 0;
    this.spr[SPR.MAS3] = 0;
    this.spr[SPR.MAS7] = 0;
    this.spr[SPR.MAS6] = ((this.pid0 << 16) | as) >>> 0;
    if (isFetch) return this.fault(Ivor.InstructionTlb, undefined);
    return this.fault(Ivor.DataTlb, isWrite ? ESR.ST : 0, ea);
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
    return this.translateData(ea, true);
  }

  /** Physical address of a word just loaded by lwarx (the reservation granule); -1 on a fault. */
  probeReservation(ea: number): number {
    return this.translateData(ea, false);
  }

  /** tlbivax/tlbilx are broadcast to every vCPU of the VM (set by the VM). */
  tlbInvalidateSink: ((op: (c: Cpu) => void) => void) | null = null;

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
    const pa = this.translateData(ea, false);
    if (pa < 0) return 0;
    if (this.dacActive) {
      checkDac(this, ea >>> 0, size, false);
      if (this.stop !== 0) return 0;
    }
    const le = this.lastLittleEndian;
    const r = this.phys.find(pa);
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
    const pa = this.translateData(ea, true);
    if (pa < 0) return;
    if (this.dacActive) {
      checkDac(this, ea >>> 0, size, true);
      if (this.stop !== 0) return;
    }
    const le = this.lastLittleEndian;
    const r = this.phys.find(pa);
    if (r === undefined || r.readOnly) {
      this.exit.write(pa, size, v, le);
      return;
    }
    const off = pa - r.start + r.offset;
    this.noteGuestWrite(r, off, size);
    if (size === 1) r.view.setUint8(off, v);
    else if (size === 2) r.view.setUint16(off, v, le);
    else r.view.setUint32(off, v >>> 0, le);
  }

  /** Invalidates decoded code and marks dirty before a guest store lands in RAM. */
  private noteGuestWrite(r: PhysRegion, hostOffset: number, size: number): void {
    const pageOff = hostOffset - (hostOffset % 4096);
    const cp = this.code.get(r, pageOff);
    if (cp !== undefined && cp.overlaps(hostOffset - pageOff, size)) {
      this.code.drop(cp);
      this.resync = 1;
    }
    this.markDirty(r, hostOffset, size);
  }

  // ==== code pages ==========================================================================

  /** Finds or creates the decoded-code record for the RAM page at physical `paPage`. */
  codePageFor(paPage: number): CodePage | undefined {
    const r = this.phys.find(paPage);
    if (r === undefined) return undefined;
    return this.code.pageFor(r, paPage - r.start + r.offset, paPage);
  }

  /** A page of `backing` now holds decoded code: stores to it must take the slow path. */
  dropWriteEntriesFor(backing: unknown, hostOffset: number): void {
    if (backing !== this.ramBacking) return;
    for (let i = 0; i < STLB_TOTAL; i++) {
      const pn = this.wTag[i]!;
      if (pn !== -1 && ((this.wAdd[i]! + (pn << 12)) | 0) === hostOffset) this.wTag[i] = -1;
    }
  }

  /** A decoded page was dropped: forget instruction-side translations that point at it. */
  forgetCodePage(cp: CodePage): void {
    for (let i = 0; i < STLB_TOTAL; i++) {
      if (this.xPage[i] === cp) {
        this.xTag[i] = -1;
        this.xPage[i] = undefined;
      }
    }
  }

  /** Installs a new physical map (from setMemoryMap). */
  setPhysMap(map: PhysMap): void {
    this.phys = map;
    let largest: PhysRegion | undefined;
    for (const r of map.regions) if (largest === undefined || r.end - r.start > largest.end - largest.start) largest = r;
    this.ram = largest?.view ?? new DataView(new ArrayBuffer(8));
    this.ramBacking = largest?.backing ?? null;
    this.code.dropAll();
    this.flushSoftTlb();
  }

  /** Permission helpers for instruction fetch. */
  canExecute(mas3: number): boolean {
    return (mas3 & ((this.msr & MSR.PR) !== 0 ? MAS3_UX : MAS3_SX)) !== 0;
  }

  tlbEntryTid(e: number): number {
    return tlbTid(this.tlb.mas1(e));
  }
}
