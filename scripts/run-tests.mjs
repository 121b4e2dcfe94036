#!/usr/bin/env node
// Runs every compiled test file under dist/test with Node's built-in test runner.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', join(root, 'dist', 'test')], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
