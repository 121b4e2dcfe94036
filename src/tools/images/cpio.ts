/**
 * A cpio archive in the "newc" format the Linux initramfs takes, built from a list of
 * entries, so an initramfs can hold device nodes and root-owned files without the builder
 * being root (and comes out byte-identical for the same inputs: fixed mtimes and inodes).
 */

export type CpioEntry =
  | { readonly kind: 'dir'; readonly path: string; readonly mode: number }
  | { readonly kind: 'file'; readonly path: string; readonly mode: number; readonly data: Uint8Array }
  | { readonly kind: 'symlink'; readonly path: string; readonly target: string }
  | { readonly kind: 'char'; readonly path: string; readonly mode: number; readonly major: number; readonly minor: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

const hex8 = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');

/** Serialises `entries` (parents before children) and the trailer. */
export function buildCpio(entries: readonly CpioEntry[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  let length = 0;
  const push = (b: Uint8Array): void => {
    chunks.push(b);
    length += b.length;
  };
  const pad = (): void => {
    const n = (4 - (length % 4)) % 4;
    if (n > 0) push(new Uint8Array(n));
  };
  const enc = new TextEncoder();
  let ino = 1;
  const header = (name: string, mode: number, size: number, nlink: number, rdev: [number, number]): void => {
    const nameBytes = enc.encode(`${name}\0`);
    const fields = [ino++, mode, 0, 0, nlink, 0, size, 0, 0, rdev[0], rdev[1], nameBytes.length, 0];
    push(enc.encode(`070701${fields.map(hex8).join('')}`));
    push(nameBytes);
    pad();
  };
  for (const e of entries) {
    const name = e.path.replace(/^\/+/, '');
    if (name === '' || name.split('/').includes('..')) throw new Error(`cpio: bad path ${JSON.stringify(e.path)}`);
    switch (e.kind) {
      case 'dir':
        header(name, S_IFDIR | (e.mode & 0o7777), 0, 2, [0, 0]);
        break;
      case 'file':
        header(name, S_IFREG | (e.mode & 0o7777), e.data.length, 1, [0, 0]);
        push(e.data);
        pad();
        break;
      case 'symlink': {
        const target = enc.encode(e.target);
        header(name, S_IFLNK | 0o777, target.length, 1, [0, 0]);
        push(target);
        pad();
        break;
      }
      case 'char':
        header(name, S_IFCHR | (e.mode & 0o7777), 0, 1, [e.major, e.minor]);
        break;
    }
  }
  ino = 0;
  header('TRAILER!!!', 0, 0, 1, [0, 0]);
  const out = new Uint8Array(length);
  let p = 0;
  for (const c of chunks) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}
