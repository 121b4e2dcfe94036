/**
 * Branches. They always end a block: the block loop continues at `c.npc`, which holds the
 * fall-through address unless a taken branch overwrote it.
 */
import type { Cpu } from '../cpu.js';
import type { ExecFn, Insn } from '../block.js';

function cia(c: Cpu, i: Insn): number {
  return (c.blockEa + i.off) >>> 0;
}

/** b/ba/bl/bla; the decoder stores the sign-extended displacement in `imm`. */
export function makeB(aa: boolean, lk: boolean): ExecFn {
  return (c, i) => {
    const here = cia(c, i);
    if (lk) c.lr = (here + 4) >>> 0;
    c.npc = aa ? i.imm >>> 0 : (here + i.imm) >>> 0;
  };
}

/**
 * Whether a conditional branch with BO (in `d`) and BI (in `a`) is taken; decrements CTR
 * when BO asks for it.
 */
function condition(c: Cpu, bo: number, bi: number): boolean {
  if ((bo & 0x04) === 0) {
    c.ctr = (c.ctr - 1) >>> 0;
    const ctrZero = c.ctr === 0;
    if (ctrZero !== ((bo & 0x02) !== 0)) return false;
  }
  if ((bo & 0x10) === 0) {
    const bit = (c.cr >>> (31 - bi)) & 1;
    if (bit !== ((bo >>> 3) & 1)) return false;
  }
  return true;
}

export function makeBc(aa: boolean, lk: boolean): ExecFn {
  return (c, i) => {
    const here = cia(c, i);
    const taken = condition(c, i.d, i.a);
    if (lk) c.lr = (here + 4) >>> 0;
    if (taken) c.npc = aa ? i.imm >>> 0 : (here + i.imm) >>> 0;
  };
}

/** bdnz (BO=16) without link: the most common loop branch, specialised. */
export const bdnz: ExecFn = (c, i) => {
  c.ctr = (c.ctr - 1) >>> 0;
  if (c.ctr !== 0) c.npc = (c.blockEa + i.off + i.imm) >>> 0;
};

export function makeBclr(lk: boolean): ExecFn {
  return (c, i) => {
    const here = cia(c, i);
    const target = c.lr & ~3;
    const taken = condition(c, i.d, i.a);
    if (lk) c.lr = (here + 4) >>> 0;
    if (taken) c.npc = target >>> 0;
  };
}

/** bcctr: a form that decrements CTR is invalid (the decoder rejects it). */
export function makeBcctr(lk: boolean): ExecFn {
  return (c, i) => {
    const here = cia(c, i);
    const taken = condition(c, i.d, i.a);
    if (lk) c.lr = (here + 4) >>> 0;
    if (taken) c.npc = (c.ctr & ~3) >>> 0;
  };
}
