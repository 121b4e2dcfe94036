/**
 * Hybrid registers on the e500 accelerator: a route's register page answers the reads it
 * covers without reaching the endpoint (a guest polling a status bit never leaves the
 * vCPU), while a device thread updates the page; other accesses still go to the endpoint,
 * after the queued posted writes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { InvalidArgumentError } from '../../../src/api/index.js';
import type { RouteSpec } from '../../../src/api/routes.js';
import { gprId } from '../../../src/accel/e500/registers.js';
import { InProcessEndpoint } from '../../../src/devices/remote/in-process-endpoint.js';
import { asm, stop, words } from '../../support/ppc-asm.js';
import { STOP_ADDR, e500Vm } from '../../support/e500-vm.js';
import { ScratchDevice } from '../../support/route-scratch-device.js';

const DEV = 0x0200_0000;
const andiDot = (ra: number, rs: number, ui: number): number => ((28 << 26) | (rs << 21) | (ra << 16) | ui) >>> 0;
const beq = (off: number): number => ((16 << 26) | (12 << 21) | (2 << 16) | (off & 0xfffc)) >>> 0;

test('a guest polls a status bit in the page while another thread sets it: no exit, no endpoint call', async () => {
  const t = await e500Vm({ code: words(asm.lis(10, DEV >>> 16), asm.lbz(5, 10, 5), andiDot(6, 5, 0x20), beq(-8), asm.lbz(7, 10, 0), ...stop()) });
  const shared = new SharedArrayBuffer(8);
  const bytes = new Uint8Array(shared);
  const readable = Uint8Array.of(0, 0, 0, 0, 0, 1, 0, 0);
  const dev = new ScratchDevice('uart');
  dev.regs[0] = 0x41;
  const ep = new InProcessEndpoint('uart', [dev]);
  ep.traceEnabled = true;
  const route: RouteSpec = { space: 'mmio', base: DEV, size: 8, endpoint: ep, hybrid: { bytes, readable } };
  t.vm.setRoutes([route]);
  // The device thread publishes THRE a little later; the vCPU spins on the page meanwhile.
  const worker = new Worker(
    `const { workerData } = require('node:worker_threads');
     setTimeout(() => Atomics.store(new Uint8Array(workerData.shared), 5, 0x60), 20);`,
    { eval: true, workerData: { shared } },
  );
  try {
    const exit = t.vcpu.run();
    assert.ok(exit.kind === 'mmio' && exit.addr === STOP_ADDR, JSON.stringify(exit));
    const [r5, r7] = t.vcpu.getRegisters([gprId(5), gprId(7)]);
    assert.equal(r5, 0x60n);
    assert.equal(r7, 0x41n, 'offset 0 is not in the page: the device answered');
    assert.deepEqual(ep.trace, [{ kind: 'read', range: 0, offset: 0, size: 1 }], 'the polling never reached the endpoint');
    const stats = t.vcpu.stats();
    assert.ok((stats['hybrid-reads'] ?? 0) >= 1);
    assert.equal(stats['routed-accesses'], (stats['hybrid-reads'] ?? 0) + 1);
  } finally {
    await worker.terminate();
  }
});

test('posted writes go out before a hybrid read; a read the page covers only in part goes to the device', async () => {
  const t = await e500Vm({ code: words(asm.lis(10, DEV >>> 16), asm.li(3, 9), asm.stw(3, 10, 0x10), asm.lbz(5, 10, 5), asm.lwz(6, 10, 4), ...stop()) });
  const bytes = Uint8Array.of(0, 0, 0, 0, 0, 0x60, 0, 0);
  const readable = Uint8Array.of(0, 0, 0, 0, 0, 1, 0, 0);
  const scratch = new ScratchDevice('d');
  // A write to 0x10 is published in the page's status byte, as a device model would.
  const dev = {
    name: 'd',
    endian: 'big' as const,
    read: (o: number, n: number) => scratch.read(o, n),
    write: (o: number, n: number, v: number) => {
      if (o === 0x10) bytes[5] = v & 0xff;
      scratch.write(o, n, v);
    },
  };
  const ep = new InProcessEndpoint('d', [dev]);
  ep.traceEnabled = true;
  t.vm.setRoutes([{ space: 'mmio', base: DEV, size: 0x100, endpoint: ep, postedWrites: true, hybrid: { bytes, readable } }]);
  assert.ok(t.vcpu.run().kind === 'mmio');
  assert.deepEqual(
    ep.trace.map((e) => `${e.kind} ${e.offset}/${e.size}`),
    ['posted 16/4', 'read 4/4'],
    'the posted write was sent before the hybrid read; the word read went to the device',
  );
  const [r5] = t.vcpu.getRegisters([gprId(5)]);
  assert.equal(r5, 9n, 'the hybrid read saw what the posted write published');
  assert.throws(() => t.vm.setRoutes([{ space: 'mmio', base: DEV, size: 8, endpoint: ep, hybrid: { bytes, readable: new Uint8Array(2) } }]), InvalidArgumentError);
});
