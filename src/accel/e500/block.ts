/**
 * Predecoded instructions and basic blocks.
 *
 * An instruction is decoded once into an `Insn` whose fields are extracted up front and whose
 * `fn` is the semantic function chosen for its exact variant (record form, overflow form,
 * special operands), so executing it is one indirect call with no further decoding. Every
 * `Insn` has the same shape so call sites stay monomorphic in their argument.
 *
 * A block is a straight run of instructions inside one 4 KiB page that ends at a branch, at
 * an instruction that changes translation or interrupt state, or at the page end. A block
 * translator (generating one JS function per hot block) can replace `run` later without
 * changing anything else: the block keeps its instructions for that.
 */
import type { Cpu } from './cpu.js';
import type { CompiledBlock } from './jit.js';

export type ExecFn = (c: Cpu, i: Insn) => void;

export class Insn {
  fn: ExecFn;
  /** Raw instruction word. */
  word: number;
  /** Byte offset of the instruction inside its block (for PC-relative work). */
  off: number;
  /** rT/rS/frT/BO/TO/crfD field (bits 6–10). */
  d: number;
  /** rA/BI/crfS field (bits 11–15). */
  a: number;
  /** rB/SH field (bits 16–20). */
  b: number;
  /** frC/MB/BC field (bits 21–25). */
  c: number;
  /** ME field (bits 26–30). */
  e: number;
  /** Immediate, displacement, SPR/DCR number or branch offset, as the form defines. */
  imm: number;
  /** Name of the table entry, for diagnostics and disassembly. */
  name: string;

  constructor(fn: ExecFn, word: number, name: string) {
    this.fn = fn;
    this.word = word;
    this.off = 0;
    this.d = (word >>> 21) & 31;
    this.a = (word >>> 16) & 31;
    this.b = (word >>> 11) & 31;
    this.c = (word >>> 6) & 31;
    this.e = (word >>> 1) & 31;
    this.imm = 0;
    this.name = name;
  }
}

/** `b .`: unconditional relative branch to itself, no link. */
const B_SELF = 0x48000000;

export class Block {
  readonly insns: Insn[];
  /** Effective-address-independent length in bytes. */
  readonly byteLength: number;
  /** Executions so far by the interpreter; the block's page region is translated when it gets hot. */
  execCount = 0;
  /** Entry into the translated region of its page, starting at this block. */
  compiled: CompiledBlock | null = null;

  /**
   * The block is `b .` alone: only an interrupt leaves it, so running it is waiting for one.
   * Idle loops (Linux's e500_idle spins so on cores without MSR[WE]) halt the vCPU instead,
   * which ends the same way but lets the host CPU sleep.
   */
  readonly idleLoop: boolean;

  constructor(insns: Insn[]) {
    this.insns = insns;
    this.byteLength = insns.length * 4;
    this.idleLoop = insns.length === 1 && insns[0]!.word === B_SELF;
  }
}
