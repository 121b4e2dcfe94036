/**
 * The build cache for guest images: outside the clone (sys/cache-dir.ts), so every clone,
 * `npm start`, the tests and CI share one build. Each output lives in a directory named by a
 * hash of everything it is built from; a directory is complete only once its `done` stamp
 * exists, so an interrupted build is simply redone.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A short stable hash of the given inputs (strings or file contents). */
export function inputKey(parts: readonly (string | Uint8Array)[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    const bytes = typeof p === 'string' ? Buffer.from(p) : p;
    h.update(`${bytes.length}:`);
    h.update(bytes);
  }
  return h.digest('hex').slice(0, 16);
}

const STAMP = 'done';

export function isComplete(dir: string): boolean {
  return existsSync(join(dir, STAMP));
}

export function markComplete(dir: string, info: object): void {
  writeFileSync(join(dir, STAMP), `${JSON.stringify(info, null, 2)}\n`);
}

/** Starts a cache entry afresh: whatever an interrupted build left is removed. */
export function freshDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
}

const LOCK_STALE_MS = 6 * 60 * 60 * 1000;

/**
 * Runs `fn` holding a lock directory, so two builds started at once (two test files, `npm
 * start` beside `npm test`) do not write the same cache entry; the second waits. A lock
 * whose owner is gone (the pid no longer exists) is taken over.
 */
export async function withLock<T>(dir: string, what: string, fn: () => Promise<T>, onWait: (owner: string) => void): Promise<T> {
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, '.lock');
  let told = false;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'owner'), `${process.pid} ${what}`);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = readOwner(lock);
      if (owner === undefined || !alive(owner.pid) || Date.now() - owner.since > LOCK_STALE_MS) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (!told) {
        onWait(owner.what);
        told = true;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function readOwner(lock: string): { pid: number; what: string; since: number } | undefined {
  try {
    const file = join(lock, 'owner');
    const [pid = '', ...what] = readFileSync(file, 'utf8').split(' ');
    return { pid: Number(pid), what: what.join(' '), since: statSync(file).mtimeMs };
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
