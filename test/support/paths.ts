/** Locations used by the tests, relative to the repository root (tests run from dist/). */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/test/support → repository root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const CLI = join(ROOT, 'bin', 'ngkvm.js');
export const GUESTS = join(ROOT, 'guests');
export const GUEST_BUILD = join(GUESTS, 'build');
export const CPUS = ['e500v2', 'e500mc'] as const;
export type GuestCpu = (typeof CPUS)[number];

/** ELF files directly in a directory, sorted by name. */
export function elfsIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.elf'))
    .sort()
    .map((f) => join(dir, f));
}
