/**
 * Descriptor-chain fuzzing of the virtio devices: each round builds a device behind a
 * transport, lets a "driver" made of random choices set queues up and post chains — valid
 * ones, valid ones with bytes of the descriptor table, indirect tables or the available ring
 * flipped afterwards, and pure garbage — then notifies and polls. After every round:
 *
 *  - nothing threw out of the transport (every guest access returned);
 *  - the device either worked or is in NEEDS_RESET, and then logged exactly one line saying so;
 *  - no DMA was attempted outside guest RAM, no image access outside the image;
 *  - every used-ring entry names a descriptor of the table.
 *
 * Deterministic for a seed; `NGKVM_FUZZ_ROUNDS` raises the number of rounds.
 */
import { VirtioBlk } from '../../src/devices/virtio/blk.js';
import { VirtioConsole } from '../../src/devices/virtio/console.js';
import { F, STATUS, VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE, bit } from '../../src/devices/virtio/constants.js';
import type { VirtioDevice } from '../../src/devices/virtio/device.js';
import { PciBus } from '../../src/devices/pci/pci-bus.js';
import { VirtioNet } from '../../src/devices/virtio/net.js';
import { VirtioPciTransport } from '../../src/devices/virtio/pci-transport.js';
import { VirtioRng } from '../../src/devices/virtio/rng.js';
import { BufferChar, CountingEntropy, DriverRing, MemoryDisk, MmioDriver, PciDriver, Prng, QueueNet, TestRam, type Buf } from './virtio.js';

/** Where a round's decisions come from: a seeded Prng, or the fuzzer's input bytes (ByteChoices). */
export interface Choices {
  u32(): number;
  below(n: number): number;
  chance(p: number): boolean;
}

/**
 * Decisions read from bytes, so a mutated input changes the decisions it covers and keeps the
 * rest: each u32 is the next 4 bytes; past the end, a Prng seeded from the input's length.
 */
export class ByteChoices implements Choices {
  private at = 0;
  private readonly tail: Prng;

  constructor(private readonly bytes: Uint8Array) {
    this.tail = new Prng(0x9e37_79b9 ^ bytes.length);
  }

  u32(): number {
    if (this.at + 4 > this.bytes.length) return this.tail.u32();
    const b = this.bytes;
    const v = (b[this.at]! | (b[this.at + 1]! << 8) | (b[this.at + 2]! << 16) | (b[this.at + 3]! << 24)) >>> 0;
    this.at += 4;
    return v;
  }

  below(n: number): number {
    return this.u32() % n;
  }

  chance(p: number): boolean {
    return this.u32() / 2 ** 32 < p;
  }
}

export type FuzzDevice = 'blk' | 'net' | 'console' | 'rng';

export interface FuzzStats {
  rounds: number;
  needsReset: number;
  completed: number;
  usedEntries: number;
  problems: string[];
}

const RAM_SIZE = 256 * 1024;
const DISK_SIZE = 64 * 1024;

interface Target {
  device: VirtioDevice;
  /** Queues the fuzz driver sets up (index, size). */
  queues: readonly { index: number; size: number }[];
  /** Device-readable payloads that mean something to the device. */
  payload(r: Choices): Uint8Array;
  disk?: MemoryDisk;
  net?: QueueNet;
  chars?: BufferChar[];
}

function target(kind: FuzzDevice, r: Choices): Target {
  switch (kind) {
    case 'blk': {
      const disk = new MemoryDisk(DISK_SIZE, r.chance(0.2));
      return {
        device: new VirtioBlk({ backend: disk, queues: 1 + r.below(2), serial: 'fuzz' }),
        queues: [{ index: 0, size: 16 }, { index: 1, size: 8 }],
        disk,
        payload: (p) => {
          const h = new Uint8Array(16 + (p.chance(0.3) ? 16 : 0));
          const v = new DataView(h.buffer);
          v.setUint32(0, [0, 1, 4, 8, 11, 13, p.u32()][p.below(7)]!, true);
          const sectors = DISK_SIZE / 512;
          v.setBigUint64(8, BigInt(p.chance(0.8) ? p.below(sectors + 4) : p.u32() * 2 ** 21 + p.u32()), true);
          if (h.length > 16) {
            v.setBigUint64(16, BigInt(p.below(sectors + 4)), true);
            v.setUint32(24, p.below(sectors + 4), true);
            v.setUint32(28, p.below(3), true);
          }
          return h;
        },
      };
    }
    case 'net': {
      const net = new QueueNet();
      for (let i = 0; i < r.below(4); i++) net.incoming.push(new Uint8Array(14 + r.below(3000)).fill(r.below(256)));
      return {
        device: new VirtioNet({ backend: net, mac: Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56) }),
        queues: [{ index: 0, size: 16 }, { index: 1, size: 16 }, { index: 2, size: 8 }],
        net,
        payload: (p) => {
          const b = new Uint8Array(p.chance(0.5) ? 2 + p.below(30) : 12 + p.below(200));
          for (let i = 0; i < b.length; i++) b[i] = p.below(256);
          if (b.length >= 2 && p.chance(0.5)) {
            b[0] = p.below(6);
            b[1] = p.below(3);
          }
          return b;
        },
      };
    }
    case 'console': {
      const chars = [new BufferChar(), new BufferChar()];
      chars[0]!.input.push(...new Uint8Array(r.below(300)).fill(0x41));
      return {
        device: new VirtioConsole({ maxPorts: 2, ports: [{ nr: 0, backend: chars[0]!, console: true }, { nr: 1, backend: chars[1]!, console: false, name: 'p' }] }),
        queues: [0, 1, 2, 3, 4, 5].map((index) => ({ index, size: 8 })),
        chars,
        payload: (p) => {
          const m = new Uint8Array(p.chance(0.7) ? 8 : p.below(20));
          const v = new DataView(m.buffer);
          if (m.length >= 8) {
            v.setUint32(0, p.chance(0.8) ? p.below(3) : p.u32(), true);
            v.setUint16(4, p.below(9), true);
            v.setUint16(6, p.below(2), true);
          }
          return m;
        },
      };
    }
    case 'rng':
      return { device: new VirtioRng(new CountingEntropy()), queues: [{ index: 0, size: 8 }], payload: () => new Uint8Array(0) };
  }
}

/** A transport-neutral handle the rounds drive. */
interface Rig {
  ram: TestRam;
  logs: string[];
  setupQueue(index: number, size: number): DriverRing;
  notify(index: number): void;
  poll(): void;
  status(): number;
  writeStatus(v: number): void;
  /** Touches every register of the transport with random values. */
  scribble(r: Choices): void;
}

function mmioRig(device: VirtioDevice, ram: TestRam, features: bigint): Rig {
  const d = new MmioDriver(device, ram);
  d.negotiate(features);
  return {
    ram,
    logs: d.logs,
    setupQueue: (i, s) => d.setupQueue(i, s),
    notify: (i) => d.notify(i),
    poll: () => d.t.poll(),
    status: () => d.status(),
    writeStatus: (v) => d.w(0x70, v),
    scribble: (r) => {
      const off = r.below(0x140) & ~3;
      if (off === 0x70) return; // status writes are the driver's own business below
      d.t.write(off, [1, 2, 4][r.below(3)]!, r.u32());
      d.t.read(r.below(0x140), [1, 2, 4][r.below(3)]!);
    },
  };
}

function pciRig(device: VirtioDevice, ram: TestRam, features: bigint): Rig {
  const logs: string[] = [];
  const bus = new PciBus(() => {});
  const t = new VirtioPciTransport({ device, name: 'fuzz-pci', dma: ram, vectors: 3, msiSend: () => {}, log: (l) => logs.push(l) });
  bus.attach(1, 0, t.function);
  const d = new PciDriver(bus, t.function, ram);
  d.negotiate(features);
  return {
    ram,
    logs,
    setupQueue: (i, s) => d.setupQueue(i, s, i % 3),
    notify: (i) => d.notify(i),
    poll: () => t.core.poll(),
    status: () => d.common(0x14, 1),
    writeStatus: (v) => d.common(0x14, 1, v),
    scribble: (r) => {
      const off = r.below(0x3c);
      if (off === 0x14) return;
      d.common(off, [1, 2, 4][r.below(3)]!, r.u32());
      t.function.writeConfig(0x40 + r.below(0xc0), [1, 2, 4][r.below(3)]!, r.u32());
      d.msix(r.below(0x1000) & ~3, r.u32());
    },
  };
}

function randomBuf(r: Choices, ram: TestRam, write: boolean, payload: Uint8Array | undefined, hostile: boolean): Buf {
  const pick = hostile ? r.below(40) : 2;
  if (pick === 0) return { addr: r.u32() * (r.chance(0.5) ? 2 ** 20 : 1), len: r.u32(), write };
  if (pick === 1) return { addr: ram.size - r.below(64), len: 1 + r.below(128), write };
  const len = payload !== undefined && !write ? payload.length : r.chance(0.1) ? 0 : 1 + r.below(r.chance(0.2) ? 4096 : 600);
  const addr = ram.alloc(Math.max(1, len), 1 + r.below(8));
  if (payload !== undefined && !write) ram.put(addr, payload);
  return { addr, len, write };
}

/** One fuzz round against a fresh device; problems are appended to stats. */
export function fuzzRound(kind: FuzzDevice, seed: number | Choices, stats: FuzzStats, transport: 'mmio' | 'pci' = 'mmio'): void {
  const r = typeof seed === 'number' ? new Prng(seed) : seed;
  const ram = new TestRam(RAM_SIZE);
  const t = target(kind, r);
  const features = bit(F.VERSION_1) | (r.chance(0.7) ? bit(F.INDIRECT_DESC) : 0n) | (r.chance(0.5) ? bit(F.EVENT_IDX) : 0n) | (t.device.features & BigInt(r.u32()));
  const rig = transport === 'mmio' ? mmioRig(t.device, ram, features) : pciRig(t.device, ram, features);
  const rings = t.queues.map((q) => ({ index: q.index, ring: rig.setupQueue(q.index, q.size) }));
  const fail = (what: string): void => void stats.problems.push(`${kind}/${transport}${typeof seed === 'number' ? ` seed ${seed}` : ''}: ${what}`);
  try {
    // DRIVER_OK, except sometimes (then nothing may happen at all).
    if (r.chance(0.95)) rig.writeStatus(rig.status() | STATUS.DRIVER_OK);
    const steps = 1 + r.below(12);
    // Some rounds play a well-behaved driver with device-meaningful requests; the rest add
    // garbage descriptors, index jumps and register scribbles.
    const hostile = r.chance(0.6);
    for (let s = 0; s < steps; s++) {
      const { index, ring } = rings[r.below(rings.length)]!;
      const action = hostile ? r.below(10) : 0;
      if (action < 6) {
        // A chain, valid in shape, with device-meaningful readable bytes.
        const bufs: Buf[] = [];
        const nr = hostile || kind === 'rng' ? r.below(3) : 1 + r.below(2);
        const nw = r.below(3) + (kind === 'blk' ? 1 : 0);
        for (let i = 0; i < nr; i++) bufs.push(randomBuf(r, ram, false, i === 0 ? t.payload(r) : undefined, hostile));
        for (let i = 0; i < nw; i++) bufs.push(randomBuf(r, ram, true, undefined, hostile));
        if (bufs.length === 0) continue;
        if (bufs.length > ring.size) bufs.length = ring.size;
        const head = ring.addChain(bufs, { indirect: r.chance(0.3) });
        if (hostile && r.chance(0.25)) mutate(r, ram, ring);
        ring.publish(head);
      } else if (action === 6) {
        // Garbage descriptors and a random head.
        for (let i = 0; i < 1 + r.below(4); i++) {
          ring.writeDesc(ring.desc, r.below(ring.size), { addr: r.chance(0.5) ? r.below(RAM_SIZE) : r.u32() * 4096, len: r.chance(0.5) ? r.below(512) : r.u32(), flags: r.below(8), next: r.below(ring.size + 3) });
        }
        ring.publish(r.chance(0.9) ? r.below(ring.size) : r.below(0x10000));
      } else if (action === 7) {
        // The available index jumps.
        ram.view.setUint16(ring.avail + 2, r.below(0x10000), true);
      } else if (action === 8) {
        rig.scribble(r);
      } else {
        ring.setUsedEvent(r.below(0x10000));
        ring.setAvailFlags(r.below(2));
      }
      rig.notify(r.chance(0.9) ? index : r.below(70));
      if (r.chance(0.3)) rig.poll();
      for (const { ring: rr } of rings) {
        for (const u of rr.takeUsed()) {
          stats.usedEntries++;
          if (u.id >= rr.size) fail(`used entry names descriptor ${u.id} of a ${rr.size}-entry table`);
        }
      }
    }
  } catch (e) {
    fail(`exception escaped: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
  if (ram.outside.length > 0) fail(`DMA attempted outside RAM: ${JSON.stringify(ram.outside.slice(0, 3))}`);
  if (t.disk !== undefined && t.disk.outside.length > 0) fail(`image accessed outside itself: ${t.disk.outside.join(', ')}`);
  const resets = rig.logs.filter((l) => l.includes('needs reset')).length;
  if ((rig.status() & STATUS.NEEDS_RESET) !== 0) {
    stats.needsReset++;
    if (resets !== 1) fail(`NEEDS_RESET with ${resets} log lines`);
  } else {
    stats.completed++;
    if (resets !== 0) fail('a needs-reset line without NEEDS_RESET');
  }
  stats.rounds++;
}

/** Flips bytes in the ring's tables after a valid chain was written. */
function mutate(r: Choices, ram: TestRam, ring: DriverRing): void {
  const where = r.below(3);
  const base = where === 0 ? ring.desc : where === 1 ? ring.avail : ring.desc + 16 * r.below(ring.size);
  const span = where === 0 ? 16 * ring.size : where === 1 ? 4 + 2 * ring.size : 16;
  const at = base + r.below(span);
  ram.bytes[at] = r.chance(0.5) ? r.below(256) : ram.bytes[at]! ^ (1 << r.below(8));
  if (r.chance(0.2)) {
    const d = base + 16 * r.below(4);
    if (d + 16 <= ram.size) ram.view.setUint16(d + 12, [VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_WRITE, r.below(0x10000)][r.below(4)]!, true);
  }
}
