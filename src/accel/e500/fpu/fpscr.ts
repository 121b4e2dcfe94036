/**
 * FPSCR layout and the instructions that move it (mffs, mtfsf, mtfsfi,
 * mtfsb0, mtfsb1, mcrfs), following QEMU 7.2's ppc_store_fpscr model: the
 * reserved bit 20 never sticks, VX and FEX are always recomputed from the
 * other bits, and FX is only ever written explicitly (never implied).
 */
import { FP_ENABLED_EXCEPTION, FP_OK, FpuState, fprLo } from './state.js';

/* Bit masks, named as in the Power ISA (FPSCR bit n is mask 1 << (31 - n)). */
export const FPSCR_FX = 0x80000000;
export const FPSCR_FEX = 0x40000000;
export const FPSCR_VX = 0x20000000;
export const FPSCR_OX = 0x10000000;
export const FPSCR_UX = 0x08000000;
export const FPSCR_ZX = 0x04000000;
export const FPSCR_XX = 0x02000000;
export const FPSCR_VXSNAN = 0x01000000;
export const FPSCR_VXISI = 0x00800000;
export const FPSCR_VXIDI = 0x00400000;
export const FPSCR_VXZDZ = 0x00200000;
export const FPSCR_VXIMZ = 0x00100000;
export const FPSCR_VXVC = 0x00080000;
export const FPSCR_FR = 0x00040000;
export const FPSCR_FI = 0x00020000;
export const FPSCR_FPRF = 0x0001f000;
export const FPSCR_C = 0x00010000;
export const FPSCR_FPCC = 0x0000f000;
export const FPSCR_FL = 0x00008000;
export const FPSCR_FG = 0x00004000;
export const FPSCR_FE = 0x00002000;
export const FPSCR_FU = 0x00001000;
export const FPSCR_RESERVED = 0x00000800;
export const FPSCR_VXSOFT = 0x00000400;
export const FPSCR_VXSQRT = 0x00000200;
export const FPSCR_VXCVI = 0x00000100;
export const FPSCR_VE = 0x00000080;
export const FPSCR_OE = 0x00000040;
export const FPSCR_UE = 0x00000020;
export const FPSCR_ZE = 0x00000010;
export const FPSCR_XE = 0x00000008;
export const FPSCR_NI = 0x00000004;
export const FPSCR_RN = 0x00000003;

/** All invalid-operation exception bits (their OR is VX). */
export const FPSCR_VX_ALL =
  FPSCR_VXSNAN | FPSCR_VXISI | FPSCR_VXIDI | FPSCR_VXZDZ | FPSCR_VXIMZ | FPSCR_VXVC |
  FPSCR_VXSOFT | FPSCR_VXSQRT | FPSCR_VXCVI;

/** Exception bits that mcrfs clears in the field it copies. */
const MCRFS_CLEAR = FPSCR_FX | FPSCR_OX | FPSCR_UX | FPSCR_ZX | FPSCR_XX | FPSCR_VX_ALL;

/** Store a new FPSCR value the way every explicit FPSCR write does in QEMU. */
export function storeFpscr(st: FpuState, val: number): void {
  val &= ~(FPSCR_RESERVED | FPSCR_VX | FPSCR_FEX);
  if (val & FPSCR_VX_ALL) val |= FPSCR_VX;
  // VX/OX/UX/ZX/XX line up with VE/OE/UE/ZE/XE 22 bits further down.
  if (((val >>> 22) & val & 0xf8) !== 0) val |= FPSCR_FEX;
  st.fpscr = val >>> 0;
}

/**
 * After mtfsf/mtfsfi/mtfsb1 QEMU looks at the whole FPSCR for any enabled,
 * pending exception (not only newly set bits) and raises it.
 */
function fpscrCheckStatus(st: FpuState): number {
  const f = st.fpscr;
  const pending =
    ((f >>> 22) & f & 0x78) !== 0 || ((f & FPSCR_VE) !== 0 && (f & FPSCR_VX_ALL) !== 0);
  if (!pending) return FP_OK;
  st.fpscr = (f | FPSCR_FEX) >>> 0;
  return FP_ENABLED_EXCEPTION;
}

/** CR1 for Rc=1 forms: FX, FEX, VX, OX. */
export function cr1FromFpscr(st: FpuState): number {
  return st.fpscr >>> 28;
}

/** mffs: FRT = 0x00000000 || FPSCR (QEMU zero-fills the high word). */
export function mffs(st: FpuState, frt: number): number {
  st.words[2 * frt + 1] = 0;
  st.words[2 * frt] = st.fpscr;
  return FP_OK;
}

/**
 * mtfsf FLM,FRB (L=0) or mtfsf with L=1 (all fields, FLM ignored; QEMU's
 * e500mc accepts L=1).  W=1 is an illegal instruction on e500mc (no ISA
 * 2.05 FPSCR extension) and must be rejected by the decoder.
 */
export function mtfsf(st: FpuState, flm: number, frb: number, l = 0): number {
  let mask = 0;
  const fields = l ? 0xff : flm & 0xff;
  for (let i = 0; i < 8; i++) if (fields & (1 << i)) mask |= 0xf << (4 * i);
  const v = fprLo(st, frb);
  storeFpscr(st, (v & mask) | (st.fpscr & ~mask));
  return fpscrCheckStatus(st);
}

/** mtfsfi BF,U (W=0; W=1 is illegal on e500mc). */
export function mtfsfi(st: FpuState, bf: number, u: number): number {
  const shift = 4 * (7 - (bf & 7));
  const mask = 0xf << shift;
  storeFpscr(st, ((u & 0xf) << shift) | (st.fpscr & ~mask));
  return fpscrCheckStatus(st);
}

/** mtfsb0 BT: FEX and VX cannot be cleared directly (they are summaries). */
export function mtfsb0(st: FpuState, bt: number): number {
  const mask = (1 << (31 - (bt & 31))) >>> 0;
  if (mask === FPSCR_FEX || mask === FPSCR_VX) return FP_OK;
  if (st.fpscr & mask) storeFpscr(st, st.fpscr & ~mask);
  return FP_OK;
}

/**
 * mtfsb1 BT.  QEMU ignores FEX, VX and also NI (it models IEEE mode only),
 * and, unlike the ISA, does not set FX when an exception bit goes 0 -> 1.
 */
export function mtfsb1(st: FpuState, bt: number): number {
  const mask = (1 << (31 - (bt & 31))) >>> 0;
  if (mask !== FPSCR_FEX && mask !== FPSCR_VX && mask !== FPSCR_NI && !(st.fpscr & mask)) {
    storeFpscr(st, st.fpscr | mask);
  }
  return fpscrCheckStatus(st);
}

/** mcrfs: returns FPSCR field BFA and clears its exception bits. */
export function mcrfs(st: FpuState, bfa: number): number {
  const shift = 4 * (7 - (bfa & 7));
  const field = (st.fpscr >>> shift) & 0xf;
  storeFpscr(st, st.fpscr & ~((0xf << shift) & MCRFS_CLEAR));
  return field;
}
