/**
 * A start-up bundle run as a classic script with V8's code cache.
 *
 * Compiling the machine thread's bundle (~1 MB) takes ~25 ms of its start, and every function
 * it calls on the way to the guest's first instructions is compiled again when first called.
 * V8 can save the bytecode of everything compiled so far (`createCachedData`) and accept it
 * back when it compiles the same source, skipping both. Node 20 offers that for classic
 * scripts only (`vm.Script`), not for ES modules, so setup also writes each thread's bundle
 * as a script: one async function body with its `node:` imports turned into `require` calls
 * (scripts/bundle.mjs). The cache file lives in the cache directory, named after the script's
 * content and Node's version, so another build or another Node never reads it;
 * V8 still checks it, and our own header and checksum are checked first because V8 trusts a
 * cache whose header matches: a truncated or damaged file must never reach it.
 *
 * The cache is written once, by the run that found none (or found it rejected): after the
 * guest has run a while (`saveCodeCache`, from the machine thread) or when the run ends,
 * whichever comes first, so it holds the functions a machine's start and first second use.
 */
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isAscii } from 'node:buffer';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import vm from 'node:vm';
import { crc32 } from 'node:zlib';
import { cacheRoot } from './cache-dir.js';

/** What became of the cache when the script was loaded. */
export type CodeCacheStatus = 'hit' | 'miss' | 'rejected' | 'damaged' | 'off';

const MAGIC = 0x4e474343; // "NGCC"
const HEADER_BYTES = 12;

/**
 * The cache file for a script with these bytes (undefined when caching is switched off):
 * named after the script, a CRC of its bytes (V8 itself compares only the length), Node's
 * version and the architecture. V8 checks its flags itself: a cache made under other flags
 * (a --cpu-prof run) is rejected and replaced.
 */
export function codeCachePath(scriptPath: string, source: Uint8Array, root = cacheRoot()): string | undefined {
  if (process.env['NGKVM_NO_CODE_CACHE'] === '1') return undefined;
  const sum = (crc32(source) >>> 0).toString(16).padStart(8, '0');
  return join(root, 'v8', `${basename(scriptPath, '.js')}-${sum}-${source.length}-${process.version}-${process.arch}.bin`);
}

/** A script's text: the bundles are ASCII (esbuild's `charset: 'ascii'`), which needs no UTF-8 decoding. */
function scriptText(bytes: Buffer): string {
  return bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
}

/** Reads a cache file written by `CachedScript.save`; undefined when absent or damaged. */
export function readCodeCache(path: string): { data: Buffer | undefined; damaged: boolean } {
  let file: Buffer;
  try {
    file = readFileSync(path);
  } catch {
    return { data: undefined, damaged: false };
  }
  if (file.length < HEADER_BYTES || file.readUInt32LE(0) !== MAGIC || file.readUInt32LE(4) !== file.length - HEADER_BYTES) return { data: undefined, damaged: true };
  const data = file.subarray(HEADER_BYTES);
  if ((crc32(data) >>> 0) !== file.readUInt32LE(8)) return { data: undefined, damaged: true };
  return { data, damaged: false };
}

/** Writes `data` as a cache file: header, then the bytes; a rename makes it appear whole. */
export function writeCodeCache(path: string, data: Uint8Array): void {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32LE(MAGIC, 0);
  header.writeUInt32LE(data.length, 4);
  header.writeUInt32LE(crc32(data) >>> 0, 8);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, Buffer.concat([header, data]));
  renameSync(tmp, path);
}

/** Caches kept per script: a few builds (clones, branches) alternate without rewriting. */
const KEEP_PER_SCRIPT = 4;
/** A temporary file older than this was left by a run that died while saving. */
const STALE_TMP_MS = 10 * 60_000;

/** Removes the caches of older builds of the script `path` is for, and abandoned temporaries. */
export function pruneCodeCaches(path: string, now = Date.now()): void {
  const dir = dirname(path);
  const script = basename(path).replace(/-[0-9a-f]{8}-\d+-[^-]+-[^-]+\.bin$/, '');
  const caches: { file: string; mtime: number }[] = [];
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    const mtime = statSync(file, { throwIfNoEntry: false })?.mtimeMs;
    if (mtime === undefined) continue;
    if (name.endsWith('.tmp')) {
      if (now - mtime > STALE_TMP_MS) rmSync(file, { force: true });
    } else if (name.startsWith(`${script}-`) && name.endsWith('.bin')) {
      caches.push({ file, mtime });
    }
  }
  caches.sort((a, b) => b.mtime - a.mtime);
  for (const old of caches.slice(KEEP_PER_SCRIPT)) if (old.file !== path) rmSync(old.file, { force: true });
}

/** A script bundle compiled with its code cache, if there is a usable one. */
export class CachedScript {
  readonly status: CodeCacheStatus;
  /** Where the cache is read from and saved to (undefined when caching is off). */
  readonly cacheFile: string | undefined;
  private readonly script: vm.Script;
  private saved = false;

  constructor(readonly scriptPath: string, cacheDir?: string) {
    const bytes = readFileSync(scriptPath);
    const cachePath = codeCachePath(scriptPath, bytes, cacheDir);
    this.cacheFile = cachePath;
    const cache = cachePath === undefined ? { data: undefined, damaged: false } : readCodeCache(cachePath);
    this.script = new vm.Script(scriptText(bytes), { filename: scriptPath, ...(cache.data !== undefined ? { cachedData: cache.data } : {}) });
    if (cachePath === undefined) this.status = 'off';
    else if (cache.damaged) this.status = 'damaged';
    else if (cache.data === undefined) this.status = 'miss';
    else this.status = this.script.cachedDataRejected === true ? 'rejected' : 'hit';
  }

  /**
   * Runs the script: its value must be the bundle's async function, which gets `require`
   * and the URL the bundle stands in for (where `import.meta.url` pointed).
   */
  run(moduleUrl: URL): Promise<unknown> {
    const body = this.script.runInThisContext() as (req: NodeJS.Require, url: string) => Promise<unknown>;
    return body(createRequire(moduleUrl), moduleUrl.href);
  }

  /** Writes the cache once, when this run had none worth keeping. Never throws. */
  save(): CodeCacheStatus | 'saved' | 'failed' {
    if (this.saved || this.cacheFile === undefined || this.status === 'hit') return this.status;
    this.saved = true;
    try {
      writeCodeCache(this.cacheFile, this.script.createCachedData());
      pruneCodeCaches(this.cacheFile);
      return 'saved';
    } catch {
      // A read-only home or a full disk costs only the speed-up.
      return 'failed';
    }
  }
}

const SAVER = Symbol.for('ngkvm.code-cache.save');

type Saver = () => void;

/** Called by the loader: `saveCodeCache` (from the bundle inside the script) then reaches it. */
export function registerCodeCacheSaver(save: Saver): void {
  (globalThis as { [SAVER]?: Saver })[SAVER] = save;
}

/**
 * Asks the loader that started this thread to write its code cache now (no-op when the code
 * was not started from a cached script, e.g. from dist/src or the ES module bundle).
 */
export function saveCodeCache(): void {
  const save = (globalThis as { [SAVER]?: Saver })[SAVER];
  if (save === undefined) return;
  delete (globalThis as { [SAVER]?: Saver })[SAVER];
  save();
}
