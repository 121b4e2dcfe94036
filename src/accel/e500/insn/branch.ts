/**
 * Branches: their definitions. A branch always ends a block. The variant carries BO and the
 * AA/LK bits, so the condition is straight-line code in both the interpreter (which sets
 * `c.npc` when taken) and the translator (which turns static targets into control flow).
 */
import type { InsnDef, Ops } from './ops.js';

/**
 * The condition of BO (variant bits 0..4) and BI (field a), after the CTR decrement BO asks
 * for; returns [statements, boolean expression].
 */
export function condition(o: Ops, bo: number): [string, string] {
  const parts: string[] = [];
  let pre = '';
  if ((bo & 0x04) === 0) {
    pre = o.setCtr(`(${o.ctr} - 1) | 0`);
    parts.push((bo & 0x02) !== 0 ? `${o.ctr} === 0` : `${o.ctr} !== 0`);
  }
  if ((bo & 0x10) === 0) parts.push(`${o.crbit('a')} === ${(bo >>> 3) & 1}`);
  return [pre, parts.length === 0 ? 'true' : parts.join(' && ')];
}

const AA = 0x20;
const LK = 0x40;
/** Variant: BO | AA << 5 | LK << 6. */
const boAaLk = (f: { word: number; d: number }): number => f.d | ((f.word & 2) !== 0 ? AA : 0) | ((f.word & 1) !== 0 ? LK : 0);

const link = (o: Ops, k: number): string => ((k & LK) !== 0 ? o.setLr(o.nia) : '');

export const BRANCH_DEFS: readonly InsnDef[] = [
  {
    name: 'bc',
    op: 16,
    xoKind: 'none',
    imm: 'bd',
    avail: 'all',
    ends: true,
    variant: boAaLk,
    sem: (o, v) => {
      const [pre, test] = condition(o, v.k & 31);
      return `${pre} ${link(o, v.k)} ${o.branch(test, (v.k & AA) !== 0)}`;
    },
  },
  {
    name: 'b',
    op: 18,
    xoKind: 'none',
    imm: 'li',
    avail: 'all',
    ends: true,
    variant: (f) => ((f.word & 2) !== 0 ? AA : 0) | ((f.word & 1) !== 0 ? LK : 0),
    sem: (o, v) => `${link(o, v.k)} ${o.branch('true', (v.k & AA) !== 0)}`,
  },
  {
    name: 'bclr',
    op: 19,
    xo: 16,
    xoKind: 'x',
    imm: 'none',
    avail: 'all',
    ends: true,
    variant: boAaLk,
    sem: (o, v) => {
      const [pre, test] = condition(o, v.k & 31);
      // The target is LR as it was before this instruction links.
      return `const t = ${o.lr} & -4; ${pre} ${link(o, v.k)} ${o.branchTo(test, 't')}`;
    },
  },
  {
    name: 'bcctr',
    op: 19,
    xo: 528,
    xoKind: 'x',
    imm: 'none',
    avail: 'all',
    ends: true,
    variant: boAaLk,
    // Decrementing CTR while branching to it is an invalid form.
    invalid: (f) => (f.d & 0x04) === 0,
    sem: (o, v) => {
      const [pre, test] = condition(o, v.k & 31);
      return `const t = ${o.ctr} & -4; ${pre} ${link(o, v.k)} ${o.branchTo(test, 't')}`;
    },
  },
];
