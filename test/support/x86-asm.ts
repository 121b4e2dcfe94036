/**
 * Assembles small x86 test guests with the host's GNU as (binutils, present wherever gcc
 * is) into flat binaries, at test time. Each snippet is assembled once per process and
 * cached by its text.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cache = new Map<string, Uint8Array>();

/**
 * Flat binary of `source` (GNU as, Intel syntax not assumed), linked at `origin`. Use
 * `.code16` / `.code32` / `.code64` inside the source as needed.
 */
export function assemble(source: string, origin = 0): Uint8Array {
  const key = `${origin}\n${source}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const dir = mkdtempSync(join(tmpdir(), 'ngkvm-x86-'));
  try {
    writeFileSync(join(dir, 'g.s'), source + '\n');
    execFileSync('as', ['--64', '-o', join(dir, 'g.o'), join(dir, 'g.s')], { stdio: ['ignore', 'pipe', 'pipe'] });
    execFileSync('ld', ['-m', 'elf_x86_64', '-Ttext', `0x${origin.toString(16)}`, '-e', '0', '-o', join(dir, 'g.elf'), join(dir, 'g.o')], { stdio: ['ignore', 'pipe', 'pipe'] });
    execFileSync('objcopy', ['-O', 'binary', '-j', '.text', join(dir, 'g.elf'), join(dir, 'g.bin')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = new Uint8Array(readFileSync(join(dir, 'g.bin')));
    cache.set(key, out);
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
