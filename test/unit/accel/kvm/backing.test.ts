/**
 * kvm guest memory above 4 GiB without /dev/kvm: a backing is a memfd mapped in one
 * contiguous range (what a memory slot needs) and seen in pieces (what Node can wrap).
 * Only the native shim is needed; a VM that runs a 16 GiB guest is in big-guest.test.ts.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { MappedGuestMemory, UnsupportedError, gpa } from '../../../../src/api/index.js';
import { KvmBacking, mapBacking } from '../../../../src/accel/kvm/hypervisor.js';
import { SHIM_PATH, loadShim } from '../../../../src/sys/native.js';

const SKIP = existsSync(SHIM_PATH) ? undefined : `skipped: the native addon is not built (${SHIM_PATH}); run npm run setup`;
const GiB = 2 ** 30;

describe('kvm backings above 4 GiB', { skip: SKIP }, () => {
  test('a 16 GiB backing: 16 contiguous pieces, guest memory above 4 GiB, another thread\'s mapping, bytes refused', () => {
    const shim = loadShim();
    const size = 16 * GiB;
    const b = KvmBacking.create(shim, size, 'big');
    try {
      assert.equal(b.chunks.length, 16);
      assert.ok(b.chunks.every((c) => c.length === GiB));
      for (let i = 1; i < b.buffers.length; i++) {
        assert.equal(shim.bufferAddress(b.buffers[i]!) - b.hostAddress, BigInt(i * GiB), `piece ${i} follows piece ${i - 1}`);
      }
      assert.throws(() => b.bytes, UnsupportedError);
      assert.throws(() => b.view, UnsupportedError);
      const mem = new MappedGuestMemory(() => {});
      mem.setRegions([{ guestAddr: gpa(4 * GiB), size, backing: b, offset: 0 }]);
      const top = 4 * GiB + size - 8;
      mem.writeBigUint64LE(gpa(top), 0x0123456789abcdefn);
      mem.writeUint32LE(gpa(4 * GiB + 5 * GiB - 2), 0xa1b2c3d4);
      assert.equal(b.chunks[15]![GiB - 1], 0x01);
      assert.deepEqual([b.chunks[4]![GiB - 2], b.chunks[4]![GiB - 1], b.chunks[5]![0], b.chunks[5]![1]], [0xd4, 0xc3, 0xb2, 0xa1]);
      const other = mapBacking(b.fd, size);
      try {
        assert.equal(other.length, 16);
        assert.equal(other[15]![GiB - 8], 0xef, 'the same pages through a second mapping');
      } finally {
        shim.munmap(other.map((c) => c.buffer as ArrayBuffer));
      }
    } finally {
      assert.equal(shim.munmap(b.buffers), 0);
      shim.close(b.fd);
    }
  });
});
