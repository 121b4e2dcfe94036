/**
 * The decoder, generated from the instruction table for one core family and feature set.
 *
 * Primary opcodes index a 64-entry table; opcodes with extended forms index a second table by
 * the 10-bit extended-opcode field, into which XO-form (9-bit, with OE) and A-form (5-bit)
 * entries are expanded. Decoding picks the exact variant function once, so executing an
 * instruction never looks at its encoding again.
 */
import { SW_BREAKPOINT_INSN } from '../debug.js';
import { Insn, type ExecFn } from '../block.js';
import { ESR, Ivor } from '../interrupts.js';
import { MSR, type CoreFamily, type FamilyTraits } from '../models.js';
import { sprTable, sprWriteEndsBlock } from '../spr.js';
import * as br from './branch.js';
import { rotateMask } from './integer.js';
import { INSN_TABLE, type ImmKind, type InsnSpec } from './table.js';

interface Decodable {
  readonly spec: InsnSpec;
  /** Functions by variant index: (OE ? 2 : 0) | (Rc ? 1 : 0). */
  readonly fns: readonly ExecFn[];
}

interface Primary {
  readonly single?: Decodable;
  readonly ext?: (Decodable | undefined)[];
}

/** Architecturally invalid encodings: an illegal-instruction program interrupt. */
export const illegalInsn: ExecFn = (c) => c.illegal();

/** The software-breakpoint word: a debug exit when the VMM asked for it, illegal otherwise. */
const swBreakpointInsn: ExecFn = (c, i) => {
  if (!c.hostSwBreakpoints) return c.illegal();
  const pc = (c.blockEa + i.off) >>> 0;
  const d = c.exits.debug;
  d.reason = 'breakpoint';
  d.pc = pc;
  d.address = pc;
  c.exitTo(d, false);
};

/**
 * Valid on the real core but not modelled here. Seed 004: inject a program interrupt, log at
 * a bounded rate, count it; never fail the VMM.
 */
export const unimplementedInsn: ExecFn = (c, i) => {
  c.counters.emulationFailures++;
  const now = Date.now();
  if (now - c.lastFailureLogMs >= 1000) {
    const suppressed = c.failureLogSuppressed > 0 ? ` (${c.failureLogSuppressed} more suppressed)` : '';
    c.log(
      `ngkvm: vcpu ${c.vcpuId}: cannot emulate instruction 0x${(i.word >>> 0).toString(16).padStart(8, '0')} ` +
        `at 0x${((c.blockEa + i.off) >>> 0).toString(16)}; injecting a program interrupt${suppressed}`,
    );
    c.lastFailureLogMs = now;
    c.failureLogSuppressed = 0;
  } else {
    c.failureLogSuppressed++;
  }
  c.programInterrupt(ESR.PIL);
};

/** SPE and embedded floating point (opcode 4) on e500v2: unavailable unless MSR[SPE]. */
const speInsn: ExecFn = (c, i) => {
  if ((c.msr & MSR.SPE) === 0) c.fault(Ivor.SpeUnavailable, ESR.SPV);
  unimplementedInsn(c, i);
};

/** Wraps an SPE vector/double instruction with the MSR[SPE] check. */
function requireSpe(fn: ExecFn): ExecFn {
  return (c, i) => {
    if ((c.msr & MSR.SPE) === 0) c.fault(Ivor.SpeUnavailable, ESR.SPV);
    fn(c, i);
  };
}

function available(spec: InsnSpec, family: CoreFamily, traits: FamilyTraits, features: ReadonlySet<string>): boolean {
  switch (spec.avail) {
    case 'all':
      return true;
    case 'fpu':
      return traits.hasFpu;
    case 'spe':
      return traits.hasSpe;
    case 'dcr':
      return features.has('dcr');
    default:
      return spec.avail === family;
  }
}

function variants(spec: InsnSpec): ExecFn[] {
  if (spec.make === undefined) {
    if (spec.exec === undefined) throw new Error(`instruction table: ${spec.name} has neither exec nor make`);
    return [spec.exec];
  }
  const fns: ExecFn[] = [];
  for (let k = 0; k < 4; k++) {
    const oe = (k & 2) !== 0;
    const rc = (k & 1) !== 0;
    fns.push(spec.make({ oe: oe && spec.oe === true, rc: rc && spec.rc === true }));
  }
  return fns;
}

export class Decoder {
  readonly family: CoreFamily;
  private readonly primary: Primary[] = [];
  private readonly sprs;

  constructor(family: CoreFamily, traits: FamilyTraits, features: ReadonlySet<string>) {
    this.family = family;
    this.sprs = sprTable(family);
    const ext = new Map<number, (Decodable | undefined)[]>();
    const single = new Map<number, Decodable>();
    for (const spec of INSN_TABLE) {
      if (!available(spec, family, traits, features)) continue;
      const entry: Decodable = { spec, fns: variants(spec) };
      if (spec.xoKind === 'none') {
        single.set(spec.op, entry);
        continue;
      }
      let t = ext.get(spec.op);
      if (t === undefined) {
        t = new Array(spec.xoKind === 'evx' ? 2048 : 1024).fill(undefined);
        ext.set(spec.op, t);
      }
      const xo = spec.xo;
      if (xo === undefined) throw new Error(`instruction table: ${spec.name} has an extended opcode kind but no xo`);
      if (spec.xoKind === 'x' || spec.xoKind === 'evx') t[xo] = entry;
      else if (spec.xoKind === 'xo') {
        t[xo] = entry;
        if (spec.oe === true) t[xo | 0x200] = entry;
      } else {
        for (let hi = 0; hi < 32; hi++) t[(hi << 5) | xo] = entry;
      }
    }
    for (let op = 0; op < 64; op++) {
      const s = single.get(op);
      const e = ext.get(op);
      this.primary.push({ ...(s !== undefined ? { single: s } : {}), ...(e !== undefined ? { ext: e } : {}) });
    }
  }

  /** Table entry for a word, or undefined if the encoding is not an instruction of this core. */
  lookup(word: number): Decodable | undefined {
    const op = word >>> 26;
    const p = this.primary[op]!;
    if (p.ext !== undefined) return p.ext[op === 4 ? word & 0x7ff : (word >>> 1) & 0x3ff];
    return p.single;
  }

  decode(word: number): Insn {
    word >>>= 0;
    const entry = this.lookup(word);
    if (entry === undefined) {
      // SPE opcode space of e500v2 that this model does not decode (see speInsn).
      if (word >>> 26 === 4 && this.family === 'e500v2') return new Insn(speInsn, word, 'spe');
      if (word === SW_BREAKPOINT_INSN) return new Insn(swBreakpointInsn, word, 'sw-breakpoint');
      return new Insn(illegalInsn, word, 'illegal');
    }
    const spec = entry.spec;
    const rc = spec.rc === true && (word & 1) !== 0;
    const oe = spec.oe === true && (word & 0x400) !== 0;
    let fn = entry.fns[entry.fns.length === 1 ? 0 : (oe ? 2 : 0) | (rc ? 1 : 0)]!;
    const insn = new Insn(fn, word, spec.name + (oe ? 'o' : '') + (rc ? '.' : ''));
    insn.imm = immediate(spec.imm, word, insn);
    fn = this.specialise(spec, word, insn, fn);
    insn.fn = spec.needsSpe === true ? requireSpe(fn) : fn;
    return insn;
  }

  /** Whether the instruction must be the last of its block. */
  endsBlock(insn: Insn): boolean {
    const entry = this.lookup(insn.word);
    if (entry === undefined) return true;
    if (entry.spec.name === 'mtspr') return sprWriteEndsBlock(this.sprs[insn.imm]);
    return entry.spec.ends === true || insn.fn === illegalInsn;
  }

  /** Variant choices that depend on operand fields rather than on Rc/OE. */
  private specialise(spec: InsnSpec, word: number, insn: Insn, fn: ExecFn): ExecFn {
    if (spec.update === 'load' && (insn.a === 0 || insn.a === insn.d)) return illegalInsn;
    if (spec.update === 'store' && insn.a === 0) return illegalInsn;
    const aa = (word & 2) !== 0;
    const lk = (word & 1) !== 0;
    switch (spec.name) {
      case 'b':
        return br.makeB(aa, lk);
      case 'bc':
        if (!aa && !lk && insn.d === 16) return br.bdnz;
        return br.makeBc(aa, lk);
      case 'bclr':
        return br.makeBclr(lk);
      case 'bcctr':
        // Decrementing CTR while branching to it is an invalid form.
        if ((insn.d & 0x04) === 0) return illegalInsn;
        return br.makeBcctr(lk);
      default:
        return fn;
    }
  }
}

function immediate(kind: ImmKind, word: number, insn: Insn): number {
  switch (kind) {
    case 'none':
      return 0;
    case 'simm':
      return (word << 16) >> 16;
    case 'uimm':
      return word & 0xffff;
    case 'shifted':
      return word << 16;
    case 'li':
      return ((word & 0x03fffffc) << 6) >> 6;
    case 'bd':
      return ((word & 0xfffc) << 16) >> 16;
    case 'spr':
      return ((word >>> 16) & 31) | (((word >>> 11) & 31) << 5);
    case 'mask':
      return rotateMask(insn.c, insn.e);
  }
}

/** Convenience for tests and the disassembler: the mnemonic of a word on a core. */
export function mnemonic(decoder: Decoder, word: number): string {
  return decoder.decode(word).name;
}
