/**
 * The instruction table: every instruction the e500 cores implement, each defined once
 * (encoding and semantics, see ops.ts), from which the decoder, the interpreter, the
 * translator and the decoder's tests are generated.
 */
import { BRANCH_DEFS } from './branch.js';
import { FP_DEFS } from './fp.js';
import { INTEGER_DEFS } from './integer.js';
import { LOADSTORE_DEFS } from './loadstore.js';
import { MMU_DEFS } from './mmu.js';
import type { InsnDef } from './ops.js';
import { SPE_DEFS } from './spe.js';
import { SYSTEM_DEFS } from './system.js';

export type { Availability, ImmKind, InsnDef, XoKind } from './ops.js';

export const INSN_TABLE: readonly InsnDef[] = [
  ...INTEGER_DEFS,
  ...BRANCH_DEFS,
  ...SYSTEM_DEFS,
  ...MMU_DEFS,
  ...LOADSTORE_DEFS,
  // classic floating point (e500mc)
  ...FP_DEFS,
  // SPE and embedded floating point (e500v2)
  ...SPE_DEFS,
];
