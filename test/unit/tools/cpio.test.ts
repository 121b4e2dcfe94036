/**
 * The initramfs writer, read back by GNU cpio (an independent implementation): names, types,
 * modes, device numbers, symlink targets and file contents.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildCpio } from '../../../src/tools/images/cpio.js';

const haveCpio = spawnSync('sh', ['-c', 'command -v cpio']).status === 0;

test('GNU cpio lists and extracts what buildCpio wrote', { skip: haveCpio ? false : 'GNU cpio is not installed (apt-get install cpio)' }, () => {
  const data = new TextEncoder().encode('#!/bin/sh\necho hello\n');
  const odd = new Uint8Array(1001).map((_, i) => (i * 7) & 0xff);
  const archive = buildCpio([
    { kind: 'dir', path: 'bin', mode: 0o755 },
    { kind: 'file', path: 'bin/hello', mode: 0o755, data },
    { kind: 'file', path: 'bin/odd', mode: 0o640, data: odd },
    { kind: 'symlink', path: 'init', target: 'bin/hello' },
    { kind: 'dir', path: 'dev', mode: 0o755 },
    { kind: 'char', path: 'dev/console', mode: 0o600, major: 5, minor: 1 },
    { kind: 'dir', path: 'tmp', mode: 0o1777 },
  ]);
  assert.equal(archive.length % 4, 0);
  const list = spawnSync('cpio', ['-itv', '--quiet'], { input: archive, encoding: 'utf8' });
  assert.equal(list.status, 0, list.stderr);
  const lines = list.stdout.trim().split('\n');
  assert.equal(lines.length, 7);
  assert.match(lines[0]!, /^drwxr-xr-x .* bin$/);
  assert.match(lines[1]!, /^-rwxr-xr-x .* 21 .* bin\/hello$/);
  assert.match(lines[3]!, /^lrwxrwxrwx .* init -> bin\/hello$/);
  assert.match(lines[5]!, /^crw------- .* 5,\s+1 .* dev\/console$/);
  assert.match(lines[6]!, /^drwxrwxrwt .* tmp$/);
  const dir = mkdtempSync(join(tmpdir(), 'ngkvm-cpio-'));
  try {
    // Device nodes need root to extract; the regular files and links are what matter here.
    const x = spawnSync('cpio', ['-id', '--quiet', '--no-absolute-filenames', 'bin/*', 'init'], { cwd: dir, input: archive, encoding: 'utf8' });
    assert.equal(x.status, 0, x.stderr);
    assert.deepEqual(new Uint8Array(readFileSync(join(dir, 'bin', 'hello'))), data);
    assert.deepEqual(new Uint8Array(readFileSync(join(dir, 'bin', 'odd'))), odd);
    assert.equal(statSync(join(dir, 'bin', 'odd')).mode & 0o777, 0o640);
    assert.equal(readlinkSync(join(dir, 'init')), 'bin/hello');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('paths that would escape the archive root are refused', () => {
  assert.throws(() => buildCpio([{ kind: 'dir', path: '../etc', mode: 0o755 }]), /bad path/);
  assert.throws(() => buildCpio([{ kind: 'dir', path: '/', mode: 0o755 }]), /bad path/);
});
