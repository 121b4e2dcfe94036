/**
 * The instruction table: one line per instruction the e500 cores implement, from which the
 * decoder (and the decoder's tests) are generated.
 *
 * Columns: mnemonic, primary opcode, extended opcode and how it is encoded, how the immediate
 * is formed, which variants exist (record form Rc, overflow form OE), where the instruction
 * is available, whether it ends a block, and its semantics (a function, or a factory that
 * builds the function for a variant).
 */
import type { ExecFn } from '../block.js';
import type { CoreFamily } from '../models.js';
import * as br from './branch.js';
import * as fp from './fp.js';
import * as int from './integer.js';
import * as ls from './loadstore.js';
import * as mmu from './mmu.js';
import * as spe from './spe.js';
import * as sys from './system.js';

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

export interface InsnSpec {
  readonly name: string;
  readonly op: number;
  readonly xo?: number;
  readonly xoKind: XoKind;
  readonly imm: ImmKind;
  readonly rc?: boolean;
  readonly oe?: boolean;
  readonly avail: Availability;
  /** Ends the block: branches, and anything that changes translation or interrupt state. */
  readonly ends?: boolean;
  /** SPE vector and double-precision instructions need MSR[SPE]; otherwise SPE unavailable. */
  readonly needsSpe?: boolean;
  /** Update-form load (rA = 0 or rA = rT invalid) or store (rA = 0 invalid). */
  readonly update?: 'load' | 'store';
  readonly exec?: ExecFn;
  readonly make?: (v: int.Variant) => ExecFn;
}

type Extra = Partial<Pick<InsnSpec, 'rc' | 'oe' | 'ends' | 'update' | 'avail' | 'imm'>>;

function d(name: string, op: number, imm: ImmKind, exec: ExecFn, extra: Extra = {}): InsnSpec {
  return { name, op, xoKind: 'none', imm, avail: 'all', exec, ...extra };
}

function x(name: string, op: number, xo: number, exec: ExecFn | ((v: int.Variant) => ExecFn), extra: Extra = {}): InsnSpec {
  const isFactory = extra.rc === true || extra.oe === true;
  return {
    name,
    op,
    xo,
    xoKind: 'x',
    imm: 'none',
    avail: 'all',
    ...(isFactory ? { make: exec as (v: int.Variant) => ExecFn } : { exec: exec as ExecFn }),
    ...extra,
  };
}

/** XO-form arithmetic: both OE and Rc variants. */
function xo(name: string, xoValue: number, make: (v: int.Variant) => ExecFn, oe = true): InsnSpec {
  return { name, op: 31, xo: xoValue, xoKind: 'xo', imm: 'none', avail: 'all', rc: true, oe, make };
}

function a(name: string, op: number, xoValue: number, exec: ExecFn | ((v: int.Variant) => ExecFn), extra: Extra = {}): InsnSpec {
  const isFactory = extra.rc === true;
  return {
    name,
    op,
    xo: xoValue,
    xoKind: 'a',
    imm: 'none',
    avail: 'all',
    ...(isFactory ? { make: exec as (v: int.Variant) => ExecFn } : { exec: exec as ExecFn }),
    ...extra,
  };
}

const RC = { rc: true } as const;
const END = { ends: true } as const;

export const INSN_TABLE: readonly InsnSpec[] = [
  // ---- integer, immediate forms
  d('twi', 3, 'simm', sys.twi),
  d('mulli', 7, 'simm', int.mulli),
  d('subfic', 8, 'simm', int.subfic),
  d('cmpli', 10, 'uimm', int.cmpli),
  d('cmpi', 11, 'simm', int.cmpi),
  d('addic', 12, 'simm', int.addic),
  d('addic.', 13, 'simm', int.addicRc),
  d('addi', 14, 'simm', int.addi),
  d('addis', 15, 'shifted', int.addis),
  d('ori', 24, 'uimm', int.ori),
  d('oris', 25, 'shifted', int.ori),
  d('xori', 26, 'uimm', int.xori),
  d('xoris', 27, 'shifted', int.xori),
  d('andi.', 28, 'uimm', int.andiRc),
  d('andis.', 29, 'shifted', int.andiRc),
  // ---- rotate
  { name: 'rlwimi', op: 20, xoKind: 'none', imm: 'mask', avail: 'all', rc: true, make: int.makeRlwimi },
  { name: 'rlwinm', op: 21, xoKind: 'none', imm: 'mask', avail: 'all', rc: true, make: int.makeRlwinm },
  { name: 'rlwnm', op: 23, xoKind: 'none', imm: 'mask', avail: 'all', rc: true, make: int.makeRlwnm },
  // ---- branches and system call (decoded specially for AA/LK, see decoder)
  d('bc', 16, 'bd', br.makeBc(false, false), END),
  d('sc', 17, 'none', sys.sc, END),
  d('b', 18, 'li', br.makeB(false, false), END),
  // ---- opcode 19 (XL)
  x('mcrf', 19, 0, int.mcrf),
  x('bclr', 19, 16, br.makeBclr(false), END),
  x('crnor', 19, 33, int.crnor),
  x('rfmci', 19, 38, sys.rfmci, END),
  x('rfdi', 19, 39, sys.rfdi, END),
  x('rfi', 19, 50, sys.rfi, END),
  x('rfci', 19, 51, sys.rfci, END),
  x('crandc', 19, 129, int.crandc),
  x('isync', 19, 150, sys.nop, END),
  x('crxor', 19, 193, int.crxor),
  x('crnand', 19, 225, int.crnand),
  x('crand', 19, 257, int.crand),
  x('creqv', 19, 289, int.creqv),
  x('crorc', 19, 417, int.crorc),
  x('cror', 19, 449, int.cror),
  x('bcctr', 19, 528, br.makeBcctr(false), END),
  // ---- opcode 31: arithmetic
  xo('subfc', 8, int.makeSubfc),
  xo('addc', 10, int.makeAddc),
  xo('mulhwu', 11, int.makeMulhwu, false),
  xo('subf', 40, int.makeSubf),
  xo('mulhw', 75, int.makeMulhw, false),
  xo('neg', 104, int.makeNeg),
  xo('subfe', 136, int.makeSubfe),
  xo('adde', 138, int.makeAdde),
  xo('subfze', 200, int.makeSubfze),
  xo('addze', 202, int.makeAddze),
  xo('subfme', 232, int.makeSubfme),
  xo('addme', 234, int.makeAddme),
  xo('mullw', 235, int.makeMullw),
  xo('add', 266, int.makeAdd),
  xo('divwu', 459, int.makeDivwu),
  xo('divw', 491, int.makeDivw),
  // ---- opcode 31: compare, logical, shift
  x('cmp', 31, 0, int.cmp),
  x('cmpl', 31, 32, int.cmpl),
  x('slw', 31, 24, int.makeSlw, RC),
  x('cntlzw', 31, 26, int.makeCntlzw, RC),
  x('and', 31, 28, int.makeAnd, RC),
  x('andc', 31, 60, int.makeAndc, RC),
  x('nor', 31, 124, int.makeNor, RC),
  x('eqv', 31, 284, int.makeEqv, RC),
  x('xor', 31, 316, int.makeXor, RC),
  x('orc', 31, 412, int.makeOrc, RC),
  x('or', 31, 444, int.makeOr, RC),
  x('nand', 31, 476, int.makeNand, RC),
  x('srw', 31, 536, int.makeSrw, RC),
  x('sraw', 31, 792, int.makeSraw, RC),
  { name: 'srawi', op: 31, xo: 824, xoKind: 'x', imm: 'none', avail: 'all', rc: true, make: int.makeSrawi },
  x('extsh', 31, 922, int.makeExtsh, RC),
  x('extsb', 31, 954, int.makeExtsb, RC),
  a('isel', 31, 15, int.isel),
  // ---- opcode 31: CR and XER moves
  x('mfcr', 31, 19, int.mfcr),
  x('mtcrf', 31, 144, int.mtcrf),
  x('mcrxr', 31, 512, int.mcrxr),
  // ---- opcode 31: system
  x('tw', 31, 4, sys.tw),
  x('mfmsr', 31, 83, sys.mfmsr),
  x('wrtee', 31, 131, sys.wrtee, END),
  x('mtmsr', 31, 146, sys.mtmsr, END),
  x('wrteei', 31, 163, sys.wrteei, END),
  x('mfspr', 31, 339, sys.mfspr, { imm: 'spr' }),
  x('mtspr', 31, 467, sys.mtspr, { imm: 'spr' }),
  x('mftb', 31, 371, sys.mftb, { imm: 'spr', avail: 'e500mc' }),
  x('mfdcr', 31, 323, sys.mfdcr, { imm: 'spr', avail: 'dcr', ends: true }),
  x('mtdcr', 31, 451, sys.mtdcr, { imm: 'spr', avail: 'dcr', ends: true }),
  x('msgsnd', 31, 206, sys.msgsnd, { avail: 'e500mc', ends: true }),
  x('msgclr', 31, 238, sys.msgclr, { avail: 'e500mc', ends: true }),
  x('wait', 31, 62, sys.wait, { avail: 'e500mc', ends: true }),
  x('sync', 31, 598, sys.nop),
  x('mbar', 31, 854, sys.nop),
  // ---- opcode 31: cache management
  x('dcbst', 31, 54, sys.cacheTouchLoad),
  x('dcbf', 31, 86, sys.cacheTouchLoad),
  x('icbi', 31, 982, sys.cacheTouchLoad, END),
  x('dcbt', 31, 278, sys.nop),
  x('dcbtst', 31, 246, sys.nop),
  x('dcba', 31, 758, sys.nop),
  x('icbt', 31, 22, sys.nop),
  x('dcbi', 31, 470, sys.dcbi),
  x('dcbz', 31, 1014, sys.dcbz),
  x('dcbtls', 31, 166, sys.cacheLock),
  x('dcbtstls', 31, 134, sys.cacheLock),
  x('dcblc', 31, 390, sys.cacheLock),
  x('icbtls', 31, 486, sys.cacheLock),
  x('icblc', 31, 230, sys.cacheLock),
  // ---- opcode 31: TLB management
  x('tlbivax', 31, 786, mmu.tlbivax, END),
  x('tlbsync', 31, 566, sys.supervisorNop),
  x('tlbsx', 31, 914, mmu.tlbsx, END),
  x('tlbre', 31, 946, mmu.tlbre, END),
  x('tlbwe', 31, 978, mmu.tlbwe, END),
  x('tlbilx', 31, 18, mmu.tlbilx, { avail: 'e500mc', ends: true }),
  // ---- opcode 31: indexed loads and stores
  x('lwarx', 31, 20, ls.lwarx),
  x('lwzx', 31, 23, ls.loadX(ls.LOADS.lwz)),
  x('lwzux', 31, 55, ls.loadXU(ls.LOADS.lwz), { update: 'load' }),
  x('lbzx', 31, 87, ls.loadX(ls.LOADS.lbz)),
  x('lbzux', 31, 119, ls.loadXU(ls.LOADS.lbz), { update: 'load' }),
  x('stwcx.', 31, 150, ls.stwcx),
  x('stwx', 31, 151, ls.storeX(ls.STORES.stw)),
  x('stwux', 31, 183, ls.storeXU(ls.STORES.stw), { update: 'store' }),
  x('stbx', 31, 215, ls.storeX(ls.STORES.stb)),
  x('stbux', 31, 247, ls.storeXU(ls.STORES.stb), { update: 'store' }),
  x('lhzx', 31, 279, ls.loadX(ls.LOADS.lhz)),
  x('lhzux', 31, 311, ls.loadXU(ls.LOADS.lhz), { update: 'load' }),
  x('lhax', 31, 343, ls.loadX(ls.LOADS.lha)),
  x('lhaux', 31, 375, ls.loadXU(ls.LOADS.lha), { update: 'load' }),
  x('sthx', 31, 407, ls.storeX(ls.STORES.sth)),
  x('sthux', 31, 439, ls.storeXU(ls.STORES.sth), { update: 'store' }),
  x('lwbrx', 31, 534, ls.loadX(ls.LOADS.lwbr)),
  x('stwbrx', 31, 662, ls.storeX(ls.STORES.stwbr)),
  x('lhbrx', 31, 790, ls.loadX(ls.LOADS.lhbr)),
  x('sthbrx', 31, 918, ls.storeX(ls.STORES.sthbr)),
  // ---- D-form loads and stores
  d('lwz', 32, 'simm', ls.lwzD),
  d('lwzu', 33, 'simm', ls.loadDU(ls.LOADS.lwz), { update: 'load' }),
  d('lbz', 34, 'simm', ls.lbzD),
  d('lbzu', 35, 'simm', ls.loadDU(ls.LOADS.lbz), { update: 'load' }),
  d('stw', 36, 'simm', ls.stwD),
  d('stwu', 37, 'simm', ls.storeDU(ls.STORES.stw), { update: 'store' }),
  d('stb', 38, 'simm', ls.stbD),
  d('stbu', 39, 'simm', ls.storeDU(ls.STORES.stb), { update: 'store' }),
  d('lhz', 40, 'simm', ls.loadD(ls.LOADS.lhz)),
  d('lhzu', 41, 'simm', ls.loadDU(ls.LOADS.lhz), { update: 'load' }),
  d('lha', 42, 'simm', ls.loadD(ls.LOADS.lha)),
  d('lhau', 43, 'simm', ls.loadDU(ls.LOADS.lha), { update: 'load' }),
  d('sth', 44, 'simm', ls.storeD(ls.STORES.sth)),
  d('sthu', 45, 'simm', ls.storeDU(ls.STORES.sth), { update: 'store' }),
  d('lmw', 46, 'simm', ls.lmw),
  d('stmw', 47, 'simm', ls.stmw),
  // ---- classic floating point (e500mc)
  ...fp.FP_SPECS,
  // ---- SPE and embedded floating point (e500v2)
  ...spe.SPE_SPECS,
];
