/** The VMM-side operations on the shared TLB array (seed 002's ioctls, without copies). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BOOKE_TLB_ENTRY_BYTES, MMU_FSL_BOOKE_HV, MMU_FSL_BOOKE_NOHV, type BookeTlbConfig } from '../../../src/api/booke.js';
import { BookeTlbView, type TlbReadResult } from '../../../src/api/booke-tlb-view.js';
import { InvalidArgumentError } from '../../../src/api/errors.js';
import type { Vcpu } from '../../../src/api/hypervisor.js';

function view(hv = false, tlb0 = 64, ways = 4, tlb1 = 8): BookeTlbView {
  const bytes = (tlb0 + tlb1) * BOOKE_TLB_ENTRY_BYTES;
  const config: BookeTlbConfig = {
    mmuType: hv ? MMU_FSL_BOOKE_HV : MMU_FSL_BOOKE_NOHV,
    params: { tlbSizes: [tlb0, tlb1, 0, 0], tlbWays: [ways, tlb1, 0, 0] },
    array: new ArrayBuffer(bytes),
    arrayLength: bytes,
  };
  return new BookeTlbView(config);
}

/** Records dirtyTlb calls like a vCPU would receive them. */
function recorder(): { vcpu: Vcpu; calls: { bits: number[] | null; count: number }[] } {
  const calls: { bits: number[] | null; count: number }[] = [];
  const vcpu = {
    dirtyTlb: (bitmap: Uint8Array | null, count: number) => {
      const bits = bitmap === null ? null : [...bitmap].flatMap((b, i) => [0, 1, 2, 3, 4, 5, 6, 7].filter((k) => (b & (1 << k)) !== 0).map((k) => i * 8 + k));
      calls.push({ bits, count });
    },
  } as unknown as Vcpu;
  return { vcpu, calls };
}

const entry = (mas1: number, mas2: number, mas7_3: bigint, mas8 = 0) => ({ mas8, mas1, mas2, mas7_3 });

test('TLB0 entries are addressed by way and EA (set = EPN / 4 KiB mod sets), TLB1 by ESEL', () => {
  const v = view();
  assert.equal(v.index(0, 2, 0x0000_5000), 5 * 4 + 2);
  assert.equal(v.index(0, 3, 0x8001_7000), (0x80017 % 16) * 4 + 3);
  assert.equal(v.index(1, 7), 64 + 7);
  assert.throws(() => v.index(0, 4), InvalidArgumentError);
  assert.throws(() => v.index(1, 8), /TLB1 entry 8 is out of range/);
  assert.throws(() => v.index(2 as 0, 0), /TLB 2 does not exist/);
  v.write(0, 1, 0x0000_3000, entry(0x80000100, 0x3000, 0x7000_0015n));
  const s = v.read(0, 1, 0x0000_3000);
  assert.deepEqual(s.entry, entry(0x80000100, 0x3000, 0x7000_0015n));
  assert.equal(s.mas0, 0x00010000);
  assert.equal(v.read(1, 5).mas0, 0x10050000);
});

test('iteration walks every entry of one TLB in array order and ends with ENOENT', () => {
  const v = view();
  v.write(1, 2, 0, entry(0xc0000500, 0xe0000000, 0xf_e000_0005n));
  const seen: number[] = [];
  let r: TlbReadResult = v.readFirst(1);
  while (r.kind === 'entry') {
    seen.push(r.slot.esel);
    r = v.readNext(r.next);
  }
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(r, { kind: 'end', errno: 'ENOENT' });
  assert.deepEqual([...v.valid(1)].map((s) => s.esel), [2]);
  assert.deepEqual([...v.valid(0)], []);
});

test('search finds what tlbsx would: TLB0 set first, TID 0 matches any SPID, SAS must equal TS', () => {
  const v = view();
  v.write(1, 0, 0, entry(0x80000700, 0x8000_0000, 0x0010_0000n)); // 16 MiB at 0x8000_0000, TID 0
  v.write(0, 2, 0x8000_1000, entry(0x80050100, 0x8000_1000, 0x0020_0000n)); // 4 KiB, TID 5
  v.write(1, 1, 0, entry(0x80001100, 0x9000_0000, 0x0030_0000n)); // TS = 1
  assert.equal(v.search(0x8000_1234, 5 << 16)?.tlbsel, 0, 'the TLB0 entry wins in its set');
  assert.equal(v.search(0x8000_1234, 6 << 16)?.tlbsel, 1, 'another PID: only the global TLB1 entry');
  assert.equal(v.search(0x80ff_ffff, 0)?.esel, 0);
  assert.equal(v.search(0x8100_0000, 0), null, 'past the 16 MiB page');
  assert.equal(v.search(0x9000_0000, 0), null, 'TS 1 needs SAS 1');
  assert.equal(v.search(0x9000_0000, 1)?.esel, 1);
  assert.throws(() => v.search(0, 0, 0), /MAS5 exists only with the FSL_BOOKE_HV MMU/);
});

test('with the HV MMU and a MAS5, MAS8 guest state and LPID must match', () => {
  const v = view(true);
  v.write(1, 0, 0, entry(0x80000100, 0x1000, 0n, 0x80000003));
  assert.equal(v.search(0x1000, 0)?.esel, 0, 'without MAS5, as the e500mc tlbsx');
  assert.equal(v.search(0x1000, 0, 0), null);
  assert.equal(v.search(0x1000, 0, 0x80000003)?.esel, 0);
  assert.equal(v.search(0x1000, 0, 0x80000002), null);
});

test('edits are collected as a dirty bitmap; invalidate-all and restore dirty everything', () => {
  const v = view();
  const { vcpu, calls } = recorder();
  v.sync(vcpu);
  assert.equal(calls.length, 0, 'nothing to report');
  v.write(0, 0, 0x1000, entry(0x80000100, 0x1000, 0n));
  v.write(1, 3, 0, entry(0x80000100, 0x2000, 0n));
  v.write(1, 3, 0, entry(0x80000100, 0x3000, 0n));
  assert.equal(v.pendingChanges, 2);
  v.sync(vcpu);
  assert.deepEqual(calls[0], { bits: [4, 67], count: 2 });
  const snap = v.snapshot();
  v.invalidateAll();
  assert.equal([...v.valid(1)].length, 0);
  v.sync(vcpu);
  assert.deepEqual(calls[1], { bits: null, count: 72 });
  v.restore(snap);
  v.sync(vcpu);
  assert.deepEqual(calls[2], { bits: null, count: 72 });
  assert.equal(v.read(1, 3).entry.mas2, 0x3000);
  assert.throws(() => v.restore(new Uint8Array(10)), /TLB snapshot has 10 bytes/);
});
