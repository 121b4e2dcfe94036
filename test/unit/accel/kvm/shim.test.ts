/**
 * The native boundary: the shim's own checks (ioctl sizes, mapping ownership, argument
 * types) and the typed errors the accelerator turns its results into.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { AcceleratorUnavailableError } from '../../../../src/api/index.js';
import { IOCTL } from '../../../../src/accel/kvm/abi.js';
import { KvmHypervisor } from '../../../../src/accel/kvm/hypervisor.js';
import { EFD_NONBLOCK, SHIM_PATH, loadShim } from '../../../../src/sys/native.js';

const SKIP = existsSync(SHIM_PATH) ? undefined : `skipped: the native addon is not built (${SHIM_PATH}); run npm run setup`;
const EINVAL = -22;

describe('kvm native shim', { skip: SKIP }, () => {
  test('ioctl refuses a buffer smaller than the size the request encodes, before any system call', () => {
    const shim = loadShim();
    const fd = shim.eventfd(0, EFD_NONBLOCK);
    try {
      assert.equal(shim.ioctl(fd, IOCTL.GET_REGS, new Uint8Array(16)), EINVAL, 'KVM_GET_REGS needs 144 bytes');
      assert.equal(shim.ioctl(fd, IOCTL.RUN, new Uint8Array(16)), EINVAL, 'a request without data direction is not a buffer ioctl');
      assert.equal(shim.ioctlInt(fd, IOCTL.GET_REGS, 0), EINVAL, 'a buffer request is not an integer ioctl');
    } finally {
      shim.close(fd);
    }
  });

  test('mmap gives the mapping as ArrayBuffers; munmap detaches them and refuses foreign buffers', () => {
    const shim = loadShim();
    const fd = shim.memfdCreate('shim-test', 0);
    assert.ok(fd >= 0);
    try {
      assert.equal(shim.ftruncate(fd, 8192), 0);
      const a = shim.mmap(fd, 8192, 0);
      const b = shim.mmap(fd, 8192, 0);
      assert.ok(Array.isArray(a) && Array.isArray(b) && a.length === 1 && b.length === 1);
      const [a0, b0] = [a[0]!, b[0]!];
      assert.ok(a0 instanceof ArrayBuffer && a0.byteLength === 8192);
      new Uint8Array(a0)[100] = 42;
      assert.equal(new Uint8Array(b0)[100], 42, 'two mappings of one memfd share the pages');
      const view = new Uint8Array(a0);
      assert.equal(shim.munmap(a), 0);
      assert.equal(a0.byteLength, 0, 'detached');
      assert.equal(view.length, 0, 'views over it are now empty, never dangling');
      assert.equal(shim.munmap(a), EINVAL, 'unmapped once');
      assert.equal(shim.munmap(new ArrayBuffer(8192)), EINVAL, 'not a buffer mmap made');
      assert.equal(shim.munmap(b0), 0, 'a one-piece mapping can be given as its buffer');
    } finally {
      shim.close(fd);
    }
  });

  test('a mapping above 4 GiB (more than Node wraps in one ArrayBuffer) comes in contiguous pieces, and munmap wants them all', () => {
    // Regression: mmap of 4 GiB + 4 KiB aborted the process with a double free (the
    // finalizer Node runs when it refuses a buffer that large freed the mapping, then
    // the shim freed it again). Sparse memfd: no page is allocated until touched.
    const shim = loadShim();
    const size = 2 ** 32 + 4096;
    const fd = shim.memfdCreate('shim-big', 0);
    try {
      assert.equal(shim.ftruncate(fd, size), 0);
      const whole = shim.mmap(fd, size, 0);
      assert.ok(Array.isArray(whole));
      assert.deepEqual(whole.map((b) => b.byteLength), [2 ** 32, 4096], 'default pieces: 4 GiB, then the rest');
      assert.equal(shim.bufferAddress(whole[1]!) - shim.bufferAddress(whole[0]!), 2n ** 32n, 'one contiguous range');
      const pieces = shim.mmap(fd, size, 0, 2 ** 30);
      assert.ok(Array.isArray(pieces));
      assert.deepEqual(pieces.map((b) => b.byteLength), [2 ** 30, 2 ** 30, 2 ** 30, 2 ** 30, 4096]);
      new Uint8Array(whole[1]!)[4095] = 0x5a;
      assert.equal(new Uint8Array(pieces[4]!)[4095], 0x5a, 'the last byte, through both mappings');
      assert.equal(shim.mmap(fd, size, 0, 2 ** 32 + 4096), EINVAL, 'no piece larger than 4 GiB');
      assert.equal(shim.mmap(fd, size, 0, 0), EINVAL);
      assert.equal(shim.munmap([pieces[0]!]), EINVAL, 'one piece of five');
      assert.equal(shim.munmap([pieces[0]!, pieces[0]!, pieces[1]!, pieces[2]!, pieces[3]!]), EINVAL, 'a piece twice');
      assert.equal(shim.munmap([whole[0]!, ...pieces.slice(1)]), EINVAL, 'pieces of two mappings');
      assert.equal(pieces[0]!.byteLength, 2 ** 30, 'a refused munmap detaches nothing');
      assert.equal(shim.munmap(pieces), 0);
      assert.ok(pieces.every((b) => b.byteLength === 0));
      assert.equal(shim.munmap(whole), 0);
    } finally {
      shim.close(fd);
    }
  });

  test('eventfd counts, reads reset it, non-blocking reads of zero are EAGAIN', () => {
    const shim = loadShim();
    const fd = shim.eventfd(0, EFD_NONBLOCK);
    try {
      assert.equal(shim.eventfdRead(fd), -11);
      shim.eventfdWrite(fd, 2);
      shim.eventfdWrite(fd, 3);
      assert.equal(shim.pollIn(fd, 0), 1);
      assert.equal(shim.eventfdRead(fd), 5);
      assert.equal(shim.pollIn(fd, 0), 0);
      assert.equal(shim.eventfdWrite(fd, 0), EINVAL);
    } finally {
      shim.close(fd);
    }
  });

  test('wrong argument types are TypeErrors from the shim, not crashes', () => {
    const shim = loadShim();
    assert.throws(() => shim.ioctl('x' as unknown as number, 0, new Uint8Array(1)), TypeError);
    assert.throws(() => shim.ioctl(0, 0, 'not a buffer' as unknown as Uint8Array), TypeError);
    assert.throws(() => (shim.open as unknown as () => number)(), TypeError);
  });

  test('a missing KVM device is an AcceleratorUnavailableError naming it and the fix', () => {
    assert.throws(
      () => KvmHypervisor.open('/dev/no-such-kvm'),
      (e: unknown) => e instanceof AcceleratorUnavailableError && e.errno === 'ENODEV' && /\/dev\/no-such-kvm does not exist/.test(e.message) && /load kvm_intel or kvm_amd/.test(e.message),
    );
  });

  test('a device that is not KVM is refused by its API version', () => {
    assert.throws(() => KvmHypervisor.open('/dev/null'), (e: unknown) => e instanceof AcceleratorUnavailableError && /\/dev\/null is not a KVM device/.test(e.message));
  });
});
