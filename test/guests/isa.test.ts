/**
 * ISA-only guests: behaviour where QEMU 7.2 departs from the Power ISA or the e500/MPIC
 * manuals. Each runs on ngkvm and must print exactly its `.expected` file.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, test } from 'node:test';
import { CPUS, GUESTS, GUEST_BUILD, elfsIn } from '../support/paths.js';
import { firstDifference, ngkvmGuest } from '../support/processes.js';

for (const cpu of CPUS) {
  const elfs = elfsIn(join(GUEST_BUILD, cpu, 'isa'));
  describe(`ppce500 ${cpu}: ISA-only guests`, { concurrency: 2 }, () => {
    test('the ISA guests are built', () => {
      assert.ok(elfs.length >= 8, `expected ISA guests in ${join(GUEST_BUILD, cpu, 'isa')} (run "make -C guests")`);
    });
    for (const elf of elfs) {
      const name = basename(elf, '.elf');
      test(name, async () => {
        const own = join(GUESTS, 'isa', cpu, `${name}.expected`);
        const shared = join(GUESTS, 'isa', `${name}.expected`);
        const expectedPath = existsSync(own) ? own : shared;
        assert.ok(existsSync(expectedPath), `no ${name}.expected for ${cpu}`);
        const expected = readFileSync(expectedPath);
        const ours = await ngkvmGuest(cpu, elf);
        assert.equal(ours.code, 0, `ngkvm exited with ${ours.code}: ${ours.stderr}`);
        assert.ok(ours.stdout.equals(expected), `output differs from ${expectedPath} at ${firstDifference(expected, ours.stdout)}`);
      });
    }
  });
}
