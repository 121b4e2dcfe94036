/**
 * SPE loads and stores. Indexed forms use EA = (rA|0) + rB; the others a 5-bit unsigned
 * offset in the rB field scaled by the access size. The EA must be aligned to the size of
 * the whole access (8, 4 or 2 bytes) or the core takes an alignment interrupt with ESR[SPV]
 * (and ESR[ST] for stores); QEMU 7.2 does not check, so only the unit tests cover it.
 *
 * Each element is accessed with its own width, so elements are byte-swapped individually
 * on little-endian pages (exact for evldw/evldh and the splats; a doubleword access on a
 * little-endian page would also swap the two words, which is not modelled). Every access
 * happens before any register is written, so a faulting or MMIO-exiting load restarts
 * cleanly.
 */
import type { Cpu } from '../cpu.js';
import type { Insn } from '../block.js';
import type { SpeFn } from './spe-state.js';
import { ESR, Ivor } from '../interrupts.js';

type Load = (c: Cpu, ea: number, d: number) => void;
type Store = (c: Cpu, ea: number, s: number) => void;

function eaIndexed(c: Cpu, i: Insn): number {
  return (i.a === 0 ? c.gpr[i.b]! : c.gpr[i.a]! + c.gpr[i.b]!) | 0;
}

function eaOffset(c: Cpu, i: Insn, size: number): number {
  const off = i.b * size;
  return (i.a === 0 ? off : c.gpr[i.a]! + off) | 0;
}

function load(op: Load, size: number, indexed: boolean): SpeFn {
  return (c, i) => {
    const ea = indexed ? eaIndexed(c, i) : eaOffset(c, i, size);
    if ((ea & (size - 1)) !== 0) {
      c.fault(Ivor.Alignment, ESR.SPV, ea >>> 0);
      return;
    }
    op(c, ea, i.d);
  };
}

function store(op: Store, size: number, indexed: boolean): SpeFn {
  return (c, i) => {
    const ea = indexed ? eaIndexed(c, i) : eaOffset(c, i, size);
    if ((ea & (size - 1)) !== 0) {
      c.fault(Ivor.Alignment, ESR.SPV | ESR.ST, ea >>> 0);
      return;
    }
    op(c, ea, i.d);
  };
}

const next = (ea: number, n: number): number => (ea + n) | 0;

const ldd: Load = (c, ea, d) => {
  const hi = c.ld32(ea);
  if (c.stop !== 0) return;
  const lo = c.ld32(next(ea, 4));
  if (c.stop !== 0) return;
  c.gprHigh[d] = hi;
  c.gpr[d] = lo;
};

const ldh: Load = (c, ea, d) => {
  const h0 = c.ld16(ea);
  if (c.stop !== 0) return;
  const h1 = c.ld16(next(ea, 2));
  if (c.stop !== 0) return;
  const h2 = c.ld16(next(ea, 4));
  if (c.stop !== 0) return;
  const h3 = c.ld16(next(ea, 6));
  if (c.stop !== 0) return;
  c.gprHigh[d] = (h0 << 16) | h1;
  c.gpr[d] = (h2 << 16) | h3;
};

const lhhesplat: Load = (c, ea, d) => {
  const v = c.ld16(ea) << 16;
  if (c.stop !== 0) return;
  c.gprHigh[d] = v;
  c.gpr[d] = v;
};

const lhhousplat: Load = (c, ea, d) => {
  const v = c.ld16(ea);
  if (c.stop !== 0) return;
  c.gprHigh[d] = v;
  c.gpr[d] = v;
};

const lhhossplat: Load = (c, ea, d) => {
  const v = (c.ld16(ea) << 16) >> 16;
  if (c.stop !== 0) return;
  c.gprHigh[d] = v;
  c.gpr[d] = v;
};

const lwhe: Load = (c, ea, d) => {
  const h0 = c.ld16(ea);
  if (c.stop !== 0) return;
  const h1 = c.ld16(next(ea, 2));
  if (c.stop !== 0) return;
  c.gprHigh[d] = h0 << 16;
  c.gpr[d] = h1 << 16;
};

const lwhou: Load = (c, ea, d) => {
  const h0 = c.ld16(ea);
  if (c.stop !== 0) return;
  const h1 = c.ld16(next(ea, 2));
  if (c.stop !== 0) return;
  c.gprHigh[d] = h0;
  c.gpr[d] = h1;
};

const lwhos: Load = (c, ea, d) => {
  const h0 = c.ld16(ea);
  if (c.stop !== 0) return;
  const h1 = c.ld16(next(ea, 2));
  if (c.stop !== 0) return;
  c.gprHigh[d] = (h0 << 16) >> 16;
  c.gpr[d] = (h1 << 16) >> 16;
};

const lwwsplat: Load = (c, ea, d) => {
  const v = c.ld32(ea);
  if (c.stop !== 0) return;
  c.gprHigh[d] = v;
  c.gpr[d] = v;
};

const lwhsplat: Load = (c, ea, d) => {
  const h0 = c.ld16(ea);
  if (c.stop !== 0) return;
  const h1 = c.ld16(next(ea, 2));
  if (c.stop !== 0) return;
  c.gprHigh[d] = (h0 << 16) | h0;
  c.gpr[d] = (h1 << 16) | h1;
};

const std: Store = (c, ea, s) => {
  c.st32(ea, c.gprHigh[s]!);
  if (c.stop !== 0) return;
  c.st32(next(ea, 4), c.gpr[s]!);
};

const sth: Store = (c, ea, s) => {
  const hi = c.gprHigh[s]!;
  const lo = c.gpr[s]!;
  c.st16(ea, hi >>> 16);
  if (c.stop !== 0) return;
  c.st16(next(ea, 2), hi & 0xffff);
  if (c.stop !== 0) return;
  c.st16(next(ea, 4), lo >>> 16);
  if (c.stop !== 0) return;
  c.st16(next(ea, 6), lo & 0xffff);
};

const stwhe: Store = (c, ea, s) => {
  c.st16(ea, c.gprHigh[s]! >>> 16);
  if (c.stop !== 0) return;
  c.st16(next(ea, 2), c.gpr[s]! >>> 16);
};

const stwho: Store = (c, ea, s) => {
  c.st16(ea, c.gprHigh[s]! & 0xffff);
  if (c.stop !== 0) return;
  c.st16(next(ea, 2), c.gpr[s]! & 0xffff);
};

const stwwe: Store = (c, ea, s) => {
  c.st32(ea, c.gprHigh[s]!);
};
const stwwo: Store = (c, ea, s) => {
  c.st32(ea, c.gpr[s]!);
};

/** [EVX opcode of the indexed form, its name and semantics, the offset form's (opcode + 1)]. */
export const SPE_LOADS_STORES: readonly [number, string, SpeFn, string, SpeFn][] = [
  [0x300, 'evlddx', load(ldd, 8, true), 'evldd', load(ldd, 8, false)],
  // evldw is evldd for a big-endian page: two words, high first.
  [0x302, 'evldwx', load(ldd, 8, true), 'evldw', load(ldd, 8, false)],
  [0x304, 'evldhx', load(ldh, 8, true), 'evldh', load(ldh, 8, false)],
  [0x308, 'evlhhesplatx', load(lhhesplat, 2, true), 'evlhhesplat', load(lhhesplat, 2, false)],
  [0x30c, 'evlhhousplatx', load(lhhousplat, 2, true), 'evlhhousplat', load(lhhousplat, 2, false)],
  [0x30e, 'evlhhossplatx', load(lhhossplat, 2, true), 'evlhhossplat', load(lhhossplat, 2, false)],
  [0x310, 'evlwhex', load(lwhe, 4, true), 'evlwhe', load(lwhe, 4, false)],
  [0x314, 'evlwhoux', load(lwhou, 4, true), 'evlwhou', load(lwhou, 4, false)],
  [0x316, 'evlwhosx', load(lwhos, 4, true), 'evlwhos', load(lwhos, 4, false)],
  [0x318, 'evlwwsplatx', load(lwwsplat, 4, true), 'evlwwsplat', load(lwwsplat, 4, false)],
  [0x31c, 'evlwhsplatx', load(lwhsplat, 4, true), 'evlwhsplat', load(lwhsplat, 4, false)],
  [0x320, 'evstddx', store(std, 8, true), 'evstdd', store(std, 8, false)],
  [0x322, 'evstdwx', store(std, 8, true), 'evstdw', store(std, 8, false)],
  [0x324, 'evstdhx', store(sth, 8, true), 'evstdh', store(sth, 8, false)],
  [0x330, 'evstwhex', store(stwhe, 4, true), 'evstwhe', store(stwhe, 4, false)],
  [0x334, 'evstwhox', store(stwho, 4, true), 'evstwho', store(stwho, 4, false)],
  [0x338, 'evstwwex', store(stwwe, 4, true), 'evstwwe', store(stwwe, 4, false)],
  [0x33c, 'evstwwox', store(stwwo, 4, true), 'evstwwo', store(stwwo, 4, false)],
];
