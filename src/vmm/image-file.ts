/**
 * Reading a guest image (--bios, --kernel, --initrd) from the host, with every check made
 * before the bytes are read: the path must name a regular file (a FIFO would block, a
 * character device such as /dev/zero never ends), and its size is compared with the guest's
 * RAM and with what ngkvm reads at all. Of an ELF only the headers and the segments' file
 * parts are read (debug information can be larger than RAM), of a uImage the header and the
 * payload it announces. The image's format is still checked by the board's loaders; this only
 * makes sure a hostile or mistaken path costs no more than a look at its first bytes.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import type { BootImage } from '../boards/board.js';
import { BoardError } from '../boards/errors.js';
import { elfFileSpan } from '../boards/loaders/elf.js';
import { uImageFileSpan } from '../boards/loaders/uimage.js';

/** The largest image ngkvm reads (Node reads files in pieces below 2 GiB; so does this). */
export const MAX_IMAGE_BYTES = 2 ** 31 - 1;

export type ImageKind = 'firmware' | 'kernel' | 'initrd';


/** Sizes as people read them: 128 MiB, 1.9 GiB, 4000 bytes. */
export function formatBytes(n: number): string {
  const units: [number, string][] = [
    [2 ** 40, 'TiB'],
    [2 ** 30, 'GiB'],
    [2 ** 20, 'MiB'],
    [2 ** 10, 'KiB'],
  ];
  for (const [size, unit] of units) {
    if (n >= size) {
      const v = n / size;
      return `${Number.isInteger(v) ? v : v.toFixed(1)} ${unit}`;
    }
  }
  return `${n} bytes`;
}

function fileKind(st: Stats): string {
  if (st.isDirectory()) return 'is a directory';
  if (st.isCharacterDevice()) return 'is a character device, not a regular file';
  if (st.isBlockDevice()) return 'is a block device, not a regular file';
  if (st.isFIFO()) return 'is a FIFO (named pipe), not a regular file';
  if (st.isSocket()) return 'is a socket, not a regular file';
  return 'is not a regular file';
}

function openError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'a component of the path is not a directory';
    case 'ELOOP':
      return 'too many symbolic links';
    case 'ENAMETOOLONG':
      return 'the path is too long';
    default:
      return code ?? (err instanceof Error ? err.message : String(err));
  }
}

/**
 * Reads the image at `path` for a guest with `ramSize` bytes of RAM. `use` says what the
 * board does with it: `loader` parses it (an ELF or a uImage is then read only as far as its
 * segments), `raw` copies the whole file into guest memory (an initrd, or a kernel that
 * firmware boots). Throws BoardError (ERR_IMAGE_READ: cannot be read or is not a file;
 * ERR_RAM_SIZE: larger than RAM) with a message naming the file; nothing is read before the
 * checks pass.
 */
export function readBootImage(path: string, kind: ImageKind, ramSize: number, use: 'loader' | 'raw'): BootImage {
  const cannot = (why: string): never => {
    throw new BoardError('ERR_IMAGE_READ', `cannot read ${kind} "${path}": ${why}`);
  };
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; it has no effect on files.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    return cannot(openError(err));
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return cannot(fileKind(st));
    const size = st.size;
    const read = (offset: number, length: number): Uint8Array => {
      const n = Math.max(0, Math.min(length, size - offset));
      const out = new Uint8Array(n);
      let done = 0;
      while (done < n) {
        const got = readSync(fd, out, done, Math.min(n - done, 1 << 30), offset + done);
        if (got === 0) break; // the file shrank while we read it
        done += got;
      }
      return done === n ? out : out.subarray(0, done);
    };
    // What the loaders will use of the file, and how much of that goes into guest RAM.
    const span = use === 'raw' ? undefined : (elfFileSpan(read) ?? uImageFileSpan(read(0, 64)));
    const needed = Math.min(size, span?.needed ?? size);
    const loaded = span?.loaded ?? size;
    if (loaded > ramSize) {
      const what = span === undefined ? `is ${formatBytes(size)}` : `has ${formatBytes(loaded)} to load`;
      throw new BoardError('ERR_RAM_SIZE', `${kind} "${path}" ${what}, more than the guest's ${formatBytes(ramSize)} of RAM; use a larger -m`);
    }
    if (needed > MAX_IMAGE_BYTES) {
      return cannot(`ngkvm reads images of at most 2 GiB, and this one ${span === undefined ? 'is' : 'needs'} ${formatBytes(needed)}`);
    }
    return { name: path, bytes: read(0, needed) };
  } catch (err) {
    if (err instanceof BoardError) throw err;
    return cannot(openError(err));
  } finally {
    closeSync(fd);
  }
}
