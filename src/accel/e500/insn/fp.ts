/**
 * Classic floating point (e500mc) — wired to the FPU module once it lands.
 */
import type { InsnSpec } from './table.js';

export const FP_SPECS: readonly InsnSpec[] = [];
