/**
 * The monitor's view of a running x86-microvm board (machine thread): its vCPU (no
 * software-visible TLB: translations come from the vCPU's own page-table walk), and for
 * `info mtree` the IOAPIC and the local APIC window, on top of what every board shares
 * (vm-machine.ts).
 */
import type { X86MicrovmBoard } from '../../boards/x86-microvm/board.js';
import { IOAPIC_BASE, IOAPIC_SIZE } from '../../devices/x86/ioapic.js';
import type { RunControl } from '../run-state.js';
import type { MonitorMachine } from './machine.js';
import { vmMonitorBase, type MachineInfo } from './vm-machine.js';

/**
 * The local APIC / MSI window: the accelerator handles it; QEMU's microvm shows it as
 * `apic-msi`, 1 MiB at priority 4096 over whatever else is there.
 */
const LAPIC_BASE = 0xfee0_0000n;
const LAPIC_SIZE = 0x10_0000n;

export function x86MicrovmMonitorMachine(board: X86MicrovmBoard, run: RunControl, info: MachineInfo): Omit<MonitorMachine, 'requestReset' | 'requestQuit'> {
  const base = vmMonitorBase(board.vm, run, info);
  return {
    ...base,
    arch: 'x86_64',
    cpus: board.vcpus.map((vcpu) => ({ vcpu, mpState: () => vcpu.getMpState() })),
    memoryRegions() {
      const regions = base.memoryRegions();
      regions.push({ name: 'ioapic', base: BigInt(IOAPIC_BASE), size: BigInt(IOAPIC_SIZE), kind: 'i/o', priority: 0 });
      regions.push({ name: 'apic-msi', base: LAPIC_BASE, size: LAPIC_SIZE, kind: 'i/o', priority: 4096 });
      return regions;
    },
  };
}
