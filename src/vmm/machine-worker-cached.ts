/**
 * The machine thread's entry when setup wrote the script form of its bundle (bin/ngkvm.js
 * starts this one then): runs dist/bundle/machine-worker.script.js with V8's code cache
 * (sys/code-cache.ts), standing in for dist/bundle/machine-worker.js next to it.
 * NGKVM_CODE_CACHE_LOG=1 reports on stderr whether the cache was used and when it is saved.
 */
import { fileURLToPath } from 'node:url';
import { CachedScript, registerCodeCacheSaver } from '../sys/code-cache.js';

const report = process.env['NGKVM_CODE_CACHE_LOG'] === '1' ? (line: string): void => void process.stderr.write(`ngkvm: machine thread code cache: ${line}\n`) : (): void => {};
const script = new CachedScript(fileURLToPath(new URL('./machine-worker.script.js', import.meta.url)));
report(script.status);
registerCodeCacheSaver(() => {
  const outcome = script.save();
  if (outcome === 'saved' || outcome === 'failed') report(outcome);
});
await script.run(new URL('./machine-worker.js', import.meta.url));
