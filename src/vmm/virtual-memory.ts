/**
 * Guest memory by effective address, as a debugger (gdb stub, monitor) reads and writes it:
 * each page is translated with `Vcpu.translate` (KVM_TRANSLATE) from the TLB the VMM shares
 * with the accelerator, so nothing is copied out of the vCPU and the guest is not run.
 * Call between runs, on the vCPU's thread.
 */
import { UnmappedAddressError, hex } from '../api/errors.js';
import type { TranslateOptions, Vcpu, Vm } from '../api/hypervisor.js';
import { gpa } from '../api/memory.js';

/** Splits [ea, ea + length) at page boundaries and hands each piece's physical address on. */
function eachPiece(vcpu: Vcpu, ea: number, length: number, options: TranslateOptions | undefined, piece: (phys: number, at: number, n: number) => void): void {
  if (!Number.isInteger(ea) || ea < 0 || !Number.isInteger(length) || length < 0 || ea + length > 0x1_0000_0000) {
    throw new RangeError(`effective range ${hex(ea)}+${length} is not inside the 32-bit address space`);
  }
  let done = 0;
  while (done < length) {
    const at = ea + done;
    const t = vcpu.translate(at, options);
    if (t.kind !== 'mapped') throw new UnmappedAddressError(`effective address ${hex(at)} is not mapped by the TLB`);
    // Pages are at least 4 KiB and aligned, so a piece that stays inside 4 KiB stays inside one.
    const n = Math.min(length - done, 0x1000 - (at % 0x1000));
    piece(t.phys, done, n);
    done += n;
  }
}

export function readVirtual(vm: Vm, vcpu: Vcpu, ea: number, length: number, options?: TranslateOptions): Uint8Array {
  const out = new Uint8Array(length);
  eachPiece(vcpu, ea, length, options, (phys, at, n) => vm.memory.read(gpa(phys), out.subarray(at, at + n)));
  return out;
}

export function writeVirtual(vm: Vm, vcpu: Vcpu, ea: number, bytes: Uint8Array, options?: TranslateOptions): void {
  eachPiece(vcpu, ea, bytes.length, options, (phys, at, n) => vm.memory.write(gpa(phys), bytes.subarray(at, at + n)));
}
