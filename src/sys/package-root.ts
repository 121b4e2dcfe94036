/**
 * The repository's root directory, found from where this code runs. The same code runs from
 * dist/src/… (one file per module, as tsc writes it) and from dist/bundle/… (the start-up
 * bundles, one file per thread), so a fixed number of `..` from `import.meta.url` would be
 * right for one layout only: walk up to the package.json that names this package instead.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: { root: string; version: string } | undefined;

function find(): { root: string; version: string } {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'ngkvm') return { root: dir, version: pkg.version ?? '0.0.0' };
    }
    // Copied out of the clone: paths built on the root then name missing files, which the
    // callers report as such (a missing native addon, Linux sources) — not a crash at load.
    if (dirname(dir) === dir) return { root: join(start, '..', '..'), version: '0.0.0' };
  }
}

/** The directory holding ngkvm's package.json (the clone's root). */
export function packageRoot(): string {
  cached ??= find();
  return cached.root;
}

/** The version field of ngkvm's package.json. */
export function packageVersion(): string {
  cached ??= find();
  return cached.version;
}
