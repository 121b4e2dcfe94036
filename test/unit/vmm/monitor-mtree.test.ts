/** `info mtree`'s tree: containment decides nesting, address then priority decides order. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatMtree } from '../../../src/vmm/monitor/mtree.js';

test('regions nest inside the smallest region containing them; siblings by address, higher priority first', () => {
  const out = formatMtree([
    { name: 'dev-b', base: 0xfe0008000n, size: 0x1000n, kind: 'i/o', priority: 0 },
    { name: 'ram', base: 0n, size: 0x1000_0000n, kind: 'ram', priority: 0 },
    { name: 'underlay', base: 0xfe0004000n, size: 0x8n, kind: 'i/o', priority: -1 },
    { name: 'ccsr', base: 0xfe0000000n, size: 0x10_0000n, kind: 'i/o', priority: 0 },
    { name: 'dev-a', base: 0xfe0004000n, size: 0x8n, kind: 'i/o', priority: 0 },
    { name: 'rom', base: 0xfff0_0000n, size: 0x10_0000n, kind: 'rom', priority: 0 },
  ]);
  assert.equal(
    out,
    [
      'address-space: memory',
      '  0000000000000000-ffffffffffffffff (prio 0, i/o): system',
      '    0000000000000000-000000000fffffff (prio 0, ram): ram',
      '    00000000fff00000-00000000ffffffff (prio 0, rom): rom',
      '    0000000fe0000000-0000000fe00fffff (prio 0, i/o): ccsr',
      '      0000000fe0004000-0000000fe0004007 (prio 0, i/o): dev-a',
      '      0000000fe0004000-0000000fe0004007 (prio -1, i/o): underlay',
      '      0000000fe0008000-0000000fe0008fff (prio 0, i/o): dev-b',
      '',
      '',
    ].join('\n'),
  );
});
