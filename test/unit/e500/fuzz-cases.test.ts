/**
 * Replays the saved failing cases of the instruction-stream fuzz target (test/fuzz-cases,
 * written by `node dist/test/fuzz/e500-insn-main.js`): each must now run without an
 * exception and end in the same state in the interpreter and the translator.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkCase, type CaseState } from '../../fuzz/e500-insn.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'test', 'fuzz-cases');
const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith('e500-') && f.endsWith('.json')).sort() : [];

for (const f of files) {
  test(`fuzz case ${f}`, () => {
    const { case: c } = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { case: CaseState };
    const v = checkCase(c);
    assert.ok(v.ok, v.problems.join('\n'));
  });
}

test('the fuzz-case directory is found', () => {
  assert.ok(existsSync(dir), dir);
});
