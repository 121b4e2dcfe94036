/**
 * Guest images are checked before they are read: regular files only, sizes against RAM and
 * against what ngkvm reads, and of an ELF or a uImage only what the loader uses.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BoardError } from '../../../src/boards/errors.js';
import { buildUImage, IH_COMP_NONE } from '../../../src/boards/loaders/uimage.js';
import { parseElf } from '../../../src/boards/loaders/elf.js';
import { formatBytes, readBootImage } from '../../../src/vmm/image-file.js';
import { GUEST_BUILD } from '../../support/paths.js';

const MiB = 1 << 20;
const RAM = 128 * MiB;
const dir = mkdtempSync(join(tmpdir(), 'ngkvm-image-'));
const guest = join(GUEST_BUILD, 'e500v2', 'arith.elf');
after(() => rmSync(dir, { recursive: true, force: true }));

function failure(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof BoardError, `expected a BoardError, got ${String(e)}`);
    return `${e.code}: ${e.message}`;
  }
  return assert.fail('no error');
}

test('sizes read as people write them', () => {
  assert.equal(formatBytes(128 * MiB), '128 MiB');
  assert.equal(formatBytes(1.9 * 2 ** 30), '1.9 GiB');
  assert.equal(formatBytes(4000), '3.9 KiB');
  assert.equal(formatBytes(100), '100 bytes');
});

test('only regular files: character devices, FIFOs and directories are refused without reading', () => {
  assert.equal(failure(() => readBootImage('/dev/zero', 'firmware', RAM, 'loader')), 'ERR_IMAGE_READ: cannot read firmware "/dev/zero": is a character device, not a regular file');
  assert.match(failure(() => readBootImage('/dev/zero', 'initrd', RAM, 'raw')), /initrd "\/dev\/zero": is a character device/);
  const fifo = join(dir, 'fifo');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo');
  // Opening a FIFO without a writer would block; the check must not.
  assert.match(failure(() => readBootImage(fifo, 'kernel', RAM, 'loader')), /: is a FIFO \(named pipe\), not a regular file$/);
  assert.match(failure(() => readBootImage(dir, 'kernel', RAM, 'loader')), /: is a directory$/);
  assert.match(failure(() => readBootImage(join(dir, 'missing'), 'kernel', RAM, 'loader')), /: no such file$/);
  assert.match(failure(() => readBootImage(join(guest, 'x'), 'kernel', RAM, 'loader')), /: a component of the path is not a directory$/);
});

test('an image larger than RAM is refused by its size; one over 2 GiB gets a message, not Node\'s error name', () => {
  // Sparse files: their size costs no disk and, with the checks first, no reading.
  const big = join(dir, 'initrd.big');
  writeFileSync(big, '');
  truncateSync(big, 2040109465); // 1.9 GiB
  assert.equal(failure(() => readBootImage(big, 'initrd', RAM, 'raw')), `ERR_RAM_SIZE: initrd "${big}" is 1.9 GiB, more than the guest's 128 MiB of RAM; use a larger -m`);
  const huge = join(dir, 'initrd.huge');
  writeFileSync(huge, '');
  truncateSync(huge, 3 * 2 ** 30);
  assert.equal(failure(() => readBootImage(huge, 'initrd', 8 * 2 ** 30, 'raw')), `ERR_IMAGE_READ: cannot read initrd "${huge}": ngkvm reads images of at most 2 GiB, and this one is 3 GiB`);
});

test('of an ELF only the headers and segments are read: debug data past them, even larger than RAM, is not', () => {
  const original = new Uint8Array(readFileSync(guest));
  const padded = join(dir, 'with-debug.elf');
  writeFileSync(padded, original);
  truncateSync(padded, original.length + 512 * MiB);
  const img = readBootImage(padded, 'kernel', RAM, 'loader');
  assert.ok(img.bytes.length <= original.length, `${img.bytes.length} bytes read`);
  const want = parseElf(original, 'arith.elf');
  assert.deepEqual(parseElf(img.bytes, padded).segments.map((s) => [s.paddr, [...s.data]]), want.segments.map((s) => [s.paddr, [...s.data]]));
  // The same file copied raw (a kernel that firmware boots) is read whole, and then it does not fit.
  assert.match(failure(() => readBootImage(padded, 'kernel', RAM, 'raw')), /^ERR_RAM_SIZE: kernel ".*" is 512\.1 MiB, more than the guest's 128 MiB of RAM/);
  // Segments larger than RAM are refused from the program headers alone.
  const fat = original.slice();
  const v = new DataView(fat.buffer);
  const ph = v.getUint32(28);
  v.setUint32(ph + 16, 200 * MiB); // p_filesz of the first program header
  const fatPath = join(dir, 'fat.elf');
  writeFileSync(fatPath, fat);
  assert.match(failure(() => readBootImage(fatPath, 'firmware', RAM, 'loader')), /^ERR_RAM_SIZE: firmware ".*" has 200 MiB to load, more than the guest's 128 MiB of RAM/);
});

test('of a uImage the header and the payload it announces are read', () => {
  const payload = new Uint8Array(5000).map((_, i) => i & 0xff);
  const image = buildUImage({ name: 't', load: 0, entry: 0, payload, compression: IH_COMP_NONE });
  const path = join(dir, 'uImage');
  writeFileSync(path, image);
  appendFileSync(path, new Uint8Array(4096).fill(0xee));
  assert.deepEqual(readBootImage(path, 'kernel', RAM, 'loader').bytes, image);
  const lying = image.slice();
  new DataView(lying.buffer).setUint32(12, 0xffffff00);
  writeFileSync(path, lying);
  assert.match(failure(() => readBootImage(path, 'kernel', RAM, 'loader')), /^ERR_RAM_SIZE: kernel ".*" has 4\.0 GiB to load/);
});
