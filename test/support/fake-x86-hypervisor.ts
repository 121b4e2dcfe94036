/**
 * A stand-in x86 hypervisor for board tests: real guest memory (MappedGuestMemory over
 * ArrayBuffers), vCPUs that only record their registers, and MSIs and GSI routes kept in
 * arrays. Exits are fabricated by the tests (exit dispatch is a pure function of devices
 * and exit), so nothing here runs guest code.
 */
import type { GsiRoute, MsiMessage } from '../../src/api/events.js';
import type { Capability, Hypervisor, Vcpu, Vm } from '../../src/api/hypervisor.js';
import { MappedGuestMemory } from '../../src/api/memory-map.js';
import type { MemoryBacking, MemoryRegion } from '../../src/api/memory.js';
import type { RegisterId } from '../../src/api/registers.js';

export interface FakeVcpu {
  readonly id: number;
  readonly target: string;
  readonly regs: Map<RegisterId, bigint>;
  resets: number;
}

export interface FakeX86 {
  readonly hv: Hypervisor;
  readonly msis: MsiMessage[];
  readonly routes: GsiRoute[][];
  readonly caps: Map<Capability, number>;
  readonly enabled: string[];
  vcpus(): FakeVcpu[];
  regions(): readonly MemoryRegion[];
}

export function fakeX86Hypervisor(caps: Partial<Record<Capability, number>> = { 'x86-split-irqchip': 1, 'signal-msi': 1, 'gsi-routing': 4096 }): FakeX86 {
  const msis: MsiMessage[] = [];
  const routes: GsiRoute[][] = [];
  const enabled: string[] = [];
  const capMap = new Map(Object.entries(caps) as [Capability, number][]);
  const vcpus: FakeVcpu[] = [];
  let regions: readonly MemoryRegion[] = [];
  let nextId = 1;
  const memory = new MappedGuestMemory(() => {});
  const vm = {
    memory,
    createMemory(size: number, options?: { name?: string }): MemoryBacking {
      const buf = new ArrayBuffer(size);
      const bytes = new Uint8Array(buf);
      return { id: nextId++, name: options?.name ?? 'mem', size, bytes, view: new DataView(buf), chunks: [bytes], chunkBytes: size };
    },
    setMemoryMap(r: readonly MemoryRegion[]): void {
      regions = [...r].sort((a, b) => a.guestAddr - b.guestAddr);
      memory.setRegions(regions);
    },
    memoryMap: () => regions,
    enableCap(cap: string, args?: readonly number[]): void {
      enabled.push(`${cap}(${(args ?? []).join(',')})`);
    },
    createVcpu(id: number, init: { target: string }): Vcpu {
      const v: FakeVcpu = { id, target: init.target, regs: new Map(), resets: 0 };
      vcpus.push(v);
      return {
        id,
        target: init.target,
        setRegisters(values: Iterable<readonly [RegisterId, bigint]>) {
          for (const [k, val] of values) v.regs.set(k, val);
        },
        getRegister: (rid: RegisterId) => v.regs.get(rid) ?? 0n,
        reset() {
          v.regs.clear();
          v.resets++;
        },
      } as unknown as Vcpu;
    },
    signalMsi(m: MsiMessage): boolean {
      msis.push(m);
      return true;
    },
    setGsiRouting(r: readonly GsiRoute[]): void {
      routes.push([...r]);
    },
  };
  const hv = {
    accel: 'kvm',
    arch: 'x86_64',
    checkExtension: (c: Capability) => capMap.get(c) ?? 0,
    capabilities: () => capMap,
    targets: () => ['host'],
    createVm: () => vm as unknown as Vm,
    close() {},
  } as unknown as Hypervisor;
  return { hv, msis, routes, caps: capMap, enabled, vcpus: () => vcpus, regions: () => regions };
}
