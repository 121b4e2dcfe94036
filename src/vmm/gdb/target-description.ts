/**
 * Target descriptions: which registers gdb sees, in which order, under which feature names,
 * and how each maps to a register of the hypervisor API (by the API's register name, looked
 * up in `Vcpu.registerList()`).
 *
 * gdb numbers registers by the `regnum` it reads here; `g`/`G` carry the registers of the
 * `g` set in regnum order, and every other register is fetched one at a time with `p` only
 * when gdb shows it (lazy, as the seed wants: nothing is read that nobody looks at).
 *
 * The feature names are the ones gdb's architectures validate (org.gnu.gdb.power.core,
 * org.gnu.gdb.i386.core, …); registers of features gdb does not know (the Book E SPRs) still
 * appear in `info registers NAME` and as `$name`.
 */
import type { RegisterDescriptor } from '../../api/registers.js';

export interface GdbRegister {
  /** gdb's name (also the default API name). */
  readonly name: string;
  readonly bitsize: number;
  /** gdb's register number (p/P packets; sort order of g/G). */
  readonly regnum: number;
  /** tdesc type: uint32, code_ptr, data_ptr, ieee_double, int64, i387_ext, vec128, … */
  readonly type: string;
  readonly group?: string;
  /** API register names to try, first match wins; default [name]. */
  readonly api?: readonly string[];
  /** Part of the `g` packet (the registers gdb needs at every stop). */
  readonly inG: boolean;
}

export interface GdbFeature {
  readonly name: string;
  readonly registers: readonly GdbRegister[];
  /** Extra XML inside <feature> before the registers (flag and vector types). */
  readonly types?: string;
}

export interface TargetDescription {
  /** BFD architecture name gdb selects, e.g. `powerpc:e500`, `i386:x86-64`. */
  readonly architecture: string;
  readonly features: readonly GdbFeature[];
  /** Byte order of register and memory contents in packets. */
  readonly endian: 'big' | 'little';
  /** gdb regnum of the program counter and stack pointer (expedited in stop replies). */
  readonly pcRegnum: number;
  readonly spRegnum: number;
  /** Size in bytes of a software breakpoint as gdb's Z0 `kind` gives it. */
  readonly swBreakpointKind: number;
}

/** All registers of a description, sorted by regnum. */
export function registersOf(desc: TargetDescription): GdbRegister[] {
  return desc.features.flatMap((f) => f.registers).sort((a, b) => a.regnum - b.regnum);
}

export function targetXml(desc: TargetDescription): string {
  const feats = desc.features
    .map((f) => {
      const regs = f.registers
        .map((r) => `    <reg name="${r.name}" bitsize="${r.bitsize}" regnum="${r.regnum}" type="${r.type}"${r.group !== undefined ? ` group="${r.group}"` : ''}/>`)
        .join('\n');
      return `  <feature name="${f.name}">\n${f.types ?? ''}${regs}\n  </feature>`;
    })
    .join('\n');
  return `<?xml version="1.0"?>\n<!DOCTYPE target SYSTEM "gdb-target.dtd">\n<target version="1.0">\n  <architecture>${desc.architecture}</architecture>\n${feats}\n</target>\n`;
}

// ---------------------------------------------------------------- PowerPC e500

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/**
 * gdb's PowerPC numbering (rs6000-tdep): r0..r31 = 0..31, f0..f31 = 32..63, pc = 64,
 * msr 65, cr 66, lr 67, ctr 68, xer 69, fpscr 70. Our SPR feature continues at 71.
 */
const PPC_CORE: GdbFeature = {
  name: 'org.gnu.gdb.power.core',
  registers: [
    ...range(32).map((i) => ({ name: `r${i}`, bitsize: 32, regnum: i, type: i === 1 ? 'data_ptr' : 'uint32', inG: true })),
    { name: 'pc', bitsize: 32, regnum: 64, type: 'code_ptr', inG: true },
    { name: 'msr', bitsize: 32, regnum: 65, type: 'uint32', inG: true },
    { name: 'cr', bitsize: 32, regnum: 66, type: 'uint32', inG: true },
    { name: 'lr', bitsize: 32, regnum: 67, type: 'code_ptr', inG: true },
    { name: 'ctr', bitsize: 32, regnum: 68, type: 'uint32', inG: true },
    { name: 'xer', bitsize: 32, regnum: 69, type: 'uint32', inG: true },
  ],
};

/** Classic FPU (e500mc only; e500v2 has SPE instead, whose upper GPR halves the API does not expose). */
const PPC_FPU: GdbFeature = {
  name: 'org.gnu.gdb.power.fpu',
  registers: [
    ...range(32).map((i) => ({ name: `f${i}`, bitsize: 64, regnum: 32 + i, type: 'ieee_double', inG: true })),
    // gdb's fpscr is 32 bits wide; the API's (as KVM's) is 64: the low word is the register.
    { name: 'fpscr', bitsize: 32, regnum: 70, type: 'int', group: 'float', inG: true },
  ],
};

/** Book E SPRs worth seeing in a debugger, in the order `info registers` lists them. */
const BOOKE_SPRS = [
  'srr0', 'srr1', 'csrr0', 'csrr1', 'mcsrr0', 'mcsrr1', 'dsrr0', 'dsrr1',
  'dear', 'esr', 'mcsr', 'mcar', 'ivpr', 'pid', 'pid1', 'pid2', 'pir', 'pvr', 'svr',
  'sprg0', 'sprg1', 'sprg2', 'sprg3', 'sprg4', 'sprg5', 'sprg6', 'sprg7', 'usprg0',
  'dec', 'decar', 'tcr', 'tsr',
  'mas0', 'mas1', 'mas2', 'mas7_3', 'mas4', 'mas6', 'mmucfg', 'tlb0cfg', 'tlb1cfg',
  'dbcr0', 'dbcr1', 'dbcr2', 'dbsr', 'iac1', 'iac2', 'dac1', 'dac2',
  'hid0', 'hid1', 'l1csr0', 'l1csr1', 'bucsr', 'spefscr', 'epr',
  ...range(16).map((i) => `ivor${i}`), 'ivor32', 'ivor33', 'ivor34', 'ivor35',
] as const;

/** Registers of the API that are 64 bits wide although the e500 core's are 32 (MAS2, IACn, DACn). */
const WIDE_SPRS = new Set(['mas2', 'mas7_3', 'iac1', 'iac2', 'dac1', 'dac2']);

/**
 * The description for an e500 vCPU, built from what its register list actually has: the FPU
 * feature only when f0..f31 exist (e500mc), SPRs only when present on the model.
 */
export function ppcE500Description(target: string, registerList: readonly RegisterDescriptor[]): TargetDescription {
  const names = new Set(registerList.map((r) => r.name));
  const features: GdbFeature[] = [PPC_CORE];
  if (range(32).every((i) => names.has(`f${i}`)) && names.has('fpscr')) features.push(PPC_FPU);
  let regnum = 71;
  const sprs = BOOKE_SPRS.filter((n) => names.has(n)).map(
    (n): GdbRegister => ({ name: n, bitsize: WIDE_SPRS.has(n) ? 64 : 32, regnum: regnum++, type: WIDE_SPRS.has(n) ? 'uint64' : 'uint32', group: 'system', inG: false }),
  );
  features.push({ name: 'org.ngkvm.power.booke-spr', registers: sprs });
  return {
    // Selects gdb's e500 (SPE, isel) or e500mc disassembler. gdb adds the SPE registers
    // (ev0h..ev31h, acc) only with an org.gnu.gdb.power.spe feature, which we leave out: the
    // API does not expose the upper GPR halves, and a description lists only real registers.
    architecture: target.startsWith('e500mc') ? 'powerpc:e500mc' : 'powerpc:e500',
    features,
    endian: 'big',
    pcRegnum: 64,
    spRegnum: 1,
    swBreakpointKind: 4,
  };
}

// ---------------------------------------------------------------- x86-64

/**
 * x86-64 as gdb's i386 architecture validates it: the core feature (GPRs, rip, eflags,
 * segment selectors, the x87 stack and control registers) and SSE (xmm0..15, mxcsr). API
 * names follow KVM's struct kvm_regs/kvm_sregs/kvm_fpu fields; a register the vCPU does not
 * have reads as unavailable (`xx`) instead of failing the packet, so the mapping only has to
 * be corrected here once the kvm accelerator names its registers.
 */
const X86_GPRS: readonly (readonly [string, readonly string[]])[] = [
  ['rax', ['rax']], ['rbx', ['rbx']], ['rcx', ['rcx']], ['rdx', ['rdx']],
  ['rsi', ['rsi']], ['rdi', ['rdi']], ['rbp', ['rbp']], ['rsp', ['rsp']],
  ...range(8).map((i) => [`r${i + 8}`, [`r${i + 8}`]] as const),
  ['rip', ['rip']], ['eflags', ['rflags', 'eflags']],
  ['cs', ['cs', 'cs.selector']], ['ss', ['ss', 'ss.selector']], ['ds', ['ds', 'ds.selector']],
  ['es', ['es', 'es.selector']], ['fs', ['fs', 'fs.selector']], ['gs', ['gs', 'gs.selector']],
];

const X86_EFLAGS_TYPE = `    <flags id="i386_eflags" size="4">
      <field name="CF" start="0" end="0"/><field name="" start="1" end="1"/><field name="PF" start="2" end="2"/>
      <field name="AF" start="4" end="4"/><field name="ZF" start="6" end="6"/><field name="SF" start="7" end="7"/>
      <field name="TF" start="8" end="8"/><field name="IF" start="9" end="9"/><field name="DF" start="10" end="10"/>
      <field name="OF" start="11" end="11"/><field name="NT" start="14" end="14"/><field name="RF" start="16" end="16"/>
      <field name="VM" start="17" end="17"/><field name="AC" start="18" end="18"/><field name="VIF" start="19" end="19"/>
      <field name="VIP" start="20" end="20"/><field name="ID" start="21" end="21"/>
    </flags>
`;

const X86_VEC_TYPES = `    <vector id="v4f" type="ieee_single" count="4"/>
    <vector id="v2d" type="ieee_double" count="2"/>
    <vector id="v16i8" type="int8" count="16"/>
    <vector id="v8i16" type="int16" count="8"/>
    <vector id="v4i32" type="int32" count="4"/>
    <vector id="v2i64" type="int64" count="2"/>
    <union id="vec128">
      <field name="v4_float" type="v4f"/><field name="v2_double" type="v2d"/><field name="v16_int8" type="v16i8"/>
      <field name="v8_int16" type="v8i16"/><field name="v4_int32" type="v4i32"/><field name="v2_int64" type="v2i64"/>
      <field name="uint128" type="uint128"/>
    </union>
    <flags id="i386_mxcsr" size="4">
      <field name="IE" start="0" end="0"/><field name="DE" start="1" end="1"/><field name="ZE" start="2" end="2"/>
      <field name="OE" start="3" end="3"/><field name="UE" start="4" end="4"/><field name="PE" start="5" end="5"/>
      <field name="DAZ" start="6" end="6"/><field name="IM" start="7" end="7"/><field name="DM" start="8" end="8"/>
      <field name="ZM" start="9" end="9"/><field name="OM" start="10" end="10"/><field name="UM" start="11" end="11"/>
      <field name="PM" start="12" end="12"/><field name="FZ" start="15" end="15"/>
    </flags>
`;

export function x86_64Description(): TargetDescription {
  let n = 0;
  const core: GdbRegister[] = X86_GPRS.map(([name, api]) => ({
    name,
    bitsize: n < 17 ? 64 : 32,
    regnum: n++,
    type: name === 'rip' ? 'code_ptr' : name === 'rbp' || name === 'rsp' ? 'data_ptr' : name === 'eflags' ? 'i386_eflags' : n <= 17 ? 'int64' : 'int32',
    api,
    inG: true,
  }));
  for (let i = 0; i < 8; i++) core.push({ name: `st${i}`, bitsize: 80, regnum: n++, type: 'i387_ext', api: [`st${i}`, `fpr${i}`], inG: true });
  const x87Control = [['fctrl', 'fcw'], ['fstat', 'fsw'], ['ftag', 'ftwx'], ['fiseg', 'fcs'], ['fioff', 'fip'], ['foseg', 'fds'], ['fooff', 'fdp'], ['fop', 'fop']] as const;
  for (const [r, api] of x87Control) {
    core.push({ name: r, bitsize: 32, regnum: n++, type: 'int', group: 'float', api: [r, api], inG: true });
  }
  const sse: GdbRegister[] = range(16).map((i) => ({ name: `xmm${i}`, bitsize: 128, regnum: n + i, type: 'vec128', api: [`xmm${i}`], inG: true }));
  sse.push({ name: 'mxcsr', bitsize: 32, regnum: n + 16, type: 'i386_mxcsr', group: 'vector', inG: true });
  n += 17;
  // The segment bases are fields of the segment registers in the API (fs.base, gs.base).
  const sysApi: Readonly<Record<string, readonly string[]>> = { fs_base: ['fs_base', 'fs.base'], gs_base: ['gs_base', 'gs.base'] };
  const sys: GdbRegister[] = ['fs_base', 'gs_base', 'cr0', 'cr2', 'cr3', 'cr4', 'cr8', 'efer'].map((name) => ({
    name,
    bitsize: 64,
    regnum: n++,
    type: 'int64',
    group: 'system',
    ...(sysApi[name] !== undefined ? { api: sysApi[name] } : {}),
    inG: false,
  }));
  return {
    architecture: 'i386:x86-64',
    features: [
      { name: 'org.gnu.gdb.i386.core', registers: core, types: X86_EFLAGS_TYPE },
      { name: 'org.gnu.gdb.i386.sse', registers: sse, types: X86_VEC_TYPES },
      { name: 'org.ngkvm.i386.system', registers: sys },
    ],
    endian: 'little',
    pcRegnum: 16,
    spRegnum: 7,
    swBreakpointKind: 1,
  };
}
