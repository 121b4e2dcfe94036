// Start-up bundles: the VMM's threads each load one file instead of ~200 modules.
//
// Node's ESM loader costs ~0.5 ms per module here (resolution, a file read, a compile), and
// `ngkvm run` loads the CLI's module graph on the main thread, then the machine thread's in a
// worker: ~250 ms before the guest's first instruction. Bundled with esbuild, each thread
// loads one file (measured in README "Start-up"). The bundles are made from tsc's output in
// dist/src (so tests and bundles run the same compiled code) into dist/bundle, keeping the
// relative layout the code relies on: host.js starts `./machine-worker.js` and
// `./virtio-backends/tap-reader.js` next to itself. bin/ngkvm.js uses a bundle only when it is
// newer than dist/src/tools/cli.js, so a `tsc` run after the last bundle falls back to dist/src.
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import vm from 'node:vm';

/** Entry (under dist/src) → bundle (under dist/bundle). */
export const BUNDLES = {
  'tools/cli.js': 'cli.js',
  'vmm/machine-worker.js': 'machine-worker.js',
  'vmm/machine-worker-cached.js': 'machine-worker-cached.js',
  'vmm/virtio-backends/tap-reader.js': 'virtio-backends/tap-reader.js',
};

/**
 * Bundles also written as classic scripts, for V8's code cache (src/sys/code-cache.ts): the
 * machine thread's, whose start is on the way to the guest's first instruction. The script
 * is the bundle as the body of `async function (__ngkvmRequire, __ngkvmModuleUrl)`: `node:`
 * imports become `__ngkvmRequire` calls and `import.meta.url` the URL of the module bundle
 * it stands in for, so paths found from it are the same.
 */
export const SCRIPT_BUNDLES = {
  'vmm/machine-worker.js': 'machine-worker.script.js',
};

const builtinsAsRequire = {
  name: 'node-builtins-as-require',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => (isBuiltin(args.path) ? { path: args.path, namespace: 'node-builtin' } : undefined));
    build.onLoad({ filter: /.*/, namespace: 'node-builtin' }, (args) => ({ contents: `module.exports = __ngkvmRequire(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
};

/** True when every bundle exists and is at least as new as tsc's output it was made from. */
export function bundlesFresh(root) {
  const dist = join(root, 'dist');
  return Object.entries(BUNDLES).every(([from, to]) => {
    const src = join(dist, 'src', from);
    const out = join(dist, 'bundle', to);
    return existsSync(out) && existsSync(src) && statSync(out).mtimeMs >= statSync(src).mtimeMs;
  });
}

/**
 * Writes the bundles; returns an error message, or undefined. Without esbuild (npm installed
 * without dev dependencies) there is nothing to do: bin/ngkvm.js runs dist/src directly.
 */
export async function writeBundles(root) {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    return undefined;
  }
  mkdirSync(join(root, 'dist', 'bundle'), { recursive: true });
  const common = {
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Class and function names appear in messages and stack traces.
    keepNames: true,
    logLevel: 'warning',
  };
  try {
    await esbuild.build({
      ...common,
      entryPoints: Object.entries(BUNDLES).map(([from, to]) => ({ in: join(root, 'dist', 'src', from), out: to.replace(/\.js$/, '') })),
      outdir: join(root, 'dist', 'bundle'),
    });
    for (const [from, to] of Object.entries(SCRIPT_BUNDLES)) {
      const out = join(root, 'dist', 'bundle', to);
      await esbuild.build({
        ...common,
        entryPoints: [join(root, 'dist', 'src', from)],
        outfile: out,
        plugins: [builtinsAsRequire],
        // One-byte source: read without UTF-8 decoding, and V8 scans it faster.
        charset: 'ascii',
        define: { 'import.meta.url': '__ngkvmModuleUrl' },
        banner: { js: '(async function (__ngkvmRequire, __ngkvmModuleUrl) {\n"use strict";' },
        footer: { js: '})' },
      });
      const problem = scriptProblem(readFileSync(out, 'utf8'));
      if (problem !== undefined) {
        rmSync(out, { force: true });
        return `${to}: ${problem}`;
      }
    }
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  return undefined;
}

/** Why a script bundle cannot run as a classic script (an import left, a syntax error), if it cannot. */
function scriptProblem(source) {
  try {
    new vm.Script(source);
  } catch (err) {
    return `not a valid script (${err instanceof Error ? err.message : String(err)})`;
  }
  // A dynamic import() in a vm.Script fails when called; every module must be in the bundle.
  if (/\bimport\s*\(/.test(source.replace(/(["'`])(?:\\.|(?!\1)[^\\])*\1/g, '""'))) return 'a dynamic import() is left in it';
  return undefined;
}
