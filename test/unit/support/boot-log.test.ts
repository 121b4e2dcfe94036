import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normaliseBootLog } from '../../support/linux.js';

test('boot logs: PIDs in process reports are masked, everything else on the line must match', () => {
  const a = normaliseBootLog('ngkvm-check[59]: segfault (11) at 0 nip 100004e4\nok');
  const b = normaliseBootLog('ngkvm-check[60]: segfault (11) at 0 nip 100004e4\nok');
  assert.equal(a, b);
  assert.match(a, /^ngkvm-check\[<pid>\]: segfault/);
  const c = normaliseBootLog('ngkvm-check[60]: segfault (11) at 4 nip 100004e4\nok');
  assert.notEqual(a, c);
});

test('boot logs: asynchronous initramfs lines move to the end in order; other lines keep their place', () => {
  const log = normaliseBootLog('one\nUnpacking initramfs...\ntwo\nFreeing initrd memory: 1024K\nthree');
  assert.equal(log, 'one\ntwo\nthree\n--- asynchronous lines ---\nUnpacking initramfs...\nFreeing initrd memory: 1024K');
});
