/**
 * The CLI takes CPU models from the accelerators (Hypervisor.targets) and defaults from the
 * board, never from an accelerator's own modules (test/unit/layers.test.ts checks imports).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Hypervisor } from '../../../src/api/index.js';
import { BOARDS } from '../../../src/boards/board.js';
import { buildRunConfig, loadTargetCatalog } from '../../../src/tools/cli.js';
import { UsageError } from '../../../src/tools/options.js';
import { ngkvm } from '../../support/processes.js';

test('--cpu help lists the targets of the accelerator that would run the board', async () => {
  const ppc = await ngkvm(['run', '--cpu', 'help']);
  assert.equal(ppc.code, 0);
  const e500 = await Hypervisor.targets('e500');
  assert.deepEqual(
    ppc.stdout.toString().trimEnd().split('\n'),
    e500.map((t) => `${t.name.padEnd(12)} ${t.description}`),
  );
  assert.match(ppc.stdout.toString(), /^e500mc +Freescale e500mc core \(PVR 0x80230020\)$/m);
  const x86 = await ngkvm(['run', '--machine', 'x86-microvm', '--cpu', 'help']);
  assert.equal(x86.code, 0);
  assert.match(x86.stdout.toString(), /^host +the host CPU/);
});

test('without --cpu the board\'s default model is used; an unknown one names the accelerator\'s', async () => {
  const catalog = await loadTargetCatalog();
  const ppc = buildRunConfig(['--bios', 'x.elf'], catalog);
  assert.ok(typeof ppc === 'object' && 'machine' in ppc);
  assert.equal(ppc.cpu, BOARDS.ppce500.defaultCpu);
  assert.equal(ppc.cpu, 'e500v2_v30', "QEMU's ppce500 default");
  const x86 = buildRunConfig(['--machine', 'x86-microvm', '--kernel', 'k.elf'], catalog);
  assert.ok(typeof x86 === 'object' && 'machine' in x86);
  assert.equal(x86.cpu, 'host');
  assert.throws(() => buildRunConfig(['--cpu', 'e600', '--bios', 'x.elf'], catalog), (e: unknown) => e instanceof UsageError && /on the e500 accelerator; available: e500v2_v10, .*e500mc/.test(e.message));
});
