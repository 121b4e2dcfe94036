/**
 * A virtio-pci function served over a device route (docs/device-routes.md, "Virtio devices
 * in a device process"), both ends in this thread: the VMM's PciProxyFunction on a PciBus,
 * a loopback endpoint that speaks the route protocol's frames to a DeviceSession, the
 * unchanged VirtioPciTransport behind pciFunctionModels, its DMA over the session's
 * synchronous event channel answered by PciDmaServer through published inbound windows.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RouteEndpoint } from '../../../src/api/routes.js';
import { PciBus } from '../../../src/devices/pci/pci-bus.js';
import { DeviceSession, type SyncEventChannel } from '../../../src/devices/remote/device-session.js';
import { DmaWindowTable, PciProxyFunction, pciFunctionModels, pciFunctionRanges } from '../../../src/devices/remote/pci-proxy.js';
import { FrameReader, MsgType, PROTOCOL_VERSION, encode, type Message } from '../../../src/devices/remote/protocol.js';
import { BLK_S, BLK_T, VirtioBlk } from '../../../src/devices/virtio/blk.js';
import { F, STATUS, bit } from '../../../src/devices/virtio/constants.js';
import type { VirtioDevice } from '../../../src/devices/virtio/device.js';
import type { GuestDma } from '../../../src/devices/virtio/dma.js';
import { MODERN_BAR, NOTIFY_OFFSET, VirtioPciTransport, virtioMsixVectors, virtioPciFunctionSpec } from '../../../src/devices/virtio/pci-transport.js';
import { VirtioRng } from '../../../src/devices/virtio/rng.js';
import { PciDmaServer } from '../../../src/vmm/remote/pci-dma.js';
import { CountingEntropy, MemoryDisk, PciDriver, TestRam, blkHeader, inBuf, outBuf } from '../../support/virtio.js';

const MiB = 1 << 20;

/** The VMM's side of the access channel, synchronous: the session answers inside `accessData`. */
class LoopbackEndpoint implements RouteEndpoint {
  readonly name = 'loopback';
  readonly replies = new FrameReader();
  readonly trace: string[] = [];
  dead = false;
  private seq = 1;
  session!: DeviceSession;

  private send(m: Message): Message | undefined {
    if (this.dead) return undefined;
    this.session.accessData(encode(m));
    return this.replies.next();
  }

  read(range: number, offset: number, data: Uint8Array): void {
    this.trace.push(`read ${range}:${offset.toString(16)}`);
    const r = this.send({ type: MsgType.Read, seq: this.seq++, range, size: data.length as 1 | 2 | 4 | 8, offset });
    if (r === undefined) return void data.fill(0xff);
    assert.equal(r.type, MsgType.ReadReply);
    if (r.type === MsgType.ReadReply) data.set(r.data);
  }

  write(range: number, offset: number, data: Uint8Array): void {
    this.trace.push(`write ${range}:${offset.toString(16)}`);
    const r = this.send({ type: MsgType.Write, seq: this.seq++, posted: false, range, offset, data });
    if (r !== undefined) assert.equal(r.type, MsgType.WriteAck);
  }

  post(range: number, offset: number, data: Uint8Array): void {
    this.trace.push(`post ${range}:${offset.toString(16)}`);
    assert.equal(this.send({ type: MsgType.Write, seq: this.seq++, posted: true, range, offset, data }), undefined, 'no reply to a posted write');
  }

  flush(): void {}
  get hasQueued(): boolean {
    return false;
  }

  reset(): void {
    const r = this.send({ type: MsgType.Reset, seq: this.seq++ });
    if (r !== undefined) assert.equal(r.type, MsgType.ResetAck);
  }
}

/**
 * The VMM's side of the event channel, synchronous: DMA answered by PciDmaServer, INTx to the
 * proxy, MSIs recorded.
 */
class LoopbackEvents implements SyncEventChannel {
  private readonly frames = new FrameReader();
  private readonly out: Uint8Array[] = [];
  readonly msis: { address: number; data: number }[] = [];
  readonly dmaCount = { read: 0, write: 0 };
  onIntx: (level: boolean) => void = () => {};
  constructor(
    private readonly dma: PciDmaServer,
    /** What the machine thread does with a DMA write (there: Ppce500Board.remoteDmaWrite). */
    private readonly dmaWrite: (addr: number, data: Uint8Array) => string | undefined,
  ) {}

  write(bytes: Uint8Array): void {
    this.frames.push(bytes);
    for (let m = this.frames.next(); m !== undefined; m = this.frames.next()) {
      switch (m.type) {
        case MsgType.DmaRead: {
          this.dmaCount.read++;
          const r = this.dma.read(m.addr, m.length);
          this.out.push(typeof r === 'string' ? encode({ type: MsgType.Error, seq: m.seq, code: 3, message: r }) : encode({ type: MsgType.DmaData, seq: m.seq, data: r }));
          break;
        }
        case MsgType.DmaWrite: {
          this.dmaCount.write++;
          const r = this.dmaWrite(m.addr, m.data);
          this.out.push(r !== undefined ? encode({ type: MsgType.Error, seq: m.seq, code: 3, message: r }) : encode({ type: MsgType.DmaAck, seq: m.seq }));
          break;
        }
        case MsgType.Msi:
          this.msis.push({ address: Number(m.address), data: m.data });
          break;
        case MsgType.IrqLevel:
          this.onIntx(m.level === 1);
          break;
        default:
          break;
      }
    }
  }

  read(into: Uint8Array): number {
    const b = this.out.shift();
    if (b === undefined) return -1;
    into.set(b);
    return b.length;
  }

  idle(): void {
    throw new Error('the loopback answers at once: a DMA wait never idles');
  }
}

const placeholder = { name: 'placeholder', kind: 'window', access: () => {} } as const;

function rig(device: VirtioDevice, opts: { windows?: { bus: number; size: number; cpu: number }[] } = {}) {
  const ram = new TestRam(4 * MiB);
  const dmaServer = new PciDmaServer();
  const windows = new DmaWindowTable();
  windows.publish(opts.windows ?? [{ bus: 0, size: 4 * MiB, cpu: 0 }]);
  dmaServer.connect({ ram: [ram.bytes], chunkBytes: ram.bytes.length, ramSize: ram.bytes.length, windows: windows.buffer });
  const events = new LoopbackEvents(dmaServer, (addr, data) => {
    const cpu = windows.translate(addr, data.length);
    if (cpu === undefined) return 'no inbound window';
    ram.bytes.set(data, cpu);
    return undefined;
  });
  const endpoint = new LoopbackEndpoint();
  const logs: string[] = [];
  let session!: DeviceSession;
  const dma: GuestDma = {
    isRam: () => true,
    read: (addr, dst) => session.dmaReadSync(addr, dst),
    write: (addr, src) => session.dmaWriteSync(addr, src),
  };
  // The device process's half: the transport exactly as the VMM builds it in process.
  const t = new VirtioPciTransport({ device, name: 'virtio-test-pci', dma, vectors: virtioMsixVectors(device), msiSend: (a, d) => session.msi(BigInt(a), d), log: (l) => logs.push(l) });
  t.function.onIntx = (level) => session.setIrq(0, level);
  session = new DeviceSession('virtio-test-pci', pciFunctionModels(t.function, () => t.reset()), { send: (b) => endpoint.replies.push(b) });
  endpoint.session = session;
  const spec = virtioPciFunctionSpec({ name: 'proxy', virtioId: device.deviceId, vectors: 2, msixTarget: placeholder, modernTarget: { ...placeholder } });
  session.start();
  assert.equal(endpoint.replies.next()?.type, MsgType.DeviceHello);
  session.accessData(encode({ type: MsgType.Hello, seq: 0, version: PROTOCOL_VERSION, guestOrder: 'big', ranges: pciFunctionRanges(spec), memory: { kind: 'all' }, token: 1 }));
  session.attachSyncEvents(events);
  session.attachEvents({ send: (b) => events.write(b) });
  // The VMM's half: a proxy function on the bus.
  const bus = new PciBus(() => {});
  const intx: boolean[] = [];
  bus.onIntx = (_slot, _pin, level) => intx.push(level);
  const proxy = new PciProxyFunction(spec, endpoint, { posted: (bar, offset) => bar === MODERN_BAR && offset >= NOTIFY_OFFSET });
  events.onIntx = (level) => proxy.setIntx(level);
  bus.attach(2, 0, proxy.function);
  return { ram, bus, t, proxy, endpoint, events, session, logs, intx };
}

test('enumeration: the proxy\'s configuration space reads as the in-process transport\'s, byte for byte (and after BAR sizing)', () => {
  const disk = new MemoryDisk(MiB);
  const { proxy } = rig(new VirtioBlk({ backend: disk }));
  const local = new VirtioPciTransport({ device: new VirtioBlk({ backend: new MemoryDisk(MiB) }), name: 'local', dma: new TestRam(), vectors: 2, msiSend: () => {}, log: () => {} });
  for (let at = 0; at < 256; at += 4) assert.equal(proxy.function.readConfig(at, 4), local.function.readConfig(at, 4), `config dword 0x${at.toString(16)}`);
  for (const fn of [proxy.function, local.function]) {
    fn.writeConfig(0x14, 4, 0xffff_ffff);
    fn.writeConfig(0x20, 4, 0xffff_ffff);
    fn.writeConfig(0x24, 4, 0xffff_ffff);
  }
  for (const at of [0x14, 0x20, 0x24]) assert.equal(proxy.function.readConfig(at, 4), local.function.readConfig(at, 4), `BAR register 0x${at.toString(16)} after sizing`);
  assert.equal(proxy.function.storedConfig(0x20, 4), local.function.storedConfig(0x20, 4), 'the proxy\'s own copy agrees (the bus decodes it)');
});

test('virtio-blk: a write and a read through the proxy, DMA over the event channel, FLUSH reaches the disk', () => {
  const disk = new MemoryDisk(MiB);
  const { ram, bus, proxy, endpoint, events } = rig(new VirtioBlk({ backend: disk }));
  const d = new PciDriver(bus, proxy.function, ram);
  d.negotiate(bit(F.VERSION_1));
  const q = d.setupQueue(0, 64);
  d.driverOk();
  const data = Uint8Array.from({ length: 1024 }, (_, i) => (i * 7) & 0xff);
  const submit = (bufs: Parameters<typeof q.offer>[0]): number => {
    q.offer(bufs);
    d.notify(0);
    const used = q.takeUsed();
    assert.equal(used.length, 1);
    const last = bufs[bufs.length - 1]!;
    return ram.get(last.addr, 1)[0]!;
  };
  endpoint.trace.length = 0;
  assert.equal(submit([inBuf(ram, blkHeader(BLK_T.OUT, 3)), inBuf(ram, data), outBuf(ram, 1)]), BLK_S.OK);
  assert.ok(endpoint.trace.some((t) => t === `post 1:${NOTIFY_OFFSET.toString(16)}`), `the notification is a posted write: ${endpoint.trace.join(', ')}`);
  assert.deepEqual(disk.data.subarray(3 * 512, 3 * 512 + 1024), data);
  const back = outBuf(ram, 1024);
  assert.equal(submit([inBuf(ram, blkHeader(BLK_T.IN, 3)), back, outBuf(ram, 1)]), BLK_S.OK);
  assert.deepEqual(ram.get(back.addr, 1024), data);
  const flushes = disk.flushes;
  assert.equal(submit([inBuf(ram, blkHeader(BLK_T.FLUSH, 0)), outBuf(ram, 1)]), BLK_S.OK);
  assert.equal(disk.flushes, flushes + 1);
  assert.ok(events.dmaCount.read > 0 && events.dmaCount.write > 0);
});

test('DMA goes through the host bridge\'s inbound windows; outside them it is refused and the device needs a reset', () => {
  const disk = new MemoryDisk(MiB);
  // Bus 0x8000_0000.. is RAM 0..: the driver's rings are at RAM offsets, so the bus
  // addresses it programs must be offset too; here it programs RAM offsets, which no
  // window maps.
  const { ram, bus, proxy, t } = rig(new VirtioBlk({ backend: disk }), { windows: [{ bus: 0x8000_0000, size: 4 * MiB, cpu: 0 }] });
  const d = new PciDriver(bus, proxy.function, ram);
  d.negotiate(bit(F.VERSION_1));
  const q = d.setupQueue(0, 64);
  d.driverOk();
  q.offer([inBuf(ram, blkHeader(BLK_T.IN, 0)), outBuf(ram, 512), outBuf(ram, 1)]);
  d.notify(0);
  assert.equal(q.takeUsed().length, 0);
  assert.ok((t.core.status & STATUS.NEEDS_RESET) !== 0, 'the device reports DEVICE_NEEDS_RESET');
  assert.equal(d.common(0x14, 1) & STATUS.NEEDS_RESET, STATUS.NEEDS_RESET, 'and the guest sees it through the proxy');
});

test('MSI-X messages and INTx come back through the event channel; MSI-X Enable is the device\'s copy too', () => {
  const { ram, bus, proxy, events, intx, t } = rig(new VirtioRng(new CountingEntropy()));
  const d = new PciDriver(bus, proxy.function, ram);
  d.negotiate(bit(F.VERSION_1));
  const q = d.setupQueue(0, 8, 1);
  d.driverOk();
  q.offer([outBuf(ram, 4)]);
  d.notify(0);
  assert.deepEqual(intx, [true], 'INTx without MSI-X');
  assert.equal(proxy.function.readConfig(0x06, 2) & 0x8, 0x8, 'status: interrupt pending');
  assert.equal(d.bar4(0x1000, 1), 1, 'ISR read (clears it)');
  assert.deepEqual(intx, [true, false]);
  proxy.function.writeConfig(0x9a, 2, 0x8000);
  assert.ok(t.msix.enabled, 'the configuration write reached the device');
  d.msix(16, 0xdff4_1740);
  d.msix(20, 0);
  d.msix(24, 0x23);
  d.msix(28, 0);
  q.offer([outBuf(ram, 4)]);
  d.notify(0);
  assert.deepEqual(events.msis, [{ address: 0xdff4_1740, data: 0x23 }]);
  assert.deepEqual(intx, [true, false], 'INTx stays quiet with MSI-X on');
});

test('a machine reset resets the device over the route; a dead device reads as all ones', () => {
  const { ram, bus, proxy, endpoint, t } = rig(new VirtioRng(new CountingEntropy()));
  const d = new PciDriver(bus, proxy.function, ram);
  d.negotiate();
  assert.notEqual(t.core.status, 0);
  proxy.reset();
  assert.equal(t.core.status, 0, 'the device process\'s transport was reset');
  assert.equal(proxy.function.readConfig(0x04, 2), 0, 'command register back to 0 on both sides');
  endpoint.dead = true;
  assert.equal(proxy.function.readConfig(0, 4), 0xffff_ffff, 'vendor/device ID of a dead device');
  new PciDriver(bus, proxy.function, ram);
  assert.equal(d.common(0x12, 2), 0xffff, 'its BAR reads all ones');
  d.notify(0);
  assert.equal(t.core.status, 0, 'writes to a dead device are dropped');
});
