/**
 * `info registers` for the e500 cores in the layout of QEMU 7.2's PowerPC CPU dump (BookE
 * exception model, BookE 2.06 MMU), so that the two can be read side by side. Values come
 * from the vCPU's register list by name. What ngkvm's vCPU does not expose is printed as
 * dashes of the column's width rather than as a made-up value: QEMU's internal `HF`
 * (hflags) and `RES` (reservation), the time base (the e500 accelerator exposes only its
 * offset from the host clock), and VRSAVE/EPCR/MAS7/FPRs where the core has none.
 * `iidx`/`didx` are QEMU's MMU indexes, which follow from MSR: (IS or DS ? 2 : 0) +
 * (PR ? 0 : 1).
 */
import type { RegisterDescriptor, RegisterId } from '../../api/registers.js';

export interface RegisterSource {
  registerList(): readonly RegisterDescriptor[];
  getRegisters(ids: readonly RegisterId[]): bigint[];
}

const MSR_PR = 0x4000n;
const MSR_IS = 0x20n;
const MSR_DS = 0x10n;

/** Reads every register once; `get` returns undefined for names the vCPU lacks. */
function snapshot(cpu: RegisterSource): (name: string) => bigint | undefined {
  const list = cpu.registerList();
  const values = cpu.getRegisters(list.map((r) => r.id));
  const byName = new Map(list.map((r, i) => [r.name, values[i]!]));
  return (name) => byName.get(name);
}

export function formatPpcRegisters(cpu: RegisterSource, index: number): string {
  const get = snapshot(cpu);
  const w32 = (name: string): string => {
    const v = get(name);
    return v === undefined ? '--------' : BigInt.asUintN(32, v).toString(16).padStart(8, '0');
  };
  const w64 = (v: bigint | undefined): string => (v === undefined ? '-'.repeat(16) : BigInt.asUintN(64, v).toString(16).padStart(16, '0'));
  const msr = get('msr') ?? 0n;
  const iidx = ((msr & MSR_IS) !== 0n ? 2 : 0) + ((msr & MSR_PR) !== 0n ? 0 : 1);
  const didx = ((msr & MSR_DS) !== 0n ? 2 : 0) + ((msr & MSR_PR) !== 0n ? 0 : 1);
  const mas73 = get('mas7_3');
  const mas3 = mas73 === undefined ? '--------' : BigInt.asUintN(32, mas73).toString(16).padStart(8, '0');
  const mas7 = mas73 === undefined ? '--------' : (mas73 >> 32n).toString(16).padStart(8, '0');
  const dec = get('dec');

  let out = `NIP ${w32('pc')}   LR ${w32('lr')} CTR ${w32('ctr')} XER ${w32('xer')} CPU#${index}\n`;
  out += `MSR ${w32('msr')} HID0 ${w32('hid0')}  HF -------- iidx ${iidx} didx ${didx}\n`;
  out += `TB -------- -------- DECR ${dec === undefined ? '--------' : BigInt.asUintN(32, dec).toString()}\n`;
  for (let i = 0; i < 32; i++) {
    if (i % 4 === 0) out += `GPR${String(i).padStart(2, '0')}`;
    out += ` ${w64(get(`r${i}`))}`;
    if (i % 4 === 3) out += '\n';
  }
  const cr = get('cr');
  if (cr === undefined) out += 'CR --------  [ -  -  -  -  -  -  -  -  ]             RES --------\n';
  else {
    const crText = BigInt.asUintN(32, cr).toString(16).padStart(8, '0');
    let flags = '';
    for (let f = 0; f < 8; f++) {
      const v = Number((cr >> BigInt(28 - 4 * f)) & 0xfn);
      const c = (v & 8) !== 0 ? 'L' : (v & 4) !== 0 ? 'G' : (v & 2) !== 0 ? 'E' : '-';
      flags += ` ${c}${(v & 1) !== 0 ? 'O' : ' '}`;
    }
    out += `CR ${crText}  [${flags} ]             RES --------\n`;
  }
  for (let i = 0; i < 32; i++) {
    if (i % 4 === 0) out += `FPR${String(i).padStart(2, '0')}`;
    out += ` ${w64(get(`f${i}`))}`;
    if (i % 4 === 3) out += '\n';
  }
  out += `FPSCR ${w32('fpscr')}\n`;
  out += ` SRR0 ${w32('srr0')}  SRR1 ${w32('srr1')}    PVR ${w32('pvr')} VRSAVE ${w32('vrsave')}\n`;
  out += `SPRG0 ${w32('sprg0')} SPRG1 ${w32('sprg1')}  SPRG2 ${w32('sprg2')}  SPRG3 ${w32('sprg3')}\n`;
  out += `SPRG4 ${w32('sprg4')} SPRG5 ${w32('sprg5')}  SPRG6 ${w32('sprg6')}  SPRG7 ${w32('sprg7')}\n`;
  out += `CSRR0 ${w32('csrr0')} CSRR1 ${w32('csrr1')} MCSRR0 ${w32('mcsrr0')} MCSRR1 ${w32('mcsrr1')}\n`;
  out += `  TCR ${w32('tcr')}   TSR ${w32('tsr')}    ESR ${w32('esr')}   DEAR ${w32('dear')}\n`;
  out += `  PIR ${w32('pir')} DECAR ${w32('decar')}   IVPR ${w32('ivpr')}   EPCR ${w32('epcr')}\n`;
  out += ` MCSR ${w32('mcsr')} SPRG8 ${w32('sprg8')}    EPR ${w32('epr')}\n`;
  out += ` MCAR ${w32('mcar')}  PID1 ${w32('pid1')}   PID2 ${w32('pid2')}    SVR ${w32('svr')}\n`;
  out += ` MAS0 ${w32('mas0')}  MAS1 ${w32('mas1')}   MAS2 ${w32('mas2')}   MAS3 ${mas3}\n`;
  out += ` MAS4 ${w32('mas4')}  MAS6 ${w32('mas6')}   MAS7 ${mas7}    PID ${w32('pid')}\n`;
  out += `MMUCFG ${w32('mmucfg')} TLB0CFG ${w32('tlb0cfg')} TLB1CFG ${w32('tlb1cfg')}\n`;
  return out;
}
