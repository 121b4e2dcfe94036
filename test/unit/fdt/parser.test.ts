/**
 * parseFdt() on malformed input: every defect must surface as a typed
 * FdtError, never as another exception or a hang.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { FdtBuilder, FdtError, MAX_NODE_DEPTH, parseFdt, type FdtErrorCode } from '../../../src/boards/fdt/index.js';

const BEGIN = 1;
const END_NODE = 2;
const PROP = 3;
const NOP = 4;
const END = 9;

/** Structure-block pieces for hand-made blobs. */
type Piece = number | string | Uint8Array;

/** big-endian words; strings become NUL-terminated, 4-byte-padded node names. */
function struct(...pieces: Piece[]): Uint8Array {
  const out: number[] = [];
  for (const piece of pieces) {
    if (typeof piece === 'number') out.push(piece >>> 24, (piece >>> 16) & 0xff, (piece >>> 8) & 0xff, piece & 0xff);
    else {
      const bytes = typeof piece === 'string' ? new TextEncoder().encode(`${piece}\0`) : piece;
      out.push(...bytes);
      while (out.length % 4 !== 0) out.push(0);
    }
  }
  return Uint8Array.from(out);
}

interface RawBlob {
  readonly structBytes: Uint8Array;
  readonly strings?: string;
  readonly version?: number;
}

/** header (v17) | empty reservation map at 0x30 | struct | strings */
function assemble({ structBytes, strings = 'name\0', version = 17 }: RawBlob): Uint8Array {
  const stringBytes = new TextEncoder().encode(strings);
  const structOffset = 0x40;
  const stringsOffset = structOffset + structBytes.length;
  const blob = new Uint8Array(stringsOffset + stringBytes.length);
  const view = new DataView(blob.buffer);
  [0xd00dfeed, blob.length, structOffset, stringsOffset, 0x30, version, 16, 0, stringBytes.length, structBytes.length].forEach((word, i) =>
    view.setUint32(i * 4, word),
  );
  blob.set(structBytes, structOffset);
  blob.set(stringBytes, stringsOffset);
  return blob;
}

function expectError(blob: Uint8Array, code: FdtErrorCode): void {
  assert.throws(
    () => parseFdt(blob),
    (error: unknown) => {
      assert.ok(error instanceof FdtError, `expected FdtError, got ${String(error)}`);
      assert.equal(error.code, code, error.message);
      return true;
    },
  );
}

function withWord(blob: Uint8Array, offset: number, value: number): Uint8Array {
  const copy = blob.slice();
  new DataView(copy.buffer).setUint32(offset, value);
  return copy;
}

const good = (): Uint8Array => {
  const fdt = new FdtBuilder();
  fdt.root.setU32('#address-cells', 1).addNode('child@0').setString('compatible', 'x').setBytes('odd', Uint8Array.of(1, 2, 3));
  fdt.root.addNode('other').addNode('deeper').setEmpty('flag');
  fdt.addReservation(0x1000, 0x2000);
  return fdt.toBlob({ totalSize: 0x200 });
};

test('hand-made minimal blob parses, NOPs are skipped', () => {
  const parsed = parseFdt(assemble({ structBytes: struct(NOP, BEGIN, '', NOP, PROP, 1, 0, Uint8Array.of(7), NOP, BEGIN, 'c', END_NODE, END_NODE, NOP, END) }));
  assert.deepEqual(parsed.root, { name: '', properties: [{ name: 'name', value: Uint8Array.of(7) }], children: [{ name: 'c', properties: [], children: [] }] });
});

test('version 16 blobs (no size_dt_struct) are read', () => {
  const blob = assemble({ structBytes: struct(BEGIN, '', END_NODE, END), version: 16 });
  const parsed = parseFdt(withWord(blob, 36, 0xdead_beef));
  assert.equal(parsed.header.sizeDtStruct, undefined);
  assert.equal(parsed.root.name, '');
});

test('header problems', () => {
  expectError(new Uint8Array(0), 'truncated');
  expectError(Uint8Array.of(0xd0, 0x0d, 0xfe), 'truncated');
  expectError(good().subarray(0, 20), 'truncated');
  expectError(withWord(good(), 0, 0xfeedd00d), 'bad-magic');
  expectError(withWord(good(), 20, 15), 'unsupported-version');
  expectError(withWord(good(), 24, 18), 'unsupported-version');
  expectError(withWord(good(), 4, 0x201), 'truncated');
  expectError(good().subarray(0, 0x1ff), 'truncated');
  expectError(withWord(good(), 4, 39), 'bad-offset');
});

test('block offsets and sizes out of range', () => {
  const blob = good();
  const view = new DataView(blob.buffer);
  const structOffset = view.getUint32(8);
  expectError(withWord(blob, 8, 0x200), 'bad-offset'); // struct at totalsize, non-zero size
  expectError(withWord(blob, 8, structOffset + 2), 'bad-offset'); // misaligned
  expectError(withWord(blob, 8, 0x10), 'bad-offset'); // inside the header
  expectError(withWord(blob, 36, 0xffff_fff0), 'bad-offset'); // struct size overflows
  expectError(withWord(blob, 12, 0xffff_ffff), 'bad-offset');
  expectError(withWord(blob, 32, 0x1000), 'bad-offset');
  expectError(withWord(blob, 16, 0x34), 'bad-offset'); // misaligned reservation map
  expectError(withWord(blob, 16, 0x1000), 'bad-offset');
});

test('reservation map without terminator', () => {
  const blob = good();
  // Point the map at the last 16 bytes and make them non-zero.
  const copy = withWord(withWord(blob, 16, 0x1f0), 0x1f0, 1);
  expectError(copy, 'bad-reservation-map');
  expectError(withWord(withWord(blob, 16, 0x1f8), 0x1f8, 1), 'bad-reservation-map');
});

test('unterminated strings', () => {
  const name = new TextEncoder().encode('abcd');
  expectError(assemble({ structBytes: struct(BEGIN, name) }), 'unterminated-string');
  expectError(assemble({ structBytes: struct(BEGIN, '', PROP, 0, 0, END_NODE, END), strings: 'name' }), 'unterminated-string');
  const longName = `${'p'.repeat(300)}\0`;
  expectError(assemble({ structBytes: struct(BEGIN, '', PROP, 0, 0, END_NODE, END), strings: longName }), 'unterminated-string');
});

test('string offsets and value lengths out of range', () => {
  expectError(assemble({ structBytes: struct(BEGIN, '', PROP, 0, 5, END_NODE, END) }), 'bad-string-offset');
  expectError(assemble({ structBytes: struct(BEGIN, '', PROP, 0, 0xffff_ffff, END_NODE, END) }), 'bad-string-offset');
  expectError(assemble({ structBytes: struct(BEGIN, '', PROP, 0xffff_ffff, 0, END_NODE, END) }), 'truncated');
  expectError(assemble({ structBytes: struct(BEGIN, '', PROP, 9, 0, 1, END_NODE) }), 'truncated');
  expectError(assemble({ structBytes: struct(BEGIN, '', PROP, 0) }), 'truncated');
});

test('bad nesting', () => {
  expectError(assemble({ structBytes: struct(END_NODE, END) }), 'bad-nesting');
  expectError(assemble({ structBytes: struct(BEGIN, '', END_NODE, END_NODE, END) }), 'bad-nesting');
  expectError(assemble({ structBytes: struct(BEGIN, '', BEGIN, 'a', END_NODE, END) }), 'bad-nesting');
  expectError(assemble({ structBytes: struct(PROP, 0, 0, BEGIN, '', END_NODE, END) }), 'bad-nesting');
  expectError(assemble({ structBytes: struct(BEGIN, '', BEGIN, 'a', END_NODE, PROP, 0, 0, END_NODE, END) }), 'bad-nesting');
  expectError(assemble({ structBytes: struct(BEGIN, '', END_NODE, BEGIN, 'second', END_NODE, END) }), 'bad-nesting');
  expectError(assemble({ structBytes: struct(NOP, END) }), 'bad-nesting');
  const deep: Piece[] = [];
  for (let i = 0; i <= MAX_NODE_DEPTH; i++) deep.push(BEGIN, 'n');
  expectError(assemble({ structBytes: struct(...deep) }), 'bad-nesting');
});

test('missing FDT_END and unknown tokens', () => {
  expectError(assemble({ structBytes: struct(BEGIN, '', END_NODE) }), 'truncated');
  expectError(assemble({ structBytes: struct(BEGIN, '', 7, END_NODE, END) }), 'bad-token');
  expectError(assemble({ structBytes: struct(BEGIN, '', END_NODE, 0) }), 'bad-token');
});

/** Deterministic xorshift32 so failures reproduce. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
}

function parsesOrFdtError(blob: Uint8Array, what: string): void {
  try {
    parseFdt(blob);
  } catch (error) {
    if (!(error instanceof FdtError)) assert.fail(`${what}: ${String(error)}`);
  }
}

test('fuzz: truncations and random corruption only ever give FdtError', () => {
  const blob = good();
  for (let length = 0; length < blob.length; length++) parsesOrFdtError(blob.subarray(0, length), `truncated to ${length}`);
  const next = random(0x1234_5678);
  for (let round = 0; round < 20_000; round++) {
    const copy = blob.slice();
    const edits = 1 + Math.floor(next() * 4);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(next() * copy.length);
      // Mostly byte flips; sometimes a whole word set to an extreme or a small number.
      if (next() < 0.7) copy[at] = Math.floor(next() * 256);
      else new DataView(copy.buffer).setUint32(at & ~3, [0, 1, 2, 3, 4, 9, 0xffff_ffff, 0x8000_0000, Math.floor(next() * 0x300)][Math.floor(next() * 9)]!);
    }
    parsesOrFdtError(copy, `round ${round}`);
  }
});

test('hostile sizes stay fast: many properties sharing one long string', () => {
  const strings = `${'a'.repeat(200)}\0`;
  const pieces: Piece[] = [BEGIN, ''];
  for (let i = 0; i < 20_000; i++) pieces.push(PROP, 0, i % 200);
  pieces.push(END_NODE, END);
  // Not timed (a wall-clock bound fails on a loaded machine, not on a slow parser): the parse
  // must finish, which the test runner's timeout guards, and every name must be right.
  const parsed = parseFdt(assemble({ structBytes: struct(...pieces), strings }));
  assert.equal(parsed.root.properties.length, 20_000);
  parsed.root.properties.forEach((p, i) => assert.equal(p.name.length, 200 - (i % 200)));
});
