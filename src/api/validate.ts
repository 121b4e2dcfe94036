/**
 * Argument checks for the API's entry points, shared by every accelerator (checked.ts calls
 * them before a call reaches an accelerator). A wrong type is an ArgumentTypeError, a value
 * outside what the call takes an ArgumentRangeError; both are InvalidArgumentErrors with a
 * stable code, and the message names the call and the argument.
 */
import { ArgumentRangeError, ArgumentTypeError } from './errors.js';

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'no prototype'})`;
  if (typeof value === 'function') return 'a function';
  return String(value);
}

function typeError(what: string, want: string, value: unknown): ArgumentTypeError {
  return new ArgumentTypeError(`${what} must be ${want}, not ${describe(value)}`);
}

/** A plain object (not null, not an array). */
export function checkObject(what: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw typeError(what, 'an object', value);
  return value as Record<string, unknown>;
}

/** undefined, or a plain object. */
export function checkOptionalObject(what: string, value: unknown): Record<string, unknown> | undefined {
  return value === undefined ? undefined : checkObject(what, value);
}

export function checkArray(what: string, value: unknown): readonly unknown[] {
  if (!Array.isArray(value)) throw typeError(what, 'an array', value);
  return value;
}

export function checkString(what: string, value: unknown): string {
  if (typeof value !== 'string') throw typeError(what, 'a string', value);
  return value;
}

export function checkOptionalString(what: string, value: unknown): string | undefined {
  return value === undefined ? undefined : checkString(what, value);
}

export function checkBoolean(what: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw typeError(what, 'true or false', value);
  return value;
}

export function checkOptionalBoolean(what: string, value: unknown): boolean | undefined {
  return value === undefined ? undefined : checkBoolean(what, value);
}

export function checkBigint(what: string, value: unknown): bigint {
  if (typeof value !== 'bigint') throw typeError(what, 'a bigint', value);
  return value;
}

/** An integer in [min, max] (safe integers only). */
export function checkInteger(what: string, value: unknown, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number') throw typeError(what, 'a number', value);
  if (!Number.isSafeInteger(value)) throw new ArgumentRangeError(`${what} must be an integer below 2^53, not ${describe(value)}`);
  if (value < min || value > max) throw new ArgumentRangeError(`${what} ${value} is outside ${min}..${max}`);
  return value;
}

/** A finite number in [min, max]. */
export function checkFinite(what: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number') throw typeError(what, 'a number', value);
  if (!Number.isFinite(value) || value < min || value > max) throw new ArgumentRangeError(`${what} ${describe(value)} is outside ${min}..${max}`);
  return value;
}

/** One of `choices`. */
export function checkChoice<T extends string>(what: string, value: unknown, choices: readonly T[]): T {
  if (typeof value !== 'string') throw typeError(what, `one of ${choices.join(', ')}`, value);
  if (!(choices as readonly string[]).includes(value)) throw new ArgumentRangeError(`${what} ${describe(value)} is not one of ${choices.join(', ')}`);
  return value as T;
}

/** A Uint8Array (the byte buffers guest memory and TLB bitmaps take). */
export function checkBytes(what: string, value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) throw typeError(what, 'a Uint8Array', value);
  return value;
}

/**
 * Memory the caller shares with the accelerator for a long time (a Book E TLB array): an
 * ArrayBuffer or SharedArrayBuffer whose length cannot change under the accelerator, so a
 * resizable ArrayBuffer or a growable SharedArrayBuffer is refused.
 */
export function checkFixedBuffer(what: string, value: unknown): ArrayBuffer | SharedArrayBuffer {
  const shared = typeof SharedArrayBuffer === 'function' && value instanceof SharedArrayBuffer;
  if (!(value instanceof ArrayBuffer) && !shared) throw typeError(what, 'an ArrayBuffer or SharedArrayBuffer', value);
  const flags = value as { resizable?: boolean; growable?: boolean };
  if (flags.resizable === true || flags.growable === true) {
    throw new ArgumentRangeError(
      `${what} is a ${shared ? 'growable SharedArrayBuffer' : 'resizable ArrayBuffer'}: the accelerator keeps using it, so its length must not change (resizing it would silently change what it holds)`,
    );
  }
  return value as ArrayBuffer | SharedArrayBuffer;
}

/** An iterable (the register batches setRegisters takes). */
export function checkIterable(what: string, value: unknown): Iterable<unknown> {
  if (typeof value !== 'object' || value === null || typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function') {
    throw typeError(what, 'an iterable', value);
  }
  return value as Iterable<unknown>;
}
