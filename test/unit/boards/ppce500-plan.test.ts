import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BoardError } from '../../../src/boards/errors.js';
import { planPpce500Images } from '../../../src/boards/ppce500/board.js';
import type { BootPayload } from '../../../src/boards/ppce500/payload.js';

const payload: BootPayload = {
  name: 'tiny.elf',
  format: 'elf',
  segments: [{ paddr: 0x10_0000, data: new Uint8Array([0x48, 0, 0, 0]), memsz: 4 }],
  entry: 0x10_0000,
  address: 0x10_0000,
  size: 4,
};

function plan(append: string) {
  return planPpce500Images({ ramSize: 256 * 0x10_0000, cpuCount: 1, family: 'e500v2', serialCount: 1, payload, firmware: false, append, rngSeed: new Uint8Array(32) });
}

test('ppce500: a command line too long for the device tree is a board option error naming its size', () => {
  assert.ok(plan('console=ttyS0').dtb.length > 0);
  assert.throws(() => plan('x'.repeat(3 * 0x10_0000)), (e: unknown) => e instanceof BoardError && /command line \(3145728 bytes\) does not fit/.test(e.message));
});

test('ppce500: a kernel or initrd that would reach the device tree is an image placement error (found by the initrd fuzz target)', () => {
  const MiB = 0x10_0000;
  const firmware: BootPayload = { ...payload, segments: [{ ...payload.segments[0]!, paddr: 72 * MiB }], address: 72 * MiB, entry: 72 * MiB };
  const images = (kernelBytes: number | undefined, initrdBytes: number | undefined) =>
    planPpce500Images({
      ramSize: 512 * MiB,
      cpuCount: 1,
      family: 'e500v2',
      serialCount: 1,
      payload: firmware,
      firmware: true,
      ...(kernelBytes !== undefined ? { kernel: { name: 'kernel', bytes: new Uint8Array(kernelBytes) } } : {}),
      ...(initrdBytes !== undefined ? { initrd: { name: 'initrd', bytes: new Uint8Array(initrdBytes) } } : {}),
      rngSeed: new Uint8Array(32),
    });
  // The firmware ends just after 72 MiB: the tree goes to 96 MiB, the kernel right after the firmware.
  const small = images(MiB, undefined);
  assert.equal(small.dtbAddress, 96 * MiB);
  assert.ok(small.raws.every((r) => r.addr + r.bytes.length <= small.dtbAddress || r.addr >= small.dtbAddress + small.dtbSize));
  assert.throws(() => images(30 * MiB, undefined), (e: unknown) => e instanceof BoardError && e.code === 'ERR_IMAGE_PLACEMENT' && /kernel .* would overlap the device tree at 0x6000000/.test(e.message));
  // The firmware ends just above 40 MiB: the initrd goes to 64 MiB, exactly where the tree goes.
  const low: BootPayload = { ...firmware, segments: [{ ...firmware.segments[0]!, paddr: 40 * MiB }], address: 40 * MiB, entry: 40 * MiB };
  assert.throws(
    () => planPpce500Images({ ramSize: 512 * MiB, cpuCount: 1, family: 'e500v2', serialCount: 1, payload: low, firmware: true, initrd: { name: 'initrd', bytes: new Uint8Array(MiB) }, rngSeed: new Uint8Array(32) }),
    (e: unknown) => e instanceof BoardError && /initrd .* would overlap the device tree at 0x4000000/.test(e.message),
  );
});
