/**
 * Where ngkvm keeps what it builds or learns outside the clone: `$XDG_CACHE_HOME/ngkvm`, else
 * `~/.cache/ngkvm`. Guest images (tools/images) and the V8 code caches of the start-up
 * bundles (code-cache.ts) live there, shared by every clone, `npm start`, the tests and CI.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function cacheRoot(): string {
  const xdg = process.env['XDG_CACHE_HOME'];
  return join(xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.cache'), 'ngkvm');
}
