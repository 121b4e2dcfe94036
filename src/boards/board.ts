/**
 * What the machine thread needs from any board, so it can pick one by name: the VM and its
 * vCPUs, exit handling, console input and reset. Boards are built only on the hypervisor
 * API; which accelerator runs them is the VMM's choice.
 */
import type { Exit } from '../api/exit.js';
import type { GuestArch, Vcpu, Vm } from '../api/hypervisor.js';
import type { MemoryBacking } from '../api/memory.js';
import type { DeviceState } from '../devices/state.js';
import type { VirtioDevice } from '../devices/virtio/device.js';

/**
 * What the machine loop must do after an exit the board handled: nothing, a system reset,
 * or end the run with a status the guest chose (x86 isa-debug-exit).
 */
export type BoardEvent = 'none' | 'reset' | { readonly kind: 'exit'; readonly code: number; readonly reason: string };

export interface Board {
  readonly vm: Vm;
  readonly vcpus: readonly Vcpu[];
  /** Completes an exit of `vcpu` (device access, EOI, …) and says what the loop must do next. */
  handleExit(vcpu: Vcpu, exit: Exit): BoardEvent;
  /** Console input arrived: let the UARTs take it. */
  pollInput(): void;
  /** System reset: devices and CPUs to their reset state, boot images loaded again. */
  reset(): void;
  /** Snapshots and live migration (src/vmm/migration); absent on a board that cannot be saved. */
  readonly migration?: MigratableBoard;
}

/** What a snapshot must match to load into a machine: the destination is built the same way. */
export interface MachineDescription {
  readonly machine: BoardName;
  readonly cpu: string;
  readonly cpus: number;
  readonly ramSize: number;
}

/** What saving and loading a whole machine needs of its board. */
export interface MigratableBoard {
  describe(): MachineDescription;
  /** Guest RAM: the stream numbers its pages from the start of this backing. */
  readonly ram: MemoryBacking;
  /** Where the backing's first byte is in guest-physical space (RAM is one region). */
  readonly ramGuestAddr: number;
  /**
   * RAM is mapped with `logDirty` from the VM's creation on (and the log is harvested only
   * by migrations): a page the log never showed was never written and is still zero.
   */
  readonly ramLoggedFromStart?: boolean;
  /**
   * The state sections in save order: the vCPUs, then the devices. Throws a BoardError
   * naming what cannot be saved (a device whose state lives in another process).
   */
  stateSections(): DeviceState[];
}

export type BoardName = 'ppce500' | 'x86-microvm';

/** What is known of a board before one is built: the VMM picks the accelerator from `arch`. */
export interface BoardInfo {
  readonly name: BoardName;
  /** The guest architecture of its CPUs. */
  readonly arch: GuestArch;
  readonly description: string;
  /** The CPU model (a target of the accelerator) without `--cpu`, as QEMU's machine of the same name picks it. */
  readonly defaultCpu: string;
}

export const BOARDS: Readonly<Record<BoardName, BoardInfo>> = {
  ppce500: { name: 'ppce500', arch: 'ppc', description: "QEMU's ppce500: e500 cores, ns16550 UARTs, MPIC, PCI", defaultCpu: 'e500v2_v30' },
  'x86-microvm': { name: 'x86-microvm', arch: 'x86_64', description: "QEMU's microvm: one x86-64 vCPU, COM1, IOAPIC, PVH or bzImage kernels", defaultCpu: 'host' },
};

/** A guest image as the VMM read it. */
export interface BootImage {
  /** For messages, usually the path. */
  readonly name: string;
  readonly bytes: Uint8Array;
}

/**
 * A virtio device for a board to present with its transport (virtio-pci on ppce500,
 * virtio-mmio on x86-microvm). The VMM builds the device with its host backends.
 */
export interface VirtioAttachment {
  readonly device: VirtioDevice;
  /** How messages name it (QEMU's device name, e.g. `virtio-blk-pci`). */
  readonly name: string;
}
