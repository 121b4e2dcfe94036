/** ngkvm's version, from package.json (for `ngkvm version`, the monitor's greeting and `info version`). */
import { packageVersion } from '../sys/package-root.js';

export function ngkvmVersion(): string {
  return packageVersion();
}
