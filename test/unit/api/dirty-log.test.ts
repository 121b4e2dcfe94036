/**
 * The dirty-log bookkeeping both accelerators use (src/api/dirty-log.ts): bits per backing
 * page at any offset (kvm once lost pages from 2 GiB into a backing: `offset >> 12` went
 * negative), ranges checked the same way everywhere, work bounded by what is mapped (a
 * 2^44-byte range once walked page by page for 70 s), the accelerator's harvest and re-arm
 * hooks called for exactly what the query touches.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DirtyLog, checkDirtyLogQuery, isPageDirty } from '../../../src/api/dirty-log.js';
import { InvalidArgumentError, gpa, type MemoryBacking, type MemoryRegion } from '../../../src/api/index.js';

const GiB = 2 ** 30;
const PAGE = 4096;

/** Only id, name and size matter to the log: no memory behind these. */
function backing(id: number, size: number): MemoryBacking {
  return { id, name: `b${id}`, size, chunkBytes: size, chunks: [], bytes: new Uint8Array(0), view: new DataView(new ArrayBuffer(0)) };
}

function region(b: MemoryBacking, guestAddr: number, size: number, offset: number, logDirty = true): MemoryRegion {
  return { guestAddr: gpa(guestAddr), size, backing: b, offset, logDirty };
}

describe('dirty log: one bit per backing page', () => {
  test('pages at and beyond 2 GiB and 4 GiB into a backing are logged where they are', () => {
    const big = backing(1, 6 * GiB);
    const log = new DirtyLog();
    const r = region(big, 0x1_0000_0000, 6 * GiB, 0);
    log.track(big);
    log.markBytes(r, 2 * GiB, 1);
    log.markBytes(r, 3 * GiB - PAGE, PAGE + 1); // two pages
    log.markBytes(r, 4 * GiB + 5 * PAGE, 8);
    log.markBytes(r, 6 * GiB - 1, 1);
    const bm = log.bitmap(big)!;
    for (const p of [2 * GiB / PAGE, 3 * GiB / PAGE - 1, 3 * GiB / PAGE, 4 * GiB / PAGE + 5, 6 * GiB / PAGE - 1]) assert.ok(isPageDirty(bm, p), `page ${p}`);
    const pages = log.query([r], { addr: 0x1_0000_0000, size: 6 * GiB }, undefined);
    assert.deepEqual(pages, [2 * GiB / PAGE, 3 * GiB / PAGE - 1, 3 * GiB / PAGE, 4 * GiB / PAGE + 5, 6 * GiB / PAGE - 1]);
    assert.ok(pages.every((p) => p >= 0));
  });

  test('a window of a backing at an offset beyond 2 GiB: page numbers relative to the range, bits stay with the backing when the window moves', () => {
    const b = backing(2, 3 * GiB);
    const log = new DirtyLog();
    const at = (addr: number) => region(b, addr, 256 * 2 ** 20, 2.5 * GiB);
    log.track(b);
    // Offsets are in the backing, as guest memory reports writes.
    log.markBytes(at(0xc000_0000), 2.5 * GiB, 1);
    log.markBytes(at(0xc000_0000), 2.5 * GiB + 256 * 2 ** 20 - 1, 1);
    log.markBytes(region(b, 0, 3 * GiB, 0), 2.5 * GiB + 7 * PAGE, 1); // through an alias of the whole backing
    assert.deepEqual(log.query([at(0xc000_0000)], { addr: 0xc000_0000, size: 256 * 2 ** 20 }, undefined), [0, 7, 65535]);
    assert.deepEqual(log.query([at(0x8000_0000)], { addr: 0x8000_0000 + 4 * PAGE, size: 8 * PAGE }, { clear: true }), [3]);
    assert.deepEqual(log.query([at(0xc000_0000)], { addr: 0xc000_0000, size: 256 * 2 ** 20 }, undefined), [0, 65535]);
  });

  test('maxPages takes the first pages in address order across regions; clear clears only what was returned; cleared() once', () => {
    const a = backing(3, 64 * PAGE);
    const b = backing(4, 64 * PAGE);
    const log = new DirtyLog();
    const map = [region(a, 0x10_0000, 64 * PAGE, 0), region(b, 0x20_0000, 64 * PAGE, 0)];
    for (const p of [1, 40, 63]) log.markBytes(map[0]!, p * PAGE, 1);
    for (const p of [0, 2]) log.markBytes(map[1]!, p * PAGE, 1);
    let rearmed = 0;
    const all = { addr: 0x10_0000, size: 0x20_0000 };
    assert.deepEqual(log.query(map, all, { maxPages: 4, clear: true }, { cleared: () => rearmed++ }), [1, 40, 63, 256]);
    assert.equal(rearmed, 1);
    assert.deepEqual(log.query(map, all, undefined, { cleared: () => rearmed++ }), [258]);
    assert.equal(rearmed, 1, 'nothing cleared, nothing to re-arm');
    assert.deepEqual(log.query(map, all, { maxPages: 0 }), []);
  });

  test('regions without logging, and pages outside the map, are never dirty; the harvest hook sees exactly the logged pieces in the range', () => {
    const a = backing(5, 32 * PAGE);
    const log = new DirtyLog();
    const logged = region(a, 0x4000_0000, 16 * PAGE, 16 * PAGE);
    const plain = region(a, 0x5000_0000, 32 * PAGE, 0, false);
    log.track(a);
    log.markBytes(plain, 20 * PAGE, 1); // not logged through this region: nothing marked
    assert.equal(isPageDirty(log.bitmap(a)!, 20), false);
    const seen: [number, number][] = [];
    const harvest = {
      harvest: (r: MemoryRegion, first: number, count: number) => {
        seen.push([first, count]);
        log.markBytes(r, (first + 1) * PAGE, 1); // what the accelerator had logged
      },
    };
    const pages = log.query([logged, plain], { addr: 0x4000_0000 + 4 * PAGE, size: 0x2000_0000 }, undefined, harvest);
    assert.deepEqual(seen, [[20, 12]], 'backing pages 20..31 of the logged window, once');
    assert.deepEqual(pages, [1], 'the harvested page, relative to the range');
  });

  test('a range of 2^44 bytes costs what is mapped in it, not its size', () => {
    const b = backing(6, 256 * 2 ** 20);
    const log = new DirtyLog();
    const r = region(b, 0, b.size, 0);
    log.markBytes(r, b.size - PAGE, 1);
    let harvested = 0;
    const pages = log.query([r], { addr: 0, size: 2 ** 44 }, undefined, { harvest: () => harvested++ });
    assert.deepEqual(pages, [b.size / PAGE - 1]);
    assert.equal(harvested, 1);
    assert.deepEqual(log.query([r], { addr: 2 ** 40, size: 2 ** 44 }, undefined), [], 'a range beyond every region');
  });

  test('ranges and options are checked the same way for every accelerator', () => {
    for (const [range, options] of [
      [{ addr: 0x800, size: PAGE }, undefined],
      [{ addr: 0, size: 0 }, undefined],
      [{ addr: 0, size: 100 }, undefined],
      [{ addr: -PAGE, size: PAGE }, undefined],
      [{ addr: 2 ** 53 - PAGE, size: 2 * PAGE }, undefined],
      [null, undefined],
      [{ addr: '0', size: PAGE }, undefined],
      [{ addr: 0, size: PAGE }, { maxPages: -1 }],
      [{ addr: 0, size: PAGE }, { maxPages: 1.5 }],
      [{ addr: 0, size: PAGE }, { clear: 'yes' }],
      [{ addr: 0, size: PAGE }, 7],
    ] as const) {
      assert.throws(() => checkDirtyLogQuery(range, options), InvalidArgumentError, JSON.stringify([range, options]));
    }
    assert.deepEqual(checkDirtyLogQuery({ addr: PAGE, size: 2 * PAGE }, { maxPages: 3, clear: true }), { addr: PAGE, end: 3 * PAGE, max: 3, clear: true });
  });
});
