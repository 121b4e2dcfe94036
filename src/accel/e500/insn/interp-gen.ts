/**
 * The interpreter, generated: each instruction definition's template emitted with operand
 * fields read from the decoded `Insn` at run time, one JS function per definition and
 * variant (created the first time the decoder meets that variant).
 *
 * A generated function `(c, i) => code` returns 0 when the instruction completed, 1 when it
 * stopped (a fault or an exit was recorded in the Cpu, see stop.ts) and 2 when it completed
 * but changed decoded code (the block must end so execution continues with fresh decoding).
 */
import { STLB_MASK } from '../cpu.js';
import { HELPERS } from './helpers.js';
import type { CrfOperand, Field, InsnDef, Ops, Sync, Variant } from './ops.js';
import type { ExecFn } from '../block.js';

export const RET_OK = 0;
export const RET_STOP = 1;
export const RET_RESYNC = 2;

const GET = { 1: 'getUint8', 2: 'getUint16', 4: 'getInt32' } as const;
const SET = { 1: 'setUint8', 2: 'setUint16', 4: 'setInt32' } as const;
const LAST = { 1: 0xfff, 2: 0xffe, 4: 0xffc } as const;

class InterpOps implements Ops {
  readonly jit = false;
  readonly imm = 'i.imm';
  readonly word = 'i.word';
  readonly insn = 'i';
  readonly cia = '((c.blockEa + i.off) | 0)';
  readonly nia = '((c.blockEa + i.off + 4) | 0)';
  readonly ca = 'c.xerCA';
  readonly so = 'c.xerSO';
  readonly ov = 'c.xerOV';
  readonly lr = 'c.lr';
  readonly ctr = 'c.ctr';
  /** Helpers the template used (declared in the factory). */
  readonly helpers = new Set<string>();
  usesGpr = false;
  usesCrf = false;
  mayStore = false;
  private tmp = 0;

  f(x: Field): string {
    return `i.${x}`;
  }

  gpr(x: Field): string {
    this.usesGpr = true;
    return `g[i.${x}]`;
  }

  gpr0(x: Field): string {
    this.usesGpr = true;
    return `(i.${x} === 0 ? 0 : g[i.${x}])`;
  }

  setGpr(x: Field, v: string): string {
    this.usesGpr = true;
    return `g[i.${x}] = ${v};`;
  }

  crf(x: CrfOperand): string {
    this.usesCrf = true;
    if (x === 'D') return 'crf[i.d >>> 2]';
    if (x === 'S') return 'crf[i.a >>> 2]';
    return `crf[${x}]`;
  }

  setCrf(x: CrfOperand, v: string): string {
    return `${this.crf(x)} = ${v};`;
  }

  crbit(x: Field): string {
    this.usesCrf = true;
    return `((crf[i.${x} >>> 2] >>> (3 - (i.${x} & 3))) & 1)`;
  }

  setCrbit(x: Field, v: string): string {
    this.usesCrf = true;
    return `{ const $v = ${v}, $q = i.${x} >>> 2, $m = 8 >>> (i.${x} & 3); crf[$q] = $v !== 0 ? crf[$q] | $m : crf[$q] & ~$m; }`;
  }

  setCa(v: string): string {
    return `c.xerCA = ${v};`;
  }

  setOv(v: string): string {
    return `{ const $ov = ${v}; c.xerOV = $ov; c.xerSO |= $ov; }`;
  }

  setSo(v: string): string {
    return `c.xerSO = ${v};`;
  }

  xer(): string {
    return 'c.xer';
  }

  setXer(v: string): string {
    return `c.xer = ${v};`;
  }

  setLr(v: string): string {
    return `c.lr = ${v};`;
  }

  setCtr(v: string): string {
    return `c.ctr = ${v};`;
  }

  load(dst: string, size: 1 | 2 | 4, ea: string): string {
    const t = `$e${this.tmp++}`;
    const inPage = size === 1 ? '' : ` && (${t} & 0xfff) <= ${LAST[size]}`;
    return (
      `let ${dst}; { const ${t} = ${ea}; const $pn = ${t} >>> 12, $ti = ($pn & ${STLB_MASK}) | c.dmode; ` +
      `if (c.rTag[$ti] === $pn${inPage}) ${dst} = c.ram.${GET[size]}((c.rAdd[$ti] + ${t}) | 0); ` +
      `else { ${dst} = c.loadSlow(${t}, ${size}); if (c.stop !== 0) return 1; } }`
    );
  }

  store(size: 1 | 2 | 4, ea: string, v: string): string {
    this.mayStore = true;
    const t = `$e${this.tmp++}`;
    const inPage = size === 1 ? '' : ` && (${t} & 0xfff) <= ${LAST[size]}`;
    return (
      `{ const ${t} = ${ea}; const $pn = ${t} >>> 12, $ti = ($pn & ${STLB_MASK}) | c.dmode; ` +
      `if (c.wTag[$ti] === $pn${inPage}) c.ram.${SET[size]}((c.wAdd[$ti] + ${t}) | 0, ${v}); ` +
      `else { c.storeSlow(${t}, ${size}, ${v}); if (c.stop !== 0) return 1; } }`
    );
  }

  h(name: string): string {
    if (!(name in HELPERS)) throw new Error(`instruction templates: unknown helper ${name}`);
    this.helpers.add(name);
    return `H_${name}`;
  }

  call(expr: string, sync?: Sync): string {
    if (sync?.store === true) this.mayStore = true;
    return `${expr}; if (c.stop !== 0) return 1;`;
  }

  callv(dst: string, expr: string, sync?: Sync): string {
    if (sync?.store === true) this.mayStore = true;
    return `const ${dst} = ${expr}; if (c.stop !== 0) return 1;`;
  }

  stop(): string {
    return 'return 1;';
  }

  branch(test: string, abs: boolean): string {
    const target = abs ? 'i.imm' : `((c.blockEa + i.off + i.imm) | 0)`;
    return test === 'true' ? `c.npc = ${target};` : `if (${test}) c.npc = ${target};`;
  }

  branchTo(test: string, target: string): string {
    return test === 'true' ? `c.npc = ${target};` : `if (${test}) c.npc = ${target};`;
  }

  setNext(target: string): string {
    return `c.npc = ${target};`;
  }
}

/** JS identifier for a generated function (shows in profiles). */
function jsName(def: InsnDef, v: Variant): string {
  const base = def.name.replace(/\./g, '_dot').replace(/[^A-Za-z0-9_]/g, '_');
  return `i_${base}${v.oe ? '_o' : ''}${v.rc ? '_rc' : ''}${def.variant !== undefined ? `_${v.k}` : ''}`;
}

/** Source of the interpreter function for one definition and variant (for tests and dumps). */
export function interpSource(def: InsnDef, v: Variant): { src: string; helpers: readonly string[] } {
  const o = new InterpOps();
  const body = def.sem(o, v);
  const decl: string[] = [];
  if (o.usesGpr) decl.push('const g = c.gpr;');
  if (o.usesCrf) decl.push('const crf = c.crf;');
  const end = o.mayStore ? 'return c.resync !== 0 ? 2 : 0;' : 'return 0;';
  return { src: `return function ${jsName(def, v)}(c, i) { ${decl.join(' ')}\n${body}\n${end} };`, helpers: [...o.helpers] };
}

/** Generates the interpreter function for one definition and variant. */
export function makeInterp(def: InsnDef, v: Variant): ExecFn {
  const { src, helpers } = interpSource(def, v);
  const prelude = helpers.map((h) => `const H_${h} = H.${h};`).join('\n');
  const factory = new Function('H', `${prelude}\n${src}`) as (h: typeof HELPERS) => ExecFn;
  return factory(HELPERS);
}
