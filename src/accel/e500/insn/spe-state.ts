/**
 * SPE state shared by the SPE instruction files: SPEFSCR bits, the saturation (OV) flags,
 * 64-bit register images and the post-completion interrupt of the embedded FP round
 * exception.
 */
import type { Insn } from '../block.js';
import type { Cpu } from '../cpu.js';

/** An SPE helper: executes one instruction on the Cpu (faults are recorded, see stop.ts). */
export type SpeFn = (c: Cpu, i: Insn) => void;

/** SPEFSCR (SPR 512) bits. "H" bits describe the high element of a vector operation. */
export const F = {
  SOVH: 0x80000000,
  OVH: 0x40000000,
  FGH: 0x20000000,
  FXH: 0x10000000,
  FINVH: 0x08000000,
  FDBZH: 0x04000000,
  FUNFH: 0x02000000,
  FOVFH: 0x01000000,
  FINXS: 0x00200000,
  FINVS: 0x00100000,
  FDBZS: 0x00080000,
  FUNFS: 0x00040000,
  FOVFS: 0x00020000,
  SOV: 0x00008000,
  OV: 0x00004000,
  FG: 0x00002000,
  FX: 0x00001000,
  FINV: 0x00000800,
  FDBZ: 0x00000400,
  FUNF: 0x00000200,
  FOVF: 0x00000100,
  FINXE: 0x00000040,
  FINVE: 0x00000020,
  FDBZE: 0x00000010,
  FUNFE: 0x00000008,
  FOVFE: 0x00000004,
  FRMC: 0x00000003,
} as const;

export const SPEFSCR = 512;

/**
 * Records the saturation of an integer instruction: OVH/OV say whether this instruction
 * saturated (high/low element), SOVH/SOV accumulate.
 */
export function setOverflow(c: Cpu, ovh: boolean, ovl: boolean): void {
  let f = c.spr[SPEFSCR]! & ~(F.OVH | F.OV);
  if (ovh) f |= F.OVH | F.SOVH;
  if (ovl) f |= F.OV | F.SOV;
  c.spr[SPEFSCR] = f >>> 0;
}

/** rN as an unsigned 64-bit image. */
export function reg64(c: Cpu, n: number): bigint {
  return (BigInt(c.gprHigh[n]! >>> 0) << 32n) | BigInt(c.gpr[n]! >>> 0);
}

export function setReg64(c: Cpu, n: number, v: bigint): void {
  c.gprHigh[n] = Number((v >> 32n) & 0xffffffffn) | 0;
  c.gpr[n] = Number(v & 0xffffffffn) | 0;
}

export function acc64(c: Cpu): bigint {
  return (BigInt(c.accHi >>> 0) << 32n) | BigInt(c.accLo >>> 0);
}

export function setAcc64(c: Cpu, v: bigint): void {
  c.accHi = Number((v >> 32n) & 0xffffffffn) | 0;
  c.accLo = Number(v & 0xffffffffn) | 0;
}

/**
 * A post-completion interrupt (the embedded FP round interrupt): the instruction has
 * written its results and SRR0 points after it.
 */
export function interruptAfter(c: Cpu, ivor: number, esr: number): void {
  c.interruptAfter(ivor, esr);
}
