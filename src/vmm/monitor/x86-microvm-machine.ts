/**
 * The monitor's view of a running x86-microvm board (machine thread): its vCPU (no
 * software-visible TLB: translations come from the vCPU's own page-table walk), RAM reads
 * through the VM's memory map, the address map for `info mtree` (RAM below and above 4 GiB,
 * the IOAPIC and the local APIC window on the MMIO side), and the run state the machine loop
 * obeys.
 */
import { gpa } from '../../api/memory.js';
import type { X86MicrovmBoard } from '../../boards/x86-microvm/board.js';
import { IOAPIC_BASE, IOAPIC_SIZE } from '../../devices/x86/ioapic.js';
import type { RunControl } from '../run-state.js';
import type { MonitorMachine } from './machine.js';
import type { MtreeRegion } from './mtree.js';

/**
 * The local APIC / MSI window: the accelerator handles it; QEMU's microvm shows it as
 * `apic-msi`, 1 MiB at priority 4096 over whatever else is there.
 */
const LAPIC_BASE = 0xfee0_0000n;
const LAPIC_SIZE = 0x10_0000n;

export function x86MicrovmMonitorMachine(
  board: X86MicrovmBoard,
  run: RunControl,
  info: { readonly version: string; readonly accelerator: string },
): Omit<MonitorMachine, 'requestReset' | 'requestQuit'> {
  const memory = board.vm.memory;
  return {
    version: info.version,
    accelerator: info.accelerator,
    arch: 'x86_64',
    cpus: board.vcpus.map((vcpu) => ({ vcpu, mpState: () => vcpu.getMpState() })),
    readPhysical(addr, length) {
      // Guest-physical RAM ends far below 2^52 on this board; beyond that a Number loses bits.
      if (addr < 0n || addr + BigInt(length) > 1n << 52n) return null;
      const at = gpa(Number(addr));
      if (!memory.isMapped(at, length)) return null;
      const out = new Uint8Array(length);
      memory.read(at, out);
      return out;
    },
    memoryRegions() {
      const regions: MtreeRegion[] = board.vm.memoryMap().map((r) => ({
        name: r.name ?? 'memory',
        base: BigInt(r.guestAddr as number),
        size: BigInt(r.size),
        kind: r.readOnly === true ? 'rom' : 'ram',
        priority: 0,
      }));
      regions.push({ name: 'ioapic', base: BigInt(IOAPIC_BASE), size: BigInt(IOAPIC_SIZE), kind: 'i/o', priority: 0 });
      regions.push({ name: 'apic-msi', base: LAPIC_BASE, size: LAPIC_SIZE, kind: 'i/o', priority: 4096 });
      return regions;
    },
    runStatus: () => run.status(),
    pause: () => run.pause('paused'),
    resume: () => run.resume(),
  };
}
