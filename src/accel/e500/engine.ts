/**
 * The run loop of the software vCPU: fetch through the instruction-side software TLB, find
 * or decode the basic block, then run the block's translated region (and the regions it
 * chains to) or interpret its predecoded instructions; and handle what stops execution
 * (fault, exit, halt, interrupt, time check).
 *
 * `run()` behaves like KVM_RUN: it returns only for an exit. Time-driven work (timers, kicks)
 * is checked every few thousand instructions, and a halted vCPU sleeps on its control word
 * until its next timer event or a kick. Nothing here throws for guest behaviour: faults and
 * exits are recorded in the Cpu (stop.ts) and handled where the instruction stopped.
 */
import { hostEnv } from '../../api/host-env.js';
import type { DebugReason, Exit, InterruptedExit, ShutdownExit, SystemEventExit } from '../../api/exit.js';
import { Block, type Insn, type Region } from './block.js';
import { SPR, STLB_MASK, type Cpu } from './cpu.js';
import type { CodePage } from './code-cache.js';
import type { Decoder } from './insn/decoder.js';
import { RET_OK, RET_RESYNC } from './insn/interp-gen.js';
import { ESR, Ivor } from './interrupts.js';
import { MSR } from './models.js';
import { DBCR0, DBSR, checkIac, debugEvent } from './debug.js';
import { takeKick, waitForKick } from '../../api/threads.js';
import { Translator, type RegionSize } from './translator.js';

/**
 * Instructions between checks of the clock and the kick flag. Each check leaves translated
 * code, returns through the dispatch loop and reads the host clock: in bench-cpu's profile
 * those were 8.6 % of the time at 4096, 4.6 % at 16384. What it adds to a timer interrupt's
 * or a kick's latency is 16384 instructions, about a millisecond at the interpreter's worst.
 */
const CHECK_INTERVAL = 16384;
/** Upper bound on block length, so a long straight run still reaches the checks. */
const MAX_BLOCK_INSNS = 128;
/**
 * Interpreted executions after which a block heads a translated region. A region pays for
 * itself only after V8 has compiled and then optimised the new function, which takes far
 * more runs than the translation itself, the more so the larger the function. So a block
 * outside loops gets a small region (translator.ts, 2 blocks) from 20,000 runs, and a block
 * in a loop a large one from 50,000, which the loop's iterations then repay. Linux's boot
 * (1 CPU, to the shell) took 2.7–2.9 s with only large regions from 50,000 runs, 2.2–2.3 s
 * with only small ones from 10,000 (8.7 s with large ones from 2,000), but small regions
 * alone made bench-cpu and gzip in the guest slower: their loops span more blocks. With the
 * split, 10,000 and 20,000 runs boot alike and 20,000 translates less of U-Boot's short
 * start (bench/engine-notes.md).
 */
const HOT_RUNS = Number(hostEnv('NGKVM_JIT_HOT') ?? 20_000);
const LOOP_HOT_RUNS = Number(hostEnv('NGKVM_JIT_LOOP_HOT') ?? 50_000);
/** With NGKVM_JIT=eager a block heads a region from its second execution (its third if it loops). */
const EAGER_RUNS = 1;
const EAGER_LOOP_RUNS = 2;

/**
 * Which engine runs guest code: the interpreter only ('off'), translated regions for hot code
 * ('on'), regions from a block's second execution ('eager', NGKVM_JIT=eager), or regions
 * before a block's first execution ('always': tests that must see the translator run every
 * instruction).
 */
export type JitMode = 'off' | 'on' | 'eager' | 'always';

export function jitModeFromEnv(): JitMode {
  const v = hostEnv('NGKVM_JIT');
  return v === '0' ? 'off' : v === 'eager' ? 'eager' : 'on';
}

export class Engine {
  readonly cpu: Cpu;
  readonly decoder: Decoder;
  /** Shared with other threads: kick flag (and room to grow). */
  readonly control: Int32Array;
  readonly jit: JitMode;
  private readonly hotRuns: number;
  private readonly loopHotRuns: number;
  private readonly translator: Translator;
  private haltReported = false;
  private readonly shutdownExit: ShutdownExit = { kind: 'shutdown', reason: '' };
  private readonly systemEvent: SystemEventExit = { kind: 'system-event', event: 'reset', reason: '' };
  /** Translator failures (a bug): logged once, the block stays interpreted. */
  private translatorFailed = false;

  constructor(cpu: Cpu, decoder: Decoder, control: Int32Array, opts: { readonly jit?: JitMode; readonly hotRuns?: number } = {}) {
    this.cpu = cpu;
    this.decoder = decoder;
    this.control = control;
    this.jit = opts.jit ?? jitModeFromEnv();
    this.hotRuns = opts.hotRuns ?? (this.jit === 'always' ? 0 : this.jit === 'eager' ? EAGER_RUNS : HOT_RUNS);
    this.loopHotRuns = this.jit === 'eager' ? EAGER_LOOP_RUNS : LOOP_HOT_RUNS;
    this.translator = new Translator(chainTarget, {
      dump: hostEnv('NGKVM_JIT_DUMP') !== undefined,
      minBlockRuns: this.jit === 'eager' || this.jit === 'always' ? 0 : 1,
    });
  }

  run(): Exit {
    const c = this.cpu;
    c.exit.events?.poll();
    const resumed = this.resume();
    if (resumed !== null) return resumed;
    for (;;) {
      if (c.stopped) {
        // A stopped vCPU runs only when the VMM starts it; until then only a kick ends run().
        this.cpu.exit.events?.poll();
        waitForKick(this.control);
        const kicked = this.takeKick();
        if (kicked !== null) return kicked;
        continue;
      }
      if (c.halted && !c.irqReady) {
        if (!this.haltReported) {
          this.haltReported = true;
          c.counters.halts++;
          return c.exit.exits.halt;
        }
        const woke = this.sleep();
        if (woke !== null) return woke;
        continue;
      }
      this.haltReported = false;
      const exit = this.execute(Infinity);
      if (exit !== null) return exit;
    }
  }

  /**
   * Runs at most about `limit` instructions without blocking, for a scheduler that shares
   * one thread among several vCPUs. Returns an exit, or null when the slice is used up or
   * the vCPU has nothing to do (stopped, or halted with no deliverable interrupt).
   */
  runSlice(limit: number): Exit | null {
    const c = this.cpu;
    const resumed = this.resume();
    if (resumed !== null) return resumed;
    if (c.stopped) return null;
    if (c.halted && !c.irqReady) {
      c.irq.pollTimers();
      if (c.timers.resetRequested) return this.watchdogReset();
      if (!c.irqReady) return null;
    }
    return this.execute(limit);
  }

  /** Whether runSlice would do work now (used by the scheduler to decide to sleep). */
  runnable(): boolean {
    const c = this.cpu;
    if (c.exit.pending !== null) return true;
    if (c.stopped) return false;
    if (!c.halted) return true;
    c.irq.pollTimers();
    return c.irqReady || c.timers.resetRequested;
  }

  /** Milliseconds until this vCPU's next timer event (Infinity if none or stopped). */
  msUntilNextEvent(): number {
    return this.cpu.stopped ? Infinity : this.cpu.timers.msUntilNextEvent();
  }

  /** Completes the instruction that exited last time, if any. */
  private resume(): Exit | null {
    const c = this.cpu;
    const pending = c.exit.pending;
    if (pending === null) return this.takeKick();
    c.exit.pending = null;
    if (c.exit.resumeAction !== null) {
      const act = c.exit.resumeAction;
      c.exit.resumeAction = null;
      act();
    }
    if (pending.kind === 'mmio' || pending === c.exit.exits.routeWait) {
      const again = this.replay();
      if (again !== null) return again;
    } else if (pending.kind === 'debug') {
      // A breakpoint: the instruction did not run; nothing to complete.
      return this.takeKick();
    }
    // The instruction that exited has now completed: that is the step being single-stepped.
    if (c.hostSingleStep) return this.debugExit('single-step', c.pc, c.pc);
    return this.takeKick();
  }

  private takeKick(): InterruptedExit | null {
    return takeKick(this.control) ? this.cpu.exit.exits.interrupted : null;
  }

  /**
   * Re-executes the instruction whose MMIO access exited, answering its earlier accesses
   * from the log; it may exit again for a further access.
   */
  private replay(): Exit | null {
    const c = this.cpu;
    const pc = c.pc;
    c.exit.beginReplay();
    try {
      const insn = this.decodeAt(pc);
      if (insn === null) return this.stopped(pc);
      const r = this.step(insn, pc);
      if (r === RET_OK || r === RET_RESYNC) {
        c.pc = c.npc;
        c.exit.clearLog();
        c.counters.instructions++;
        return null;
      }
      return this.stopped(pc);
    } finally {
      c.exit.endReplay();
    }
  }

  /** Runs one decoded instruction at `pc` as a block of its own. */
  private step(insn: Insn, pc: number): number {
    const c = this.cpu;
    c.blockEa = pc;
    c.npc = (pc + 4) | 0;
    insn.off = 0;
    const r = insn.fn(c, insn);
    c.resync = 0;
    return r;
  }

  /** Decodes the instruction at `pc` (null: the fetch faulted; the fault is recorded). */
  private decodeAt(pc: number): Insn | null {
    const page = this.fetchPage(pc);
    if (page === null) return null;
    return this.decoder.decode(page.region.view.getUint32(page.hostOffset + (pc & 0xfff)));
  }

  /** Halted with nothing deliverable: wait for the next timer event or a kick. */
  private sleep(): Exit | null {
    const c = this.cpu;
    // A guest waiting for an interrupt may be waiting for what its posted writes started.
    if (c.exit.routes !== null && c.exit.routes.hasQueued) c.exit.routes.flushAll(true);
    c.exit.events?.poll();
    if (c.irqReady) return null;
    const ms = c.timers.msUntilNextEvent();
    waitForKick(this.control, ms);
    // An irqEvent signalled from another thread rings the same word.
    c.exit.events?.poll();
    c.irq.pollTimers();
    if (c.timers.resetRequested) return this.watchdogReset();
    return this.takeKick();
  }

  private watchdogReset(): Exit {
    this.cpu.timers.resetRequested = false;
    this.systemEvent.event = 'reset';
    this.systemEvent.reason = 'watchdog timer final expiry';
    return this.systemEvent;
  }

  /**
   * Instruction-side translation of the page holding `pc` (int32); on a fault the guest
   * interrupt is recorded and null returned.
   */
  fetchPage(pc: number): CodePage | null {
    const c = this.cpu;
    const as = (c.msr & MSR.IS) !== 0 ? 1 : 0;
    const upc = pc >>> 0;
    const m = c.mmu;
    const t = m.tlb;
    const e = t.find(upc, as, m.pid0, m.pid1, m.pid2);
    if (e < 0) {
      m.tlbMiss(upc, as, true, false);
      return null;
    }
    if (!m.canExecute(t.mas3(e))) {
      c.fault(Ivor.InstructionStorage, 0);
      return null;
    }
    const pa = t.pagePhys(e) + (upc - t.pageEffective(e));
    const page = m.codePageFor(pa - (pa % 4096));
    if (page === undefined) {
      // Nothing but RAM holds code here; fetching elsewhere reads zeros, an illegal instruction.
      c.fault(Ivor.Program, ESR.PIL);
      return null;
    }
    const pn = upc >>> 12;
    const xi = (pn & STLB_MASK) | c.imode;
    c.xTag[xi] = pn;
    c.xSrc[xi] = e;
    c.xPage[xi] = page;
    return page;
  }

  private decodeBlock(page: CodePage, pc: number): Block {
    const c = this.cpu;
    const view = page.region.view;
    const insns: Insn[] = [];
    const start = pc & 0xfff;
    let off = start;
    let ends = false;
    while (off < 4096 && insns.length < MAX_BLOCK_INSNS) {
      const insn = this.decoder.decode(view.getUint32(page.hostOffset + off));
      insn.off = insns.length * 4;
      insns.push(insn);
      const slot = off >>> 2;
      page.codeBits[slot >>> 5]! |= 1 << (slot & 31);
      off += 4;
      if (this.decoder.endsBlock(insn)) {
        ends = true;
        break;
      }
    }
    const block = new Block(insns, start, ends);
    block.hotAt = this.hotRuns;
    page.blocks[start >>> 2] = block;
    c.counters.blocksTranslated++;
    return block;
  }

  /**
   * A block reached its `hotAt`: the first time, a block outside loops gets its small region
   * and one inside a loop waits for `loopHotRuns`; then it gets a large region.
   */
  private hot(page: CodePage, block: Block): void {
    if (block.hotAt < this.loopHotRuns) {
      let loops = true;
      try {
        loops = this.translator.headsLoop(page, block);
      } catch {
        // The translation proper reports the failure.
      }
      if (loops) {
        block.hotAt = this.loopHotRuns;
        return;
      }
      this.translateRegion(page, block, 'small');
    } else {
      this.translateRegion(page, block, 'large');
    }
  }

  /** Translates the region headed by `block`; a translator failure leaves it interpreted. */
  private translateRegion(page: CodePage, block: Block, size: RegionSize): void {
    block.noRegion = true;
    try {
      const region = this.translator.translate(page, block, size);
      if (region === null) return;
      block.region = region;
      block.noRegion = false;
      this.cpu.counters.regionsTranslated++;
    } catch (e) {
      if (!this.translatorFailed) {
        this.translatorFailed = true;
        this.cpu.log(`ngkvm: vcpu ${this.cpu.vcpuId}: internal error in the e500 translator (code stays interpreted): ${String((e as Error).stack ?? e)}`);
      }
    }
  }

  /**
   * Runs blocks until something needs the caller. Returns an exit, or null to let `run()`
   * re-examine the halted state.
   */
  private execute(limit: number): Exit | null {
    const c = this.cpu;
    let remaining = limit;
    for (;;) {
      if (c.irqReady) {
        const proxy = c.irq.deliverPending();
        if (proxy !== null) return proxy;
        if (c.irq.checkstop) return this.checkstop();
      }
      const budget = Math.min(CHECK_INTERVAL, remaining);
      const done = c.debugStepping ? this.stepWithDebug(budget) : this.runBlocks(budget);
      const exit = this.blockExit;
      if (exit !== null) {
        this.blockExit = null;
        return exit;
      }
      if (c.halted) return null;
      remaining -= done;
      if (done >= budget) {
        const p = this.periodic();
        if (p !== null) return p;
        if (remaining <= 0) return null;
      }
    }
  }

  /** Set by runBlocks/stepWithDebug when execution stopped in an exit for the caller. */
  private blockExit: Exit | null = null;

  /**
   * The dispatch loop: runs regions and blocks until about `budget` instructions are done,
   * an instruction stops with an exit (left in `blockExit`), the vCPU halts or an interrupt
   * becomes deliverable. Returns the budget used: instructions, and one for each stop, so
   * that a guest faulting in a loop without completing an instruction (an ISI on its own
   * vector) still reaches the time and kick checks. Kept apart from `execute` so that V8
   * re-enters (and, after a deoptimisation, re-optimises) it every few thousand instructions
   * instead of relying on on-stack replacement of one endless loop.
   */
  private runBlocks(budget: number): number {
    const c = this.cpu;
    c.left = budget;
    do {
      const pc = c.pc;
      const pn = pc >>> 12;
      const xi = (pn & STLB_MASK) | c.imode;
      let page = c.xTag[xi] === pn ? c.xPage[xi]! : null;
      if (page === null) {
        page = this.fetchPage(pc);
        if (page === null) {
          // Every stop uses budget, so a fault loop still reaches the time checks.
          c.left--;
          if (this.stoppedAt(pc)) break;
          continue;
        }
      }
      let block = page.blocks[(pc & 0xfff) >>> 2];
      if (block === undefined) {
        block = this.decodeBlock(page, pc);
        if (this.hotRuns === 0 && this.jit !== 'off') this.translateRegion(page, block, 'large');
      }
      let region = block.region;
      if (region !== null) {
        // Translated code: the region and those it chains to, until one returns to the engine.
        do region = region.fn(c);
        while (region !== null);
        c.resync = 0;
        if (c.stop !== 0) {
          c.left--;
          if (this.stoppedAt(c.pc)) break;
        }
        continue;
      }
      if (block.idleLoop && !c.irqReady) {
        // Waiting for an interrupt: halt until one is deliverable (taken at this branch).
        // Not a halt exit: the guest executed no wait, so the VMM sees nothing.
        c.halted = true;
        this.haltReported = true;
        c.counters.idleLoops++;
        break;
      }
      c.blockEa = pc;
      c.npc = (pc + block.byteLength) | 0;
      const insns = block.insns;
      const n = insns.length;
      let k = 0;
      let r = RET_OK;
      for (; k < n; k++) {
        const i = insns[k]!;
        r = i.fn(c, i);
        if (r !== RET_OK) break;
      }
      if (r === RET_OK) {
        c.pc = c.npc;
        c.counters.instructions += n;
        c.left -= n;
        if (++block.execCount >= block.hotAt && this.jit !== 'off' && !block.noRegion) this.hot(page, block);
        continue;
      }
      if (r === RET_RESYNC) {
        // The instruction completed but changed decoded code: continue after it, freshly decoded.
        c.resync = 0;
        c.pc = k === n - 1 ? c.npc : (pc + 4 * (k + 1)) | 0;
        c.counters.instructions += k + 1;
        c.left -= k + 1;
        continue;
      }
      c.resync = 0;
      c.counters.instructions += k;
      c.left -= k + 1;
      if (this.stoppedAt((pc + 4 * k) | 0)) break;
    } while (c.left > 0 && !c.halted && !c.irqReady && !c.debugStepping);
    return budget - c.left;
  }

  /** Handles a stop at `cia`: true when run() must return the exit now in `blockExit`. */
  private stoppedAt(cia: number): boolean {
    const exit = this.stopped(cia);
    if (exit === null) return false;
    this.blockExit = exit;
    return true;
  }

  /** Single-steps with debug checks (debug events enabled), like runBlocks otherwise. */
  private stepWithDebug(budget: number): number {
    const c = this.cpu;
    let n = 0;
    do {
      const exit = this.stepWithDebugChecks();
      n++;
      if (exit !== null) {
        this.blockExit = exit;
        break;
      }
    } while (n < budget && !c.halted && !c.irqReady && c.debugStepping);
    return n;
  }

  /**
   * Executes one instruction with the debug facility's checks around it: an instruction
   * address compare before (the instruction does not execute), instruction-complete and
   * branch-taken events after.
   */
  private stepWithDebugChecks(): Exit | null {
    const c = this.cpu;
    const pc = c.pc;
    // The VMM's breakpoints stop before the instruction; once reported, the next run goes
    // past that address once (as x86 RF), so continuing from a breakpoint makes progress.
    if (c.hostBreakpoints.length > 0 && c.hostResumeAt !== pc && c.hostBreakpoints.includes(pc >>> 0)) {
      c.hostResumeAt = pc;
      return this.debugExit('hw-breakpoint', pc, pc);
    }
    c.hostResumeAt = -1;
    const iac = checkIac(c, pc >>> 0);
    if (iac !== 0) {
      if (debugEvent(c, iac)) c.irq.take(Ivor.Debug, pc);
      return null;
    }
    const insn = this.decodeAt(pc);
    let r = 1;
    if (insn !== null) r = this.step(insn, pc);
    if (insn === null || (r !== RET_OK && r !== RET_RESYNC)) {
      c.hostWatchHit = -1;
      const exit = this.stopped(pc);
      // A fault moved the vCPU to its interrupt vector: a single step stops there.
      if (exit === null && c.hostSingleStep) return this.debugExit('single-step', c.pc, c.pc);
      return exit;
    }
    c.pc = c.npc;
    c.counters.instructions++;
    if (c.hostWatchHit >= 0) {
      const address = c.hostWatchHit;
      c.hostWatchHit = -1;
      return this.debugExit('watchpoint', c.pc, address);
    }
    const dbcr0 = c.spr[SPR.DBCR0]!;
    if ((dbcr0 & DBCR0.IDM) !== 0 && (c.msr & MSR.DE) !== 0) {
      let bits = 0;
      if ((dbcr0 & DBCR0.ICMP) !== 0) bits |= DBSR.ICMP;
      if ((dbcr0 & DBCR0.BRT) !== 0 && c.pc !== ((pc + 4) | 0) && insn.name.startsWith('b')) bits |= DBSR.BRT;
      if (bits !== 0 && debugEvent(c, bits)) c.irq.take(Ivor.Debug, c.pc);
    }
    if (c.hostSingleStep) return this.debugExit('single-step', c.pc, c.pc);
    return null;
  }

  private debugExit(reason: DebugReason, pc: number, address: number): Exit {
    const d = this.cpu.exit.exits.debug;
    d.reason = reason;
    d.pc = pc >>> 0;
    d.address = address >>> 0;
    return d;
  }

  /**
   * Handles an instruction that stopped at `cia`: delivers the fault, or hands the exit to
   * the caller (with the PC where the instruction resumes).
   */
  private stopped(cia: number): Exit | null {
    const c = this.cpu;
    c.stop = 0;
    c.resync = 0;
    if (c.faultIvor >= 0) {
      c.exit.clearLog();
      c.deliverFault(cia);
      if (c.irq.checkstop) return this.checkstop();
      return null;
    }
    const exit = c.exit.pending;
    if (exit === null) return null;
    c.pc = c.exit.resumesAfter ? (cia + 4) | 0 : cia;
    // The kick that stopped a routed access's wait is the one this exit reports.
    if (exit === c.exit.exits.routeWait) takeKick(this.control);
    return exit;
  }

  private checkstop(): Exit {
    this.shutdownExit.reason = 'checkstop: machine check with MSR[ME]=0';
    return this.shutdownExit;
  }

  private periodic(): Exit | null {
    const c = this.cpu;
    // Posted writes never wait longer than a check interval, even if the guest only computes.
    if (c.exit.routes !== null && c.exit.routes.hasQueued) c.exit.routes.flushAll(true);
    c.exit.events?.poll();
    c.irq.pollTimers();
    if (c.timers.resetRequested) return this.watchdogReset();
    return this.takeKick();
  }
}

/**
 * Where a region chains to: the region headed by the block at `pc` when the instruction-side
 * soft TLB maps its page (so the translation is the current one) and that block has one.
 */
function chainTarget(c: Cpu, pc: number): Region | null {
  const pn = pc >>> 12;
  const xi = (pn & STLB_MASK) | c.imode;
  if (c.xTag[xi] !== pn) return null;
  const b = c.xPage[xi]!.blocks[(pc & 0xfff) >>> 2];
  return b === undefined ? null : b.region;
}
