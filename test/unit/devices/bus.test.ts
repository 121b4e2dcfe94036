import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MmioExit } from '../../../src/api/exit.js';
import type { GuestPhysAddr } from '../../../src/api/memory.js';
import { MmioBus, type MmioDevice, type MmioWindow } from '../../../src/devices/bus.js';
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

test('underlays: devices win, higher priority wins, ties go to the latest, unmap by identity', () => {
  const bus = new MmioBus(() => {});
  const dev = (name: string, v: number): MmioDevice => ({ name, endian: 'big', read: () => v, write: () => {} });
  const read = (addr: number, options?: { underlays: boolean }) => {
    const d = new Uint8Array(1);
    bus.access(addr, false, d, options);
    return d[0];
  };
  const a = dev('a', 1);
  const b = dev('b', 2);
  const c = dev('c', 3);
  bus.map(0x1000, 0x10, a);
  bus.mapUnderlay(0x0, 0x2000, b, 1);
  assert.equal(read(0x1004), 1, 'a device mapping wins over an underlay');
  assert.equal(read(0x1804), 2);
  bus.mapUnderlay(0x1800, 0x10, c, 0);
  assert.equal(read(0x1804), 2, 'lower priority stays below');
  bus.mapUnderlay(0x1800, 0x10, dev('d', 4), 1);
  assert.equal(read(0x1804), 4, 'the latest of equal priority answers');
  assert.equal(read(0x1804, { underlays: false }), 0, 'underlays can be left out');
  bus.unmap(b);
  assert.equal(read(0x0), 0);
  assert.throws(() => bus.mapUnderlay(0, 0, c), /not a valid range/);
});

test('a window receives the access bytes untouched', () => {
  const bus = new MmioBus(() => {});
  const seen: string[] = [];
  const win: MmioWindow = {
    name: 'w',
    kind: 'window',
    access: (off, isWrite, data) => {
      seen.push(`${off}:${isWrite}:${[...data].join(',')}`);
      if (!isWrite) data.set([9, 8, 7, 6, 5, 4, 3, 2].slice(0, data.length));
    },
  };
  bus.map(0x100, 0x100, win);
  bus.handle(exit(0x108, 8, true, [1, 2, 3, 4, 5, 6, 7, 8]));
  const r = exit(0x110, 2, false);
  bus.handle(r);
  assert.deepEqual(seen, ['8:true:1,2,3,4,5,6,7,8', '16:false:0,0']);
  assert.deepEqual([...r.data], [9, 8]);
});

test('a device with an access method of its own is still a device, not a window', () => {
  const bus = new MmioBus(() => {});
  const dev = {
    name: 'd',
    endian: 'big' as const,
    read: (off: number) => 0x11223344 + off,
    write: () => {},
    access: () => {
      throw new Error('the bus must not call a device method named access');
    },
  };
  bus.map(0x100, 0x100, dev);
  const r = exit(0x104, 4, false);
  bus.handle(r);
  assert.deepEqual([...r.data], [0x11, 0x22, 0x33, 0x48]);
});
