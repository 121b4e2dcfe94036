/**
 * The V8 code cache of the start-up script bundles (src/sys/code-cache.ts): a run without a
 * cache writes one, the next compiles from it, and anything wrong with the file (truncated,
 * damaged, written by another V8) costs only the speed-up, never the run.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CachedScript, codeCachePath, pruneCodeCaches, readCodeCache, registerCodeCacheSaver, saveCodeCache, writeCodeCache } from '../../../src/sys/code-cache.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ngkvm-code-cache-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A script in the bundles' shape: the body of an async function given require and a URL. */
function writeScript(name: string, answer: number): string {
  const path = join(dir, `${name}.script.js`);
  const helpers = Array.from({ length: 50 }, (_, k) => `function helper${k}(x) { return (x * ${k + 3}) ^ ${k}; }`).join('\n');
  writeFileSync(
    path,
    `(async function (__ngkvmRequire, __ngkvmModuleUrl) {\n"use strict";\n${helpers}\n` +
      `const { basename } = __ngkvmRequire('node:path');\n` +
      `let sum = 0; for (let k = 0; k < 50; k++) sum += helper${answer % 50}(k);\n` +
      // Not ASCII: such a script is read as UTF-8 (the bundles are ASCII, read as Latin-1).
      `return { answer: ${answer}, sum, file: basename(new URL(__ngkvmModuleUrl).pathname), text: 'naïve ✓' };\n})`,
  );
  return path;
}

const moduleUrl = pathToFileURL(join(dir, 'stand-in.js'));

test('the first load misses and saves; the next compiles from the cache and runs the same', async () => {
  const cacheDir = join(dir, 'c1');
  const path = writeScript('first', 7);
  const cold = new CachedScript(path, cacheDir);
  assert.equal(cold.status, 'miss');
  const expected = await cold.run(moduleUrl);
  assert.deepEqual(expected, { answer: 7, sum: (expected as { sum: number }).sum, file: 'stand-in.js', text: 'naïve ✓' });
  assert.equal(cold.save(), 'saved');
  assert.equal(cold.save(), 'miss', 'written once');
  assert.ok(existsSync(cold.cacheFile!));

  // Another process (this one would reuse its own compilation): V8 accepts the file.
  const child = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const { CachedScript } = await import(${JSON.stringify(pathToFileURL(join(HERE, '..', '..', '..', 'src', 'sys', 'code-cache.js')).href)});
       const s = new CachedScript(${JSON.stringify(path)}, ${JSON.stringify(cacheDir)});
       const value = await s.run(new URL(${JSON.stringify(moduleUrl.href)}));
       console.log(JSON.stringify({ status: s.status, value, again: s.save() }));`,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(child.status, 0, child.stderr);
  assert.deepEqual(JSON.parse(child.stdout), { status: 'hit', value: expected, again: 'hit' });
});

test('another source gets another cache file, so an edited script never meets old bytecode', () => {
  const a = codeCachePath('/x/w.script.js', Buffer.from('one source'), dir);
  const b = codeCachePath('/x/w.script.js', Buffer.from('two source'), dir);
  assert.ok(a !== undefined && b !== undefined);
  assert.notEqual(a, b, 'same length, other content');
  assert.equal(a, codeCachePath('/x/w.script.js', Buffer.from('one source'), dir));
});

test('a truncated, damaged or foreign cache file is ignored and replaced', async () => {
  const cacheDir = join(dir, 'c2');
  const path = writeScript('damaged', 11);
  const first = new CachedScript(path, cacheDir);
  const expected = await first.run(moduleUrl);
  assert.equal(first.save(), 'saved');
  const file = first.cacheFile!;
  const good = readFileSync(file);

  // Truncated, then one flipped byte in the V8 data: our checksum refuses both.
  writeFileSync(file, good.subarray(0, good.length - 100));
  assert.deepEqual(readCodeCache(file), { data: undefined, damaged: true });
  const flipped = Buffer.from(good);
  flipped[flipped.length - 10]! ^= 0x40;
  writeFileSync(file, flipped);
  const damaged = new CachedScript(path, cacheDir);
  assert.equal(damaged.status, 'damaged');
  assert.deepEqual(await damaged.run(moduleUrl), expected);
  assert.equal(damaged.save(), 'saved');
  assert.equal(new CachedScript(path, cacheDir).status, 'hit', 'the damaged file was replaced');

});

test('a cache V8 does not accept (another V8 wrote it) is rejected and replaced', async () => {
  // A source this process never compiled: V8 reuses its own compilations of a source it saw.
  const cacheDir = join(dir, 'c4');
  const path = writeScript('foreign', 13);
  const file = codeCachePath(path, readFileSync(path), cacheDir)!;
  writeCodeCache(file, Buffer.alloc(4096, 0x5a));
  const foreign = new CachedScript(path, cacheDir);
  assert.equal(foreign.status, 'rejected');
  assert.equal(((await foreign.run(moduleUrl)) as { answer: number }).answer, 13);
  assert.equal(foreign.save(), 'saved');
  const data = readCodeCache(file).data!;
  assert.ok(data.some((b) => b !== 0x5a), 'V8\'s own cache replaced the foreign one');
});

test('NGKVM_NO_CODE_CACHE=1 switches the cache off', async () => {
  const cacheDir = join(dir, 'c3');
  const path = writeScript('off', 3);
  process.env['NGKVM_NO_CODE_CACHE'] = '1';
  try {
    const s = new CachedScript(path, cacheDir);
    assert.equal(s.status, 'off');
    assert.equal(s.cacheFile, undefined);
    assert.equal((await s.run(moduleUrl) as { answer: number }).answer, 3);
    assert.equal(s.save(), 'off');
    assert.equal(existsSync(join(cacheDir, 'v8')), false);
  } finally {
    delete process.env['NGKVM_NO_CODE_CACHE'];
  }
});

test('a cache that cannot be written costs nothing but the speed-up', async () => {
  const blocker = join(dir, 'not-a-dir');
  writeFileSync(blocker, 'a file where the cache directory should be');
  const path = writeScript('readonly', 5);
  const s = new CachedScript(path, blocker);
  await s.run(moduleUrl);
  assert.equal(s.save(), 'failed');
  assert.ok(statSync(blocker).isFile());
});

test('saveCodeCache reaches the registered saver once, and is a no-op without one', () => {
  let calls = 0;
  saveCodeCache();
  registerCodeCacheSaver(() => calls++);
  saveCodeCache();
  saveCodeCache();
  assert.equal(calls, 1);
});

test('saving keeps the newest caches of a script and drops older builds and abandoned temporaries', () => {
  const v8 = join(dir, 'c5', 'v8');
  mkdirSync(v8, { recursive: true });
  const name = (k: number): string => join(v8, `machine-worker.script-${k.toString(16).padStart(8, '0')}-963283-v20.20.2-x64.bin`);
  const now = Date.now();
  for (let k = 0; k < 7; k++) {
    writeCodeCache(name(k), Buffer.alloc(16, k));
    utimesSync(name(k), new Date(now - (10 - k) * 1000), new Date(now - (10 - k) * 1000));
  }
  const other = join(v8, 'cli.script-0000abcd-1-v20.20.2-x64.bin');
  writeCodeCache(other, Buffer.alloc(16));
  const stale = `${name(1)}.123.abc.tmp`;
  const fresh = `${name(2)}.456.def.tmp`;
  writeFileSync(stale, 'left by a crash');
  writeFileSync(fresh, 'being written now');
  utimesSync(stale, new Date(now - 3_600_000), new Date(now - 3_600_000));
  pruneCodeCaches(name(6), now);
  const left = readdirSync(v8).sort();
  assert.deepEqual(left, [basename(other), basename(fresh), ...[3, 4, 5, 6].map((k) => basename(name(k)))].sort());
});
