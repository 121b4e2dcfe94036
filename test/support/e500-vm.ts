/**
 * A bare e500 VM through the public API, for unit tests: 32 MiB of RAM at 0, one vCPU
 * running from `entry` with an identity TLB1 mapping of the first 64 MiB (supervisor and
 * user access). Addresses in [32 MiB, 64 MiB) are mapped but not RAM: a store to STOP_ADDR
 * is the tests' way to end a guest with an MMIO exit.
 */
import { BOOKE_TLB_ENTRY_BYTES, MMU_FSL_BOOKE_HV, MMU_FSL_BOOKE_NOHV, writeTlbEntry } from '../../src/api/booke.js';
import { Hypervisor, gpa, type Vcpu, type Vm } from '../../src/api/index.js';
import { CORE, gprId } from '../../src/accel/e500/registers.js';

export const STOP_ADDR = 0x0300_0000;

export interface TestVm {
  readonly vm: Vm;
  readonly vcpu: Vcpu;
}

export async function e500Vm(opts: { target?: string; features?: string[]; ramMiB?: number; code?: Uint8Array; entry?: number } = {}): Promise<TestVm> {
  const hv = await Hypervisor.open({ accel: 'e500' });
  const vm = hv.createVm({ name: 'test' });
  const size = (opts.ramMiB ?? 32) * 1024 * 1024;
  const ram = vm.createMemory(size, { name: 'ram' });
  vm.setMemoryMap([{ guestAddr: gpa(0), size, backing: ram, offset: 0 }]);
  const vcpu = addE500Vcpu(vm, 0, opts);
  return { vm, vcpu };
}

/** Another vCPU of the same shape (TLB1 identity mapping, stack) starting at `entry`. */
export function addE500Vcpu(vm: Vm, id: number, opts: { target?: string; features?: string[]; code?: Uint8Array; entry?: number } = {}): Vcpu {
  const target = opts.target ?? 'e500v2_v30';
  const vcpu = vm.createVcpu(id, { target, ...(opts.features !== undefined ? { features: opts.features } : {}) });
  const hvMmu = target === 'e500mc';
  const n0 = 512;
  const n1 = hvMmu ? 64 : 16;
  const array = new ArrayBuffer((n0 + n1) * BOOKE_TLB_ENTRY_BYTES);
  vcpu.configTlb({
    mmuType: hvMmu ? MMU_FSL_BOOKE_HV : MMU_FSL_BOOKE_NOHV,
    params: { tlbSizes: [n0, n1, 0, 0], tlbWays: [4, n1, 0, 0] },
    array,
    arrayLength: array.byteLength,
  });
  // TLB1[0]: EA 0 → PA 0, 64 MiB (TSIZE 8), all permissions.
  writeTlbEntry(new DataView(array), n0, { mas8: 0, mas1: 0x80000800, mas2: 0, mas7_3: 0x3fn });
  vcpu.dirtyTlb(null, 1);
  const entry = opts.entry ?? 0x1000;
  if (opts.code !== undefined) vm.memory.write(gpa(entry), opts.code);
  vcpu.setRegisters([
    [CORE.PC, BigInt(entry)],
    [CORE.MSR, 0n],
    [gprId(1), 0x100000n],
  ]);
  return vcpu;
}
