/**
 * `npm run bench -- backend`: would a WebAssembly back end make translated guest code faster?
 *
 * bench-cpu's three hot phases (guests/tests/bench-cpu.c) in two forms over the same data: the
 * JavaScript the translator emits for them, compiled the way it compiles it, and WebAssembly
 * written by hand the way a wasm back end would emit it at best (registers in locals, the same
 * soft-TLB lookup, the big-endian load as a byte swap, a miss leaving the region, the written
 * registers stored back at the end). Both forms must compute the same values and count the same
 * guest instructions in every round. The first round shows cold code (V8's interpreter and
 * baseline tiers against Liftoff); the best of the later rounds shows optimised code (TurboFan
 * both ways). A probe for the engine notes (bench/engine-notes.md), not a measure of ngkvm.
 */
import { regionEpilogue } from '../src/accel/e500/translator.js';
import { table } from './harness.js';

/** The part of the WebAssembly JS API used here (the project's `lib` setting does not declare it). */
declare const WebAssembly: {
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => { buffer: SharedArrayBuffer };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
};

const RAM_BYTES = 16 << 20;
const TLB_TAGS = RAM_BYTES; // byte offset of the tag array (4096 × i32)
const TLB_ADDENDS = RAM_BYTES + 16384; // byte offset of the addend array
const GPRS = RAM_BYTES + 32768; // byte offset of the wasm side's register file
const PAGES = (RAM_BYTES + (1 << 20)) >> 16;
const ROUNDS = 8;

const memory = new WebAssembly.Memory({ initial: PAGES, maximum: PAGES, shared: true });
const tags = new Int32Array(memory.buffer, TLB_TAGS, 4096);
const addends = new Int32Array(memory.buffer, TLB_ADDENDS, 4096);
const ram = new DataView(memory.buffer, 0, RAM_BYTES);
const bytes = new Uint8Array(memory.buffer, 0, RAM_BYTES);
const wasmGprs = new Int32Array(memory.buffer, GPRS, 32);

/** Guest pages 0x100–0x2ff map one to one onto RAM (the addend is 0), like bench-cpu's data. */
function mapPages(tag: Int32Array, addend: Int32Array): void {
  tag.fill(-1);
  for (let pn = 0x100; pn < 0x300; pn++) {
    tag[pn & 1023] = pn;
    addend[pn & 1023] = 0;
  }
}

/**
 * The vCPU a region reads and writes back (the fields of `Cpu` the regions below use). Its soft
 * TLB arrays are its own, as in `Cpu`; the wasm side has a copy inside its memory.
 */
function probeVcpu() {
  const rTag = new Int32Array(4096);
  const rAdd = new Int32Array(4096);
  mapPages(rTag, rAdd);
  const miss = (ea: number): never => {
    throw new Error(`soft-TLB miss at ${ea.toString(16)}: the probe's pages are all mapped`);
  };
  return {
    gpr: new Int32Array(32), crf: new Int32Array(8), xerSO: 0, ctr: 0, pc: 0, left: 0, dmode: 0,
    rTag, rAdd, wTag: rTag, wAdd: rAdd, ram,
    counters: { instructions: 0 },
    stop: 0, resync: 0,
    loadSlow: miss, storeSlow: miss,
  };
}
type ProbeVcpu = ReturnType<typeof probeVcpu>;

/**
 * The translator's output, copied from `NGKVM_JIT_DUMP=1` on bench-cpu (e500v2) at commit 8c3635a;
 * copy it again when the translator's output changes. The sieve and the CRC are whole regions as
 * emitted; the dot product's loop is cut out of the matrix multiply's region, with that region's
 * prologue and epilogue around it.
 */
function region(src: string): (c: ProbeVcpu) => unknown {
  const chain = (): null => null; // the next region: here the caller
  return (new Function('H', 'I', 'CH', src) as (h: unknown, i: unknown, ch: unknown) => (c: ProbeVcpu) => unknown)(undefined, [], chain);
}


const sieveJs = region(`
return function region_102000_728(c) {
  const $g = c.gpr, $crf = c.crf, $dm = c.dmode, $rT = c.rTag, $rA = c.rAdd, $wT = c.wTag, $wA = c.wAdd, $M = c.ram;
  const $lim = c.left, $base = (c.pc - 1832) | 0;
  let $r5 = $g[5], $r6 = $g[6], $r7 = $g[7], $r8 = $g[8], $r10 = $g[10], $r21 = $g[21], $r23 = $g[23], $r24 = $g[24], $r25 = $g[25], $r27 = $g[27], $r31 = $g[31], $cr0 = $crf[0], $so = c.xerSO;
  let $n = 0, $pc = 0, $kd = 0, $code = 0, $abs = false, $rs = 0;
  $out: {
$L0: for (;;) {
$F0: {
$F1: {
{ const s = $r8, b = $r8; const r = s | b; $r6 = r;  }
{ const ea = ($r8 + 1) | 0; let v; { const $e0 = ea; const $pn = $e0 >>> 12, $ti = ($pn & 1023) | $dm; if ($rT[$ti] === $pn) v = $M.getUint8(($rA[$ti] + $e0) | 0); else { v = c.loadSlow($e0, 1); if (c.stop !== 0) { $pc = 1836; $kd = 1; $code = 1; break $out; } } } $r7 = v; $r8 = ea; }
{ const a = $r7, b = 0; $cr0 = (a < b ? 8 : a > b ? 4 : 2) | $so; }
{   if ((($cr0 >>> 1) & 1) === 0) { $n = ($n + 4) | 0; break $F0; } else { $n = ($n + 4) | 0;  } }
{ const a = $r24, b = $r6; const r = (a + b) | 0;  $r6 = r;  }
{ const a = $r10 >>> 0, b = $r21 >>> 0; $cr0 = (a < b ? 8 : a > b ? 4 : 2) | $so; }
{ const a = $r31, b = $r6; const r = (a + b) | 0;  $r31 = r;  }
{ $r5 = ($r5 + 1) | 0; }
{   if ((($cr0 >>> 3) & 1) === 0) { $n = ($n + 5) | 0; break $F0; } else { $n = ($n + 5) | 0;  } }
{ const s = $r10, b = $r10; const r = s | b; $r7 = r;  }
{ const ea = ($r7 + $r27) | 0; { const $e0 = ea; const $pn = $e0 >>> 12, $ti = ($pn & 1023) | $dm; if ($wT[$ti] === $pn) $M.setUint8(($wA[$ti] + $e0) | 0, $r23 & 0xff); else { c.storeSlow($e0, 1, $r23 & 0xff); if (c.stop !== 0) { $pc = 1872; $kd = 1; $code = 1; break $out; } $rs = c.resync; } }  }
if ($rs !== 0) { $pc = 1876; $kd = 2; $code = 3; break $out; }
{ const a = $r7, b = $r6; const r = (a + b) | 0;  $r7 = r;  }
{ const a = $r7 >>> 0, b = $r21 >>> 0; $cr0 = (a < b ? 8 : a > b ? 4 : 2) | $so; }
{   if ((($cr0 >>> 3) & 1) === 1) { $n = ($n + 5) | 0;  } else { $n = ($n + 5) | 0; break $F1; } }
$L4: for (;;) {
{ const ea = ($r7 + $r27) | 0; { const $e0 = ea; const $pn = $e0 >>> 12, $ti = ($pn & 1023) | $dm; if ($wT[$ti] === $pn) $M.setUint8(($wA[$ti] + $e0) | 0, $r23 & 0xff); else { c.storeSlow($e0, 1, $r23 & 0xff); if (c.stop !== 0) { $pc = 1872; $kd = 0; $code = 1; break $out; } $rs = c.resync; } }  }
if ($rs !== 0) { $pc = 1876; $kd = 1; $code = 3; break $out; }
{ const a = $r7, b = $r6; const r = (a + b) | 0;  $r7 = r;  }
{ const a = $r7 >>> 0, b = $r21 >>> 0; $cr0 = (a < b ? 8 : a > b ? 4 : 2) | $so; }
{   if ((($cr0 >>> 3) & 1) === 1) { $n = ($n + 4) | 0; if ($n >= $lim) { $pc = 1872; $kd = 0; $code = 2; break $out; } continue $L4; } else { $n = ($n + 4) | 0; break $L4; } }
}
}
{ const a = $r25 >>> 0, b = $r8 >>> 0; $cr0 = (a < b ? 8 : a > b ? 4 : 2) | $so; }
{ $r10 = ($r10 + 2) | 0; }
{   if ((($cr0 >>> 1) & 1) === 0) { $n = ($n + 3) | 0; if ($n >= $lim) { $pc = 1832; $kd = 0; $code = 2; break $out; } continue $L0; } else { { $pc = 1900; $kd = 3; $code = 2; break $out; } } }
}
{ const a = $r25 >>> 0, b = $r8 >>> 0; $cr0 = (a < b ? 8 : a > b ? 4 : 2) | $so; }
{ $r10 = ($r10 + 2) | 0; }
{   if ((($cr0 >>> 1) & 1) === 1) { { $pc = 1900; $kd = 3; $code = 2; break $out; } } else { $n = ($n + 3) | 0; if ($n >= $lim) { $pc = 1832; $kd = 0; $code = 2; break $out; } continue $L0; } }
}

` + regionEpilogue('$g[5] = $r5; $g[6] = $r6; $g[7] = $r7; $g[8] = $r8; $g[10] = $r10; $g[31] = $r31; $crf[0] = $cr0;'));

const crcJs = region(`
return function region_102000_690(c) {
  const $g = c.gpr, $crf = c.crf, $dm = c.dmode, $rT = c.rTag, $rA = c.rAdd, $wT = c.wTag, $wA = c.wAdd, $M = c.ram;
  const $lim = c.left, $base = (c.pc - 1680) | 0;
  let $r3 = $g[3], $r4 = $g[4], $r8 = $g[8], $r10 = $g[10], $r30 = $g[30], $ctr = c.ctr;
  let $n = 0, $pc = 0, $kd = 0, $code = 0, $abs = false, $rs = 0;
  $out: {
$L0: for (;;) {
{ const ea = ($r4 + 1) | 0; let v; { const $e0 = ea; const $pn = $e0 >>> 12, $ti = ($pn & 1023) | $dm; if ($rT[$ti] === $pn) v = $M.getUint8(($rA[$ti] + $e0) | 0); else { v = c.loadSlow($e0, 1); if (c.stop !== 0) { $pc = 1680; $kd = 0; $code = 1; break $out; } } } $r10 = v; $r4 = ea; }
{ const s = $r30; const r = (s >>> (32 - 24)) | 0; $r3 = r;  }
{ const s = $r10, b = $r30; const r = s ^ b; $r10 = r;  }
{ const s = $r10; const r = ((s << 2) | (s >>> (32 - 2))) & 1020; $r10 = r;  }
{ const ea = ($r8 + $r10) | 0; let v; { const $e0 = ea; const $pn = $e0 >>> 12, $ti = ($pn & 1023) | $dm; if ($rT[$ti] === $pn && ($e0 & 0xfff) <= 4092) v = $M.getInt32(($rA[$ti] + $e0) | 0); else { v = c.loadSlow($e0, 4); if (c.stop !== 0) { $pc = 1696; $kd = 4; $code = 1; break $out; } } } $r30 = v;  }
{ const s = $r30, b = $r3; const r = s ^ b; $r30 = r;  }
{ $ctr = ($ctr - 1) | 0;  if ($ctr !== 0) { $n = ($n + 7) | 0; if ($n >= $lim) { $pc = 1680; $kd = 0; $code = 2; break $out; } continue $L0; } else { { $pc = 1708; $kd = 7; $code = 2; break $out; } } }
}

` + regionEpilogue('$g[3] = $r3; $g[4] = $r4; $g[10] = $r10; $g[30] = $r30; c.ctr = $ctr;'));

const dotJs = region(`
return function region_102000_878(c) {
  const $g = c.gpr, $crf = c.crf, $dm = c.dmode, $rT = c.rTag, $rA = c.rAdd, $wT = c.wTag, $wA = c.wAdd, $M = c.ram;
  const $lim = c.left, $base = (c.pc - 2168) | 0;
  let $r0 = $g[0], $r3 = $g[3], $r6 = $g[6], $r7 = $g[7], $r8 = $g[8], $r10 = $g[10], $r11 = $g[11], $r12 = $g[12], $r18 = $g[18], $r19 = $g[19], $r20 = $g[20], $r21 = $g[21], $r22 = $g[22], $r23 = $g[23], $r26 = $g[26], $cr0 = $crf[0], $so = c.xerSO, $ctr = c.ctr;
  let $n = 0, $pc = 0, $kd = 0, $code = 0, $abs = false, $rs = 0;
  $out: {
$L0: for (;;) {
{ const ea = ($r23 + 4) | 0; let v; { const $e0 = ea; const $pn = $e0 >>> 12, $ti = ($pn & 1023) | $dm; if ($rT[$ti] === $pn && ($e0 & 0xfff) <= 4092) v = $M.getInt32(($rA[$ti] + $e0) | 0); else { v = c.loadSlow($e0, 4); if (c.stop !== 0) { $pc = 2168; $kd = 0; $code = 1; break $out; } } } $r0 = v;  }
{ $r10 = ($r10 + (-2)) | 0; }
{ const ea = ($r6 + 0) | 0; let v; { const $e0 = ea; const $pn = $e0 >>> 12, $ti = ($pn & 1023) | $dm; if ($rT[$ti] === $pn && ($e0 & 0xfff) <= 4092) v = $M.getInt32(($rA[$ti] + $e0) | 0); else { v = c.loadSlow($e0, 4); if (c.stop !== 0) { $pc = 2176; $kd = 2; $code = 1; break $out; } } } $r18 = v;  }
{ $r23 = ($r23 + 8) | 0; }
{ const ea = ($r6 + 256) | 0; let v; { const $e0 = ea; const $pn = $e0 >>> 12, $ti = ($pn & 1023) | $dm; if ($rT[$ti] === $pn && ($e0 & 0xfff) <= 4092) v = $M.getInt32(($rA[$ti] + $e0) | 0); else { v = c.loadSlow($e0, 4); if (c.stop !== 0) { $pc = 2184; $kd = 4; $code = 1; break $out; } } } $r22 = v;  }
{ $r6 = ($r6 + 512) | 0; }
{ const ea = ($r23 + 0) | 0; let v; { const $e0 = ea; const $pn = $e0 >>> 12, $ti = ($pn & 1023) | $dm; if ($rT[$ti] === $pn && ($e0 & 0xfff) <= 4092) v = $M.getInt32(($rA[$ti] + $e0) | 0); else { v = c.loadSlow($e0, 4); if (c.stop !== 0) { $pc = 2192; $kd = 6; $code = 1; break $out; } } } $r12 = v;  }
{ const a = $r0, b = $r18; const r = Math.imul(a, b);  $r18 = r;  }
{ const a = $r12, b = $r22; const r = Math.imul(a, b);  $r12 = r;  }
{ const a = $r8, b = $r18; const r = (a + b) | 0;  $r8 = r;  }
{ const a = $r3, b = $r12; const r = (a + b) | 0;  $r3 = r;  }
{ $ctr = ($ctr - 1) | 0;  if ($ctr !== 0) { $n = ($n + 12) | 0; if ($n >= $lim) { $pc = 2168; $kd = 0; $code = 2; break $out; } continue $L0; } else { $n = ($n + 12) | 0; $pc = 2216; break $out; } }
}
` + regionEpilogue('$g[0] = $r0; $g[3] = $r3; $g[6] = $r6; $g[8] = $r8; $g[10] = $r10; $g[12] = $r12; $g[18] = $r18; $g[22] = $r22; $g[23] = $r23; c.ctr = $ctr;'));

// ---- The same loops in WebAssembly ----

const uleb = (n: number): number[] => {
  const out: number[] = [];
  do { let b = n & 0x7f; n >>>= 7; if (n !== 0) b |= 0x80; out.push(b); } while (n !== 0);
  return out;
};
const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
};
const get = (l: number): number[] => [0x20, ...uleb(l)];
const set = (l: number): number[] => [0x21, ...uleb(l)];
const tee = (l: number): number[] => [0x22, ...uleb(l)];
const i32 = (v: number): number[] => [0x41, ...sleb(v | 0)];
const op = { add: 0x6a, sub: 0x6b, mul: 0x6c, and: 0x71, or: 0x72, xor: 0x73, shl: 0x74, shrU: 0x76, rotl: 0x77, rotr: 0x78, eqz: 0x45, ne: 0x47, ltS: 0x48, ltU: 0x49, gtS: 0x4a, gtU: 0x4b, geS: 0x4e, select: 0x1b, brIf: 0x0d, br: 0x0c, end: 0x0b } as const;
const loadI32 = (offset: number): number[] => [0x28, 2, ...uleb(offset)];
const loadU8 = [0x2d, 0, 0];
const storeU8 = [0x3a, 0, 0];
const block = [0x02, 0x40];
const loop = [0x03, 0x40];
const blockLoop = [...block, ...loop]; // $out (depth 1 inside the loop) and the loop (depth 0)

/** ea (on the stack) → host address in `host`, leaving the region (br to depth `out`) on a miss or a page-crossing word. */
function translate(ea: number, pn: number, ti: number, host: number, word: boolean, out = 1): number[] {
  return [
    ...tee(ea),
    ...(word ? [...i32(0xfff), op.and, ...i32(4092), op.gtU, op.brIf, out, ...get(ea)] : []),
    ...i32(12), op.shrU, ...tee(pn), ...i32(1023), op.and, ...i32(2), op.shl, ...tee(ti),
    ...loadI32(TLB_TAGS), ...get(pn), op.ne, op.brIf, out,
    ...get(ti), ...loadI32(TLB_ADDENDS), ...get(ea), op.add, ...set(host),
  ];
}

/** Big-endian word at the host address in local `host` → stack. */
const loadBe = (host: number, tmp: number): number[] => [
  ...get(host), ...loadI32(0), ...tee(tmp), ...i32(8), op.rotr, ...i32(0xff00ff00), op.and,
  ...get(tmp), ...i32(8), op.rotl, ...i32(0x00ff00ff), op.and, op.or,
];

function wasmFunction(params: number, locals: number, body: number[]): (...args: number[]) => number {
  const section = (id: number, content: number[]): number[] => [id, ...uleb(content.length), ...content];
  const name = [...uleb(1), 0x66]; // "f"
  const code = [...uleb(1), ...uleb(locals), 0x7f, ...body, op.end];
  const module = new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, [1, 0x60, ...uleb(params), ...Array<number>(params).fill(0x7f), 1, 0x7f]),
    ...section(2, [1, ...uleb(1), 0x65, ...name, 0x02, 0x03, ...uleb(PAGES), ...uleb(PAGES)]), // import e.f: shared memory
    ...section(3, [1, 0]),
    ...section(7, [1, ...name, 0, 0]),
    ...section(10, [1, ...uleb(code.length), ...code]),
  ]);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(module), { e: { f: memory } });
  return instance.exports['f'] as (...args: number[]) => number;
}

/** Writes a register back to the probe's register file in wasm memory, as a region's epilogue does. */
const writeBack = (reg: number, local: number): number[] => [...i32(GPRS + 4 * reg), ...get(local), 0x36, 2, 0];

/** `cmp`/`cmpl` into the local `cr0`: LT 8, GT 4, EQ 2 (SO is clear), as the translator computes it. */
const compare = (cr0: number, a: number[], b: number[], signed: boolean): number[] => [
  ...i32(8), ...i32(4), ...i32(2), ...a, ...b, signed ? op.gtS : op.gtU, op.select, ...a, ...b, signed ? op.ltS : op.ltU, op.select, ...set(cr0),
];
/** CR0 bit `bit` (0 LT, 1 GT, 2 EQ) of the local `cr0` → stack. */
const crBit = (cr0: number, bit: number): number[] => [...get(cr0), ...i32(3 - bit), op.shrU, ...i32(1), op.and];
const LT = 0;
const EQ = 2;

/** The sieve's pass over `composite` (region 728: the scan for the next prime and the marking loop); returns the guest instructions run. */
const sieveWasm = (() => {
  const [r8, r10, r21, r23, r24, r25, r27, lim, r5, r6, r7, r31, cr0, n, ea, pn, ti, host] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17];
  const count = (k: number): number[] => [...get(n), ...i32(k), op.add, ...set(n)];
  return wasmFunction(8, 10, [
    ...block, ...loop, ...block, ...block, // $out, $L0, $F0, $F1: $F1 is depth 0, $F0 1, $L0 2, $out 3
    ...get(r8), ...set(r6),
    ...get(r8), ...i32(1), op.add, ...translate(ea, pn, ti, host, false, 3), ...get(host), ...loadU8, ...set(r7), ...get(ea), ...set(r8),
    ...compare(cr0, get(r7), i32(0), true),
    ...count(4), ...crBit(cr0, EQ), op.eqz, op.brIf, 1, // composite[i] set: next i
    ...get(r24), ...get(r6), op.add, ...set(r6),
    ...compare(cr0, get(r10), get(r21), false),
    ...get(r31), ...get(r6), op.add, ...set(r31),
    ...get(r5), ...i32(1), op.add, ...set(r5),
    ...count(5), ...crBit(cr0, LT), op.eqz, op.brIf, 1, // 2i beyond the end: next i
    ...get(r10), ...set(r7),
    ...get(r7), ...get(r27), op.add, ...translate(ea, pn, ti, host, false, 3), ...get(host), ...get(r23), ...storeU8,
    ...get(r7), ...get(r6), op.add, ...set(r7),
    ...compare(cr0, get(r7), get(r21), false),
    ...count(5), ...crBit(cr0, LT), op.eqz, op.brIf, 0,
    ...loop, // $L4: depth 0, $F1 1, $F0 2, $L0 3, $out 4
    ...get(r7), ...get(r27), op.add, ...translate(ea, pn, ti, host, false, 4), ...get(host), ...get(r23), ...storeU8,
    ...get(r7), ...get(r6), op.add, ...set(r7),
    ...compare(cr0, get(r7), get(r21), false),
    ...count(4), ...crBit(cr0, LT), op.eqz, op.brIf, 1,
    ...get(n), ...get(lim), op.geS, op.brIf, 4,
    op.br, 0,
    op.end, op.end, op.end, // $L4, $F1, $F0: $L0 is depth 0, $out 1
    ...compare(cr0, get(r25), get(r8), false),
    ...get(r10), ...i32(2), op.add, ...set(r10),
    ...count(3), ...crBit(cr0, EQ), op.brIf, 1, // the last i: done
    ...get(n), ...get(lim), op.geS, op.brIf, 1,
    op.br, 0,
    op.end, op.end,
    ...writeBack(5, r5), ...writeBack(6, r6), ...writeBack(7, r7), ...writeBack(8, r8), ...writeBack(10, r10), ...writeBack(31, r31),
    ...get(n),
  ]);
})();

/** The CRC loop; returns r30 (the running CRC). */
const crcWasm = (() => {
  const [r4, r8, r30, ctr, lim, r3, r10, n, ea, pn, ti, host, tmp] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  return wasmFunction(5, 8, [
    ...blockLoop,
    ...get(r4), ...i32(1), op.add, ...translate(ea, pn, ti, host, false), ...get(host), ...loadU8, ...set(r10), ...get(ea), ...set(r4),
    ...get(r30), ...i32(8), op.shrU, ...set(r3),
    ...get(r10), ...get(r30), op.xor, ...i32(2), op.rotl, ...i32(1020), op.and, ...set(r10),
    ...get(r8), ...get(r10), op.add, ...translate(ea, pn, ti, host, true), ...loadBe(host, tmp), ...get(r3), op.xor, ...set(r30),
    ...get(n), ...i32(7), op.add, ...set(n),
    ...get(ctr), ...i32(1), op.sub, ...tee(ctr), op.eqz, op.brIf, 1,
    ...get(n), ...get(lim), op.geS, op.brIf, 1,
    op.br, 0, op.end, op.end,
    ...writeBack(3, r3), ...writeBack(4, r4), ...writeBack(10, r10), ...writeBack(30, r30),
    ...get(r30),
  ]);
})();

/** The dot product's loop (two steps per iteration); returns r8 + r3 (its two partial sums). */
const dotWasm = (() => {
  const [r23, r6, ctr, lim, r0, r3, r8, r10, r12, r18, r22, n, ea, pn, ti, host, tmp] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
  const load = (address: number[], into: number): number[] => [...address, ...translate(ea, pn, ti, host, true), ...loadBe(host, tmp), ...set(into)];
  return wasmFunction(4, 13, [
    ...i32(64), ...set(r10),
    ...blockLoop,
    ...load([...get(r23), ...i32(4), op.add], r0),
    ...get(r10), ...i32(-2), op.add, ...set(r10),
    ...load(get(r6), r18),
    ...get(r23), ...i32(8), op.add, ...set(r23),
    ...load([...get(r6), ...i32(256), op.add], r22),
    ...get(r6), ...i32(512), op.add, ...set(r6),
    ...load(get(r23), r12),
    ...get(r0), ...get(r18), op.mul, ...set(r18),
    ...get(r12), ...get(r22), op.mul, ...set(r12),
    ...get(r8), ...get(r18), op.add, ...set(r8),
    ...get(r3), ...get(r12), op.add, ...set(r3),
    ...get(n), ...i32(12), op.add, ...set(n),
    ...get(ctr), ...i32(1), op.sub, ...tee(ctr), op.eqz, op.brIf, 1,
    ...get(n), ...get(lim), op.geS, op.brIf, 1,
    op.br, 0, op.end, op.end,
    ...writeBack(0, r0), ...writeBack(6, r6), ...writeBack(10, r10), ...writeBack(12, r12), ...writeBack(18, r18), ...writeBack(22, r22), ...writeBack(23, r23),
    ...get(r8), ...get(r3), op.add,
  ]);
})();

// ---- The workloads: both forms must compute the same value and count the same instructions ----

const SIEVE_BASE = 0x100000;
const SIEVE_N = 1 << 20;
const NO_LIMIT = 0x7fffffff;
const DOT_STEPS = 256;

interface Workload {
  name: string;
  prepare(): void;
  /** Runs the loop; `result` is read afterwards, outside the timing. */
  run(form: 'js' | 'wasm', c: ProbeVcpu): { insns: number; result: () => number };
}

/** FNV-1a over a RAM range: what the sieve wrote. */
function hashRange(from: number, length: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < from + length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

function enter(c: ProbeVcpu, regs: Record<number, number>, ctr = 0): void {
  for (const [r, v] of Object.entries(regs)) c.gpr[Number(r)] = v;
  c.ctr = ctr;
  c.left = NO_LIMIT;
  c.pc = 0x102000;
}

const workloads: Workload[] = [
  {
    name: 'sieve (one pass over 1 MiB)',
    prepare: () => bytes.fill(0, SIEVE_BASE, SIEVE_BASE + SIEVE_N),
    run(form, c) {
      // r8 walks composite[] (lbzu), r10 = 2i, r24 turns r8 into i, r25 = the last element, r27 = composite
      const regs = { 5: 0, 6: 0, 7: 0, 8: SIEVE_BASE + 1, 10: 4, 21: SIEVE_N, 23: 1, 24: 1 - SIEVE_BASE, 25: SIEVE_BASE + SIEVE_N - 1, 27: SIEVE_BASE, 31: 0 };
      let insns: number;
      let primes: () => number[];
      if (form === 'js') {
        enter(c, regs);
        const before = c.counters.instructions;
        sieveJs(c);
        insns = c.counters.instructions - before;
        primes = () => [c.gpr[5]!, c.gpr[31]!];
      } else {
        insns = sieveWasm(regs[8], regs[10], regs[21], regs[23], regs[24], regs[25], regs[27], NO_LIMIT);
        primes = () => [wasmGprs[5]!, wasmGprs[31]!];
      }
      const result = (): number => {
        const [count, sum] = primes();
        const h = hashRange(SIEVE_BASE, SIEVE_N);
        bytes.fill(0, SIEVE_BASE, SIEVE_BASE + SIEVE_N);
        if (count !== 82025) throw new Error(`sieve (${form}): ${count} primes below 2^20, not 82025`);
        return (h ^ Math.imul(count!, 31) ^ sum!) | 0;
      };
      return { insns, result };
    },
  },
  {
    name: 'CRC-32 (lbzu/lwzx/bdnz)',
    prepare() {
      for (let i = 0; i < 256; i++) ram.setInt32(0x200000 + i * 4, Math.imul(i, 0x9e3779b1));
      for (let i = 0; i < 1 << 20; i++) bytes[0x100000 + i] = (i * 7) & 0xff;
    },
    run(form, c) {
      if (form === 'wasm') {
        const crc = crcWasm(0x100000 - 1, 0x200000, -1, 1 << 20, NO_LIMIT);
        return { insns: 7 << 20, result: () => crc };
      }
      enter(c, { 4: 0x100000 - 1, 8: 0x200000, 30: -1 }, 1 << 20);
      const before = c.counters.instructions;
      crcJs(c);
      return { insns: c.counters.instructions - before, result: () => c.gpr[30]! };
    },
  },
  {
    name: 'matrix dot (4×lwz, 2×mullw)',
    prepare() {
      for (let i = 0; i < 0x20000; i++) ram.setInt32(0x100000 + i * 4, ((i * 37) % 201) - 100);
    },
    run(form, c) {
      let h = 0;
      for (let i = 0; i < 64; i++) {
        for (let j = 0; j < 64; j++) {
          const row = 0x100000 + i * 2048, column = 0x180000 + j * 4;
          let dot: number;
          if (form === 'wasm') {
            dot = dotWasm(row, column, DOT_STEPS, NO_LIMIT);
          } else {
            enter(c, { 3: 0, 6: column, 8: 0, 10: 64, 23: row }, DOT_STEPS);
            dotJs(c);
            dot = (c.gpr[8]! + c.gpr[3]!) | 0;
          }
          h = (Math.imul(h, 31) + dot) | 0;
        }
      }
      return { insns: 64 * 64 * DOT_STEPS * 12, result: () => h };
    },
  },
];

export async function benchBackend(): Promise<void> {
  mapPages(tags, addends);
  const c = probeVcpu();
  const rows: string[][] = [['loop', 'guest insns', 'JS 1st', 'wasm 1st', 'JS best', 'wasm best', 'JS MIPS', 'wasm MIPS', 'JS/wasm']];
  for (const w of workloads) {
    w.prepare();
    const times = { js: [] as number[], wasm: [] as number[] };
    let insns = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const results = { js: { insns: 0, value: 0 }, wasm: { insns: 0, value: 0 } };
      // Alternate which form goes first so neither always runs on a warmer cache.
      for (const form of round % 2 === 0 ? (['js', 'wasm'] as const) : (['wasm', 'js'] as const)) {
        const t0 = performance.now();
        const r = w.run(form, c);
        times[form].push(performance.now() - t0);
        results[form] = { insns: r.insns, value: r.result() };
      }
      const { js, wasm } = results;
      if (js.value !== wasm.value || js.insns !== wasm.insns) {
        throw new Error(`${w.name}, round ${round}: JS computed ${js.value} in ${js.insns} guest instructions, wasm ${wasm.value} in ${wasm.insns}`);
      }
      insns = js.insns;
    }
    const best = (xs: number[]): number => Math.min(...xs.slice(1));
    const ms = (x: number): string => `${x.toFixed(1)} ms`;
    const mips = (x: number): string => (insns / x / 1000).toFixed(0);
    rows.push([w.name, `${(insns / 1e6).toFixed(1)} M`, ms(times.js[0]!), ms(times.wasm[0]!), ms(best(times.js)), ms(best(times.wasm)), mips(best(times.js)), mips(best(times.wasm)), `${(best(times.js) / best(times.wasm)).toFixed(2)}×`]);
  }
  console.log("\nbackend probe: bench-cpu's hot loops as the translator's JavaScript and as hand-written WebAssembly (same data, same results)");
  console.log(table(rows));
  console.log('(1st: cold code; best: fastest later round, optimised code both ways; JS/wasm above 1 means wasm is faster)');
}
