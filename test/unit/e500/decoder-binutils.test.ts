/**
 * The instruction table against an independent source: GNU as assembled one instance of every
 * mnemonic (test/fixtures/e500/insns*.S) and GNU objdump named each word
 * (test/fixtures/e500/objdump-*.txt, made by gen.sh). The decoder must name every word as
 * binutils does, and every table entry must be among them, so a wrong or missing opcode in the
 * table fails here (the generated tests in decoder.test.ts build their words from the table
 * and cannot see one). SPE has its own binutils check in test/unit/spe/table.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Decoder } from '../../../src/accel/e500/insn/decoder.js';
import { INSN_TABLE } from '../../../src/accel/e500/insn/table.js';
import { FAMILY_TRAITS, type CoreFamily } from '../../../src/accel/e500/models.js';
import { repoRoot } from '../spe/encoding.js';

interface Line {
  readonly word: number;
  readonly mnemonic: string;
}

function fixture(name: string): Line[] {
  const text = readFileSync(join(repoRoot(), 'test', 'fixtures', 'e500', name), 'utf8');
  const out: Line[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const [hex, mnemonic] = line.split(' ');
    out.push({ word: parseInt(hex!, 16) >>> 0, mnemonic: mnemonic! });
  }
  return out;
}

/**
 * binutils' names that are not the table's: the e500 spelling of sync, the tlbilx forms by T,
 * and branches with LK/AA (the decoder names the instruction, not its link and absolute bits).
 */
const ALIASES: Readonly<Record<string, string>> = {
  msync: 'sync',
  tlbilxlpid: 'tlbilx',
  tlbilxpid: 'tlbilx',
  tlbilxva: 'tlbilx',
  ba: 'b',
  bl: 'b',
  bla: 'b',
  bca: 'bc',
  bcl: 'bc',
  bcla: 'bc',
  bclrl: 'bclr',
  bcctrl: 'bcctr',
};

const FIXTURES: Record<CoreFamily, string> = { e500v2: 'objdump-e500v2.txt', e500mc: 'objdump-e500mc.txt' };

for (const family of ['e500v2', 'e500mc'] as const) {
  describe(`decoder against binutils (${family})`, () => {
    const decoder = new Decoder(family, FAMILY_TRAITS[family], new Set(['dcr']));
    const lines = [...fixture(FIXTURES[family]), ...fixture('objdump-any.txt').filter((l) => family === 'e500mc' || l.mnemonic !== 'mftb')];

    test('every assembled word decodes as the instruction objdump names', () => {
      assert.ok(lines.length > 200, `fixture has ${lines.length} words`);
      for (const { word, mnemonic } of lines) {
        const want = ALIASES[mnemonic] ?? mnemonic;
        const got = decoder.decode(word).name;
        assert.equal(got, want, `0x${word.toString(16).padStart(8, '0')}: objdump says ${mnemonic}, decoder ${got}`);
      }
    });

    test('every table entry of this core is among the assembled words', () => {
      const seen = new Set(lines.map(({ word }) => decoder.lookup(word)?.name));
      const missing = INSN_TABLE.filter((def) => def.xoKind !== 'evx' && decoder.lookup(defWord(def)) === def && !seen.has(def.name)).map((d) => d.name);
      assert.deepEqual(missing, [], `table entries with no assembled instance: ${missing.join(' ')}`);
    });
  });
}

/** A word that selects `def` in a decoder's tables (operands zero), to ask whether this core has it. */
function defWord(def: (typeof INSN_TABLE)[number]): number {
  let w = def.op << 26;
  if (def.xoKind === 'x' || def.xoKind === 'xo') w |= def.xo! << 1;
  else if (def.xoKind === 'a') w |= def.xo! << 1;
  if (def.name === 'stwcx.') w |= 1;
  return w >>> 0;
}
