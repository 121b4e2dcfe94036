/**
 * The fuzz harness itself: a planted bug is found, deterministically for a seed, grouped by
 * signature, saved and replayable; a hang and a runaway allocation are caught by the worker's
 * watchdog and heap limit and saved with the input that caused them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { savedCases } from '../../fuzz/cases.js';
import { fuzzLoop, signature, type Finding } from '../../fuzz/engine.js';
import { fuzzTarget } from '../../fuzz/main.js';
import { plantedTarget } from './toy-targets.js';

const dir = mkdtempSync(join(tmpdir(), 'ngkvm-fuzz-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const TOYS = new URL('./toy-targets.js', import.meta.url).href;

test('the loop finds a planted bug, the same way for the same seed, and its input reproduces it', () => {
  const run = (seed: number): Finding[] => {
    const found: Finding[] = [];
    fuzzLoop(plantedTarget, { seed, maxInputs: 20_000, deadline: Infinity, found: (f) => found.push(f) });
    return found;
  };
  const a = run(42);
  assert.ok(a.length > 0, 'the planted bug was found');
  assert.deepEqual(run(42).map((f) => f.index), a.map((f) => f.index), 'a seed repeats exactly');
  const first = a[0]!;
  assert.equal(first.kind, 'exception');
  assert.throws(() => plantedTarget.run(first.input), /planted/);
  assert.equal(new Set(a.map(signature)).size, 1, 'all instances share one signature');
});

test('runs in a worker: findings saved once per signature, hangs and runaway allocations caught and saved', async () => {
  const log: string[] = [];
  // The hang is an endless loop: the 1 s watchdog decides only how soon it is reported.
  const common = { module: TOYS, seed: 7, seconds: Infinity, hangSeconds: 1, heapMb: 64, out: dir, log: (l: string) => log.push(l) };
  const planted = await fuzzTarget({ ...common, target: 'planted', maxInputs: 20_000 });
  assert.equal(planted.inputs, 20_000);
  assert.equal(planted.findings.length, 1);
  assert.ok(planted.findings[0]!.count >= 1);
  const hang = await fuzzTarget({ ...common, target: 'hangs', maxInputs: 2 });
  assert.deepEqual(hang.findings.map((f) => f.first.kind), ['hang']);
  // A watchdog far beyond what running out of a 64 MiB heap takes, even on a loaded machine:
  // the allocation must be reported as what it is, not as a hang.
  const memory = await fuzzTarget({ ...common, hangSeconds: 600, target: 'allocates', maxInputs: 2 });
  assert.deepEqual(memory.findings.map((f) => f.first.kind), ['memory']);
  const saved = savedCases(dir);
  assert.deepEqual([...saved.keys()].sort(), ['allocates', 'hangs', 'planted']);
  // The saved hang is the input that hangs (its first byte is the trigger).
  assert.equal(saved.get('hangs')![0]!.bytes[0], 0xee);
  assert.match(readFileSync(saved.get('planted')![0]!.path.replace(/\.bin$/, '.txt'), 'utf8'), /kind: exception\nseed: 7\n/);
});
