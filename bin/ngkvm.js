#!/usr/bin/env node
// Entry point of the `ngkvm` command. The TypeScript sources are compiled to dist/src by
// `npm run build` (which `npm start` and `npm test` run for you); setup also bundles each of
// the VMM's threads into one file under dist/bundle (scripts/bundle.mjs), which starts faster.
// A bundle older than tsc's output (someone ran `tsc` since) is not used.
import { existsSync, statSync } from 'node:fs';

const dist = new URL('../dist/', import.meta.url);
const compiled = { cli: new URL('src/tools/cli.js', dist), worker: new URL('src/vmm/machine-worker.js', dist) };
const bundled = { cli: new URL('bundle/cli.js', dist), worker: new URL('bundle/machine-worker.js', dist) };
// The machine thread's bundle as a script too, run with V8's code cache (src/sys/code-cache.ts).
const cached = { loader: new URL('bundle/machine-worker-cached.js', dist), script: new URL('bundle/machine-worker.script.js', dist) };
if (!existsSync(compiled.cli)) {
  process.stderr.write('ngkvm: not built yet; run "npm run build" (or "npm start") in the repository first\n');
  process.exit(1);
}
const fresh = (url) => existsSync(url) && statSync(url).mtimeMs >= statSync(compiled.cli).mtimeMs;
const code = process.env.NGKVM_NO_BUNDLE !== '1' && fresh(bundled.cli) && fresh(bundled.worker) ? bundled : compiled;
const worker = code === bundled && fresh(cached.loader) && fresh(cached.script) ? cached.loader : code.worker;
const argv = process.argv.slice(2);
// A machine's thread loads while this one loads the CLI (src/vmm/machine-thread.ts).
let machineThread;
if (argv[0] === 'run' || argv[0] === 'linux') {
  const { MachineThread } = await import(new URL('src/vmm/machine-thread.js', dist).href);
  machineThread = new MachineThread(worker);
}
const { main } = await import(code.cli.href);
process.exitCode = await main(argv, { machineThread });
