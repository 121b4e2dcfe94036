/**
 * Special-purpose registers of the e500 cores: which exist on which core, how reads and
 * writes behave, and their names.
 *
 * Access rules (Book E, matching QEMU 7.2 where the ISA leaves a choice):
 * - SPR numbers with bit 0x10 set are privileged: user-mode access is a privileged-operation
 *   program interrupt.
 * - Accessing an existing SPR in a direction it does not support (reading DECAR, writing
 *   PVR) is a privileged-operation program interrupt.
 * - An SPR the core does not have is a no-op in supervisor mode (one of the outcomes the ISA
 *   allows for an undefined SPR) and an illegal instruction in user mode.
 */
import type { Cpu } from './cpu.js';
import { SPR } from './cpu.js';
import { updateDebugState } from './debug.js';
import { MSR, type CoreFamily } from './models.js';

export interface SprDef {
  readonly name: string;
  readonly read?: (c: Cpu) => number;
  readonly write?: (c: Cpu, v: number) => void;
  /** A write changes translation or interrupt state: the block must end after it. */
  readonly sideEffects?: boolean;
}

const plain = (name: string, n: number): SprDef => ({
  name,
  read: (c) => c.spr[n]!,
  write: (c, v) => {
    c.spr[n] = v;
  },
});

const readOnly = (name: string, read: (c: Cpu) => number): SprDef => ({ name, read });

const w1c = (name: string, n: number): SprDef => ({
  name,
  read: (c) => c.spr[n]!,
  write: (c, v) => {
    c.spr[n] = c.spr[n]! & ~v;
  },
});

function timerWrite(name: string, read: ((c: Cpu) => number) | undefined, write: (c: Cpu, v: number) => void): SprDef {
  return {
    name,
    ...(read !== undefined ? { read } : {}),
    write: (c, v) => {
      write(c, v);
      c.irq.update();
    },
    sideEffects: true,
  };
}

function commonSprs(): Map<number, SprDef> {
  const m = new Map<number, SprDef>();
  m.set(SPR.XER, {
    name: 'xer',
    read: (c) => c.xer,
    write: (c, v) => {
      c.xer = v;
    },
  });
  m.set(SPR.LR, {
    name: 'lr',
    read: (c) => c.lr >>> 0,
    write: (c, v) => {
      c.lr = v | 0;
    },
  });
  m.set(SPR.CTR, {
    name: 'ctr',
    read: (c) => c.ctr >>> 0,
    write: (c, v) => {
      c.ctr = v | 0;
    },
  });
  m.set(SPR.DEC, timerWrite('dec', (c) => c.timers.readDec(), (c, v) => c.timers.writeDec(v)));
  m.set(SPR.DECAR, timerWrite('decar', undefined, (c, v) => c.timers.writeDecar(v)));
  m.set(SPR.TSR, timerWrite('tsr', (c) => (c.timers.update(), c.timers.tsr), (c, v) => c.timers.writeTsr(v)));
  m.set(SPR.TCR, timerWrite('tcr', (c) => c.timers.tcr, (c, v) => c.timers.writeTcr(v)));
  m.set(SPR.TBL_R, readOnly('tbl', (c) => c.timers.readTbl()));
  m.set(SPR.TBU_R, readOnly('tbu', (c) => c.timers.readTbu()));
  m.set(SPR.TBL_W, { name: 'tbl_w', write: (c, v) => c.timers.writeTbl(v), sideEffects: true });
  m.set(SPR.TBU_W, { name: 'tbu_w', write: (c, v) => c.timers.writeTbu(v), sideEffects: true });
  for (const [name, n] of [
    ['srr0', SPR.SRR0],
    ['srr1', SPR.SRR1],
    ['csrr0', SPR.CSRR0],
    ['csrr1', SPR.CSRR1],
    ['dear', SPR.DEAR],
    ['esr', SPR.ESR],
    ['ivpr', SPR.IVPR],
    ['usprg0', SPR.USPRG0],
    ['pir', SPR.PIR],
    ['mcsrr0', SPR.MCSRR0],
    ['mcsrr1', SPR.MCSRR1],
    ['mcar', SPR.MCAR],
    ['dsrr0', SPR.DSRR0],
    ['dsrr1', SPR.DSRR1],
    ['bbear', 513],
    ['bbtar', 514],
    ['npidr', 517],
    ['sprg8', 604],
    ['sprg9', 605],
    ['mas0', SPR.MAS0],
    ['mas1', SPR.MAS1],
    ['mas2', SPR.MAS2],
    ['mas3', SPR.MAS3],
    ['mas4', SPR.MAS4],
    ['mas6', SPR.MAS6],
    ['mas7', SPR.MAS7],
    ['hid0', SPR.HID0],
    ['hid1', SPR.HID1],
    ['bucsr', 1013],
  ] as const) {
    m.set(n, plain(name, n));
  }
  for (let k = 0; k < 8; k++) m.set(SPR.SPRG0 + k, plain(`sprg${k}`, SPR.SPRG0 + k));
  // User-mode read-only aliases of SPRG3..SPRG7.
  for (let k = 3; k < 8; k++) m.set(256 + k, readOnly(`sprg${k}_ro`, (c) => c.spr[SPR.SPRG0 + k]!));
  for (let k = 0; k < 16; k++) m.set(400 + k, plain(`ivor${k}`, 400 + k));
  m.set(SPR.PVR, readOnly('pvr', (c) => c.spr[SPR.PVR]!));
  m.set(SPR.SVR, readOnly('svr', (c) => c.spr[SPR.SVR]!));
  // Debug registers change which checks the vCPU makes (see debug.ts).
  for (const [name, n] of [
    ['dbcr0', SPR.DBCR0],
    ['dbcr1', SPR.DBCR1],
    ['dbcr2', SPR.DBCR2],
    ['iac1', SPR.IAC1],
    ['iac2', SPR.IAC2],
    ['dac1', SPR.DAC1],
    ['dac2', SPR.DAC2],
  ] as const) {
    m.set(n, {
      name,
      read: (c) => c.spr[n]!,
      write: (c, v) => {
        c.spr[n] = v;
        updateDebugState(c);
      },
      sideEffects: true,
    });
  }
  m.set(SPR.DBSR, {
    name: 'dbsr',
    read: (c) => c.spr[SPR.DBSR]!,
    write: (c, v) => {
      c.spr[SPR.DBSR] = (c.spr[SPR.DBSR]! & ~v) >>> 0;
      updateDebugState(c);
    },
    sideEffects: true,
  });
  m.set(SPR.MCSR, w1c('mcsr', SPR.MCSR));
  m.set(SPR.PID0, { name: 'pid', read: (c) => c.mmu.pid0, write: (c, v) => c.mmu.setPid(0, v), sideEffects: true });
  m.set(SPR.L1CFG0, readOnly('l1cfg0', (c) => c.traits.l1cfg0));
  m.set(SPR.L1CFG1, readOnly('l1cfg1', (c) => c.traits.l1cfg1));
  m.set(SPR.TLB0CFG, readOnly('tlb0cfg', (c) => c.mmu.tlb0Cfg));
  m.set(SPR.TLB1CFG, readOnly('tlb1cfg', (c) => c.mmu.tlb1Cfg));
  m.set(SPR.MMUCFG, readOnly('mmucfg', (c) => c.traits.mmucfg));
  m.set(SPR.EPR, readOnly('epr', (c) => c.spr[SPR.EPR]!));
  // Only the enable and parity-enable bits are kept; invalidate/clear requests complete at once.
  for (const [name, n] of [
    ['l1csr0', SPR.L1CSR0],
    ['l1csr1', SPR.L1CSR1],
  ] as const) {
    m.set(n, {
      name,
      read: (c) => c.spr[n]!,
      write: (c, v) => {
        c.spr[n] = v & 0x00010001;
      },
    });
  }
  m.set(SPR.MMUCSR0, {
    name: 'mmucsr0',
    read: () => 0,
    write: (c, v) => {
      if ((v & 0x4) !== 0) c.mmu.tlb.invalidateAll(0);
      if ((v & 0x2) !== 0) c.mmu.tlb.invalidateAll(1);
      c.mmu.flushSoftTlb();
    },
    sideEffects: true,
  });
  return m;
}

function e500v2Sprs(m: Map<number, SprDef>): void {
  m.set(SPR.PID1, { name: 'pid1', read: (c) => c.mmu.pid1, write: (c, v) => c.mmu.setPid(1, v), sideEffects: true });
  m.set(SPR.PID2, { name: 'pid2', read: (c) => c.mmu.pid2, write: (c, v) => c.mmu.setPid(2, v), sideEffects: true });
  m.set(SPR.SPEFSCR, plain('spefscr', SPR.SPEFSCR));
  for (let k = 0; k < 4; k++) m.set(528 + k, plain(`ivor${32 + k}`, 528 + k));
}

function e500mcSprs(m: Map<number, SprDef>): void {
  for (let k = 0; k < 3; k++) m.set(531 + k, plain(`ivor${35 + k}`, 531 + k));
  for (let k = 0; k < 4; k++) m.set(432 + k, plain(`ivor${38 + k}`, 432 + k));
  m.set(SPR.MAS5, plain('mas5', SPR.MAS5));
  m.set(SPR.MAS8, plain('mas8', SPR.MAS8));
  m.set(947, plain('eplc', 947));
  m.set(948, plain('epsc', 948));
  m.set(1017, plain('l2csr0', 1017));
  m.set(1018, plain('l2csr1', 1018));
}

const tables = new Map<CoreFamily, readonly (SprDef | undefined)[]>();

export function sprTable(family: CoreFamily): readonly (SprDef | undefined)[] {
  let t = tables.get(family);
  if (t === undefined) {
    const m = commonSprs();
    if (family === 'e500v2') e500v2Sprs(m);
    else e500mcSprs(m);
    const arr: (SprDef | undefined)[] = new Array(1024).fill(undefined);
    for (const [n, d] of m) arr[n] = d;
    t = arr;
    tables.set(family, t);
  }
  return t;
}

/** SPRs whose write needs no block end (the common ones in hot code). */
export function sprWriteEndsBlock(def: SprDef | undefined): boolean {
  return def === undefined || def.sideEffects === true;
}

/** Undefined SPR: no-op for supervisor code, illegal for user code (see header). */
function undefinedSpr(c: Cpu, n: number): void {
  if ((c.msr & MSR.PR) !== 0 || n === 0 || n === 4 || n === 5 || n === 6) c.illegal();
}

/**
 * mfspr of SPR `n`: the value (uint32), or a recorded fault (`c.stop`). For an undefined SPR
 * in supervisor mode (a no-op) the target keeps its value: `keep` is returned.
 */
export function mfsprExec(c: Cpu, n: number, keep: number): number {
  if ((n & 0x10) !== 0 && (c.msr & MSR.PR) !== 0) return c.privileged();
  const def = c.sprs[n];
  if (def === undefined) {
    undefinedSpr(c, n);
    return keep;
  }
  if (def.read === undefined) return c.privileged();
  return def.read(c);
}

export function mtsprExec(c: Cpu, n: number, v: number): void {
  if ((n & 0x10) !== 0 && (c.msr & MSR.PR) !== 0) {
    c.privileged();
    return;
  }
  const def = c.sprs[n];
  if (def === undefined) {
    undefinedSpr(c, n);
    return;
  }
  if (def.write === undefined) {
    c.privileged();
    return;
  }
  def.write(c, v >>> 0);
}

