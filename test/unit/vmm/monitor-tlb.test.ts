/**
 * `info tlb` over a TLB array filled by hand (the VMM's BookeTlbView, no vCPU): QEMU 7.2's
 * layout, every attribute column, 36-bit physical addresses, sizes, TS and TID.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BOOKE_TLB_ENTRY_BYTES, MMU_FSL_BOOKE_NOHV, type BookeTlbEntry } from '../../../src/api/booke.js';
import { BookeTlbView } from '../../../src/api/booke-tlb-view.js';
import { formatBookeTlb, formatTlbEntry } from '../../../src/vmm/monitor/booke.js';

const V = 0x8000_0000;
const TS = 0x1000;
const tid = (n: number): number => n << 16;
const tsize = (n: number): number => n << 8;

function view(tlb1Entries = 16): BookeTlbView {
  const bytes = (512 + tlb1Entries) * BOOKE_TLB_ENTRY_BYTES;
  return new BookeTlbView({
    mmuType: MMU_FSL_BOOKE_NOHV,
    params: { tlbSizes: [512, tlb1Entries, 0, 0], tlbWays: [4, tlb1Entries, 0, 0] },
    array: new ArrayBuffer(bytes),
    arrayLength: bytes,
  });
}

const HEADER = 'Effective          Physical           Size TID   TS SRWX URWX WIMGE U0123';

test('an empty TLB prints both headers and no entries (as U-Boot leaves TLB0)', () => {
  assert.equal(formatBookeTlb(view()), `\nTLB0:\n${HEADER}\n\nTLB1:\n${HEADER}\n`);
});

test('TLB0 in array order (set by set, way by way), then TLB1; invalid entries skipped', () => {
  const t = view();
  const e = (mas1: number, mas2: number, mas7_3: bigint): BookeTlbEntry => ({ mas8: 0, mas1: (mas1 | V) >>> 0, mas2, mas7_3 });
  // Written out of order: set 3 way 1, set 1 way 2, set 1 way 0, and an invalid one in set 0.
  t.write(0, 1, 0x3000, e(tsize(1), 0x0000_3000, 0x0003_0000n | 0x01n));
  t.write(0, 2, 0x1000, e(tsize(1) | tid(5), 0xc000_1000 | 0x1f, 0x9_8765_4000n | 0x3ffn));
  t.write(0, 0, 0x1000, e(tsize(1) | TS | tid(0xff), 0xc000_1000, 0x0006_0000n | 0x2an));
  t.write(0, 3, 0, { mas8: 0, mas1: tsize(1), mas2: 0x5000, mas7_3: 0x5000n | 0x3fn });
  t.write(1, 7, 0, e(tsize(9), 0xa000_0000 | 0x11, 0xc_1000_0000n | 0x11n));
  t.write(1, 2, 0, e(tsize(5), 0xe000_0000 | 0x0a, 0xf_e000_0000n | 0x05n));
  assert.equal(
    formatBookeTlb(t),
    [
      '',
      'TLB0:',
      HEADER,
      '0x00000000c0001000 0x0000000000060000   4K 255   1  S---URWX ----- U----',
      '0x00000000c0001000 0x0000000987654000   4K 5     0  SRWXURWX WIMGE U0123',
      '0x0000000000003000 0x0000000000030000   4K 0     0  SR--U--- ----- U----',
      '',
      'TLB1:',
      HEADER,
      '0x00000000e0000000 0x0000000fe0000000   1M 0     0  SRW-U--- -I-G- U----',
      '0x00000000a0000000 0x0000000c10000000 256M 0     0  SR-XU--- W---E U----',
      '',
    ].join('\n'),
  );
});

test('each attribute bit has its own column', () => {
  const line = (mas2: number, mas3: number): string => formatTlbEntry({ mas8: 0, mas1: V | tsize(1), mas2, mas7_3: BigInt(mas3) }).slice(52, -1);
  assert.equal(line(0, 0), 'S---U--- ----- U----');
  for (const [mas3, want] of [
    [0x01, 'SR--U--- ----- U----'],
    [0x04, 'S-W-U--- ----- U----'],
    [0x10, 'S--XU--- ----- U----'],
    [0x02, 'S---UR-- ----- U----'],
    [0x08, 'S---U-W- ----- U----'],
    [0x20, 'S---U--X ----- U----'],
    [0x200, 'S---U--- ----- U0---'],
    [0x100, 'S---U--- ----- U-1--'],
    [0x80, 'S---U--- ----- U--2-'],
    [0x40, 'S---U--- ----- U---3'],
  ] as const) {
    assert.equal(line(0, mas3), want, `MAS3 0x${mas3.toString(16)}`);
  }
  for (const [mas2, want] of [
    [0x10, 'S---U--- W---- U----'],
    [0x08, 'S---U--- -I--- U----'],
    [0x04, 'S---U--- --M-- U----'],
    [0x02, 'S---U--- ---G- U----'],
    [0x01, 'S---U--- ----E U----'],
  ] as const) {
    assert.equal(line(mas2, 0), want, `MAS2 0x${mas2.toString(16)}`);
  }
});

test('sizes 1K … 1T in QEMU spelling; addresses masked to the page; wide TID column', () => {
  const sizes = ['1K', '4K', '16K', '64K', '256K', '1M', '4M', '16M', '64M', '256M', '1G', '4G', '16G', '64G', '256G', '1T'];
  sizes.forEach((name, n) => {
    const s = formatTlbEntry({ mas8: 0, mas1: V | tsize(n), mas2: 0xffff_f000, mas7_3: 0xf_ffff_f000n });
    assert.equal(s.slice(38, 42), name.padStart(4), `TSIZE ${n}`);
    const bytes = 1024n << BigInt(2 * n);
    const mask = ~(bytes - 1n);
    assert.equal(s.slice(0, 18), `0x${(0xffff_f000n & mask).toString(16).padStart(16, '0')}`, `EA masked to ${name}`);
    assert.equal(s.slice(19, 37), `0x${(0xf_ffff_f000n & mask).toString(16).padStart(16, '0')}`, `PA masked to ${name}`);
  });
  const wide = formatTlbEntry({ mas8: 0, mas1: V | tid(0x3fff) | TS | tsize(1), mas2: 0x1000, mas7_3: 0x1000n });
  assert.equal(wide, '0x0000000000001000 0x0000000000001000   4K 16383 1  S---U--- ----- U----\n', '%-5u fills the column');
});

test('any object with the view\'s shape can be shown (a TLB1-only or TLB0-only core)', () => {
  const entry: BookeTlbEntry = { mas8: 0, mas1: V | tsize(3), mas2: 0x1234_5000, mas7_3: 0x1_2345_0000n | 0x3fn };
  const one = { tlb0Entries: 0, tlb1Entries: 4, *valid(sel: 0 | 1) {
    if (sel === 1) yield { entry };
  } };
  assert.equal(formatBookeTlb(one), `\nTLB1:\n${HEADER}\n0x0000000012340000 0x0000000123450000  64K 0     0  SRWXURWX ----- U----\n`);
});
