#!/usr/bin/env node
// Runs every compiled `*.test.js` under dist/test with Node's built-in test
// runner. The files are listed explicitly: handed a directory, Node would also
// execute the helper modules under dist/test/support (a worker entry among
// them) as if they were tests.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function testFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...testFiles(path));
    else if (entry.name.endsWith('.test.js')) out.push(path);
  }
  return out.sort();
}

const files = testFiles(join(root, 'dist', 'test'));
if (files.length === 0) {
  console.error('run-tests: no compiled tests under dist/test (did the build run?)');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...files], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
