/**
 * Saved fuzz findings: test/fuzz-cases/<target>/<kind>-<hash>.bin holds the input exactly as
 * the target got it, and a .txt next to it says what happened. `npm test` replays every .bin
 * through its target (test/unit/fuzz/replay.test.ts), so a fixed bug stays fixed.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../support/paths.js';
import type { Finding } from './engine.js';

export const CASES_DIR = join(ROOT, 'test', 'fuzz-cases');

/** Writes a finding's input and description; returns the path of the input. */
export function saveCase(dir: string, target: string, f: Finding, seed: number): string {
  const hash = createHash('sha1').update(f.input).digest('hex').slice(0, 12);
  const base = join(dir, target, `${f.kind}-${hash}`);
  mkdirSync(join(dir, target), { recursive: true });
  writeFileSync(`${base}.bin`, f.input);
  writeFileSync(
    `${base}.txt`,
    [`target: ${target}`, `kind: ${f.kind}`, `seed: ${seed}`, `input: #${f.index} (${f.input.length} bytes)`, `message: ${f.message}`, '', f.stack, ''].join('\n'),
  );
  return `${base}.bin`;
}

/** Every saved case, by target name. */
export function savedCases(dir = CASES_DIR): Map<string, { readonly path: string; readonly bytes: Uint8Array }[]> {
  const out = new Map<string, { path: string; bytes: Uint8Array }[]>();
  if (!existsSync(dir)) return out;
  for (const target of readdirSync(dir, { withFileTypes: true })) {
    if (!target.isDirectory()) continue;
    const files = readdirSync(join(dir, target.name))
      .filter((f) => f.endsWith('.bin'))
      .sort();
    out.set(
      target.name,
      files.map((f) => ({ path: join(dir, target.name, f), bytes: new Uint8Array(readFileSync(join(dir, target.name, f))) })),
    );
  }
  return out;
}
