/**
 * The run loop of the software vCPU: fetch through the instruction-side software TLB, find
 * or translate the basic block, execute its predecoded instructions, and handle what ends a
 * block (fault, exit, halt, interrupt, time check).
 *
 * `run()` behaves like KVM_RUN: it returns only for an exit. Time-driven work (timers, kicks)
 * is checked every few thousand instructions, and a halted vCPU sleeps on its control word
 * until its next timer event or a kick.
 */
import type { DebugReason, Exit, InterruptedExit, ShutdownExit, SystemEventExit } from '../../api/exit.js';
import { Block, type Insn } from './block.js';
import { BLOCK_EXIT, SPR, type Cpu } from './cpu.js';
import type { CodePage } from './code-cache.js';
import type { Decoder } from './insn/decoder.js';
import { ESR, Ivor } from './interrupts.js';
import { MSR } from './models.js';
import { compileRegion, type RegionBlock } from './jit.js';
import { DBCR0, DBSR, checkIac, debugEvent } from './debug.js';
import { takeKick, waitForKick } from '../../api/threads.js';

/** Instructions between checks of the clock and the kick flag. */
const CHECK_INTERVAL = 4096;
/** Upper bound on block length, so a long straight run still reaches the checks. */
const MAX_BLOCK_INSNS = 256;
/**
 * Interpreted instructions in one code page after which the page's warm blocks are translated
 * to one JS function (and again after as many more). Translation and V8's own warm-up of the
 * new function cost about as much as interpreting this many instructions, so code that runs
 * only a few times (most of a firmware's boot) stays interpreted.
 */
const JIT_WORK = 500_000;
const EAGER_JIT_WORK = 64;
/** Executions that make a block part of its page's region when the region is (re)translated. */
const REGION_MIN = 4;

export class Engine {
  readonly cpu: Cpu;
  readonly decoder: Decoder;
  /** Shared with other threads: kick flag (and room to grow). */
  readonly control: Int32Array;
  private haltReported = false;
  private readonly shutdownExit: ShutdownExit = { kind: 'shutdown', reason: '' };
  private readonly systemEvent: SystemEventExit = { kind: 'system-event', event: 'reset', reason: '' };

  /** Block translation on; NGKVM_JIT=0 in the environment runs the interpreter only. */
  jit = process.env['NGKVM_JIT'] !== '0';
  /**
   * Interpreted instructions per page before translation. NGKVM_JIT=eager translates almost at
   * once, so that short test guests exercise the translator as much as the interpreter.
   */
  jitWork = process.env['NGKVM_JIT'] === 'eager' ? EAGER_JIT_WORK : JIT_WORK;

  constructor(cpu: Cpu, decoder: Decoder, control: Int32Array) {
    this.cpu = cpu;
    this.decoder = decoder;
    this.control = control;
  }

  run(): Exit {
    const c = this.cpu;
    c.events?.poll();
    const resumed = this.resume();
    if (resumed !== null) return resumed;
    for (;;) {
      if (c.stopped) {
        // A stopped vCPU runs only when the VMM starts it; until then only a kick ends run().
        this.cpu.events?.poll();
        waitForKick(this.control);
        const kicked = this.takeKick();
        if (kicked !== null) return kicked;
        continue;
      }
      if (c.halted && !c.irqReady) {
        if (!this.haltReported) {
          this.haltReported = true;
          c.counters.halts++;
          return c.exits.halt;
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
      if (c.timers.update()) c.updateIrq();
      if (c.timers.resetRequested) return this.watchdogReset();
      if (!c.irqReady) return null;
    }
    return this.execute(limit);
  }

  /** Whether runSlice would do work now (used by the scheduler to decide to sleep). */
  runnable(): boolean {
    const c = this.cpu;
    if (c.pendingExit !== null) return true;
    if (c.stopped) return false;
    if (!c.halted) return true;
    if (c.timers.update()) c.updateIrq();
    return c.irqReady || c.timers.resetRequested;
  }

  /** Milliseconds until this vCPU's next timer event (Infinity if none or stopped). */
  msUntilNextEvent(): number {
    return this.cpu.stopped ? Infinity : this.cpu.timers.msUntilNextEvent();
  }

  /** Completes the instruction that exited last time, if any. */
  private resume(): Exit | null {
    const c = this.cpu;
    const pending = c.pendingExit;
    if (pending === null) return this.takeKick();
    c.pendingExit = null;
    if (c.resumeAction !== null) {
      const act = c.resumeAction;
      c.resumeAction = null;
      act(c);
    }
    if (pending.kind === 'mmio' || pending === c.exits.routeWait) {
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
    return takeKick(this.control) ? this.cpu.exits.interrupted : null;
  }

  /**
   * Re-executes the instruction whose MMIO access exited, answering its earlier accesses
   * from the log; it may exit again for a further access.
   */
  private replay(): Exit | null {
    const c = this.cpu;
    const pc = c.pc;
    c.replaying = true;
    c.replayIndex = 0;
    try {
      const insn = this.decodeAt(pc);
      c.blockEa = pc;
      c.npc = (pc + 4) >>> 0;
      insn.fn(c, insn);
      c.pc = c.npc;
      c.mmioLog.length = 0;
      c.counters.instructions++;
    } catch (e) {
      if (e !== BLOCK_EXIT) throw e;
      const exit = this.blockExited(pc);
      if (exit !== null) return exit;
    } finally {
      c.replaying = false;
    }
    return null;
  }

  private decodeAt(pc: number): Insn {
    const page = this.fetchPage(pc);
    const word = page.region.view.getUint32(page.hostOffset + (pc & 0xfff));
    const insn = this.decoder.decode(word);
    insn.off = 0;
    return insn;
  }

  /** Halted with nothing deliverable: wait for the next timer event or a kick. */
  private sleep(): Exit | null {
    const c = this.cpu;
    // A guest waiting for an interrupt may be waiting for what its posted writes started.
    if (c.routes !== null && c.routes.hasQueued) c.routes.flushAll(true);
    c.events?.poll();
    if (c.irqReady) return null;
    const ms = c.timers.msUntilNextEvent();
    waitForKick(this.control, ms);
    // An irqEvent signalled from another thread rings the same word.
    c.events?.poll();
    if (c.timers.update()) c.updateIrq();
    if (c.timers.resetRequested) return this.watchdogReset();
    return this.takeKick();
  }

  private watchdogReset(): Exit {
    this.cpu.timers.resetRequested = false;
    this.systemEvent.event = 'reset';
    this.systemEvent.reason = 'watchdog timer final expiry';
    return this.systemEvent;
  }

  /** Instruction-side translation of the page holding `pc`; faults raise the guest interrupt. */
  fetchPage(pc: number): CodePage {
    const c = this.cpu;
    const as = (c.msr & MSR.IS) !== 0 ? 1 : 0;
    const e = c.tlb.find(pc, as, c.pid0, c.pid1, c.pid2);
    if (e < 0) c.tlbMiss(pc, as, true, false);
    if (!c.canExecute(c.tlb.mas3(e))) c.fault(Ivor.InstructionStorage, 0);
    const pa = c.tlb.pagePhys(e) + (pc - c.tlb.pageEffective(e));
    const page = c.codePageFor(pa - (pa % 4096));
    // Nothing but RAM holds code here; fetching elsewhere reads zeros, an illegal instruction.
    if (page === undefined) return c.fault(Ivor.Program, ESR.PIL);
    const pn = pc >>> 12;
    const xi = (pn & 0xff) | c.imode;
    c.xTag[xi] = pn;
    c.xSrc[xi] = e;
    c.xPage[xi] = page;
    return page;
  }

  private translate(page: CodePage, pc: number): Block {
    const c = this.cpu;
    const view = page.region.view;
    const insns: Insn[] = [];
    let off = pc & 0xfff;
    while (off < 4096 && insns.length < MAX_BLOCK_INSNS) {
      const insn = this.decoder.decode(view.getUint32(page.hostOffset + off));
      insn.off = insns.length * 4;
      insns.push(insn);
      const slot = off >>> 2;
      page.codeBits[slot >>> 5]! |= 1 << (slot & 31);
      off += 4;
      if (this.decoder.endsBlock(insn)) break;
    }
    const block = new Block(insns);
    page.blocks[(pc & 0xfff) >>> 2] = block;
    c.counters.blocksTranslated++;
    return block;
  }

  /**
   * Translates the warm blocks of a code page into one region function and points each of
   * them at it. Called again each time the page has run JIT_WORK more interpreted instructions
   * (blocks that were cold at the last translation).
   */
  private translateRegion(page: CodePage): void {
    page.warmth = 0;
    this.cpu.counters.regionsTranslated++;
    const blocks: RegionBlock[] = [];
    page.blocks.forEach((b, slot) => {
      if (b !== undefined && b.execCount >= REGION_MIN && !b.idleLoop) {
        blocks.push({ offset: slot * 4, block: b, lastEndsBlock: this.decoder.endsBlock(b.insns[b.insns.length - 1]!) });
      }
    });
    const region = compileRegion(blocks, `pa 0x${page.pa.toString(16)}`);
    blocks.forEach((rb, state) => {
      const entry = rb.offset;
      rb.block.compiled = (c, budget) => region(c, budget, entry, state);
    });
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
        const proxy = c.deliverPending();
        if (proxy !== null) return proxy;
        if (c.checkstop) return this.checkstop();
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

  /** Set by runBlocks/stepWithDebug when a block ended in an exit for the caller. */
  private blockExit: Exit | null = null;

  /**
   * The dispatch loop: runs blocks until about `budget` instructions are done, a block ends
   * in an exit (left in `blockExit`), the vCPU halts or an interrupt becomes deliverable.
   * Returns the instructions used. Kept apart from `execute` so that V8 re-enters (and, after
   * a deoptimisation, re-optimises) it every few thousand instructions instead of relying on
   * on-stack replacement of one endless loop.
   */
  private runBlocks(budget: number): number {
    const c = this.cpu;
    let left = budget;
    do {
      const pc = c.pc;
      let k = 0;
      let block: Block | undefined;
      try {
        const pn = pc >>> 12;
        const xi = (pn & 0xff) | c.imode;
        let page = c.xTag[xi] === pn ? c.xPage[xi] : undefined;
        if (page === undefined) page = this.fetchPage(pc);
        block = page.blocks[(pc & 0xfff) >>> 2] ?? this.translate(page, pc);
        if (block.idleLoop && !c.irqReady) {
          // Waiting for an interrupt: halt until one is deliverable (taken at this branch).
          // Not a halt exit: the guest executed no wait, so the VMM sees nothing.
          c.halted = true;
          this.haltReported = true;
          c.counters.idleLoops++;
          break;
        }
        c.blockEa = pc;
        c.npc = (pc + block.byteLength) >>> 0;
        const compiled = block.compiled;
        if (compiled !== null) {
          const done = compiled(c, left);
          c.pc = c.npc;
          c.counters.instructions += done;
          left -= done;
        } else {
          const insns = block.insns;
          const n = insns.length;
          for (; k < n; k++) {
            const i = insns[k]!;
            i.fn(c, i);
          }
          c.pc = c.npc;
          c.counters.instructions += n;
          left -= n;
          block.execCount++;
          if ((page.warmth += n) >= this.jitWork && this.jit) this.translateRegion(page);
        }
      } catch (e) {
        if (e !== BLOCK_EXIT) throw e;
        let cia = (pc + 4 * k) >>> 0;
        if (block !== undefined && block.compiled !== null) {
          // Translated code reports which instruction stopped it and how many completed.
          cia = c.jitPc;
          k = c.jitDone;
        }
        c.counters.instructions += k;
        left -= k + 1;
        const exit = this.blockExited(cia);
        if (exit !== null) {
          this.blockExit = exit;
          break;
        }
      }
    } while (left > 0 && !c.halted && !c.irqReady && !c.debugStepping);
    return budget - left;
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
    if (c.hostBreakpoints.length > 0 && c.hostResumeAt !== pc && c.hostBreakpoints.includes(pc)) {
      c.hostResumeAt = pc;
      return this.debugExit('hw-breakpoint', pc, pc);
    }
    c.hostResumeAt = -1;
    const iac = checkIac(c, pc);
    if (iac !== 0) {
      if (debugEvent(c, iac)) c.takeInterrupt(Ivor.Debug, pc);
      return null;
    }
    let insn: Insn;
    try {
      insn = this.decodeAt(pc);
      c.blockEa = pc;
      c.npc = (pc + 4) >>> 0;
      insn.fn(c, insn);
      c.pc = c.npc;
      c.counters.instructions++;
    } catch (e) {
      if (e !== BLOCK_EXIT) throw e;
      c.hostWatchHit = -1;
      const exit = this.blockExited(pc);
      // A fault moved the vCPU to its interrupt vector: a single step stops there.
      if (exit === null && c.hostSingleStep) return this.debugExit('single-step', c.pc, c.pc);
      return exit;
    }
    if (c.hostWatchHit >= 0) {
      const address = c.hostWatchHit;
      c.hostWatchHit = -1;
      return this.debugExit('watchpoint', c.pc, address);
    }
    const dbcr0 = c.spr[SPR.DBCR0]!;
    if ((dbcr0 & DBCR0.IDM) !== 0 && (c.msr & MSR.DE) !== 0) {
      let bits = 0;
      if ((dbcr0 & DBCR0.ICMP) !== 0) bits |= DBSR.ICMP;
      if ((dbcr0 & DBCR0.BRT) !== 0 && c.pc !== ((pc + 4) >>> 0) && insn.name.startsWith('b')) bits |= DBSR.BRT;
      if (bits !== 0 && debugEvent(c, bits)) c.takeInterrupt(Ivor.Debug, c.pc);
    }
    if (c.hostSingleStep) return this.debugExit('single-step', c.pc, c.pc);
    return null;
  }

  private debugExit(reason: DebugReason, pc: number, address: number): Exit {
    const d = this.cpu.exits.debug;
    d.reason = reason;
    d.pc = pc >>> 0;
    d.address = address >>> 0;
    return d;
  }

  /** Handles an abandoned block: deliver the fault, or hand the exit to the caller. */
  private blockExited(cia: number): Exit | null {
    const c = this.cpu;
    if (c.faultIvor >= 0) {
      c.mmioLog.length = 0;
      c.deliverFault(cia);
      if (c.checkstop) return this.checkstop();
      return null;
    }
    const exit = c.pendingExit;
    if (exit === null) return null;
    c.pc = c.exitResumesAfter ? (cia + 4) >>> 0 : cia;
    // The kick that stopped a routed access's wait is the one this exit reports.
    if (exit === c.exits.routeWait) takeKick(this.control);
    return exit;
  }

  private checkstop(): Exit {
    this.shutdownExit.reason = 'checkstop: machine check with MSR[ME]=0';
    return this.shutdownExit;
  }

  private periodic(): Exit | null {
    const c = this.cpu;
    // Posted writes never wait longer than a check interval, even if the guest only computes.
    if (c.routes !== null && c.routes.hasQueued) c.routes.flushAll(true);
    c.events?.poll();
    if (c.timers.update()) c.updateIrq();
    if (c.timers.resetRequested) return this.watchdogReset();
    return this.takeKick();
  }
}
