/** ngkvm's version, from package.json (for `ngkvm version`, the monitor's greeting and `info version`). */
import { readFileSync } from 'node:fs';

let cached: string | undefined;

export function ngkvmVersion(): string {
  // Compiled to dist/src/vmm: the package root is three levels up.
  cached ??= (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return cached;
}
