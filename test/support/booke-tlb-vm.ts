/**
 * A VM for the shared-TLB tests: 32 MiB of RAM whose every word holds its own physical
 * address, one vCPU with a configurable TLB geometry, TLB1[0] an IPROT identity mapping of the
 * first 64 MiB (code, and STOP_ADDR beyond RAM), and three stubs the tests run with `op`:
 * `tlbwe`, `tlbivax 0,r4` and `lwz r5,0(r4)`, each followed by a store to STOP_ADDR.
 */
import { BOOKE_TLB_ENTRY_BYTES, MMU_FSL_BOOKE_HV, MMU_FSL_BOOKE_NOHV, type BookeTlbConfig } from '../../src/api/booke.js';
import { BookeTlbView } from '../../src/api/booke-tlb-view.js';
import { Hypervisor, gpa, type Vcpu, type Vm } from '../../src/api/index.js';
import { CORE, KVM_REG_PPC, gprId, sprId } from '../../src/accel/e500/registers.js';
import type { RegisterId } from '../../src/api/registers.js';
import { STOP_ADDR } from './e500-vm.js';
import { stop, words } from './ppc-asm.js';

export const RAM_BYTES = 32 << 20;
const STUB_TLBWE = 0x1000;
const STUB_TLBIVAX = 0x1100;
const STUB_LOAD = 0x1200;

/** SPRs without an upstream ONE_REG id live in the SPR set: MAS8 (e500mc) and PID0. */
const SPR_MAS8 = 341;
const SPR_PID0 = 48;

export interface TlbVm {
  readonly vm: Vm;
  readonly vcpu: Vcpu;
  readonly view: BookeTlbView;
  readonly config: BookeTlbConfig;
  /** Runs one stub; resolves the loaded word for `load`. */
  tlbwe(mas: { mas0: number; mas1: number; mas2: number; mas3: number; mas7: number; mas8?: number }): void;
  tlbivax(ea: number): void;
  load(ea: number, pid: number): number;
}

export async function tlbVm(opts: { target: string; tlb0: number; tlb0Ways: number; tlb1: number; shared?: boolean }): Promise<TlbVm> {
  const hv = await Hypervisor.open({ accel: 'e500' });
  const vm = hv.createVm({ name: 'tlb-test' });
  const ram = vm.createMemory(RAM_BYTES, { name: 'ram' });
  vm.setMemoryMap([{ guestAddr: gpa(0), size: RAM_BYTES, backing: ram, offset: 0 }]);
  const pattern = new Uint8Array(RAM_BYTES);
  const dv = new DataView(pattern.buffer);
  for (let a = 0; a < RAM_BYTES; a += 4) dv.setUint32(a, a);
  vm.memory.write(gpa(0), pattern);
  const vcpu = vm.createVcpu(0, { target: opts.target });
  const bytes = (opts.tlb0 + opts.tlb1) * BOOKE_TLB_ENTRY_BYTES;
  const config: BookeTlbConfig = {
    mmuType: opts.target === 'e500mc' ? MMU_FSL_BOOKE_HV : MMU_FSL_BOOKE_NOHV,
    params: { tlbSizes: [opts.tlb0, opts.tlb1, 0, 0], tlbWays: [opts.tlb0Ways, opts.tlb1, 0, 0] },
    array: opts.shared === true ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes),
    arrayLength: bytes,
  };
  vcpu.configTlb(config);
  const view = new BookeTlbView(config);
  view.write(1, 0, 0, { mas8: 0, mas1: 0xc0000800, mas2: 0, mas7_3: 0x3fn });
  view.sync(vcpu);
  // tlbwe; isync  |  tlbivax 0,r4; tlbsync; isync  |  lwz r5,0(r4)
  vm.memory.write(gpa(STUB_TLBWE), words(0x7c0007a4, 0x4c00012c, ...stop()));
  vm.memory.write(gpa(STUB_TLBIVAX), words(0x7c002624, 0x7c00046c, 0x4c00012c, ...stop()));
  vm.memory.write(gpa(STUB_LOAD), words(0x80a40000, ...stop()));

  let currentPid = 0;
  const runStub = (pc: number, regs: [RegisterId, bigint][]): void => {
    vcpu.setRegisters([[CORE.PC, BigInt(pc)], [CORE.MSR, 0n], ...regs]);
    const exit = vcpu.run();
    if (exit.kind !== 'mmio' || (exit.addr as number) !== STOP_ADDR) {
      throw new Error(`stub at 0x${pc.toString(16)} ended with ${exit.kind}${exit.kind === 'mmio' ? ` at 0x${(exit.addr as number).toString(16)}` : ''}`);
    }
  };
  return {
    vm,
    vcpu,
    view,
    config,
    tlbwe(m) {
      const regs: [RegisterId, bigint][] = [
        [KVM_REG_PPC.MAS0, BigInt(m.mas0 >>> 0)],
        [KVM_REG_PPC.MAS1, BigInt(m.mas1 >>> 0)],
        [KVM_REG_PPC.MAS2, BigInt(m.mas2 >>> 0)],
        [KVM_REG_PPC.MAS7_3, (BigInt(m.mas7 >>> 0) << 32n) | BigInt(m.mas3 >>> 0)],
      ];
      if (opts.target === 'e500mc') regs.push([sprId(SPR_MAS8), BigInt((m.mas8 ?? 0) >>> 0)]);
      runStub(STUB_TLBWE, regs);
    },
    tlbivax(ea) {
      runStub(STUB_TLBIVAX, [[gprId(4), BigInt(ea >>> 0)]]);
    },
    load(ea, pid) {
      // PID writes drop every cached translation: only write it when it changes, so that the
      // loads exercise translations cached across VMM edits.
      if (pid !== currentPid) {
        vcpu.setRegister(sprId(SPR_PID0), BigInt(pid));
        currentPid = pid;
      }
      runStub(STUB_LOAD, [[gprId(4), BigInt(ea >>> 0)]]);
      return Number(vcpu.getRegister(gprId(5)));
    },
  };
}
