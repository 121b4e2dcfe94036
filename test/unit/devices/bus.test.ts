import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MmioExit } from '../../../src/api/exit.js';
import type { GuestPhysAddr } from '../../../src/api/memory.js';
import { MmioBus, type MmioDevice } from '../../../src/devices/bus.js';
import { Mpc8544Guts } from '../../../src/devices/mpc8544-guts.js';

const exit = (addr: number, size: number, isWrite: boolean, data: number[] = new Array(size).fill(0)): MmioExit => ({
  kind: 'mmio',
  addr: addr as GuestPhysAddr,
  size,
  isWrite,
  data: new Uint8Array(data),
});

test('unassigned addresses read zero and ignore writes', () => {
  const bus = new MmioBus(() => {});
  const e = exit(0x1234, 4, false, [1, 2, 3, 4]);
  bus.handle(e);
  assert.deepEqual([...e.data], [0, 0, 0, 0]);
});

test('values are converted in the device byte order; wide accesses are split', () => {
  const seen: string[] = [];
  const dev: MmioDevice = {
    name: 'le',
    endian: 'little',
    maxAccessSize: 2,
    read: (off) => 0x1100 + off,
    write: (off, size, v) => seen.push(`${off}:${size}:${v.toString(16)}`),
  };
  const bus = new MmioBus(() => {});
  bus.map(0x1000, 0x100, dev);
  const r = exit(0x1010, 4, false);
  bus.handle(r);
  assert.deepEqual([...r.data], [0x10, 0x11, 0x12, 0x11]);
  bus.handle(exit(0x1020, 4, true, [0x78, 0x56, 0x34, 0x12]));
  assert.deepEqual(seen, ['32:2:5678', '34:2:1234']);
  assert.throws(() => bus.map(0x10f0, 0x20, dev), /overlaps/);
});

test('GUTS: PVR/SVR mirrors, RSTCR reset request, 32-bit accesses only', () => {
  let resets = 0;
  const g = new Mpc8544Guts({ pvr: () => 0x80210030, svr: 0, requestReset: () => resets++ });
  assert.equal(g.read(0xa0, 4), 0x80210030);
  assert.equal(g.read(0xa0, 1), 0);
  g.write(0xb0, 4, 1);
  assert.equal(resets, 0);
  g.write(0xb0, 4, 2);
  assert.equal(resets, 1);
});
