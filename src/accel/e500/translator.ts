/**
 * Region translator of the e500 engine: hot guest code becomes JavaScript functions that V8
 * can optimise.
 *
 * Design (issue 13; figures in bench/engine-notes.md):
 * - Semantics are written once, in the instruction definitions (insn/*.ts): each definition is
 *   a template that emits JS through an `Ops` emitter (insn/ops.ts). The interpreter's
 *   per-variant functions (insn/interp-gen.ts) and the code inlined here are both generated
 *   from it; what an instruction reads and writes is what its template asked the emitter for
 *   (`JitOps` records it).
 * - A region has one entry (a hot block) and contains the blocks of the same 4 KiB page
 *   reachable from it by static edges that have run, up to a size limit: large for a head
 *   inside a loop, two blocks otherwise (the engine decides; `headsLoop`). Its control flow is
 *   structured: blocks in a loop-respecting topological order, loops as labelled `for (;;)`
 *   with `continue` on back edges, forward edges as `break` out of labelled blocks; no
 *   dispatch switch. An irreducible edge, an edge to a block outside the region and every
 *   dynamic target leave the region.
 * - GPRs, CR fields, XER[SO/OV/CA], LR and CTR are JS locals, loaded at entry and stored once
 *   in a shared epilogue; CR-field and CA writes that a liveness pass finds dead (overwritten
 *   before any read or possible exit) are not emitted.
 * - Every way out goes through the epilogue with a code: chain (the next PC is known and no
 *   state changed), stop (a fault or exit was recorded in the Cpu; nothing in the engine
 *   throws) or engine (MSR, translation or timers may have changed). Chaining looks the
 *   target up through the instruction-side soft TLB and the page's block table — the same
 *   lookup serves `blr`/`bctr` targets, a return-address cache in effect — and returns the
 *   next region, which the engine's trampoline calls: region-to-region transfers never pass
 *   through block dispatch.
 * - Interrupts, timers and kicks are checked only where a region loops or chains (the
 *   instruction budget `c.left`); instructions that change MSR, translation or timers end the
 *   region.
 * - Cold paths (soft-TLB misses, faults, exits) contain only constant assignments and a
 *   `break`, so that V8 does not deoptimise for missing type feedback when they first run;
 *   guest addresses are int32 throughout (kernel addresses above 2 GiB stay small integers).
 */
import { hostEnv, hostLogLine } from '../../api/host-env.js';
import type { Block, Insn, Region } from './block.js';
import type { CodePage } from './code-cache.js';
import { STLB_MASK, type Cpu } from './cpu.js';
import { HELPERS } from './insn/helpers.js';
import type { CrfOperand, Field, Ops, StateRef, Sync } from './insn/ops.js';

// ---- state items kept in locals ------------------------------------------------------------

/** Items: GPR n = n, CR field n = CR0 + n, then CA, OV, SO, LR, CTR. */
const CR0 = 32;
const CA = 40;
const OV = 41;
const SO = 42;
const LR = 43;
const CTR = 44;
const ITEMS = 45;

/*
 * Names in generated regions start with `$` (state locals, bookkeeping) or `H_` (helpers), so
 * that they never meet the plain names templates use for their own temporaries.
 */
const local = (item: number): string =>
  item < 32 ? `$r${item}` : item < 40 ? `$cr${item - CR0}` : (['$ca', '$ov', '$so', '$lr', '$ctr'] as const)[item - CA]!;
const loadItem = (item: number): string =>
  item < 32 ? `$g[${item}]` : item < 40 ? `$crf[${item - CR0}]` : (['c.xerCA', 'c.xerOV', 'c.xerSO', 'c.lr', 'c.ctr'] as const)[item - CA]!;

/** A set of items as a 64-entry bitmap in two int32 words. */
class Items {
  lo = 0;
  hi = 0;
  add(i: number): void {
    if (i < 32) this.lo |= 1 << i;
    else this.hi |= 1 << (i - 32);
  }
  has(i: number): boolean {
    return i < 32 ? (this.lo & (1 << i)) !== 0 : (this.hi & (1 << (i - 32))) !== 0;
  }
  addAll(o: Items): void {
    this.lo |= o.lo;
    this.hi |= o.hi;
  }
  copy(): Items {
    const s = new Items();
    s.lo = this.lo;
    s.hi = this.hi;
    return s;
  }
  equals(o: Items): boolean {
    return this.lo === o.lo && this.hi === o.hi;
  }
  list(): number[] {
    const out: number[] = [];
    for (let i = 0; i < ITEMS; i++) if (this.has(i)) out.push(i);
    return out;
  }
  static all(): Items {
    const s = new Items();
    s.lo = -1;
    s.hi = (1 << (ITEMS - 32)) - 1;
    return s;
  }
}

// ---- exit codes of the epilogue -----------------------------------------------------------

/** A fault or an exit was recorded: c.pc = the instruction that stopped. */
const EXIT_STOP = 1;
/** Continue at pc with no state change: the next region may be chained. */
const EXIT_CHAIN = 2;
/** Continue at pc, but MSR, translation, timers or decoded code may have changed. */
const EXIT_ENGINE = 3;

/**
 * The end of every region's source, after the body's `$out` block: the registers it wrote
 * (`stores`) back to the Cpu, the instructions counted, and the next region chained when the
 * body left it for one (exported for bench/backend.ts, which runs regions cut out by hand).
 */
export function regionEpilogue(stores: string): string {
  return `  }
  ${stores}
  $n = ($n + $kd) | 0;
  c.counters.instructions += $n;
  const $left = $lim - $n;
  c.left = $left;
  const $next = $abs ? $pc : ($base + $pc) | 0;
  c.pc = $next;
  if ($code !== ${EXIT_CHAIN} || $left <= 0) return null;
  return CH(c, $next);
};`;
}

/** What recording an instruction's template found. */
interface InsnInfo {
  readonly uses: Items;
  /** Items the instruction writes unconditionally. */
  readonly defs: Items;
  /** It may stop (fault/exit) or leave the region mid-way. */
  readonly mayStop: boolean;
  readonly mayStore: boolean;
  /** A branch: static (relative/absolute) or to a computed target. */
  readonly branch: { readonly test: string; readonly target: { readonly rel: number } | { readonly abs: number } | 'dynamic' } | null;
  /** rfi and friends: the instruction sets the next PC itself. */
  readonly setsNext: boolean;
}

/**
 * The translator's emitter: operand fields are the decoded instruction's constants, state
 * lives in locals, and every access is recorded.
 */
class JitOps implements Ops {
  readonly jit = true;
  readonly uses = new Items();
  readonly defs = new Items();
  mayStop = false;
  mayStore = false;
  branchInfo: InsnInfo['branch'] = null;
  setsNext = false;
  /** Dead items (emission pass): their writes are dropped. */
  dead: Items | null = null;
  /** The template passed the Insn object to a helper. */
  usedInsn = false;
  private tmp = 0;

  constructor(
    private readonly insnRef: string,
    private readonly i: Insn,
    /** Page offset of the instruction and its index in the block. */
    private readonly at: number,
    private readonly k: number,
    /** Cached items, for syncs around helper calls (emission pass). */
    private readonly cached: Items,
    private readonly helpers: Set<string>,
  ) {}

  get insn(): string {
    this.usedInsn = true;
    return this.insnRef;
  }
  f(x: Field): string {
    return String(this.i[x]);
  }
  get imm(): string {
    const v = this.i.imm | 0;
    return v < 0 ? `(${v})` : String(v);
  }
  get word(): string {
    return `0x${(this.i.word >>> 0).toString(16)}`;
  }
  get cia(): string {
    return `(($base + ${this.at}) | 0)`;
  }
  get nia(): string {
    return `(($base + ${this.at + 4}) | 0)`;
  }

  private use(item: number): string {
    this.uses.add(item);
    return local(item);
  }

  private def(item: number, code: string): string {
    this.defs.add(item);
    if (this.dead !== null && this.dead.has(item)) return '';
    return code;
  }

  gpr(x: Field): string {
    return this.use(this.i[x]);
  }
  gpr0(x: Field): string {
    return this.i[x] === 0 ? '0' : this.gpr(x);
  }
  setGpr(x: Field, v: string): string {
    const n = this.i[x];
    return this.def(n, `$r${n} = ${v};`);
  }

  private crfNum(x: CrfOperand): number {
    return x === 'D' ? this.i.d >>> 2 : x === 'S' ? this.i.a >>> 2 : x;
  }
  crf(x: CrfOperand): string {
    return this.use(CR0 + this.crfNum(x));
  }
  setCrf(x: CrfOperand, v: string): string {
    const n = this.crfNum(x);
    return this.def(CR0 + n, `$cr${n} = ${v};`);
  }
  crbit(x: Field): string {
    const bit = this.i[x];
    return `((${this.use(CR0 + (bit >>> 2))} >>> ${3 - (bit & 3)}) & 1)`;
  }
  setCrbit(x: Field, v: string): string {
    const bit = this.i[x];
    const f = bit >>> 2;
    const sh = 3 - (bit & 3);
    this.use(CR0 + f);
    return this.def(CR0 + f, `$cr${f} = ($cr${f} & ${~(1 << sh) & 15}) | ((${v}) << ${sh});`);
  }

  get ca(): string {
    return this.use(CA);
  }
  get so(): string {
    return this.use(SO);
  }
  get ov(): string {
    return this.use(OV);
  }
  setCa(v: string): string {
    return this.def(CA, `$ca = ${v};`);
  }
  setOv(v: string): string {
    this.use(SO);
    this.defs.add(OV);
    this.defs.add(SO);
    return `{ const $t = ${v}; $ov = $t; $so |= $t; }`;
  }
  setSo(v: string): string {
    return this.def(SO, `$so = ${v};`);
  }
  xer(): string {
    this.use(CA);
    this.use(OV);
    this.use(SO);
    return '((($so << 31) | ($ov << 30) | ($ca << 29) | (c.xerRest & 0x1fffffff)) >>> 0)';
  }
  setXer(v: string): string {
    this.defs.add(CA);
    this.defs.add(OV);
    this.defs.add(SO);
    return `{ const $t = ${v}; $so = ($t >>> 31) & 1; $ov = ($t >>> 30) & 1; $ca = ($t >>> 29) & 1; c.xerRest = $t & 0x1fffffff; }`;
  }
  get lr(): string {
    return this.use(LR);
  }
  get ctr(): string {
    return this.use(CTR);
  }
  setLr(v: string): string {
    return this.def(LR, `$lr = ${v};`);
  }
  setCtr(v: string): string {
    return this.def(CTR, `$ctr = ${v};`);
  }

  /** The exit taken when the instruction stops: only constant assignments (see header). */
  stop(): string {
    this.mayStop = true;
    return `{ $pc = ${this.at}; $kd = ${this.k}; $code = ${EXIT_STOP}; break $out; }`;
  }

  load(dst: string, size: 1 | 2 | 4, ea: string): string {
    if (MEM_CALL) {
      this.mayStop = true;
      return `const ${dst} = c.ld${size * 8}(${ea}); if (c.stop !== 0) ${this.stop()}`;
    }
    const t = `$e${this.tmp++}`;
    const get = size === 1 ? 'getUint8' : size === 2 ? 'getUint16' : 'getInt32';
    const inPage = size === 1 ? '' : ` && (${t} & 0xfff) <= ${size === 2 ? 0xffe : 0xffc}`;
    return (
      `let ${dst}; { const ${t} = ${ea}; const $pn = ${t} >>> 12, $ti = ($pn & ${STLB_MASK}) | $dm; ` +
      `if ($rT[$ti] === $pn${inPage}) ${dst} = $M.${get}(($rA[$ti] + ${t}) | 0); ` +
      `else { ${dst} = c.loadSlow(${t}, ${size}); if (c.stop !== 0) ${this.stop()} } }`
    );
  }

  store(size: 1 | 2 | 4, ea: string, v: string): string {
    this.mayStore = true;
    if (MEM_CALL) {
      this.mayStop = true;
      return `c.st${size * 8}(${ea}, ${v}); if (c.stop !== 0) ${this.stop()} $rs = c.resync;`;
    }
    const t = `$e${this.tmp++}`;
    const set = size === 1 ? 'setUint8' : size === 2 ? 'setUint16' : 'setInt32';
    const inPage = size === 1 ? '' : ` && (${t} & 0xfff) <= ${size === 2 ? 0xffe : 0xffc}`;
    return (
      `{ const ${t} = ${ea}; const $pn = ${t} >>> 12, $ti = ($pn & ${STLB_MASK}) | $dm; ` +
      `if ($wT[$ti] === $pn${inPage}) $M.${set}(($wA[$ti] + ${t}) | 0, ${v}); ` +
      `else { c.storeSlow(${t}, ${size}, ${v}); if (c.stop !== 0) ${this.stop()} $rs = c.resync; } }`
    );
  }

  h(name: string): string {
    if (!(name in HELPERS)) throw new Error(`instruction templates: unknown helper ${name}`);
    this.helpers.add(name);
    return `H_${name}`;
  }

  private items(refs: readonly StateRef[] | undefined): Items {
    const s = new Items();
    for (const r of refs ?? []) {
      if (r === 'r:*') s.lo = -1;
      else if (r === 'cr:*') for (let k = 0; k < 8; k++) s.add(CR0 + k);
      else if (r === 'xer') [CA, OV, SO].forEach((x) => s.add(x));
      else if (r === 'lr') s.add(LR);
      else if (r === 'ctr') s.add(CTR);
      else if (r.startsWith('r:')) s.add(this.i[r.slice(2) as Field]);
      else {
        const f = r.slice(3);
        s.add(CR0 + (f === 'D' ? this.i.d >>> 2 : f === 'S' ? this.i.a >>> 2 : Number(f)));
      }
    }
    return s;
  }

  /** Stores the cached `in`/`out` items before a helper and reloads `out` after it. */
  private around(sync: Sync | undefined): [string, string] {
    const inn = this.items(sync?.in);
    const out = this.items(sync?.out);
    // Helper inputs are uses; outputs may or may not be written: uses too (never kills).
    this.uses.addAll(inn);
    this.uses.addAll(out);
    const both = inn.copy();
    both.addAll(out);
    const before = both.list().filter((x) => this.cached.has(x)).map((x) => storeItem(x));
    const after = out.list().filter((x) => this.cached.has(x)).map((x) => `${local(x)} = ${loadItem(x)};`);
    return [before.join(' '), after.join(' ')];
  }

  call(expr: string, sync?: Sync): string {
    this.mayStop = true;
    const [before, after] = this.around(sync);
    const resync = sync?.store === true ? (this.mayStore = true, ' $rs = c.resync;') : '';
    return `${before} ${expr}; ${after} if (c.stop !== 0) ${this.stop()}${resync}`;
  }

  callv(dst: string, expr: string, sync?: Sync): string {
    this.mayStop = true;
    const [before, after] = this.around(sync);
    const resync = sync?.store === true ? (this.mayStore = true, ' $rs = c.resync;') : '';
    return `${before} const ${dst} = ${expr}; ${after} if (c.stop !== 0) ${this.stop()}${resync}`;
  }

  branch(test: string, abs: boolean): string {
    const imm = this.i.imm | 0;
    this.branchInfo = { test, target: abs ? { abs: imm } : { rel: this.at + imm } };
    return '/*@BR*/';
  }

  branchTo(test: string, target: string): string {
    this.branchInfo = { test, target: 'dynamic' };
    return `/*@BR*/`.replace('BR', `BR:${target}`);
  }

  setNext(target: string): string {
    this.setsNext = true;
    // The whole block has completed (this instruction is its last).
    return `{ $pc = ${target}; $abs = true; $kd = ${this.k + 1}; $code = ${EXIT_ENGINE}; break $out; }`;
  }
}

const storeItem = (x: number): string => `${loadItem(x)} = ${local(x)};`;

// ---- the region's control-flow graph ----------------------------------------------------------

interface Node {
  readonly id: number;
  readonly block: Block;
  readonly infos: InsnInfo[];
  /** In-region successors (node ids) with the kind of edge. */
  succ: number[];
  /** Exit edges (static page offsets) and whether the block also leaves dynamically. */
  exitOffsets: number[];
  /** RPO index. */
  rpo: number;
  /** Innermost loop (header node id) containing the node, or -1. */
  loop: number;
}

const MEM_CALL = hostEnv('NGKVM_JIT_MEM') === 'call';
/** Most blocks and instructions in one region (small functions optimise fast and stay optimised). */
const MAX_REGION_BLOCKS = Number(hostEnv('NGKVM_JIT_BLOCKS') ?? 32);
const MAX_REGION_INSNS = Number(hostEnv('NGKVM_JIT_INSNS') ?? 256);
/**
 * Blocks in a small region, which the engine gives a block outside loops (`headsLoop`). Code
 * that runs thousands of times, most of Linux's boot, repays a small function, which V8
 * compiles and optimises soon; a large one only repays itself over a loop's many iterations.
 */
const SMALL_REGION_BLOCKS = Number(hostEnv('NGKVM_JIT_SMALL_BLOCKS') ?? 2);

/** Which limits a region is built with. */
export type RegionSize = 'small' | 'large';

export interface TranslatorOptions {
  /** Dump the generated JS to stderr (NGKVM_JIT_DUMP). */
  readonly dump?: boolean;
  /** Minimum interpreted executions of a block to be included in a region (besides the head). */
  readonly minBlockRuns?: number;
}

export type ChainFn = (c: Cpu, pc: number) => Region | null;

/** Records what an instruction's template does (no liveness yet). */
function analyse(i: Insn, at: number, k: number): InsnInfo {
  const o = new JitOps('I', i, at, k, new Items(), new Set());
  i.def.sem(o, i.v);
  return { uses: o.uses, defs: o.defs, mayStop: o.mayStop, mayStore: o.mayStore, branch: o.branchInfo, setsNext: o.setsNext };
}

/** Static successors of a block as page offsets (may lie outside the page), and whether it also leaves to a computed target. */
function successors(b: Block, infos: readonly InsnInfo[]): { offsets: number[]; dynamic: boolean; engine: boolean } {
  const last = infos[infos.length - 1]!;
  const fall = b.offset + b.byteLength;
  if (!b.ends) return { offsets: [fall], dynamic: false, engine: false };
  const br = last.branch;
  if (br === null) return { offsets: [], dynamic: false, engine: true };
  const out: number[] = [];
  let dynamic = false;
  if (br.target === 'dynamic') dynamic = true;
  else if ('rel' in br.target) out.push(br.target.rel);
  else dynamic = true; // absolute: its page is not known here
  if (br.test !== 'true') out.push(fall);
  return { offsets: out, dynamic, engine: false };
}

export class Translator {
  private readonly dump: boolean;
  private readonly minBlockRuns: number;

  constructor(
    private readonly chain: ChainFn,
    opts: TranslatorOptions = {},
  ) {
    this.dump = opts.dump ?? false;
    this.minBlockRuns = opts.minBlockRuns ?? 1;
  }

  /** Translates the region headed by `head` (a block of `page`); null if it cannot. */
  translate(page: CodePage, head: Block, size: RegionSize = 'large'): Region | null {
    if (head.idleLoop) return null;
    const maxBlocks = size === 'small' ? Math.min(SMALL_REGION_BLOCKS, MAX_REGION_BLOCKS) : MAX_REGION_BLOCKS;
    const nodes: Node[] = [];
    const byOffset = new Map<number, Node>();
    let insns = 0;
    const add = (b: Block): Node => {
      const infos = b.insns.map((i, k) => analyse(i, b.offset + 4 * k, k));
      const n: Node = { id: nodes.length, block: b, infos, succ: [], exitOffsets: [], rpo: -1, loop: -1 };
      nodes.push(n);
      byOffset.set(b.offset, n);
      insns += b.insns.length;
      return n;
    };
    // Breadth-first over static edges inside the page, blocks that have run only.
    add(head);
    for (let q = 0; q < nodes.length; q++) {
      const n = nodes[q]!;
      const { offsets } = successors(n.block, n.infos);
      for (const off of offsets) {
        let t = byOffset.get(off);
        if (t === undefined) {
          const b = this.takes(page, off, nodes.length, insns, maxBlocks);
          if (b !== undefined) t = add(b);
        }
        if (t !== undefined) n.succ.push(t.id);
        else n.exitOffsets.push(off);
      }
    }
    const order = structure(nodes);
    return this.emit(page, head, nodes, order);
  }

  /** The block at page offset `off` if a region of `blocks` blocks and `insns` instructions takes it in. */
  private takes(page: CodePage, off: number, blocks: number, insns: number, maxBlocks: number): Block | undefined {
    if (off < 0 || off >= 4096 || blocks >= maxBlocks) return undefined;
    const b = page.blocks[off >>> 2];
    return b !== undefined && !b.idleLoop && b.execCount >= this.minBlockRuns && insns + b.insns.length <= MAX_REGION_INSNS ? b : undefined;
  }

  /**
   * Whether `head` is inside a loop of the region it would head: the same walk as
   * `translate`, analysing only each block's last instruction (where its successors are),
   * looking for an edge back to the head.
   */
  headsLoop(page: CodePage, head: Block): boolean {
    if (head.idleLoop) return false;
    const blocks: Block[] = [head];
    const seen = new Set<number>([head.offset]);
    let insns = head.insns.length;
    for (let q = 0; q < blocks.length; q++) {
      const b = blocks[q]!;
      const k = b.insns.length - 1;
      for (const off of successors(b, [analyse(b.insns[k]!, b.offset + 4 * k, k)]).offsets) {
        if (off === head.offset) return true;
        if (seen.has(off)) continue;
        const next = this.takes(page, off, blocks.length, insns, MAX_REGION_BLOCKS);
        if (next === undefined) continue;
        seen.add(off);
        blocks.push(next);
        insns += next.insns.length;
      }
    }
    return false;
  }

  // ---- emission ----------------------------------------------------------------------------

  private emit(page: CodePage, head: Block, nodes: Node[], layout: Layout): Region {
    // Liveness of state items (backward), for dropping dead CR/CA writes.
    const liveIn = nodes.map(() => new Items());
    const liveOutOf = (n: Node): Items => {
      const s = new Items();
      const { dynamic, engine } = successors(n.block, n.infos);
      if (n.exitOffsets.length > 0 || dynamic || engine || n.succ.some((t) => layout.backEdge(n.id, t))) return Items.all();
      for (const t of n.succ) s.addAll(liveIn[t]!);
      return s;
    };
    const blockLiveIn = (n: Node, out: Items): Items => {
      let live = out.copy();
      for (let k = n.infos.length - 1; k >= 0; k--) {
        const info = n.infos[k]!;
        if (info.mayStop || info.mayStore) {
          live = Items.all();
          continue;
        }
        live.lo &= ~info.defs.lo;
        live.hi &= ~info.defs.hi;
        live.addAll(info.uses);
      }
      return live;
    };
    for (let changed = true; changed; ) {
      changed = false;
      for (let k = layout.order.length - 1; k >= 0; k--) {
        const n = nodes[layout.order[k]!]!;
        const li = blockLiveIn(n, liveOutOf(n));
        if (!li.equals(liveIn[n.id]!)) {
          liveIn[n.id] = li;
          changed = true;
        }
      }
    }

    // Locals: every item any instruction uses or writes.
    const cached = new Items();
    for (const n of nodes) for (const info of n.infos) {
      cached.addAll(info.uses);
      cached.addAll(info.defs);
    }
    const written = new Items();
    for (const n of nodes) for (const info of n.infos) written.addAll(info.defs);

    const helpers = new Set<string>();
    const insnRefs: Insn[] = [];
    const blockCode = new Map<number, string>();
    for (const n of nodes) blockCode.set(n.id, this.blockCode(n, layout, liveOutOf(n), cached, helpers, insnRefs));

    const body = layout.render((id) => blockCode.get(id)!);
    const list = cached.list();
    const decl = list.map((x) => `${local(x)} = ${loadItem(x)}`);
    const stores = list.filter((x) => written.has(x)).map(storeItem).join(' ');
    const name = `region_${page.pa.toString(16)}_${head.offset.toString(16)}`;
    const prelude = [...helpers].map((h) => `const H_${h} = H.${h};`).concat(insnRefs.map((_, k) => `const $I${k} = I[${k}];`)).join('\n');
    const src = `${prelude}
return function ${name}(c) {
  const $g = c.gpr, $crf = c.crf, $dm = c.dmode, $rT = c.rTag, $rA = c.rAdd, $wT = c.wTag, $wA = c.wAdd, $M = c.ram;
  const $lim = c.left, $base = (c.pc - ${head.offset}) | 0;
  ${decl.length > 0 ? `let ${decl.join(', ')};` : ''}
  let $n = 0, $pc = 0, $kd = 0, $code = 0, $abs = false, $rs = 0;
  $out: {
${body}
${regionEpilogue(stores)}`;
    if (this.dump) hostLogLine(`--- ${name} (${nodes.length} blocks)\n${src}`);
    const factory = new Function('H', 'I', 'CH', src) as (h: typeof HELPERS, i: Insn[], ch: ChainFn) => (c: Cpu) => Region | null;
    return { fn: factory(HELPERS, insnRefs, this.chain) };
  }

  /** The code of one block: its instructions, then the transfer to its successors. */
  private blockCode(n: Node, layout: Layout, liveOut: Items, cached: Items, helpers: Set<string>, insnRefs: Insn[]): string {
    const b = n.block;
    const len = b.insns.length;
    // Per-instruction dead sets, backward from the block's live-out.
    const deadAfter: Items[] = new Array<Items>(len);
    let live = liveOut.copy();
    for (let k = len - 1; k >= 0; k--) {
      const info = n.infos[k]!;
      const dead = new Items();
      if (!(info.mayStop || info.mayStore)) {
        // CR fields and CA only: the flag updates.
        for (let x = CR0; x <= CA; x++) if (info.defs.has(x) && !live.has(x)) dead.add(x);
        live.lo &= ~info.defs.lo;
        live.hi &= ~info.defs.hi;
        live.addAll(info.uses);
      } else {
        live = Items.all();
      }
      deadAfter[k] = dead;
    }
    const parts: string[] = [];
    for (let k = 0; k < len; k++) {
      const i = b.insns[k]!;
      const at = b.offset + 4 * k;
      const ref = `$I${insnRefs.length}`;
      const o = new JitOps(ref, i, at, k, cached, helpers);
      o.dead = deadAfter[k]!;
      let code = i.def.sem(o, i.v);
      if (o.usedInsn) insnRefs.push(i);
      const isLast = k === len - 1;
      if (isLast) {
        code = code.replace(/\/\*@BR(?::([^*]*))?\*\//, (_m, target: string | undefined) => this.transfer(n, layout, o.branchInfo, target));
      }
      parts.push(`{ ${code} }`);
      if (o.mayStore) parts.push(`if ($rs !== 0) { $pc = ${at + 4}; $kd = ${k + 1}; $code = ${EXIT_ENGINE}; break $out; }`);
    }
    const last = n.infos[len - 1]!;
    if (last.branch === null && !last.setsNext) {
      // Falls through (block cut short), or ends the block with an effect on the engine's state.
      const fall = b.offset + b.byteLength;
      if (b.ends) parts.push(`{ $pc = ${fall}; $kd = ${len}; $code = ${EXIT_ENGINE}; break $out; }`);
      else parts.push(this.edge(n, layout, fall, len));
    }
    return parts.join('\n');
  }

  /** Transfer code for the block's final branch (placed where the template branched). */
  private transfer(n: Node, layout: Layout, br: InsnInfo['branch'], dynTarget: string | undefined): string {
    const b = n.block;
    const len = b.insns.length;
    const fall = b.offset + b.byteLength;
    if (br === null) return '';
    let taken: string;
    if (br.target === 'dynamic') taken = `{ $pc = ${dynTarget ?? 'undefined'}; $abs = true; $kd = ${len}; $code = ${EXIT_CHAIN}; break $out; }`;
    else if ('abs' in br.target) taken = `{ $pc = ${br.target.abs}; $abs = true; $kd = ${len}; $code = ${EXIT_CHAIN}; break $out; }`;
    else taken = this.edge(n, layout, br.target.rel, len);
    if (br.test === 'true') return taken;
    const notTaken = this.edge(n, layout, fall, len);
    return `if (${br.test}) { ${taken} } else { ${notTaken} }`;
  }

  /** Code that continues at page offset `off` after the block (which ran `len` instructions). */
  private edge(n: Node, layout: Layout, off: number, len: number): string {
    const t = n.succ.find((id) => layout.nodes[id]!.block.offset === off);
    if (t === undefined) return `{ $pc = ${off}; $kd = ${len}; $code = ${EXIT_CHAIN}; break $out; }`;
    const jump = layout.jump(n.id, t);
    if (layout.backEdge(n.id, t)) {
      return `$n = ($n + ${len}) | 0; if ($n >= $lim) { $pc = ${off}; $kd = 0; $code = ${EXIT_CHAIN}; break $out; } ${jump}`;
    }
    return `$n = ($n + ${len}) | 0; ${jump}`;
  }
}

// ---- structured control flow ---------------------------------------------------------------

/** A region's blocks laid out as nested scopes: the top level and loops. */
interface Scope {
  /** Loop header node id, or -1 for the function's top level. */
  readonly header: number;
  readonly parent: Scope | null;
  /** Child items in emission order: node ids (>= 0) or inner loops. */
  items: (number | Scope)[];
  /** Nodes of this scope (including nested loops'). */
  readonly members: Set<number>;
}

class Layout {
  /** Every node in emission order. */
  readonly order: number[] = [];
  /** Forward-jump labels needed: scope item → label. */
  private readonly labels = new Map<number | Scope, string>();
  private readonly scopeOf = new Map<number, Scope>();

  constructor(
    readonly nodes: readonly Node[],
    private readonly top: Scope,
    private readonly backEdges: Set<string>,
  ) {
    const walk = (s: Scope): void => {
      for (const it of s.items) {
        if (typeof it === 'number') {
          this.order.push(it);
          this.scopeOf.set(it, s);
        } else walk(it);
      }
    };
    walk(top);
  }

  backEdge(from: number, to: number): boolean {
    return this.backEdges.has(`${from}>${to}`);
  }

  private loopLabel(s: Scope): string {
    return `$L${s.header}`;
  }

  /** The item of scope `s` that contains node `id`. */
  private itemIn(s: Scope, id: number): number | Scope {
    for (const it of s.items) {
      if (it === id) return it;
      if (typeof it !== 'number' && it.members.has(id)) return it;
    }
    throw new Error(`translator: node ${id} is not in the scope`);
  }

  /** The JS that transfers control from node `from` to node `to` (both in the region). */
  jump(from: number, to: number): string {
    // A back edge continues the loop whose header `to` is.
    if (this.backEdge(from, to)) {
      return `continue $L${to};`;
    }
    // Find the innermost scope around `from` that contains `to`.
    let s: Scope | null = this.scopeOf.get(from)!;
    while (s !== null && !(s.header === -1 || s.members.has(to))) s = s.parent;
    const scope = s ?? this.top;
    const toItem = this.itemIn(scope, to);
    const fromItem = this.itemIn(scope, from);
    const fi = scope.items.indexOf(fromItem);
    const ti = scope.items.indexOf(toItem);
    if (ti <= fi) throw new Error(`translator: edge ${from}→${to} goes up the layout`);
    if (ti === fi + 1) {
      if (fromItem === from) return ''; // falls through
      return `break ${this.loopLabel(fromItem as Scope)};`;
    }
    let label = this.labels.get(toItem);
    if (label === undefined) {
      label = `$F${this.labels.size}`;
      this.labels.set(toItem, label);
    }
    return `break ${label};`;
  }

  /** The whole body; call after every jump has been planned (block code generated). */
  render(code: (id: number) => string): string {
    const scope = (s: Scope): string => {
      const targets = s.items.filter((it) => this.labels.has(it));
      let out = targets
        .slice()
        .reverse()
        .map((it) => `${this.labels.get(it)!}: {\n`)
        .join('');
      for (const it of s.items) {
        if (this.labels.has(it)) out += '}\n';
        if (typeof it === 'number') out += `${code(it)}\n`;
        else out += `${this.loopLabel(it)}: for (;;) {\n${scope(it)}}\n`;
      }
      return out;
    };
    // Jumps are planned while the block code is generated, before rendering.
    return scope(this.top);
  }
}

/**
 * Orders the region's blocks: depth-first from the head, back edges (to a dominating block)
 * become loops, an edge into a loop's middle (irreducible) becomes an exit; each loop's
 * blocks are contiguous and every forward edge goes down the order.
 */
function structure(nodes: Node[]): Layout {
  const n = nodes.length;
  // Depth-first order and retreating edges.
  const post: number[] = [];
  const state = new Array<number>(n).fill(0);
  const visit = (v: number): void => {
    state[v] = 1;
    for (const t of nodes[v]!.succ) if (state[t] === 0) visit(t);
    state[v] = 2;
    post.push(v);
  };
  visit(0);
  const rpo = post.slice().reverse();
  rpo.forEach((id, k) => (nodes[id]!.rpo = k));
  // Dominators (iterative, on RPO).
  const preds: number[][] = nodes.map(() => []);
  for (const v of nodes) for (const t of v.succ) preds[t]!.push(v.id);
  const idom = new Array<number>(n).fill(-1);
  idom[0] = 0;
  const intersect = (a: number, b: number): number => {
    while (a !== b) {
      while (nodes[a]!.rpo > nodes[b]!.rpo) a = idom[a]!;
      while (nodes[b]!.rpo > nodes[a]!.rpo) b = idom[b]!;
    }
    return a;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (const v of rpo) {
      if (v === 0) continue;
      let d = -1;
      for (const p of preds[v]!) if (idom[p] !== -1) d = d === -1 ? p : intersect(p, d);
      if (d !== idom[v]) {
        idom[v] = d;
        changed = true;
      }
    }
  }
  const dominates = (a: number, b: number): boolean => {
    for (let x = b; ; x = idom[x]!) {
      if (x === a) return true;
      if (x === 0) return a === 0;
    }
  };
  // Retreating edges: loops when the target dominates the source; otherwise (irreducible)
  // the region is left there instead.
  const backEdges = new Set<string>();
  for (const v of nodes) {
    for (const t of [...v.succ]) {
      if (nodes[t]!.rpo > v.rpo) continue;
      if (dominates(t, v.id)) backEdges.add(`${v.id}>${t}`);
      else {
        v.succ = v.succ.filter((s) => s !== t);
        v.exitOffsets.push(nodes[t]!.block.offset);
      }
    }
  }
  for (const p of preds) p.length = 0;
  for (const v of nodes) for (const t of v.succ) preds[t]!.push(v.id);
  // Natural loops (merged per header): everything that reaches a latch without passing the header.
  const loops = new Map<number, Set<number>>();
  for (const e of backEdges) {
    const [v, t] = e.split('>').map(Number) as [number, number];
    let body = loops.get(t);
    if (body === undefined) loops.set(t, (body = new Set([t])));
    const stack = [v];
    while (stack.length > 0) {
      const x = stack.pop()!;
      if (body.has(x)) continue;
      body.add(x);
      for (const p of preds[x]!) stack.push(p);
    }
  }
  // Loop nest: a loop's parent is the smallest other loop containing its header.
  const headers = [...loops.keys()];
  const scopes = new Map<number, Scope>();
  const top: Scope = { header: -1, parent: null, items: [], members: new Set(rpo) };
  const sorted = headers.slice().sort((a, b) => loops.get(b)!.size - loops.get(a)!.size);
  for (const h of sorted) {
    const body = loops.get(h)!;
    let parent: Scope = top;
    for (const g of sorted) {
      if (g === h || !scopes.has(g)) continue;
      const gb = loops.get(g)!;
      if (gb.has(h) && gb.size >= body.size && (parent === top || gb.size < parent.members.size)) parent = scopes.get(g)!;
    }
    scopes.set(h, { header: h, parent, items: [], members: body });
  }
  for (const v of nodes) {
    let inner: Scope | null = null;
    for (const s of scopes.values()) if (s.members.has(v.id) && (inner === null || s.members.size < inner.members.size)) inner = s;
    v.loop = inner?.header ?? -1;
  }
  // Items of each scope, topologically sorted (forward edges only), RPO breaking ties.
  const childItem = (s: Scope, v: number): number | Scope => {
    // The node itself if its innermost scope is s, else the child loop of s containing it.
    let inner: Scope | null = v === s.header ? s : nodes[v]!.loop !== -1 ? scopes.get(nodes[v]!.loop)! : top;
    if (inner === s) return v;
    while (inner !== null && inner.parent !== s) inner = inner.parent;
    return inner ?? v;
  };
  const fill = (s: Scope): void => {
    const itemsSet = new Set<number | Scope>();
    for (const v of s.members) {
      if (s.header === -1 && nodes[v]!.loop === -1) itemsSet.add(v);
      else itemsSet.add(childItem(s, v));
    }
    const items = [...itemsSet];
    const key = (it: number | Scope): number => (typeof it === 'number' ? nodes[it]!.rpo : nodes[it.header]!.rpo);
    const nodesOf = (it: number | Scope): number[] => (typeof it === 'number' ? [it] : [...it.members]);
    const indeg = new Map<number | Scope, number>(items.map((it) => [it, 0]));
    const edges = new Map<number | Scope, Set<number | Scope>>(items.map((it) => [it, new Set()]));
    for (const it of items) {
      for (const v of nodesOf(it)) {
        for (const t of nodes[v]!.succ) {
          if (backEdges.has(`${v}>${t}`) || !s.members.has(t)) continue;
          const tt = childItem(s, t);
          if (tt === it || edges.get(it)!.has(tt)) continue;
          edges.get(it)!.add(tt);
          indeg.set(tt, indeg.get(tt)! + 1);
        }
      }
    }
    const ready = items.filter((it) => indeg.get(it) === 0);
    const out: (number | Scope)[] = [];
    while (ready.length > 0) {
      ready.sort((a, b) => key(a) - key(b));
      const it = ready.shift()!;
      out.push(it);
      for (const t of edges.get(it)!) {
        const d = indeg.get(t)! - 1;
        indeg.set(t, d);
        if (d === 0) ready.push(t);
      }
    }
    if (out.length !== items.length) throw new Error('translator: region is not reducible after cutting retreating edges');
    s.items = out;
    for (const it of out) if (typeof it !== 'number') fill(it);
  };
  // A loop scope's items exclude nothing: its header comes first (all its in-loop preds are back edges).
  fill(top);
  return new Layout(nodes, top, backEdges);
}
