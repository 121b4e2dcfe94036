/**
 * Tag/value vCPU state: a register is named by an id that encodes architecture, size, set
 * and number, in the bit layout of KVM's ONE_REG ids, so ids that exist upstream are the
 * same numbers here:
 *
 *   bits 63..56  architecture (KVM_REG_PPC = 0x10, KVM_REG_X86 = 0x20)
 *   bits 55..52  log2 of the size in bytes (KVM_REG_SIZE_*)
 *   bits 31..16  register set; 0 = the upstream KVM id space of that architecture
 *   bits 15..0   number within the set
 *
 * Sets other than 0 are ngkvm's own for state upstream reaches through struct ioctls
 * (GPRs, PC, CR, …) and for SPRs without an upstream id. Values are bigints so that one
 * call can carry 32-, 64- and 128-bit registers without loss.
 */
import { InvalidArgumentError, ReadOnlyRegisterError, RegisterSizeError, UnknownRegisterError, hex } from './errors.js';

declare const registerIdBrand: unique symbol;
export type RegisterId = bigint & { readonly [registerIdBrand]: true };

export const REG_ARCH_PPC = 0x10n;
export const REG_ARCH_X86 = 0x20n;

export type RegisterSize = 1 | 2 | 4 | 8 | 16 | 32 | 64 | 128 | 256;

export function regId(arch: bigint, size: RegisterSize, set: number, number: number): RegisterId {
  if (!Number.isInteger(set) || set < 0 || set > 0xffff) {
    throw new InvalidArgumentError(`register set ${set} is outside 0..0xffff`);
  }
  if (!Number.isInteger(number) || number < 0 || number > 0xffff) {
    throw new InvalidArgumentError(`register number ${number} is outside 0..0xffff`);
  }
  const log2 = BigInt(Math.log2(size));
  return ((arch << 56n) | (log2 << 52n) | (BigInt(set) << 16n) | BigInt(number)) as RegisterId;
}

/** Accepts an id written as a number literal of an upstream header (e.g. from a test) or a bigint. */
export function asRegisterId(value: bigint): RegisterId {
  if (value < 0n || value >= 1n << 64n) {
    throw new InvalidArgumentError(`register id ${value} is not a 64-bit value`);
  }
  return value as RegisterId;
}

export function regArch(id: RegisterId): bigint {
  return (id >> 56n) & 0xffn;
}

export function regSize(id: RegisterId): number {
  return 1 << Number((id >> 52n) & 0xfn);
}

export function regSet(id: RegisterId): number {
  return Number((id >> 16n) & 0xffffn);
}

export function regNumber(id: RegisterId): number {
  return Number(id & 0xffffn);
}

export function formatRegisterId(id: RegisterId): string {
  return hex(id, 16);
}

/**
 * Who may change a register: both guest and host, neither (identification registers fixed by
 * the vCPU's target), or only the host (the guest sees a constant the VMM chose).
 */
export type RegisterAccess = 'read-write' | 'read-only' | 'guest-read-only';

export interface RegisterDescriptor {
  readonly id: RegisterId;
  /** Conventional name (`r3`, `msr`, `srr0`, `rip`, …), lower case. */
  readonly name: string;
  readonly size: number;
  readonly access: RegisterAccess;
}

/** Checks that `value` fits the register; used by every accelerator before it writes. */
export function checkRegisterValue(desc: RegisterDescriptor, value: bigint): void {
  if (typeof value !== 'bigint') {
    throw new InvalidArgumentError(`value for register ${desc.name} must be a bigint, got ${typeof value}`);
  }
  const bits = BigInt(desc.size * 8);
  if (value < 0n || value >= 1n << bits) {
    throw new RegisterSizeError(
      `value ${hex(value)} does not fit the ${desc.size * 8}-bit register ${desc.name} (unsigned, 0..${hex((1n << bits) - 1n)})`,
    );
  }
}

/**
 * A vCPU's registers by id, with what every accelerator does the same way before it touches
 * its own state: finding an id (an id that names a register with another size is a
 * RegisterSizeError, any other unknown id an UnknownRegisterError) and checking a batch write
 * whole (every register known and writable, every value in range) so that one bad entry
 * changes nothing. `E` is the accelerator's entry (its accessor), `describe` its descriptor.
 */
export class RegisterCatalogue<E> {
  private readonly byId: ReadonlyMap<RegisterId, E>;
  readonly list: readonly RegisterDescriptor[];

  constructor(
    entries: readonly E[],
    private readonly describe: (entry: E) => RegisterDescriptor,
    /** The vCPU in messages (`vCPU 0`). */
    private readonly owner: string,
  ) {
    this.byId = new Map(entries.map((e) => [describe(e).id, e] as const));
    this.list = entries.map(describe);
  }

  lookup(id: RegisterId): E {
    const e = this.byId.get(id);
    if (e !== undefined) return e;
    const sizeBits = 0xfn << 52n;
    const other = this.list.find((d) => (d.id & ~sizeBits) === (id & ~sizeBits));
    if (other !== undefined) {
      throw new RegisterSizeError(`register ${other.name} is ${other.size * 8}-bit on ${this.owner}, but id ${formatRegisterId(id)} encodes ${regSize(id) * 8}-bit`);
    }
    throw new UnknownRegisterError(`${this.owner} has no register ${formatRegisterId(id)} (see registerList())`);
  }

  /** Checks a whole batch write before anything is written; returns what to write, in order. */
  planWrites(values: Iterable<readonly [RegisterId, bigint]>): [E, bigint][] {
    const plan: [E, bigint][] = [];
    for (const [id, value] of values) {
      const e = this.lookup(id);
      const d = this.describe(e);
      if (d.access === 'read-only') throw new ReadOnlyRegisterError(`register ${d.name} of ${this.owner} is read-only (fixed by its target)`);
      checkRegisterValue(d, value);
      plan.push([e, value]);
    }
    return plan;
  }
}
