/**
 * The monitor's view of a running ppce500 board (machine thread): its vCPUs with their
 * shared TLBs, RAM/ROM reads through the VM's memory map, the address map for `info mtree`
 * (memory regions, the MMIO bus's devices and PCI windows, nested in the CCSR block), and the
 * run state the machine loop obeys.
 */
import { gpa } from '../../api/memory.js';
import { CCSR_BASE, CCSR_SIZE, type Ppce500Board } from '../../boards/ppce500/board.js';
import type { RunControl } from '../run-state.js';
import type { MonitorMachine } from './machine.js';
import type { MtreeRegion } from './mtree.js';

export function ppce500MonitorMachine(
  board: Ppce500Board,
  run: RunControl,
  info: { readonly version: string; readonly accelerator: string },
): Omit<MonitorMachine, 'requestReset' | 'requestQuit'> {
  const memory = board.vm.memory;
  return {
    version: info.version,
    accelerator: info.accelerator,
    arch: 'ppc',
    cpus: board.vcpus.map((vcpu, i) => ({ vcpu, ...(board.tlbs[i] !== undefined ? { bookeTlb: board.tlbs[i] } : {}) })),
    readPhysical(addr, length) {
      // Guest-physical addresses are 36 bits on these cores; beyond 2^53 a Number loses bits.
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
      regions.push({ name: 'e500-ccsr', base: BigInt(CCSR_BASE), size: BigInt(CCSR_SIZE), kind: 'i/o', priority: 0 });
      // Underlays (PCI outbound windows, guest-programmed) answer only where no device is
      // mapped: below priority 0, as QEMU's background regions are.
      for (const m of board.bus.regions()) {
        regions.push({ name: m.name, base: BigInt(m.base), size: BigInt(m.size), kind: 'i/o', priority: m.underlay ? -1 : 0 });
      }
      return regions;
    },
    runStatus: () => run.status(),
    pause: () => run.pause('paused'),
    resume: () => run.resume(),
  };
}
