/**
 * Coalesced MMIO on the e500 accelerator: writes into a zone are queued in the ring without
 * an exit, reads exit; the VMM drains the ring before handling the exit, so the device sees
 * the writes before the read; a full ring makes the next write exit; unregistering ends it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError, RegionOverlapError, type CoalescedWrite } from '../../../src/api/index.js';
import { COALESCED_RING_ENTRIES } from '../../../src/api/coalesced.js';
import { InProcessEndpoint } from '../../../src/devices/remote/in-process-endpoint.js';
import { asm, stop, words } from '../../support/ppc-asm.js';
import { STOP_ADDR, e500Vm } from '../../support/e500-vm.js';
import { ScratchDevice } from '../../support/route-scratch-device.js';

const ZONE = 0x0200_2000;

test('writes into a zone go to the ring in order; the read exits after them', async () => {
  const t = await e500Vm({
    code: words(asm.lis(10, 0x0200), asm.ori(10, 10, 0x2000), asm.li(3, 1), asm.stw(3, 10, 0), asm.li(3, 2), asm.stb(3, 10, 5), asm.li(3, 3), asm.sth(3, 10, 6), asm.lwz(4, 10, 8), ...stop()),
  });
  t.vm.registerCoalescedMmio({ space: 'mmio', addr: ZONE, size: 0x100 });
  const e = t.vcpu.run();
  assert.ok(e.kind === 'mmio' && e.addr === ZONE + 8 && !e.isWrite, 'the first exit is the read');
  const seen: CoalescedWrite[] = [];
  assert.equal(t.vm.drainCoalescedMmio((w) => seen.push(w)), 3);
  assert.deepEqual(
    seen.map((w) => [w.addr - ZONE, [...w.data]]),
    [
      [0, [0, 0, 0, 1]],
      [5, [2]],
      [6, [0, 3]],
    ],
  );
  assert.equal(t.vm.drainCoalescedMmio(() => assert.fail('drained twice')), 0);
  const s = t.vcpu.run();
  assert.ok(s.kind === 'mmio' && s.addr === STOP_ADDR);
  assert.equal(t.vcpu.stats()['coalesced-writes'], 3);
});

test('a full ring makes the next write exit; after unregistering, writes exit again', async () => {
  // COALESCED_RING_ENTRIES + 1 stores in a loop (ctr), then one more after unregistering.
  const n = COALESCED_RING_ENTRIES + 1;
  const t = await e500Vm({
    code: words(asm.lis(10, 0x0200), asm.ori(10, 10, 0x2000), asm.li(3, n), asm.mtspr(9, 3), asm.stw(3, 10, 0), 0x4200fffc /* bdnz -4 */, asm.stw(3, 10, 4), ...stop()),
  });
  t.vm.registerCoalescedMmio({ space: 'mmio', addr: ZONE, size: 0x100 });
  const e = t.vcpu.run();
  assert.ok(e.kind === 'mmio' && e.addr === ZONE && e.isWrite, 'the write that found the ring full');
  assert.equal(t.vm.drainCoalescedMmio(() => {}), COALESCED_RING_ENTRIES);
  t.vm.unregisterCoalescedMmio({ space: 'mmio', addr: ZONE, size: 0x100 });
  const e2 = t.vcpu.run();
  assert.ok(e2.kind === 'mmio' && e2.addr === ZONE + 4 && e2.isWrite, 'no zone: an exit');
  assert.equal(t.vm.drainCoalescedMmio(() => {}), 0);
});

test('a route inside a zone carries its accesses; zone misuse is a typed error', async () => {
  const t = await e500Vm({ code: words(asm.lis(10, 0x0200), asm.ori(10, 10, 0x2000), asm.li(3, 9), asm.stw(3, 10, 0x10), ...stop()) });
  const dev = new ScratchDevice('d');
  t.vm.registerCoalescedMmio({ space: 'mmio', addr: ZONE, size: 0x100 });
  t.vm.addRoute({ space: 'mmio', base: ZONE + 0x10, size: 0x10, endpoint: new InProcessEndpoint('d', [dev]) });
  assert.ok(t.vcpu.run().kind === 'mmio');
  assert.equal(dev.writes, 1, 'the route took the write');
  assert.equal(t.vm.drainCoalescedMmio(() => {}), 0);
  assert.throws(() => t.vm.registerCoalescedMmio({ space: 'mmio', addr: ZONE + 0x80, size: 0x100 }), RegionOverlapError);
  assert.throws(() => t.vm.unregisterCoalescedMmio({ space: 'mmio', addr: ZONE, size: 0x10 }), InvalidArgumentError);
  assert.throws(() => t.vm.registerCoalescedMmio({ space: 'mmio', addr: ZONE, size: 0 }), InvalidArgumentError);
  assert.ok(t.vm.hypervisor.checkExtension('coalesced-mmio') > 0);
});
