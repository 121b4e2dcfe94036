import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BoardError, asImageError } from '../../../src/boards/errors.js';
import { parseElf } from '../../../src/boards/loaders/elf.js';
import { loadPpcPayload } from '../../../src/boards/ppce500/payload.js';
import { ramLayout } from '../../../src/boards/x86-microvm/layout.js';
import { loadKernel } from '../../../src/boards/x86-microvm/loader.js';
import { GUEST_BUILD } from '../../support/paths.js';

const guest = (): Uint8Array => new Uint8Array(readFileSync(join(GUEST_BUILD, 'e500v2', 'arith.elf')));
const code = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof BoardError, `expected a BoardError, got ${String(e)}`);
    return `${e.code}: ${e.message}`;
  }
  assert.fail('no error');
};

test('a guest ELF parses: 32-bit big-endian PowerPC with loadable segments', () => {
  const elf = parseElf(guest(), 'arith.elf');
  assert.equal(elf.class, 32);
  assert.equal(elf.littleEndian, false);
  assert.equal(elf.machine, 20);
  assert.ok(elf.segments.length >= 1);
});

test('non-ELF and truncated files are format errors naming the file', () => {
  assert.match(code(() => loadPpcPayload({ name: 'x.bin', bytes: new Uint8Array(100) })), /ERR_IMAGE_FORMAT: x.bin: neither an ELF file nor a U-Boot image/);
  assert.match(code(() => parseElf(guest().subarray(0, 30), 'short.elf')), /ERR_IMAGE_FORMAT: short.elf: truncated/);
  const g = guest();
  const truncated = g.subarray(0, 200);
  assert.match(code(() => parseElf(truncated, 't.elf')), /extends past the end of the file/);
});

test('ELF for another architecture or byte order is rejected with what it was built for', () => {
  const g = guest().slice();
  new DataView(g.buffer).setUint16(18, 62); // EM_X86_64
  assert.match(code(() => loadPpcPayload({ name: 'x86.elf', bytes: g })), /ERR_IMAGE_ARCH: x86.elf: built for x86-64/);
  const x86 = new Uint8Array(readFileSync(process.execPath).subarray(0, 1 << 16));
  assert.match(code(() => loadPpcPayload({ name: 'node', bytes: x86 })), /ERR_IMAGE_(ARCH|FORMAT)/);
});

test('bad program headers are format errors, not exceptions of another kind', () => {
  const g = guest().slice();
  new DataView(g.buffer).setUint16(44, 0); // e_phnum = 0
  assert.match(code(() => parseElf(g, 'nophdr.elf')), /no program headers/);
  const h = guest().slice();
  new DataView(h.buffer).setUint16(16, 1); // ET_REL
  assert.match(code(() => parseElf(h, 'obj.o')), /not an executable/);
});

/**
 * A 528-byte big-endian PowerPC ELF with one PT_LOAD and one PT_NOTE whose single note has
 * the given name and descriptor sizes (the note segment itself is 28 bytes).
 */
function noteElf(namesz: number, descsz = 0): Uint8Array {
  const out = new Uint8Array(528);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 1, 2, 1]);
  v.setUint16(16, 2);
  v.setUint16(18, 20);
  v.setUint32(20, 1);
  v.setUint32(24, 0x100);
  v.setUint32(28, 52);
  v.setUint16(40, 52);
  v.setUint16(42, 32);
  v.setUint16(44, 2);
  const load = 52;
  v.setUint32(load, 1);
  v.setUint32(load + 4, 256);
  v.setUint32(load + 16, 256);
  v.setUint32(load + 20, 256);
  v.setUint32(load + 24, 5);
  const note = 84;
  v.setUint32(note, 4);
  v.setUint32(note + 4, 116);
  v.setUint32(note + 16, 28);
  v.setUint32(note + 20, 28);
  v.setUint32(116, namesz);
  v.setUint32(120, descsz);
  v.setUint32(124, 1);
  return out;
}

test('ELF note sizes near 2^32 are format errors (no RangeError, no endless loop), on both boards', () => {
  for (const [namesz, descsz] of [
    [0xfffffff0, 0],
    [0xfffffff4, 0],
    [0xfffffffc, 0xfffffffc],
    [4, 0xfffffff4],
    [17, 0],
  ] as const) {
    const bytes = noteElf(namesz, descsz);
    const what = `namesz 0x${namesz.toString(16)}, descsz 0x${descsz.toString(16)}`;
    assert.match(code(() => parseElf(bytes, 'n.elf')), /^ERR_IMAGE_FORMAT: n\.elf: ELF note 0: its (name|descriptor) \(\d+ bytes\) runs past the end of the note segment/, what);
    assert.match(code(() => loadPpcPayload({ name: 'n.elf', bytes })), /^ERR_IMAGE_FORMAT: n\.elf: ELF note 0/, what);
    // x86-microvm looks at the notes for the PVH entry: the same bytes as an x86-64 ELF32.
    const x86 = bytes.slice();
    new DataView(x86.buffer).setUint16(18, 62);
    assert.match(code(() => loadKernel({ kernel: { name: 'x.elf', bytes: x86 }, layout: ramLayout(64 << 20) })), /^ERR_IMAGE_FORMAT: x\.elf: ELF note 0/, what);
  }
});

test('well-formed notes parse; trailing bytes too short for a header and a missing last padding are tolerated', () => {
  const bytes = noteElf(4, 4);
  bytes.set([0x58, 0x65, 0x6e, 0, 0, 0, 0, 0x2a], 128);
  const elf = parseElf(bytes, 'n.elf');
  // 20 bytes of note in the 28-byte segment; the last 8 cannot hold a note header.
  assert.deepEqual(
    elf.notes.map((n) => ({ name: n.name, type: n.type, desc: [...n.desc] })),
    [{ name: 'Xen', type: 1, desc: [0, 0, 0, 0x2a] }],
  );
  const short = noteElf(1, 0);
  // A 12-byte header and a 1-byte name at the very end of a 13-byte segment.
  new DataView(short.buffer).setUint32(84 + 16, 13);
  new DataView(short.buffer).setUint32(84 + 20, 13);
  assert.deepEqual(parseElf(short, 's.elf').notes.map((n) => n.name), ['']);
});

test('any exception from a loader is an image error naming the file, with the original as its cause', () => {
  const cause = new RangeError('Offset is outside the bounds of the DataView');
  assert.throws(
    () =>
      asImageError('bad.img', () => {
        throw cause;
      }),
    (e: unknown) => e instanceof BoardError && e.code === 'ERR_IMAGE_FORMAT' && e.cause === cause && /^bad\.img: malformed image \(the loader stopped with RangeError: Offset/.test(e.message),
  );
  const own = new BoardError('ERR_IMAGE_ARCH', 'kept as it is');
  assert.throws(
    () =>
      asImageError('x', () => {
        throw own;
      }),
    (e: unknown) => e === own,
  );
});
