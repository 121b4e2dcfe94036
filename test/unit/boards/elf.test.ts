import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BoardError } from '../../../src/boards/errors.js';
import { parseElf } from '../../../src/boards/loaders/elf.js';
import { loadPpcPayload } from '../../../src/boards/ppce500/payload.js';
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
