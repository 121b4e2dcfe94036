import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { abiFacts } from '../../../../src/accel/kvm/abi.js';
import { ROOT } from '../../../support/paths.js';

const haveGcc = spawnSync('gcc', ['--version']).status === 0;
const haveHeader = spawnSync('sh', ['-c', 'echo "#include <linux/kvm.h>" | gcc -E - >/dev/null']).status === 0;

describe('kvm ABI numbers (src/accel/kvm/abi.ts)', () => {
  test('every ioctl number, capability, struct size and offset matches <linux/kvm.h>', { skip: !haveGcc || !haveHeader ? 'skipped: needs gcc and <linux/kvm.h> (linux-libc-dev)' : false }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'ngkvm-abi-'));
    try {
      execFileSync('gcc', ['-Wall', '-o', join(dir, 'abi-dump'), join(ROOT, 'native', 'abi-dump.c')]);
      const fromC = JSON.parse(execFileSync(join(dir, 'abi-dump'), { encoding: 'utf8' })) as Record<string, number>;
      const fromTs = abiFacts();
      assert.ok(Object.keys(fromC).length > 150, 'the dumper prints the whole ABI');
      assert.deepEqual(Object.keys(fromTs).sort(), Object.keys(fromC).sort(), 'the same names on both sides');
      for (const [name, value] of Object.entries(fromC)) assert.equal(fromTs[name], value, name);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
