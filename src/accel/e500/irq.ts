/**
 * Asynchronous interrupts of one e500 vCPU: the input lines and doorbells, whether anything
 * is deliverable under the current MSR, taking the highest-priority one, and interrupt entry
 * (save/restore registers, MSR on entry, the vector). The priority and masking facts are in
 * interrupts.ts; the timer facility (DEC/FIT/watchdog) in timers.ts, whose conditions are
 * merged in here.
 *
 * Why a separate object: this runs at block boundaries and on line changes, never per
 * instruction. The run loop needs one flag per block, `Cpu.irqReady`, which stays on the Cpu
 * next to `halted`; this object keeps it up to date. It reaches the vCPU only through
 * `IrqHost`, so priorities and masking can be tested alone (test/unit/e500/irq.test.ts).
 */
import type { Exit } from '../../api/exit.js';
import { Ivor, IrqClass, Pending, deliverable, ivorClass, ivorSpr, msrKeptOnEntry, PENDING_ORDER } from './interrupts.js';
import { MSR, type CoreFamily } from './models.js';
import type { ExitProtocol } from './exit-protocol.js';
import { settleField } from './shapes.js';
import { SPR } from './cpu.js';

/** What interrupt delivery reads and writes of its vCPU. */
export interface IrqHost {
  pc: number;
  readonly msr: number;
  /** Deliverable now: the run loop checks it at block boundaries. */
  irqReady: boolean;
  halted: boolean;
  resvValid: boolean;
  readonly spr: Uint32Array;
  readonly model: { readonly family: CoreFamily };
  readonly counters: { interrupts: number };
  readonly timers: { pendingMask(): { dec: boolean; fit: boolean; wdt: boolean }; poll(): boolean };
  readonly exit: Pick<ExitProtocol, 'exits' | 'pending' | 'resumeAction'>;
  /** Sets MSR and everything that follows from it (modes, then `update()` here). */
  setMsr(value: number): void;
}

export class CpuInterrupts {
  /** Level and edge conditions from outside the timer facility (Pending bits). */
  lines = 0;
  /** Vector for proxy-mode external interrupts is asked from the VMM (KVM_EXIT_EPR). */
  eprExitEnabled = false;
  /** A machine check with MSR[ME]=0 stopped the core; the run loop turns it into a shutdown. */
  checkstop = false;

  /** Delivery of msgsnd doorbells to the VM's vCPUs (set by the VM; default: this vCPU only). */
  doorbellSink: (type: number, broadcast: boolean, pirTag: number) => void = (type, broadcast, pirTag) => {
    if (broadcast || pirTag === this.host.spr[SPR.PIR]) this.raiseDoorbell(type);
  };

  constructor(private readonly host: IrqHost) {
    settleField(this, 'doorbellSink', [() => {}]);
  }

  reset(): void {
    this.lines = 0;
  }

  /** All pending interrupt conditions (lines plus timer status) as Pending bits. */
  pendingConditions(): number {
    let p = this.lines;
    const t = this.host.timers.pendingMask();
    if (t.dec) p |= Pending.Decrementer;
    if (t.fit) p |= Pending.FixedInterval;
    if (t.wdt) p |= Pending.Watchdog;
    return p;
  }

  /** Recomputes `irqReady` (after MSR, TSR/TCR or lines changed). */
  update(): void {
    this.host.irqReady = deliverable(this.pendingConditions(), this.host.msr) !== 0;
  }

  /** Brings the timer facility up to now (run loop, halted waits); `irqReady` follows a TSR change. */
  pollTimers(): void {
    if (this.host.timers.poll()) this.update();
  }

  setLine(bit: Pending, asserted: boolean): void {
    this.lines = asserted ? this.lines | bit : this.lines & ~bit;
    this.update();
  }

  raiseDoorbell(type: number): void {
    if (type === 0) this.setLine(Pending.Doorbell, true);
    else if (type === 1) this.setLine(Pending.CriticalDoorbell, true);
  }

  /**
   * Takes the highest-priority deliverable asynchronous interrupt, if any. Returns an exit
   * when the VMM must supply the external-proxy vector first (KVM_EXIT_EPR); the interrupt
   * is then taken when run() is called again.
   */
  deliverPending(): Exit | null {
    const h = this.host;
    const ready = deliverable(this.pendingConditions(), h.msr);
    if (ready === 0) {
      h.irqReady = false;
      return null;
    }
    for (const [bit, ivor] of PENDING_ORDER) {
      if ((ready & bit) === 0) continue;
      // Doorbells are edge events consumed by taking them.
      if (bit === Pending.Doorbell || bit === Pending.CriticalDoorbell) this.lines &= ~bit;
      if (bit === Pending.External && this.eprExitEnabled) {
        const e = h.exit.exits.epr;
        e.epr = 0;
        // The VMM acknowledges the interrupt controller, which usually drops the line; the
        // acknowledged interrupt is taken regardless.
        h.exit.resumeAction = () => {
          h.spr[SPR.EPR] = e.epr >>> 0;
          this.take(Ivor.External, h.pc);
        };
        h.exit.pending = e;
        return e;
      }
      this.take(ivor, h.pc);
      return null;
    }
    return null;
  }

  /**
   * Interrupt entry: save PC/MSR in the class's save/restore pair, clear MSR bits as the
   * ISA says for the class, and continue at IVPR | IVORn.
   */
  take(ivor: Ivor, srr0: number): void {
    const h = this.host;
    const cls = ivorClass(ivor);
    const oldMsr = h.msr;
    if (cls === IrqClass.MachineCheck && (oldMsr & MSR.ME) === 0) {
      // Checkstop: the core stops; the run loop turns this into a shutdown exit.
      this.checkstop = true;
      return;
    }
    let s0: number = SPR.SRR0;
    let s1: number = SPR.SRR1;
    if (cls === IrqClass.Critical) {
      s0 = SPR.CSRR0;
      s1 = SPR.CSRR1;
    } else if (cls === IrqClass.MachineCheck) {
      s0 = SPR.MCSRR0;
      s1 = SPR.MCSRR1;
    } else if (cls === IrqClass.Debug) {
      // e500v2 saves debug state in CSRR0/1; e500mc has DSRR0/1.
      if (h.model.family === 'e500mc') {
        s0 = SPR.DSRR0;
        s1 = SPR.DSRR1;
      } else {
        s0 = SPR.CSRR0;
        s1 = SPR.CSRR1;
      }
    }
    h.spr[s0] = srr0 >>> 0;
    h.spr[s1] = oldMsr;
    h.halted = false;
    h.resvValid = false;
    h.counters.interrupts++;
    h.pc = (h.spr[SPR.IVPR]! & 0xffff0000) | (h.spr[ivorSpr(ivor)]! & 0xfff0);
    h.setMsr(oldMsr & msrKeptOnEntry(cls));
  }
}
