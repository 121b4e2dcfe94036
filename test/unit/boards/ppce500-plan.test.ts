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
