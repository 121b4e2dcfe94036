/**
 * The driver side of virtio, for device and transport tests: guest RAM that records every
 * access outside itself, split rings the test fills like a driver would, drivers for both
 * transports, and in-memory backends that record what the devices did to them.
 */
import type { BlockBackend, CharBackend, EntropySource, NetBackend } from '../../src/devices/virtio/backends.js';
import { DmaError, type GuestDma } from '../../src/devices/virtio/dma.js';
import { STATUS, VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from '../../src/devices/virtio/constants.js';
import { VirtioMmioTransport } from '../../src/devices/virtio/mmio-transport.js';
import type { VirtioDevice } from '../../src/devices/virtio/device.js';

/** Guest RAM [base, base + size) with a bump allocator; accesses outside it are recorded and refused. */
export class TestRam implements GuestDma {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** DMA attempts outside RAM (a device must check chains before touching buffers). */
  readonly outside: { addr: number; length: number; write: boolean }[] = [];
  private next: number;

  constructor(
    readonly size = 1 << 20,
    readonly base = 0,
  ) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
    this.next = base + 0x1000;
  }

  alloc(length: number, align = 16): number {
    const addr = Math.ceil(this.next / align) * align;
    if (addr + length > this.base + this.size) throw new Error('TestRam: out of memory');
    this.next = addr + length;
    return addr;
  }

  isRam(addr: number, length: number): boolean {
    return Number.isSafeInteger(addr) && Number.isSafeInteger(length) && addr >= this.base && length >= 0 && addr + length <= this.base + this.size;
  }

  read(addr: number, dst: Uint8Array): void {
    if (!this.isRam(addr, dst.length)) {
      this.outside.push({ addr, length: dst.length, write: false });
      throw new DmaError(addr, dst.length, 'not guest RAM');
    }
    dst.set(this.bytes.subarray(addr - this.base, addr - this.base + dst.length));
  }

  write(addr: number, src: Uint8Array): void {
    if (!this.isRam(addr, src.length)) {
      this.outside.push({ addr, length: src.length, write: true });
      throw new DmaError(addr, src.length, 'not guest RAM');
    }
    this.bytes.set(src, addr - this.base);
  }

  put(addr: number, data: Uint8Array): void {
    this.bytes.set(data, addr - this.base);
  }

  get(addr: number, length: number): Uint8Array {
    return this.bytes.slice(addr - this.base, addr - this.base + length);
  }
}

export interface Buf {
  readonly addr: number;
  readonly len: number;
  readonly write: boolean;
}

/** A split ring as a driver keeps it: descriptors handed out in order, the avail ring, the used ring. */
export class DriverRing {
  readonly desc: number;
  readonly avail: number;
  readonly used: number;
  private nextDesc = 0;
  private availIdx = 0;
  private lastUsed = 0;

  constructor(
    readonly ram: TestRam,
    readonly size: number,
    at?: { desc: number; avail: number; used: number },
  ) {
    this.desc = at?.desc ?? ram.alloc(16 * size, 16);
    this.avail = at?.avail ?? ram.alloc(6 + 2 * size, 2);
    this.used = at?.used ?? ram.alloc(6 + 8 * size, 4);
  }

  /** Starts both indexes at `idx` (to test wrap-around at 65535 → 0). */
  startAt(idx: number): void {
    this.availIdx = idx & 0xffff;
    this.lastUsed = idx & 0xffff;
    this.ram.view.setUint16(this.avail + 2 - this.ram.base, this.availIdx, true);
    this.ram.view.setUint16(this.used + 2 - this.ram.base, this.availIdx, true);
  }

  writeDesc(table: number, i: number, d: { addr: number; len: number; flags: number; next: number }): void {
    const v = this.ram.view;
    const at = table + 16 * i - this.ram.base;
    v.setBigUint64(at, BigInt(d.addr), true);
    v.setUint32(at + 8, d.len >>> 0, true);
    v.setUint16(at + 12, d.flags, true);
    v.setUint16(at + 14, d.next, true);
  }

  /** Puts a chain in the descriptor table (direct, or one indirect table) and returns its head. */
  addChain(bufs: readonly Buf[], opts: { indirect?: boolean } = {}): number {
    if (opts.indirect === true) {
      const table = this.ram.alloc(16 * bufs.length, 16);
      bufs.forEach((b, i) =>
        this.writeDesc(table, i, { addr: b.addr, len: b.len, flags: (b.write ? VIRTQ_DESC_F_WRITE : 0) | (i < bufs.length - 1 ? VIRTQ_DESC_F_NEXT : 0), next: i + 1 }),
      );
      const head = this.take(1)[0]!;
      this.writeDesc(this.desc, head, { addr: table, len: 16 * bufs.length, flags: VIRTQ_DESC_F_INDIRECT, next: 0 });
      return head;
    }
    const ids = this.take(bufs.length);
    bufs.forEach((b, i) =>
      this.writeDesc(this.desc, ids[i]!, { addr: b.addr, len: b.len, flags: (b.write ? VIRTQ_DESC_F_WRITE : 0) | (i < bufs.length - 1 ? VIRTQ_DESC_F_NEXT : 0), next: ids[i + 1] ?? 0 }),
    );
    return ids[0]!;
  }

  /** Makes a head available (avail ring entry, then the index). */
  publish(head: number): void {
    const v = this.ram.view;
    v.setUint16(this.avail + 4 + 2 * (this.availIdx % this.size) - this.ram.base, head, true);
    this.availIdx = (this.availIdx + 1) & 0xffff;
    v.setUint16(this.avail + 2 - this.ram.base, this.availIdx, true);
  }

  /** Chain + publish in one step. */
  offer(bufs: readonly Buf[], opts: { indirect?: boolean } = {}): number {
    const head = this.addChain(bufs, opts);
    this.publish(head);
    return head;
  }

  /** Used entries the device added since the last call. */
  takeUsed(): { id: number; len: number }[] {
    const v = this.ram.view;
    const idx = v.getUint16(this.used + 2 - this.ram.base, true);
    const out: { id: number; len: number }[] = [];
    while (this.lastUsed !== idx) {
      const at = this.used + 4 + 8 * (this.lastUsed % this.size) - this.ram.base;
      out.push({ id: v.getUint32(at, true), len: v.getUint32(at + 4, true) });
      this.lastUsed = (this.lastUsed + 1) & 0xffff;
    }
    return out;
  }

  setAvailFlags(flags: number): void {
    this.ram.view.setUint16(this.avail - this.ram.base, flags, true);
  }

  /** EVENT_IDX: interrupt me when the used index passes `idx`. */
  setUsedEvent(idx: number): void {
    this.ram.view.setUint16(this.avail + 4 + 2 * this.size - this.ram.base, idx, true);
  }

  /** EVENT_IDX: the device's avail_event. */
  availEvent(): number {
    return this.ram.view.getUint16(this.used + 4 + 8 * this.size - this.ram.base, true);
  }

  private take(n: number): number[] {
    const ids: number[] = [];
    for (let i = 0; i < n; i++) {
      ids.push(this.nextDesc);
      this.nextDesc = (this.nextDesc + 1) % this.size;
    }
    return ids;
  }
}

/** A buffer in RAM holding `data` (device-readable) or `len` zero bytes (device-writable). */
/** A virtio-blk request header (type, reserved, sector), little-endian. */
export function blkHeader(type: number, sector: number): Uint8Array {
  const h = new Uint8Array(16);
  const v = new DataView(h.buffer);
  v.setUint32(0, type, true);
  v.setBigUint64(8, BigInt(sector), true);
  return h;
}

export function inBuf(ram: TestRam, data: Uint8Array): Buf {
  const addr = ram.alloc(Math.max(1, data.length), 8);
  ram.put(addr, data);
  return { addr, len: data.length, write: false };
}

export function outBuf(ram: TestRam, len: number): Buf {
  return { addr: ram.alloc(Math.max(1, len), 8), len, write: true };
}

/** Drives a virtio-mmio transport with 32-bit register accesses, as Linux's virtio_mmio does. */
export class MmioDriver {
  irq = false;
  irqRaises = 0;

  readonly t: VirtioMmioTransport;
  /** Lines the transport logged. */
  readonly logs: string[] = [];

  constructor(
    device: VirtioDevice | undefined,
    readonly ram: TestRam,
  ) {
    this.t = new VirtioMmioTransport({
      ...(device !== undefined ? { device } : {}),
      name: 'virtio-mmio@test',
      dma: ram,
      setIrq: (level) => {
        if (level && !this.irq) this.irqRaises++;
        this.irq = level;
      },
      log: (line) => this.logs.push(line),
    });
  }

  r(off: number): number {
    return this.t.read(off, 4);
  }

  w(off: number, v: number): void {
    this.t.write(off, 4, v);
  }

  deviceFeatures(): bigint {
    this.w(0x14, 0);
    const lo = this.r(0x10);
    this.w(0x14, 1);
    return (BigInt(this.r(0x10)) << 32n) | BigInt(lo);
  }

  /** ACKNOWLEDGE, DRIVER, features (default: all offered), FEATURES_OK; returns the status read back. */
  negotiate(features?: bigint): number {
    this.w(0x70, 0);
    this.w(0x70, STATUS.ACKNOWLEDGE);
    this.w(0x70, STATUS.ACKNOWLEDGE | STATUS.DRIVER);
    const f = features ?? this.deviceFeatures();
    this.w(0x24, 0);
    this.w(0x20, Number(f & 0xffff_ffffn));
    this.w(0x24, 1);
    this.w(0x20, Number(f >> 32n));
    this.w(0x70, STATUS.ACKNOWLEDGE | STATUS.DRIVER | STATUS.FEATURES_OK);
    return this.r(0x70);
  }

  setupQueue(index: number, size: number, at?: { desc: number; avail: number; used: number }): DriverRing {
    const ring = new DriverRing(this.ram, size, at);
    this.w(0x30, index);
    this.w(0x38, size);
    this.w(0x80, ring.desc % 2 ** 32);
    this.w(0x84, Math.floor(ring.desc / 2 ** 32));
    this.w(0x90, ring.avail % 2 ** 32);
    this.w(0x94, Math.floor(ring.avail / 2 ** 32));
    this.w(0xa0, ring.used % 2 ** 32);
    this.w(0xa4, Math.floor(ring.used / 2 ** 32));
    this.w(0x44, 1);
    return ring;
  }

  driverOk(): void {
    this.w(0x70, this.r(0x70) | STATUS.DRIVER_OK);
  }

  notify(index: number): void {
    this.w(0x50, index);
  }

  /** Reads and acknowledges the interrupt status. */
  ack(): number {
    const isr = this.r(0x60);
    this.w(0x64, isr);
    return isr;
  }

  status(): number {
    return this.r(0x70);
  }

  /** Negotiates (all offered features unless given), sets queues up and sets DRIVER_OK. */
  start(queues: readonly number[], features?: bigint): DriverRing[] {
    this.negotiate(features);
    const rings = queues.map((size, i) => this.setupQueue(i, size));
    this.driverOk();
    return rings;
  }
}

/** An image in memory that records every access and refuses any outside itself. */
export class MemoryDisk implements BlockBackend {
  readonly data: Uint8Array;
  readonly outside: string[] = [];
  flushes = 0;
  /** Writes since the last flush: what a power cut would lose. */
  unflushed = 0;
  failNext: string | undefined;

  constructor(
    size: number,
    readonly readOnly = false,
  ) {
    this.data = new Uint8Array(size);
  }

  get size(): number {
    return this.data.length;
  }

  private check(op: string, offset: number, length: number): void {
    if (this.failNext !== undefined) {
      const why = this.failNext;
      this.failNext = undefined;
      throw new Error(why);
    }
    if (!Number.isSafeInteger(offset) || offset < 0 || length < 0 || offset + length > this.data.length) {
      this.outside.push(`${op} [${offset}, +${length})`);
      throw new Error(`${op} outside the image`);
    }
  }

  read(offset: number, dst: Uint8Array): void {
    this.check('read', offset, dst.length);
    dst.set(this.data.subarray(offset, offset + dst.length));
  }

  write(offset: number, src: Uint8Array): void {
    this.check('write', offset, src.length);
    if (this.readOnly) throw new Error('write to a read-only image');
    this.data.set(src, offset);
    this.unflushed++;
  }

  flush(): void {
    this.check('flush', 0, 0);
    this.flushes++;
    this.unflushed = 0;
  }

  discard(offset: number, length: number): void {
    this.check('discard', offset, length);
    this.data.fill(0, offset, offset + length);
  }

  writeZeroes(offset: number, length: number): void {
    this.check('write-zeroes', offset, length);
    this.data.fill(0, offset, offset + length);
  }
}

export class QueueNet implements NetBackend {
  readonly sent: Uint8Array[] = [];
  readonly incoming: Uint8Array[] = [];

  send(frame: Uint8Array): void {
    this.sent.push(Uint8Array.from(frame));
  }

  peek(): Uint8Array | undefined {
    return this.incoming[0];
  }

  take(): void {
    this.incoming.shift();
  }
}

export class BufferChar implements CharBackend {
  output: number[] = [];
  input: number[] = [];

  write(bytes: Uint8Array): void {
    this.output.push(...bytes);
  }

  read(max: number): Uint8Array {
    return Uint8Array.from(this.input.splice(0, max));
  }

  text(): string {
    return Buffer.from(this.output).toString('latin1');
  }
}

/** Deterministic "randomness" (a counter), so tests can check the bytes. */
export class CountingEntropy implements EntropySource {
  next = 0;
  fill(dst: Uint8Array): void {
    for (let i = 0; i < dst.length; i++) dst[i] = this.next++ & 0xff;
  }
}

/** xorshift32: reproducible pseudo-random numbers for fuzzing. */
export class Prng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  u32(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  below(n: number): number {
    return this.u32() % n;
  }
  chance(p: number): boolean {
    return this.u32() / 2 ** 32 < p;
  }
}

/**
 * Drives a virtio-pci function on a PciBus the way Linux's virtio_pci_modern does: BARs
 * assigned (BAR1 for MSI-X, BAR4 64-bit for the virtio regions), memory and bus mastering on,
 * then 8/16/32-bit accesses to the common configuration.
 */
export class PciDriver {
  static readonly BAR1 = 0xe004_d000;
  static readonly BAR4 = 0xe004_4000;
  constructor(
    readonly bus: PciBusLike,
    readonly fn: PciFunctionLike,
    readonly ram: TestRam,
  ) {
    fn.writeConfig(0x14, 4, PciDriver.BAR1);
    fn.writeConfig(0x20, 4, PciDriver.BAR4);
    fn.writeConfig(0x24, 4, 0);
    fn.writeConfig(0x04, 2, 0x0006);
  }

  private access(addr: number, size: number, write: boolean, value = 0): number {
    const data = new Uint8Array(size);
    for (let k = 0; k < size; k++) data[k] = (value >>> (8 * k)) & 0xff;
    this.bus.memory.access(addr, write, data);
    let v = 0;
    for (let k = size - 1; k >= 0; k--) v = v * 256 + data[k]!;
    return v;
  }

  common(off: number, size: number, value?: number): number {
    return this.access(PciDriver.BAR4 + off, size, value !== undefined, value ?? 0);
  }

  bar4(off: number, size: number, value?: number): number {
    return this.access(PciDriver.BAR4 + off, size, value !== undefined, value ?? 0);
  }

  msix(off: number, value?: number): number {
    return this.access(PciDriver.BAR1 + off, 4, value !== undefined, value ?? 0);
  }

  deviceFeatures(): bigint {
    this.common(0x00, 4, 0);
    const lo = this.common(0x04, 4);
    this.common(0x00, 4, 1);
    return (BigInt(this.common(0x04, 4)) << 32n) | BigInt(lo);
  }

  negotiate(features?: bigint): number {
    this.common(0x14, 1, 0);
    this.common(0x14, 1, STATUS.ACKNOWLEDGE | STATUS.DRIVER);
    const f = features ?? this.deviceFeatures();
    this.common(0x08, 4, 0);
    this.common(0x0c, 4, Number(f & 0xffff_ffffn));
    this.common(0x08, 4, 1);
    this.common(0x0c, 4, Number(f >> 32n));
    this.common(0x14, 1, STATUS.ACKNOWLEDGE | STATUS.DRIVER | STATUS.FEATURES_OK);
    return this.common(0x14, 1);
  }

  setupQueue(index: number, size: number, vector = 0xffff): DriverRing {
    const ring = new DriverRing(this.ram, size);
    this.common(0x16, 2, index);
    this.common(0x18, 2, size);
    this.common(0x1a, 2, vector);
    this.common(0x20, 4, ring.desc % 2 ** 32);
    this.common(0x24, 4, Math.floor(ring.desc / 2 ** 32));
    this.common(0x28, 4, ring.avail % 2 ** 32);
    this.common(0x2c, 4, Math.floor(ring.avail / 2 ** 32));
    this.common(0x30, 4, ring.used % 2 ** 32);
    this.common(0x34, 4, Math.floor(ring.used / 2 ** 32));
    this.common(0x1c, 2, 1);
    return ring;
  }

  driverOk(): void {
    this.common(0x14, 1, this.common(0x14, 1) | STATUS.DRIVER_OK);
  }

  notify(index: number): void {
    this.bar4(0x3000 + 4 * index, 2, index);
  }
}

export interface PciBusLike {
  readonly memory: { access(addr: number, isWrite: boolean, data: Uint8Array): void };
}
export interface PciFunctionLike {
  writeConfig(offset: number, size: number, value: number): void;
  readConfig(offset: number, size: number): number;
}
