/**
 * Backings larger than one typed array can view (2^32 bytes): seen in pieces (`chunks`),
 * read and written through `Vm.memory` across the pieces, `bytes` refused with a typed error.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  BACKING_CHUNK_BYTES,
  Hypervisor,
  MAX_VIEW_BYTES,
  MappedGuestMemory,
  UnsupportedError,
  gpa,
  type MemoryBacking,
} from '../../../src/api/index.js';

/** A backing in pieces of 4 KiB: the piece logic without gigabytes. */
function smallPieces(pieces: number): MemoryBacking {
  const chunks = Array.from({ length: pieces }, () => new Uint8Array(4096));
  return {
    id: 1,
    name: 'pieces',
    size: pieces * 4096,
    chunks,
    chunkBytes: 4096,
    get bytes(): Uint8Array {
      throw new UnsupportedError('in pieces');
    },
    get view(): DataView {
      throw new UnsupportedError('in pieces');
    },
  };
}

describe('guest memory over a backing in pieces', () => {
  test('reads, writes and fills cross piece boundaries, at the right place in each piece', () => {
    const b = smallPieces(3);
    const mem = new MappedGuestMemory(() => {});
    mem.setRegions([{ guestAddr: gpa(0x10000), size: 0x2000, backing: b, offset: 0x1000 }]);
    mem.write(gpa(0x10ffe), Uint8Array.of(1, 2, 3, 4));
    assert.deepEqual([...b.chunks[1]!.subarray(0xffe)], [1, 2]);
    assert.deepEqual([...b.chunks[2]!.subarray(0, 2)], [3, 4]);
    const back = new Uint8Array(4);
    mem.read(gpa(0x10ffe), back);
    assert.deepEqual([...back], [1, 2, 3, 4]);
    mem.fill(gpa(0x10fff), 2, 0xee);
    assert.equal(b.chunks[1]![0xfff], 0xee);
    assert.equal(b.chunks[2]![0], 0xee);
    assert.equal(mem.readUint32BE(gpa(0x10ffe)), 0x01eeee04);
    assert.ok(b.chunks[0]!.every((x) => x === 0), 'the piece before the window is untouched');
  });
});

describe('e500: a backing above 4 GiB', () => {
  test('createMemory(4 GiB + 4 KiB) works: pieces of 1 GiB, the top page through vm.memory, bytes refused', async () => {
    const hv = await Hypervisor.open({ accel: 'e500' });
    const vm = hv.createVm();
    const size = MAX_VIEW_BYTES + 4096;
    const ram = vm.createMemory(size, { name: 'big' });
    assert.equal(ram.chunkBytes, BACKING_CHUNK_BYTES);
    assert.deepEqual(ram.chunks.map((c) => c.length), [2 ** 30, 2 ** 30, 2 ** 30, 2 ** 30, 4096]);
    assert.throws(() => ram.bytes, (e: unknown) => e instanceof UnsupportedError && /backing\.chunks/.test(e.message));
    assert.equal(ram.view.byteLength, size, 'the e500 accelerator has one DataView over it');
    vm.setMemoryMap([{ guestAddr: gpa(0x1_0000_0000), size, backing: ram, offset: 0 }]);
    vm.memory.writeUint32BE(gpa(0x1_0000_0000 + size - 4), 0xcafef00d);
    vm.memory.writeUint32BE(gpa(0x1_0000_0000 + 2 ** 30 - 2), 0x11223344);
    assert.equal(ram.chunks[4]![4092], 0xca);
    assert.equal(ram.view.getUint32(size - 4), 0xcafef00d);
    assert.deepEqual([ram.chunks[0]![2 ** 30 - 1], ram.chunks[1]![0]], [0x22, 0x33], 'a word across the first piece boundary');
    vm.close();
  });
});
