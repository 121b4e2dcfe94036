/**
 * The host's system calls that Node lacks (the sys layer: below the VMM and the accelerators,
 * which both use it: kvm for /dev/kvm, the VMM's tap backend for /dev/net/tun).
 *
 * Loads the native shim (native/kvm_shim.c, built by scripts/setup.mjs) and types it.
 * Every function returns a non-negative result or -errno; `check` turns the latter into a
 * typed error at the call site, which knows what the call meant.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { AcceleratorUnavailableError, type Errno } from '../api/errors.js';
import { packageRoot } from './package-root.js';

export interface KvmShim {
  open(path: string, flags: number): number;
  close(fd: number): number;
  dup(fd: number): number;
  /** Fixed-size structs only: the request's encoded size must fit the buffer (checked in C). */
  ioctl(fd: number, request: number, buf: ArrayBufferView | ArrayBuffer): number;
  /** Variable-length structs or structs carrying pointers: the caller vouches for the sizes. */
  ioctlUnchecked(fd: number, request: number, buf: ArrayBufferView | ArrayBuffer): number;
  /** Requests with no data direction (_IO): the argument is an integer. */
  ioctlInt(fd: number, request: number, arg: number): number;
  /**
   * One contiguous shared mapping, as ArrayBuffers of `chunk` bytes each (the last shorter;
   * default and at most 2^32: Node wraps no more in one buffer), or -errno.
   */
  mmap(fd: number, length: number, offset: number, chunk?: number): ArrayBuffer[] | number;
  /** Unmaps what one mmap() returned (all of its buffers; one buffer for a one-piece mapping) after detaching it. */
  munmap(buffers: readonly ArrayBuffer[] | ArrayBuffer): number;
  bufferAddress(buf: ArrayBufferView | ArrayBuffer): bigint;
  memfdCreate(name: string, flags: number): number;
  ftruncate(fd: number, size: number): number;
  eventfd(initval: number, flags: number): number;
  eventfdRead(fd: number): number;
  eventfdWrite(fd: number, value: number): number;
  pollIn(fd: number, timeoutMs: number): number;
  kickInit(): number;
  kickThread(tid: number): number;
  gettid(): number;
}

/** A mapping small enough for one ArrayBuffer (a vCPU's run area): the buffer, or -errno. */
export function mmapOne(shim: KvmShim, fd: number, length: number): ArrayBuffer | number {
  const r = shim.mmap(fd, length, 0);
  if (typeof r === 'number') return r;
  return r.length === 1 && r[0] !== undefined ? r[0] : -22 /* EINVAL: not one piece */;
}

export const O_RDWR = 2;
export const EFD_NONBLOCK = 0o4000;
export const MFD_ALLOW_SEALING = 2;

export const SHIM_PATH = join(packageRoot(), 'native', 'build', 'Release', 'kvm_shim.node');

let shim: KvmShim | undefined;

/** The shim, loaded once per thread (the addon is context-aware). */
export function loadShim(): KvmShim {
  if (shim !== undefined) return shim;
  if (process.platform !== 'linux') {
    throw new AcceleratorUnavailableError(`the kvm accelerator needs Linux; this host runs ${process.platform}`, 'ENODEV');
  }
  if (!existsSync(SHIM_PATH)) {
    throw new AcceleratorUnavailableError(
      `the kvm accelerator's native addon is not built (${SHIM_PATH} is missing); run \`npm run setup\` (node-gyp and gcc are needed)`,
      'ENODEV',
    );
  }
  try {
    shim = createRequire(import.meta.url)(SHIM_PATH) as KvmShim;
  } catch (cause) {
    throw new AcceleratorUnavailableError(`cannot load ${SHIM_PATH}; rebuild it with \`npm run setup\``, 'ENODEV', { cause });
  }
  return shim;
}

/** The negative errnos the accelerator tells apart (the shim returns -errno). */
export const NEG_ERRNO = {
  ESRCH: -3,
  EINTR: -4,
  E2BIG: -7,
  EAGAIN: -11,
  EFAULT: -14,
} as const;

const ERRNO_NAMES: Readonly<Record<number, string>> = {
  1: 'EPERM', 2: 'ENOENT', 3: 'ESRCH', 4: 'EINTR', 5: 'EIO', 7: 'E2BIG', 9: 'EBADF', 11: 'EAGAIN', 12: 'ENOMEM',
  13: 'EACCES', 14: 'EFAULT', 16: 'EBUSY', 17: 'EEXIST', 19: 'ENODEV', 22: 'EINVAL', 24: 'EMFILE', 25: 'ENOTTY',
  6: 'ENXIO', 28: 'ENOSPC', 95: 'EOPNOTSUPP',
};

export function errnoName(negErrno: number): string {
  return ERRNO_NAMES[-negErrno] ?? `errno ${-negErrno}`;
}

/** Maps a raw errno to the API's smaller errno vocabulary. */
export function apiErrno(negErrno: number): Errno {
  const n = errnoName(negErrno);
  switch (n) {
    case 'EPERM': case 'EACCES': case 'EEXIST': case 'ENOENT': case 'EBUSY': case 'ENODEV': case 'E2BIG':
    case 'EFAULT': case 'ENOMEM': case 'EIO': case 'EINVAL':
      return n;
    case 'ENOTTY': case 'EOPNOTSUPP':
      return 'ENOTSUP';
    default:
      return 'EIO';
  }
}
