/**
 * The monitor's view of a running ppce500 board (machine thread): its vCPUs with their
 * shared TLBs, and for `info mtree` the CCSR block with the MMIO bus's devices and PCI
 * windows nested in it, on top of what every board shares (vm-machine.ts).
 */
import { CCSR_BASE, CCSR_SIZE, type Ppce500Board } from '../../boards/ppce500/board.js';
import type { RunControl } from '../run-state.js';
import type { MonitorMachine } from './machine.js';
import { vmMonitorBase, type MachineInfo } from './vm-machine.js';

export function ppce500MonitorMachine(board: Ppce500Board, run: RunControl, info: MachineInfo): Omit<MonitorMachine, 'requestReset' | 'requestQuit'> {
  const base = vmMonitorBase(board.vm, run, info);
  return {
    ...base,
    arch: 'ppc',
    cpus: board.vcpus.map((vcpu, i) => ({ vcpu, ...(board.tlbs[i] !== undefined ? { bookeTlb: board.tlbs[i] } : {}) })),
    memoryRegions() {
      const regions = base.memoryRegions();
      regions.push({ name: 'e500-ccsr', base: BigInt(CCSR_BASE), size: BigInt(CCSR_SIZE), kind: 'i/o', priority: 0 });
      // Underlays (PCI outbound windows, guest-programmed) answer only where no device is
      // mapped: below priority 0, as QEMU's background regions are.
      for (const m of board.bus.regions()) {
        regions.push({ name: m.name, base: BigInt(m.base), size: BigInt(m.size), kind: 'i/o', priority: m.underlay ? -1 : 0 });
      }
      return regions;
    },
  };
}
