/**
 * How an instruction's semantics are written once: a definition is a *template* that emits
 * JavaScript through the `Ops` emitter below. Two emitters exist:
 *
 * - the interpreter's (interp-gen.ts): operand fields are read from the decoded `Insn` at run
 *   time (`i.a`, `i.imm`), guest state is the Cpu's (`c.gpr[i.a]`, `c.crf[…]`); one function
 *   is generated per definition and variant;
 * - the translator's (translator.ts): operand fields are constants, GPRs, CR fields,
 *   XER[SO/OV/CA], LR and CTR are locals of the region function, and every state access the
 *   template makes is recorded (that is how the translator knows what an instruction reads
 *   and writes: liveness, register caching, syncs around helper calls).
 *
 * Rules for templates (what keeps the two emitters equivalent):
 * - decisions taken while generating may depend only on the variant (`v`), never on field
 *   values: the interpreter does not know them;
 * - every value written to guest state is an int32 (CR fields 0..15, XER bits 0/1);
 * - state writes are unconditional (a write inside a JS `if` must use the `maybe` forms), so
 *   that a write can be treated as killing the old value;
 * - a helper that reads or writes the state listed above through the Cpu must say so in its
 *   `call` (`sync`), since the translator keeps that state in locals;
 * - after a fault (`c.fault(...)` and friends) the template emits `o.stop()`; loads, stores
 *   and calls check for stops themselves.
 */
import type { CoreFamily } from '../models.js';

/**
 * How the extended opcode is found: none (primary only), 10-bit X/XL/XFX, 9-bit XO, 5-bit A,
 * or the 11-bit EVX field of the SPE instructions (opcode 4).
 */
export type XoKind = 'none' | 'x' | 'xo' | 'a' | 'evx';

/**
 * How `Insn.imm` is formed: signed or unsigned 16-bit, shifted 16-bit, I-form and B-form
 * branch displacements, SPR/TBR/DCR number, rotate mask.
 */
export type ImmKind = 'none' | 'simm' | 'uimm' | 'shifted' | 'li' | 'bd' | 'spr' | 'mask';

export type Availability = 'all' | CoreFamily | 'fpu' | 'spe' | 'dcr';

/** Operand fields of the decoded instruction (see Insn). */
export type Field = 'd' | 'a' | 'b' | 'c' | 'e';

/**
 * A CR field operand: 'D' = crfD (bits 6..8, `d >> 2`), 'S' = crfS (bits 11..13, `a >> 2`),
 * or a field number.
 */
export type CrfOperand = 'D' | 'S' | number;

/**
 * A piece of guest state a helper may touch through the Cpu: `r:X` the GPR named by operand
 * field X, `r:*` every GPR, `cr:D`/`cr:S`/`cr:N` a CR field (crfD, crfS, field N), `cr:*`
 * the whole CR, and `xer`, `lr`, `ctr`.
 */
export type StateRef = `r:${Field}` | 'r:*' | `cr:${'D' | 'S' | number}` | 'cr:*' | 'xer' | 'lr' | 'ctr';

/**
 * What a helper call touches besides its arguments (the translator keeps that state in
 * locals: it stores `in` and `out` before the call and reloads `out` after it).
 */
export interface Sync {
  readonly in?: readonly StateRef[];
  readonly out?: readonly StateRef[];
  /** The helper may store to guest memory (and so change decoded code). */
  readonly store?: boolean;
}

export interface Ops {
  /** True in the translator (fields are constants). */
  readonly jit: boolean;
  /** Value of an operand field (a number literal in the translator). */
  f(x: Field): string;
  /** The decoded immediate (Insn.imm). */
  readonly imm: string;
  /** The instruction word. */
  readonly word: string;
  /** The decoded Insn object (for helpers that take one). */
  readonly insn: string;
  /** Address of this instruction and of the next one (int32). */
  readonly cia: string;
  readonly nia: string;

  gpr(x: Field): string;
  /** (rX|0): 0 when the field is 0, else the GPR. */
  gpr0(x: Field): string;
  setGpr(x: Field, v: string): string;

  crf(x: CrfOperand): string;
  setCrf(x: CrfOperand, v: string): string;
  /** CR bit named by a 5-bit operand field, as 0 or 1. */
  crbit(x: Field): string;
  setCrbit(x: Field, v: string): string;

  readonly ca: string;
  readonly so: string;
  readonly ov: string;
  setCa(v: string): string;
  /** Sets OV to v (0/1) and ORs it into SO. */
  setOv(v: string): string;
  setSo(v: string): string;
  /** The whole XER (SO/OV/CA plus the other bits) as a uint32 expression, and its write. */
  xer(): string;
  setXer(v: string): string;
  readonly lr: string;
  readonly ctr: string;
  setLr(v: string): string;
  setCtr(v: string): string;

  /** `const dst = <load>`: zero-extended for sizes 1 and 2, int32 for 4; stops on a fault. */
  load(dst: string, size: 1 | 2 | 4, ea: string): string;
  store(size: 1 | 2 | 4, ea: string, v: string): string;

  /** A helper (exported from helpers.ts) by name, for use in expressions. */
  h(name: string): string;
  /** `expr;` then stop if it recorded a fault or exit. */
  call(expr: string, sync?: Sync): string;
  /** `const dst = expr;` then the stop check. */
  callv(dst: string, expr: string, sync?: Sync): string;
  /** Ends the instruction after a fault or exit was recorded. */
  stop(): string;

  /** Conditional branch to cia + imm (relative) or imm (absolute, `abs`). */
  branch(test: string, abs: boolean): string;
  /** Conditional branch to a computed target (an int32 expression, already word-aligned). */
  branchTo(test: string, target: string): string;
  /** The instruction decides where execution continues (rfi …): always ends the region. */
  setNext(target: string): string;
}

/** Choice of the generated code for one decoded instruction, known to both emitters. */
export interface Variant {
  readonly rc: boolean;
  readonly oe: boolean;
  /** Definition-specific key (from `InsnDef.variant`). */
  readonly k: number;
}

export type Template = (o: Ops, v: Variant) => string;

/** The operand fields a variant function may look at (an Insn has them). */
export interface Fields {
  readonly word: number;
  readonly d: number;
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly e: number;
  readonly imm: number;
}

/** Masks for `InsnDef.reserved`: the Rc bit and the rD/rS, rA and rB fields. */
export const RC_BIT = 0x00000001;
export const RD_FIELD = 0x03e00000;
export const RA_FIELD = 0x001f0000;
export const RB_FIELD = 0x0000f800;

/** One instruction: its encoding (for the decoder) and its semantics (a template). */
export interface InsnDef {
  readonly name: string;
  readonly op: number;
  readonly xo?: number;
  readonly xoKind: XoKind;
  readonly imm: ImmKind;
  readonly rc?: boolean;
  readonly oe?: boolean;
  readonly avail: Availability;
  /** Ends the block: branches, and anything that changes translation or interrupt state. */
  readonly ends?: boolean | ((f: Fields, family: CoreFamily) => boolean);
  /** SPE vector and double-precision instructions need MSR[SPE]; otherwise SPE unavailable. */
  readonly needsSpe?: boolean;
  /** Update-form load (rA = 0 or rA = rT invalid) or store (rA = 0 invalid). */
  readonly update?: 'load' | 'store';
  /**
   * Bits that must be zero: a reserved Rc bit or reserved fields. An encoding with any of
   * them set is an invalid form, decoded as an illegal instruction (a program interrupt with
   * ESR[PIL]) as QEMU 7.2 does on both cores; guests/tests/invalid_forms.c shows each mask.
   */
  readonly reserved?: number;
  /** Extra invalid-form test on the operands (the form is then an illegal instruction). */
  readonly invalid?: (f: Fields) => boolean;
  /** Definition-specific variant key from the operands (a small non-negative integer). */
  readonly variant?: (f: Fields) => number;
  readonly sem: Template;
}

/** An X-form instruction of primary opcode 31, defined for both cores, with no immediate. */
export function xForm(name: string, xo: number, sem: Template, extra: Partial<InsnDef> = {}): InsnDef {
  return { name, op: 31, xo, xoKind: 'x', imm: 'none', avail: 'all', sem, ...extra };
}
