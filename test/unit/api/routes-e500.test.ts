/**
 * Device routes on the e500 accelerator (Vm.setRoutes): guest MMIO inside a route reaches
 * the endpoint from the vCPU without an exit; posted writes are queued and reach the devices
 * before any synchronous access and before any exit; a kick while a device is slow is an
 * interrupted exit after which the access completes once; routes move with the memory map.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { RegionOverlapError, gpa, InvalidArgumentError, type Exit } from '../../../src/api/index.js';
import type { RouteSpec } from '../../../src/api/routes.js';
import { CONTROL_KICK } from '../../../src/api/threads.js';
import { gprId } from '../../../src/accel/e500/registers.js';
import { KICK_REQUEST } from '../../../src/api/threads.js';
import type { MmioDevice } from '../../../src/devices/bus.js';
import { InProcessEndpoint } from '../../../src/devices/remote/in-process-endpoint.js';
import { FdChannel, SocketRouteEndpoint } from '../../../src/vmm/remote/socket-endpoint.js';
import { RouteServer } from '../../../src/vmm/remote/route-server.js';
import { asm, stop, words } from '../../support/ppc-asm.js';
import { STOP_ADDR, e500Vm } from '../../support/e500-vm.js';
import { ScratchDevice } from '../../support/route-scratch-device.js';

/** Two device windows in the mapped, non-RAM part of the test VM's space. */
const A = 0x0200_0000;
const B = 0x0200_1000;

/** Wraps a device so that every access it sees lands in one shared log, across devices. */
function logged(tag: string, dev: MmioDevice, log: string[]): MmioDevice {
  return {
    name: dev.name,
    endian: dev.endian,
    maxAccessSize: 4,
    read: (o, s) => {
      log.push(`${tag} r${o.toString(16)}/${s}`);
      return dev.read(o, s);
    },
    write: (o, s, v) => {
      log.push(`${tag} w${o.toString(16)}/${s}=${v.toString(16)}`);
      dev.write(o, s, v);
    },
  };
}

function isStop(e: Exit): boolean {
  return e.kind === 'mmio' && e.addr === STOP_ADDR && e.isWrite;
}

async function twoDevices(code: number[]) {
  const t = await e500Vm({ code: words(...code) });
  const log: string[] = [];
  const devA = new ScratchDevice('a');
  const devB = new ScratchDevice('b');
  const epA = new InProcessEndpoint('a', [logged('A', devA, log)]);
  const epB = new InProcessEndpoint('b', [logged('B', devB, log)]);
  const routeA: RouteSpec = { space: 'mmio', base: A, size: 0x100, endpoint: epA, postedWrites: true };
  const routeB: RouteSpec = { space: 'mmio', base: B, size: 0x100, endpoint: epB };
  t.vm.setRoutes([routeA, routeB]);
  return { ...t, log, devA, devB, epA, epB, routeA, routeB };
}

const loadAddr = (r: number, addr: number): number[] => [asm.lis(r, addr >>> 16), asm.ori(r, r, addr & 0xffff)];

test('routed MMIO never exits; posted writes to A reach A before the read of B; sizes and byte order', async () => {
  const t = await twoDevices([
    ...loadAddr(10, A),
    ...loadAddr(11, B),
    ...loadAddr(3, 0x11223344),
    asm.stw(3, 10, 0x10), // posted
    asm.li(4, 0x55),
    asm.stb(4, 10, 0x14), // posted
    asm.li(4, 0x6677),
    asm.sth(4, 10, 0x16), // posted
    asm.stw(3, 11, 0x00), // B: a write the vCPU waits for (A's queue goes first)
    asm.lwz(5, 10, 0x14), // A: read back what was posted
    asm.lbz(6, 10, 0x11),
    asm.lhz(7, 11, 0x02),
    asm.lwz(8, 11, 0x40), // B: writes seen
    ...stop(),
  ]);
  const exit = t.vcpu.run();
  assert.ok(isStop(exit), `the first exit is the stop, not a routed access (${JSON.stringify(exit)})`);
  assert.deepEqual(t.log, ['A w10/4=11223344', 'A w14/1=55', 'A w16/2=6677', 'B w0/4=11223344', 'A r14/4', 'A r11/1', 'B r2/2', 'B r40/4']);
  const [r5, r6, r7, r8] = t.vcpu.getRegisters([gprId(5), gprId(6), gprId(7), gprId(8)]);
  assert.equal(r5, 0x55006677n);
  assert.equal(r6, 0x22n);
  assert.equal(r7, 0x3344n);
  assert.equal(r8, 1n);
  assert.equal(t.vcpu.stats()['routed-accesses'], 8);
});

test('posted writes are flushed before an exit to the VMM, and never sent twice', async () => {
  const t = await twoDevices([...loadAddr(10, A), asm.li(3, 7), asm.stw(3, 10, 0), asm.stw(3, 10, 4), ...stop()]);
  const exit = t.vcpu.run();
  assert.ok(isStop(exit));
  assert.ok(!t.epA.hasQueued, 'nothing left queued when the VMM sees the exit');
  assert.deepEqual(t.log, ['A w0/4=7', 'A w4/4=7']);
  t.vcpu.getRegisters([gprId(3)]);
  t.vm.close();
  assert.equal(t.devA.writes, 2);
});

test('an instruction whose second access exits replays the routed first one from its log', async () => {
  // stmw r30,r31 across the end of route A: the first word is routed, the second exits.
  const t = await twoDevices([...loadAddr(10, A + 0xfc), asm.li(30, 1), asm.li(31, 2), asm.stmw(30, 10, 0), ...stop()]);
  const first = t.vcpu.run();
  assert.equal(first.kind, 'mmio');
  assert.ok(first.kind === 'mmio' && first.addr === A + 0x100 && first.isWrite);
  assert.deepEqual(t.log, ['A wfc/4=1'], 'the routed word went out before the VMM saw the exit');
  assert.ok(isStop(t.vcpu.run()));
  assert.deepEqual(t.log, ['A wfc/4=1'], 'not sent again when the instruction completed');
});

test("an exit after routed accesses of earlier instructions gets the VMM's answer, not a routed one", async () => {
  const PLAIN = 0x0200_8000;
  const t = await twoDevices([...loadAddr(10, A), ...loadAddr(11, PLAIN), asm.lwz(3, 10, 0), asm.lwz(3, 10, 4), asm.lwz(4, 11, 0), ...stop()]);
  t.devA.regs.set([1, 2, 3, 4, 5, 6, 7, 8], 0);
  const e = t.vcpu.run();
  assert.ok(e.kind === 'mmio' && e.addr === PLAIN && !e.isWrite);
  e.data.set([0x12, 0x34, 0x56, 0x78]);
  assert.ok(isStop(t.vcpu.run()));
  const [r3, r4] = t.vcpu.getRegisters([gprId(3), gprId(4)]);
  assert.equal(r3, 0x05060708n);
  assert.equal(r4, 0x12345678n);
});

test('a removed route exits to the VMM again; a BAR move swaps RAM and the route at once', async () => {
  const PAUSE = 0x0200_8000;
  const t = await twoDevices([
    ...loadAddr(10, B),
    asm.lwz(3, 10, 0),
    ...loadAddr(11, PAUSE),
    asm.stw(3, 11, 0), // an exit where the VMM moves the BAR
    asm.lwz(4, 10, 0), // RAM now
    ...loadAddr(12, 0x0200_4000),
    asm.lwz(5, 12, 0), // the device at its new place
    ...stop(),
  ]);
  t.vm.removeRoute(t.routeB);
  assert.deepEqual(t.vm.routes(), [t.routeA]);
  const e = t.vcpu.run();
  assert.ok(e.kind === 'mmio' && e.addr === B && !e.isWrite, "B is the VMM's now");
  e.data.set([0xde, 0xad, 0xbe, 0xef]);
  const pause = t.vcpu.run();
  assert.ok(pause.kind === 'mmio' && pause.addr === PAUSE && pause.isWrite);
  // The BAR move: B's device goes to 0x02004000 and RAM appears where it was, in one call.
  const ram = t.vm.memoryMap()[0]!;
  const page = t.vm.createMemory(0x1000);
  page.view.setUint32(0, 0x600d600d);
  const moved: RouteSpec = { ...t.routeB, base: 0x0200_4000 };
  t.vm.setRoutes([t.routeA, moved], { memoryMap: [ram, { guestAddr: gpa(B), size: 0x1000, backing: page, offset: 0 }] });
  t.devB.regs.set([0xca, 0xfe, 0xf0, 0x0d], 0);
  assert.ok(isStop(t.vcpu.run()));
  const [r3, r4, r5] = t.vcpu.getRegisters([gprId(3), gprId(4), gprId(5)]);
  assert.equal(r3, 0xdeadbeefn, 'the VMM answered the unrouted read');
  assert.equal(r4, 0x600d600dn, 'RAM where the device was');
  assert.equal(r5, 0xcafef00dn, 'the device through its moved route');
  assert.deepEqual(t.log, ['B r0/4']);
  assert.equal(t.vm.memoryMap().length, 2);
});

test('a route may overlap neither RAM nor another route; a bad table changes nothing', async () => {
  const t = await twoDevices([...stop()]);
  const ep = t.epA;
  assert.throws(() => t.vm.addRoute({ space: 'mmio', base: 0x1000, size: 0x100, endpoint: ep }), RegionOverlapError);
  assert.throws(() => t.vm.addRoute({ space: 'mmio', base: A + 0x80, size: 0x100, endpoint: ep }), RegionOverlapError);
  assert.throws(() => t.vm.setRoutes([{ space: 'mmio', base: A, size: 0, endpoint: ep }]), InvalidArgumentError);
  assert.throws(() => t.vm.setRoutes([{ space: 'mmio', base: A, size: 4, endpoint: {} as never }]), InvalidArgumentError);
  assert.throws(() => t.vm.removeRoute({ ...t.routeA }), InvalidArgumentError);
  // RAM over a routed range is refused too, and the old map stays.
  const page = t.vm.createMemory(0x1000);
  const before = t.vm.memoryMap();
  assert.throws(() => t.vm.setMemoryMap([...before, { guestAddr: gpa(A), size: 0x1000, backing: page, offset: 0 }]), RegionOverlapError);
  assert.equal(t.vm.memoryMap(), before);
  assert.equal(t.vm.routes().length, 2);
  assert.ok(t.vm.hypervisor.checkExtension('routes') > 0);
});

// ---- over a socket, the device in a worker thread --------------------------------------

const dir = mkdtempSync(join(tmpdir(), 'ngkvm-routes-e500-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const DEVICE = new URL('../../support/route-device-worker.js', import.meta.url);

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), 'timed out waiting');
}

async function socketRig(name: string, slowMs: number, code: number[], slowStarted?: SharedArrayBuffer) {
  const t = await e500Vm({ code: words(...code) });
  const control = new Int32Array(t.vcpu.handle().control);
  const logs: string[] = [];
  const path = join(dir, `${name}.sock`);
  const endpoint = new SocketRouteEndpoint(name, { log: (l) => logs.push(l), shouldAbort: () => (Atomics.load(control, CONTROL_KICK) & KICK_REQUEST) !== 0 });
  const server = new RouteServer({
    name,
    path,
    ranges: [{ space: 'mmio', base: A, size: 0x100 }],
    guestOrder: 'big',
    memory: { kind: 'none' },
    irqLines: 0,
    log: (l) => logs.push(l),
    onAccess: (fd) => endpoint.attach(new FdChannel(fd)),
    onIrq: () => {},
    onMsi: () => {},
    dmaRead: async () => 'no memory granted',
    dmaWrite: async () => 'no memory granted',
  });
  await server.listen();
  const worker = new Worker(DEVICE, { workerData: { path, slowMs, slowStarted } });
  const messages: Record<string, unknown>[] = [];
  worker.on('message', (m: Record<string, unknown>) => messages.push(m));
  await until(() => endpoint.connected);
  t.vm.setRoutes([{ space: 'mmio', base: A, size: 0x100, endpoint, postedWrites: true }]);
  const deviceLog = async (): Promise<string[]> => {
    const n = messages.length;
    worker.postMessage({ type: 'log' });
    await until(() => messages.slice(n).some((m) => m['type'] === 'log'));
    return messages.slice(n).find((m) => m['type'] === 'log')!['log'] as string[];
  };
  const done = async (): Promise<void> => {
    t.vm.close();
    await worker.terminate();
    server.close();
  };
  return { ...t, control, endpoint, logs, deviceLog, done };
}

test('over a socket: posted writes and a read in guest order, all without an exit', async () => {
  const r = await socketRig('order', 0, [
    ...loadAddr(10, A),
    asm.li(3, 0x12),
    asm.stw(3, 10, 0x20),
    asm.stb(3, 10, 0x24),
    asm.lwz(4, 10, 0x44), // the offset of the last write the device saw
    asm.lwz(5, 10, 0x40), // and how many it saw
    asm.stw(3, 10, 0x28), // posted, then the exit: flushed before the VMM sees the stop
    ...stop(),
  ]);
  try {
    const exit = r.vcpu.run();
    assert.ok(isStop(exit), JSON.stringify(exit));
    const [r4, r5] = r.vcpu.getRegisters([gprId(4), gprId(5)]);
    assert.equal(r4, 0x24n);
    assert.equal(r5, 2n);
    assert.deepEqual(await r.deviceLog(), ['w20/4=12', 'w24/1=12', 'r44/4', 'r40/4', 'w28/4=12']);
  } finally {
    await r.done();
  }
});

test('over a socket: a kick while the device is slow is an interrupted exit; the read completes once on the next run', async () => {
  const slowStarted = new SharedArrayBuffer(4);
  const r = await socketRig('slow', 3000, [...loadAddr(10, A), asm.lwz(4, 10, 0x48), ...stop()], slowStarted);
  // Another thread kicks the vCPU once the device has the read and is being slow with it.
  const kicker = new Worker(
    `const { workerData } = require('node:worker_threads');
     Atomics.wait(new Int32Array(workerData.slowStarted), 0, 0);
     const w = new Int32Array(workerData.control);
     Atomics.store(w, ${CONTROL_KICK}, 1);
     Atomics.notify(w, ${CONTROL_KICK});`,
    { eval: true, workerData: { control: r.control.buffer, slowStarted } },
  );
  try {
    const first = r.vcpu.run();
    assert.equal(first.kind, 'interrupted');
    assert.equal(Atomics.load(r.control, CONTROL_KICK), 0, 'the kick was consumed by the exit that reports it');
    const second = r.vcpu.run();
    assert.ok(isStop(second), JSON.stringify(second));
    const [r4] = r.vcpu.getRegisters([gprId(4)]);
    assert.equal(r4, 0x5105n);
    assert.deepEqual(await r.deviceLog(), ['r48/4'], 'the device was asked once');
  } finally {
    await kicker.terminate();
    await r.done();
  }
});
