/**
 * Typed errors of the hypervisor API.
 *
 * Every failure kind is its own small class with a stable `code` (for programs) and an
 * errno-like `errno` (for people who know the KVM API). Messages are written to be read by
 * the person who made the call: they name the argument and say what would have been valid.
 * Raw numeric errnos only exist at the native boundary of the kvm accelerator.
 */

export type Errno =
  | 'EINVAL'
  | 'EEXIST'
  | 'ENOENT'
  | 'ENOTSUP'
  | 'EBUSY'
  | 'EPERM'
  | 'EACCES'
  | 'ENODEV'
  | 'E2BIG'
  | 'EFAULT'
  | 'ENOMEM'
  | 'EIO';

export abstract class HypervisorError extends Error {
  abstract readonly code: string;
  abstract readonly errno: Errno;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An argument has the wrong type, range or shape. */
export class InvalidArgumentError extends HypervisorError {
  readonly code: string = 'ERR_INVALID_ARGUMENT';
  readonly errno = 'EINVAL';
}

/** An argument is not of the type the call takes (a number for a bigint id, null for an object, …). */
export class ArgumentTypeError extends InvalidArgumentError {
  override readonly code = 'ERR_INVALID_ARGUMENT_TYPE';
}

/** An argument has the right type but a value outside what the call accepts. */
export class ArgumentRangeError extends InvalidArgumentError {
  override readonly code = 'ERR_ARGUMENT_OUT_OF_RANGE';
}

/** The accelerator (or this host) does not implement the requested feature. */
export class UnsupportedError extends HypervisorError {
  readonly code = 'ERR_UNSUPPORTED';
  readonly errno = 'ENOTSUP';
}

/** The accelerator cannot be used here (no device node, no permission, wrong host). */
export class AcceleratorUnavailableError extends HypervisorError {
  readonly code = 'ERR_ACCELERATOR_UNAVAILABLE';
  readonly errno: Errno;
  constructor(message: string, errno: Errno = 'ENODEV', options?: { cause?: unknown }) {
    super(message, options);
    this.errno = errno;
  }
}

/** Base of everything `setMemoryMap` can reject; the map in force is left unchanged. */
export abstract class MemoryMapError extends HypervisorError {
  readonly errno: Errno = 'EINVAL';
}

export class RegionOverlapError extends MemoryMapError {
  readonly code = 'ERR_REGION_OVERLAP';
  override readonly errno = 'EEXIST';
}

export class RegionAlignmentError extends MemoryMapError {
  readonly code = 'ERR_REGION_ALIGNMENT';
}

export class EmptyRegionError extends MemoryMapError {
  readonly code = 'ERR_REGION_EMPTY';
}

export class UnknownBackingError extends MemoryMapError {
  readonly code = 'ERR_UNKNOWN_BACKING';
}

export class BackingRangeError extends MemoryMapError {
  readonly code = 'ERR_BACKING_RANGE';
  override readonly errno = 'EFAULT';
}

/** The requested CPU model cannot be provided by this accelerator. */
export class UnsupportedTargetError extends HypervisorError {
  readonly code = 'ERR_UNSUPPORTED_TARGET';
  readonly errno = 'ENOTSUP';
}

/** A requested CPU feature is unknown or not available for the target. */
export class UnsupportedFeatureError extends HypervisorError {
  readonly code = 'ERR_UNSUPPORTED_FEATURE';
  readonly errno = 'ENOTSUP';
}

export class VcpuExistsError extends HypervisorError {
  readonly code = 'ERR_VCPU_EXISTS';
  readonly errno = 'EEXIST';
}

export class UnknownRegisterError extends HypervisorError {
  readonly code = 'ERR_UNKNOWN_REGISTER';
  readonly errno = 'ENOENT';
}

export class RegisterSizeError extends HypervisorError {
  readonly code = 'ERR_REGISTER_SIZE';
  readonly errno = 'EINVAL';
}

export class ReadOnlyRegisterError extends HypervisorError {
  readonly code = 'ERR_REGISTER_READ_ONLY';
  readonly errno = 'EPERM';
}

/** A vCPU handle was used from a thread other than the one it is bound to. */
export class WrongThreadError extends HypervisorError {
  readonly code = 'ERR_WRONG_THREAD';
  readonly errno = 'EPERM';
}

/** The object is in a state where the call is not allowed (e.g. configuring a running vCPU). */
export class BusyError extends HypervisorError {
  readonly code = 'ERR_BUSY';
  readonly errno = 'EBUSY';
}

/** The handle was closed; nothing can be done with it any more. */
export class ClosedError extends HypervisorError {
  readonly code = 'ERR_CLOSED';
  readonly errno = 'EINVAL';
}

/** A guest-physical access hit no memory region (VMM-side accesses only; the guest gets MMIO exits). */
export class UnmappedAddressError extends HypervisorError {
  readonly code = 'ERR_UNMAPPED_ADDRESS';
  readonly errno = 'EFAULT';
}

/** Formats numbers in messages the way hypervisor people read them. */
export function hex(value: number | bigint, width = 0): string {
  const digits = value.toString(16);
  return '0x' + (width > digits.length ? '0'.repeat(width - digits.length) + digits : digits);
}
