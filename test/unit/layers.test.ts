/**
 * The layers of DESIGN.md, checked on the sources: dependencies point down only (tools on
 * top, then the VMM, boards, devices, the API; accelerators below the API, which loads them
 * only dynamically, through its accelerator records). Regression: the VMM imported the gdb
 * stub from tools/, and the CLI took CPU models from accel/e500/models.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../support/paths.js';

const SRC = join(ROOT, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** Layer of a path under src/: its first folder. */
const layerOf = (file: string): string => relative(SRC, file).split('/')[0]!;

interface Import {
  readonly from: string;
  readonly to: string;
  readonly dynamic: boolean;
}

function imports(): Import[] {
  const out: Import[] = [];
  for (const file of sources(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^import[^'"]*?from\s+|^export[^'"]*?from\s+|\bimport\()\s*'(\.[^']+)'/gms)) {
      const target = join(file, '..', m[1]!);
      out.push({ from: relative(SRC, file), to: relative(SRC, target), dynamic: m[0].includes('import(') });
    }
  }
  return out;
}

/** What each layer may import statically. */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  tools: ['tools', 'vmm', 'boards', 'devices', 'api', 'sys'],
  vmm: ['vmm', 'boards', 'devices', 'api', 'sys'],
  boards: ['boards', 'devices', 'api'],
  devices: ['devices', 'api'],
  api: ['api'],
  accel: ['accel', 'api', 'sys'],
  // The native shim (system calls only, for the kvm accelerator and the VMM's host backends)
  // and where the package is on disk.
  sys: ['sys', 'api'],
};

test('every static import points down the layers; the API loads accelerators only dynamically', () => {
  const all = imports();
  assert.ok(all.length > 300, `found ${all.length} imports: the scan works`);
  const wrong = all.filter((i) => !i.dynamic && !(ALLOWED[layerOf(join(SRC, i.from))] ?? []).includes(layerOf(join(SRC, i.to))));
  assert.deepEqual(wrong.map((i) => `${i.from} -> ${i.to}`), []);
  const dynamicAccel = all.filter((i) => i.dynamic && layerOf(join(SRC, i.to)) === 'accel');
  assert.ok(dynamicAccel.every((i) => i.from === 'api/accelerators.ts'), dynamicAccel.map((i) => i.from).join(', '));
});
