#!/usr/bin/env node
// `npm run web`: bundles web/ (the page and its machine worker, with the API, the e500
// accelerator, the devices and the ppce500 board) into dist/web and serves it on 127.0.0.1.
// The page needs SharedArrayBuffer (the console rings, the kick word), which a browser gives
// only to a cross-origin isolated page: hence COOP/COEP on every response.
//
//   node scripts/web.mjs [--port N] [--build-only]      (port 0 picks a free one)
//
// When `npm run linux:build` has built the Linux images, it serves them too (/linux/…), and
// /linux/available says so: the page enables its Linux choice from that.
//
// It prints `ngkvm web: http://127.0.0.1:PORT/` once listening.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(root, 'dist', 'web');
const UBOOT_ELF = '/usr/lib/u-boot/qemu-ppce500/uboot.elf';

export async function buildWeb() {
  await build({
    entryPoints: [join(root, 'web', 'page.ts'), join(root, 'web', 'worker.ts')],
    outdir: OUT,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    sourcemap: true,
    logLevel: 'warning',
    plugins: [
      {
        // The API loads accelerators and Node's thread module only dynamically, and does
        // without them in a browser: the kvm accelerator (/dev/kvm, a native addon) and
        // node:worker_threads stay out of the bundle. Any other Node import is an error: the
        // layers the page runs must not need Node.
        name: 'node-only',
        setup(b) {
          b.onResolve({ filter: /\/accel\/kvm\// }, (a) => ({ path: a.path, external: true }));
          b.onResolve({ filter: /^node:/ }, (a) =>
            a.path === 'node:worker_threads' && a.importer.endsWith(join('src', 'api', 'threads.ts'))
              ? { path: a.path, external: true }
              : { errors: [{ text: `${a.path} is Node-only and cannot be in the page (imported by ${a.importer})` }] },
          );
        },
      },
    ],
  });
}

/**
 * The cached Linux images (src/tools/images/linux.ts), or null when not built. Looked up per
 * request, so a build finished while the server runs is picked up; the lookup is in the
 * TypeScript build, which `npm run web` runs first.
 */
async function linuxImages() {
  try {
    const { findLinuxImages } = await import('../dist/src/tools/images/linux.js');
    return findLinuxImages() ?? null;
  } catch {
    return null;
  }
}

/** /linux/e500v2/vmlinux, /linux/e500mc/vmlinux, /linux/initramfs.cpio.gz → the cached file. */
function linuxFile(images, rest) {
  if (rest === 'initramfs.cpio.gz') return images.initramfs;
  const m = /^(e500v2|e500mc)\/vmlinux$/.exec(rest);
  return m !== null ? images.kernels[m[1]].vmlinux : null;
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json', '.elf': 'application/octet-stream', '.png': 'image/png' };

/** URL path → file: the page's own files, the bundle, xterm's stylesheet, U-Boot, the built guests, Linux. */
async function resolve(path) {
  if (path.startsWith('/linux/')) {
    const images = await linuxImages();
    return images === null ? null : linuxFile(images, path.slice('/linux/'.length));
  }
  if (path === '/' || path === '/index.html') return join(root, 'web', 'index.html');
  if (path === '/style.css') return join(root, 'web', 'style.css');
  if (path === '/xterm.css') return join(root, 'node_modules', '@xterm', 'xterm', 'css', 'xterm.css');
  if (path === '/uboot.elf') return UBOOT_ELF;
  const under = (dir, rest) => {
    const file = normalize(join(dir, rest));
    return file.startsWith(dir + sep) ? file : null;
  };
  if (path.startsWith('/guests/')) return under(join(root, 'guests', 'build'), path.slice('/guests/'.length));
  return under(OUT, path.slice(1));
}

export function serve(port) {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cache-Control': 'no-store',
    };
    if (path === '/linux/available') {
      const images = await linuxImages();
      res.writeHead(images !== null ? 200 : 404, { ...headers, 'Content-Type': 'text/plain' });
      res.end(images !== null ? 'yes\n' : 'the Linux images are not built: run "npm run linux:build"\n');
      return;
    }
    const file = await resolve(path);
    try {
      if (file === null) throw new Error('outside');
      const body = await readFile(file);
      res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' });
      res.end(`not found: ${path}\n`);
    }
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => ok(server));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--port');
  const port = at >= 0 ? Number(args[at + 1]) : 8500;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`ngkvm web: --port takes a port number, not ${JSON.stringify(args[at + 1])}`);
    process.exit(2);
  }
  try {
    await buildWeb();
  } catch (err) {
    console.error(`ngkvm web: the bundle did not build: ${err.message}`);
    process.exit(1);
  }
  if (args.includes('--build-only')) process.exit(0);
  const server = await serve(port).catch((err) => {
    console.error(`ngkvm web: cannot listen on 127.0.0.1:${port}: ${err.message}`);
    process.exit(1);
  });
  console.log(`ngkvm web: http://127.0.0.1:${server.address().port}/`);
}
