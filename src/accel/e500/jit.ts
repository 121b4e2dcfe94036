/**
 * Region translator: turns the hot basic blocks of one 4 KiB code page into a single
 * JavaScript function, so that V8 compiles the guest's loops as a whole — guest registers live
 * in JS locals (machine registers), constant operands are folded, per-instruction indirect
 * calls disappear, and branches between blocks of the region stay inside the function.
 *
 * The function is a `switch` over block start offsets inside a loop. Common instructions have
 * templates emitting JS source; every other instruction becomes a direct call of its
 * interpreter function, with the cached registers written back before and reloaded after it.
 * Control leaves the region for a target outside it (another page, a block not yet hot),
 * after an instruction that changes translation or interrupt state, and when the instruction
 * budget is spent.
 *
 * Contract with the engine: `run(c, budget, entry, state)` starts at page offset `entry`, the
 * block with switch state `state` (with `c.blockEa` the EA of that block), returns the number of instructions executed and leaves
 * the next PC in `c.npc`. If an instruction throws (fault, exit), the cached registers are
 * written back first, `c.jitPc` holds that instruction's address and `c.jitDone` the number
 * of instructions completed before it.
 */
import type { Block, ExecFn, Insn } from './block.js';
import type { Cpu } from './cpu.js';
import { mulhw, mulhwu } from './insn/integer.js';

export type CompiledBlock = (c: Cpu, budget: number) => number;
export type CompiledRegion = (c: Cpu, budget: number, entry: number, state: number) => number;

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

// ---- loads and stores: EA and the software-TLB fast path inline; misses call the slow path.
// Region locals: `dm` translation mode, `rT`/`rA` read tags/addends, `wT`/`wA` write
// tags/addends, `M` the primary RAM (see Cpu.ld32 for the same logic).
const eaD = (i: Insn): string => (i.a === 0 ? hex(i.imm) : `(${r(i.a)} + ${i.imm | 0}) >>> 0`);
const eaX = (i: Insn): string => (i.a === 0 ? `${r(i.b)} >>> 0` : `(${r(i.a)} + ${r(i.b)}) >>> 0`);
const GET = { 1: 'getUint8', 2: 'getUint16', 4: 'getInt32' } as const;
const SET = { 1: 'setUint8', 2: 'setUint16', 4: 'setInt32' } as const;
const LIMIT = { 1: 0xfff, 2: 0xffe, 4: 0xffc } as const;
/** Expression reading `size` bytes at the local `ea` (zero-extended for 1 and 2, signed for 4). */
const load = (size: 1 | 2 | 4): string => {
  const ok = size === 1 ? 'rT[ti] === pn' : `rT[ti] === pn && (ea & 0xfff) <= ${LIMIT[size]}`;
  const slow = size === 4 ? 'c.loadSlow(ea, 4) | 0' : `c.loadSlow(ea, ${size})`;
  return `(pn = ea >>> 12, ti = (pn & 255) | dm, ${ok} ? M.${GET[size]}((rA[ti] + ea) | 0) : ${slow})`;
};
/** Statement writing `v` (an expression over locals) as `size` bytes at the local `ea`. */
const store = (size: 1 | 2 | 4, v: string): string => {
  const ok = size === 1 ? 'wT[ti] === pn' : `wT[ti] === pn && (ea & 0xfff) <= ${LIMIT[size]}`;
  return `pn = ea >>> 12; ti = (pn & 255) | dm; if (${ok}) M.${SET[size]}((wA[ti] + ea) | 0, ${v}); else c.storeSlow(ea, ${size}, ${v});`;
};
const ld = (i: Insn, ea: string, size: 1 | 2 | 4, signExtend16 = false): string =>
  `{ const ea = ${ea}; const v = ${load(size)}; ${r(i.d)} = ${signExtend16 ? '(v << 16) >> 16' : 'v'}; }`;
const st = (i: Insn, ea: string, size: 1 | 2 | 4): string => {
  const v = size === 4 ? r(i.d) : `${r(i.d)} & ${size === 1 ? '0xff' : '0xffff'}`;
  return `{ const ea = ${ea}; ${store(size, v)} }`;
};
const ldu = (i: Insn, ea: string, size: 1 | 2 | 4): string =>
  `{ const ea = ${ea}; const v = ${load(size)}; ${r(i.d)} = v; ${r(i.a)} = ea | 0; }`;
const stu = (i: Insn, ea: string, size: 1 | 2 | 4): string => {
  const v = size === 4 ? r(i.d) : `${r(i.d)} & ${size === 1 ? '0xff' : '0xffff'}`;
  return `{ const ea = ${ea}; ${store(size, v)} ${r(i.a)} = ea | 0; }`;
};
def('lwz', (i) => ld(i, eaD(i), 4));
def('lbz', (i) => ld(i, eaD(i), 1));
def('lhz', (i) => ld(i, eaD(i), 2));
def('lha', (i) => ld(i, eaD(i), 2, true));
def('stw', (i) => st(i, eaD(i), 4));
def('stb', (i) => st(i, eaD(i), 1));
def('sth', (i) => st(i, eaD(i), 2));
def('lwzx', (i) => ld(i, eaX(i), 4));
def('lbzx', (i) => ld(i, eaX(i), 1));
def('lhzx', (i) => ld(i, eaX(i), 2));
def('lhax', (i) => ld(i, eaX(i), 2, true));
def('stwx', (i) => st(i, eaX(i), 4));
def('stbx', (i) => st(i, eaX(i), 1));
def('sthx', (i) => st(i, eaX(i), 2));
def('lwzu', (i) => ldu(i, eaD(i), 4));
def('lbzu', (i) => ldu(i, eaD(i), 1));
def('lhzu', (i) => ldu(i, eaD(i), 2));
def('stwu', (i) => stu(i, eaD(i), 4));
def('stbu', (i) => stu(i, eaD(i), 1));
def('sthu', (i) => stu(i, eaD(i), 2));
def('lwzux', (i) => ldu(i, eaX(i), 4));
def('lbzux', (i) => ldu(i, eaX(i), 1));
def('stwux', (i) => stu(i, eaX(i), 4));
def('stbux', (i) => stu(i, eaX(i), 1));

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
  /** Target EA as an expression. */
  readonly target: string;
  /** Page offset of the target when it is known at translation time (relative branches). */
  readonly staticOffset?: number;
}

/**
 * Templates for a block-ending branch at page offset `at`; undefined = use the interpreter
 * function. Targets are expressions over `base`, the EA of the page.
 */
function planBranch(i: Insn, at: number): BranchPlan | undefined {
  const name = i.name;
  const aa = (i.word & 2) !== 0;
  const lk = (i.word & 1) !== 0;
  const link = lk ? `c.lr = (base + ${at + 4}) >>> 0; ` : '';
  const rel = `((base + ${at + i.imm}) >>> 0)`;
  const to = aa ? { target: hex(i.imm) } : { target: rel, staticOffset: at + i.imm };
  if (name === 'b') return { code: `${link}const taken = true;`, ...to };
  if (name === 'bc') return { code: condition(i.d, i.a) + ' ' + link, ...to };
  if (name === 'bclr') return { code: `const tgt = c.lr & ~3; ${condition(i.d, i.a)} ${link}`, target: '(tgt >>> 0)' };
  if (name === 'bcctr' && (i.d & 0x04) !== 0) return { code: `${condition(i.d, i.a)} ${link}`, target: '((ctr & ~3) >>> 0)' };
  return undefined;
}

const FLUSH = '/*FLUSH*/';
const RELOAD = '/*RELOAD*/';

/**
 * JS for one instruction at page offset `at` (index `k` of block `b`): its template when it
 * has one that applies (an empty template result means "not handled here"), otherwise a call
 * of its interpreter function with the register cache written back and reloaded around it.
 */
function instructionCode(i: Insn, b: number, k: number, at: number): string {
  if (isNoop(i)) return '';
  const t = templates.get(i.name);
  const code = t !== undefined ? t(i) : '';
  if (code !== '') return NEVER_FAULTS.has(i.name) ? code : `kp = ${at};\n${code}`;
  return `kp = ${at}; ${FLUSH} c.blockEa = (base + ${at - i.off}) >>> 0; f${b}_${k}(c, i${b}_${k}); ${RELOAD}`;
}

/** `nop` (ori 0,0,0) and `mr rX,rX` do nothing. */
function isNoop(i: Insn): boolean {
  return (i.name === 'ori' && i.imm === 0 && i.a === i.d) || (i.name === 'or' && i.d === i.b && i.a === i.d);
}

export interface RegionBlock {
  /** Page offset of the block's first instruction. */
  readonly offset: number;
  readonly block: Block;
  /** The block's last instruction ends blocks (a branch, or a change of translation or interrupt state). */
  readonly lastEndsBlock: boolean;
}

/** Where each block of a region sits: page offset → state index in the region's switch. */
type SlotMap = ReadonlyMap<number, number>;

/**
 * Code that continues at page offset `o`: the next block's state when it is in the region,
 * otherwise an exit to the engine.
 */
function goStatic(o: number, slots: SlotMap): string {
  const idx = slots.get(o);
  if (idx !== undefined) return `st = ${idx}; continue outer;`;
  return `c.npc = (base + ${o}) >>> 0; ${FLUSH} return done;`;
}

/** Code that continues at a computed EA: looked up among the region's blocks at run time. */
function goDynamic(expr: string): string {
  return `off = (${expr} - base) | 0; st = (off >>> 0) < 4096 ? SLOT[off >> 2] : -1; continue outer;`;
}

/** JS for one block (state `b`) as a `case` of the region's switch. */
function blockCase(rb: RegionBlock, b: number, slots: SlotMap): string {
  const { offset, block } = rb;
  const insns = block.insns;
  const n = insns.length;
  const last = insns[n - 1]!;
  const lastAt = offset + (n - 1) * 4;
  const fallOff = offset + block.byteLength;
  const lines: string[] = [];
  for (let k = 0; k < n - 1; k++) lines.push(instructionCode(insns[k]!, b, k, offset + k * 4));
  const fall = `((base + ${fallOff}) >>> 0)`;
  const branch = rb.lastEndsBlock ? planBranch(last, lastAt) : undefined;
  const body = `bo = ${offset};\n${lines.join('\n')}\n`;
  if (rb.lastEndsBlock && branch === undefined) {
    // The interpreter function decides where execution continues (rfi, sc, …) or the
    // instruction changed state the region relies on (mtmsr, tlbwe, isync, …).
    return `case ${b}: { ${body} c.npc = ${fall}; ${instructionCode(last, b, n - 1, lastAt)} done += ${n}; ${FLUSH} return done; }`;
  }
  if (branch === undefined) {
    const out = `if (done >= budget) { c.npc = ${fall}; ${FLUSH} return done; } ${goStatic(fallOff, slots)}`;
    return `case ${b}: { ${body} ${instructionCode(last, b, n - 1, lastAt)} done += ${n}; ${out} }`;
  }
  const spent = `if (done >= budget) { c.npc = taken ? ${branch.target} : ${fall}; ${FLUSH} return done; }`;
  const head = `kp = ${lastAt}; ${branch.code} done += ${n}; ${spent}`;
  if (branch.staticOffset === offset) {
    // A block that branches to its own start loops right here, without the switch.
    return `case ${b}: for (;;) { ${body} ${head} if (!taken) { ${goStatic(fallOff, slots)} } }`;
  }
  const taken = branch.staticOffset !== undefined ? goStatic(branch.staticOffset, slots) : goDynamic(branch.target);
  return `case ${b}: { ${body} ${head} if (taken) { ${taken} } ${goStatic(fallOff, slots)} }`;
}

/** `label` names the region in NGKVM_JIT_DUMP output (e.g. the page's physical address). */
export function compileRegion(blocks: readonly RegionBlock[], label = ''): CompiledRegion {
  const slots = new Map(blocks.map((rb, b) => [rb.offset, b] as const));
  const cases = blocks.map((rb, b) => blockCase(rb, b, slots)).join('\n');
  const body = `switch (st) {\n${cases}\ndefault: c.npc = (base + off) >>> 0; ${FLUSH} return done;\n}`;

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
  const prologue = blocks
    .flatMap((rb, b) => rb.block.insns.map((_, k) => `const f${b}_${k} = F[${b}][${k}], i${b}_${k} = I[${b}][${k}];`))
    .join('\n');
  const locals = decl.length > 0 ? `let ${decl.join(', ')};` : '';
  const src = `${prologue}
return function region(c, budget, entry, state) {
  const g = c.gpr; const base = (c.blockEa - entry) >>> 0;
  const dm = c.dmode, rT = c.rTag, rA = c.rAdd, wT = c.wTag, wA = c.wAdd, M = c.ram;
  let st = state, off = entry, bo = entry, kp = entry, done = 0, pn = 0, ti = 0; ${locals}
  try { outer: for (;;) { ${code} } }
  catch (e) { ${flush} c.jitPc = (base + kp) >>> 0; c.jitDone = done + ((kp - bo) >> 2); throw e; }
};`;
  if (process.env['NGKVM_JIT_DUMP'] !== undefined) {
    process.stderr.write(`--- region ${label} ${blocks.map((rb) => rb.offset.toString(16)).join(' ')}\n${src}\n`);
  }
  const slotTable = new Int16Array(1024).fill(-1);
  for (const [o, b] of slots) slotTable[o >> 2] = b;
  const factory = new Function('F', 'I', 'SLOT', 'mulhw', 'mulhwu', src) as (
    F: ExecFn[][],
    I: Insn[][],
    SLOT: Int16Array,
    mulhwFn: (a: number, b: number) => number,
    mulhwuFn: (a: number, b: number) => number,
  ) => CompiledRegion;
  return factory(
    blocks.map((rb) => rb.block.insns.map((i) => i.fn)),
    blocks.map((rb) => rb.block.insns),
    slotTable,
    mulhw,
    mulhwu,
  );
}
