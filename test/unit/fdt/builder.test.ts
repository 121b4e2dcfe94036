/** FdtBuilder: encoding of every property kind, layout, strings block, phandles, validation. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import test from 'node:test';
import { FdtBuilder, FdtError, formatDts, parseFdt, type FdtTree } from '../../../src/boards/fdt/index.js';

function sampleBuilder(): FdtBuilder {
  const fdt = new FdtBuilder();
  fdt.root.setU32('#address-cells', 2).setU32('#size-cells', 1).setString('model', 'test board');
  const cpus = fdt.root.addNode('cpus');
  cpus.addNode('cpu@0').setU32('reg', 0).setString('status', 'okay');
  const pic = fdt.root.addNode('pic@1000').setEmpty('interrupt-controller').setCells('reg', [0, 0x1000, 0x100]);
  const handle = pic.assignPhandle();
  fdt.root
    .addNode('uart@2000')
    .setStrings('compatible', ['vendor,uart', 'ns16550'])
    .setU64('big', 0xf_e000_0000)
    .setU64s('pair', [1n, (1n << 64n) - 1n])
    .setBytes('blob', Uint8Array.of(1, 2, 3))
    .setU32('interrupt-parent', handle);
  fdt.addReservation(0x100_0000, 0x1_0000).addReservation(0xf_0000_0000n, 0x1000n).setBootCpuidPhys(3);
  return fdt;
}

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

test('round trip: parse(toBlob()) equals toTree()', () => {
  const fdt = sampleBuilder();
  const parsed = parseFdt(fdt.toBlob());
  const { header: _header, ...tree } = parsed;
  assert.deepEqual(tree, fdt.toTree());
  assert.equal(parsed.bootCpuidPhys, 3);
  assert.deepEqual(parsed.reservations, [
    { address: 0x100_0000n, size: 0x1_0000n },
    { address: 0xf_0000_0000n, size: 0x1000n },
  ]);
});

test('values are encoded big-endian in the documented shapes', () => {
  const uart = sampleBuilder().toTree().root.children[2]!;
  const value = (name: string): Uint8Array => uart.properties.find((p) => p.name === name)!.value;
  assert.deepEqual(value('compatible'), new TextEncoder().encode('vendor,uart\0ns16550\0'));
  assert.deepEqual(value('big'), bytes(0, 0, 0, 0xf, 0xe0, 0, 0, 0));
  assert.deepEqual(value('pair'), bytes(0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
  assert.deepEqual(value('blob'), bytes(1, 2, 3));
  assert.deepEqual(value('interrupt-parent'), bytes(0, 0, 0, 1));
});

test('header and block layout', () => {
  const blob = sampleBuilder().toBlob();
  const { header } = parseFdt(blob);
  assert.equal(header.magic, 0xd00dfeed);
  assert.equal(header.version, 17);
  assert.equal(header.lastCompVersion, 16);
  assert.equal(header.offMemRsvmap, 0x30);
  assert.equal(header.offDtStruct, 0x30 + 3 * 16);
  assert.equal(header.offDtStrings, header.offDtStruct + header.sizeDtStruct!);
  assert.equal(header.totalSize, header.offDtStrings + header.sizeDtStrings);
  assert.equal(blob.length, header.totalSize);
  assert.equal(header.bootCpuidPhys, 3);
});

test('totalSize pads with zeros, and must fit the tree', () => {
  const natural = sampleBuilder().toBlob();
  const padded = sampleBuilder().toBlob({ totalSize: 0x1_0000 });
  assert.equal(padded.length, 0x1_0000);
  assert.equal(parseFdt(padded).header.totalSize, 0x1_0000);
  assert.deepEqual(padded.subarray(8, natural.length), natural.subarray(8));
  assert.ok(padded.subarray(natural.length).every((b) => b === 0));
  assert.throws(() => sampleBuilder().toBlob({ totalSize: natural.length - 1 }), { name: 'FdtError', code: 'size-exceeded' });
});

test('strings block stores each name once and shares tails', () => {
  const strings = (fdt: FdtBuilder): string => {
    const blob = fdt.toBlob();
    const { header } = parseFdt(blob);
    return new TextDecoder().decode(blob.subarray(header.offDtStrings, header.offDtStrings + header.sizeDtStrings));
  };
  const shared = new FdtBuilder();
  shared.root.setU32('reg', 1).addNode('a').setU32('reg', 2).setString('linux,stdout-path', '/a').setString('stdout-path', '/a');
  assert.equal(strings(shared), 'reg\0linux,stdout-path\0');
  const unshared = new FdtBuilder();
  unshared.root.setString('stdout-path', '/').setString('linux,stdout-path', '/');
  assert.equal(strings(unshared), 'stdout-path\0linux,stdout-path\0');
});

test("'prepend' placement puts new properties and subnodes first; replacing keeps position", () => {
  const fdt = new FdtBuilder({ placement: 'prepend' });
  fdt.root.setU32('first', 1).setU32('second', 2).setU32('first', 3);
  fdt.root.addNode('older');
  fdt.root.addNode('newer').setU32('x', 0);
  fdt.root.setU32('late', 4);
  const root = fdt.toTree().root;
  assert.deepEqual(root.properties.map((p) => p.name), ['late', 'second', 'first']);
  assert.deepEqual(root.properties[2]!.value, bytes(0, 0, 0, 3));
  assert.deepEqual(root.children.map((c) => c.name), ['newer', 'older']);
  // The strings block still follows creation order.
  const blob = fdt.toBlob();
  const { header } = parseFdt(blob);
  assert.equal(new TextDecoder().decode(blob.subarray(header.offDtStrings, header.offDtStrings + header.sizeDtStrings)), 'first\0second\0x\0late\0');
});

test('phandles are allocated sequentially from firstPhandle', () => {
  const fdt = new FdtBuilder({ firstPhandle: 0x8000 });
  const a = fdt.root.addNode('a').assignPhandle({ linuxPhandle: true });
  const b = fdt.root.addNode('b').assignPhandle();
  assert.equal(a, 0x8000);
  assert.equal(b, 0x8001);
  assert.equal(fdt.allocatePhandle(), 0x8002);
  const tree = fdt.toTree();
  assert.deepEqual(tree.root.children[0]!.properties.map((p) => p.name), ['phandle', 'linux,phandle']);
  assert.deepEqual(tree.root.children[1]!.properties.map((p) => p.name), ['phandle']);
  assert.equal(new FdtBuilder().allocatePhandle(), 1);
  assert.throws(() => new FdtBuilder({ firstPhandle: 0 }), { code: 'invalid-value' });
  assert.throws(() => new FdtBuilder({ firstPhandle: 0xffff_ffff }), { code: 'invalid-value' });
  const last = new FdtBuilder({ firstPhandle: 0xffff_fffe });
  assert.equal(last.allocatePhandle(), 0xffff_fffe);
  assert.throws(() => last.allocatePhandle(), { code: 'invalid-value' });
});

test('rejects names and values that cannot be encoded', () => {
  const root = new FdtBuilder().root;
  const code = (code: string) => (error: unknown) => error instanceof FdtError && error.code === code;
  assert.throws(() => root.addNode(''), code('invalid-name'));
  assert.throws(() => root.addNode('a/b'), code('invalid-name'));
  assert.throws(() => root.addNode('a\0b'), code('invalid-value'));
  root.addNode('twice');
  assert.throws(() => root.addNode('twice'), code('duplicate-node'));
  assert.throws(() => root.setU32('', 1), code('invalid-name'));
  assert.throws(() => root.setU32('n\0', 1), code('invalid-value'));
  assert.throws(() => root.setU32('n', -1), code('invalid-value'));
  assert.throws(() => root.setU32('n', 0x1_0000_0000), code('invalid-value'));
  assert.throws(() => root.setCells('n', [1, 1.5]), code('invalid-value'));
  assert.throws(() => root.setU64('n', -1n), code('invalid-value'));
  assert.throws(() => root.setU64('n', 1n << 64n), code('invalid-value'));
  assert.throws(() => root.setU64('n', 2 ** 60), code('invalid-value'));
  assert.throws(() => root.setString('n', 'a\0b'), code('invalid-value'));
  assert.throws(() => root.setStrings('n', ['ok', 'not\0ok']), code('invalid-value'));
  const reservation = new FdtBuilder().addReservation(-1n, 0n);
  assert.throws(() => reservation.toBlob(), code('invalid-value'));
  assert.throws(() => new FdtBuilder().setBootCpuidPhys(-1).toBlob(), code('invalid-value'));
});

test('node() finds builder nodes by path', () => {
  const fdt = sampleBuilder();
  assert.equal(fdt.node('/cpus/cpu@0')?.name, 'cpu@0');
  assert.equal(fdt.node('/')?.name, '');
  assert.equal(fdt.node('/cpus/cpu@1'), undefined);
  assert.equal(fdt.node('/nope/deeper'), undefined);
});

test('fromTree re-encodes a parsed blob byte for byte', () => {
  const blob = sampleBuilder().toBlob();
  assert.deepEqual(FdtBuilder.fromTree(parseFdt(blob)).toBlob(), blob);
  // Duplicate property names survive (they are invalid, but a parser must not lose them).
  const tree: FdtTree = {
    root: { name: '', properties: [{ name: 'x', value: bytes(1) }, { name: 'x', value: bytes(2) }], children: [] },
    reservations: [],
    bootCpuidPhys: 0,
  };
  assert.deepEqual(parseFdt(FdtBuilder.fromTree(tree).toBlob()).root, tree.root);
});

test('formatDts renders a dts-like listing', () => {
  assert.equal(
    formatDts(sampleBuilder().toTree()),
    [
      '/dts-v1/;',
      '',
      '/memreserve/ 0x1000000 0x10000;',
      '/memreserve/ 0xf00000000 0x1000;',
      '',
      '/ {',
      '\t#address-cells = <0x02>;',
      '\t#size-cells = <0x01>;',
      '\tmodel = "test board";',
      '',
      '\tcpus {',
      '',
      '\t\tcpu@0 {',
      '\t\t\treg = <0x00>;',
      '\t\t\tstatus = "okay";',
      '\t\t};',
      '\t};',
      '',
      '\tpic@1000 {',
      '\t\tinterrupt-controller;',
      '\t\treg = <0x00 0x1000 0x100>;',
      '\t\tphandle = <0x01>;',
      '\t};',
      '',
      '\tuart@2000 {',
      '\t\tcompatible = "vendor,uart", "ns16550";',
      '\t\tbig = <0x0f 0xe0000000>;',
      '\t\tpair = <0x00 0x01 0xffffffff 0xffffffff>;',
      '\t\tblob = [01 02 03];',
      '\t\tinterrupt-parent = <0x01>;',
      '\t};',
      '};',
      '',
    ].join('\n'),
  );
});

const dtcMissing = spawnSync('dtc', ['--version']).error ? 'dtc is not installed: interoperability check skipped' : false;

test('dtc reads our blobs and we read dtc blobs', { skip: dtcMissing }, () => {
  const decompiled = spawnSync('dtc', ['-I', 'dtb', '-O', 'dts'], { input: sampleBuilder().toBlob(), encoding: 'utf8' });
  assert.equal(decompiled.status, 0, decompiled.stderr);
  assert.match(decompiled.stdout, /\/memreserve\/\s+0x0*1000000 0x0*10000;/);
  assert.match(decompiled.stdout, /compatible = "vendor,uart\\0ns16550";/);
  assert.match(decompiled.stdout, /pair = <0x00 0x01 0xffffffff 0xffffffff>;/);

  const source = '/dts-v1/;\n/memreserve/ 0x2000 0x100;\n/ { a = <1 2>; s = "x", "yz"; n { e; b = [0a 0b 0c]; pic: p { phandle-user = <&pic>; }; }; };\n';
  const compiled = spawnSync('dtc', ['-I', 'dts', '-O', 'dtb', '-b', '2', '-p', '64'], { input: source });
  assert.equal(compiled.status, 0, String(compiled.stderr));
  const parsed = parseFdt(new Uint8Array(compiled.stdout));
  assert.equal(parsed.bootCpuidPhys, 2);
  assert.deepEqual(parsed.reservations, [{ address: 0x2000n, size: 0x100n }]);
  assert.equal(
    formatDts(parsed).split('\n/ {')[1],
    [
      '',
      '\ta = <0x01 0x02>;',
      '\ts = "x", "yz";',
      '',
      '\tn {',
      '\t\te;',
      '\t\tb = [0a 0b 0c];',
      '',
      '\t\tp {',
      '\t\t\tphandle-user = <0x01>;',
      '\t\t\tphandle = <0x01>;',
      '\t\t};',
      '\t};',
      '};',
      '',
    ].join('\n'),
  );
});
