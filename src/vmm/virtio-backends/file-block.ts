/**
 * A raw disk image file as a virtio-blk backend (machine thread, synchronous I/O, as QEMU's
 * `aio=threads` without the threads). Reads and writes use pread/pwrite at the guest's
 * offsets, which the device has checked against the image size; FLUSH is fdatasync.
 * Discard and write-zeroes write zeros (Node has no fallocate, so no hole is punched: the
 * file keeps its allocated size; reads of the range return zeros either way).
 *
 * Only raw images: a qcow2 (or other known container) file is refused with a message that
 * says how to convert it, since treating its metadata as disk contents would corrupt it.
 */
import { closeSync, fdatasyncSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { BoardError } from '../../boards/errors.js';
import type { BlockBackend } from '../../devices/virtio/backends.js';

/** Magic numbers of image formats that are not raw, with how to name them. */
const CONTAINER_FORMATS: readonly { magic: Uint8Array; format: string; qemuImg: string }[] = [
  { magic: Uint8Array.of(0x51, 0x46, 0x49, 0xfb), format: 'qcow2', qemuImg: 'qcow2' },
  { magic: new TextEncoder().encode('KDMV'), format: 'VMDK', qemuImg: 'vmdk' },
  { magic: new TextEncoder().encode('vhdxfile'), format: 'VHDX', qemuImg: 'vhdx' },
  { magic: new TextEncoder().encode('QED\0'), format: 'QED', qemuImg: 'qed' },
];
const ZERO_CHUNK = 1024 * 1024;

export class FileBlockBackend implements BlockBackend {
  readonly size: number;
  readonly readOnly: boolean;
  private readonly fd: number;
  private zeros: Uint8Array | undefined;

  private constructor(fd: number, size: number, readOnly: boolean, readonly path: string) {
    this.fd = fd;
    this.size = size;
    this.readOnly = readOnly;
  }

  /** Opens `path` (read-write unless `readOnly`); user mistakes are BoardErrors with one clear line. */
  static open(path: string, readOnly: boolean): FileBlockBackend {
    let fd: number;
    try {
      fd = openSync(path, readOnly ? 'r' : 'r+');
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      const why =
        code === 'ENOENT' ? 'no such file' : code === 'EACCES' || code === 'EPERM' ? `permission denied${readOnly ? '' : ' (add readonly=on to use it read-only)'}` : code === 'EISDIR' ? 'is a directory' : code === 'EROFS' ? 'read-only file system (add readonly=on)' : String(cause);
      throw new BoardError('ERR_DISK_IMAGE', `cannot open disk image "${path}": ${why}`, { cause });
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile() && !st.isBlockDevice()) throw new BoardError('ERR_DISK_IMAGE', `disk image "${path}" is not a regular file or block device`);
      const head = new Uint8Array(8);
      const n = readSync(fd, head, 0, head.length, 0);
      for (const f of CONTAINER_FORMATS) {
        if (n >= f.magic.length && f.magic.every((b, i) => head[i] === b)) {
          throw new BoardError(
            'ERR_DISK_IMAGE',
            `disk image "${path}" is a ${f.format} file; ngkvm reads raw images only (format=raw). Convert it: qemu-img convert -f ${f.qemuImg} -O raw "${path}" disk.raw`,
          );
        }
      }
      if (st.size < 512) throw new BoardError('ERR_DISK_IMAGE', `disk image "${path}" has ${st.size} bytes; a disk needs at least one 512-byte sector`);
      return new FileBlockBackend(fd, st.size, readOnly, path);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  read(offset: number, dst: Uint8Array): void {
    let done = 0;
    while (done < dst.length) {
      const n = readSync(this.fd, dst, done, dst.length - done, offset + done);
      if (n === 0) {
        // The file shrank under us: what is past its end reads as zeros.
        dst.fill(0, done);
        return;
      }
      done += n;
    }
  }

  write(offset: number, src: Uint8Array): void {
    if (this.readOnly) throw new Error('the image is read-only');
    let done = 0;
    while (done < src.length) done += writeSync(this.fd, src, done, src.length - done, offset + done);
  }

  flush(): void {
    if (!this.readOnly) fdatasyncSync(this.fd);
  }

  discard(offset: number, length: number): void {
    this.writeZeroes(offset, length);
  }

  writeZeroes(offset: number, length: number): void {
    this.zeros ??= new Uint8Array(ZERO_CHUNK);
    for (let done = 0; done < length; ) {
      const n = Math.min(ZERO_CHUNK, length - done);
      this.write(offset + done, this.zeros.subarray(0, n));
      done += n;
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}
