import assert from 'node:assert/strict';
import { test } from 'node:test';
import { F, STATUS, bit } from '../../../src/devices/virtio/constants.js';
import { NET_F, NET_HDR_SIZE, VirtioNet, formatMac, parseMac } from '../../../src/devices/virtio/net.js';
import { MmioDriver, QueueNet, TestRam, inBuf, outBuf } from '../../support/virtio.js';

const MAC = parseMac('52:54:00:12:34:56')!;
const OTHER = parseMac('52:54:00:aa:bb:cc')!;

function frame(dest: Uint8Array, payload: number, length = 60): Uint8Array {
  const f = new Uint8Array(length);
  f.set(dest, 0);
  f.set(OTHER, 6);
  f[12] = 0x08;
  f[13] = 0x00;
  f.fill(payload, 14);
  return f;
}

function rig(features?: bigint) {
  const ram = new TestRam(4 << 20);
  const net = new QueueNet();
  const dev = new VirtioNet({ backend: net, mac: MAC });
  const d = new MmioDriver(dev, ram);
  const [rx, tx, ctrl] = d.start([16, 16, 16], features);
  const command = (cls: number, cmd: number, data: Uint8Array): number => {
    const ack = outBuf(ram, 1);
    ctrl!.offer([inBuf(ram, Uint8Array.of(cls, cmd)), inBuf(ram, data), ack]);
    d.notify(2);
    assert.equal(ctrl!.takeUsed().length, 1);
    return ram.get(ack.addr, 1)[0]!;
  };
  return { ram, net, dev, d, rx: rx!, tx: tx!, command };
}

test('MAC parsing and the configuration space (MAC, link up, one queue pair)', () => {
  assert.equal(formatMac(MAC), '52:54:00:12:34:56');
  assert.equal(parseMac('52:54:00:12:34'), undefined);
  assert.equal(parseMac('zz:54:00:12:34:56'), undefined);
  const { d } = rig();
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((i) => d.t.read(0x100 + i, 1)), [...MAC]);
  assert.equal(d.t.read(0x106, 2), 1, 'VIRTIO_NET_S_LINK_UP');
  assert.equal(d.t.read(0x108, 2), 1);
  const f = d.deviceFeatures();
  for (const n of Object.values(NET_F)) assert.ok((f & bit(n)) !== 0n, `feature ${n}`);
  assert.equal(f & 1n, 0n, 'no checksum offload');
});

test('transmit: the 12-byte header is skipped and the frame goes to the backend', () => {
  const { ram, net, d, tx } = rig();
  const f = frame(OTHER, 0xab);
  tx.offer([inBuf(ram, new Uint8Array(NET_HDR_SIZE)), inBuf(ram, f.subarray(0, 20)), inBuf(ram, f.subarray(20))]);
  d.notify(1);
  assert.deepEqual(net.sent, [f]);
  assert.equal(tx.takeUsed()[0]!.len, 0);
});

test('receive with MRG_RXBUF spreads a frame over buffers and says how many in num_buffers', () => {
  const { ram, net, d, rx } = rig();
  const bufs = [outBuf(ram, 100), outBuf(ram, 100), outBuf(ram, 100)];
  for (const b of bufs) rx.offer([b]);
  d.notify(0);
  const f = frame(MAC, 0x11, 150);
  net.incoming.push(f);
  d.t.poll();
  const used = rx.takeUsed();
  assert.deepEqual(used.map((u) => u.len), [100, 62]);
  const got = new Uint8Array([...ram.get(bufs[0]!.addr, 100), ...ram.get(bufs[1]!.addr, 62)]);
  assert.equal(new DataView(got.buffer).getUint16(10, true), 2, 'num_buffers');
  assert.deepEqual(got.subarray(NET_HDR_SIZE), f);
  assert.equal(net.incoming.length, 0);
  assert.equal(d.irq, true);
});

test('a frame waits in the backend while the guest has no room for it', () => {
  const { ram, net, d, rx } = rig();
  net.incoming.push(frame(MAC, 1, 200));
  d.t.poll();
  rx.offer([outBuf(ram, 100)]);
  d.notify(0);
  assert.deepEqual(rx.takeUsed(), [], 'one 100-byte buffer is not enough');
  assert.equal(net.incoming.length, 1);
  rx.offer([outBuf(ram, 200)]);
  d.notify(0);
  assert.deepEqual(rx.takeUsed().map((u) => u.len), [100, 112]);
});

test('without MRG_RXBUF a frame needs one big enough buffer, else it is dropped', () => {
  const { ram, net, dev, d, rx } = rig(bit(F.VERSION_1) | bit(NET_F.MAC));
  rx.offer([outBuf(ram, 64)]);
  net.incoming.push(frame(MAC, 1, 200), frame(MAC, 2, 40));
  d.t.poll();
  assert.equal(dev.dropped, 1);
  const used = rx.takeUsed();
  assert.deepEqual(used.map((u) => u.len), [52], 'the small frame took the buffer the big one could not use');
});

test('receive filter: promiscuous until the driver sets a mode; own MAC, broadcast, MAC table, VLANs', () => {
  const { ram, net, d, rx, command } = rig();
  for (let i = 0; i < 10; i++) rx.offer([outBuf(ram, 2048)]);
  d.notify(0);
  const deliver = (f: Uint8Array): boolean => {
    net.incoming.push(f);
    d.t.poll();
    return rx.takeUsed().length === 1;
  };
  assert.equal(deliver(frame(OTHER, 1)), true, 'promiscuous at reset (QEMU)');
  assert.equal(command(0, 0, Uint8Array.of(0)), 0, 'PROMISC off');
  assert.equal(deliver(frame(OTHER, 1)), false);
  assert.equal(deliver(frame(MAC, 1)), true);
  assert.equal(deliver(frame(new Uint8Array(6).fill(0xff), 1)), true, 'broadcast');
  const mcast = Uint8Array.of(0x01, 0x00, 0x5e, 0, 0, 1);
  assert.equal(deliver(frame(mcast, 1)), false);
  const table = new Uint8Array(4 + 6 + 4 + 6);
  const v = new DataView(table.buffer);
  v.setUint32(0, 1, true);
  table.set(OTHER, 4);
  v.setUint32(10, 1, true);
  table.set(mcast, 14);
  assert.equal(command(1, 0, table), 0, 'MAC_TABLE_SET');
  assert.equal(deliver(frame(OTHER, 1)), true);
  assert.equal(deliver(frame(mcast, 1)), true);
  assert.equal(command(1, 0, table.subarray(0, 12)), 1, 'a truncated table is refused');
  const tagged = frame(MAC, 1);
  tagged.set([0x81, 0x00, 0x00, 0x05], 12);
  assert.equal(deliver(tagged), false, 'VLAN 5 not added');
  assert.equal(command(2, 0, Uint8Array.of(5, 0)), 0);
  assert.equal(deliver(tagged), true);
  assert.equal(command(1, 1, OTHER), 0, 'MAC_ADDR_SET');
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((i) => d.t.read(0x100 + i, 1)), [...OTHER]);
  assert.equal(command(5, 0, new Uint8Array(8)), 0, 'GUEST_OFFLOADS: none');
  assert.equal(command(5, 0, Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0)), 1, 'offloads that were not negotiated');
  assert.equal(command(0, 2, Uint8Array.of(1)), 1, 'ALLUNI needs CTRL_RX_EXTRA');
  assert.equal(command(9, 0, new Uint8Array(0)), 1, 'unknown class');
});

test('a transmit chain shorter than the header puts the device into NEEDS_RESET', () => {
  const { ram, d, tx } = rig();
  tx.offer([inBuf(ram, new Uint8Array(4))]);
  d.notify(1);
  assert.equal(d.status() & STATUS.NEEDS_RESET, STATUS.NEEDS_RESET);
});

test('a receive queue that runs out of buffers publishes avail_event (EVENT_IDX), so the driver kicks at its next refill', () => {
  const { ram, net, d, rx } = rig();
  assert.ok((d.deviceFeatures() & bit(F.EVENT_IDX)) !== 0n);
  rx.offer([outBuf(ram, 2048)]);
  d.notify(0);
  net.incoming.push(frame(MAC, 1), frame(MAC, 2));
  d.t.poll();
  assert.equal(rx.takeUsed().length, 1);
  assert.equal(net.incoming.length, 1, 'the second frame waits for a buffer');
  // Linux's virtqueue_kick_prepare notifies only when the new available index passes this.
  assert.equal(rx.availEvent(), 1, 'avail_event is the next available index');
  rx.offer([outBuf(ram, 2048)]);
  d.notify(0);
  assert.equal(rx.takeUsed().length, 1);
  assert.equal(net.incoming.length, 0);
});
