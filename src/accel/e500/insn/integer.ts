/**
 * Fixed-point arithmetic, logical, rotate/shift, compare and CR-logical instructions: their
 * definitions (encoding and semantics, see ops.ts).
 *
 * Record (Rc) and overflow (OE) forms are variants: the code for `add` carries no test for
 * them, `add.` sets CR0 from the result. Operand patterns the hardware treats specially
 * (rlwinm that is a plain shift, mtcrf's field mask) are variants too, so both the
 * interpreter and the translator get straight-line code for them.
 */
import { registerHelpers } from './helpers.js';
import { RB_FIELD, RC_BIT, type InsnDef, type Ops, type Template, type Variant } from './ops.js';

/** High word of the unsigned 64-bit product of two 32-bit values, exactly (int32 result). */
export function mulhwu(a: number, b: number): number {
  a >>>= 0;
  b >>>= 0;
  const al = a & 0xffff;
  const ah = a >>> 16;
  const bl = b & 0xffff;
  const bh = b >>> 16;
  const lo = al * bl;
  const m1 = ah * bl;
  const m2 = al * bh;
  const t = (lo >>> 16) + (m1 & 0xffff) + (m2 & 0xffff);
  return (ah * bh + Math.floor(m1 / 65536) + Math.floor(m2 / 65536) + Math.floor(t / 65536)) | 0;
}

/** High word of the signed 64-bit product. */
export function mulhw(a: number, b: number): number {
  let h = mulhwu(a, b) >>> 0;
  if (a < 0) h -= b >>> 0;
  if (b < 0) h -= a >>> 0;
  return h | 0;
}

registerHelpers({ mulhw, mulhwu });

/** The 32-bit mask MASK(mb, me) in IBM bit numbering, wrapping when mb > me. */
export function rotateMask(mb: number, me: number): number {
  const m = (0xffffffff >>> mb) & (0xffffffff << (31 - me));
  return (mb <= me ? m : (0xffffffff >>> mb) | (0xffffffff << (31 - me))) | 0;
}

// ---- template pieces ------------------------------------------------------------------------

/** CR0 from the int32 held in the local `r` (LT/GT/EQ + SO). */
export const cr0 = (o: Ops, r = 'r'): string => o.setCrf(0, `(${r} < 0 ? 8 : ${r} > 0 ? 4 : 2) | ${o.so}`);
const rcTail = (o: Ops, v: Variant, r = 'r'): string => (v.rc ? cr0(o, r) : '');

const U32 = '0x100000000';

function d(name: string, op: number, imm: InsnDef['imm'], sem: Template, extra: Partial<InsnDef> = {}): InsnDef {
  return { name, op, xoKind: 'none', imm, avail: 'all', sem, ...extra };
}

function x(name: string, op: number, xo: number, sem: Template, extra: Partial<InsnDef> = {}): InsnDef {
  return { name, op, xo, xoKind: 'x', imm: 'none', avail: 'all', sem, ...extra };
}

/**
 * XO-form arithmetic: `body` computes the int32 `r` (and CA) from the locals `a` and `b`
 * (`b` absent for unary forms); `ovf` is a boolean expression over a, b, r.
 */
function xo(name: string, xoValue: number, body: (o: Ops) => string, ovf: string | null, unary = false): InsnDef {
  return {
    name,
    op: 31,
    xo: xoValue,
    xoKind: 'xo',
    imm: 'none',
    avail: 'all',
    rc: true,
    oe: ovf !== null,
    // The unary forms have no rB.
    ...(unary ? { reserved: RB_FIELD } : {}),
    sem: (o, v) =>
      `const a = ${o.gpr('a')}${unary ? '' : `, b = ${o.gpr('b')}`}; ${body(o)} ` +
      `${v.oe && ovf !== null ? o.setOv(`${ovf} ? 1 : 0`) : ''} ${o.setGpr('d', 'r')} ${rcTail(o, v)}`,
  };
}

/** Logical X-form (rS in d, result in a): `expr` over locals s (rS) and b (rB). */
function logical(name: string, xoValue: number, expr: string, usesB = true): InsnDef {
  return x(
    name,
    31,
    xoValue,
    (o, v) => `const s = ${o.gpr('d')}${usesB ? `, b = ${o.gpr('b')}` : ''}; const r = ${expr}; ${o.setGpr('a', 'r')} ${rcTail(o, v)}`,
    { rc: true },
  );
}

/** Compare into crfD of the locals a and b (already signed or unsigned as wanted). */
const compare = (o: Ops): string => o.setCrf('D', `(a < b ? 8 : a > b ? 4 : 2) | ${o.so}`);

/** CR-logical: crbD = op(crbA, crbB) over the 0/1 locals p and q. */
function crLogical(name: string, xoValue: number, expr: string): InsnDef {
  return x(name, 19, xoValue, (o) => `const p = ${o.crbit('a')}, q = ${o.crbit('b')}; ${o.setCrbit('d', `(${expr}) & 1`)}`, { reserved: RC_BIT });
}

const rotl = (s: string, n: string): string => `((${s} << ${n}) | (${s} >>> (32 - ${n})))`;

/** rlwinm variants: 1 = a left shift (mask is all ones from bit 0 to 31-SH), 2 = a right shift. */
function rlwinmKind(f: { b: number; imm: number }): number {
  const m = f.imm | 0;
  if (m === (0xffffffff << f.b) >> 0) return 1;
  if (f.b !== 0 && m === ((0xffffffff >>> (32 - f.b)) | 0)) return 2;
  return 0;
}

/** mfocrf/mtocrf: mfcr/mtcrf with this bit set name one CR field in FXM. */
const OCRF_BIT = 0x00100000;
/** mfcr/mtcrf bit 20 is reserved (the FXM field ends at bit 19). */
const CRF_RESERVED = 0x00000800;
/** L = 1 (a 64-bit compare) in cmp, cmpl, cmpi, cmpli: invalid on these 32-bit cores. */
const CMP_L = 0x00200000;

const oneField = (fxm: number): boolean => fxm !== 0 && (fxm & (fxm - 1)) === 0;

/**
 * mfcr variants: 0 = the whole CR; 1..8 = mfocrf of field k-1 (the other fields read as 0);
 * MFOCRF_NONE = mfocrf with an FXM other than one field, which leaves rT unchanged. The ISA
 * leaves rT undefined there; QEMU 7.2 writes nothing and we do the same.
 */
const MFOCRF_NONE = 9;
function mfcrKind(f: { word: number }): number {
  if ((f.word & OCRF_BIT) === 0) return 0;
  const fxm = (f.word >>> 12) & 0xff;
  return oneField(fxm) ? Math.clz32(fxm) - 24 + 1 : MFOCRF_NONE;
}

/** mtcrf variant: FXM; mtocrf with other than one field changes nothing (QEMU 7.2; undefined in the ISA). */
function mtcrfKind(f: { word: number }): number {
  const fxm = (f.word >>> 12) & 0xff;
  return (f.word & OCRF_BIT) !== 0 && !oneField(fxm) ? 0 : fxm;
}

const wholeCr = (o: Ops): string => [0, 1, 2, 3, 4, 5, 6, 7].map((k) => `(${o.crf(k)} << ${28 - 4 * k})`).join(' | ');

export const INTEGER_DEFS: readonly InsnDef[] = [
  // ---- immediate forms
  d('mulli', 7, 'simm', (o) => o.setGpr('d', `Math.imul(${o.gpr('a')}, ${o.imm})`)),
  d('subfic', 8, 'simm', (o) => `const a = ${o.gpr('a')}; ${o.setCa(`(${o.imm} >>> 0) >= (a >>> 0) ? 1 : 0`)} ${o.setGpr('d', `(${o.imm} - a) | 0`)}`),
  d('cmpli', 10, 'uimm', (o) => `const a = ${o.gpr('a')} >>> 0, b = ${o.imm}; ${compare(o)}`, { reserved: CMP_L }),
  d('cmpi', 11, 'simm', (o) => `const a = ${o.gpr('a')}, b = ${o.imm}; ${compare(o)}`, { reserved: CMP_L }),
  d('addic', 12, 'simm', (o) => `const a = ${o.gpr('a')}; ${o.setCa(`(a >>> 0) + (${o.imm} >>> 0) >= ${U32} ? 1 : 0`)} ${o.setGpr('d', `(a + ${o.imm}) | 0`)}`),
  d(
    'addic.',
    13,
    'simm',
    (o) => `const a = ${o.gpr('a')}; const r = (a + ${o.imm}) | 0; ${o.setCa(`(a >>> 0) + (${o.imm} >>> 0) >= ${U32} ? 1 : 0`)} ${o.setGpr('d', 'r')} ${cr0(o)}`,
  ),
  d('addi', 14, 'simm', (o) => o.setGpr('d', `(${o.gpr0('a')} + ${o.imm}) | 0`)),
  // the decoder pre-shifts the immediate of addis, oris, xoris, andis.
  d('addis', 15, 'shifted', (o) => o.setGpr('d', `(${o.gpr0('a')} + ${o.imm}) | 0`)),
  d('ori', 24, 'uimm', (o) => o.setGpr('a', `${o.gpr('d')} | ${o.imm}`)),
  d('oris', 25, 'shifted', (o) => o.setGpr('a', `${o.gpr('d')} | ${o.imm}`)),
  d('xori', 26, 'uimm', (o) => o.setGpr('a', `${o.gpr('d')} ^ ${o.imm}`)),
  d('xoris', 27, 'shifted', (o) => o.setGpr('a', `${o.gpr('d')} ^ ${o.imm}`)),
  d('andi.', 28, 'uimm', (o) => `const r = ${o.gpr('d')} & ${o.imm}; ${o.setGpr('a', 'r')} ${cr0(o)}`),
  d('andis.', 29, 'shifted', (o) => `const r = ${o.gpr('d')} & ${o.imm}; ${o.setGpr('a', 'r')} ${cr0(o)}`),
  // ---- rotate (SH in b, mask in imm)
  d(
    'rlwimi',
    20,
    'mask',
    (o, v) => `const s = ${o.gpr('d')}; const r = (${rotl('s', o.f('b'))} & ${o.imm}) | (${o.gpr('a')} & ~${o.imm}); ${o.setGpr('a', 'r')} ${rcTail(o, v)}`,
    { rc: true },
  ),
  d(
    'rlwinm',
    21,
    'mask',
    (o, v) => {
      const expr = v.k === 1 ? `s << ${o.f('b')}` : v.k === 2 ? `(s >>> (32 - ${o.f('b')})) | 0` : `${rotl('s', o.f('b'))} & ${o.imm}`;
      return `const s = ${o.gpr('d')}; const r = ${expr}; ${o.setGpr('a', 'r')} ${rcTail(o, v)}`;
    },
    { rc: true, variant: rlwinmKind },
  ),
  d(
    'rlwnm',
    23,
    'mask',
    (o, v) => `const s = ${o.gpr('d')}, n = ${o.gpr('b')} & 31; const r = ${rotl('s', 'n')} & ${o.imm}; ${o.setGpr('a', 'r')} ${rcTail(o, v)}`,
    { rc: true },
  ),
  // ---- opcode 19: CR logical and moves
  x('mcrf', 19, 0, (o) => o.setCrf('D', o.crf('S')), { reserved: RC_BIT }),
  crLogical('crnor', 33, '~(p | q)'),
  crLogical('crandc', 129, 'p & ~q'),
  crLogical('crxor', 193, 'p ^ q'),
  crLogical('crnand', 225, '~(p & q)'),
  crLogical('crand', 257, 'p & q'),
  crLogical('creqv', 289, '~(p ^ q)'),
  crLogical('crorc', 417, 'p | ~q'),
  crLogical('cror', 449, 'p | q'),
  // ---- opcode 31: XO-form arithmetic
  xo('subfc', 8, (o) => `const r = (b - a) | 0; ${o.setCa('(b >>> 0) >= (a >>> 0) ? 1 : 0')}`, '((~a ^ r) & (b ^ r)) < 0'),
  xo('addc', 10, (o) => `const r = (a + b) | 0; ${o.setCa(`(a >>> 0) + (b >>> 0) >= ${U32} ? 1 : 0`)}`, '((a ^ r) & (b ^ r)) < 0'),
  xo('mulhwu', 11, (o) => `const r = ${o.h('mulhwu')}(a, b);`, null),
  xo('subf', 40, () => 'const r = (b - a) | 0;', '((~a ^ r) & (b ^ r)) < 0'),
  xo('mulhw', 75, (o) => `const r = ${o.h('mulhw')}(a, b);`, null),
  xo('neg', 104, () => 'const r = -a | 0;', 'a === -0x80000000', true),
  xo(
    'subfe',
    136,
    (o) => `const ca = ${o.ca}; const r = (~a + b + ca) | 0; ${o.setCa(`(~a >>> 0) + (b >>> 0) + ca >= ${U32} ? 1 : 0`)}`,
    '((~a ^ r) & (b ^ r)) < 0',
  ),
  xo('adde', 138, (o) => `const ca = ${o.ca}; const r = (a + b + ca) | 0; ${o.setCa(`(a >>> 0) + (b >>> 0) + ca >= ${U32} ? 1 : 0`)}`, '((a ^ r) & (b ^ r)) < 0'),
  xo('subfze', 200, (o) => `const ca = ${o.ca}; const r = (~a + ca) | 0; ${o.setCa(`(~a >>> 0) + ca >= ${U32} ? 1 : 0`)}`, '((~a ^ r) & r) < 0', true),
  xo('addze', 202, (o) => `const ca = ${o.ca}; const r = (a + ca) | 0; ${o.setCa(`(a >>> 0) + ca >= ${U32} ? 1 : 0`)}`, '((a ^ r) & r) < 0', true),
  xo(
    'subfme',
    232,
    (o) => `const ca = ${o.ca}; const r = (~a - 1 + ca) | 0; ${o.setCa(`(~a >>> 0) + 0xffffffff + ca >= ${U32} ? 1 : 0`)}`,
    '((~a ^ r) & ~r) < 0',
    true,
  ),
  xo(
    'addme',
    234,
    (o) => `const ca = ${o.ca}; const r = (a - 1 + ca) | 0; ${o.setCa(`(a >>> 0) + 0xffffffff + ca >= ${U32} ? 1 : 0`)}`,
    '((a ^ r) & ~r) < 0',
    true,
  ),
  // The double product is exact below 2^53 and certainly out of range above it.
  xo('mullw', 235, () => 'const r = Math.imul(a, b);', '(a * b > 0x7fffffff || a * b < -0x80000000)'),
  xo('add', 266, () => 'const r = (a + b) | 0;', '((a ^ r) & (b ^ r)) < 0'),
  // The quotient of a division by zero or of INT_MIN / -1 is undefined by the ISA; like QEMU
  // we leave the dividend, so the architecturally defined parts (XER, CR0[SO]) are what matters.
  xo('divwu', 459, () => 'const r = b === 0 ? a : ((a >>> 0) / (b >>> 0)) | 0;', 'b === 0'),
  xo('divw', 491, () => 'const r = b === 0 || (a === -0x80000000 && b === -1) ? a : (a / b) | 0;', '(b === 0 || (a === -0x80000000 && b === -1))'),
  // ---- opcode 31: compare, logical, shift
  x('cmp', 31, 0, (o) => `const a = ${o.gpr('a')}, b = ${o.gpr('b')}; ${compare(o)}`, { reserved: CMP_L }),
  x('cmpl', 31, 32, (o) => `const a = ${o.gpr('a')} >>> 0, b = ${o.gpr('b')} >>> 0; ${compare(o)}`, { reserved: CMP_L }),
  logical('slw', 24, '(b & 0x20) !== 0 ? 0 : s << (b & 31)'),
  logical('cntlzw', 26, 'Math.clz32(s)', false),
  logical('and', 28, 's & b'),
  logical('andc', 60, 's & ~b'),
  logical('nor', 124, '~(s | b)'),
  logical('eqv', 284, '~(s ^ b)'),
  logical('xor', 316, 's ^ b'),
  logical('orc', 412, 's | ~b'),
  logical('or', 444, 's | b'),
  logical('nand', 476, '~(s & b)'),
  logical('srw', 536, '(b & 0x20) !== 0 ? 0 : (s >>> (b & 31)) | 0'),
  x(
    'sraw',
    31,
    792,
    (o, v) =>
      `const s = ${o.gpr('d')}, n = ${o.gpr('b')} & 0x3f; const r = n > 31 ? s >> 31 : s >> n; ` +
      `${o.setCa('s < 0 && (n > 31 || (s & ((1 << n) - 1)) !== 0) ? 1 : 0')} ${o.setGpr('a', 'r')} ${rcTail(o, v)}`,
    { rc: true },
  ),
  x(
    'srawi',
    31,
    824,
    (o, v) =>
      `const s = ${o.gpr('d')}; const r = s >> ${o.f('b')}; ${o.setCa(`s < 0 && (s & ((1 << ${o.f('b')}) - 1)) !== 0 ? 1 : 0`)} ${o.setGpr('a', 'r')} ${rcTail(o, v)}`,
    { rc: true },
  ),
  logical('extsh', 922, '(s << 16) >> 16', false),
  logical('extsb', 954, '(s << 24) >> 24', false),
  // isel rT, rA|0, rB, BC (BC in the c field)
  { name: 'isel', op: 31, xo: 15, xoKind: 'a', imm: 'none', avail: 'all', reserved: RC_BIT, sem: (o) => o.setGpr('d', `${o.crbit('c')} !== 0 ? ${o.gpr0('a')} : ${o.gpr('b')}`) },
  // ---- opcode 31: CR and XER moves
  x(
    'mfcr',
    31,
    19,
    (o, v) =>
      v.k === MFOCRF_NONE ? '' : v.k === 0 ? o.setGpr('d', wholeCr(o)) : o.setGpr('d', `${o.crf(v.k - 1)} << ${28 - 4 * (v.k - 1)}`),
    { variant: mfcrKind, reserved: CRF_RESERVED | RC_BIT },
  ),
  // mtcrf (and mtocrf, the same for a one-field mask): the variant is the fields written.
  x(
    'mtcrf',
    31,
    144,
    (o, v) => {
      const writes = [0, 1, 2, 3, 4, 5, 6, 7].filter((k) => (v.k & (0x80 >>> k)) !== 0).map((k) => o.setCrf(k, `(s >>> ${28 - 4 * k}) & 15`));
      return writes.length === 0 ? '' : `const s = ${o.gpr('d')}; ${writes.join(' ')}`;
    },
    { variant: mtcrfKind, reserved: CRF_RESERVED | RC_BIT },
  ),
  x('mcrxr', 31, 512, (o) => `${o.setCrf('D', `(${o.so} << 3) | (${o.ov} << 2) | (${o.ca} << 1)`)} ${o.setSo('0')} ${o.setOv('0')} ${o.setCa('0')}`, {
    // crfD's low bits, rA, rB and Rc
    reserved: 0x007ff801,
  }),
];
