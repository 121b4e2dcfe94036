/**
 * A KVM vCPU: its fd, its run area (struct kvm_run, mmap'd from the fd) and the register
 * catalogue. Bound to the thread that created it, which calls run() synchronously and
 * handles the exits, as with KVM_RUN itself.
 *
 * Exits carry views straight into the run area (an MMIO read's `data` is kvm_run.mmio.data),
 * so what the VMM writes there is what KVM completes the guest instruction with on the next
 * KVM_RUN: no copies on the exit path.
 */
import { threadId } from 'node:worker_threads';
import {
  BusyError,
  ClosedError,
  InvalidArgumentError,
  UnknownRegisterError,
  UnsupportedError,
  UnsupportedFeatureError,
  VcpuExistsError,
  hex,
} from '../../api/errors.js';
import {
  type DebugExit,
  type Exit,
  type ExitStats,
  type FailEntryExit,
  type HaltExit,
  type InternalErrorExit,
  type InterruptedExit,
  type IoapicEoiExit,
  type MmioExit,
  type PioExit,
  type ShutdownExit,
  type SystemEventExit,
  type UnknownExit,
} from '../../api/exit.js';
import type { BookeTlbConfig } from '../../api/booke.js';
import type { AcceleratorVcpu, GuestDebug, InterruptLine, MpState, TranslateOptions, Translation, VcpuHandle, VcpuInit, VcpuTransfer } from '../../api/hypervisor.js';
import { gpa, type GuestPhysAddr } from '../../api/memory.js';
import { RouteInterrupted } from '../../api/routes.js';
import type { CoalescedWrite } from '../../api/coalesced.js';
import { x86Gpr, x86Segment } from '../../api/x86-registers.js';
import { RegisterCatalogue, type RegisterDescriptor, type RegisterId } from '../../api/registers.js';
import { assertThread, assertUsable, kickPending, requestKick, takeKick } from '../../api/threads.js';
import { CAP, DEBUGREGS, DTABLE, EXIT, FPU, GUESTDBG, INTERNAL_ERROR_EMULATION, INTERNAL_ERROR_NAMES, IOCTL, KVM_EXIT_IO_OUT, MP_STATE, OFF, RUN, SEG, SIZE, SREGS, SYSTEM_EVENT, TRANSLATION } from './abi.js';
import { KvmCallError, check } from './errors.js';
import type { KvmVm } from './hypervisor.js';
import { CONTROL_ADOPTABLE, CONTROL_ALIVE, CONTROL_FD, CONTROL_IN_RUN, CONTROL_PAUSE, CONTROL_TID, CONTROL_VM_CLOSED, KVM_CONTROL_WORDS } from './kick.js';
import { NEG_ERRNO, errnoName, loadShim, mmapOne, type KvmShim } from '../../sys/native.js';
import { EVENTS_VALID_ALL, GROUPS, buildCatalogue, readLE, writeLE, type GroupName, type X86Register } from './x86-state.js';

const WRITE_ORDER: readonly GroupName[] = ['lapic', 'regs', 'sregs', 'fpu', 'xsave', 'debugregs', 'events'];
const { EINTR, EAGAIN, EFAULT } = NEG_ERRNO;

/** x86 architectural reset state (Intel SDM vol. 3, 9.1.1): what reset() writes back. */
const RESET = {
  RIP: 0xfff0n,
  CS_BASE: 0xffff0000n,
  CS_SELECTOR: 0xf000,
  /** Real-mode segment and descriptor-table limits. */
  LIMIT: 0xffff,
  /** CR0: CD | NW | ET. */
  CR0: 0x60000010n,
  /** RFLAGS: bit 1 always reads as 1. */
  RFLAGS: 2n,
  /** x87 control word: all exceptions masked, 64-bit precision, round to nearest. */
  FCW: 0x37f,
  /** MXCSR: all SSE exceptions masked. */
  MXCSR: 0x1f80,
  DR6: 0xffff0ff0n,
  DR7: 0x400n,
} as const;

/** Descriptor types as KVM's own vCPU reset sets them (SDM vol. 3, 3.4.5.1 and 3.5). */
const SEG_TYPE = {
  /** Code, execute/read, accessed. */
  CODE_ER_ACCESSED: 11,
  /** Data, read/write, accessed. */
  DATA_RW_ACCESSED: 3,
  LDT: 2,
  /** 32-bit TSS, busy. */
  TSS_BUSY: 11,
} as const;

/** CPUID leaves that carry the APIC ID, and where. */
const CPUID = {
  /** Leaf 1: EBX[31:24] is the initial APIC ID. */
  FEATURES: 1,
  APIC_ID_SHIFT: 24,
  /** Leaves 0xB and 0x1F (extended topology): EDX is the x2APIC ID. */
  TOPOLOGY: 0xb,
  TOPOLOGY_V2: 0x1f,
} as const;

/** x86 debug facilities: four address registers (DR0–3), DR7's per-slot fields. */
const DEBUG = {
  ADDRESS_REGISTERS: 4,
  /** kvm_guest_debug.arch.debugreg[7] is DR7. */
  DR7_INDEX: 7,
  /** Gn: global enable of slot n. */
  dr7Enable: (n: number): bigint => 2n << BigInt(2 * n),
  /** RWn (bits 16 + 4n): 0 execute, 1 write, 3 read or write (no read-only watch on x86). */
  dr7Rw: (n: number, rw: number): bigint => BigInt(rw) << BigInt(16 + 4 * n),
  /** LENn (bits 18 + 4n): 0 one byte, 1 two, 3 four, 2 eight. */
  dr7Len: (n: number, len: number): bigint => BigInt(len) << BigInt(18 + 4 * n),
  RW: { execute: 0, write: 1, access: 3 } as Readonly<Record<string, number>>,
  LEN: { 1: 0, 2: 1, 4: 3, 8: 2 } as Readonly<Record<number, number>>,
  /** DR7 bit 10 reads as 1. */
  DR7_ONES: 0x400n,
} as const;

/** Exception vectors the debug exit reports. */
const VECTOR_BP = 3;
/** The x86 software-breakpoint instruction. */
const INT3 = 0xcc;
/** kvm_run.internal.data[] and kvm_run.mmio.data[] sizes. */
const INTERNAL_DATA_MAX = 16;
const MMIO_DATA_BYTES = 8;

/** What a vCPU is besides its fd: enough to bind it to another thread (`transfer`). */
export interface KvmVcpuState {
  readonly fd: number;
  readonly mmapSize: number;
  readonly lapic: boolean;
  readonly xsave: boolean;
  readonly msrs: readonly number[];
  readonly guestDebug: boolean;
  /** The kick block (words of api/threads.ts and kick.ts), shared by every handle. */
  readonly control: SharedArrayBuffer;
}

/** CPUID = what KVM supports, with the vCPU's APIC ID in the leaves that report it. */
function setCpuid(shim: KvmShim, fd: number, id: number, supported: Uint8Array): void {
  const cpuid = supported.slice();
  const dv = new DataView(cpuid.buffer);
  const n = dv.getUint32(OFF.cpuid2.nent, true);
  const E = OFF.cpuidEntry2;
  for (let i = 0; i < n; i++) {
    const e = OFF.cpuid2.entries + i * SIZE.cpuidEntry2;
    const fn = dv.getUint32(e + E.function, true);
    if (fn === CPUID.FEATURES) dv.setUint32(e + E.ebx, (dv.getUint32(e + E.ebx, true) & 0x00ffffff) | ((id & 0xff) << CPUID.APIC_ID_SHIFT), true);
    if (fn === CPUID.TOPOLOGY || fn === CPUID.TOPOLOGY_V2) dv.setUint32(e + E.edx, id, true);
  }
  // UNCHECKED: `cpuid` holds the header and the `nent` entries it announces.
  check(shim.ioctlUnchecked(fd, IOCTL.SET_CPUID2, cpuid), `KVM_SET_CPUID2 for vCPU ${id}`);
}

function getMsrs(shim: KvmShim, fd: number, indices: readonly number[]): { count: number; values: bigint[] } {
  const buf = new DataView(new ArrayBuffer(SIZE.msrs + indices.length * SIZE.msrEntry));
  buf.setUint32(OFF.msrs.nmsrs, indices.length, true);
  indices.forEach((idx, i) => buf.setUint32(OFF.msrs.entries + i * SIZE.msrEntry + OFF.msrEntry.index, idx, true));
  // UNCHECKED: the buffer holds the header and the `nmsrs` entries it announces.
  const count = check(shim.ioctlUnchecked(fd, IOCTL.GET_MSRS, buf), 'KVM_GET_MSRS');
  const values = indices.slice(0, count).map((_, i) => buf.getBigUint64(OFF.msrs.entries + i * SIZE.msrEntry + OFF.msrEntry.data, true));
  return { count, values };
}

/** The MSRs of KVM's list that this vCPU can read (some depend on CPUID features). */
function readableMsrs(shim: KvmShim, fd: number, all: readonly number[]): number[] {
  const ok: number[] = [];
  let rest = [...all];
  while (rest.length > 0) {
    const n = getMsrs(shim, fd, rest).count;
    ok.push(...rest.slice(0, n));
    rest = rest.slice(n + 1); // the one at n failed: skip it
  }
  return ok;
}

/** `Hypervisor.adoptVcpu` for kvm: the vCPU fd is process-wide, only the binding moves. */
export function adoptKvmVcpu(t: VcpuTransfer): AcceleratorVcpu {
  const state = t.state as KvmVcpuState;
  if (typeof state !== 'object' || state === null || !(state.control instanceof SharedArrayBuffer) || !Number.isInteger(state.fd)) {
    throw new InvalidArgumentError('not a kvm vCPU transfer: use the value vcpu.transfer() returned');
  }
  if (Atomics.compareExchange(new Int32Array(state.control), CONTROL_ADOPTABLE, 1, 0) !== 1) {
    throw new BusyError(`vCPU ${t.id} was already adopted (a transfer is used once)`);
  }
  return new KvmVcpu(loadShim(), t.id, t.target, state, null);
}

export class KvmVcpu implements AcceleratorVcpu {
  readonly id: number;
  readonly target: string;
  readonly fd: number;
  readonly ownerThread = threadId;
  private readonly vm: KvmVm | null;
  private readonly state: KvmVcpuState;
  private readonly shim: KvmShim;
  private readonly runBuf: ArrayBuffer;
  private readonly run8: Uint8Array;
  private readonly runView: DataView;
  private readonly control: SharedArrayBuffer;
  private readonly controlWords: Int32Array;
  private readonly catalogue: RegisterCatalogue<X86Register>;
  /** Events inside the accelerator (the front counts the exits). */
  private readonly events: Record<string, number> = { 'int3-not-emulated': 0 };
  private running = false;
  private closed = false;
  private hwBreakpoints: readonly { address: number; kind: string }[] = [];

  // Reused exit objects (valid until the next run()).
  private readonly pio: PioExit = { kind: 'pio', port: 0, size: 0, isWrite: false, count: 0, data: new Uint8Array(0) };
  private readonly mmio: MmioExit = { kind: 'mmio', addr: 0 as GuestPhysAddr, size: 0, isWrite: false, data: new Uint8Array(0) };
  private readonly mmioData: Uint8Array[];
  private readonly halt: HaltExit = { kind: 'halt' };
  private readonly interrupted: InterruptedExit = { kind: 'interrupted' };
  private readonly shutdown: ShutdownExit = { kind: 'shutdown', reason: 'triple fault (KVM_EXIT_SHUTDOWN)' };
  private readonly systemEvent: SystemEventExit = { kind: 'system-event', event: 'reset', reason: '' };
  private readonly debug: DebugExit = { kind: 'debug', reason: 'single-step', pc: 0, address: 0 };
  /** setGuestDebug asked for software breakpoints (int3 exits to the VMM). */
  private swBreakpoints = false;
  private readonly internal: InternalErrorExit = { kind: 'internal-error', suberror: '', message: '' };
  private readonly failEntry: FailEntryExit = { kind: 'fail-entry', hardwareReason: 0n, cpu: 0 };
  private readonly eoi: IoapicEoiExit = { kind: 'ioapic-eoi', vector: 0 };
  private readonly unknown: UnknownExit = { kind: 'unknown', code: 0 };

  /** Creates vCPU `id` in `vm`: the init handshake (target, features, CPUID) all at once. */
  static create(vm: KvmVm, id: number, init: VcpuInit): KvmVcpu {
    const hv = vm.hypervisor;
    const shim = vm.shim;
    // The id (below max-vcpus, not taken here) and the target (one of targets()) are checked
    // in the API's front (api/checked.ts); the kernel still refuses an id another thread took.
    for (const f of init.features ?? []) {
      throw new UnsupportedFeatureError(`target "host" has no optional feature ${JSON.stringify(f)} (the vCPU gets every CPUID feature KVM supports)`);
    }
    if (init.timebaseHz !== undefined) {
      throw new UnsupportedFeatureError('timebaseHz is a PowerPC option (the time base a platform clocks the core with); x86 vCPUs keep time with the host\'s TSC');
    }
    const r = shim.ioctlInt(vm.fd, IOCTL.CREATE_VCPU, id);
    if (errnoName(r) === 'EEXIST') throw new VcpuExistsError(`vCPU ${id} already exists in VM "${vm.name}" (on another thread)`);
    const fd = check(r, `KVM_CREATE_VCPU ${id}`);
    try {
      setCpuid(shim, fd, id, hv.cpuid());
      const state: KvmVcpuState = {
        fd,
        mmapSize: hv.vcpuMmapSize,
        lapic: vm.irqchip !== 'none',
        xsave: hv.checkKvmExtension(CAP.XSAVE) > 0,
        msrs: readableMsrs(shim, fd, hv.msrIndexList()),
        guestDebug: hv.checkExtension('guest-debug') > 0,
        control: new SharedArrayBuffer(KVM_CONTROL_WORDS * 4),
      };
      return new KvmVcpu(shim, id, init.target, state, vm);
    } catch (e) {
      shim.close(fd);
      throw e;
    }
  }

  /** Binds a vCPU (new, or transferred from another thread) to the calling thread. */
  constructor(shim: KvmShim, id: number, target: string, state: KvmVcpuState, vm: KvmVm | null) {
    this.vm = vm;
    this.shim = shim;
    this.id = id;
    this.target = target;
    this.state = state;
    this.fd = state.fd;
    this.control = state.control;
    this.controlWords = new Int32Array(this.control);
    const buf = mmapOne(shim, this.fd, state.mmapSize);
    if (typeof buf === 'number') throw new KvmCallError(`cannot map the run area of vCPU ${id}`, buf);
    this.runBuf = buf;
    this.run8 = new Uint8Array(buf);
    this.runView = new DataView(buf);
    // Indexed by access size, so the exit path picks the view without searching.
    this.mmioData = [];
    for (const n of [1, 2, 4, 8]) this.mmioData[n] = new Uint8Array(buf, RUN.mmioData, n);
    const tid = shim.kickInit();
    if (tid < 0) {
      shim.munmap(buf);
      throw new KvmCallError('installing the kick signal handler', tid);
    }
    Atomics.store(this.controlWords, CONTROL_TID, tid);
    Atomics.store(this.controlWords, CONTROL_FD, this.fd);
    Atomics.store(this.controlWords, CONTROL_ALIVE, 1);
    this.catalogue = new RegisterCatalogue<X86Register>(buildCatalogue(state), (r) => r, `vCPU ${id}`);
  }

  private getMsrs(indices: readonly number[], strict: boolean): { count: number; values: bigint[] } {
    const r = getMsrs(this.shim, this.fd, indices);
    if (strict && r.count < indices.length) throw new UnknownRegisterError(`vCPU ${this.id} cannot read MSR ${hex(indices[r.count]!)}`);
    return r;
  }

  private live(what: string): void {
    assertUsable(this.closed, this.ownerThread, `vCPU ${this.id}`, what);
    if (Atomics.load(this.controlWords, CONTROL_VM_CLOSED) !== 0) throw new ClosedError(`vCPU ${this.id}: its VM was closed`);
  }

  run(): Exit {
    this.live('run');
    // A re-entrant run() (from an exit handler) is refused in the API's front (api/checked.ts).
    this.running = true;
    try {
      for (;;) {
        const waiting = this.routeWaiting;
        if (waiting !== null) {
          // A routed access a kick interrupted: finish it before the guest goes on (KVM
          // completes the MMIO/PIO from the run area on the next KVM_RUN).
          this.routeWaiting = null;
          const again = this.carry(waiting);
          if (again !== null) return again;
        }
        const r = this.enterGuest();
        if (r < 0) return this.failedRun(r);
        const exit = this.decode();
        if (exit.kind !== 'mmio' && exit.kind !== 'pio') return exit;
        const rest = this.carry(exit);
        if (rest !== null) return rest;
      }
    } finally {
      this.running = false;
      this.vm?.flushRoutes();
    }
  }

  /** An MMIO/PIO exit a kick interrupted while its device was being waited for. */
  private routeWaiting: MmioExit | PioExit | null = null;
  /** Elements of a string PIO exit (rep ins/outs) already carried. */
  private pioDone = 0;

  /**
   * Hands an MMIO/PIO exit to the VM's route for it (api/route-table.ts): null when the
   * route carried it and the guest can go on without the VMM, the exit itself when no route
   * covers it, an interrupted exit when a kick stopped the wait (carried on the next run).
   */
  private carry(exit: MmioExit | PioExit): Exit | null {
    const table = this.vm?.routeTable;
    if (table === undefined || !table.has(exit.kind)) return exit;
    try {
      if (exit.kind === 'mmio') return table.access('mmio', exit.addr, exit.isWrite, exit.data) ? null : exit;
      for (let k = this.pioDone; k < exit.count; k++) {
        const one = exit.data.subarray(k * exit.size, (k + 1) * exit.size);
        if (!table.access('pio', exit.port, exit.isWrite, one)) return exit;
        this.pioDone = k + 1;
      }
      this.pioDone = 0;
      return null;
    } catch (e) {
      if (!(e instanceof RouteInterrupted)) throw e;
      this.routeWaiting = exit;
      takeKick(this.controlWords);
      return this.interrupted;
    }
  }

  /**
   * Hands the VM's coalesced MMIO ring (struct kvm_coalesced_mmio_ring at page `page` of the
   * vCPU mapping) to `visit`, oldest first, releasing each entry to the kernel as it goes.
   */
  drainCoalescedRing(page: number, visit: (write: CoalescedWrite) => void): number {
    const base = page * 4096;
    const head = new Uint32Array(this.runBuf, base, 2);
    const max = Math.floor((4096 - 8) / 24);
    let n = 0;
    for (;;) {
      const first = Atomics.load(head, 0);
      if (first === Atomics.load(head, 1) || first >= max) return n;
      const e = new DataView(this.runBuf, base + 8 + first * 24, 24);
      const len = Math.min(e.getUint32(8, true), 8);
      const w: CoalescedWrite = {
        space: e.getUint32(12, true) !== 0 ? 'pio' : 'mmio',
        addr: Number(e.getBigUint64(0, true)),
        data: new Uint8Array(this.runBuf, base + 8 + first * 24 + 16, len).slice(),
      };
      Atomics.store(head, 0, (first + 1) % max);
      n++;
      visit(w);
    }
  }

  /** RIP, for messages about where the guest stopped. */
  private rip(): bigint {
    const [rip] = this.getRegisters([x86Gpr('rip')]);
    return rip ?? 0n;
  }

  /**
   * KVM_RUN, kept out of the way of a VM-wide pause (kick.ts pauseVcpus: setMemoryMap stops
   * every vCPU of the VM, on whatever thread, before it changes memory slots). A pause is not
   * an exit: the vCPU waits for the end of it and enters the guest again.
   */
  private enterGuest(): number {
    const w = this.controlWords;
    for (;;) {
      Atomics.store(w, CONTROL_IN_RUN, 1);
      if (Atomics.load(w, CONTROL_PAUSE) !== 0) {
        this.leftRun();
        while (Atomics.load(w, CONTROL_PAUSE) !== 0) Atomics.wait(w, CONTROL_PAUSE, 1);
        // The pauser's kick, if it sent one, was for this pause: served.
        this.run8[RUN.immediateExit] = 0;
        continue;
      }
      // A kick from this thread (or one whose signal already came and went) is in the flag word.
      if (kickPending(w)) this.run8[RUN.immediateExit] = 1;
      const r = this.shim.ioctlInt(this.fd, IOCTL.RUN, 0);
      this.leftRun();
      const signalled = r === EINTR || r === EAGAIN || (r >= 0 && this.runView.getUint32(RUN.exitReason, true) === EXIT.INTR);
      if (signalled && !kickPending(w) && Atomics.load(w, CONTROL_PAUSE) !== 0) {
        // Stopped for a pause, not by a kick: wait it out (next turn) and go on.
        this.run8[RUN.immediateExit] = 0;
        continue;
      }
      return r;
    }
  }

  private leftRun(): void {
    Atomics.store(this.controlWords, CONTROL_IN_RUN, 0);
    Atomics.notify(this.controlWords, CONTROL_IN_RUN);
  }

  private failedRun(r: number): Exit {
    if (r === EINTR || r === EAGAIN) {
      // Kicked (immediate_exit or the signal), or another signal arrived: either way the
      // request is served by returning; clear it so the next run() enters the guest.
      this.run8[RUN.immediateExit] = 0;
      takeKick(this.controlWords);
      return this.interrupted;
    }
    if (r === EFAULT) {
      const rip = this.rip();
      this.internal.suberror = 'efault';
      this.internal.message = `KVM_RUN failed with EFAULT at rip ${hex(rip)}: guest memory backing is not accessible`;
      return this.internal;
    }
    throw new KvmCallError(`KVM_RUN on vCPU ${this.id}`, r);
  }

  private decode(): Exit {
    const v = this.runView;
    const reason = v.getUint32(RUN.exitReason, true);
    switch (reason) {
      case EXIT.IO: {
        const e = this.pio;
        e.isWrite = v.getUint8(RUN.ioDirection) === KVM_EXIT_IO_OUT;
        e.size = v.getUint8(RUN.ioSize);
        e.port = v.getUint16(RUN.ioPort, true);
        e.count = v.getUint32(RUN.ioCount, true);
        const off = Number(v.getBigUint64(RUN.ioDataOffset, true));
        const len = e.size * e.count;
        if (e.data.byteOffset !== off || e.data.length !== len) e.data = new Uint8Array(this.runBuf, off, len);
        if (!e.isWrite) e.data.fill(0);
        return e;
      }
      case EXIT.MMIO: {
        const e = this.mmio;
        e.addr = Number(v.getBigUint64(RUN.mmioPhysAddr, true)) as GuestPhysAddr;
        e.size = v.getUint32(RUN.mmioLen, true);
        e.isWrite = v.getUint8(RUN.mmioIsWrite) !== 0;
        e.data = this.mmioData[e.size] ?? new Uint8Array(this.runBuf, RUN.mmioData, Math.min(e.size, MMIO_DATA_BYTES));
        if (!e.isWrite) e.data.fill(0);
        return e;
      }
      case EXIT.HLT:
        return this.halt;
      case EXIT.INTR:
        return this.failedRun(EINTR);
      case EXIT.SHUTDOWN:
        return this.shutdown;
      case EXIT.SYSTEM_EVENT: {
        const type = v.getUint32(RUN.systemEventType, true);
        const e = this.systemEvent;
        e.event = type === SYSTEM_EVENT.RESET ? 'reset' : type === SYSTEM_EVENT.CRASH ? 'crash' : 'shutdown';
        e.reason = `KVM_EXIT_SYSTEM_EVENT type ${type}`;
        return e;
      }
      case EXIT.FAIL_ENTRY:
        this.failEntry.hardwareReason = v.getBigUint64(RUN.failEntryReason, true);
        this.failEntry.cpu = v.getUint32(RUN.failEntryCpu, true);
        return this.failEntry;
      case EXIT.INTERNAL_ERROR: {
        const sub = v.getUint32(RUN.internalSuberror, true);
        if (sub === INTERNAL_ERROR_EMULATION && this.swBreakpoints) {
          const bp = this.breakpointNotEmulated();
          if (bp !== null) return bp;
        }
        const ndata = Math.min(v.getUint32(RUN.internalNdata, true), INTERNAL_DATA_MAX);
        const data = Array.from({ length: ndata }, (_, i) => hex(v.getBigUint64(RUN.internalData + 8 * i, true)));
        let rip = '?';
        try {
          rip = hex(this.rip());
        } catch {
          // The message is still useful without it.
        }
        this.internal.suberror = INTERNAL_ERROR_NAMES[sub] ?? `suberror ${sub}`;
        this.internal.message =
          sub === INTERNAL_ERROR_EMULATION
            ? `KVM could not emulate the instruction at rip ${rip}; the vCPU cannot continue (data: ${data.join(' ')})`
            : `KVM internal error ${this.internal.suberror} at rip ${rip} (data: ${data.join(' ')})`;
        return this.internal;
      }
      case EXIT.DEBUG:
        return this.decodeDebug();
      case EXIT.IOAPIC_EOI:
        this.eoi.vector = v.getUint8(RUN.eoiVector);
        return this.eoi;
      default:
        this.unknown.code = reason;
        return this.unknown;
    }
  }

  /**
   * PVM emulates CPL0 code and its emulator has no int3, so a software breakpoint there comes
   * back as an emulation failure at the int3 instead of a debug exit. With software
   * breakpoints on, that is still the breakpoint the API promises: report it as one (and
   * count it, so the path shows in the statistics). Null when the failing instruction is not
   * an int3 — then it is a real failure.
   */
  private breakpointNotEmulated(): DebugExit | null {
    if (this.vm === null) return null;
    try {
      const [rip, csBase] = this.getRegisters([x86Gpr('rip'), x86Segment('cs', 'base')]);
      const pc = Number(BigInt.asUintN(64, rip! + csBase!));
      const t = this.translate(pc);
      if (t.kind !== 'mapped') return null;
      const insn = new Uint8Array(1);
      this.vm.memory.read(gpa(t.phys), insn);
      if (insn[0] !== this.swBreakpointInstruction()[0]) return null;
      this.events['int3-not-emulated'] = (this.events['int3-not-emulated'] ?? 0) + 1;
      const e = this.debug;
      e.reason = 'breakpoint';
      e.pc = pc;
      e.address = pc;
      return e;
    } catch {
      // No RAM behind the address, or registers unreadable: leave it an internal error.
      return null;
    }
  }

  private decodeDebug(): Exit {
    const v = this.runView;
    const exception = v.getUint32(RUN.debugException, true);
    const pc = Number(v.getBigUint64(RUN.debugPc, true));
    const dr6 = Number(v.getBigUint64(RUN.debugDr6, true) & 0xffffffffn);
    const e = this.debug;
    e.pc = pc;
    e.address = pc;
    if (exception === VECTOR_BP) {
      e.reason = 'breakpoint';
      return e;
    }
    for (let i = 0; i < DEBUG.ADDRESS_REGISTERS; i++) {
      if ((dr6 & (1 << i)) !== 0 && i < this.hwBreakpoints.length) {
        const bp = this.hwBreakpoints[i]!;
        e.reason = bp.kind === 'execute' ? 'hw-breakpoint' : 'watchpoint';
        e.address = bp.address;
        return e;
      }
    }
    e.reason = 'single-step';
    return e;
  }

  kick(): void {
    if (this.closed) return;
    // On the vCPU's own thread it is not inside KVM_RUN: the flag makes the next run() return.
    requestKick(this.controlWords);
    this.run8[RUN.immediateExit] = 1;
  }

  handle(): VcpuHandle {
    return { accel: 'kvm', id: this.id, ownerThread: this.ownerThread, control: this.control };
  }

  registerList(): readonly RegisterDescriptor[] {
    return this.catalogue.list;
  }

  private getGroup(g: GroupName): DataView {
    const grp = GROUPS[g];
    const buf = new DataView(new ArrayBuffer(grp.size));
    check(this.shim.ioctl(this.fd, grp.get, buf), `${grp.name} of vCPU ${this.id}`);
    return buf;
  }

  private setGroup(g: GroupName, buf: DataView): void {
    const grp = GROUPS[g];
    check(this.shim.ioctl(this.fd, grp.set, buf), `setting ${grp.name} of vCPU ${this.id}`);
  }

  getRegisters(ids: readonly RegisterId[]): bigint[] {
    this.live('getRegisters');
    this.vm?.flushRoutes();
    const regs = ids.map((id) => this.catalogue.lookup(id));
    const groups = new Map<GroupName, DataView>();
    const msrs = regs.filter((r) => r.group === 'msr').map((r) => r.offset);
    const msrValues = new Map<number, bigint>();
    if (msrs.length > 0) {
      const unique = [...new Set(msrs)];
      this.getMsrs(unique, true).values.forEach((v, i) => msrValues.set(unique[i]!, v));
    }
    return regs.map((r) => {
      if (r.group === 'msr') return msrValues.get(r.offset)!;
      let dv = groups.get(r.group);
      if (dv === undefined) {
        dv = this.getGroup(r.group);
        groups.set(r.group, dv);
      }
      return r.codec ? r.codec.read(dv, r.offset) : readLE(dv, r.offset, r.size);
    });
  }

  setRegisters(values: Iterable<readonly [RegisterId, bigint]>): void {
    this.live('setRegisters');
    const writes = this.catalogue.planWrites(values);
    // Each struct is read just before it is written back, in an order where state two sets
    // share comes out right: the LAPIC first, so that kvm_sregs read afterwards carries the
    // TPR it implies as CR8 (and a CR8 written in the same call wins). FPU before XSAVE: an
    // XSAVE piece written in the same call as an xmm register wins.
    const byGroup = new Map<GroupName, [X86Register, bigint][]>();
    const msrs: [number, bigint][] = [];
    for (const [r, value] of writes) {
      if (r.group === 'msr') msrs.push([r.offset, value]);
      else byGroup.set(r.group, [...(byGroup.get(r.group) ?? []), [r, value]]);
    }
    for (const g of WRITE_ORDER) {
      const ws = byGroup.get(g);
      if (ws === undefined) continue;
      const dv = this.getGroup(g);
      for (const [r, value] of ws) {
        if (r.codec) r.codec.write(dv, r.offset, value);
        else writeLE(dv, r.offset, r.size, value);
      }
      if (g === 'events') dv.setUint32(OFF.vcpuEvents.flags, dv.getUint32(OFF.vcpuEvents.flags, true) | EVENTS_VALID_ALL, true);
      this.setGroup(g, dv);
    }
    if (msrs.length > 0) {
      const buf = new DataView(new ArrayBuffer(SIZE.msrs + msrs.length * SIZE.msrEntry));
      buf.setUint32(OFF.msrs.nmsrs, msrs.length, true);
      msrs.forEach(([idx, v], i) => {
        buf.setUint32(OFF.msrs.entries + i * SIZE.msrEntry + OFF.msrEntry.index, idx, true);
        buf.setBigUint64(OFF.msrs.entries + i * SIZE.msrEntry + OFF.msrEntry.data, v, true);
      });
      // UNCHECKED: the buffer holds the header and the `nmsrs` entries it announces.
      const n = check(this.shim.ioctlUnchecked(this.fd, IOCTL.SET_MSRS, buf), 'KVM_SET_MSRS');
      if (n < msrs.length) {
        throw new InvalidArgumentError(`vCPU ${this.id} refused value ${hex(msrs[n]![1])} for MSR ${hex(msrs[n]![0])} (the MSRs before it were written)`);
      }
    }
  }

  stats(): ExitStats {
    return { ...this.events };
  }

  setInterruptLine(line: InterruptLine, _asserted: boolean): void {
    this.live('setInterruptLine');
    throw new UnsupportedError(`x86 vCPUs have no "${line}" input line: interrupts arrive through the local APIC (vm.signalMsi, irqEvent)`);
  }

  getMpState(): MpState {
    this.live('getMpState');
    const s = new Uint32Array(1);
    check(this.shim.ioctl(this.fd, IOCTL.GET_MP_STATE, s), 'KVM_GET_MP_STATE');
    return s[0] === MP_STATE.RUNNABLE ? 'runnable' : s[0] === MP_STATE.HALTED ? 'halted' : 'stopped';
  }

  setMpState(state: MpState): void {
    this.live('setMpState');
    const v = { runnable: MP_STATE.RUNNABLE, halted: MP_STATE.HALTED, stopped: MP_STATE.INIT_RECEIVED }[state];
    if (v === undefined) throw new InvalidArgumentError(`unknown MP state ${JSON.stringify(state)}`);
    if (v !== MP_STATE.RUNNABLE && !this.state.lapic) {
      // Without an in-kernel local APIC, KVM has nothing that could wake the vCPU again.
      throw new UnsupportedError(`MP state "${state}" needs the in-kernel local APIC (vm.enableCap("x86-split-irqchip") or "x86-irqchip" before creating the vCPU)`);
    }
    check(this.shim.ioctl(this.fd, IOCTL.SET_MP_STATE, new Uint32Array([v])), `KVM_SET_MP_STATE ${state}`);
  }

  enableCap(cap: string, args: readonly number[] = []): void {
    this.live('enableCap');
    throw new UnsupportedError(`unknown vCPU capability "${cap}" (args ${JSON.stringify(args)}) for the kvm accelerator`);
  }

  /** The architected power-on state (SDM 9.1.1): real mode at f000:fff0, caches on, FPU defaults. */
  reset(): void {
    this.live('reset');
    const regs = new DataView(new ArrayBuffer(SIZE.regs));
    regs.setBigUint64(OFF.regs.rflags, RESET.RFLAGS, true);
    regs.setBigUint64(OFF.regs.rip, RESET.RIP, true);
    this.setGroup('regs', regs);
    const sregs = this.getGroup('sregs');
    SREGS.segments.forEach((name, s) => {
      const o = s * SIZE.segment;
      sregs.setBigUint64(o + SEG.base, name === 'cs' ? RESET.CS_BASE : 0n, true);
      sregs.setUint32(o + SEG.limit, RESET.LIMIT, true);
      sregs.setUint16(o + SEG.selector, name === 'cs' ? RESET.CS_SELECTOR : 0, true);
      sregs.setUint8(o + SEG.type, name === 'tr' ? SEG_TYPE.TSS_BUSY : name === 'ldt' ? SEG_TYPE.LDT : name === 'cs' ? SEG_TYPE.CODE_ER_ACCESSED : SEG_TYPE.DATA_RW_ACCESSED);
      sregs.setUint8(o + SEG.present, 1);
      for (const f of [SEG.dpl, SEG.db, SEG.l, SEG.g, SEG.avl, SEG.unusable]) sregs.setUint8(o + f, 0);
      sregs.setUint8(o + SEG.s, name === 'tr' || name === 'ldt' ? 0 : 1);
    });
    for (const off of [SREGS.gdt, SREGS.idt]) {
      sregs.setBigUint64(off + DTABLE.base, 0n, true);
      sregs.setUint16(off + DTABLE.limit, RESET.LIMIT, true);
    }
    for (const [off, v] of [[SREGS.cr0, RESET.CR0], [SREGS.cr2, 0n], [SREGS.cr3, 0n], [SREGS.cr4, 0n], [SREGS.cr8, 0n], [SREGS.efer, 0n]] as const) sregs.setBigUint64(off, v, true);
    this.setGroup('sregs', sregs);
    const fpu = new DataView(new ArrayBuffer(SIZE.fpu));
    fpu.setUint16(FPU.fcw, RESET.FCW, true);
    fpu.setUint32(FPU.mxcsr, RESET.MXCSR, true);
    this.setGroup('fpu', fpu);
    this.setGroup('debugregs', (() => {
      const d = new DataView(new ArrayBuffer(SIZE.debugregs));
      d.setBigUint64(DEBUGREGS.dr6, RESET.DR6, true);
      d.setBigUint64(DEBUGREGS.dr7, RESET.DR7, true);
      return d;
    })());
  }

  configTlb(_config: BookeTlbConfig): void {
    this.live('configTlb');
    throw new UnsupportedError('configTlb is Book E only; x86 vCPUs have a hardware-walked MMU');
  }

  syncTlb(): void {
    this.live('syncTlb');
    throw new UnsupportedError('syncTlb is Book E only; x86 vCPUs have a hardware-walked MMU');
  }

  dirtyTlb(_bitmap: Uint8Array | null, _numDirty: number): void {
    this.live('dirtyTlb');
    throw new UnsupportedError('dirtyTlb is Book E only; x86 vCPUs have a hardware-walked MMU');
  }

  translate(ea: number, options?: TranslateOptions): Translation {
    this.live('translate');
    if (!Number.isSafeInteger(ea) || ea < 0) throw new InvalidArgumentError(`translate(${ea}): the address must be a non-negative integer below 2^53`);
    if (options !== undefined && (options.as !== undefined || options.pid !== undefined)) {
      throw new InvalidArgumentError('translate: address space and PID are Book E options; x86 translates in the current paging mode');
    }
    const t = new DataView(new ArrayBuffer(SIZE.translation));
    t.setBigUint64(TRANSLATION.linear_address, BigInt(ea), true);
    check(this.shim.ioctl(this.fd, IOCTL.TRANSLATE, t), `KVM_TRANSLATE ${hex(ea)} on vCPU ${this.id}`);
    if (t.getUint8(TRANSLATION.valid) === 0) return { kind: 'unmapped' };
    // `writeable` and `usermode` are not read: the kernel fills them with constants.
    return { kind: 'mapped', phys: Number(t.getBigUint64(TRANSLATION.physical_address, true)), pageSize: 0x1000 };
  }

  setGuestDebug(debug: GuestDebug | null): void {
    this.live('setGuestDebug');
    if (!this.state.guestDebug) throw new UnsupportedError('this host has no KVM_CAP_SET_GUEST_DEBUG');
    const arg = new DataView(new ArrayBuffer(SIZE.guestDebug));
    const hw = debug?.hardware ?? [];
    if (hw.length > DEBUG.ADDRESS_REGISTERS) throw new InvalidArgumentError(`x86 has ${DEBUG.ADDRESS_REGISTERS} hardware breakpoint registers; ${hw.length} breakpoints asked for`);
    let control = 0;
    if (debug !== null && debug !== undefined) {
      control = GUESTDBG.ENABLE;
      if (debug.singleStep === true) control |= GUESTDBG.SINGLESTEP;
      if (debug.softwareBreakpoints === true) control |= GUESTDBG.USE_SW_BP;
    }
    this.swBreakpoints = debug?.softwareBreakpoints === true;
    if (debug !== null && debug !== undefined) {
      if (hw.length > 0) control |= GUESTDBG.USE_HW_BP;
    }
    let dr7 = 0n;
    hw.forEach((bp, i) => {
      const rw = DEBUG.RW[bp.kind];
      if (rw === undefined) throw new UnsupportedError(`x86 debug registers cannot watch reads only ("${bp.kind}"); use "access" (reads and writes)`);
      const len = bp.kind === 'execute' ? 0 : DEBUG.LEN[bp.length];
      if (len === undefined || (bp.kind === 'execute' && bp.length !== 1)) throw new InvalidArgumentError(`hardware breakpoint ${i}: length ${bp.length} must be 1, 2, 4 or 8 (1 for execute)`);
      if (bp.kind !== 'execute' && bp.address % bp.length !== 0) throw new InvalidArgumentError(`watchpoint ${i}: address ${hex(bp.address)} must be aligned to its length ${bp.length}`);
      arg.setBigUint64(OFF.guestDebug.debugreg + 8 * i, BigInt(bp.address), true);
      dr7 |= DEBUG.dr7Enable(i) | DEBUG.dr7Rw(i, rw) | DEBUG.dr7Len(i, len);
    });
    if (hw.length > 0) dr7 |= DEBUG.DR7_ONES;
    arg.setBigUint64(OFF.guestDebug.debugreg + 8 * DEBUG.DR7_INDEX, dr7, true);
    arg.setUint32(OFF.guestDebug.control, control, true);
    check(this.shim.ioctl(this.fd, IOCTL.SET_GUEST_DEBUG, arg), 'KVM_SET_GUEST_DEBUG');
    this.hwBreakpoints = hw.map((b) => ({ address: b.address, kind: b.kind }));
  }

  swBreakpointInstruction(): Uint8Array {
    return Uint8Array.of(INT3);
  }

  transfer(): VcpuTransfer {
    this.live('transfer');
    if (this.running) throw new BusyError(`vCPU ${this.id} is running`);
    // Until adopted, kicks land in the flag word only; the adopter's first run() sees them.
    Atomics.store(this.controlWords, CONTROL_ALIVE, 0);
    if (this.run8[RUN.immediateExit] !== 0) requestKick(this.controlWords);
    Atomics.store(this.controlWords, CONTROL_ADOPTABLE, 1);
    this.closed = true;
    this.shim.munmap(this.runBuf);
    this.vm?.vcpuClosed(this, 'transferred');
    return { accel: 'kvm', id: this.id, target: this.target, state: this.state };
  }

  close(): void {
    if (this.closed) return;
    assertThread(this.ownerThread, `vCPU ${this.id} (close)`);
    this.closed = true;
    Atomics.store(this.controlWords, CONTROL_ALIVE, 0);
    this.shim.munmap(this.runBuf);
    this.shim.close(this.fd);
    this.vm?.vcpuClosed(this, 'closed');
  }
}
