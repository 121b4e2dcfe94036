/**
 * The migration stream on its own (src/vmm/migration/stream.ts): what is encoded comes back
 * record by record, a page sent twice ends as its last copy, and every kind of damage is one
 * MigrationError naming it. Also the written-pages set that lets round 0 skip pages never
 * written.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WrittenPages } from '../../../src/vmm/migration/machine-image.js';
import { decodeStream, MigrationError, PAGE_BYTES, StreamEncoder, type ByteSource, type StreamHeader } from '../../../src/vmm/migration/stream.js';

const header: StreamHeader = { format: 1, ngkvm: 'test', machine: 'ppce500', cpu: 'e500v2', cpus: 1, ramSize: 16 * PAGE_BYTES, pageSize: PAGE_BYTES, sections: [{ id: 'cpu0', version: 1 }] };

function page(fill: number): Uint8Array {
  return new Uint8Array(PAGE_BYTES).fill(fill);
}

/** A stream in several chunks, as a sender takes them. */
function encode(): Uint8Array {
  const e = new StreamEncoder();
  const chunks: Uint8Array[] = [];
  e.header(header);
  chunks.push(e.take());
  e.pages([1, 3, 5], (i) => (i === 3 ? null : page(i)));
  chunks.push(e.take());
  e.pages([1], () => page(0x11));
  e.state(Uint8Array.of(9, 8, 7));
  e.end();
  chunks.push(e.take());
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  assert.equal(e.total, out.length, 'the encoder counts what it handed out');
  return out;
}

function source(bytes: Uint8Array): ByteSource {
  let at = 0;
  return {
    read: (n) => {
      const b = bytes.subarray(at, at + n);
      at += b.length;
      return b;
    },
  };
}

function decode(bytes: Uint8Array): { pages: Map<number, number | null>; state: number[]; header: StreamHeader | undefined; total: number } {
  const pages = new Map<number, number | null>();
  let state: number[] = [];
  let h: StreamHeader | undefined;
  const total = decodeStream(
    source(bytes),
    {
      header: (x) => void (h = x),
      page: (i, b) => void pages.set(i, b === null ? null : b[0]!),
      state: (s) => void (state = [...s]),
    },
    16,
  );
  return { pages, state, header: h, total };
}

test('a stream decodes to what was encoded; a page sent again ends as its last copy', () => {
  const bytes = encode();
  const d = decode(bytes);
  assert.deepEqual(d.header, header);
  assert.deepEqual([...d.pages], [
    [1, 0x11],
    [3, null],
    [5, 5],
  ]);
  assert.deepEqual(d.state, [9, 8, 7]);
  assert.equal(d.total, bytes.length);
});

test('damage is one clear MigrationError: cut anywhere, a flipped bit, a page beyond RAM, another format', () => {
  const bytes = encode();
  const fails = (b: Uint8Array, pattern: RegExp): void =>
    assert.throws(() => decode(b), (e: unknown) => e instanceof MigrationError && pattern.test(e.message), `expected ${String(pattern)}`);
  for (let cut = 0; cut < bytes.length; cut += 97) fails(bytes.subarray(0, cut), cut < 8 ? /truncated|not an ngkvm/ : /truncated/);
  fails(bytes.subarray(0, bytes.length - 1), /truncated: .* inside the checksum/);
  // A bit in the data of page 5 (after the header and the first record's page 1): only the checksum sees it.
  const flipped = Uint8Array.from(bytes);
  const at = bytes.indexOf(5, 200);
  flipped[at + 100]! ^= 1;
  fails(flipped, /^checksum mismatch/);
  const big = Uint8Array.from(bytes);
  // The first page number of the first pages record: 1 → 0x01000001.
  const firstPage = 8 + 4 + 4 + new TextEncoder().encode(JSON.stringify(header)).length + 1 + 4;
  assert.equal(big[firstPage], 1);
  big[firstPage + 3] = 1;
  fails(big, /page 16777217 is beyond this machine's 16 pages/);
  const format = Uint8Array.from(bytes);
  format[8] = 2;
  fails(format, /stream format 2; this ngkvm reads format 1/);
});

test('written pages: next() finds set pages from any position, across words', () => {
  const w = new WrittenPages(100);
  assert.equal(w.next(0), 100, 'none written');
  w.add([0, 31, 32, 63, 99]);
  const seen: number[] = [];
  for (let p = w.next(0); p < 100; p = w.next(p + 1)) seen.push(p);
  assert.deepEqual(seen, [0, 31, 32, 63, 99]);
  assert.equal(w.next(1), 31);
  assert.equal(w.next(33), 63);
  assert.equal(w.next(64), 99);
  assert.ok(w.has(32) && !w.has(33));
});
