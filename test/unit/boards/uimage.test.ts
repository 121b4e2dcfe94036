/**
 * uImage kernels (QEMU's load_uimage): the header and data checks, gzip unpacking (checked
 * against Node's zlib as an independent implementation), and the payload a ppce500 boots.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { constants, deflateRawSync, gzipSync } from 'node:zlib';
import { BoardError } from '../../../src/boards/errors.js';
import { crc32 } from '../../../src/boards/loaders/crc32.js';
import { gunzip, InflateError, inflateRaw } from '../../../src/boards/loaders/inflate.js';
import { buildUImage, IH_COMP_GZIP, IH_COMP_NONE, parseUImage } from '../../../src/boards/loaders/uimage.js';
import { loadPpcPayload } from '../../../src/boards/ppce500/payload.js';
import { Prng } from '../../support/prng.js';

function sample(size: number): Uint8Array {
  // Text-like data with repeats (length/distance codes) mixed with random bytes (literals).
  const out = new Uint8Array(size);
  const words = ['kernel ', 'page ', 'tlb ', 'interrupt ', '0x', 'mpic ', '\n'];
  let p = 0;
  const rnd = new Prng(12345);
  while (p < size) {
    const seed = rnd.u32();
    if (seed % 7 === 0) {
      const r = rnd.bytes(Math.min(17, size - p));
      out.set(r, p);
      p += r.length;
    } else {
      const w = new TextEncoder().encode(words[seed % words.length]!);
      out.set(w.subarray(0, size - p), p);
      p += w.length;
    }
  }
  return out;
}

test('crc32 matches the standard check value', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
  const a = new TextEncoder().encode('hello ');
  const b = new TextEncoder().encode('world');
  assert.equal(crc32(b, crc32(a)), crc32(new TextEncoder().encode('hello world')));
});

test('inflate reproduces what zlib deflates, for stored, fixed and dynamic blocks', () => {
  for (const size of [0, 1, 100, 70_000, 300_000]) {
    const data = sample(size);
    for (const level of [0, 1, 6, 9]) {
      const raw = deflateRawSync(data, { level });
      const { data: out, end } = inflateRaw(raw, 0, 1 << 24);
      assert.deepEqual(out, data, `size ${size} level ${level}`);
      assert.equal(end, raw.length);
    }
    const fixed = deflateRawSync(data, { strategy: constants.Z_FIXED });
    assert.deepEqual(inflateRaw(fixed, 0, 1 << 24).data, data, `fixed Huffman, size ${size}`);
    assert.deepEqual(gunzip(gzipSync(data), 1 << 24, crc32), data);
  }
});

test('gunzip refuses corrupt, truncated and oversized data with an InflateError', () => {
  const data = sample(50_000);
  const gz = new Uint8Array(gzipSync(data));
  const flipped = gz.slice();
  flipped[gz.length - 8]! ^= 1; // CRC
  assert.throws(() => gunzip(flipped, 1 << 20, crc32), (e) => e instanceof InflateError && /CRC-32/.test(e.message));
  assert.throws(() => gunzip(gz.subarray(0, gz.length >> 1), 1 << 20, crc32), InflateError);
  assert.throws(() => gunzip(gz, 1000, crc32), (e) => e instanceof InflateError && /exceeds 1000 bytes/.test(e.message));
  // A bomb: 64 MiB of zeros in ~64 KiB, refused at the limit instead of allocated.
  const bomb = new Uint8Array(gzipSync(new Uint8Array(64 << 20), { level: 9 }));
  assert.throws(() => gunzip(bomb, 1 << 20, crc32), /exceeds/);
  // Garbage after a valid header: never a RangeError or a hang.
  const rnd = new Prng(200);
  for (let i = 0; i < 200; i++) {
    const junk = rnd.bytes(64 + (i % 50));
    junk.set([0x1f, 0x8b, 8, 0], 0);
    try {
      gunzip(junk, 1 << 16, crc32);
    } catch (e) {
      assert.ok(e instanceof InflateError, `random data gave ${String(e)}`);
    }
  }
});

test('a gzip uImage round-trips and becomes the payload QEMU would load', () => {
  const kernel = sample(200_000);
  const img = buildUImage({ name: 'Linux-6.1', load: 0, entry: 0, compression: IH_COMP_GZIP, payload: new Uint8Array(gzipSync(kernel)) });
  const u = parseUImage(img, 'uImage');
  assert.equal(u.name, 'Linux-6.1');
  assert.deepEqual(u.data, kernel);
  const p = loadPpcPayload({ name: 'uImage', bytes: img });
  assert.equal(p.format, 'uimage');
  assert.equal(p.address, 0);
  assert.equal(p.size, kernel.length, 'QEMU sizes a uImage payload by its unpacked length');
  assert.deepEqual(p.segments, [{ paddr: 0, data: kernel, memsz: kernel.length }]);
  const plain = parseUImage(buildUImage({ name: 'raw', load: 0x100000, entry: 0x100010, compression: IH_COMP_NONE, payload: kernel }), 'raw');
  assert.equal(plain.load, 0x100000);
  assert.equal(plain.entry, 0x100010);
});

test('corrupt or foreign uImages are one-line image errors', () => {
  const good = buildUImage({ name: 'k', load: 0, entry: 0, compression: IH_COMP_NONE, payload: sample(4096) });
  const err = (bytes: Uint8Array): string => {
    try {
      loadPpcPayload({ name: 'k.img', bytes });
    } catch (e) {
      assert.ok(e instanceof BoardError, String(e));
      assert.ok(!e.message.includes('\n'));
      return `${e.code}: ${e.message}`;
    }
    return 'accepted';
  };
  const headerFlip = good.slice();
  headerFlip[20]! ^= 0x40;
  assert.match(err(headerFlip), /ERR_IMAGE_FORMAT: k.img: U-Boot image header checksum is wrong/);
  const dataFlip = good.slice();
  dataFlip[100]! ^= 1;
  assert.match(err(dataFlip), /data checksum is wrong/);
  assert.match(err(good.subarray(0, 1000)), /truncated: the header announces 4096 bytes/);
  assert.match(err(good.subarray(0, 40)), /truncated U-Boot image header/);
  const arm = buildUImage({ name: 'k', load: 0, entry: 0, compression: IH_COMP_NONE, payload: sample(64), arch: 2 });
  assert.match(err(arm), /for ARM; ppce500 needs a PowerPC image/);
  const ramdisk = buildUImage({ name: 'k', load: 0, entry: 0, compression: IH_COMP_NONE, payload: sample(64), type: 3 });
  assert.match(err(ramdisk), /of type 3; only kernel images/);
  const bz = buildUImage({ name: 'k', load: 0, entry: 0, compression: 2, payload: sample(64) });
  assert.match(err(bz), /compressed with bzip2/);
  const badGzip = buildUImage({ name: 'k', load: 0, entry: 0, compression: IH_COMP_GZIP, payload: sample(64) });
  assert.match(err(badGzip), /cannot unpack the gzip-compressed kernel: not gzip data/);
});
