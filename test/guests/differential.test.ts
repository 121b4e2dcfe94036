/**
 * The differential suite: every guest program of guests/ runs on QEMU's ppce500 and on
 * ngkvm, for both cores, and the serial outputs must be byte-identical. ngkvm runs each guest
 * twice: with eager block translation (every page translated after its first few instructions,
 * so these short guests exercise the translator) and on the interpreter alone.
 */
import assert from 'node:assert/strict';
import { basename, join } from 'node:path';
import { describe, test } from 'node:test';
import { CPUS, GUESTS, GUEST_BUILD, elfsIn } from '../support/paths.js';
import { firstDifference, guestInput, guestSmp, haveCommand, ngkvmGuest, qemuGuest } from '../support/processes.js';

/** Guests too slow for the interpreter-only pass (they run with translation only). */
const TRANSLATED_ONLY = new Set(['bench-cpu']);

for (const cpu of CPUS) {
  const elfs = elfsIn(join(GUEST_BUILD, cpu));
  describe(`ppce500 ${cpu}: guests match QEMU byte for byte`, { concurrency: 2 }, () => {
    test('the guest suite is built and QEMU is installed', () => {
      assert.ok(elfs.length >= 25, `expected the guest suite in ${join(GUEST_BUILD, cpu)} (run "make -C guests"), found ${elfs.length} ELF files`);
      assert.ok(haveCommand('qemu-system-ppc'), 'qemu-system-ppc is the oracle of this suite; "npm test" installs it (Debian package qemu-system-ppc)');
    });
    for (const elf of elfs) {
      const name = basename(elf, '.elf');
      test(name, async () => {
        const input = guestInput([join(GUESTS, 'tests', cpu, `${name}.input`), join(GUESTS, 'tests', `${name}.input`)]);
        const smp = guestSmp([join(GUESTS, 'tests', cpu, `${name}.smp`), join(GUESTS, 'tests', `${name}.smp`)]);
        const opts = { ...(input !== undefined ? { input } : {}), ...(smp !== undefined ? { smp } : {}) };
        const [qemu, ours] = await Promise.all([qemuGuest(cpu, elf, opts), ngkvmGuest(cpu, elf, opts)]);
        assert.equal(qemu.timedOut, false, 'QEMU timed out');
        assert.equal(qemu.code, 0, `QEMU failed: ${qemu.stderr}`);
        assert.ok(qemu.stdout.length > 0, 'QEMU printed nothing');
        assert.equal(ours.timedOut, false, `ngkvm timed out; stderr: ${ours.stderr}`);
        assert.equal(ours.code, 0, `ngkvm exited with ${ours.code}: ${ours.stderr}`);
        assert.ok(ours.stdout.equals(qemu.stdout), `serial output differs from QEMU at ${firstDifference(qemu.stdout, ours.stdout)}`);
        if (TRANSLATED_ONLY.has(name)) return;
        const interp = await ngkvmGuest(cpu, elf, { ...opts, jit: false });
        assert.equal(interp.code, 0, `ngkvm (interpreter only) exited with ${interp.code}: ${interp.stderr}`);
        assert.ok(interp.stdout.equals(qemu.stdout), `interpreter-only output differs from QEMU at ${firstDifference(qemu.stdout, interp.stdout)}`);
      });
    }
  });
}
