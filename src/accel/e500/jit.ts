/**
 * Block translator: turns a hot basic block into one JavaScript function, so that V8 compiles
 * the guest code path as a whole — guest registers live in JS locals (machine registers),
 * constant operands are folded, and the per-instruction indirect call disappears.
 *
 * Common instructions have templates emitting JS source; every other instruction becomes a
 * direct call of its interpreter function, with the cached registers written back before and
 * reloaded after it. A block whose last branch jumps back to its own start (a loop) iterates
 * inside the function until it falls out or its instruction budget is spent.
 *
 * Contract with the engine: `run(c, budget)` executes the block (possibly several iterations)
 * and returns the number of instructions executed; it sets `c.npc`. If an instruction throws
 * (fault, exit), the cached registers are written back first, `c.jitIndex` holds the index of
 * that instruction in the block and `c.jitDone` the instructions completed before it.
 */
import type { Block, ExecFn, Insn } from './block.js';
import type { Cpu } from './cpu.js';
import { mulhw, mulhwu } from './insn/integer.js';

export type CompiledBlock = (c: Cpu, budget: number) => number;

type Template = (i: Insn) => string;

/** Guest register n as a JS local of the generated function. */
const r = (n: number): string => `r${n}`;
/** (rA|0): register value, or the literal 0 for rA = 0. */
const ra0 = (i: Insn): string => (i.a === 0 ? '0' : r(i.a));
const hex = (v: number): string => `0x${(v >>> 0).toString(16)}`;
/** CR0 from a result held in a local; `cr` and `ctr` are locals too. */
const cr0 = (v: string): string =>
  `cr = (cr & 0x0fffffff) | (${v} < 0 ? -0x80000000 : ${v} > 0 ? 0x40000000 : 0x20000000) | (c.xerSO << 28);`;

const templates = new Map<string, Template>();
function def(name: string, t: Template): void {
  templates.set(name, t);
}
/** Defines `name` and its record form `name.`, which also sets CR0 from register `target`. */
function defRc(name: string, body: Template, target: (i: Insn) => number): void {
  def(name, body);
  def(name + '.', (i) => `${body(i)} ${cr0(r(target(i)))}`);
}

// ---- integer arithmetic (rT = d)
def('addi', (i) => (i.a === 0 ? `${r(i.d)} = ${i.imm | 0};` : `${r(i.d)} = (${r(i.a)} + ${i.imm | 0}) | 0;`));
def('addis', (i) => (i.a === 0 ? `${r(i.d)} = ${i.imm | 0};` : `${r(i.d)} = (${r(i.a)} + ${i.imm | 0}) | 0;`));
def('mulli', (i) => `${r(i.d)} = Math.imul(${r(i.a)}, ${i.imm | 0});`);
const addic = (i: Insn): string =>
  `{ const a = ${r(i.a)}; c.xerCA = (a >>> 0) + ${i.imm >>> 0} >= 0x100000000 ? 1 : 0; ${r(i.d)} = (a + ${i.imm | 0}) | 0; }`;
def('addic', addic);
def('addic.', (i) => `${addic(i)} ${cr0(r(i.d))}`);
def('subfic', (i) => `{ const a = ${r(i.a)}; c.xerCA = ${i.imm >>> 0} >= (a >>> 0) ? 1 : 0; ${r(i.d)} = (${i.imm | 0} - a) | 0; }`);
defRc('add', (i) => `${r(i.d)} = (${r(i.a)} + ${r(i.b)}) | 0;`, (i) => i.d);
defRc('subf', (i) => `${r(i.d)} = (${r(i.b)} - ${r(i.a)}) | 0;`, (i) => i.d);
defRc('neg', (i) => `${r(i.d)} = (-${r(i.a)}) | 0;`, (i) => i.d);
defRc('mullw', (i) => `${r(i.d)} = Math.imul(${r(i.a)}, ${r(i.b)});`, (i) => i.d);
def('addc', (i) => `{ const a = ${r(i.a)}, b = ${r(i.b)}; c.xerCA = (a >>> 0) + (b >>> 0) >= 0x100000000 ? 1 : 0; ${r(i.d)} = (a + b) | 0; }`);
def('adde', (i) => `{ const a = ${r(i.a)}, b = ${r(i.b)}, ca = c.xerCA; c.xerCA = (a >>> 0) + (b >>> 0) + ca >= 0x100000000 ? 1 : 0; ${r(i.d)} = (a + b + ca) | 0; }`);
def('subfc', (i) => `{ const a = ${r(i.a)}, b = ${r(i.b)}; c.xerCA = (b >>> 0) >= (a >>> 0) ? 1 : 0; ${r(i.d)} = (b - a) | 0; }`);
def('subfe', (i) => `{ const a = ${r(i.a)}, b = ${r(i.b)}, ca = c.xerCA; c.xerCA = (~a >>> 0) + (b >>> 0) + ca >= 0x100000000 ? 1 : 0; ${r(i.d)} = (~a + b + ca) | 0; }`);
def('addze', (i) => `{ const a = ${r(i.a)}, ca = c.xerCA; c.xerCA = (a >>> 0) + ca >= 0x100000000 ? 1 : 0; ${r(i.d)} = (a + ca) | 0; }`);
def('mulhwu', (i) => `${r(i.d)} = mulhwu(${r(i.a)} >>> 0, ${r(i.b)} >>> 0) | 0;`);
def('mulhw', (i) => `${r(i.d)} = mulhw(${r(i.a)}, ${r(i.b)});`);
def('divwu', (i) => `{ const b = ${r(i.b)}; ${r(i.d)} = b === 0 ? ${r(i.a)} : ((${r(i.a)} >>> 0) / (b >>> 0)) | 0; }`);
def('divw', (i) => `{ const a = ${r(i.a)}, b = ${r(i.b)}; ${r(i.d)} = b === 0 || (a === -0x80000000 && b === -1) ? a : (a / b) | 0; }`);

// ---- logical (rS = d, rA = a)
def('ori', (i) => `${r(i.a)} = ${r(i.d)} | ${i.imm | 0};`);
def('oris', (i) => `${r(i.a)} = ${r(i.d)} | ${i.imm | 0};`);
def('xori', (i) => `${r(i.a)} = ${r(i.d)} ^ ${i.imm | 0};`);
def('xoris', (i) => `${r(i.a)} = ${r(i.d)} ^ ${i.imm | 0};`);
def('andi.', (i) => `${r(i.a)} = ${r(i.d)} & ${i.imm | 0}; ${cr0(r(i.a))}`);
def('andis.', (i) => `${r(i.a)} = ${r(i.d)} & ${i.imm | 0}; ${cr0(r(i.a))}`);
defRc('and', (i) => `${r(i.a)} = ${r(i.d)} & ${r(i.b)};`, (i) => i.a);
defRc('andc', (i) => `${r(i.a)} = ${r(i.d)} & ~${r(i.b)};`, (i) => i.a);
defRc('or', (i) => `${r(i.a)} = ${r(i.d)} | ${r(i.b)};`, (i) => i.a);
defRc('orc', (i) => `${r(i.a)} = ${r(i.d)} | ~${r(i.b)};`, (i) => i.a);
defRc('xor', (i) => `${r(i.a)} = ${r(i.d)} ^ ${r(i.b)};`, (i) => i.a);
defRc('nor', (i) => `${r(i.a)} = ~(${r(i.d)} | ${r(i.b)});`, (i) => i.a);
defRc('nand', (i) => `${r(i.a)} = ~(${r(i.d)} & ${r(i.b)});`, (i) => i.a);
defRc('eqv', (i) => `${r(i.a)} = ~(${r(i.d)} ^ ${r(i.b)});`, (i) => i.a);
defRc('extsb', (i) => `${r(i.a)} = (${r(i.d)} << 24) >> 24;`, (i) => i.a);
defRc('extsh', (i) => `${r(i.a)} = (${r(i.d)} << 16) >> 16;`, (i) => i.a);
defRc('cntlzw', (i) => `${r(i.a)} = Math.clz32(${r(i.d)});`, (i) => i.a);

// ---- rotate and shift (SH in b, mask in imm)
const rotl = (v: string, sh: number): string => (sh === 0 ? v : `((${v} << ${sh}) | (${v} >>> ${32 - sh}))`);
defRc(
  'rlwinm',
  (i) => {
    const m = i.imm | 0;
    // Plain shifts need no rotate.
    if (m === (0xffffffff << i.b) >> 0) return `${r(i.a)} = ${r(i.d)} << ${i.b};`;
    if (i.b !== 0 && m === (0xffffffff >>> (32 - i.b) | 0)) return `${r(i.a)} = ${r(i.d)} >>> ${32 - i.b};`;
    return `${r(i.a)} = ${rotl(r(i.d), i.b)} & ${m};`;
  },
  (i) => i.a,
);
defRc('rlwimi', (i) => `${r(i.a)} = (${rotl(r(i.d), i.b)} & ${i.imm | 0}) | (${r(i.a)} & ${~i.imm | 0});`, (i) => i.a);
defRc('slw', (i) => `{ const n = ${r(i.b)} & 63; ${r(i.a)} = n > 31 ? 0 : ${r(i.d)} << n; }`, (i) => i.a);
defRc('srw', (i) => `{ const n = ${r(i.b)} & 63; ${r(i.a)} = n > 31 ? 0 : (${r(i.d)} >>> n) | 0; }`, (i) => i.a);
defRc(
  'srawi',
  (i) =>
    i.b === 0
      ? `${r(i.a)} = ${r(i.d)}; c.xerCA = 0;`
      : `{ const s = ${r(i.d)}; c.xerCA = s < 0 && (s & ${(1 << i.b) - 1}) !== 0 ? 1 : 0; ${r(i.a)} = s >> ${i.b}; }`,
  (i) => i.a,
);

// ---- compares (crfD = d >> 2)
const crf = (field: number, bits: string): string => {
  const shift = (7 - field) * 4;
  return `cr = (cr & ${~(0xf << shift) | 0}) | ((${bits}) << ${shift});`;
};
const cmpBits = (a: string, b: string): string => `(${a} < ${b} ? 8 : ${a} > ${b} ? 4 : 2) | c.xerSO`;
def('cmpi', (i) => `{ const a = ${r(i.a)}; ${crf(i.d >>> 2, cmpBits('a', String(i.imm | 0)))} }`);
def('cmpli', (i) => `{ const a = ${r(i.a)} >>> 0; ${crf(i.d >>> 2, cmpBits('a', String(i.imm >>> 0)))} }`);
def('cmp', (i) => `{ const a = ${r(i.a)}, b = ${r(i.b)}; ${crf(i.d >>> 2, cmpBits('a', 'b'))} }`);
def('cmpl', (i) => `{ const a = ${r(i.a)} >>> 0, b = ${r(i.b)} >>> 0; ${crf(i.d >>> 2, cmpBits('a', 'b'))} }`);

// ---- loads and stores; EA computed inline, access through the vCPU's fast paths
const eaD = (i: Insn): string => (i.a === 0 ? hex(i.imm) : `(${r(i.a)} + ${i.imm | 0}) >>> 0`);
const eaX = (i: Insn): string => (i.a === 0 ? `${r(i.b)} >>> 0` : `(${r(i.a)} + ${r(i.b)}) >>> 0`);
def('lwz', (i) => `${r(i.d)} = c.ld32(${eaD(i)});`);
def('lbz', (i) => `${r(i.d)} = c.ld8(${eaD(i)});`);
def('lhz', (i) => `${r(i.d)} = c.ld16(${eaD(i)});`);
def('lha', (i) => `${r(i.d)} = (c.ld16(${eaD(i)}) << 16) >> 16;`);
def('stw', (i) => `c.st32(${eaD(i)}, ${r(i.d)});`);
def('stb', (i) => `c.st8(${eaD(i)}, ${r(i.d)} & 0xff);`);
def('sth', (i) => `c.st16(${eaD(i)}, ${r(i.d)} & 0xffff);`);
def('lwzx', (i) => `${r(i.d)} = c.ld32(${eaX(i)});`);
def('lbzx', (i) => `${r(i.d)} = c.ld8(${eaX(i)});`);
def('lhzx', (i) => `${r(i.d)} = c.ld16(${eaX(i)});`);
def('stwx', (i) => `c.st32(${eaX(i)}, ${r(i.d)});`);
def('stbx', (i) => `c.st8(${eaX(i)}, ${r(i.d)} & 0xff);`);
def('sthx', (i) => `c.st16(${eaX(i)}, ${r(i.d)} & 0xffff);`);
const upd = (load: boolean, access: string, eaCode: string, i: Insn): string =>
  load
    ? `{ const ea = ${eaCode}; const v = ${access}; ${r(i.d)} = v; ${r(i.a)} = ea | 0; }`
    : `{ const ea = ${eaCode}; ${access}; ${r(i.a)} = ea | 0; }`;
def('lwzu', (i) => upd(true, 'c.ld32(ea)', eaD(i), i));
def('lbzu', (i) => upd(true, 'c.ld8(ea)', eaD(i), i));
def('lhzu', (i) => upd(true, 'c.ld16(ea)', eaD(i), i));
def('stwu', (i) => upd(false, `c.st32(ea, ${r(i.d)})`, eaD(i), i));
def('stbu', (i) => upd(false, `c.st8(ea, ${r(i.d)} & 0xff)`, eaD(i), i));
def('sthu', (i) => upd(false, `c.st16(ea, ${r(i.d)} & 0xffff)`, eaD(i), i));
def('lwzux', (i) => upd(true, 'c.ld32(ea)', eaX(i), i));
def('lbzux', (i) => upd(true, 'c.ld8(ea)', eaX(i), i));
def('stwux', (i) => upd(false, `c.st32(ea, ${r(i.d)})`, eaX(i), i));

// ---- SPR moves that are plain register copies (others fall back to the interpreter)
def('mfspr', (i) => (i.imm === 8 ? `${r(i.d)} = c.lr | 0;` : i.imm === 9 ? `${r(i.d)} = ctr;` : ''));
def('mtspr', (i) => (i.imm === 8 ? `c.lr = ${r(i.d)} >>> 0;` : i.imm === 9 ? `ctr = ${r(i.d)};` : ''));
def('mfcr', (i) => ((i.word & 0x00100000) === 0 ? `${r(i.d)} = cr;` : ''));
def('isel', (i) => `${r(i.d)} = ((cr >>> ${31 - i.c}) & 1) !== 0 ? ${ra0(i)} : ${r(i.b)};`);
def('crxor', (i) => (i.d === i.a && i.a === i.b ? `cr &= ${~(1 << (31 - i.d)) | 0};` : ''));

/** Templates that cannot throw (no `k` bookkeeping needed before them). */
const NEVER_FAULTS = new Set([...templates.keys()].filter((n) => !/^(l|st)/.test(n)));

/** Branch condition for BO/BI (mirrors branch.ts); decrements CTR when BO asks for it. */
function condition(bo: number, bi: number): string {
  const parts: string[] = [];
  let pre = '';
  if ((bo & 0x04) === 0) {
    pre = 'ctr = (ctr - 1) | 0; ';
    parts.push((bo & 0x02) !== 0 ? 'ctr === 0' : 'ctr !== 0');
  }
  if ((bo & 0x10) === 0) parts.push(`((cr >>> ${31 - bi}) & 1) === ${(bo >>> 3) & 1}`);
  return `${pre}const taken = ${parts.length === 0 ? 'true' : parts.join(' && ')};`;
}

interface BranchPlan {
  /** Code computing `taken` (and updating CTR/LR). */
  readonly code: string;
  /** Target as an expression, or 'self' when it is the block start (a loop). */
  readonly target: string;
}

/** Templates for the block-ending branch; undefined = use the interpreter function. */
function planBranch(i: Insn): BranchPlan | undefined {
  const name = i.name;
  const aa = (i.word & 2) !== 0;
  const lk = (i.word & 1) !== 0;
  const link = lk ? `c.lr = (c.blockEa + ${i.off + 4}) >>> 0; ` : '';
  const rel = (): string => (i.imm === -i.off ? 'self' : `((c.blockEa + ${i.off + i.imm}) >>> 0)`);
  if (name === 'b') return { code: `${link}const taken = true;`, target: aa ? hex(i.imm) : rel() };
  if (name === 'bc') return { code: condition(i.d, i.a) + ' ' + link, target: aa ? hex(i.imm) : rel() };
  if (name === 'bclr') return { code: `const tgt = c.lr & ~3; ${condition(i.d, i.a)} ${link}`, target: '(tgt >>> 0)' };
  if (name === 'bcctr' && (i.d & 0x04) !== 0) return { code: `${condition(i.d, i.a)} ${link}`, target: '((ctr & ~3) >>> 0)' };
  return undefined;
}

const FLUSH = '/*FLUSH*/';
const RELOAD = '/*RELOAD*/';

/**
 * JS for one instruction at index `k`: its template when it has one that applies (an empty
 * template result means "not handled here"), otherwise a call of its interpreter function
 * with the register cache written back and reloaded around it.
 */
function instructionCode(i: Insn, k: number): string {
  if (isNoop(i)) return '';
  const t = templates.get(i.name);
  const code = t !== undefined ? t(i) : '';
  if (code !== '') return NEVER_FAULTS.has(i.name) ? code : `k = ${k};\n${code}`;
  return `k = ${k}; ${FLUSH} f${k}(c, i${k}); ${RELOAD}`;
}

/** `nop` (ori 0,0,0) and `mr rX,rX` do nothing. */
function isNoop(i: Insn): boolean {
  return (i.name === 'ori' && i.imm === 0 && i.a === i.d) || (i.name === 'or' && i.d === i.b && i.a === i.d);
}

export function compileBlock(block: Block): CompiledBlock {
  const insns = block.insns;
  const n = insns.length;
  const fns: ExecFn[] = insns.map((i) => i.fn);
  const last = insns[n - 1]!;
  const branch = planBranch(last);
  const lines: string[] = [];
  for (let k = 0; k < n - 1; k++) lines.push(instructionCode(insns[k]!, k));
  const fall = `((c.blockEa + ${block.byteLength}) >>> 0)`;
  const loops = branch !== undefined && branch.target === 'self';
  let tail: string;
  if (branch === undefined) {
    tail = `${instructionCode(last, n - 1)} ${FLUSH} return ${n};`;
  } else if (loops) {
    tail =
      `${branch.code} if (!taken) { c.npc = ${fall}; ${FLUSH} return done + ${n}; } ` +
      `done += ${n}; if (done + ${n} > budget) { c.npc = c.blockEa; ${FLUSH} return done; }`;
  } else {
    tail = `${branch.code} c.npc = taken ? ${branch.target} : ${fall}; ${FLUSH} return ${n};`;
  }
  const body = lines.join('\n') + `\nk = ${n - 1}; ${tail}`;

  // Which guest registers the code touches, and which it writes, decide the cache.
  const used = new Set<number>();
  const written = new Set<number>();
  for (const m of body.matchAll(/\br(\d{1,2})\b/g)) used.add(Number(m[1]));
  for (const m of body.matchAll(/\br(\d{1,2}) = (?!=)/g)) written.add(Number(m[1]));
  const usesCr = /\bcr\b/.test(body);
  const writesCr = /\bcr (&|\|)?= /.test(body);
  const usesCtr = /\bctr\b/.test(body);
  const writesCtr = /\bctr = /.test(body);
  const decl = [...used].map((x) => `r${x} = g[${x}]`);
  if (usesCr) decl.push('cr = c.cr | 0');
  if (usesCtr) decl.push('ctr = c.ctr | 0');
  const flush = [
    ...[...written].map((x) => `g[${x}] = r${x};`),
    ...(writesCr ? ['c.cr = cr;'] : []),
    ...(writesCtr ? ['c.ctr = ctr >>> 0;'] : []),
  ].join(' ');
  const reload = [
    ...[...used].map((x) => `r${x} = g[${x}];`),
    ...(usesCr ? ['cr = c.cr | 0;'] : []),
    ...(usesCtr ? ['ctr = c.ctr | 0;'] : []),
  ].join(' ');
  const code = body.replaceAll(FLUSH, flush).replaceAll(RELOAD, reload);
  const prologue = fns.map((_, k) => `const f${k} = F[${k}], i${k} = I[${k}];`).join('\n');
  const locals = decl.length > 0 ? `let ${decl.join(', ')};` : '';
  const src = `${prologue}
return function block(c, budget) {
  const g = c.gpr; let k = 0; let done = 0; ${locals}
  try { ${loops ? `for (;;) { ${code} }` : code} }
  catch (e) { ${flush} c.jitIndex = k; c.jitDone = done; throw e; }
};`;
  if (process.env['NGKVM_JIT_DUMP'] !== undefined) {
    process.stderr.write(`--- block ${insns.map((x) => x.name).join(' ')}\n${src}\n`);
  }
  const factory = new Function('F', 'I', 'mulhw', 'mulhwu', src) as (
    F: ExecFn[],
    I: Insn[],
    mulhwFn: (a: number, b: number) => number,
    mulhwuFn: (a: number, b: number) => number,
  ) => CompiledBlock;
  return factory(fns, insns, mulhw, mulhwu);
}

