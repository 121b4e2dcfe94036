import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PciBus } from '../../../src/devices/pci/pci-bus.js';
import { VirtioBlk } from '../../../src/devices/virtio/blk.js';
import { F, STATUS, bit } from '../../../src/devices/virtio/constants.js';
import { VirtioPciTransport } from '../../../src/devices/virtio/pci-transport.js';
import { VirtioRng } from '../../../src/devices/virtio/rng.js';
import type { VirtioDevice } from '../../../src/devices/virtio/device.js';
import { CountingEntropy, MemoryDisk, PciDriver, TestRam, outBuf } from '../../support/virtio.js';

function rig(device: VirtioDevice, vectors = 2) {
  const ram = new TestRam();
  const bus = new PciBus(() => {});
  const msis: { address: number; data: number }[] = [];
  const intx: boolean[] = [];
  const logs: string[] = [];
  const t = new VirtioPciTransport({ device, name: 'virtio-test-pci', dma: ram, vectors, msiSend: (address, data) => msis.push({ address, data }), log: (l) => logs.push(l) });
  bus.onIntx = (_slot, _pin, level) => intx.push(level);
  bus.attach(2, 0, t.function);
  return { ram, bus, t, msis, intx, logs };
}

/** QEMU 7.2's virtio-blk-pci,disable-legacy=on configuration space before the guest touched it. */
const QEMU_BLK_CONFIG = [
  '00: f4 1a 42 10 00 00 10 00 01 00 00 01 00 00 00 00',
  '10: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00',
  '20: 0c 00 00 00 00 00 00 00 00 00 00 00 f4 1a 00 11',
  '30: 00 00 00 00 98 00 00 00 00 00 00 00 00 01 00 00',
  '40: 09 00 10 01 04 00 00 00 00 00 00 00 00 10 00 00',
  '50: 09 40 10 03 04 00 00 00 00 10 00 00 00 10 00 00',
  '60: 09 50 10 04 04 00 00 00 00 20 00 00 00 10 00 00',
  '70: 09 60 14 02 04 00 00 00 00 30 00 00 00 10 00 00',
  '80: 04 00 00 00 09 70 14 05 00 00 00 00 00 00 00 00',
  '90: 00 00 00 00 00 00 00 00 11 84 01 00 01 00 00 00',
  'a0: 01 08 00 00 00 00 00 00 00 00 00 00 00 00 00 00',
];

test('configuration space is QEMU\'s for a modern-only virtio-blk-pci, byte for byte', () => {
  const { t } = rig(new VirtioBlk({ backend: new MemoryDisk(1 << 20) }));
  for (const line of QEMU_BLK_CONFIG) {
    const [at, ...bytes] = line.split(/:? /);
    const base = parseInt(at!, 16);
    bytes.forEach((b, i) => assert.equal(t.function.readConfig(base + i, 1), parseInt(b, 16), `config byte 0x${(base + i).toString(16)}`));
  }
  // BAR sizing: BAR1 4 KiB 32-bit, BAR4 16 KiB 64-bit prefetchable (high half all ones).
  t.function.writeConfig(0x14, 4, 0xffff_ffff);
  assert.equal(t.function.readConfig(0x14, 4), 0xffff_f000);
  t.function.writeConfig(0x20, 4, 0xffff_ffff);
  t.function.writeConfig(0x24, 4, 0xffff_ffff);
  assert.equal(t.function.readConfig(0x20, 4), 0xffff_c00c);
  assert.equal(t.function.readConfig(0x24, 4), 0xffff_ffff);
  // The capabilities are read-only except MSI-X enable/mask and the PCI-cfg window fields.
  t.function.writeConfig(0x40, 4, 0);
  assert.equal(t.function.readConfig(0x40, 4), 0x0110_0009);
});

test('the modern BAR decodes at a 64-bit address; common configuration, features, queues', () => {
  const { t, bus, ram } = rig(new VirtioRng(new CountingEntropy()));
  const d = new PciDriver(bus, t.function, ram);
  assert.equal(d.common(0x12, 2), 1, 'num_queues');
  assert.equal(d.deviceFeatures(), bit(F.INDIRECT_DESC) | bit(F.EVENT_IDX) | bit(F.VERSION_1) | bit(F.RING_RESET));
  assert.equal(d.negotiate() & STATUS.FEATURES_OK, STATUS.FEATURES_OK);
  d.common(0x16, 2, 0);
  assert.equal(d.common(0x18, 2), 8, 'queue_size: the device\'s maximum (QEMU\'s virtio-rng: 8)');
  assert.equal(d.common(0x1e, 2), 0, 'queue_notify_off');
  d.common(0x16, 2, 5);
  assert.equal(d.common(0x18, 2), 0, 'a queue that does not exist reads size 0');
  const q = d.setupQueue(0, 8);
  assert.equal(d.common(0x1c, 2), 1);
  d.driverOk();
  const b = outBuf(ram, 8);
  q.offer([b]);
  d.notify(0);
  assert.equal(q.takeUsed().length, 1);
  // Moving the BAR above 4 GiB keeps it working (64-bit BAR).
  t.function.writeConfig(0x24, 4, 0x1);
  assert.equal(t.notifyAddress(0), 0x1_e004_7000);
});

test('MSI-X: vectors are sent as bus-master writes; masked vectors wait as pending bits; INTx without MSI-X', () => {
  const { t, bus, ram, msis, intx } = rig(new VirtioRng(new CountingEntropy()));
  const d = new PciDriver(bus, t.function, ram);
  d.negotiate(bit(F.VERSION_1)); // no EVENT_IDX: every completion interrupts
  const q = d.setupQueue(0, 8, 1);
  assert.equal(d.common(0x1a, 2), 1, 'vector 1 exists');
  d.common(0x1a, 2, 7);
  assert.equal(d.common(0x1a, 2), 0xffff, 'a vector past the table reads back as NO_VECTOR (QEMU)');
  d.common(0x1a, 2, 1);
  d.driverOk();
  // INTx first: MSI-X is disabled.
  q.offer([outBuf(ram, 1)]);
  d.notify(0);
  assert.deepEqual(intx, [true]);
  assert.equal(t.function.readConfig(0x06, 2) & 0x8, 0x8, 'status: interrupt pending');
  assert.equal(d.bar4(0x1000, 1), 1, 'ISR: queue interrupt; reading clears it');
  assert.deepEqual(intx, [true, false]);
  assert.equal(d.bar4(0x1000, 1), 0);
  // Enable MSI-X; vector 1's entry is still masked (power-on state).
  t.function.writeConfig(0x9a, 2, 0x8000);
  d.msix(16 + 0, 0xdff4_1740);
  d.msix(16 + 4, 0);
  d.msix(16 + 8, 0x23);
  q.offer([outBuf(ram, 1)]);
  d.notify(0);
  assert.deepEqual(msis, []);
  assert.equal(d.msix(0x800) & 2, 2, 'vector 1 pending');
  d.msix(16 + 12, 0);
  assert.deepEqual(msis, [{ address: 0xdff4_1740, data: 0x23 }], 'unmasking sends the pending message');
  assert.equal(d.msix(0x800), 0);
  q.offer([outBuf(ram, 1)]);
  d.notify(0);
  assert.equal(msis.length, 2);
  assert.deepEqual(intx, [true, false], 'INTx stays quiet with MSI-X on');
  // Function mask holds every vector.
  t.function.writeConfig(0x9a, 2, 0xc000);
  q.offer([outBuf(ram, 1)]);
  d.notify(0);
  assert.equal(msis.length, 2);
  t.function.writeConfig(0x9a, 2, 0x8000);
  assert.equal(msis.length, 3);
});

test('queue reset (VIRTIO_F_RING_RESET) returns one queue to its reset state until it is enabled again', () => {
  const { t, bus, ram } = rig(new VirtioRng(new CountingEntropy()));
  const d = new PciDriver(bus, t.function, ram);
  d.negotiate();
  d.setupQueue(0, 4);
  d.driverOk();
  d.common(0x16, 2, 0);
  d.common(0x3a, 2, 1);
  assert.equal(d.common(0x3a, 2), 1, 'queue_reset reads 1 once the reset is done');
  assert.equal(d.common(0x1c, 2), 0);
  assert.equal(d.common(0x18, 2), 8, 'size back to the maximum');
  const q = d.setupQueue(0, 8);
  assert.equal(d.common(0x3a, 2), 0);
  q.offer([outBuf(ram, 2)]);
  d.notify(0);
  assert.equal(q.takeUsed().length, 1);
});

test('the PCI-cfg capability window reaches the modern BAR through configuration space', () => {
  const { t, bus, ram } = rig(new VirtioRng(new CountingEntropy()));
  new PciDriver(bus, t.function, ram);
  const cap = 0x84;
  t.function.writeConfig(cap + 4, 1, 4);
  t.function.writeConfig(cap + 8, 4, 0x12);
  t.function.writeConfig(cap + 12, 4, 2);
  assert.equal(t.function.readConfig(cap + 16, 2), 1, 'num_queues through the window');
  t.function.writeConfig(cap + 8, 4, 0x14);
  t.function.writeConfig(cap + 12, 4, 1);
  t.function.writeConfig(cap + 16, 1, STATUS.ACKNOWLEDGE);
  assert.equal(t.core.status, STATUS.ACKNOWLEDGE, 'device_status written through the window');
});

test('common configuration: wrong-width writes are ignored with a log line; a device reset clears queues and vectors', () => {
  const { t, bus, ram, logs } = rig(new VirtioBlk({ backend: new MemoryDisk(1 << 20), queues: 2 }), 3);
  const d = new PciDriver(bus, t.function, ram);
  d.common(0x14, 4, 0xff);
  assert.equal(t.core.status, 0);
  assert.match(logs[0]!, /4-byte write to common configuration offset 0x14 ignored/);
  assert.equal(d.common(0x12, 2), 2);
  d.negotiate();
  d.setupQueue(1, 64, 2);
  d.common(0x10, 2, 0);
  d.common(0x14, 1, 0);
  d.common(0x16, 2, 1);
  assert.equal(d.common(0x1c, 2), 0);
  assert.equal(d.common(0x1a, 2), 0xffff);
  assert.equal(d.common(0x10, 2), 0xffff);
});
