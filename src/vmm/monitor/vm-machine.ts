/**
 * What every board's monitor view shares: RAM/ROM reads through the VM's memory map (never
 * device registers), the memory regions of that map for `info mtree`, and the run state the
 * machine loop obeys. Board views (ppce500-machine.ts, x86-microvm-machine.ts) add their
 * vCPUs and device windows.
 */
import type { Vm } from '../../api/hypervisor.js';
import { gpa } from '../../api/memory.js';
import type { RunControl } from '../run-state.js';
import type { MonitorMachine } from './machine.js';
import type { MtreeRegion } from './mtree.js';

export interface MachineInfo {
  readonly version: string;
  readonly accelerator: string;
}

export type VmMonitorBase = Pick<MonitorMachine, 'version' | 'accelerator' | 'readPhysical' | 'runStatus' | 'pause' | 'resume'> & {
  /** The VM's memory map as `info mtree` regions (RAM, ROM). */
  memoryRegions(): MtreeRegion[];
};

export function vmMonitorBase(vm: Vm, run: RunControl, info: MachineInfo): VmMonitorBase {
  const memory = vm.memory;
  return {
    version: info.version,
    accelerator: info.accelerator,
    readPhysical(addr, length) {
      // Guest-physical addresses on these boards stay far below 2^52; beyond, a Number loses bits.
      if (addr < 0n || addr + BigInt(length) > 1n << 52n) return null;
      const at = gpa(Number(addr));
      if (!memory.isMapped(at, length)) return null;
      const out = new Uint8Array(length);
      memory.read(at, out);
      return out;
    },
    memoryRegions: () =>
      vm.memoryMap().map((r) => ({
        name: r.name ?? 'memory',
        base: BigInt(r.guestAddr as number),
        size: BigInt(r.size),
        kind: r.readOnly === true ? 'rom' : 'ram',
        priority: 0,
      })),
    runStatus: () => run.status(),
    pause: () => run.pause('paused'),
    resume: () => run.resume(),
  };
}
