/** Lookup helpers and the structural tree diff. */
import assert from 'node:assert/strict';
import test from 'node:test';
import {
  diffFdtTrees,
  FdtBuilder,
  findNode,
  findProperty,
  readCells,
  readString,
  readStrings,
  readU32,
  readU64,
} from '../../../src/boards/fdt/index.js';

function sample(edit?: (fdt: FdtBuilder) => void) {
  const fdt = new FdtBuilder();
  const soc = fdt.root.addNode('soc@fe0000000').setU32('#address-cells', 1);
  soc.addNode('serial@4500').setString('compatible', 'ns16550').setCells('reg', [0x4500, 0x100]);
  soc.addNode('serial@4600').setU64('big', 0x1_0000_0002n).setStrings('list', ['a', 'b', '']);
  fdt.root.addNode('chosen').setBytes('rng-seed', Uint8Array.of(1, 2, 3)).setBytes('odd', Uint8Array.of(1, 2, 3, 4, 5));
  edit?.(fdt);
  return fdt.toTree();
}

test('findNode resolves absolute paths, with or without unit addresses', () => {
  const { root } = sample();
  assert.equal(findNode(root, '/'), root);
  assert.equal(findNode(root, '/soc@fe0000000/serial@4600')?.name, 'serial@4600');
  assert.equal(findNode(root, '/soc/serial')?.name, 'serial@4500');
  assert.equal(findNode(root, '/soc//serial@4500/')?.name, 'serial@4500');
  assert.equal(findNode(root, '/soc@1/serial'), undefined);
  assert.equal(findNode(root, '/soc/serial@4700'), undefined);
  assert.throws(() => findNode(root, 'soc'), { name: 'FdtError', code: 'invalid-name' });
});

test('typed property readers', () => {
  const { root } = sample();
  const s0 = findNode(root, '/soc/serial@4500')!;
  const s1 = findNode(root, '/soc/serial@4600')!;
  assert.equal(readU32(findNode(root, '/soc')!, '#address-cells'), 1);
  assert.deepEqual(readCells(s0, 'reg'), [0x4500, 0x100]);
  assert.equal(readString(s0, 'compatible'), 'ns16550');
  assert.deepEqual(readStrings(s0, 'compatible'), ['ns16550']);
  assert.equal(readU64(s1, 'big'), 0x1_0000_0002n);
  assert.deepEqual(readStrings(s1, 'list'), ['a', 'b', '']);
  assert.equal(findProperty(s1, 'list')?.value.length, 5);
  assert.equal(readU32(s0, 'missing'), undefined);
  assert.equal(readString(s0, 'missing'), undefined);
});

test('readers reject values of the wrong shape', () => {
  const { root } = sample();
  const chosen = findNode(root, '/chosen')!;
  const s1 = findNode(root, '/soc/serial@4600')!;
  const bad = { name: 'FdtError', code: 'bad-property-value' };
  assert.throws(() => readU32(chosen, 'rng-seed'), bad);
  assert.throws(() => readU64(chosen, 'odd'), bad);
  assert.throws(() => readCells(chosen, 'odd'), bad);
  assert.throws(() => readString(s1, 'list'), bad);
  assert.throws(() => readStrings(chosen, 'rng-seed'), bad);
});

test('diffFdtTrees reports value, order and shape differences', () => {
  assert.deepEqual(diffFdtTrees(sample(), sample()), []);
  const value = diffFdtTrees(sample(), sample((f) => f.node('/soc@fe0000000/serial@4500')!.setCells('reg', [0x4500, 0x200])));
  assert.deepEqual(value, ['/soc@fe0000000/serial@4500: property reg\n  expected: <0x4500 0x100>\n  got:      <0x4500 0x200>']);
  const extra = diffFdtTrees(sample(), sample((f) => f.node('/chosen')!.setU32('extra', 1)));
  assert.match(extra[0]!, /^\/chosen: properties differ/);
  const nodes = diffFdtTrees(sample(), sample((f) => f.root.addNode('more')));
  assert.match(nodes[0]!, /^\/: subnodes differ/);
  const header = diffFdtTrees(sample(), { ...sample(), bootCpuidPhys: 1, reservations: [{ address: 1n, size: 2n }] });
  assert.equal(header.length, 2);
  const ignored = diffFdtTrees(sample(), sample((f) => f.node('/chosen')!.setBytes('rng-seed', Uint8Array.of(9))), {
    ignoreProperty: (path, name) => path === '/chosen' && name === 'rng-seed',
  });
  assert.deepEqual(ignored, []);
  const many = diffFdtTrees(sample(), sample((f) => f.node('/chosen')!.setBytes('odd', Uint8Array.of(0)).setBytes('rng-seed', Uint8Array.of(0))), { limit: 1 });
  assert.equal(many.length, 1);
});
