/**
 * Architectural state of the classic PowerPC FPU: 32 FPRs kept as raw
 * binary64 bit patterns plus the 32-bit FPSCR.
 */

/** Status returned by every FPU instruction helper. */
export const FP_OK = 0;
/**
 * The instruction caused an exception whose FPSCR enable bit is set (or, for
 * mtfsf/mtfsfi/mtfsb1, left one pending).  The caller raises a program
 * interrupt (ESR[FP]) with SRR0 = address of this instruction when
 * MSR[FE0]|MSR[FE1] != 0, and then must not update CR1 (QEMU traps before
 * the Rc=1 CR1 update).
 */
export const FP_ENABLED_EXCEPTION = 1;

if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
  throw new Error('ngkvm FPU: FPR word views assume a little-endian host');
}

export class FpuState {
  /** Backing store shared by both views (8 bytes per FPR). */
  readonly buffer: ArrayBuffer;
  /** FPRs as doubles; bit-exact only for reads/writes that go through `words`. */
  readonly fpr: Float64Array;
  /** FPRs as words: high word of FPR i is words[2*i+1], low word words[2*i]. */
  readonly words: Uint32Array;
  /** FPSCR (32 bits, always kept as an unsigned number). */
  fpscr = 0;
  /**
   * Mirror of (MSR[FE0] | MSR[FE1]) != 0, kept up to date by the CPU core.
   * QEMU raises invalid-operation and zero-divide interrupts from inside the
   * instruction, before the target FPR and FPRF are written, only when this
   * is set; with it clear the instruction completes and writes its result
   * even though FPSCR[VE]/[ZE] is 1.  The helpers reproduce both behaviours.
   */
  fe = false;
  /** CR field produced by the last fcmpu/fcmpo (4 bits: FL FG FE FU). */
  cr = 0;

  constructor() {
    this.buffer = new ArrayBuffer(32 * 8);
    this.fpr = new Float64Array(this.buffer);
    this.words = new Uint32Array(this.buffer);
  }

  /** Raw bits of FPR i as a BigInt (convenience, not for hot paths). */
  getBits(i: number): bigint {
    if (!Number.isInteger(i) || i < 0 || i > 31) throw new RangeError(`FPR number ${i} is not 0..31`);
    return (BigInt(fprHi(this, i)) << 32n) | BigInt(fprLo(this, i));
  }

  setBits(i: number, bits: bigint): void {
    this.words[2 * i + 1] = Number((bits >> 32n) & 0xffffffffn);
    this.words[2 * i] = Number(bits & 0xffffffffn);
  }
}

/*
 * Word reads of one FPR.  The instruction helpers take FPR numbers decoded
 * from 5-bit instruction fields (0..31), so 2r and 2r+1 always index inside
 * the 64 words: the assertions below are the only ones the helpers need.
 * All three are small enough for V8 to inline.
 */

/** High word (sign, exponent, top of the fraction) of FPR r, r in 0..31. */
export function fprHi(st: FpuState, r: number): number {
  return st.words[2 * r + 1]!;
}

/** Low word of FPR r, r in 0..31. */
export function fprLo(st: FpuState, r: number): number {
  return st.words[2 * r]!;
}

/** FPR r as a double, r in 0..31: exact for every value except NaNs, whose
 *  payload a double read may not preserve (read NaNs through the words). */
export function fprValue(st: FpuState, r: number): number {
  return st.fpr[r]!;
}
