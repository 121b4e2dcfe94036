import assert from 'node:assert/strict';
import { test } from 'node:test';
import { F, STATUS, bit } from '../../../src/devices/virtio/constants.js';
import { VIRTIO_MMIO_MAGIC, VIRTIO_MMIO_VENDOR } from '../../../src/devices/virtio/mmio-transport.js';
import { VirtioRng } from '../../../src/devices/virtio/rng.js';
import { VirtioBlk } from '../../../src/devices/virtio/blk.js';
import { CountingEntropy, MemoryDisk, MmioDriver, TestRam, outBuf } from '../../support/virtio.js';

test('an empty transport shows the magic value, version 2 and QEMU\'s vendor ID, and zero elsewhere', () => {
  const d = new MmioDriver(undefined, new TestRam());
  assert.equal(d.r(0x000), VIRTIO_MMIO_MAGIC);
  assert.equal(d.r(0x004), 2);
  assert.equal(d.r(0x008), 0, 'device ID 0: no device');
  assert.equal(d.r(0x00c), VIRTIO_MMIO_VENDOR);
  assert.equal(d.r(0x034), 0);
  d.w(0x070, 0xff);
  assert.equal(d.r(0x070), 0, 'writes go nowhere');
});

test('registers of a device: IDs, features in two words, QueueNumMax 1024 for existing queues only', () => {
  const d = new MmioDriver(new VirtioRng(new CountingEntropy()), new TestRam());
  assert.equal(d.r(0x008), 4);
  assert.equal(d.deviceFeatures(), bit(F.INDIRECT_DESC) | bit(F.EVENT_IDX) | bit(F.VERSION_1), 'no RING_RESET on virtio-mmio (as QEMU 7.2)');
  d.w(0x14, 7);
  assert.equal(d.r(0x10), 0, 'feature words past 1 read 0');
  d.w(0x30, 0);
  assert.equal(d.r(0x034), 1024);
  d.w(0x30, 1);
  assert.equal(d.r(0x034), 0, 'queue 1 does not exist');
  assert.equal(d.r(0x0b0), 0xffff_ffff, 'no shared memory regions');
  assert.equal(d.r(0x050), 0, 'write-only registers read 0');
  assert.equal(d.logs.length, 1, 'and the read is logged');
  assert.equal(d.t.read(0x070, 2), 0, 'registers are 32-bit only');
});

test('features: without VERSION_1 or with unknown bits FEATURES_OK does not stick', () => {
  const d = new MmioDriver(new VirtioRng(new CountingEntropy()), new TestRam());
  assert.equal(d.negotiate(bit(F.EVENT_IDX)) & STATUS.FEATURES_OK, 0, 'VERSION_1 is required');
  assert.equal(d.negotiate(bit(F.VERSION_1) | bit(3)) & STATUS.FEATURES_OK, 0, 'a feature that was not offered');
  assert.equal(d.negotiate(bit(F.VERSION_1)) & STATUS.FEATURES_OK, STATUS.FEATURES_OK);
});

test('a request completes with a used-buffer interrupt; InterruptACK drops the line', () => {
  const ram = new TestRam();
  const d = new MmioDriver(new VirtioRng(new CountingEntropy()), ram);
  const [q] = d.start([8]);
  const b = outBuf(ram, 4);
  const head = q!.offer([b]);
  assert.equal(d.irq, false);
  d.notify(0);
  assert.deepEqual(q!.takeUsed(), [{ id: head, len: 4 }]);
  assert.deepEqual([...ram.get(b.addr, 4)], [0, 1, 2, 3]);
  assert.equal(d.irq, true);
  assert.equal(d.r(0x060), 1, 'interrupt status: used buffer');
  d.w(0x064, 1);
  assert.equal(d.irq, false);
  assert.equal(d.r(0x060), 0);
});

test('notifications before DRIVER_OK wait; buffers made available early are served at DRIVER_OK', () => {
  const ram = new TestRam();
  const d = new MmioDriver(new VirtioRng(new CountingEntropy()), ram);
  d.negotiate();
  const q = d.setupQueue(0, 8);
  q.offer([outBuf(ram, 2)]);
  d.notify(0);
  assert.deepEqual(q.takeUsed(), [], 'not before DRIVER_OK');
  d.driverOk();
  assert.equal(q.takeUsed().length, 1);
});

test('a misprogrammed queue puts the device into NEEDS_RESET with one log line and a configuration interrupt; a reset recovers', () => {
  const ram = new TestRam();
  const d = new MmioDriver(new VirtioRng(new CountingEntropy()), ram);
  const [q] = d.start([8]);
  q!.offer([{ addr: 0x7fff_0000, len: 16, write: true }]);
  q!.offer([{ addr: 0x7fff_0000, len: 16, write: true }]);
  d.notify(0);
  d.notify(0);
  assert.equal(d.status() & STATUS.NEEDS_RESET, STATUS.NEEDS_RESET);
  assert.equal(d.logs.length, 1);
  assert.match(d.logs[0]!, /virtio-mmio@test: device needs reset: queue 0: .* not in guest RAM/);
  assert.equal(d.r(0x060) & 2, 2, 'configuration change interrupt');
  assert.deepEqual(ram.outside, []);
  // Writing NEEDS_RESET does not clear it; status 0 does.
  d.w(0x70, STATUS.ACKNOWLEDGE);
  assert.equal(d.status() & STATUS.NEEDS_RESET, STATUS.NEEDS_RESET);
  d.w(0x70, 0);
  assert.equal(d.status(), 0);
  assert.equal(d.irq, false, 'reset clears the interrupt status');
  const [q2] = d.start([8]);
  q2!.offer([outBuf(ram, 3)]);
  d.notify(0);
  assert.equal(q2!.takeUsed().length, 1, 'the device works again after the reset');
});

test('a bad ring layout at QueueReady is NEEDS_RESET', () => {
  const ram = new TestRam(1 << 16);
  const d = new MmioDriver(new VirtioRng(new CountingEntropy()), ram);
  d.negotiate();
  d.w(0x30, 0);
  d.w(0x38, 3);
  d.w(0x44, 1);
  assert.equal(d.status() & STATUS.NEEDS_RESET, STATUS.NEEDS_RESET);
  assert.equal(d.r(0x44), 0, 'the queue did not go live');
  assert.match(d.logs[0]!, /queue size 3 is not a power of two/);
});

test('configuration space: byte, halfword and word reads from 0x100; all ones past its end', () => {
  const disk = new MemoryDisk(8 * 1024 * 1024);
  const d = new MmioDriver(new VirtioBlk({ backend: disk }), new TestRam());
  assert.equal(d.t.read(0x100, 4), 16384, 'capacity, low word');
  assert.equal(d.t.read(0x104, 4), 0);
  assert.equal(d.t.read(0x100 + 20, 4), 512, 'blk_size');
  assert.equal(d.t.read(0x100 + 18, 1), 16, 'heads');
  assert.equal(d.t.read(0x100 + 60, 4), 0xffff_ffff);
  assert.equal(d.r(0xfc), 0, 'config generation');
});
