/**
 * The API's front: what `Hypervisor.open` returns is this layer over the accelerator's
 * objects, the same for every accelerator. It
 *  - checks every argument of every entry point before the accelerator sees it (validate.ts:
 *    a wrong type or range is an InvalidArgumentError subclass with a stable code, never a
 *    TypeError from deep inside);
 *  - keeps the life cycle: closing a hypervisor closes its VMs, closing a VM closes its vCPUs
 *    and its guest memory, and every call on a closed object is a ClosedError (`kick()`
 *    excepted: kicking what is gone is harmless, as with a signal);
 *  - adds what is the same on every accelerator: exit timing (exit-timing.ts), enabled per
 *    vCPU with `enableCap('exit-timing', [1])`.
 * What depends on the accelerator (a target's name, the TLB geometry a core supports, how
 * many breakpoints) stays the accelerator's to check.
 */
import type { BookeTlbConfig } from './booke.js';
import type { DirtyLogOptions, DirtyLogRange } from './dirty-log.js';
import { ArgumentRangeError, BusyError, ClosedError, InvalidArgumentError, UnsupportedTargetError, VcpuExistsError } from './errors.js';
import type { GsiRoute, IoEvent, IoEventOptions, IrqEvent, IrqEventOptions, MsiMessage } from './events.js';
import { EXIT_KINDS, type Exit, type ExitStats } from './exit.js';
import { ExitTimer, type ExitTimingStats } from './exit-timing.js';
import type {
  AcceleratorHypervisor,
  AcceleratorName,
  AcceleratorVcpu,
  AcceleratorVm,
  Capability,
  GuestArch,
  GuestDebug,
  Hypervisor,
  InterruptLine,
  MpState,
  TranslateOptions,
  Translation,
  Vcpu,
  VcpuHandle,
  VcpuInit,
  VcpuTransfer,
  Vm,
  VmOptions,
} from './hypervisor.js';
import { PAGE_SIZE, type GuestMemory, type MemoryBacking, type MemoryRegion } from './memory.js';
import type { RegisterDescriptor, RegisterId } from './registers.js';
import {
  checkArray,
  checkBigint,
  checkBoolean,
  checkBytes,
  checkChoice,
  checkFixedBuffer,
  checkInteger,
  checkIterable,
  checkObject,
  checkOptionalBoolean,
  checkOptionalObject,
  checkOptionalString,
  checkString,
} from './validate.js';

/** Capabilities this layer provides on every accelerator. */
const FRONT_CAPABILITIES: ReadonlyMap<Capability, number> = new Map<Capability, number>([['exit-timing', 1]]);

const MP_STATES: readonly MpState[] = ['runnable', 'halted', 'stopped'];
const DEBUG_KINDS = ['execute', 'write', 'read', 'access'] as const;
/** The time-base frequencies a PowerPC platform can clock a core with: 1 kHz to 10 GHz, in whole Hz. */
export const TIMEBASE_HZ_MIN = 1_000;
export const TIMEBASE_HZ_MAX = 10_000_000_000;

export class CheckedHypervisor implements Hypervisor {
  readonly accel: AcceleratorName;
  readonly arch: GuestArch;
  private readonly impl: AcceleratorHypervisor;
  private readonly vms = new Set<CheckedVm>();
  private closed = false;
  private caps: ReadonlyMap<Capability, number> | undefined;

  constructor(impl: AcceleratorHypervisor) {
    this.impl = impl;
    this.accel = impl.accel;
    this.arch = impl.arch;
  }

  private live(): void {
    if (this.closed) throw new ClosedError(`the ${this.accel} hypervisor handle is closed`);
  }

  checkExtension(cap: Capability): number {
    this.live();
    checkString('checkExtension: the capability', cap);
    return FRONT_CAPABILITIES.get(cap) ?? this.impl.checkExtension(cap);
  }

  capabilities(): ReadonlyMap<Capability, number> {
    this.live();
    this.caps ??= new Map([...this.impl.capabilities(), ...FRONT_CAPABILITIES]);
    return this.caps;
  }

  targets(): readonly string[] {
    this.live();
    return this.impl.targets();
  }

  createVm(options?: VmOptions): Vm {
    this.live();
    const o = checkOptionalObject('createVm: the options', options);
    checkOptionalString('createVm: options.name', o?.['name']);
    const vm = new CheckedVm(this, this.impl.createVm(options));
    this.vms.add(vm);
    return vm;
  }

  /** A VM of this hypervisor was closed. */
  forget(vm: CheckedVm): void {
    this.vms.delete(vm);
  }

  close(): void {
    if (this.closed) return;
    for (const vm of [...this.vms]) vm.close();
    this.closed = true;
    this.impl.close();
  }
}

export class CheckedVm implements Vm {
  readonly hypervisor: Hypervisor;
  private readonly owner: CheckedHypervisor;
  private readonly impl: AcceleratorVm;
  /** The accelerator's vCPU → the one handed out. */
  private readonly vcpuOf = new Map<AcceleratorVcpu, CheckedVcpu>();
  /** The vCPU whose exit runVcpus returned last: its VMM time ends at the next runVcpus. */
  private lastExited: CheckedVcpu | undefined;
  private closed = false;

  constructor(owner: CheckedHypervisor, impl: AcceleratorVm) {
    this.owner = owner;
    this.hypervisor = owner;
    this.impl = impl;
  }

  private live(): void {
    if (this.closed) throw new ClosedError('the VM is closed (and its vCPUs and memory with it)');
  }

  /** Guest-physical access through the map in force; a ClosedError after close. */
  get memory(): GuestMemory {
    this.live();
    return this.impl.memory;
  }

  createMemory(size: number, options?: { readonly name?: string }): MemoryBacking {
    this.live();
    checkInteger('createMemory: the size', size, PAGE_SIZE);
    if (size % PAGE_SIZE !== 0) throw new InvalidArgumentError(`createMemory: the size ${size} must be a multiple of the ${PAGE_SIZE}-byte page`);
    const o = checkOptionalObject('createMemory: the options', options);
    checkOptionalString('createMemory: options.name', o?.['name']);
    return this.impl.createMemory(size, options);
  }

  setMemoryMap(regions: readonly MemoryRegion[]): void {
    this.live();
    // Each region's fields are checked by validateMemoryMap (memory-map.ts), in the accelerator.
    checkArray('setMemoryMap: the regions', regions);
    this.impl.setMemoryMap(regions);
  }

  memoryMap(): readonly MemoryRegion[] {
    this.live();
    return this.impl.memoryMap();
  }

  /**
   * The init handshake's checks every accelerator shares: the id below `max-vcpus` and not
   * taken, a target the accelerator lists (`targets()`); features and what else a target
   * needs are the accelerator's.
   */
  createVcpu(id: number, init: VcpuInit): Vcpu {
    this.live();
    checkInteger('createVcpu: the vCPU id', id, 0, this.owner.checkExtension('max-vcpus') - 1);
    const i = checkObject('createVcpu: the init', init);
    const target = checkString('createVcpu: init.target', i['target']);
    const targets = this.owner.targets();
    if (!targets.includes(target)) {
      throw new UnsupportedTargetError(`the ${this.owner.accel} accelerator has no CPU model ${JSON.stringify(target)}; available: ${targets.join(', ')}`);
    }
    if (this.impl.vcpus().some((v) => v.id === id)) throw new VcpuExistsError(`vCPU ${id} already exists in this VM`);
    if (i['features'] !== undefined) checkArray('createVcpu: init.features', i['features']).forEach((f, k) => checkString(`createVcpu: init.features[${k}]`, f));
    if (i['timebaseHz'] !== undefined) {
      checkInteger('createVcpu: init.timebaseHz', i['timebaseHz'], TIMEBASE_HZ_MIN, TIMEBASE_HZ_MAX);
    }
    const v = new CheckedVcpu(this.impl.createVcpu(id, init), this);
    this.vcpuOf.set(v.accelerator, v);
    return v;
  }

  vcpus(): readonly Vcpu[] {
    this.live();
    return this.impl.vcpus().map((v) => this.vcpuOf.get(v) ?? new CheckedVcpu(v, this));
  }

  /** A vCPU of this VM was closed or transferred. */
  forget(v: CheckedVcpu): void {
    this.vcpuOf.delete(v.accelerator);
    if (this.lastExited === v) this.lastExited = undefined;
  }

  enableCap(cap: string, args?: readonly number[]): void {
    this.live();
    checkCapArgs('enableCap', cap, args);
    this.impl.enableCap(cap, args);
  }

  ioEvent(options: IoEventOptions): IoEvent {
    this.live();
    const o = checkObject('ioEvent: the options', options);
    checkInteger('ioEvent: options.addr', o['addr'], 0);
    checkInteger('ioEvent: options.size', o['size'], 0, 8);
    checkChoice('ioEvent: options.space', o['space'], ['pio', 'mmio'] as const);
    if (o['datamatch'] !== undefined) checkBigint('ioEvent: options.datamatch', o['datamatch']);
    return this.impl.ioEvent(options);
  }

  irqEvent(options: IrqEventOptions): IrqEvent {
    this.live();
    const o = checkObject('irqEvent: the options', options);
    checkInteger('irqEvent: options.gsi', o['gsi'], 0);
    checkOptionalBoolean('irqEvent: options.resample', o['resample']);
    return this.impl.irqEvent(options);
  }

  signalMsi(msi: MsiMessage): boolean {
    this.live();
    checkMsi('signalMsi: the message', msi);
    return this.impl.signalMsi(msi);
  }

  setGsiRouting(routes: readonly GsiRoute[]): void {
    this.live();
    checkArray('setGsiRouting: the routes', routes).forEach((r, i) => {
      const o = checkObject(`setGsiRouting: route ${i}`, r);
      checkInteger(`setGsiRouting: route ${i}.gsi`, o['gsi'], 0);
      const kind = checkChoice(`setGsiRouting: route ${i}.kind`, o['kind'], ['msi', 'irqchip'] as const);
      if (kind === 'msi') checkMsi(`setGsiRouting: route ${i}`, o);
      else {
        checkInteger(`setGsiRouting: route ${i}.irqchip`, o['irqchip'], 0);
        checkInteger(`setGsiRouting: route ${i}.pin`, o['pin'], 0);
      }
    });
    this.impl.setGsiRouting(routes);
  }

  getDirtyLog(range: DirtyLogRange, options?: DirtyLogOptions): number[] {
    this.live();
    // The range and options are checked by the shared dirty log (dirty-log.ts) itself.
    return this.impl.getDirtyLog(range, options);
  }

  runVcpus(): { readonly vcpu: Vcpu; readonly exit: Exit } {
    this.live();
    this.lastExited?.enteringRun();
    const r = this.impl.runVcpus();
    let v = this.vcpuOf.get(r.vcpu);
    if (v === undefined) {
      v = new CheckedVcpu(r.vcpu, this);
      this.vcpuOf.set(r.vcpu, v);
    }
    this.lastExited = v;
    v.exited(r.exit);
    return { vcpu: v, exit: r.exit };
  }

  close(): void {
    if (this.closed) return;
    for (const v of [...this.vcpuOf.values()]) v.vmClosed();
    this.closed = true;
    this.owner.forget(this);
    this.impl.close();
  }
}

function checkCapArgs(call: string, cap: unknown, args: unknown): void {
  checkString(`${call}: the capability`, cap);
  if (args !== undefined) checkArray(`${call}: the arguments`, args).forEach((a, i) => checkInteger(`${call}: argument ${i}`, a));
}

function checkMsi(what: string, msi: unknown): void {
  const o = checkObject(what, msi);
  checkBigint(`${what}.address`, o['address']);
  checkInteger(`${what}.data`, o['data'], 0, 0xffffffff);
}

function checkRegisterIds(call: string, ids: unknown): readonly RegisterId[] {
  return checkArray(`${call}: the register ids`, ids).map((id, i) => checkBigint(`${call}: register id ${i}`, id) as RegisterId);
}

export class CheckedVcpu implements Vcpu {
  readonly id: number;
  readonly target: string;
  /** The accelerator's vCPU behind this one. */
  readonly accelerator: AcceleratorVcpu;
  private readonly vm: CheckedVm | null;
  private closed = false;
  private closedWhy = '';
  /** Exit timing (enableCap('exit-timing', [1])); null while off, so run() reads no clock. */
  private timer: ExitTimer | null = null;
  /** Inside run(): a second run() from an exit handler is refused. */
  private running = false;
  /** Exits by kind, for every accelerator alike (stats()). */
  private readonly exitCounts: Record<string, number> = Object.fromEntries(EXIT_KINDS.map((k) => [k, 0]));

  constructor(impl: AcceleratorVcpu, vm: CheckedVm | null) {
    this.accelerator = impl;
    this.vm = vm;
    this.id = impl.id;
    this.target = impl.target;
  }

  private live(): void {
    if (this.closed) throw new ClosedError(`vCPU ${this.id} is closed${this.closedWhy}`);
  }

  run(): Exit {
    if (this.closed) this.live();
    if (this.running) throw new BusyError(`vCPU ${this.id} is already running (re-entrant run() from an exit handler?)`);
    this.timer?.enter();
    this.running = true;
    let exit: Exit;
    try {
      exit = this.accelerator.run();
    } finally {
      this.running = false;
    }
    this.exited(exit);
    return exit;
  }

  /** runVcpus: this vCPU may run again (the VMM's time for its last exit ends). */
  enteringRun(): void {
    this.timer?.enter();
  }

  /** An exit of this vCPU goes to the VMM (run, or runVcpus). */
  exited(exit: Exit): void {
    this.exitCounts[exit.kind] = (this.exitCounts[exit.kind] ?? 0) + 1;
    this.timer?.exit(exit.kind);
  }

  kick(): void {
    if (!this.closed) this.accelerator.kick();
  }

  handle(): VcpuHandle {
    this.live();
    return this.accelerator.handle();
  }

  registerList(): readonly RegisterDescriptor[] {
    this.live();
    return this.accelerator.registerList();
  }

  getRegisters(ids: readonly RegisterId[]): bigint[] {
    this.live();
    return this.accelerator.getRegisters(checkRegisterIds('getRegisters', ids));
  }

  setRegisters(values: Iterable<readonly [RegisterId, bigint]>): void {
    this.live();
    const pairs: (readonly [RegisterId, bigint])[] = [];
    let i = 0;
    for (const pair of checkIterable('setRegisters: the values', values)) {
      const p = checkArray(`setRegisters: entry ${i}`, pair);
      pairs.push([checkBigint(`setRegisters: entry ${i}'s register id`, p[0]) as RegisterId, checkBigint(`setRegisters: entry ${i}'s value`, p[1])]);
      i++;
    }
    this.accelerator.setRegisters(pairs);
  }

  getRegister(id: RegisterId): bigint {
    this.live();
    const [value] = this.accelerator.getRegisters([checkBigint('getRegister: the register id', id) as RegisterId]);
    if (value === undefined) throw new InvalidArgumentError(`getRegister: vCPU ${this.id} returned no value`);
    return value;
  }

  setRegister(id: RegisterId, value: bigint): void {
    this.live();
    this.accelerator.setRegisters([[checkBigint('setRegister: the register id', id) as RegisterId, checkBigint('setRegister: the value', value)]]);
  }

  /** The exits counted here, then the accelerator's events (which name their own counters). */
  stats(): ExitStats {
    this.live();
    return { ...this.exitCounts, ...this.accelerator.stats() };
  }

  exitTiming(): ExitTimingStats | null {
    this.live();
    return this.timer?.stats() ?? null;
  }

  setInterruptLine(line: InterruptLine, asserted: boolean): void {
    this.live();
    checkString('setInterruptLine: the line', line);
    checkBoolean('setInterruptLine: asserted', asserted);
    this.accelerator.setInterruptLine(line, asserted);
  }

  getMpState(): MpState {
    this.live();
    return this.accelerator.getMpState();
  }

  setMpState(state: MpState): void {
    this.live();
    this.accelerator.setMpState(checkChoice('setMpState: the state', state, MP_STATES));
  }

  enableCap(cap: string, args?: readonly number[]): void {
    this.live();
    checkCapArgs('enableCap', cap, args);
    if (cap === 'exit-timing') {
      const on = args?.[0];
      if (args?.length !== 1 || (on !== 0 && on !== 1)) throw new ArgumentRangeError('exit-timing takes one argument: 1 to start (from zero), 0 to stop');
      this.timer = on === 1 ? new ExitTimer() : null;
      return;
    }
    this.accelerator.enableCap(cap, args);
  }

  reset(): void {
    this.live();
    this.accelerator.reset();
  }

  configTlb(config: BookeTlbConfig): void {
    this.live();
    const c = checkObject('configTlb: the config', config);
    checkInteger('configTlb: config.mmuType', c['mmuType'], 0);
    const params = checkObject('configTlb: config.params', c['params']);
    for (const field of ['tlbSizes', 'tlbWays'] as const) {
      const a = checkArray(`configTlb: config.params.${field}`, params[field]);
      if (a.length !== 4) throw new InvalidArgumentError(`configTlb: config.params.${field} must have 4 entries (TLB0..TLB3), not ${a.length}`);
      a.forEach((n, i) => checkInteger(`configTlb: config.params.${field}[${i}]`, n, 0, 0xffffffff));
    }
    if (params['reserved'] !== undefined) checkArray('configTlb: config.params.reserved', params['reserved']).forEach((n, i) => checkInteger(`configTlb: config.params.reserved[${i}]`, n));
    const array = checkFixedBuffer('configTlb: config.array', c['array']);
    checkInteger('configTlb: config.arrayLength', c['arrayLength'], 0, array.byteLength);
    this.accelerator.configTlb(config);
  }

  syncTlb(): void {
    this.live();
    this.accelerator.syncTlb();
  }

  dirtyTlb(bitmap: Uint8Array | null, numDirty: number): void {
    this.live();
    if (bitmap !== null) checkBytes('dirtyTlb: the bitmap', bitmap);
    checkInteger('dirtyTlb: numDirty', numDirty, 0);
    this.accelerator.dirtyTlb(bitmap, numDirty);
  }

  translate(ea: number, options?: TranslateOptions): Translation {
    this.live();
    checkInteger('translate: the effective address', ea, 0);
    const o = checkOptionalObject('translate: the options', options);
    if (o?.['as'] !== undefined) checkInteger('translate: options.as', o['as'], 0, 1);
    if (o?.['pid'] !== undefined) checkInteger('translate: options.pid', o['pid'], 0);
    return this.accelerator.translate(ea, options);
  }

  setGuestDebug(debug: GuestDebug | null): void {
    this.live();
    if (debug !== null) {
      const d = checkObject('setGuestDebug: the settings (or null)', debug);
      checkOptionalBoolean('setGuestDebug: singleStep', d['singleStep']);
      checkOptionalBoolean('setGuestDebug: softwareBreakpoints', d['softwareBreakpoints']);
      if (d['hardware'] !== undefined) {
        checkArray('setGuestDebug: hardware', d['hardware']).forEach((b, i) => {
          const o = checkObject(`setGuestDebug: hardware[${i}]`, b);
          checkInteger(`setGuestDebug: hardware[${i}].address`, o['address'], 0);
          checkChoice(`setGuestDebug: hardware[${i}].kind`, o['kind'], DEBUG_KINDS);
          const length = checkInteger(`setGuestDebug: hardware[${i}].length`, o['length'], 1, 8);
          if (![1, 2, 4, 8].includes(length)) throw new ArgumentRangeError(`setGuestDebug: hardware[${i}].length ${length} must be 1, 2, 4 or 8`);
        });
      }
    }
    this.accelerator.setGuestDebug(debug);
  }

  swBreakpointInstruction(): Uint8Array {
    this.live();
    return this.accelerator.swBreakpointInstruction();
  }

  transfer(): VcpuTransfer {
    this.live();
    const t = this.accelerator.transfer();
    this.closed = true;
    this.closedWhy = ' here: it was transferred to another thread';
    this.vm?.forget(this);
    return t;
  }

  /** The VM was closed: so is this vCPU. */
  vmClosed(): void {
    this.close();
    this.closedWhy = ' (its VM was closed)';
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.vm?.forget(this);
    this.accelerator.close();
  }
}

/** Refuses what is not a vCPU transfer before an accelerator looks at it. */
export function checkTransfer(transfer: unknown): VcpuTransfer {
  const t = checkObject('adoptVcpu: the transfer', transfer);
  checkString('adoptVcpu: transfer.accel', t['accel']);
  return transfer as VcpuTransfer;
}

/** Refuses what is not a vCPU handle before a kicker looks at it. */
export function checkHandle(handle: unknown): VcpuHandle {
  const h = checkObject('attachVcpu: the handle', handle);
  checkString('attachVcpu: handle.accel', h['accel']);
  checkInteger('attachVcpu: handle.id', h['id'], 0);
  checkInteger('attachVcpu: handle.ownerThread', h['ownerThread'], 0);
  return handle as VcpuHandle;
}
