/**
 * SPE encodings for the tests, taken from GNU objdump (test/fixtures/spe/objdump-evx.txt)
 * rather than from the instruction table, so the tests also check the table's opcodes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'test', 'fixtures'))) return dir;
    const up = resolve(dir, '..');
    if (up === dir) throw new Error('repository root not found');
    dir = up;
  }
}

export function fixture(name: string): string {
  return join(repoRoot(), 'test', 'fixtures', 'spe', name);
}

/**
 * binutils names that differ from the SPE PEM's, and forms binutils knows from the early
 * SPE specification or SPE2 that the e500v2 does not implement.
 */
const ALIASES: Record<string, string> = { evsubw: 'evsubfw', evsubiw: 'evsubifw' };
export const NOT_E500V2 = new Set([
  'evfsmadd', 'evfsmsub', 'evfsnmadd', 'evfsnmsub',
  'evmwlssf', 'evmwlsmf', 'evmwlssfa', 'evmwlsmfa',
  'evmwlssfaaw', 'evmwlsmfaaw', 'evmwlssfanw', 'evmwlsmfanw',
  'evmwhusiaa', 'evmwhssmaa', 'evmwhssfaa', 'evmwhumiaa', 'evmwhsmiaa', 'evmwhsmfaa',
  'evmwhusian', 'evmwhssian', 'evmwhssfan', 'evmwhumian', 'evmwhsmian', 'evmwhsmfan',
  'evmwhgumiaa', 'evmwhgsmiaa', 'evmwhgssfaa', 'evmwhgsmfaa',
  'evmwhgumian', 'evmwhgsmian', 'evmwhgssfan', 'evmwhgsmfan',
]);

/** e500v2 mnemonic → EVX opcodes (evsel has eight, one per crfS). */
export const OPCODES: ReadonlyMap<string, readonly number[]> = (() => {
  const m = new Map<string, number[]>();
  for (const line of readFileSync(fixture('objdump-evx.txt'), 'utf8').split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const [hex, raw] = line.split(' ');
    const name = ALIASES[raw!] ?? raw!;
    if (NOT_E500V2.has(name)) continue;
    const list = m.get(name) ?? [];
    list.push(parseInt(hex!, 16));
    m.set(name, list);
  }
  return m;
})();

export function xo(name: string): number {
  const list = OPCODES.get(name);
  if (list === undefined) throw new Error(`no opcode for ${name}`);
  return list[0]!;
}

/** An EVX word: opcode 4, rD/crfD field d, rA field a, rB field b. */
export function evx(name: string, d: number, a: number, b: number): number {
  return ((4 << 26) | (d << 21) | (a << 16) | (b << 11) | xo(name)) >>> 0;
}
