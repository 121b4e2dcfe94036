/**
 * Predecoded instructions and basic blocks.
 *
 * An instruction is decoded once into an `Insn` whose fields are extracted up front and whose
 * `fn` is the interpreter function generated for its exact variant (record form, overflow
 * form, special operands), so executing it is one indirect call with no further decoding.
 * Every `Insn` has the same shape so call sites stay monomorphic in their argument.
 *
 * A block is a straight run of instructions inside one 4 KiB page that ends at a branch, at
 * an instruction that changes translation or interrupt state, or at the page end. Once hot,
 * a block heads a translated region (translator.ts) that the engine runs instead.
 */
import type { Cpu } from './cpu.js';
import type { InsnDef, Variant } from './insn/ops.js';

/** Executes one instruction; returns 0 (done), 1 (stopped: fault or exit recorded) or 2 (done, decoded code changed). */
export type ExecFn = (c: Cpu, i: Insn) => number;

const UNSET: ExecFn = () => 1;
const NO_VARIANT: Variant = { rc: false, oe: false, k: 0 };

export class Insn {
  fn: ExecFn = UNSET;
  /** Raw instruction word. */
  readonly word: number;
  /** Byte offset of the instruction inside its block (for PC-relative work). */
  off = 0;
  /** rT/rS/frT/BO/TO/crfD field (bits 6–10). */
  readonly d: number;
  /** rA/BI/crfS field (bits 11–15). */
  readonly a: number;
  /** rB/SH field (bits 16–20). */
  readonly b: number;
  /** frC/MB/BC field (bits 21–25). */
  readonly c: number;
  /** ME field (bits 26–30). */
  readonly e: number;
  /** Immediate, displacement, SPR/DCR number or branch offset, as the form defines. */
  imm = 0;
  /** Name of the table entry, for diagnostics and disassembly. */
  readonly name: string;
  /** The definition and variant `fn` was generated from (the translator emits the same). */
  def!: InsnDef;
  v: Variant = NO_VARIANT;

  constructor(word: number, name: string) {
    this.word = word;
    this.d = (word >>> 21) & 31;
    this.a = (word >>> 16) & 31;
    this.b = (word >>> 11) & 31;
    this.c = (word >>> 6) & 31;
    this.e = (word >>> 1) & 31;
    this.name = name;
  }
}

/** `b .`: unconditional relative branch to itself, no link. */
const B_SELF = 0x48000000;

/** A translated region: entered at its head block, it returns the next region to run or null. */
export interface Region {
  readonly fn: (c: Cpu) => Region | null;
}

export class Block {
  readonly insns: Insn[];
  /** Effective-address-independent length in bytes. */
  readonly byteLength: number;
  /** Page offset of the first instruction. */
  readonly offset: number;
  /** The last instruction must end the block (a branch, or a change of translation or interrupt state). */
  readonly ends: boolean;
  /** Executions so far by the interpreter; the block heads a region once it is hot. */
  execCount = 0;
  /** Executions at which the engine decides about this block's region (Engine.hot). */
  hotAt = 0;
  /** The translated region headed by this block. */
  region: Region | null = null;
  /** Translation was tried and refused (e.g. an idle loop): do not try again. */
  noRegion = false;

  /**
   * The block is `b .` alone: only an interrupt leaves it, so running it is waiting for one.
   * Idle loops (Linux's e500_idle spins so on cores without MSR[WE]) halt the vCPU instead,
   * which ends the same way but lets the host CPU sleep.
   */
  readonly idleLoop: boolean;

  constructor(insns: Insn[], offset: number, ends: boolean) {
    this.insns = insns;
    this.byteLength = insns.length * 4;
    this.offset = offset;
    this.ends = ends;
    this.idleLoop = insns.length === 1 && insns[0]!.word === B_SELF;
    // Fields that change later get their final kind now (see shapes.ts).
    this.execCount = 1;
    this.execCount = 0;
    this.hotAt = 1;
    this.hotAt = 0;
    this.region = SETTLE_REGION;
    this.region = null;
    this.noRegion = true;
    this.noRegion = false;
  }
}

const SETTLE_REGION: Region = { fn: () => null };
