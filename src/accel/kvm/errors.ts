/** The kvm accelerator's error for a failed system call, and the check that raises it. */
import { HypervisorError, type Errno } from '../../api/errors.js';
import { apiErrno, errnoName } from '../../sys/native.js';

/** A failed KVM system call; the message says what was attempted, `rawErrno` what the kernel said. */
export class KvmCallError extends HypervisorError {
  readonly code = 'ERR_KVM_CALL';
  readonly errno: Errno;
  readonly rawErrno: string;
  constructor(message: string, negErrno: number, options?: { cause?: unknown }) {
    super(`${message}: ${errnoName(negErrno)}`, options);
    this.errno = apiErrno(negErrno);
    this.rawErrno = errnoName(negErrno);
  }
}

/** Throws a KvmCallError for a negative result; returns non-negative results. */
export function check(r: number, what: string): number {
  if (r < 0) throw new KvmCallError(what, r);
  return r;
}
