/**
 * The decoder, generated from the instruction table for one core family and feature set.
 *
 * Primary opcodes index a 64-entry table; opcodes with extended forms index a second table by
 * the 10-bit extended-opcode field, into which XO-form (9-bit, with OE) and A-form (5-bit)
 * entries are expanded. Decoding picks the definition's variant (Rc, OE and its own key)
 * once; its interpreter function is generated the first time any decoder meets it.
 */
import { Insn, type ExecFn } from '../block.js';
import { SW_BREAKPOINT_INSN } from '../debug.js';
import type { CoreFamily, FamilyTraits } from '../models.js';
import type { Cpu } from '../cpu.js';
import { ESR } from '../interrupts.js';
import { registerHelpers } from './helpers.js';
import { rotateMask } from './integer.js';
import { makeInterp } from './interp-gen.js';
import type { ImmKind, InsnDef, Variant } from './ops.js';
import { SPE_UNAVAILABLE } from './spe.js';
import { INSN_TABLE } from './table.js';

/**
 * Valid on the real core but not modelled here. Seed 004: inject a program interrupt, log at
 * a bounded rate, count it; never fail the VMM.
 */
function unimplemented(c: Cpu, word: number, cia: number): void {
  c.counters.emulationFailures++;
  const now = Date.now();
  if (now - c.lastFailureLogMs >= 1000) {
    const suppressed = c.failureLogSuppressed > 0 ? ` (${c.failureLogSuppressed} more suppressed)` : '';
    c.log(
      `ngkvm: vcpu ${c.vcpuId}: cannot emulate instruction 0x${(word >>> 0).toString(16).padStart(8, '0')} ` +
        `at 0x${(cia >>> 0).toString(16)}; injecting a program interrupt${suppressed}`,
    );
    c.lastFailureLogMs = now;
    c.failureLogSuppressed = 0;
  } else {
    c.failureLogSuppressed++;
  }
  c.programInterrupt(ESR.PIL);
}

/** The software-breakpoint word when the VMM asked for it: a debug exit before the instruction. */
function swBreakpoint(c: Cpu, cia: number): void {
  if (!c.hostSwBreakpoints) {
    c.illegal();
    return;
  }
  const d = c.exit.exits.debug;
  d.reason = 'breakpoint';
  d.pc = cia >>> 0;
  d.address = cia >>> 0;
  c.exit.to(d, false);
}

registerHelpers({ unimplemented, swBreakpoint });

/** Encodings that are no instruction of the core (and invalid forms): illegal-instruction program interrupt. */
export const ILLEGAL: InsnDef = { name: 'illegal', op: -1, xoKind: 'none', imm: 'none', avail: 'all', ends: true, sem: (o) => `c.illegal(); ${o.stop()}` };

const SW_BREAKPOINT: InsnDef = {
  name: 'sw-breakpoint',
  op: 0,
  xoKind: 'none',
  imm: 'none',
  avail: 'all',
  ends: true,
  sem: (o) => o.call(`${o.h('swBreakpoint')}(c, ${o.cia})`),
};

/** SPE opcode space of e500v2 that this model does not decode: unavailable unless MSR[SPE], then unimplemented. */
const SPE_FALLBACK: InsnDef = {
  name: 'spe',
  op: 4,
  xoKind: 'none',
  imm: 'none',
  avail: 'spe',
  ends: true,
  sem: (o) => `${SPE_UNAVAILABLE}${o.stop()} } ${o.call(`${o.h('unimplemented')}(c, ${o.word}, ${o.cia})`)}`,
};

interface Generated {
  readonly fn: ExecFn;
  readonly v: Variant;
}

/** Generated interpreter functions per definition, by variant key; shared by every decoder. */
const generated = new WeakMap<InsnDef, Map<number, Generated>>();

function generatedFor(def: InsnDef, rc: boolean, oe: boolean, k: number): Generated {
  let m = generated.get(def);
  if (m === undefined) {
    m = new Map();
    generated.set(def, m);
  }
  const key = (k << 2) | (oe ? 2 : 0) | (rc ? 1 : 0);
  let g = m.get(key);
  if (g === undefined) {
    const v: Variant = { rc, oe, k };
    g = { fn: makeInterp(def, v), v };
    m.set(key, g);
  }
  return g;
}

function available(def: InsnDef, family: CoreFamily, traits: FamilyTraits, features: ReadonlySet<string>): boolean {
  switch (def.avail) {
    case 'all':
      return true;
    case 'fpu':
      return traits.hasFpu;
    case 'spe':
      return traits.hasSpe;
    case 'dcr':
      return features.has('dcr');
    default:
      return def.avail === family;
  }
}

interface Primary {
  readonly single?: InsnDef;
  readonly ext?: (InsnDef | undefined)[];
}

export class Decoder {
  readonly family: CoreFamily;
  private readonly primary: Primary[] = [];

  constructor(family: CoreFamily, traits: FamilyTraits, features: ReadonlySet<string>) {
    this.family = family;
    const ext = new Map<number, (InsnDef | undefined)[]>();
    const single = new Map<number, InsnDef>();
    for (const def of INSN_TABLE) {
      if (!available(def, family, traits, features)) continue;
      if (def.xoKind === 'none') {
        single.set(def.op, def);
        continue;
      }
      let t = ext.get(def.op);
      if (t === undefined) {
        t = new Array<InsnDef | undefined>(def.xoKind === 'evx' ? 2048 : 1024).fill(undefined);
        ext.set(def.op, t);
      }
      const xo = def.xo;
      if (xo === undefined) throw new Error(`instruction table: ${def.name} has an extended opcode kind but no xo`);
      if (def.xoKind === 'x' || def.xoKind === 'evx') t[xo] = def;
      else if (def.xoKind === 'xo') {
        t[xo] = def;
        if (def.oe === true) t[xo | 0x200] = def;
      } else {
        for (let hi = 0; hi < 32; hi++) t[(hi << 5) | xo] = def;
      }
    }
    for (let op = 0; op < 64; op++) {
      const s = single.get(op);
      const e = ext.get(op);
      this.primary.push({ ...(s !== undefined ? { single: s } : {}), ...(e !== undefined ? { ext: e } : {}) });
    }
  }

  /** Table entry for a word, or undefined if the encoding is not an instruction of this core. */
  lookup(word: number): InsnDef | undefined {
    const op = word >>> 26;
    const p = this.primary[op]!;
    if (p.ext !== undefined) return p.ext[op === 4 ? word & 0x7ff : (word >>> 1) & 0x3ff];
    return p.single;
  }

  decode(word: number): Insn {
    word >>>= 0;
    let def = this.lookup(word);
    if (def === undefined) {
      if (word >>> 26 === 4 && this.family === 'e500v2') def = SPE_FALLBACK;
      else if (word === SW_BREAKPOINT_INSN) def = SW_BREAKPOINT;
      else def = ILLEGAL;
      return this.make(def, word, false, false, def.name);
    }
    const rc = def.rc === true && (word & 1) !== 0;
    const oe = def.oe === true && (word & 0x400) !== 0;
    const insn = this.make(def, word, rc, oe, def.name + (oe ? 'o' : '') + (rc ? '.' : ''));
    if (this.invalidForm(def, insn)) return this.make(ILLEGAL, word, false, false, 'illegal');
    return insn;
  }

  private make(def: InsnDef, word: number, rc: boolean, oe: boolean, name: string): Insn {
    const insn = new Insn(word, name);
    insn.imm = immediate(def.imm, word, insn);
    const g = generatedFor(def, rc, oe, def.variant !== undefined ? def.variant(insn) : 0);
    insn.fn = g.fn;
    insn.def = def;
    insn.v = g.v;
    return insn;
  }

  private invalidForm(def: InsnDef, insn: Insn): boolean {
    if (def.reserved !== undefined && (insn.word & def.reserved) !== 0) return true;
    if (def.update === 'load' && (insn.a === 0 || insn.a === insn.d)) return true;
    if (def.update === 'store' && insn.a === 0) return true;
    return def.invalid !== undefined && def.invalid(insn);
  }

  /** Whether the instruction must be the last of its block. */
  endsBlock(insn: Insn): boolean {
    const ends = insn.def.ends;
    if (typeof ends === 'function') return ends(insn, this.family);
    return ends === true;
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
