/** buildPpce500DeviceTree() on its own and against QEMU 7.2 blobs stored as fixtures. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import test from 'node:test';
import { gunzipSync } from 'node:zlib';
import { diffFdtTrees, findNode, parseFdt, readCells, readString, readU32, readU64 } from '../../../src/boards/fdt/index.js';
import {
  buildPpce500DeviceTree,
  placePpce500BootImages,
  PPCE500_DTB_TOTAL_SIZE,
  PPCE500_FIRST_PHANDLE_AT_BOOT,
  type Ppce500DeviceTreeParams,
} from '../../../src/boards/ppce500/device-tree.js';
import { firstDifference, meaningfulBytes } from './support/blob-bytes.js';

const fixturesDir = new URL('../../../../test/fixtures/fdt/', import.meta.url);
const MiB = 0x10_0000;
const basic: Ppce500DeviceTreeParams = { ramSize: 256 * MiB, cpuCount: 1, cpuModel: 'e500v2', serialCount: 1 };

interface Fixture {
  readonly file: string;
  readonly command: string;
  readonly params: Ppce500DeviceTreeParams;
}

const manifest = JSON.parse(readFileSync(new URL('ppce500-fixtures.json', fixturesDir), 'utf8')) as { fixtures: Fixture[] };

for (const fixture of manifest.fixtures) {
  test(`matches stored QEMU blob ${fixture.file}`, () => {
    const qemuBlob = new Uint8Array(gunzipSync(readFileSync(new URL(fixture.file, fixturesDir))));
    const qemu = parseFdt(qemuBlob);
    const ours = buildPpce500DeviceTree(fixture.params);
    const parsed = parseFdt(ours.blob);
    const differences = diffFdtTrees(qemu, parsed, { ignoreProperty: (path, name) => path === '/chosen' && name === 'rng-seed' });
    assert.deepEqual(differences, [], differences.join('\n'));
    assert.deepEqual(parsed.header, qemu.header);
    const ignored = new Set(['rng-seed']);
    assert.equal(firstDifference(meaningfulBytes(qemuBlob, ignored), meaningfulBytes(ours.blob, ignored)), undefined);
  });
}

test('blob is QEMU-sized and carries the documented header', () => {
  const { blob, size, tree } = buildPpce500DeviceTree(basic);
  assert.equal(size, PPCE500_DTB_TOTAL_SIZE);
  assert.equal(blob.length, PPCE500_DTB_TOTAL_SIZE);
  const parsed = parseFdt(blob);
  assert.equal(parsed.header.version, 17);
  assert.equal(parsed.header.lastCompVersion, 16);
  assert.equal(parsed.header.offMemRsvmap, 0x30);
  assert.equal(parsed.header.offDtStruct, 0x40);
  assert.equal(parsed.header.bootCpuidPhys, 0);
  assert.deepEqual(parsed.reservations, []);
  assert.deepEqual(diffFdtTrees(tree, parsed), []);
});

test('rng-seed is 32 fresh random bytes unless injected', () => {
  const seedOf = (params: Ppce500DeviceTreeParams): Uint8Array =>
    findNode(buildPpce500DeviceTree(params).tree.root, '/chosen')!.properties.find((p) => p.name === 'rng-seed')!.value;
  const a = seedOf(basic);
  const b = seedOf(basic);
  assert.equal(a.length, 32);
  assert.notDeepEqual(a, b);
  const injected = Uint8Array.from({ length: 32 }, (_, i) => i);
  assert.deepEqual(seedOf({ ...basic, rngSeed: injected }), injected);
});

test('phandles default to what the guest sees at boot', () => {
  const { tree } = buildPpce500DeviceTree(basic);
  const pic = findNode(tree.root, '/soc@fe0000000/pic@40000')!;
  assert.equal(readU32(pic, 'phandle'), PPCE500_FIRST_PHANDLE_AT_BOOT);
  assert.equal(readU32(pic, 'linux,phandle'), PPCE500_FIRST_PHANDLE_AT_BOOT);
  assert.equal(readU32(findNode(tree.root, '/pci@fe0008000')!, 'fsl,msi'), PPCE500_FIRST_PHANDLE_AT_BOOT + 1);
  assert.deepEqual(readCells(findNode(tree.root, '/soc/power-off')!, 'gpios'), [PPCE500_FIRST_PHANDLE_AT_BOOT + 2, 0, 0]);
  const moved = buildPpce500DeviceTree({ ...basic, firstPhandle: 0x8009 }).tree;
  assert.equal(readU32(findNode(moved.root, '/platform')!, 'interrupt-parent'), 0x8009);
});

test('cpu nodes: boot cpu first, secondaries on the spin table, cache lines per model', () => {
  const { tree } = buildPpce500DeviceTree({ ...basic, cpuCount: 3, cpuModel: 'e500mc' });
  const cpus = findNode(tree.root, '/cpus')!;
  assert.deepEqual(cpus.children.map((c) => c.name), ['PowerPC,8544@0', 'PowerPC,8544@1', 'PowerPC,8544@2']);
  assert.equal(readString(cpus.children[0]!, 'status'), 'okay');
  assert.equal(readString(cpus.children[2]!, 'status'), 'disabled');
  assert.equal(readString(cpus.children[2]!, 'enable-method'), 'spin-table');
  assert.equal(readU64(cpus.children[2]!, 'cpu-release-addr'), 0xf_ef00_0040n);
  assert.equal(readU32(cpus.children[1]!, 'd-cache-line-size'), 64);
  const v2 = buildPpce500DeviceTree(basic).tree;
  assert.equal(readU32(findNode(v2.root, '/cpus/PowerPC,8544@0')!, 'i-cache-line-size'), 32);
});

test('serial ports, console and aliases', () => {
  const none = buildPpce500DeviceTree({ ...basic, serialCount: 0 }).tree;
  assert.equal(findNode(none.root, '/soc/serial'), undefined);
  assert.equal(readString(findNode(none.root, '/chosen')!, 'stdout-path'), undefined);
  const two = buildPpce500DeviceTree({ ...basic, serialCount: 2 }).tree;
  const soc = findNode(two.root, '/soc@fe0000000')!;
  assert.deepEqual(soc.children.filter((c) => c.name.startsWith('serial')).map((c) => c.name), ['serial@4500', 'serial@4600']);
  assert.equal(readString(findNode(two.root, '/chosen')!, 'stdout-path'), '/soc@fe0000000/serial@4500');
  assert.equal(readString(findNode(two.root, '/aliases')!, 'serial1'), '/soc@fe0000000/serial@4600');
});

test('chosen: bootargs, initrd cells and qemu,boot-kernel', () => {
  const { tree } = buildPpce500DeviceTree({
    ...basic,
    bootargs: 'console=ttyS0',
    initrd: { start: 0x400_0000, end: 0x40b_de31 },
    bootKernel: { address: 0x200_0000, size: 0x12_d687 },
  });
  const chosen = findNode(tree.root, '/chosen')!;
  assert.equal(readString(chosen, 'bootargs'), 'console=ttyS0');
  assert.equal(readU32(chosen, 'linux,initrd-start'), 0x400_0000);
  assert.equal(readU32(chosen, 'linux,initrd-end'), 0x40b_de31);
  assert.deepEqual(readCells(chosen, 'qemu,boot-kernel'), [0, 0x200_0000, 0, 0x12_d687]);
  const plain = findNode(buildPpce500DeviceTree(basic).tree.root, '/chosen')!;
  assert.equal(readString(plain, 'bootargs'), '');
  assert.equal(readU32(plain, 'linux,initrd-start'), undefined);
  assert.equal(readCells(plain, 'qemu,boot-kernel'), undefined);
});

test('memory node holds the RAM size as two u64s, above 4 GiB too', () => {
  const { tree } = buildPpce500DeviceTree({ ...basic, ramSize: 4096 * MiB });
  assert.deepEqual(readCells(findNode(tree.root, '/memory')!, 'reg'), [0, 0, 1, 0]);
});

test('rejects parameters QEMU would not accept', () => {
  assert.throws(() => buildPpce500DeviceTree({ ...basic, cpuCount: 0 }), RangeError);
  assert.throws(() => buildPpce500DeviceTree({ ...basic, cpuCount: 33 }), RangeError);
  assert.throws(() => buildPpce500DeviceTree({ ...basic, serialCount: 3 as 2 }), RangeError);
  assert.throws(() => buildPpce500DeviceTree({ ...basic, cpuModel: 'e5500' as 'e500mc' }), RangeError);
  assert.throws(() => buildPpce500DeviceTree({ ...basic, ramSize: -1 }), RangeError);
  assert.throws(() => buildPpce500DeviceTree({ ...basic, rngSeed: new Uint8Array(31) }), RangeError);
});

test('placePpce500BootImages follows QEMU 7.2', () => {
  // Debian's uboot.elf: the DTB lands at 0x2700000 (observed r3).
  assert.deepEqual(placePpce500BootImages({ payloadAddress: 0xf0_0000, payloadSize: 0x6_5e74, kernelIsPayload: false }), {
    dtbAddress: 0x270_0000,
  });
  // -bios + -kernel + -initrd: kernel copied to 32 MiB, initrd 32 MiB above its end, rounded down to 16 MiB.
  assert.deepEqual(
    placePpce500BootImages({ payloadAddress: 0xf0_0000, payloadSize: 0x6_5e74, kernelIsPayload: false, kernelFileSize: 1_234_567, initrdSize: 777_777 }),
    { dtbAddress: 0x270_0000, bootKernel: { address: 0x200_0000, size: 1_234_567 }, initrd: { start: 0x400_0000, end: 0x400_0000 + 777_777 } },
  );
  // -kernel alone: the kernel is the payload and is reported as loaded.
  assert.deepEqual(
    placePpce500BootImages({ payloadAddress: 0x200_0000, payloadSize: 0x110_0000, kernelIsPayload: true, initrdSize: 10 }),
    { dtbAddress: 0x490_0000, bootKernel: { address: 0x200_0000, size: 0x110_0000 }, initrd: { start: 0x500_0000, end: 0x500_000a } },
  );
});
