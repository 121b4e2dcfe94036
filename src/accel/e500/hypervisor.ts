/**
 * The e500 accelerator behind the API: Hypervisor, Vm and Vcpu for the software Book E vCPU.
 * Guest RAM lives in SharedArrayBuffers so other threads (console, debugger) can see it.
 */
import {
  BusyError,
  InvalidArgumentError,
  UnsupportedError,
  UnsupportedFeatureError,
  UnsupportedTargetError,
  hex,
} from '../../api/errors.js';
import type { Exit, ExitStats } from '../../api/exit.js';
import type { GsiRoute, InterruptSink, IoEvent, IoEventOptions, IrqEvent, IrqEventOptions, MsiMessage } from '../../api/events.js';
import type {
  AcceleratorHypervisor,
  AcceleratorVcpu,
  AcceleratorVm,
  Capability,
  InterruptLine,
  MpState,
  GuestDebug,
  TranslateOptions,
  Translation,
  VcpuHandle,
  VcpuTransfer,
  VcpuInit,
  VmOptions,
  SetRoutesOptions,
} from '../../api/hypervisor.js';
import { BOOKE_TLB_ENTRY_BYTES, MMU_FSL_BOOKE_HV, MMU_FSL_BOOKE_NOHV, type BookeTlbConfig } from '../../api/booke.js';
import { DirtyLog, type DirtyLogOptions, type DirtyLogRange } from '../../api/dirty-log.js';
import { MappedGuestMemory, validateMemoryMap } from '../../api/memory-map.js';
import { ChunkedBacking, backingChunkBytes, type GuestMemory, type MemoryBacking, type MemoryRegion } from '../../api/memory.js';
import type { RegisterDescriptor, RegisterId } from '../../api/registers.js';
import { CONTROL_WORDS, assertUsable, currentThread, requestKick, takeKick, waitForKick } from '../../api/threads.js';
import { CodeCache } from './code-cache.js';
import { SW_BREAKPOINT_INSN, updateDebugState } from './debug.js';
import { Cpu } from './cpu.js';
import { Engine } from './engine.js';
import { E500Events } from './events.js';
import { Decoder } from './insn/decoder.js';
import { Pending } from './interrupts.js';
import { CPU_FEATURES, CPU_MODELS, FAMILY_TRAITS, type CoreFamily, MSR } from './models.js';
import { PhysMap, type PhysRegion } from './phys-map.js';
import { RouteTable } from '../../api/route-table.js';
import type { RouteSpec } from '../../api/routes.js';
import { COALESCED_ZONES_MAX, CoalescedMmio, type CoalescedWrite, type CoalescedZone } from '../../api/coalesced.js';
import { RegisterFile } from './registers.js';
import { HostClock, type VirtualClock } from './timers.js';
import { TlbArray } from './tlb.js';

const MAX_VCPUS = 32;
/** VMM breakpoints/watchpoints per vCPU (the guest's own IAC/DAC registers stay the guest's). */
const HOST_HW_BREAKPOINTS = 8;
/** dirtyTlb hints above this drop every cached translation instead of those of the entries. */
const DIRTY_TLB_SCAN_LIMIT = 64;
const UNMAPPED: Translation = Object.freeze({ kind: 'unmapped' });
/** Instructions a vCPU runs before the cooperative scheduler moves to the next one. */
const SLICE = 20_000;
const PHYS_BITS = 36;
/** QEMU's ppce500 clocks the time base at 400 MHz; boards pass their own value. */
const DEFAULT_TIMEBASE_HZ = 400_000_000;

const CAPABILITIES: ReadonlyMap<Capability, number> = new Map<Capability, number>([
  ['one-reg', 1],
  ['max-vcpus', MAX_VCPUS],
  ['max-phys-bits', PHYS_BITS],
  ['readonly-mem', 1],
  ['dirty-log', 1],
  ['immediate-exit', 1],
  ['irq-line', 1],
  ['ppc-dcr', 1],
  ['ppc-epapr-hcall', 1],
  ['sw-tlb', 1],
  ['ppc-epr', 1],
  ['cooperative-vcpus', 1],
  ['guest-debug', 1],
  ['guest-debug-hw-bps', HOST_HW_BREAKPOINTS],
  ['routes', 1],
  ['ioeventfd', 1],
  ['irqfd', 1],
  ['irqfd-resample', 1],
  ['signal-msi', 1],
  ['gsi-routing', 1024],
  ['interrupt-sink', 1],
  ['coalesced-mmio', COALESCED_ZONES_MAX],
]);

export class E500Hypervisor implements AcceleratorHypervisor {
  readonly accel = 'e500' as const;
  readonly arch = 'ppc' as const;

  checkExtension(cap: Capability): number {
    return CAPABILITIES.get(cap) ?? 0;
  }

  capabilities(): ReadonlyMap<Capability, number> {
    return CAPABILITIES;
  }

  targets(): readonly string[] {
    return [...CPU_MODELS.keys()];
  }

  createVm(options: VmOptions = {}): AcceleratorVm {
    return new E500Vm(this, options);
  }

  /** Nothing to release: the front (api/checked.ts) refuses calls after close. */
  close(): void {}
}

let nextBackingId = 1;

/**
 * Guest RAM of the e500 accelerator: one SharedArrayBuffer (other threads can see it), viewed
 * in pieces when it is larger than a typed array can be; the vCPU reads and writes it through
 * one DataView, which has no such limit.
 */
class SabBacking extends ChunkedBacking {
  readonly buffer: SharedArrayBuffer;

  private constructor(id: number, name: string, buffer: SharedArrayBuffer) {
    const size = buffer.byteLength;
    const piece = backingChunkBytes(size);
    const chunks = Array.from({ length: Math.ceil(size / piece) }, (_, i) => new Uint8Array(buffer, i * piece, Math.min(piece, size - i * piece)));
    super(id, name, size, chunks, new DataView(buffer));
    this.buffer = buffer;
  }

  static create(size: number, name: string): SabBacking {
    return new SabBacking(nextBackingId++, name, new SharedArrayBuffer(size));
  }
}

export class E500Vm implements AcceleratorVm {
  readonly hypervisor: AcceleratorHypervisor;
  readonly name: string;
  readonly memory: GuestMemory;
  private readonly backings = new Set<MemoryBacking>();
  private regions: MemoryRegion[] = [];
  private phys = new PhysMap([], 0);
  /** Dirty pages per backing page (api/dirty-log.ts); the vCPUs mark their stores in the same bitmaps. */
  private readonly dirty = new DirtyLog();
  private readonly vcpuList: E500Vcpu[] = [];
  readonly routeTable = new RouteTable();
  readonly coalesced = new CoalescedMmio();
  private readonly clock: VirtualClock = new HostClock();
  /** Decoded code shared by the VM's vCPUs. */
  private readonly code = new CodeCache();
  /**
   * One control block for all vCPUs: they share this thread, so a kick of any of them must
   * wake the scheduler, which waits on a single word.
   */
  readonly control = new SharedArrayBuffer(CONTROL_WORDS * 4);
  private readonly controlWords = new Int32Array(this.control);
  private readonly events = new E500Events(this.control);
  private rrNext = 0;
  private lastRan: E500Vcpu | undefined;
  private sliceUsed = 0;
  private family: CoreFamily | undefined;
  readonly ownerThread = currentThread();
  private closed = false;

  constructor(hv: AcceleratorHypervisor, options: VmOptions) {
    this.hypervisor = hv;
    this.name = options.name ?? 'vm';
    const mem = new MappedGuestMemory((region, offset, length) => this.hostWrote(region, offset, length));
    this.memory = mem;
    this.guestMemory = mem;
  }

  private readonly guestMemory: MappedGuestMemory;

  private live(): void {
    assertUsable(this.closed, this.ownerThread, `VM "${this.name}"`);
  }

  createMemory(size: number, options: { readonly name?: string } = {}): MemoryBacking {
    this.live();
    // The size (a positive page multiple) is checked in the API's front (api/checked.ts).
    let b: SabBacking;
    try {
      b = SabBacking.create(size, options.name ?? `mem${nextBackingId}`);
    } catch (cause) {
      throw new InvalidArgumentError(`cannot allocate ${hex(size)} bytes of guest memory on this host`, { cause });
    }
    this.backings.add(b);
    return b;
  }

  setMemoryMap(regions: readonly MemoryRegion[]): void {
    this.live();
    const sorted = validateMemoryMap(regions, { ownsBacking: (b) => this.backings.has(b), maxPhysBits: PHYS_BITS });
    RouteTable.validate(this.routeTable.list(), sorted, PHYS_BITS);
    this.routeTable.flushAll();
    this.installMap(sorted);
  }

  setRoutes(routes: readonly RouteSpec[], options: SetRoutesOptions = {}): void {
    this.live();
    const map = options.memoryMap;
    const sorted = map === undefined ? undefined : validateMemoryMap(map, { ownsBacking: (b) => this.backings.has(b), maxPhysBits: PHYS_BITS });
    RouteTable.validate(routes, sorted ?? this.regions, PHYS_BITS);
    // The vCPUs run on this thread, so between two of their instructions both change at once.
    this.routeTable.replace(routes);
    if (sorted !== undefined) this.installMap(sorted);
  }

  routes(): readonly RouteSpec[] {
    return this.routeTable.list();
  }

  registerCoalescedMmio(zone: CoalescedZone): void {
    this.live();
    this.coalesced.register(zone);
  }

  unregisterCoalescedMmio(zone: CoalescedZone): void {
    this.live();
    this.coalesced.unregister(zone);
  }

  drainCoalescedMmio(visit: (write: CoalescedWrite) => void): number {
    this.live();
    return this.coalesced.drain(visit);
  }

  /** Before the VMM sees anything of the VM (an exit, registers, a map change): posted writes are out. */
  flushRoutes(): void {
    if (this.routeTable.hasQueued) this.routeTable.flushAll();
  }

  private installMap(sorted: MemoryRegion[]): void {
    // Dirty bits live per backing page, so moving or removing a region never loses them.
    for (const r of sorted) if (r.logDirty === true) this.dirty.track(r.backing);
    this.regions = sorted.map((r) => ({ ...r }));
    this.phys = new PhysMap(this.regions, this.phys.generation + 1);
    this.guestMemory.setRegions(this.regions);
    for (const v of this.vcpuList) v.cpu.mmu.setPhysMap(this.phys);
  }

  memoryMap(): readonly MemoryRegion[] {
    return this.regions;
  }

  dirtyBitmapOf(region: PhysRegion): Uint32Array | undefined {
    return this.dirty.bitmap(region.backing);
  }

  private hostWrote(region: MemoryRegion, offset: number, length: number): void {
    this.code.invalidateHostRange(region.backing.id, offset, length);
    this.dirty.markBytes(region, offset, length);
  }

  getDirtyLog(range: DirtyLogRange, options?: DirtyLogOptions): number[] {
    this.live();
    // The vCPUs mark their stores in the log's own bitmaps: nothing to harvest. Cleared pages
    // must be write-protected again in the software TLBs so the next guest store is logged.
    return this.dirty.query(this.regions, range, options, { cleared: () => this.vcpuList.forEach((v) => v.cpu.mmu.flushWriteTlb()) });
  }

  createVcpu(id: number, init: VcpuInit): AcceleratorVcpu {
    this.live();
    // The id (below max-vcpus, not taken) and the target (one of targets()) are checked in
    // the API's front (api/checked.ts).
    const model = CPU_MODELS.get(init.target);
    if (model === undefined) throw new UnsupportedTargetError(`no CPU model "${init.target}"`);
    if (this.family !== undefined && model.family !== this.family) {
      throw new UnsupportedTargetError(`vCPU ${id} would be ${model.family} but this VM's vCPUs are ${this.family}; mixing core families is not supported`);
    }
    const features = new Set<string>();
    for (const f of init.features ?? []) {
      if (!(CPU_FEATURES as readonly string[]).includes(f)) {
        throw new UnsupportedFeatureError(`CPU feature "${String(f)}" is not known for ${model.name}; known: ${CPU_FEATURES.join(', ')}`);
      }
      features.add(f);
    }
    const first = this.vcpuList[0];
    if (first !== undefined && [...features].sort().join(',') !== [...first.cpu.features].sort().join(',')) {
      throw new UnsupportedFeatureError(
        `vCPU ${id} asks for features [${[...features].join(', ')}] but this VM's vCPUs have [${[...first.cpu.features].join(', ')}]; the vCPUs of one VM share decoded code and must have the same features`,
      );
    }
    // Its range (1 kHz to 10 GHz, whole Hz) is checked in the API's front (api/checked.ts).
    const tb = init.timebaseHz ?? DEFAULT_TIMEBASE_HZ;
    this.family = model.family;
    const cpu = new Cpu({ model, vcpuId: id, phys: this.phys, clock: this.clock, timebaseHz: tb, features, code: this.code });
    cpu.mmu.dirtyBitmapOf = (r) => this.dirtyBitmapOf(r);
    cpu.exit.routes = this.routeTable;
    cpu.exit.coalesced = this.coalesced;
    cpu.exit.events = this.events;
    const vcpu = new E500Vcpu(this, id, cpu, new Decoder(model.family, FAMILY_TRAITS[model.family], features), this.control);
    this.vcpuList.push(vcpu);
    this.vcpuList.sort((a, b) => a.id - b.id);
    this.wireBroadcasts();
    return vcpu;
  }

  /** msgsnd and tlbivax reach every vCPU of the VM. */
  private wireBroadcasts(): void {
    const all = this.vcpuList;
    for (const v of all) {
      v.cpu.irq.doorbellSink = (type, broadcast, pirTag) => {
        for (const t of all) if (broadcast || t.cpu.spr[286] === pirTag) t.cpu.irq.raiseDoorbell(type);
      };
      v.cpu.mmu.tlbInvalidateSink = all.length > 1 ? (op) => all.forEach((t) => op(t.cpu)) : null;
    }
  }

  vcpus(): readonly AcceleratorVcpu[] {
    return this.vcpuList;
  }

  runVcpus(): { readonly vcpu: AcceleratorVcpu; readonly exit: Exit } {
    this.live();
    const vs = this.vcpuList;
    if (vs.length === 0) throw new InvalidArgumentError(`VM "${this.name}" has no vCPUs to run`);
    for (;;) {
      this.events.poll();
      let ran = false;
      for (let k = 0; k < vs.length; k++) {
        const idx = (this.rrNext + k) % vs.length;
        const v = vs[idx]!;
        if (!v.engineRunnable()) continue;
        ran = true;
        if (this.lastRan !== v) {
          // Another vCPU's stores may have hit a reservation; failing stwcx. is always allowed.
          for (const o of vs) o.cpu.resvValid = false;
          this.lastRan = v;
          this.sliceUsed = 0;
        }
        const before = v.cpu.counters.instructions;
        const exit = v.runSlice(SLICE - this.sliceUsed);
        this.sliceUsed += v.cpu.counters.instructions - before;
        const sliceOver = this.sliceUsed >= SLICE;
        if (sliceOver) this.sliceUsed = 0;
        // A vCPU that exits mid-slice continues first next time (its instruction may be pending).
        this.rrNext = sliceOver || exit === null ? (idx + 1) % vs.length : idx;
        if (exit !== null) {
          this.flushRoutes();
          return { vcpu: v, exit };
        }
        if (!sliceOver) this.sliceUsed = 0;
      }
      if (ran) continue;
      // Nothing runs until a timer or a kick: what the guest posted must not wait that long.
      this.flushRoutes();
      this.events.poll();
      if (vs.some((v) => v.engineRunnable())) continue;
      if (takeKick(this.controlWords)) return { vcpu: vs[0]!, exit: vs[0]!.cpu.exit.exits.interrupted };
      let ms = Infinity;
      for (const v of vs) ms = Math.min(ms, v.msUntilNextEvent());
      waitForKick(this.controlWords, ms);
    }
  }

  enableCap(cap: string, args: readonly number[] = []): void {
    this.live();
    throw new UnsupportedError(`capability "${cap}" (args ${JSON.stringify(args)}) cannot be enabled on the e500 accelerator`);
  }

  // Notifier events (events.ts): they reach the board's interrupt controller, its sink.
  ioEvent(options: IoEventOptions): IoEvent {
    this.live();
    return this.events.ioEvent(options);
  }

  irqEvent(options: IrqEventOptions): IrqEvent {
    this.live();
    return this.events.irqEvent(options);
  }

  signalMsi(msi: MsiMessage): boolean {
    this.live();
    return this.events.signalMsi(msi);
  }

  setGsiRouting(routes: readonly GsiRoute[]): void {
    this.live();
    this.events.setGsiRouting(routes);
  }

  setInterruptSink(sink: InterruptSink | null): void {
    this.live();
    this.events.setSink(sink);
  }

  /**
   * A closed vCPU leaves the VM: `vcpus()` no longer lists it, runVcpus no longer runs it, no
   * broadcast reaches it, and its id can be used again.
   */
  vcpuClosed(v: E500Vcpu): void {
    const i = this.vcpuList.indexOf(v);
    if (i < 0) return;
    this.vcpuList.splice(i, 1);
    if (this.lastRan === v) this.lastRan = undefined;
    this.rrNext = 0;
    this.wireBroadcasts();
  }

  /** Closes the vCPUs and the guest memory too. */
  close(): void {
    if (this.closed) return;
    this.routeTable.flushAll();
    this.events.close();
    for (const v of [...this.vcpuList]) v.close();
    this.guestMemory.close();
    this.closed = true;
  }
}

class E500Vcpu implements AcceleratorVcpu {
  readonly id: number;
  readonly target: string;
  readonly cpu: Cpu;
  readonly ownerThread = currentThread();
  private readonly vm: E500Vm;
  private readonly engine: Engine;
  private readonly registers: RegisterFile;
  private readonly control: SharedArrayBuffer;
  private readonly controlWords: Int32Array;
  private running = false;
  private closed = false;

  constructor(vm: E500Vm, id: number, cpu: Cpu, decoder: Decoder, control: SharedArrayBuffer) {
    this.vm = vm;
    this.id = id;
    this.target = cpu.model.name;
    this.cpu = cpu;
    this.control = control;
    this.controlWords = new Int32Array(this.control);
    this.engine = new Engine(cpu, decoder, this.controlWords);
    this.registers = new RegisterFile(cpu.model.family, `vCPU ${id}`);
  }

  private live(what: string): void {
    assertUsable(this.closed, this.ownerThread, `vCPU ${this.id}`, what);
  }

  run(): Exit {
    this.live('run');
    // A re-entrant run() (from an exit handler) is refused in the API's front (api/checked.ts).
    this.running = true;
    try {
      return this.engine.run();
    } finally {
      this.running = false;
      this.vm.flushRoutes();
    }
  }

  kick(): void {
    requestKick(this.controlWords);
  }

  /** Scheduler hooks (runVcpus). */
  runSlice(limit: number): Exit | null {
    this.running = true;
    try {
      return this.engine.runSlice(limit);
    } finally {
      this.running = false;
    }
  }

  engineRunnable(): boolean {
    return this.engine.runnable();
  }

  msUntilNextEvent(): number {
    return this.engine.msUntilNextEvent();
  }

  getMpState(): MpState {
    this.live('getMpState');
    return this.cpu.stopped ? 'stopped' : this.cpu.halted ? 'halted' : 'runnable';
  }

  setMpState(state: MpState): void {
    this.live('setMpState');
    if (this.running) throw new BusyError(`vCPU ${this.id} is running; change its state between runs`);
    if (state !== 'runnable' && state !== 'halted' && state !== 'stopped') {
      throw new InvalidArgumentError(`unknown MP state "${String(state)}"; use runnable, halted or stopped`);
    }
    this.cpu.stopped = state === 'stopped';
    this.cpu.halted = state === 'halted';
  }

  handle(): VcpuHandle {
    return { accel: 'e500', id: this.id, ownerThread: this.ownerThread, control: this.control };
  }

  registerList(): readonly RegisterDescriptor[] {
    return this.registers.list;
  }

  getRegisters(ids: readonly RegisterId[]): bigint[] {
    this.live('getRegisters');
    this.vm.flushRoutes();
    return this.registers.get(this.cpu, ids);
  }

  setRegisters(values: Iterable<readonly [RegisterId, bigint]>): void {
    this.live('setRegisters');
    if (this.running) throw new BusyError(`vCPU ${this.id} is running; registers can change only between runs`);
    this.registers.set(this.cpu, values);
  }

  stats(): ExitStats {
    const k = this.cpu.counters;
    // The exits are counted in the API's front. `emulation-failure` here counts the failures
    // turned into program interrupts (the e500 never exits with one).
    return {
      instructions: k.instructions,
      'blocks-translated': k.blocksTranslated,
      'regions-translated': k.regionsTranslated,
      interrupts: k.interrupts,
      'emulation-failure': k.emulationFailures,
      'tlb-miss': k.tlbMisses,
      'idle-loops': k.idleLoops,
      'code-invalidations': this.cpu.code.invalidations,
      'routed-accesses': this.vm.routeTable.accesses,
      'hybrid-reads': this.vm.routeTable.hybridReads,
      'coalesced-writes': this.vm.coalesced.absorbed,
    };
  }

  setInterruptLine(line: InterruptLine, asserted: boolean): void {
    this.live('setInterruptLine');
    switch (line) {
      case 'external':
        this.cpu.irq.setLine(Pending.External, asserted);
        return;
      case 'critical':
        this.cpu.irq.setLine(Pending.CriticalInput, asserted);
        return;
      case 'machine-check':
        throw new UnsupportedError('the e500 accelerator has no machine-check input line');
      default:
        throw new InvalidArgumentError(`unknown interrupt line "${String(line)}"; PowerPC lines: external, critical`);
    }
  }

  enableCap(cap: string, args: readonly number[] = []): void {
    this.live('enableCap');
    if (cap !== 'ppc-epr') {
      throw new UnsupportedError(`vCPU capability "${cap}" is not available on the e500 accelerator (known: ppc-epr)`);
    }
    const on = args[0];
    if (args.length !== 1 || (on !== 0 && on !== 1)) throw new InvalidArgumentError('ppc-epr takes one argument: 1 to enable, 0 to disable');
    this.cpu.irq.eprExitEnabled = on === 1;
  }

  reset(): void {
    this.live('reset');
    if (this.running) throw new BusyError(`vCPU ${this.id} is running; reset it between runs`);
    this.cpu.reset();
  }

  configTlb(config: BookeTlbConfig): void {
    this.live('configTlb');
    if (this.running) throw new BusyError(`vCPU ${this.id} is running; configure its TLB between runs`);
    const want = this.cpu.model.family === 'e500mc' ? MMU_FSL_BOOKE_HV : MMU_FSL_BOOKE_NOHV;
    if (config.mmuType !== MMU_FSL_BOOKE_NOHV && config.mmuType !== MMU_FSL_BOOKE_HV) {
      throw new InvalidArgumentError(`unknown MMU type ${String(config.mmuType)}; expected ${MMU_FSL_BOOKE_NOHV} (FSL_BOOKE_NOHV) or ${MMU_FSL_BOOKE_HV} (FSL_BOOKE_HV)`);
    }
    if (config.mmuType !== want) {
      throw new UnsupportedError(
        `${this.cpu.model.name} has the ${want === MMU_FSL_BOOKE_HV ? 'FSL_BOOKE_HV' : 'FSL_BOOKE_NOHV'} MMU, not MMU type ${config.mmuType}`,
      );
    }
    const geometry = validateTlbParams(config);
    this.cpu.mmu.installTlb(new TlbArray(geometry, config.array));
  }

  /**
   * Nothing to push for either MMU type: the guest's TLB is the shared array itself (every
   * tlbwe, tlbivax, tlbilx writes it), so it is exact whenever the vCPU is not running.
   */
  syncTlb(): void {
    this.live('syncTlb');
    if (this.running) throw new BusyError(`vCPU ${this.id} is running; the TLB array belongs to it until run() returns`);
  }

  dirtyTlb(bitmap: Uint8Array | null, numDirty: number): void {
    this.live('dirtyTlb');
    if (this.running) throw new BusyError(`vCPU ${this.id} is running; the TLB array belongs to it until run() returns`);
    const entries = this.cpu.mmu.tlb.totalEntries;
    if (bitmap !== null && bitmap.length * 8 < entries) {
      throw new InvalidArgumentError(`dirty bitmap has ${bitmap.length * 8} bits for ${entries} TLB entries`);
    }
    if (!Number.isInteger(numDirty) || numDirty < 0) throw new InvalidArgumentError(`numDirty ${String(numDirty)} must be a non-negative integer`);
    // A few changed entries: drop just what was cached from them. Many: drop everything (as
    // cheap, and the bitmap need not be read).
    if (bitmap === null || numDirty > DIRTY_TLB_SCAN_LIMIT) this.cpu.mmu.flushSoftTlb();
    else this.cpu.mmu.flushSoftTlbEntries(bitmap);
  }

  setGuestDebug(debug: GuestDebug | null): void {
    this.live('setGuestDebug');
    if (this.running) throw new BusyError(`vCPU ${this.id} is running; change guest debugging between runs`);
    const hw = debug?.hardware ?? [];
    if (!Array.isArray(hw) || hw.length > HOST_HW_BREAKPOINTS) {
      throw new InvalidArgumentError(`at most ${HOST_HW_BREAKPOINTS} hardware breakpoints and watchpoints (got ${Array.isArray(hw) ? hw.length : 'not a list'})`);
    }
    // Types, kinds and lengths are checked in the API's front (api/checked.ts); what is the e500's is here.
    for (const b of hw) {
      if (b.address > 0xffffffff) throw new InvalidArgumentError(`breakpoint address ${String(b.address)} is not a 32-bit effective address`);
      if (b.kind === 'execute' && (b.address & 3) !== 0) throw new InvalidArgumentError(`instruction breakpoint 0x${b.address.toString(16)} is not word-aligned`);
    }
    const c = this.cpu;
    c.hostSingleStep = debug?.singleStep === true;
    c.hostSwBreakpoints = debug?.softwareBreakpoints === true;
    c.hostBreakpoints = hw.filter((b) => b.kind === 'execute').map((b) => b.address >>> 0);
    c.hostWatchpoints = hw
      .filter((b) => b.kind !== 'execute')
      .map((b) => ({ address: b.address >>> 0, length: b.length, read: b.kind !== 'write', write: b.kind !== 'read' }));
    c.hostResumeAt = -1;
    updateDebugState(c);
  }

  swBreakpointInstruction(): Uint8Array {
    this.live('swBreakpointInstruction');
    const word = new Uint8Array(4);
    new DataView(word.buffer).setUint32(0, SW_BREAKPOINT_INSN);
    return word;
  }

  translate(ea: number, options: TranslateOptions = {}): Translation {
    this.live('translate');
    if (this.running) throw new BusyError(`vCPU ${this.id} is running; translate between runs`);
    if (!Number.isInteger(ea) || ea < 0 || ea > 0xffffffff) throw new InvalidArgumentError(`effective address ${String(ea)} is not a 32-bit address`);
    const c = this.cpu;
    const as = options.as ?? ((c.msr & MSR.DS) !== 0 ? 1 : 0);
    if (as !== 0 && as !== 1) throw new InvalidArgumentError(`address space ${String(as)} must be 0 or 1`);
    const pid = options.pid;
    if (pid !== undefined && (!Number.isInteger(pid) || pid < 0 || pid >= 1 << c.traits.pidBits)) {
      throw new InvalidArgumentError(`PID ${String(pid)} is out of range for ${c.model.name} (${c.traits.pidBits} bits)`);
    }
    const t = c.mmu.tlb;
    const e = pid === undefined ? t.find(ea, as, c.mmu.pid0, c.mmu.pid1, c.mmu.pid2) : t.find(ea, as, pid, -1, -1);
    if (e < 0) return UNMAPPED;
    const size = t.pageBytes(e);
    const mas3 = t.mas3(e);
    const isTlb1 = t.isTlb1(e);
    return {
      kind: 'mapped',
      phys: t.pagePhys(e) + (ea - t.pageEffective(e)),
      pageSize: size,
      booke: {
        tlb: isTlb1 ? 1 : 0,
        index: isTlb1 ? e - t.geometry.tlb0Entries : e,
        sr: (mas3 & 0x01) !== 0,
        ur: (mas3 & 0x02) !== 0,
        sw: (mas3 & 0x04) !== 0,
        uw: (mas3 & 0x08) !== 0,
        sx: (mas3 & 0x10) !== 0,
        ux: (mas3 & 0x20) !== 0,
        wimge: t.mas2(e) & 0x1f,
      },
    };
  }

  transfer(): VcpuTransfer {
    this.live('transfer');
    throw new UnsupportedError('e500 vCPUs share their VM\'s thread (cooperative-vcpus); they cannot move to another thread');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.vm.vcpuClosed(this);
  }
}

const isPow2 = (n: number): boolean => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;

/** Checks `struct kvm_book3e_206_tlb_params` and the array size; returns the geometry. */
function validateTlbParams(config: BookeTlbConfig): { tlb0Entries: number; tlb0Ways: number; tlb1Entries: number } {
  const { params } = config;
  if (params === null || typeof params !== 'object' || params.tlbSizes?.length !== 4 || params.tlbWays?.length !== 4) {
    throw new InvalidArgumentError('TLB params need tlbSizes[4] and tlbWays[4]');
  }
  const [s0, s1, s2, s3] = params.tlbSizes;
  const [w0, w1, w2, w3] = params.tlbWays;
  if ((params.reserved ?? []).some((r) => r !== 0)) throw new InvalidArgumentError('TLB params: reserved words must be zero');
  if (s2 !== 0 || s3 !== 0 || w2 !== 0 || w3 !== 0) throw new InvalidArgumentError('TLB params: e500 cores have two TLBs; TLB2 and TLB3 must be 0');
  if (!isPow2(w0) || w0 < 2 || w0 > 16) throw new InvalidArgumentError(`TLB0 ways ${w0} must be a power of two from 2 to 16`);
  if (!Number.isInteger(s0) || s0 <= 0 || s0 % w0 !== 0) throw new InvalidArgumentError(`TLB0 size ${s0} must be a positive multiple of its ${w0} ways`);
  if (!isPow2(s0 / w0)) throw new InvalidArgumentError(`TLB0 has ${s0 / w0} sets; the number of sets must be a power of two`);
  if (!Number.isInteger(s1) || s1 <= 0 || s1 > 64) throw new InvalidArgumentError(`TLB1 size ${s1} must be from 1 to 64`);
  if (w1 !== s1) throw new InvalidArgumentError(`TLB1 must be fully associative: ways (${w1}) must equal size (${s1})`);
  const need = (s0 + s1) * BOOKE_TLB_ENTRY_BYTES;
  if (!Number.isInteger(config.arrayLength) || config.arrayLength < need || config.array.byteLength < config.arrayLength) {
    throw new InvalidArgumentError(`TLB array of ${config.arrayLength} bytes is too short: ${s0 + s1} entries need ${need} bytes`);
  }
  return { tlb0Entries: s0, tlb0Ways: w0, tlb1Entries: s1 };
}
