/**
 * ioEvent, irqEvent (with resample), signalMsi and GSI routes on the e500 accelerator: the
 * notifiers live in shared memory, so another thread can raise an interrupt that wakes a
 * halted vCPU; what they raise goes to the board's interrupt controller (the VM's sink),
 * here a recording sink and the real MPIC model.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import type { InterruptSink, MsiMessage } from '../../../src/api/events.js';
import { InvalidArgumentError } from '../../../src/api/index.js';
import { SharedNotifier } from '../../../src/api/shared-notifier.js';
import { gprId } from '../../../src/accel/e500/registers.js';
import { OpenPic } from '../../../src/devices/mpic/openpic.js';
import { asm, stop, words } from '../../support/ppc-asm.js';
import { STOP_ADDR, e500Vm } from '../../support/e500-vm.js';

class RecordingSink implements InterruptSink {
  readonly irqs: string[] = [];
  readonly msis: MsiMessage[] = [];
  eoi: (gsi: number) => void = () => {};
  onLevel: (gsi: number, level: boolean) => void = () => {};
  setIrq(gsi: number, level: boolean): void {
    this.irqs.push(`${gsi}:${level ? 1 : 0}`);
    this.onLevel(gsi, level);
  }
  msi(m: MsiMessage): boolean {
    this.msis.push(m);
    return true;
  }
  onEoi(listener: (gsi: number) => void): void {
    this.eoi = listener;
  }
}

const SPR_IVPR = 63;
const SPR_IVOR4 = 404;
const MSR_EE = 0x8000;

test('an irqEvent signalled from another thread wakes a halted vCPU and reaches the sink', async () => {
  // The guest enables external interrupts and idles; the handler at 0x2000 ends the test.
  const t = await e500Vm({
    code: words(asm.li(3, 0), asm.mtspr(SPR_IVPR, 3), asm.li(3, 0x2000), asm.mtspr(SPR_IVOR4, 3), asm.li(3, MSR_EE), asm.mtmsr(3), asm.li(4, 0x77), asm.b(0)),
  });
  t.vm.memory.write(0x2000 as never, words(...stop()));
  const sink = new RecordingSink();
  // Latched like an MPIC edge source: the core's input stays up (the handler ends the test).
  sink.onLevel = (_gsi, level) => {
    if (level) t.vcpu.setInterruptLine('external', true);
  };
  t.vm.setInterruptSink(sink);
  const ev = t.vm.irqEvent({ gsi: 9 });
  const worker = new Worker(
    `const { workerData } = require('node:worker_threads');
     import(workerData.module).then(({ SharedNotifier }) => SharedNotifier.open(workerData.share).signal());`,
    { eval: true, workerData: { module: new URL('../../../src/api/shared-notifier.js', import.meta.url).href, share: (ev.trigger as SharedNotifier).share() } },
  );
  try {
    const exit = t.vcpu.run();
    assert.ok(exit.kind === 'mmio' && exit.addr === STOP_ADDR, JSON.stringify(exit));
    assert.deepEqual(sink.irqs, ['9:1', '9:0'], 'an edge on GSI 9');
    const [r4] = t.vcpu.getRegisters([gprId(4)]);
    assert.equal(r4, 0x77n, 'the guest got as far as its idle loop');
  } finally {
    await worker.terminate();
    ev.close();
  }
});

test('resample: the line stays up until the EOI, then drops and the resample notifier is signalled; GSI routes', async () => {
  // Every run ends at the stop store (the branch goes back to it).
  const t = await e500Vm({ code: words(...stop(), asm.b(-8)) });
  const sink = new RecordingSink();
  t.vm.setInterruptSink(sink);
  const ev = t.vm.irqEvent({ gsi: 3, resample: true });
  assert.ok(ev.resample !== null);
  ev.trigger.signal();
  t.vcpu.run();
  assert.deepEqual(sink.irqs, ['3:1'], 'level: held');
  sink.eoi(4);
  assert.equal(ev.resample.read(), 0, 'an EOI of another source does not resample');
  sink.eoi(3);
  assert.deepEqual(sink.irqs, ['3:1', '3:0']);
  assert.equal(ev.resample.read(), 1);
  // A GSI routed to an MSI sends the message instead.
  t.vm.setGsiRouting([{ gsi: 20, kind: 'msi', address: 0xfe041740n, data: 0x25000000 }]);
  const msi = t.vm.irqEvent({ gsi: 20 });
  msi.trigger.signal();
  t.vcpu.run();
  assert.deepEqual(sink.msis, [{ address: 0xfe041740n, data: 0x25000000 }]);
  assert.equal(t.vm.signalMsi({ address: 1n, data: 2 }), true);
  assert.equal(sink.msis.length, 2);
  assert.throws(() => t.vm.setGsiRouting([{ gsi: 1, kind: 'irqchip', irqchip: 1, pin: 0 }]), InvalidArgumentError);
  ev.close();
  msi.close();
});

test('an ioEvent takes matching guest writes instead of an exit; others still exit', async () => {
  const t = await e500Vm({
    code: words(asm.lis(10, 0x0200), asm.li(3, 5), asm.stw(3, 10, 0x10), asm.li(3, 6), asm.stw(3, 10, 0x10), asm.stw(3, 10, 0x10), asm.li(3, 5), asm.stw(3, 10, 0x10), ...stop()),
  });
  const ev = t.vm.ioEvent({ addr: 0x0200_0010, size: 4, space: 'mmio', datamatch: 5n });
  const e1 = t.vcpu.run();
  assert.ok(e1.kind === 'mmio' && e1.addr === 0x0200_0010 && e1.isWrite, 'the value 6 does not match: an exit');
  assert.equal(ev.notifier.read(), 1, 'the first write of 5 was taken');
  const e2 = t.vcpu.run();
  assert.ok(e2.kind === 'mmio' && e2.addr === 0x0200_0010, 'second 6');
  const e3 = t.vcpu.run();
  assert.ok(e3.kind === 'mmio' && e3.addr === STOP_ADDR);
  assert.equal(ev.notifier.read(), 1);
  ev.close();
  assert.throws(() => t.vm.ioEvent({ addr: 0, size: 4, space: 'pio' }), InvalidArgumentError);
});

test('the MPIC is an interrupt sink: MSIs land in MSIR, EOIs are reported with their source', () => {
  const ints: boolean[] = [];
  const p = new OpenPic(1, { setInt: (_c, l) => ints.push(l), setCint: () => {}, setProxyMode: () => {} });
  const eois: number[] = [];
  p.onEoi((n) => eois.push(n));
  assert.equal(p.msi({ address: 0xfe041740n, data: 0x25000000 }), true, 'group 1, bit 5');
  assert.equal(p.msi({ address: 0xfe041744n, data: 0 }), false, 'not MSIIR');
  assert.equal(p.read(0x1720, 4), 0b10, 'MSISR: group 1 pending');
  // Source 7: unmasked, priority 5, vector 0x42, to CPU 0; raise, acknowledge, end.
  p.write(0x10000 + 0x20 * 7, 4, (5 << 16) | 0x42);
  p.write(0x10010 + 0x20 * 7, 4, 1);
  p.write(0x20080, 4, 0); // CTPR 0: take every priority
  p.setIrq(7, true);
  assert.equal(ints.at(-1), true);
  assert.equal(p.read(0x200a0, 4), 0x42);
  p.write(0x200b0, 4, 0);
  assert.deepEqual(eois, [7]);
});
