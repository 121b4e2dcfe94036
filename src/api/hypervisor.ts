/**
 * The accelerator-neutral contracts: Hypervisor → Vm → Vcpu, each created only by its parent,
 * as with /dev/kvm, a VM fd and a vCPU fd.
 *
 * A VM belongs to the thread that created it, and so does each vCPU: `run()` is synchronous
 * (like KVM_RUN, the calling thread handles the exit), so a VMM gives every vCPU a thread of
 * its own and keeps its event loop elsewhere. Other threads reach a vCPU through a
 * `VcpuHandle`, which can kick it but not run it.
 */
import type { BookeTlbConfig } from './booke.js';
import type { DirtyLogOptions, DirtyLogRange } from './dirty-log.js';
import type { Exit, ExitStats } from './exit.js';
import type { ExitTimingStats } from './exit-timing.js';
import type { GuestMemory, MemoryBacking, MemoryRegion } from './memory.js';
import type { EventNotifier, GsiRoute, IoEvent, IoEventOptions, IrqEvent, IrqEventOptions, MsiMessage } from './events.js';
import type { RegisterDescriptor, RegisterId } from './registers.js';

export type AcceleratorName = 'e500' | 'kvm';
export type GuestArch = 'ppc' | 'x86_64';

/**
 * Capability names. `checkExtension` returns 0 when absent, otherwise a positive number
 * whose meaning is documented per capability (1 for booleans, a count or width otherwise).
 */
export type Capability =
  /** Tag/value register access (always 1). */
  | 'one-reg'
  /** Maximum number of vCPUs per VM. */
  | 'max-vcpus'
  /** Width of guest-physical addresses in bits. */
  | 'max-phys-bits'
  /** Read-only memory regions (writes exit as MMIO). */
  | 'readonly-mem'
  /** Dirty page logging per region. */
  | 'dirty-log'
  /** `kick()` makes a running vCPU exit promptly (1). */
  | 'immediate-exit'
  /** Interrupt input lines on the vCPU (`setInterruptLine`). */
  | 'irq-line'
  /** vCPU feature `dcr`: mfdcr/mtdcr become DCR exits (PowerPC). */
  | 'ppc-dcr'
  /** vCPU feature `epapr-hcall`: ePAPR hypercalls exit to the VMM (PowerPC). */
  | 'ppc-epapr-hcall'
  /** vCPU cap `ppc-epr`: external-proxy interrupts ask the VMM for SPR EPR first (KVM_CAP_PPC_EPR). */
  | 'ppc-epr'
  /** Book E software-managed TLB shared with the VMM (KVM_CAP_SW_TLB). */
  | 'sw-tlb'
  /** `Vcpu.setGuestDebug`: single-step and software breakpoints (1). */
  | 'guest-debug'
  /** Number of hardware breakpoints/watchpoints `setGuestDebug` accepts. */
  | 'guest-debug-hw-bps'
  /** `Vcpu.enableCap('exit-timing', [1])` and `Vcpu.exitTiming()`: VMM time per exit kind (1, every accelerator). */
  | 'exit-timing'
  /** `Vm.runVcpus()`: the VM's vCPUs share the calling thread, scheduled by the accelerator. */
  | 'cooperative-vcpus'
  /** `Vcpu.transfer()` / `Hypervisor.adoptVcpu()`: a vCPU can move to a thread of its own (1). */
  | 'vcpu-transfer'
  /** ioeventfd-style notifiers on guest writes. */
  | 'ioeventfd'
  /** irqfd-style notifiers raising interrupts. */
  | 'irqfd'
  /** `irqEvent({ resample: true })`: level-triggered irqEvents with a resample notifier. */
  | 'irqfd-resample'
  /** `Vm.signalMsi`: inject a message-signalled interrupt directly. */
  | 'signal-msi'
  /** `Vm.setGsiRouting`: the number of GSI routes a VM can have. */
  | 'gsi-routing'
  /**
   * x86 split interrupt controller: local APICs in the accelerator, the IOAPIC (and PIC) in
   * the VMM, enabled with `vm.enableCap('x86-split-irqchip', [ioapicPins])` before the
   * first vCPU. The value is 1 when available.
   */
  | 'x86-split-irqchip'
  /**
   * x86 interrupt controllers all in the accelerator (local APICs, IOAPIC, PICs), enabled with
   * `vm.enableCap('x86-irqchip')` before the first vCPU; GSIs 0–23 start routed to the
   * IOAPIC pins (and 0–15 to the PICs). Needed for `irqEvent({ resample: true })`.
   */
  | 'x86-irqchip';

export interface HypervisorOptions {
  readonly accel: AcceleratorName;
}

export interface Hypervisor {
  readonly accel: AcceleratorName;
  readonly arch: GuestArch;
  checkExtension(cap: Capability): number;
  /** Every capability with a non-zero value. */
  capabilities(): ReadonlyMap<Capability, number>;
  /** CPU models (`target` names) this accelerator can create. */
  targets(): readonly string[];
  createVm(options?: VmOptions): Vm;
  close(): void;
}

export interface VmOptions {
  /** Name used in messages. */
  readonly name?: string;
}

export interface VcpuInit {
  /** CPU model, e.g. `e500v2_v30`, `e500mc`; validated all at once with `features`. */
  readonly target: string;
  /** Optional features of the model; an unknown or unavailable one is an error. */
  readonly features?: readonly string[];
  /** PowerPC: time-base frequency the platform clocks the core with (default 400 MHz, as QEMU's ppce500). */
  readonly timebaseHz?: number;
}

export interface Vm {
  readonly hypervisor: Hypervisor;
  /** Allocates host memory that can back guest-physical ranges (page-multiple size). */
  createMemory(size: number, options?: { readonly name?: string }): MemoryBacking;
  /** Replaces the whole guest-physical memory map atomically; on error the old map stays. */
  setMemoryMap(regions: readonly MemoryRegion[]): void;
  memoryMap(): readonly MemoryRegion[];
  /** Guest-physical access through the map in force (dirty-tracked, cache-coherent). */
  readonly memory: GuestMemory;
  createVcpu(id: number, init: VcpuInit): Vcpu;
  vcpus(): readonly Vcpu[];
  /**
   * Opt-in behaviour changes; an unknown capability is an error. Known ones:
   * `x86-split-irqchip` [ioapicPins] or `x86-irqchip` (kvm, before the first vCPU).
   */
  enableCap(cap: string, args?: readonly number[]): void;
  /**
   * Capability `ioeventfd`: a guest write matching `options` signals the returned event's
   * notifier instead of exiting to the VMM (the write is not otherwise performed). Close
   * the event to remove it. Accelerators without the capability throw UnsupportedError.
   */
  ioEvent(options: IoEventOptions): IoEvent;
  /**
   * Capability `irqfd`: signalling the returned event's `trigger` raises GSI `options.gsi`
   * (routed by `setGsiRouting`) without a call into the VM object, from any thread that
   * holds the notifier. With `resample`, the line is level-triggered: it stays asserted
   * until the guest acknowledges it, and then `resample` is signalled so the device model
   * can re-assert it if its condition still holds.
   */
  irqEvent(options: IrqEventOptions): IrqEvent;
  /** Capability `signal-msi`: delivers one MSI; returns false when the guest blocked it (e.g. masked). */
  signalMsi(msi: MsiMessage): boolean;
  /**
   * Capability `gsi-routing`: replaces the whole GSI routing table (as KVM_SET_GSI_ROUTING).
   * With the x86 split irqchip, GSIs are routed to MSIs, which is how the VMM's IOAPIC and
   * irqEvents reach the local APICs.
   */
  setGsiRouting(routes: readonly GsiRoute[]): void;
  /**
   * Dirty pages of a guest-physical range as page numbers relative to `addr`, ascending, at
   * most `maxPages` of them (the first in address order); with `clear` the returned pages
   * are cleared in the log. The range is page-aligned and not empty; only regions mapped
   * with `logDirty` have dirty pages, so the work is bounded by what is mapped in the range,
   * not by its size. One implementation for every accelerator: src/api/dirty-log.ts.
   */
  getDirtyLog(range: DirtyLogRange, options?: DirtyLogOptions): number[];
  /**
   * Capability `cooperative-vcpus`: runs all of the VM's vCPUs on the calling thread, taking
   * turns, until one of them exits; returns that vCPU and its exit. Halted and stopped vCPUs
   * do not run (and a halt is not reported); when none can run, the call sleeps until a
   * timer event or a kick. Accelerators without the capability throw UnsupportedError.
   */
  runVcpus(): { readonly vcpu: Vcpu; readonly exit: Exit };
  close(): void;
}

/**
 * Multiprocessing state, as KVM_{GET,SET}_MP_STATE: `stopped` vCPUs do not run until the VMM
 * makes them runnable (secondary CPUs held by firmware or a spin table); `halted` ones wait
 * for an interrupt.
 */
export type MpState = 'runnable' | 'halted' | 'stopped';

/** PowerPC core inputs: MPIC INT, MPIC CINT, machine check. */
export type PpcInterruptLine = 'external' | 'critical' | 'machine-check';
export type { EventNotifier, GsiRoute, IoEvent, IoEventOptions, IrqEvent, IrqEventOptions, MsiMessage };
export type InterruptLine = PpcInterruptLine;

/**
 * A vCPU on its way to another thread (from `Vcpu.transfer()`): post it to that thread and
 * turn it into a Vcpu there with `Hypervisor.adoptVcpu`. Structured-cloneable; `state` is the
 * accelerator's own and opaque to the VMM.
 */
export interface VcpuTransfer {
  readonly accel: AcceleratorName;
  readonly id: number;
  readonly target: string;
  readonly state: unknown;
}

/** Cloneable description of a vCPU that another thread can use to kick it. */
export interface VcpuHandle {
  readonly accel: AcceleratorName;
  readonly id: number;
  readonly ownerThread: number;
  readonly control: SharedArrayBuffer;
}

export interface Vcpu {
  readonly id: number;
  readonly target: string;
  /** Runs the vCPU until an exit; the exit object is valid until the next call. */
  run(): Exit;
  /** Makes a running (or the next) `run()` return an `interrupted` exit promptly. */
  kick(): void;
  handle(): VcpuHandle;
  registerList(): readonly RegisterDescriptor[];
  getRegisters(ids: readonly RegisterId[]): bigint[];
  setRegisters(values: Iterable<readonly [RegisterId, bigint]>): void;
  getRegister(id: RegisterId): bigint;
  setRegister(id: RegisterId, value: bigint): void;
  /**
   * Exit counts by kind plus in-accelerator events (seed 004): the exits are counted in the
   * API's front for every accelerator, the events (instructions, TLB misses, …) by the
   * accelerator under their own names.
   */
  stats(): ExitStats;
  /**
   * Exit timing (seed 004, KVM's exit-timing accounting): per exit kind, how many exits the
   * VMM handled and how long each took it, from run() returning the exit to the next run()
   * (count, total, min, max in ns). Null until `enableCap('exit-timing', [1])`; off costs
   * nothing (run() reads no clock).
   */
  exitTiming(): ExitTimingStats | null;
  setInterruptLine(line: InterruptLine, asserted: boolean): void;
  getMpState(): MpState;
  setMpState(state: MpState): void;
  /**
   * Opt-in vCPU behaviour; unknown caps are errors. Every accelerator: `exit-timing` [1] starts
   * exit timing from zero, [0] stops it. e500: `ppc-epr` [1]/[0].
   */
  enableCap(cap: string, args?: readonly number[]): void;
  /**
   * Returns the vCPU's registers to their architected reset state, as right after
   * `createVcpu`. A Book E TLB shared with `configTlb` is the VMM's to reset, through the
   * array (BookeTlbView.invalidateAll, then sync).
   */
  reset(): void;
  /**
   * Book E only (capability `sw-tlb`): shares the guest TLB with the VMM as an array; the TLB
   * is empty afterwards. Not allowed while the vCPU runs.
   */
  configTlb(config: BookeTlbConfig): void;
  /**
   * Book E only (KVM_SYNC_TLB style): makes the shared array reflect the guest's TLB exactly,
   * until the next `run()`. Needed before reading the array of an MMU type that is not
   * synchronized on every return from `run()` (FSL_BOOKE_HV; see api/booke.ts and
   * `bookeTlbSyncedOnExit`); allowed, and free, for the others. Not allowed while running.
   */
  syncTlb(): void;
  /**
   * Book E only: tells the accelerator which entries of the shared array the VMM changed
   * (one bit per entry, entry 0 in bit 0 of byte 0), or all of them when `bitmap` is null.
   * `numDirty` is a hint: above a threshold everything cached is dropped at once.
   */
  dirtyTlb(bitmap: Uint8Array | null, numDirty: number): void;
  /**
   * KVM_TRANSLATE: the guest-physical address an effective address maps to in the vCPU's
   * current state, or in the address space / PID given, without running the guest or raising
   * a fault. Not allowed while the vCPU runs.
   */
  translate(ea: number, options?: TranslateOptions): Translation;
  /**
   * KVM_SET_GUEST_DEBUG (capability `guest-debug`): what makes the vCPU stop with a `debug`
   * exit instead of running the guest on. `null` turns guest debugging off. Debug exits never
   * reach the guest: the guest's own debug facilities keep working as before.
   */
  setGuestDebug(debug: GuestDebug | null): void;
  /**
   * The instruction a debugger writes into guest memory for a software breakpoint (x86:
   * `int3`; Book E: the accelerator's reserved debug instruction, as KVM_REG_PPC_DEBUG_INST).
   * With `softwareBreakpoints` on, executing it is a `debug` exit with reason `breakpoint`.
   */
  swBreakpointInstruction(): Uint8Array;
  /**
   * Capability `vcpu-transfer`: hands the vCPU to another thread. This object is closed
   * without destroying the vCPU (and leaves `vm.vcpus()`); the returned description becomes a
   * Vcpu bound to the receiving thread with `Hypervisor.adoptVcpu`. The vCPU's state
   * (registers, pending events) goes with it; exit statistics start again at zero. Not allowed while running. Guest memory for device models on that thread
   * comes from the accelerator (kvm: `mapBacking`).
   */
  transfer(): VcpuTransfer;
  close(): void;
}

export interface GuestDebug {
  /** Exit after every instruction (reason `single-step`, `pc` = the next instruction). */
  readonly singleStep?: boolean;
  /** The software-breakpoint instruction exits instead of reaching the guest. */
  readonly softwareBreakpoints?: boolean;
  /** At most `checkExtension('guest-debug-hw-bps')` hardware breakpoints and watchpoints. */
  readonly hardware?: readonly HardwareBreakpoint[];
}

export interface HardwareBreakpoint {
  /** Effective (virtual) address: of the instruction, or the start of the watched data. */
  readonly address: number;
  readonly kind: 'execute' | 'write' | 'read' | 'access';
  /** Watched bytes (1, 2, 4 or 8); 1 for `execute`. */
  readonly length: number;
}

/** Book E only; x86 translates in the vCPU's current paging mode and refuses options. */
export interface TranslateOptions {
  /** Book E address space (MSR[IS]/[DS]); default: MSR[DS] now. */
  readonly as?: 0 | 1;
  /** Book E process ID to match (TID 0 always matches); default: the PID registers now. */
  readonly pid?: number;
}

/** Result of `Vcpu.translate`. */
export type Translation =
  | {
      readonly kind: 'mapped';
      /** Guest-physical address of `ea`. */
      readonly phys: number;
      /**
       * Size of the page (or TLB entry) that maps it, in bytes. x86: 4096, because
       * KVM_TRANSLATE does not say whether a larger page maps it (a 4 KiB frame is always
       * contiguous).
       */
      readonly pageSize: number;
      /**
       * Book E: access permissions and storage attributes of the entry. Absent on x86:
       * KVM_TRANSLATE walks the tables as the system would and its `writeable`/`usermode`
       * fields are constants, so there is nothing true to report.
       */
      readonly booke?: BookeTranslation;
    }
  | { readonly kind: 'unmapped' };

export interface BookeTranslation {
  readonly tlb: 0 | 1;
  /** Entry index inside its TLB (TLB0: set × ways + way). */
  readonly index: number;
  /** Supervisor/user read, write, execute. */
  readonly sr: boolean;
  readonly sw: boolean;
  readonly sx: boolean;
  readonly ur: boolean;
  readonly uw: boolean;
  readonly ux: boolean;
  /** MAS2[W I M G E]. */
  readonly wimge: number;
}

/**
 * What an accelerator implements. The API's front (checked.ts) wraps these into Hypervisor,
 * Vm and Vcpu: it checks arguments and the life cycle, and adds what is the same for every
 * accelerator (exit timing), so an accelerator has none of that to write.
 */
export interface AcceleratorVcpu extends Omit<Vcpu, 'exitTiming' | 'getRegister' | 'setRegister' | 'stats'> {
  /** Only the events inside the accelerator (the front counts the exits themselves). */
  stats(): ExitStats;
}

export interface AcceleratorVm extends Omit<Vm, 'hypervisor' | 'createVcpu' | 'vcpus' | 'runVcpus'> {
  readonly hypervisor: AcceleratorHypervisor;
  createVcpu(id: number, init: VcpuInit): AcceleratorVcpu;
  vcpus(): readonly AcceleratorVcpu[];
  runVcpus(): { readonly vcpu: AcceleratorVcpu; readonly exit: Exit };
}

export interface AcceleratorHypervisor extends Omit<Hypervisor, 'createVm'> {
  createVm(options?: VmOptions): AcceleratorVm;
}
