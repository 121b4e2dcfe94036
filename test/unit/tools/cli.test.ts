/** The CLI's bad-input behaviour: one clear line, a non-zero status, no stack trace. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { GUEST_BUILD } from '../../support/paths.js';
import { ngkvm } from '../../support/processes.js';

const guest = join(GUEST_BUILD, 'e500v2', 'arith.elf');
const noStack = (stderr: string): void => assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace for user errors');

test('--help documents every option', async () => {
  const r = await ngkvm(['run', '--help']);
  assert.equal(r.code, 0);
  for (const opt of ['--machine', '--accel', '--cpu', '--memory', '--bios', '--kernel', '--initrd', '--append', '--serial', '--no-reboot', '--help']) {
    assert.ok(r.stdout.toString().includes(opt), `help mentions ${opt}`);
  }
});

const usageCases: [string, string[], RegExp][] = [
  ['unknown flag with a suggestion', ['run', '--bois', guest], /unknown option "--bois" \(did you mean --bios\?\)/],
  ['unknown machine', ['run', '--machine', 'pc', '--bios', guest], /unknown machine "pc"/],
  ['unknown cpu', ['run', '--cpu', 'e600', '--bios', guest], /unknown CPU model "e600"/],
  ['bad memory size', ['run', '-m', 'lots', '--bios', guest], /is not a size/],
  ['nothing to run', ['run'], /nothing to run/],
  ['missing value', ['run', '--bios'], /needs a value/],
  ['unknown command', ['frobnicate'], /unknown command/],
];
for (const [what, args, msg] of usageCases) {
  test(`usage error: ${what}`, async () => {
    const r = await ngkvm(args);
    assert.equal(r.code, 2);
    assert.match(r.stderr, msg);
    noStack(r.stderr);
  });
}

const runCases: [string, () => string[], RegExp][] = [
  ['missing firmware file', () => ['run', '--bios', '/nonexistent/u-boot.elf', '--serial', 'none'], /cannot read firmware "\/nonexistent\/u-boot.elf": no such file/],
  ['firmware for another architecture', () => ['run', '--bios', process.execPath, '--serial', 'none'], /ppce500 needs a 32-bit PowerPC image/],
  [
    'not an ELF file',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'ngkvm-cli-'));
      const f = join(dir, 'firmware.bin');
      writeFileSync(f, 'not firmware');
      return ['run', '--bios', f, '--serial', 'none'];
    },
    /not an ELF file/,
  ],
  [
    'RAM too small for the device tree',
    () => {
      // The same guest moved to 48 MiB: its device tree would have to go above 64 MiB.
      const elf = new Uint8Array(readFileSync(guest));
      const v = new DataView(elf.buffer);
      const phoff = v.getUint32(28);
      for (let i = 0; i < v.getUint16(44); i++) {
        const p = phoff + i * v.getUint16(42);
        v.setUint32(p + 12, v.getUint32(p + 12) + 0x0300_0000);
      }
      const dir = mkdtempSync(join(tmpdir(), 'ngkvm-cli-'));
      const f = join(dir, 'high.elf');
      writeFileSync(f, elf);
      return ['run', '-m', '64M', '--bios', f, '--serial', 'none'];
    },
    /not enough memory for the device tree.*use a larger -m/,
  ],
];
for (const [what, args, msg] of runCases) {
  test(`run error: ${what}`, async () => {
    const r = await ngkvm(args(), { timeoutMs: 30_000 });
    assert.equal(r.code, 1);
    assert.match(r.stderr, msg);
    noStack(r.stderr);
  });
}

test('a guest runs, prints on the serial console and its reset ends the run with status 0', async () => {
  const r = await ngkvm(['run', '--machine', 'ppce500', '--bios', guest, '--serial', 'stdio', '--no-reboot'], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout.toString(), /^== arith \(e500v2\)/);
});

test('RAM sizes that are not 64 MiB multiples are refused, as QEMU refuses them', async () => {
  const r = await ngkvm(['run', '-m', '200M', '--bios', guest, '--serial', 'none', '--no-reboot'], { timeoutMs: 60_000 });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /RAM must be a multiple of 64 MiB.*got 200 MiB/);
  noStack(r.stderr);
});
