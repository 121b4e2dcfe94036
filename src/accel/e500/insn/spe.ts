/**
 * SPE APU and embedded floating point (e500v2): instructions are added here as they are
 * implemented; opcode-4 words not listed raise SPE unavailable (MSR[SPE]=0) or count as
 * emulation failures (see the decoder).
 */
import type { InsnSpec } from './table.js';

export const SPE_SPECS: readonly InsnSpec[] = [];
