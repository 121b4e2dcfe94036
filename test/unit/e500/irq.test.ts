/**
 * e500 interrupt delivery alone (src/accel/e500/irq.ts): priorities, MSR masking, doorbells
 * as edges, interrupt entry and the EPR proxy exit, on a fake vCPU — no Cpu, engine or
 * instructions.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CpuInterrupts, type IrqHost } from '../../../src/accel/e500/irq.js';
import { Ivor, Pending, ivorSpr } from '../../../src/accel/e500/interrupts.js';
import { ExitProtocol } from '../../../src/accel/e500/exit-protocol.js';
import { MSR } from '../../../src/accel/e500/models.js';
import { SPR } from '../../../src/accel/e500/cpu.js';

interface FakeHost extends IrqHost {
  msr: number;
  timerBits: { dec: boolean; fit: boolean; wdt: boolean };
  /** What the next timers.poll() reports (TSR changed). */
  tsrChanged: boolean;
}

function setup(family: 'e500v2' | 'e500mc' = 'e500v2'): { irq: CpuInterrupts; h: FakeHost } {
  const timerBits = { dec: false, fit: false, wdt: false };
  const spr = new Uint32Array(1024);
  spr[SPR.IVPR] = 0xfff00000;
  for (let n = 0; n < 38; n++) if (n <= 15 || n >= 32) spr[ivorSpr(n)] = 0x100 * (n + 1);
  const h: FakeHost = {
    pc: 0x1000,
    msr: 0,
    irqReady: false,
    halted: false,
    resvValid: false,
    spr,
    model: { family },
    counters: { interrupts: 0 },
    timerBits,
    tsrChanged: false,
    timers: {
      pendingMask: () => timerBits,
      poll: () => {
        const c = h.tsrChanged;
        h.tsrChanged = false;
        return c;
      },
    },
    exit: new ExitProtocol({ stop: 0, counters: { mmio: 0 } }),
    setMsr(v: number) {
      h.msr = v;
      irq.update();
    },
  };
  const irq = new CpuInterrupts(h);
  return { irq, h };
}

/** The IVOR the fake vectors put at IVPR | IVORn. */
const vectorOf = (n: Ivor): number => (0xfff00000 | (0x100 * (n + 1))) | 0;

test('lines are masked by MSR[EE] and MSR[CE]; irqReady follows', () => {
  const { irq, h } = setup();
  irq.setLine(Pending.External, true);
  assert.equal(h.irqReady, false, 'EE=0 masks external input');
  h.setMsr(MSR.CE);
  assert.equal(h.irqReady, false, 'CE does not gate external input');
  h.setMsr(MSR.EE);
  assert.equal(h.irqReady, true);
  irq.setLine(Pending.External, false);
  assert.equal(h.irqReady, false);
  irq.setLine(Pending.CriticalInput, true);
  assert.equal(h.irqReady, false, 'EE does not gate critical input');
  h.setMsr(MSR.CE);
  assert.equal(h.irqReady, true);
});

test('timer conditions come from the timer facility and are gated like the others', () => {
  const { irq, h } = setup();
  h.timerBits.dec = true;
  h.setMsr(MSR.EE);
  assert.equal(irq.pendingConditions(), Pending.Decrementer);
  assert.equal(h.irqReady, true);
  h.timerBits.dec = false;
  h.timerBits.wdt = true;
  irq.update();
  assert.equal(h.irqReady, false, 'the watchdog is a critical-class interrupt');
});

test('polling the timers recomputes irqReady only when TSR changed', () => {
  const { irq, h } = setup();
  h.setMsr(MSR.EE);
  h.timerBits.fit = true;
  irq.pollTimers();
  assert.equal(h.irqReady, false, 'no TSR change reported: irqReady is not recomputed');
  h.tsrChanged = true;
  irq.pollTimers();
  assert.equal(h.irqReady, true);
});

test('the highest-priority deliverable condition is taken first, with the class save/restore pair', () => {
  const { irq, h } = setup();
  h.setMsr(MSR.EE | MSR.CE | MSR.ME);
  irq.setLine(Pending.External, true);
  irq.setLine(Pending.CriticalInput, true);
  h.timerBits.dec = true;
  assert.equal(irq.deliverPending(), null);
  assert.equal(h.pc, vectorOf(Ivor.CriticalInput), 'critical input wins over external and decrementer');
  assert.equal(h.spr[SPR.CSRR0], 0x1000);
  assert.equal(h.spr[SPR.CSRR1], MSR.EE | MSR.CE | MSR.ME);
  assert.equal(h.msr, MSR.ME, 'critical entry keeps only ME');
  assert.equal(h.counters.interrupts, 1);
  // Masked now: nothing else is deliverable until the handler re-enables.
  assert.equal(irq.deliverPending(), null);
  assert.equal(h.counters.interrupts, 1);
  h.pc = 0x2000;
  h.setMsr(MSR.EE | MSR.CE | MSR.ME);
  irq.setLine(Pending.CriticalInput, false);
  irq.deliverPending();
  assert.equal(h.pc, vectorOf(Ivor.External), 'external before the decrementer');
  assert.equal(h.spr[SPR.SRR0], 0x2000);
  assert.equal(h.msr, MSR.CE | MSR.ME, 'base-class entry keeps CE, ME, DE');
});

test('doorbells are edges consumed by delivery; the default sink matches PIR', () => {
  const { irq, h } = setup('e500mc');
  h.spr[SPR.PIR] = 3;
  h.setMsr(MSR.EE);
  irq.doorbellSink(0, false, 2);
  assert.equal(h.irqReady, false, 'addressed to another vCPU');
  irq.doorbellSink(0, false, 3);
  assert.equal(h.irqReady, true);
  irq.deliverPending();
  assert.equal(h.pc, vectorOf(Ivor.Doorbell));
  assert.equal(irq.lines & Pending.Doorbell, 0, 'taken doorbells are consumed');
  h.setMsr(MSR.EE);
  assert.equal(h.irqReady, false);
});

test('interrupt entry wakes a halted vCPU and breaks a reservation; a debug interrupt uses DSRR on e500mc, CSRR on e500v2', () => {
  for (const family of ['e500v2', 'e500mc'] as const) {
    const { irq, h } = setup(family);
    h.halted = true;
    h.resvValid = true;
    h.setMsr(MSR.DE | MSR.ME);
    irq.take(Ivor.Debug, 0x3000);
    assert.equal(h.halted, false);
    assert.equal(h.resvValid, false);
    assert.equal(h.spr[family === 'e500mc' ? SPR.DSRR0 : SPR.CSRR0], 0x3000, family);
  }
});

test('a machine check with MSR[ME]=0 is a checkstop, not an interrupt', () => {
  const { irq, h } = setup();
  irq.take(Ivor.MachineCheck, 0x1000);
  assert.equal(irq.checkstop, true);
  assert.equal(h.pc, 0x1000);
  assert.equal(h.counters.interrupts, 0);
});

test('with EPR exits enabled, an external input asks the VMM for the vector and is taken on resume', () => {
  const { irq, h } = setup('e500mc');
  irq.eprExitEnabled = true;
  h.setMsr(MSR.EE);
  irq.setLine(Pending.External, true);
  const e = irq.deliverPending();
  assert.ok(e !== null && e.kind === 'epr');
  assert.equal(h.exit.pending, e);
  assert.equal(h.pc, 0x1000, 'not taken yet');
  e.epr = 0x42;
  irq.setLine(Pending.External, false); // the VMM acknowledged the controller
  h.exit.resumeAction!();
  assert.equal(h.spr[SPR.EPR], 0x42);
  assert.equal(h.pc, vectorOf(Ivor.External), 'taken even though the line dropped');
});
