/**
 * What a machine is made of, as plain data: the CLI builds it, the machine thread receives
 * it (structured clone) and assembles the board from it.
 */
import type { AcceleratorName } from '../api/hypervisor.js';
import type { BoardName } from '../boards/board.js';
import type { LevelIrqShares } from './remote/level-irq.js';

/**
 * Where a serial port goes, as QEMU's `-serial`: the terminal, a file (output only), a TCP
 * server waiting for one client, a port that discards output and has no input (`null`), or
 * no port at all (`none`: the board does not get that UART).
 */
export type SerialSpec =
  | { readonly kind: 'stdio' }
  | { readonly kind: 'file'; readonly path: string }
  /** `wait`: the machine starts only once a client is connected (QEMU's default for servers). */
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number; readonly wait: boolean }
  | { readonly kind: 'null' }
  | { readonly kind: 'none' };

/**
 * Where the monitor is (QEMU's `-monitor`): multiplexed with the console on the terminal, a
 * UNIX socket server for one client at a time, or nowhere.
 */
export type MonitorSpec =
  | { readonly kind: 'stdio' }
  /** `wait`: the machine starts only once a client is connected (off unless asked for). */
  | { readonly kind: 'unix'; readonly path: string; readonly wait: boolean }
  | { readonly kind: 'none' };

/**
 * A device served by another process over a device route (docs/device-routes.md): the VMM
 * listens on `socket` (mode 0600) and a device process (`ngkvm device uart --socket PATH`)
 * connects; ppce500's UART1 is the one device this can be today.
 */
/** `wait`: the guest starts once a device process has connected (QEMU's `wait=on` of a server socket). */
export type DeviceSpec = { readonly kind: 'uart1'; readonly socket: string; readonly wait?: boolean };

/** Where the gdb stub listens (QEMU's `-gdb tcp::1234`). */
export type GdbSpec = { readonly kind: 'tcp'; readonly host: string; readonly port: number };

/** A disk image (QEMU's `-drive`): raw only; `id` is how a -device names it. */
export interface DriveSpec {
  readonly id: string;
  readonly file: string;
  readonly readOnly: boolean;
}

/** A network backend (QEMU's `-netdev`). */
export type NetdevSpec =
  | { readonly kind: 'socket'; readonly id: string; readonly mode: 'listen' | 'connect'; readonly host: string; readonly port: number }
  | { readonly kind: 'tap'; readonly id: string; readonly ifname: string };

/** A character device (QEMU's `-chardev`) for virtio-console ports; same forms as a serial port. */
export interface ChardevSpec {
  readonly id: string;
  readonly backend: SerialSpec;
}

/** How a virtio device reaches the guest: virtio-pci (ppce500) or virtio-mmio (x86-microvm). */
export type VirtioTransportKind = 'pci' | 'mmio';

export interface ConsolePortConfig {
  readonly chardev: string;
  /** virtconsole (hvcN) rather than virtserialport. */
  readonly console: boolean;
  readonly name?: string;
  readonly nr: number;
}

/** A virtio device (QEMU's `-device virtio-…`), in command-line order. */
export type VirtioDeviceSpec =
  | { readonly kind: 'blk'; readonly transport: VirtioTransportKind; readonly drive: string; readonly serial?: string; readonly queues?: number }
  | { readonly kind: 'net'; readonly transport: VirtioTransportKind; readonly netdev: string; readonly mac?: string }
  | { readonly kind: 'rng'; readonly transport: VirtioTransportKind }
  | { readonly kind: 'serial'; readonly transport: VirtioTransportKind; readonly maxPorts: number; readonly ports: readonly ConsolePortConfig[] }
  /** A virtio-pci device served by a device process (`-device virtio-blk-pci,socket=PATH`). */
  | { readonly kind: 'remote'; readonly transport: 'pci'; readonly virtio: 'blk' | 'rng' | 'net' | 'serial'; readonly socket: string; readonly wait: boolean };

/** Where a migration goes or comes from: `tcp:HOST:PORT` or `file:PATH` (QEMU's URIs). */
export type MigrationUri = { readonly kind: 'tcp'; readonly host: string; readonly port: number } | { readonly kind: 'file'; readonly path: string };

export interface MachineConfig {
  readonly machine: BoardName;
  /**
   * The accelerator planned for the board (api/accelerators.ts planAccelerator); the machine
   * thread falls back to the software one for the board's architecture, with a line saying
   * so, when this one cannot be opened and there is one.
   */
  readonly accel: AcceleratorName;
  readonly cpu: string;
  /** Number of vCPUs (QEMU's -smp). */
  readonly cpus: number;
  /** RAM in bytes. */
  readonly memory: number;
  readonly bios?: string;
  readonly kernel?: string;
  readonly initrd?: string;
  readonly append?: string;
  /** A guest reset request ends the run with status 0 instead of rebooting (QEMU's -no-reboot). */
  readonly noReboot: boolean;
  /** Serial ports in order (UART0, UART1); `none` entries are dropped, as QEMU does. */
  readonly serials: readonly SerialSpec[];
  readonly monitor: MonitorSpec;
  /** A gdb remote stub (optional: absent means none). */
  readonly gdb?: GdbSpec;
  /** Do not run the guest until the debugger continues it (QEMU's -S). */
  readonly startHalted?: boolean;
  /** Devices outside the VMM (device routes: `--device uart1,socket=PATH`). */
  readonly remoteDevices?: readonly DeviceSpec[];
  readonly drives?: readonly DriveSpec[];
  readonly netdevs?: readonly NetdevSpec[];
  readonly chardevs?: readonly ChardevSpec[];
  /** Virtio devices in command-line order (PCI slots 1, 2, … / virtio-mmio transports 7, 6, …). */
  readonly devices?: readonly VirtioDeviceSpec[];
  /** Exit timing on every vCPU (Vcpu.enableCap('exit-timing')), for the monitor's `info stats`. */
  readonly exitTiming?: boolean;
  /** Start from a migration stream or snapshot instead of the boot images (QEMU's -incoming). */
  readonly incoming?: MigrationUri;
}

/** Main → machine thread, on the device port: a device connected (its access fd), or its interrupt level. */
export type DeviceMessage =
  /** `device`: index of the virtio device in config.devices; absent: UART1. */
  | { readonly kind: 'access'; readonly fd: number; readonly device?: number }
  /** A remote virtio-pci function's INTx level / MSI (the board's bus-master write). */
  | { readonly kind: 'intx'; readonly device: number; readonly level: boolean }
  | { readonly kind: 'msi'; readonly address: number; readonly data: number };

/**
 * Main → machine thread, on the device DMA port: a device process's DMA write, done by the
 * machine thread (the in-process path: inbound translation, dirty log, the accelerator's code
 * cache) and answered with a `dma-done` MachineMessage.
 */
export interface DmaWriteRequest {
  readonly id: number;
  readonly addr: number;
  readonly data: Uint8Array;
}

/** Messages from the machine thread to the main thread. */
export type MachineMessage =
  /** The board is built; `accel` is the accelerator that runs it (after any fallback). */
  | {
      readonly type: 'ready';
      readonly accel: AcceleratorName;
      readonly vcpus: readonly { id: number; ownerThread: number; control: SharedArrayBuffer }[];
      /** The irqEvent a remote UART1's line drives (the main thread reads its event channel). */
      readonly remoteUart1Irq?: LevelIrqShares;
      /**
       * For the DMA of virtio devices in device processes, served on the main thread: guest
       * RAM (at guest-physical 0, shared memory) and the host bridge's inbound windows.
       */
      readonly remoteDma?: { readonly ram: readonly Uint8Array[]; readonly chunkBytes: number; readonly ramSize: number; readonly windows: SharedArrayBuffer };
    }
  /** Wake the machine (REQ_TIMER) at this host monotonic time in ns, or never (Infinity). */
  | { readonly type: 'timer'; readonly deadlineNs: number }
  /** A diagnostic line (device warnings); worker stderr would only flush when the machine stops. */
  | { readonly type: 'log'; readonly line: string }
  /** A DmaWriteRequest is done; `error`: why it was refused. */
  | { readonly type: 'dma-done'; readonly id: number; readonly error?: string }
  | { readonly type: 'exit'; readonly code: number; readonly reason: string }
  | { readonly type: 'error'; readonly message: string; readonly userError: boolean };

/** Words of the machine control block (main → machine thread requests). */
export const REQ_WORD = 0;
export const REQ_QUIT = 1;
export const REQ_INPUT = 2;
/** A device timer deadline has passed. */
export const REQ_TIMER = 4;
/** Monitor command lines are waiting on the monitor's MessagePort. */
export const REQ_MONITOR = 8;
/** gdb packets (or a connect, Ctrl-C, disconnect) are waiting on the gdb stub's MessagePort. */
export const REQ_GDB = 16;
/** A device route's connection or interrupt level is waiting on the device MessagePort. */
export const REQ_DEVICE = 32;
/** The migration link changed (connected, delivered, failed): give the migration its turn now. */
export const REQ_MIGRATION = 64;
export const CONTROL_BYTES = 16;
