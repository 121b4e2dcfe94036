/**
 * The ppce500 board's I2C controller (with its DS1338 RTC) and GPIO block, wired where QEMU
 * 7.2's e500.c puts them: reached through fabricated MMIO exits, interrupts on MPIC sources
 * 43 and 47, and GPIO pin 0 ending the run with status 0 as QEMU's power-off does.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gpa } from '../../../src/api/memory.js';
import type { MmioExit } from '../../../src/api/exit.js';
import { Hypervisor } from '../../../src/api/index.js';
import { CCSR_BASE, MPIC_OFFSET, Ppce500Board } from '../../../src/boards/ppce500/board.js';

/** A minimal 32-bit big-endian PowerPC ELF: one segment at 1 MiB holding `b .`. */
function tinyElf(): Uint8Array {
  const b = new Uint8Array(52 + 32 + 4);
  const v = new DataView(b.buffer);
  b.set([0x7f, 0x45, 0x4c, 0x46, 1, 2, 1]);
  v.setUint16(16, 2); // ET_EXEC
  v.setUint16(18, 20); // EM_PPC
  v.setUint32(20, 1);
  v.setUint32(24, 0x10_0000); // entry
  v.setUint32(28, 52); // phoff
  v.setUint16(40, 52);
  v.setUint16(42, 32);
  v.setUint16(44, 1);
  v.setUint16(46, 40);
  v.setUint32(52, 1); // PT_LOAD
  v.setUint32(56, 84);
  v.setUint32(60, 0x10_0000);
  v.setUint32(64, 0x10_0000);
  v.setUint32(68, 4);
  v.setUint32(72, 4);
  v.setUint32(76, 5);
  v.setUint32(80, 4);
  v.setUint32(84, 0x4800_0000);
  return b;
}

async function board(): Promise<{ b: Ppce500Board; logs: string[]; clock: { ms: number } }> {
  const logs: string[] = [];
  const clock = { ms: Date.parse('2024-02-27T13:45:59Z') };
  const b = Ppce500Board.create(await Hypervisor.open({ accel: 'e500' }), {
    cpu: 'e500v2',
    ramSize: 64 << 20,
    kernel: { name: 'tiny.elf', bytes: tinyElf() },
    serials: [{ write: () => {}, read: () => -1 }],
    wallClock: { utcNowMs: () => clock.ms },
    log: (l) => logs.push(l),
  });
  return { b, logs, clock };
}

function mmio(b: Ppce500Board, addr: number, size: number, write?: number) {
  const data = new Uint8Array(size);
  if (write !== undefined) for (let k = 0; k < size; k++) data[k] = (write >>> (8 * (size - 1 - k))) & 0xff;
  const exit: MmioExit = { kind: 'mmio', addr: gpa(addr), size, isWrite: write !== undefined, data };
  const event = b.handleExit(b.vcpus[0]!, exit);
  let value = 0;
  for (const x of data) value = value * 256 + x;
  return { event, value };
}

const I2C = CCSR_BASE + 0x3000;
const GPIO = CCSR_BASE + 0xf_f000;
const IVPR = (n: number): number => CCSR_BASE + MPIC_OFFSET + 0x10000 + 0x20 * n;
const IVPR_A = 0x4000_0000;

test('the I2C controller at CCSR+0x3000 reads the RTC at 0x68 and interrupts on MPIC source 43', async () => {
  const { b } = await board();
  const r = (off: number): number => mmio(b, I2C + off, 1).value;
  const w = (off: number, v: number): void => void mmio(b, I2C + off, 1, v);
  assert.equal(r(0x0c), 0x81, 'SR after reset');
  mmio(b, IVPR(43), 4, (8 << 16) | 43); // unmask source 43, priority 8
  // Linux's i2c-mpc: pointer 0, repeated START, read 7 bytes.
  w(0x0c, 0);
  w(0x08, 0xc0);
  w(0x08, 0xf0);
  w(0x10, 0x68 << 1);
  assert.equal(mmio(b, IVPR(43), 4).value & IVPR_A, IVPR_A, 'source 43 pending');
  assert.equal(r(0x0c) & 0x03, 0x02, 'MIF, acknowledged');
  w(0x0c, 0);
  assert.equal(mmio(b, IVPR(43), 4).value & IVPR_A, 0, 'line lowered');
  w(0x10, 0x00);
  w(0x0c, 0);
  w(0x08, 0xf4);
  w(0x10, (0x68 << 1) | 1);
  w(0x0c, 0);
  w(0x08, 0xe0);
  r(0x10);
  const bytes: number[] = [];
  for (let i = 0; i < 7; i++) {
    w(0x0c, 0);
    if (i === 5) w(0x08, 0xe8);
    if (i === 6) w(0x08, 0xf8);
    bytes.push(r(0x10));
  }
  w(0x08, 0x80);
  assert.equal(r(0x0c) & 0x20, 0, 'bus free after STOP');
  assert.deepEqual(bytes, [0x59, 0x45, 0x13, 0x03, 0x27, 0x02, 0x24]);
  assert.equal(mmio(b, I2C + 0x14, 1).value, 0, 'QEMU maps 0x14 bytes: DFSRR is past the end');
});

test('GPIO at CCSR+0xFF000: pin 0 driven high ends the run with status 0; its interrupt is MPIC source 47', async () => {
  const { b } = await board();
  mmio(b, IVPR(47), 4, (8 << 16) | 47);
  // GPIO interrupt wiring: nothing drives the inputs on this board, so only check it is quiet.
  mmio(b, GPIO + 0x10, 4, 0xffff_ffff);
  assert.equal(mmio(b, IVPR(47), 4).value & IVPR_A, 0);
  assert.equal(mmio(b, GPIO + 0x18, 4, 0xffff_ffff).event, 'none');
  assert.equal(mmio(b, GPIO + 0x08, 4, 0).event, 'none');
  assert.equal(mmio(b, GPIO + 0x00, 4, 0x8000_0000).event, 'none', 'output low: still running');
  assert.deepEqual(mmio(b, GPIO + 0x08, 4, 0x8000_0000).event, { kind: 'exit', code: 0, reason: 'power off requested by the guest' });
  // After a machine reset the pin is an input again and the machine runs.
  b.reset();
  assert.equal(mmio(b, GPIO + 0x00, 4).value, 0);
  assert.equal(mmio(b, GPIO + 0x08, 4, 0x8000_0000).event, 'none');
});

test('a machine reset keeps the RTC time set by the guest (battery-backed) and resets the controller', async () => {
  const { b, logs } = await board();
  const w = (off: number, v: number): void => void mmio(b, I2C + off, 1, v);
  w(0x08, 0xb0);
  w(0x10, 0x68 << 1);
  w(0x10, 0x04);
  w(0x10, 0x01); // date 01
  b.reset();
  assert.equal(mmio(b, I2C + 0x0c, 1).value, 0x81);
  assert.equal(mmio(b, I2C + 0x08, 1).value, 0);
  assert.equal(new Date(b.rtc.now() * 1000).toISOString(), '2024-02-01T13:45:59.000Z');
  assert.deepEqual(logs, []);
});

test('a virtio-pci function in a device process: a proxy in its slot, inbound windows published, no snapshot or migration', async () => {
  const { InProcessEndpoint } = await import('../../../src/devices/remote/in-process-endpoint.js');
  const { pciFunctionModels } = await import('../../../src/devices/remote/pci-proxy.js');
  const { VirtioPciTransport } = await import('../../../src/devices/virtio/pci-transport.js');
  const { VirtioRng } = await import('../../../src/devices/virtio/rng.js');
  const { VIRTIO_ID } = await import('../../../src/devices/virtio/constants.js');
  const rng = new VirtioRng({ fill: (b) => b.fill(4) });
  const t = new VirtioPciTransport({ device: rng, name: 'rng', dma: { isRam: () => false, read: () => {}, write: () => {} }, vectors: 2, msiSend: () => {}, log: () => {} });
  const endpoint = new InProcessEndpoint('rng', pciFunctionModels(t.function, () => t.reset()));
  const b = Ppce500Board.create(await Hypervisor.open({ accel: 'e500' }), {
    cpu: 'e500v2',
    ramSize: 64 << 20,
    kernel: { name: 'tiny.elf', bytes: tinyElf() },
    serials: [{ write: () => {}, read: () => -1 }],
    wallClock: { utcNowMs: () => 0 },
    log: () => {},
    virtio: [{ name: 'virtio-rng-pci', virtioId: VIRTIO_ID.entropy, endpoint }],
  });
  assert.equal(b.virtio.length, 0);
  assert.equal(b.remoteVirtio.length, 1);
  const fn = b.remoteVirtio[0]!.function;
  assert.equal(fn.readConfig(0, 4), 0x1044_1af4, 'IDs read from the device process\'s transport');
  fn.writeConfig(0x04, 2, 0x0006);
  assert.equal(t.function.command, 0x0006, 'configuration writes reach the device');
  assert.equal(fn.command, 0x0006, 'and stay in the proxy (the bus decodes its BARs)');
  assert.ok(b.dmaWindows !== undefined);
  assert.equal(b.dmaWindows.translate(0x1000, 16), undefined, 'no inbound window before the guest opens one');
  assert.throws(() => b.migration.stateSections(), /virtio-rng-pci 00:01\.0 is served by a device process.*cannot save/);
});
