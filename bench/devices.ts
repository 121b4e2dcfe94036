/**
 * `npm run bench -- devices`: what one guest device access costs by the way it is served, on
 * the e500 accelerator: a loop of `lwz`/`stw` to a device register, CTR-counted, with
 *   - an exit to the VMM per access (the classic path; the VMM answers and runs again),
 *   - an in-process route (the vCPU calls the device model directly),
 *   - a socket route to a device in another thread (read: request and reply; posted write:
 *     queued, sent in batches; the device is the tests' ScratchDevice, which logs each access),
 *   - a coalesced zone (the write goes to the ring; the VMM drains it on ring-full exits).
 * The anchor is a C request/reply over a socketpair between two processes in the same run.
 * kvm is not measured here (no /dev/kvm on the development machine): its routed exits are
 * its MMIO exit cost (bench kvm-exit) plus the endpoint's.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Hypervisor, gpa } from '../src/api/index.js';
import { BOOKE_TLB_ENTRY_BYTES, MMU_FSL_BOOKE_NOHV, writeTlbEntry } from '../src/api/booke.js';
import type { RouteEndpoint } from '../src/api/routes.js';
import { CORE } from '../src/accel/e500/registers.js';
import { InProcessEndpoint } from '../src/devices/remote/in-process-endpoint.js';
import { FdChannel, SocketRouteEndpoint } from '../src/vmm/remote/socket-endpoint.js';
import { RouteServer } from '../src/vmm/remote/route-server.js';
import { asm, words } from '../test/support/ppc-asm.js';
import { ROOT, median, table } from './harness.js';

const DEV = 0x0200_0000;
const STOP = 0x0300_0000;

type Kind = 'exit' | 'route' | 'socket' | 'posted' | 'coalesced' | 'ram';

async function guestLoop(kind: Kind, n: number, endpoint?: RouteEndpoint): Promise<number> {
  const hv = await Hypervisor.open({ accel: 'e500' });
  const vm = hv.createVm({ name: `bench-${kind}` });
  try {
    const size = 32 << 20;
    const ram = vm.createMemory(size);
    vm.setMemoryMap([{ guestAddr: gpa(0), size, backing: ram, offset: 0 }]);
    const v = vm.createVcpu(0, { target: 'e500v2_v30' });
    const array = new ArrayBuffer((512 + 16) * BOOKE_TLB_ENTRY_BYTES);
    v.configTlb({ mmuType: MMU_FSL_BOOKE_NOHV, params: { tlbSizes: [512, 16, 0, 0], tlbWays: [4, 16, 0, 0] }, array, arrayLength: array.byteLength });
    writeTlbEntry(new DataView(array), 512, { mas8: 0, mas1: 0x80000800, mas2: 0, mas7_3: 0x3fn });
    v.dirtyTlb(null, 1);
    const write = kind === 'posted' || kind === 'coalesced';
    const target = kind === 'ram' ? 0x0010_0000 : DEV;
    const access = write ? asm.stw(3, 10, 0) : asm.lwz(5, 10, 0);
    // r3 = n; ctr = r3; loop: access; bdnz loop; store to STOP.
    const code = words(asm.lis(10, target >>> 16), asm.lis(3, n >>> 16), asm.ori(3, 3, n & 0xffff), asm.mtspr(9, 3), access, 0x4200fffc, asm.lis(2, STOP >>> 16), asm.stw(0, 2, 0));
    vm.memory.write(gpa(0x1000), code);
    v.setRegisters([
      [CORE.PC, 0x1000n],
      [CORE.MSR, 0n],
    ]);
    if (endpoint !== undefined) vm.setRoutes([{ space: 'mmio', base: DEV, size: 0x100, endpoint, postedWrites: kind === 'posted' }]);
    if (kind === 'coalesced') vm.registerCoalescedMmio({ space: 'mmio', addr: DEV, size: 0x100 });
    let sink = 0;
    const t0 = process.hrtime.bigint();
    for (;;) {
      const e = v.run();
      if (e.kind !== 'mmio') throw new Error(`unexpected ${e.kind} exit`);
      if (e.addr === STOP) break;
      // The VMM's part of an exit: drain what coalesced, answer the access.
      if (kind === 'coalesced') vm.drainCoalescedMmio((w) => (sink += w.data[3]!));
      if (!e.isWrite) e.data.fill(7);
      sink += e.data[0]!;
    }
    const ns = Number(process.hrtime.bigint() - t0) / n;
    if (kind === 'coalesced') vm.drainCoalescedMmio(() => {});
    void sink;
    return ns;
  } finally {
    vm.close();
    hv.close();
  }
}

async function socketDevice(dir: string): Promise<{ endpoint: SocketRouteEndpoint; done: () => Promise<void> }> {
  const path = join(dir, 'bench.sock');
  const endpoint = new SocketRouteEndpoint('bench', { log: (l) => console.log(l), shouldAbort: () => false });
  let connected = false;
  const server = new RouteServer({
    name: 'bench',
    path,
    ranges: [{ space: 'mmio', base: DEV, size: 0x100 }],
    guestOrder: 'big',
    memory: { kind: 'none' },
    irqLines: 0,
    log: () => {},
    onAccess: (fd) => {
      endpoint.attach(new FdChannel(fd));
      connected = true;
    },
    onIrq: () => {},
    onMsi: () => {},
    dmaRead: async () => 'no memory',
    dmaWrite: async () => 'no memory',
  });
  await server.listen();
  const worker = new Worker(new URL('../test/support/route-device-worker.js', import.meta.url), { workerData: { path } });
  for (let i = 0; i < 1000 && !connected; i++) await new Promise((r) => setTimeout(r, 10));
  if (!connected) throw new Error('the bench device did not connect');
  return {
    endpoint,
    done: async () => {
      await worker.terminate();
      server.close();
    },
  };
}

export async function benchDevices(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ngkvm-bench-dev-'));
  try {
    const rows: string[][] = [['access', 'per access', 'vs C socketpair round trip']];
    let anchor = NaN;
    if (spawnSync('gcc', ['--version']).status === 0) {
      const bin = join(dir, 'anchor');
      execFileSync('gcc', ['-O2', '-o', bin, join(ROOT, 'bench', 'socketpair-anchor.c')]);
      anchor = median([0, 1, 2].map(() => Number(execFileSync(bin, ['100000'], { encoding: 'utf8' }).trim())));
    }
    const rel = (ns: number): string => (Number.isNaN(anchor) ? 'n/a (no gcc)' : `${(ns / anchor).toFixed(2)}×`);
    const fmt = (ns: number): string => (ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(0)} ns`);
    const measure = async (label: string, kind: Kind, n: number, ep?: () => RouteEndpoint): Promise<void> => {
      const ns = median([await guestLoop(kind, n, ep?.()), await guestLoop(kind, n, ep?.()), await guestLoop(kind, n, ep?.())]);
      rows.push([label, fmt(ns), rel(ns)]);
    };
    await measure('RAM load (the loop itself)', 'ram', 2_000_000);
    await measure('read, exit to the VMM', 'exit', 200_000);
    // A register that costs nothing to read, so the figure is the route's.
    const lean = { name: 'lean', endian: 'big' as const, read: () => 7, write: () => {} };
    await measure('read, in-process route', 'route', 1_000_000, () => new InProcessEndpoint('b', [lean]));
    await measure('write, coalesced zone (ring)', 'coalesced', 1_000_000);
    const sock = await socketDevice(dir);
    try {
      await measure('read, socket route (device thread)', 'socket', 20_000, () => sock.endpoint);
      await measure('write, socket route, posted', 'posted', 200_000, () => sock.endpoint);
    } finally {
      await sock.done();
    }
    if (!Number.isNaN(anchor)) rows.push(['C socketpair request/reply (2 processes)', fmt(anchor), '1.00×']);
    console.log('devices: cost of one guest device access by how it is served (e500 accelerator)');
    console.log(table(rows));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
