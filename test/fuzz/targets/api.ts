/**
 * api: the input is a program of calls into the hypervisor API (src/api), one after another
 * on every accelerator that can be opened here (those that cannot, e.g. kvm without
 * /dev/kvm, are listed by `accelerators()` and skipped). Each call's arguments are mostly
 * plausible (a page-multiple size, a backing of this VM, a register of this vCPU) and
 * sometimes anything at all: the wrong type, out of range, huge, NaN, a sparse array of
 * length 2^32 - 1, an object with no prototype, a resizable ArrayBuffer.
 *
 * The calls cover the life cycle in any order (open, createVm, createMemory, setMemoryMap,
 * createVcpu, registers, configTlb, translate, getDirtyLog, enableCap, run and runVcpus on a
 * tiny guest program, close of vCPU, VM and hypervisor, calls after close), transfers, and
 * another thread (api-thread.ts) that attaches to the vCPUs' handles and tries what a
 * thread that does not own a vCPU may not do.
 *
 * What must hold:
 *   - the only errors that escape a call are the API's typed ones (HypervisorError and its
 *     subclasses); a plain TypeError or RangeError is a finding (it escapes `run`);
 *   - nothing hangs: guest code runs single-stepped, after a kick, or as the freshly loaded
 *     program (which exits at once); a run on a guest the input changed at random is ended by
 *     a kick from the other thread (this part of a replay depends on timing);
 *   - the state stays consistent: every call on a closed hypervisor, VM or vCPU (closed
 *     directly or with its parent, or transferred) is a ClosedError (kick() is harmless);
 *     `vm.vcpus()` lists exactly the open vCPUs and runVcpus() runs only those; a refused
 *     setMemoryMap leaves the map in force; getDirtyLog's pages are ascending page numbers
 *     inside the range, at most maxPages; a value written to a GPR reads back; the exits
 *     counted by stats() are those run() returned; a handle's run() from any thread is a
 *     WrongThreadError.
 */
import { Worker } from 'node:worker_threads';
import { BOOKE_TLB_ENTRY_BYTES, MMU_FSL_BOOKE_HV, MMU_FSL_BOOKE_NOHV, writeTlbEntry } from '../../../src/api/booke.js';
import {
  AcceleratorUnavailableError,
  ClosedError,
  EXIT_KINDS,
  Hypervisor,
  HypervisorError,
  WrongThreadError,
  accelerators,
  attachVcpu,
  planAccelerator,
  x86Gpr,
  x86Segment,
  type AcceleratorName,
  type Exit,
  type GuestArch,
  type GuestPhysAddr,
  type MemoryBacking,
  type RegisterId,
  type Vcpu,
  type Vm,
} from '../../../src/api/index.js';
import type { Prng } from '../../support/prng.js';
import { asm, words } from '../../support/ppc-asm.js';
import { FuzzFinding, expect, type FuzzTarget } from '../target.js';
import type { Outcome, ThreadReply, ThreadRequest } from './api-thread.js';

// ------------------------------------------------------------------ the accelerators here

/** NGKVM_FUZZ_TRACE=1 prints each call and how it ended as a replay runs (to read a saved case). */
const TRACE = process.env['NGKVM_FUZZ_TRACE'] === '1';

interface Available {
  readonly name: AcceleratorName;
  readonly arch: GuestArch;
  /** CPU model → family (`Hypervisor.targets`). */
  readonly families: ReadonlyMap<string, string>;
}

/** The accelerators `accelerators()` lists that open here; the others are skipped (and named in the description). */
const AVAILABLE: Available[] = [];
const SKIPPED: string[] = [];
for (const info of accelerators()) {
  try {
    (await Hypervisor.open({ accel: info.name })).close();
  } catch (err) {
    if (!(err instanceof AcceleratorUnavailableError)) throw err;
    SKIPPED.push(info.name);
    continue;
  }
  const families = new Map((await Hypervisor.targets(info.name)).map((t) => [t.name, t.family] as const));
  AVAILABLE.push({ name: info.name, arch: info.arch, families });
}

// ------------------------------------------------------------------ the other thread

let thread: Worker | undefined;
let seq = 0;
const waiting = new Map<number, (r: ThreadReply) => void>();

function otherThread(): Worker {
  if (thread === undefined) {
    const w = new Worker(new URL('./api-thread.js', import.meta.url));
    w.on('message', (r: ThreadReply) => {
      const resolve = waiting.get(r.seq);
      waiting.delete(r.seq);
      resolve?.(r);
      if (waiting.size === 0) w.unref();
    });
    w.on('error', (err) => {
      // The thread only reports outcomes; its dying is the harness's business, not a finding.
      thread = undefined;
      for (const resolve of waiting.values()) resolve({ seq: -1, type: 'adopt', adopt: { name: 'Error', typed: false, message: String(err) } });
      waiting.clear();
    });
    w.unref();
    thread = w;
  }
  return thread;
}

/** Posts a request; resolves with the reply (the worker keeps the process alive while one is due). */
function ask(m: ThreadRequest): Promise<ThreadReply> {
  const w = otherThread();
  w.ref();
  return new Promise((resolve) => {
    waiting.set(m.seq, resolve);
    w.postMessage(m);
  });
}

/** What postMessage can carry: junk that cannot be cloned becomes null. */
function cloneable(value: unknown): unknown {
  try {
    structuredClone(value);
    return value;
  } catch {
    return null;
  }
}

// ------------------------------------------------------------------ reading the input

class Program {
  private i = 0;
  constructor(private readonly bytes: Uint8Array) {}
  get done(): boolean {
    return this.i >= this.bytes.length;
  }
  u8(): number {
    return this.bytes[this.i++] ?? 0;
  }
  u16(): number {
    return this.u8() | (this.u8() << 8);
  }
  u32(): number {
    return (this.u16() | (this.u16() << 16)) >>> 0;
  }
  below(n: number): number {
    return n <= 256 ? this.u8() % n : this.u32() % n;
  }
  /** True for k of 256 byte values. */
  odds(k: number): boolean {
    return this.u8() < k;
  }
  pick<T>(items: readonly T[]): T | undefined {
    return items.length === 0 ? undefined : items[this.below(items.length)];
  }
}

/** A resizable ArrayBuffer (ES2024; TypeScript's ES2023 lib does not know the option). */
function resizable(bytes: number): ArrayBuffer {
  const Ctor = ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer;
  return new Ctor(bytes, { maxByteLength: bytes * 2 });
}

/**
 * Values of every wrong kind. Sizes that would really allocate gigabytes are left out (the
 * machine is shared): the huge ones fail to allocate at once or are refused before.
 */
const WEIRD: readonly (() => unknown)[] = [
  () => undefined,
  () => null,
  () => true,
  () => false,
  () => 0,
  () => -0,
  () => 1,
  () => -1,
  () => 0.5,
  () => 4096.5,
  () => NaN,
  () => Infinity,
  () => -Infinity,
  () => 2 ** 31 - 1,
  () => 2 ** 36,
  () => 2 ** 50,
  () => 2 ** 53,
  () => 2 ** 53 - 4096,
  () => 2 ** 64,
  () => -(2 ** 53),
  () => Number.MAX_VALUE,
  () => '',
  () => '0',
  () => '4096',
  () => 'e500mc',
  () => 'x'.repeat(10_000),
  () => 0n,
  () => 1n,
  () => -1n,
  () => 2n ** 64n,
  () => 2n ** 128n + 1n,
  () => Symbol('fuzz'),
  () => () => 0,
  () => ({}),
  () => [],
  () => [null],
  () => [1, 2, 3, 4],
  () => Object.create(null) as unknown,
  () => new Array(2 ** 32 - 1),
  () => new Uint8Array(8),
  () => new ArrayBuffer(24),
  () => new SharedArrayBuffer(24),
  () => resizable(24),
  () => new Date(0),
  () => new Map(),
  () => Object.freeze({ addr: 0, size: 4096 }),
  fickle,
];

/**
 * An object whose fields change between reads: the first read of each gives a plausible
 * value, later ones something else. The API must use what it checked (or check again), and
 * keep no state built from a value it did not check.
 */
function fickle(): unknown {
  const first: Record<string, unknown> = {
    accel: 'e500', name: 'x', target: 'e500mc', features: [], timebaseHz: 400_000_000, guestAddr: 0, size: PAGE, offset: 0, addr: 0,
    maxPages: 1, clear: false, readOnly: false, logDirty: true, mmuType: 1, arrayLength: 24, as: 0, pid: 0, singleStep: false,
    softwareBreakpoints: false, hardware: [], gsi: 0, space: 'mmio', data: 0, address: 0n, kind: 'msi', resample: false,
  };
  const later = [null, -1, 2 ** 60, 'x', [], {}, 7n, NaN];
  const reads = new Map<string, number>();
  const target: Record<string, unknown> = {};
  for (const key of Object.keys(first)) {
    Object.defineProperty(target, key, {
      enumerable: true,
      get: () => {
        const n = reads.get(key) ?? 0;
        reads.set(key, n + 1);
        return n === 0 ? first[key] : later[(n - 1) % later.length];
      },
    });
  }
  return target;
}

function weird(p: Program): unknown {
  return WEIRD[p.below(WEIRD.length)]!();
}

/** `plausible` most of the time, otherwise a value of any wrong kind. */
function arg<T>(p: Program, plausible: () => T): T | unknown {
  return p.odds(224) ? plausible() : weird(p);
}

const PAGE = 4096;
const pageMultiple = (p: Program, max: number): number => PAGE * (1 + p.below(max));
const address = (p: Program): number => {
  switch (p.below(8)) {
    case 0:
      return p.u32();
    case 1:
      return 0xfffff000;
    case 2:
      return 2 ** 36 - PAGE;
    case 3:
      return p.below(0x1000) * PAGE + p.below(4) * 0x0100_0000;
    default:
      return p.below(64) * PAGE;
  }
};

// ------------------------------------------------------------------ the model

interface HvState {
  readonly accel: Available;
  readonly hv: Hypervisor;
  closed: boolean;
  readonly vms: VmState[];
}

interface VmState {
  readonly hv: HvState;
  readonly vm: Vm;
  closed: boolean;
  readonly backings: MemoryBacking[];
  readonly vcpus: VcpuState[];
  /** The map in force as the model knows it (after each successful setMemoryMap). */
  map: string;
}

interface VcpuState {
  readonly vm: VmState;
  readonly vcpu: Vcpu;
  closed: boolean;
  /** The program the `load` call put there runs unchanged: a free run exits at once. */
  pristine: boolean;
  /** Exits returned to the model, by kind. */
  readonly exits: Map<string, number>;
}

interface Model {
  readonly hvs: HvState[];
}

const allVms = (m: Model): VmState[] => m.hvs.flatMap((h) => h.vms);
const allVcpus = (m: Model): VcpuState[] => allVms(m).flatMap((v) => v.vcpus);

function closeVm(v: VmState): void {
  v.closed = true;
  for (const c of v.vcpus) c.closed = true;
}

function describeMap(vm: Vm): string {
  return JSON.stringify(vm.memoryMap().map((r) => [r.guestAddr, r.size, r.backing.id, r.offset, r.readOnly === true, r.logDirty === true]));
}

/** Outcome of one API call: the value, or the typed error it threw; anything else escapes. */
type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: HypervisorError };

function call<T>(f: () => T): Result<T> {
  try {
    const value = f();
    if (TRACE) process.stderr.write(`  ${f.toString().slice(0, 100)}: ok\n`);
    return { ok: true, value };
  } catch (err) {
    if (TRACE) process.stderr.write(`  ${f.toString().slice(0, 100)}: ${String(err)}\n`);
    if (err instanceof HypervisorError) return { ok: false, error: err };
    throw err;
  }
}

async function callAsync<T>(f: () => Promise<T>): Promise<Result<T>> {
  try {
    return { ok: true, value: await f() };
  } catch (err) {
    if (err instanceof HypervisorError) return { ok: false, error: err };
    throw err;
  }
}

/** A call on a closed object must be a ClosedError (whatever its arguments). */
function closedCall(what: string, f: () => unknown): void {
  const r = call(f);
  expect(!r.ok && r.error instanceof ClosedError, () => `${what} on a closed object: ${r.ok ? 'succeeded' : `${r.error.name}: ${r.error.message}`}`);
}

function typedOutcome(what: string, o: Outcome | undefined): void {
  if (o === undefined || o === 'ok') return;
  if (!o.typed) throw new FuzzFinding(`${what} threw ${o.name}: ${o.message}`);
}

// ------------------------------------------------------------------ the guest program

const STOP = 0x0300_0000;
const RAM = 0x10_0000;
const CODE = 0x1000;

/**
 * Maps 1 MiB of RAM at 0 and puts a program there that exits at once and on every run after
 * (an MMIO store or load outside RAM, repeated), with the vCPU's registers (and, on Book E,
 * an identity TLB1 entry over the first 64 MiB) set to run it. Every step is an API call
 * that may be refused (typed) by the state the input left; then the vCPU is not pristine.
 */
function load(p: Program, v: VcpuState): void {
  const { vm, vcpu } = v;
  const ram = call(() => vm.vm.createMemory(RAM, { name: 'ram' }));
  if (!ram.ok) return;
  vm.backings.push(ram.value);
  const mapped = call(() => vm.vm.setMemoryMap([{ guestAddr: 0 as GuestPhysAddr, size: RAM, backing: ram.value, offset: 0, logDirty: p.odds(128) }]));
  if (!mapped.ok) return;
  vm.map = describeMap(vm.vm);
  const variant = p.below(3);
  let ok: boolean;
  if (vm.hv.accel.arch === 'ppc') {
    const body = [
      [asm.li(3, p.u16() & 0x7fff), asm.lis(2, STOP >>> 16), asm.stw(3, 2, 0), asm.b(-4)],
      [asm.lis(2, STOP >>> 16), asm.lwz(3, 2, 0), asm.b(-4)],
      [asm.li(3, 1), asm.add(3, 3, 3), asm.add(3, 3, 3), asm.lis(2, STOP >>> 16), asm.stb(3, 2, 4), asm.b(-4)],
    ][variant]!;
    const hv = vm.hv.accel.families.get(vcpu.target) === 'e500mc';
    const n0 = 512;
    const n1 = hv ? 64 : 16;
    const array = new ArrayBuffer((n0 + n1) * BOOKE_TLB_ENTRY_BYTES);
    ok =
      call(() => vm.vm.memory.write(CODE as GuestPhysAddr, words(...body))).ok &&
      call(() =>
        vcpu.configTlb({ mmuType: hv ? MMU_FSL_BOOKE_HV : MMU_FSL_BOOKE_NOHV, params: { tlbSizes: [n0, n1, 0, 0], tlbWays: [4, n1, 0, 0] }, array, arrayLength: array.byteLength }),
      ).ok &&
      // configTlb empties the TLB: the entry goes in afterwards (TLB1[0]: EA 0 → PA 0, 64 MiB, all permissions).
      call(() => {
        writeTlbEntry(new DataView(array), n0, { mas8: 0, mas1: 0x80000800, mas2: 0, mas7_3: 0x3fn });
        vcpu.dirtyTlb(null, 1);
      }).ok &&
      call(() => vcpu.setMpState('runnable')).ok &&
      call(() => {
        const ids = new Map(vcpu.registerList().map((r) => [r.name, r.id]));
        vcpu.setRegisters([
          [ids.get('pc')!, BigInt(CODE)],
          [ids.get('msr')!, 0n],
        ]);
      }).ok;
  } else {
    // 16-bit real mode at CODE: out to port 0x3f8 (or in from it), repeated.
    const body = [
      [0xba, 0xf8, 0x03, 0xee, 0xeb, 0xfd],
      [0xba, 0xf8, 0x03, 0xec, 0xeb, 0xfd],
      [0xb0, 0x41, 0xba, 0xf8, 0x03, 0xee, 0xeb, 0xfd],
    ][variant]!;
    ok =
      call(() => vm.vm.memory.write(CODE as GuestPhysAddr, Uint8Array.from(body))).ok &&
      call(() => vcpu.setMpState('runnable')).ok &&
      call(() =>
        vcpu.setRegisters([
          [x86Segment('cs', 'selector'), 0n],
          [x86Segment('cs', 'base'), 0n],
          [x86Segment('cs', 'limit'), 0xffffn],
          [x86Segment('cs', 'attributes'), 0x9bn],
          [x86Gpr('rip'), BigInt(CODE)],
          [x86Gpr('rflags'), 2n],
        ]),
      ).ok;
  }
  for (const o of vm.vcpus) o.pristine = false;
  v.pristine = ok && call(() => vcpu.setGuestDebug(null)).ok;
}

/** An exit of `v` reached the model. */
function exited(v: VcpuState, exit: Exit): void {
  expect((EXIT_KINDS as readonly string[]).includes(exit.kind), () => `run() returned an exit of unknown kind ${JSON.stringify(exit.kind)}`);
  v.exits.set(exit.kind, (v.exits.get(exit.kind) ?? 0) + 1);
}

/**
 * run(), bounded: the pristine program runs free (and must exit at once: the other thread's
 * kick after 2 s means it did not); otherwise single-stepped or kicked first, or (rarely) run
 * free until the other thread kicks it after a few milliseconds.
 */
async function run(p: Program, v: VcpuState): Promise<void> {
  const { vcpu } = v;
  const h = call(() => vcpu.handle());
  if (!h.ok) {
    const r = call(() => vcpu.run());
    expect(!r.ok, () => `run() succeeded where handle() was refused (${h.error.name})`);
    return;
  }
  const mode = v.pristine ? 'pristine' : p.odds(16) ? 'free' : p.odds(128) ? 'step' : 'kick';
  if (mode === 'step' && !call(() => vcpu.setGuestDebug({ singleStep: true })).ok) vcpu.kick();
  if (mode === 'kick') vcpu.kick();
  const id = ++seq;
  const reply = ask({ type: 'arm', seq: id, handle: h.value, ms: mode === 'free' ? 2 : 2000 });
  void reply;
  let r: Result<Exit>;
  try {
    r = call(() => vcpu.run());
  } finally {
    const d = await ask({ type: 'disarm', seq: id });
    if (d.type === 'disarmed') {
      typedOutcome('attachVcpu(vcpu.handle()) on another thread', d.attach);
      expect(!(mode === 'pristine' && d.kicked), () => 'the freshly loaded program did not exit within 2 s');
    }
  }
  if (mode !== 'pristine') for (const o of v.vm.vcpus) o.pristine = false;
  if (r.ok) exited(v, r.value);
}

// ------------------------------------------------------------------ the calls

type Op = (p: Program, m: Model) => void | Promise<void>;

const pickHv = (p: Program, m: Model): HvState | undefined => m.hvs[p.below(Math.max(1, m.hvs.length))];
const pickVm = (p: Program, m: Model): VmState | undefined => p.pick(allVms(m));
const pickVcpu = (p: Program, m: Model): VcpuState | undefined => p.pick(allVcpus(m));

function registerId(p: Program, v: VcpuState): unknown {
  return arg(p, () => {
    if (p.odds(32)) return BigInt(p.u32()) << 32n | BigInt(p.u32());
    const list = call(() => v.vcpu.registerList());
    return list.ok ? (p.pick(list.value)?.id ?? 0n) : 0n;
  });
}

function registerValue(p: Program): unknown {
  return arg(p, () => (p.odds(64) ? BigInt(p.u8()) : (BigInt(p.u32()) << 32n) | BigInt(p.u32())));
}

const OPS: readonly Op[] = [
  // Hypervisor.open
  async (p, m) => {
    const accel = p.pick(AVAILABLE);
    const options = accel !== undefined && p.odds(224) ? { accel: accel.name } : arg(p, () => ({ accel: p.pick(accelerators())?.name ?? 'e500' }));
    const r = await callAsync(() => Hypervisor.open(options as never));
    if (!r.ok) return;
    const info = AVAILABLE.find((a) => a.name === r.value.accel);
    expect(info !== undefined, () => `Hypervisor.open gave a ${r.value.accel} hypervisor, which did not open when probed`);
    m.hvs.push({ accel: info, hv: r.value, closed: false, vms: [] });
  },
  // createVm
  (p, m) => {
    const h = pickHv(p, m);
    if (h === undefined) return;
    const options = p.odds(64) ? undefined : arg(p, () => (p.odds(128) ? { name: `vm${p.u8()}` } : {}));
    const r = call(() => h.hv.createVm(options as never));
    expect(!h.closed || (!r.ok && r.error instanceof ClosedError), () => `createVm on a closed hypervisor: ${r.ok ? 'succeeded' : r.error.name}`);
    if (r.ok) h.vms.push({ hv: h, vm: r.value, closed: false, backings: [], vcpus: [], map: '[]' });
  },
  // hypervisor queries and close
  (p, m) => {
    const h = pickHv(p, m);
    if (h === undefined) return;
    switch (p.below(4)) {
      case 0:
        call(() => h.hv.checkExtension(arg(p, () => p.pick(['one-reg', 'max-vcpus', 'sw-tlb', 'dirty-log', 'nonsense'])) as never));
        return;
      case 1:
        call(() => h.hv.capabilities());
        return;
      case 2:
        call(() => h.hv.targets());
        return;
      default:
        h.hv.close();
        h.closed = true;
        for (const v of h.vms) closeVm(v);
    }
  },
  // createMemory
  (p, m) => {
    const v = pickVm(p, m);
    if (v === undefined) return;
    // Not above 16 MiB: what is allocated stays until the input ends (the worker's memory is capped).
    const size = arg(p, () => (p.odds(16) ? p.u32() % 0x100_0000 : pageMultiple(p, 256)));
    const options = p.odds(128) ? undefined : arg(p, () => ({ name: `m${p.u8()}` }));
    const r = call(() => v.vm.createMemory(size as never, options as never));
    if (r.ok) {
      expect(r.value.size === size, () => `createMemory(${String(size)}) made a backing of ${r.value.size} bytes`);
      v.backings.push(r.value);
    }
  },
  // setMemoryMap, atomically
  (p, m) => {
    const v = pickVm(p, m);
    if (v === undefined) return;
    const other = pickVm(p, m);
    const regions = arg(p, () =>
      Array.from({ length: p.below(4) }, () =>
        arg(p, () => {
          const backing = p.odds(224) ? p.pick(v.backings) : p.pick(other?.backings ?? []);
          const size = arg(p, () => (backing !== undefined && p.odds(128) ? backing.size : pageMultiple(p, 64)));
          return {
            guestAddr: arg(p, () => address(p)),
            size,
            backing: arg(p, () => backing),
            offset: arg(p, () => (p.odds(192) ? 0 : pageMultiple(p, 64))),
            ...(p.odds(64) ? { readOnly: arg(p, () => p.odds(128)) } : {}),
            ...(p.odds(64) ? { logDirty: arg(p, () => p.odds(128)) } : {}),
            ...(p.odds(32) ? { name: arg(p, () => 'r') } : {}),
          };
        }),
      ),
    );
    const r = call(() => v.vm.setMemoryMap(regions as never));
    for (const c of v.vcpus) c.pristine = false;
    if (v.closed) return;
    const now = describeMap(v.vm);
    if (!r.ok) expect(now === v.map, () => `a refused setMemoryMap (${r.error.name}: ${r.error.message}) changed the map from ${v.map} to ${now}`);
    v.map = now;
  },
  // createVcpu
  (p, m) => {
    const v = pickVm(p, m);
    if (v === undefined) return;
    const targets = [...v.hv.accel.families.keys()];
    const id = arg(p, () => p.below(p.odds(240) ? 4 : 300));
    const init = arg(p, () => ({
      target: arg(p, () => p.pick(targets) ?? ''),
      ...(p.odds(48) ? { features: arg(p, () => (p.odds(128) ? ['dcr'] : ['epapr-hcall', 'x'])) } : {}),
      ...(p.odds(32) ? { timebaseHz: arg(p, () => p.u32()) } : {}),
    }));
    const r = call(() => v.vm.createVcpu(id as never, init as never));
    if (r.ok) v.vcpus.push({ vm: v, vcpu: r.value, closed: false, pristine: false, exits: new Map() });
  },
  // registers: read, write, and a GPR written reads back
  (p, m) => {
    const c = pickVcpu(p, m);
    if (c === undefined) return;
    switch (p.below(5)) {
      case 0:
        call(() => c.vcpu.getRegister(registerId(p, c) as never));
        return;
      case 1:
        call(() => c.vcpu.getRegisters(arg(p, () => Array.from({ length: p.below(4) }, () => registerId(p, c))) as never));
        return;
      case 2:
        c.pristine = false;
        call(() => c.vcpu.setRegister(registerId(p, c) as never, registerValue(p) as never));
        return;
      case 3:
        c.pristine = false;
        call(() => c.vcpu.setRegisters(arg(p, () => Array.from({ length: p.below(4) }, () => arg(p, () => [registerId(p, c), registerValue(p)]))) as never));
        return;
      default: {
        const list = call(() => c.vcpu.registerList());
        if (!list.ok) return;
        const gpr = p.pick(list.value.filter((d) => /^(r\d+|r[a-d]x|r[sd]i|r[sb]p|r\d+d?)$/.test(d.name) && d.access === 'read-write'));
        if (gpr === undefined) return;
        const value = (BigInt(p.u32()) << 32n | BigInt(p.u32())) & ((1n << BigInt(gpr.size * 8)) - 1n);
        c.pristine = false;
        if (!call(() => c.vcpu.setRegister(gpr.id, value)).ok) return;
        const back = call(() => c.vcpu.getRegister(gpr.id as RegisterId));
        expect(back.ok && back.value === value, () => `${gpr.name} written with ${value} reads back ${back.ok ? back.value : back.error.name}`);
      }
    }
  },
  // configTlb, dirtyTlb, syncTlb
  (p, m) => {
    const c = pickVcpu(p, m);
    if (c === undefined) return;
    c.pristine = false;
    switch (p.below(3)) {
      case 0: {
        const n0 = arg(p, () => [512, 256, 0, 3, 2 ** 32][p.below(5)]!);
        const n1 = arg(p, () => [16, 64, 1, 65][p.below(4)]!);
        const entries = typeof n0 === 'number' && typeof n1 === 'number' ? n0 + n1 : 1;
        const bytes = Number.isSafeInteger(entries) && entries > 0 && entries < 4096 ? entries * BOOKE_TLB_ENTRY_BYTES : 24;
        const array = arg(p, () => (p.odds(128) ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes)));
        const config = arg(p, () => ({
          mmuType: arg(p, () => p.below(3)),
          params: arg(p, () => ({ tlbSizes: arg(p, () => [n0, n1, 0, 0]), tlbWays: arg(p, () => [4, n1, 0, 0]), ...(p.odds(32) ? { reserved: arg(p, () => [0, p.below(2)]) } : {}) })),
          array,
          arrayLength: arg(p, () => (p.odds(224) ? bytes : p.u32())),
        }));
        call(() => c.vcpu.configTlb(config as never));
        return;
      }
      case 1:
        call(() => c.vcpu.dirtyTlb(arg(p, () => (p.odds(128) ? null : new Uint8Array(p.below(256)))) as never, arg(p, () => p.below(600)) as never));
        return;
      default:
        call(() => c.vcpu.syncTlb());
    }
  },
  // translate
  (p, m) => {
    const c = pickVcpu(p, m);
    if (c === undefined) return;
    const options = p.odds(128) ? undefined : arg(p, () => ({ ...(p.odds(128) ? { as: arg(p, () => p.below(3)) } : {}), ...(p.odds(128) ? { pid: arg(p, () => p.u16()) } : {}) }));
    const r = call(() => c.vcpu.translate(arg(p, () => (p.odds(128) ? CODE : p.u32())) as never, options as never));
    if (r.ok && r.value.kind === 'mapped') expect(Number.isSafeInteger(r.value.phys) && r.value.phys >= 0, () => `translate gave phys ${r.value.kind === 'mapped' ? r.value.phys : ''}`);
  },
  // getDirtyLog
  (p, m) => {
    const v = pickVm(p, m);
    if (v === undefined) return;
    const addr = p.odds(192) ? 0 : address(p);
    const size = p.odds(160) ? RAM : p.odds(128) ? 2 ** 44 : pageMultiple(p, 64);
    const range = arg(p, () => ({ addr: arg(p, () => addr), size: arg(p, () => size) }));
    const maxPages = p.odds(128) ? undefined : p.below(8);
    const options = p.odds(64) ? undefined : arg(p, () => ({ ...(maxPages !== undefined ? { maxPages: arg(p, () => maxPages) } : {}), ...(p.odds(128) ? { clear: arg(p, () => true) } : {}) }));
    const r = call(() => v.vm.getDirtyLog(range as never, options as never));
    if (!r.ok) return;
    const pages = r.value;
    const q = range as { addr: number; size: number };
    const max = (options as { maxPages?: number } | undefined)?.maxPages ?? Infinity;
    expect(pages.length <= max, () => `getDirtyLog gave ${pages.length} pages, at most ${max} asked`);
    pages.forEach((n, i) => {
      expect(Number.isSafeInteger(n) && n >= 0 && n * PAGE < q.size, () => `getDirtyLog page ${n} is outside the ${q.size}-byte range`);
      expect(i === 0 || n > pages[i - 1]!, () => `getDirtyLog pages are not ascending: ${pages.slice(0, 10).join(',')}`);
    });
  },
  // enableCap on the VM or a vCPU
  (p, m) => {
    const cap = arg(p, () => p.pick(['exit-timing', 'ppc-epr', 'x86-split-irqchip', 'x86-irqchip', 'sw-tlb', '']));
    const args = p.odds(64) ? undefined : arg(p, () => Array.from({ length: p.below(3) }, () => arg(p, () => p.below(3))));
    if (p.odds(128)) {
      const v = pickVm(p, m);
      if (v !== undefined) call(() => v.vm.enableCap(cap as never, args as never));
    } else {
      const c = pickVcpu(p, m);
      if (c !== undefined) call(() => c.vcpu.enableCap(cap as never, args as never));
    }
  },
  // load the tiny program
  (p, m) => {
    const c = pickVcpu(p, m);
    if (c !== undefined) load(p, c);
  },
  // run
  async (p, m) => {
    const c = pickVcpu(p, m);
    if (c !== undefined) await run(p, c);
  },
  // runVcpus: only open vCPUs run
  async (p, m) => {
    const v = pickVm(p, m);
    if (v === undefined) return;
    const open = v.vcpus.filter((c) => !c.closed);
    const first = open[0];
    const h = first === undefined ? undefined : call(() => first.vcpu.handle());
    const id = ++seq;
    if (h?.ok === true) {
      if (p.odds(128)) first!.vcpu.kick();
      void ask({ type: 'arm', seq: id, handle: h.value, ms: 2 });
    }
    let r: Result<{ readonly vcpu: Vcpu; readonly exit: Exit }>;
    try {
      r = call(() => v.vm.runVcpus());
    } finally {
      if (h?.ok === true) await ask({ type: 'disarm', seq: id });
    }
    for (const c of v.vcpus) c.pristine = false;
    if (!r.ok) return;
    const ran = v.vcpus.find((c) => c.vcpu === r.value.vcpu);
    expect(ran === undefined || !ran.closed, () => `runVcpus ran vCPU ${r.value.vcpu.id}, which is closed`);
    expect(ran !== undefined || !v.vcpus.some((c) => c.vcpu.id === r.value.vcpu.id), () => `runVcpus returned another object for vCPU ${r.value.vcpu.id}`);
    if (ran !== undefined) exited(ran, r.value.exit);
  },
  // vm.close
  (p, m) => {
    const v = pickVm(p, m);
    if (v === undefined) return;
    v.vm.close();
    closeVm(v);
  },
  // vcpu.close
  (p, m) => {
    const c = pickVcpu(p, m);
    if (c === undefined) return;
    c.vcpu.close();
    c.closed = true;
  },
  // guest memory through vm.memory
  (p, m) => {
    const v = pickVm(p, m);
    if (v === undefined) return;
    for (const c of v.vcpus) c.pristine = false;
    const mem = call(() => v.vm.memory);
    if (!mem.ok) return;
    const addr = arg(p, () => (p.odds(128) ? p.below(RAM) : address(p)));
    const g = mem.value;
    switch (p.below(6)) {
      case 0:
        call(() => g.write(addr as never, arg(p, () => new Uint8Array(p.below(64)).fill(p.u8())) as never));
        return;
      case 1:
        call(() => g.read(addr as never, arg(p, () => new Uint8Array(p.below(64))) as never));
        return;
      case 2:
        call(() => g.fill(addr as never, arg(p, () => p.below(0x2000)) as never, arg(p, () => p.u8()) as never));
        return;
      case 3:
        call(() => g.writeBigUint64LE(addr as never, registerValue(p) as never));
        return;
      case 4:
        call(() => g.readUint32BE(addr as never));
        return;
      default:
        call(() => g.isMapped(addr as never, arg(p, () => p.below(0x10000)) as never));
    }
  },
  // setGuestDebug, swBreakpointInstruction
  (p, m) => {
    const c = pickVcpu(p, m);
    if (c === undefined) return;
    c.pristine = false;
    if (p.odds(32)) {
      call(() => c.vcpu.swBreakpointInstruction());
      return;
    }
    const debug = p.odds(48)
      ? null
      : arg(p, () => ({
          singleStep: arg(p, () => p.odds(128)),
          softwareBreakpoints: arg(p, () => p.odds(128)),
          hardware: arg(p, () =>
            Array.from({ length: p.below(4) }, () =>
              arg(p, () => ({ address: arg(p, () => (p.odds(128) ? CODE + 4 * p.below(4) : p.u32())), kind: arg(p, () => p.pick(['execute', 'write', 'read', 'access'])), length: arg(p, () => 1 << p.below(4)) })),
            ),
          ),
        }));
    call(() => c.vcpu.setGuestDebug(debug as never));
  },
  // the rest of a vCPU's state: mp state, lines, reset, stats (which count what run returned)
  (p, m) => {
    const c = pickVcpu(p, m);
    if (c === undefined) return;
    switch (p.below(6)) {
      case 0:
        c.pristine = false;
        call(() => c.vcpu.setMpState(arg(p, () => p.pick(['runnable', 'halted', 'stopped'])) as never));
        return;
      case 1:
        c.pristine = false;
        call(() => c.vcpu.setInterruptLine(arg(p, () => p.pick(['external', 'critical', 'machine-check'])) as never, arg(p, () => p.odds(128)) as never));
        return;
      case 2:
        c.pristine = false;
        call(() => c.vcpu.reset());
        return;
      case 3:
        call(() => c.vcpu.exitTiming());
        return;
      case 4:
        call(() => c.vcpu.getMpState());
        return;
      default: {
        const s = call(() => c.vcpu.stats());
        if (!s.ok) return;
        // emulation-failure is also the e500's own counter of failures turned into program
        // interrupts (it never exits with one), which replaces the front's count.
        for (const k of EXIT_KINDS.filter((k) => k !== 'emulation-failure')) {
          expect((s.value[k] ?? 0) === (c.exits.get(k) ?? 0), () => `stats() counts ${s.value[k] ?? 0} ${k} exits, run() returned ${c.exits.get(k) ?? 0}`);
        }
      }
    }
  },
  // transfer, and adopting it (or junk) here and on the other thread
  async (p, m) => {
    const c = pickVcpu(p, m);
    if (c === undefined) return;
    const t = call(() => c.vcpu.transfer());
    if (t.ok) c.closed = true;
    const transfer = t.ok && p.odds(192) ? t.value : arg(p, () => ({ accel: p.pick(accelerators())?.name, id: p.below(4), target: 'host', state: weird(p) }));
    if (p.odds(128)) {
      const a = await callAsync(() => Hypervisor.adoptVcpu(transfer as never));
      if (a.ok) call(() => a.value.close());
    } else {
      const r = await ask({ type: 'adopt', seq: ++seq, transfer: cloneable(transfer) });
      if (r.type === 'adopt') {
        typedOutcome('adoptVcpu on another thread', r.adopt);
        typedOutcome('close of an adopted vCPU', r.close);
      }
    }
  },
  // a vCPU's handle, here and on the other thread: run() through it is a WrongThreadError
  async (p, m) => {
    const c = pickVcpu(p, m);
    const h = c === undefined ? undefined : call(() => c.vcpu.handle());
    const handle = h?.ok === true && p.odds(192) ? h.value : arg(p, () => ({ accel: p.pick(accelerators())?.name, id: p.below(4), ownerThread: 0, control: new SharedArrayBuffer(p.odds(128) ? 16 : 4) }));
    if (p.odds(96)) {
      const sync = p.odds(128);
      const r = sync ? call(() => attachVcpu(handle as never)) : await callAsync(() => Hypervisor.attachVcpu(handle as never));
      if (!r.ok) return;
      const ran = call(() => r.value.run());
      expect(!ran.ok && ran.error instanceof WrongThreadError, () => `run() through a handle: ${ran.ok ? 'succeeded' : ran.error.name}`);
      call(() => r.value.kick());
      return;
    }
    const r = await ask({ type: 'remote', seq: ++seq, handle: cloneable(handle) });
    if (r.type !== 'remote') return;
    typedOutcome('attachVcpu on another thread', r.attach);
    typedOutcome('kick through a handle on another thread', r.kick);
    if (r.run !== undefined) expect(r.run !== 'ok' && r.run.name === 'WrongThreadError', () => `run() through a handle on another thread: ${JSON.stringify(r.run)}`);
  },
  // the VM's other calls, and the accelerator plan
  (p, m) => {
    const v = pickVm(p, m);
    if (v === undefined) return;
    switch (p.below(7)) {
      case 0:
        call(() => v.vm.ioEvent(arg(p, () => ({ addr: p.u16(), size: 1 << p.below(4), space: p.pick(['pio', 'mmio']) })) as never));
        return;
      case 1:
        call(() => v.vm.irqEvent(arg(p, () => ({ gsi: p.below(32), resample: arg(p, () => false) })) as never));
        return;
      case 2:
        call(() => v.vm.signalMsi(arg(p, () => ({ address: arg(p, () => 0xfee00000n), data: arg(p, () => p.u16()) })) as never));
        return;
      case 3:
        call(() => v.vm.setGsiRouting(arg(p, () => [arg(p, () => ({ gsi: p.below(24), kind: 'irqchip', irqchip: 0, pin: p.below(24) }))]) as never));
        return;
      case 4:
        call(() => v.vm.memoryMap());
        return;
      case 5:
        call(() => planAccelerator(arg(p, () => p.pick(['ppc', 'x86_64'])) as never, 'the fuzzed machine', arg(p, () => p.pick(accelerators())?.name) as never));
        return;
      default:
        call(() => v.vm.vcpus());
    }
  },
  // any call on a closed vCPU, VM or hypervisor is a ClosedError
  (p, m) => {
    const closedVcpus = allVcpus(m).filter((c) => c.closed);
    const c = p.pick(closedVcpus);
    if (c !== undefined) {
      const calls: [string, () => unknown][] = [
        ['run', () => c.vcpu.run()],
        ['getRegister', () => c.vcpu.getRegister(registerId(p, c) as never)],
        ['setRegisters', () => c.vcpu.setRegisters(weird(p) as never)],
        ['registerList', () => c.vcpu.registerList()],
        ['translate', () => c.vcpu.translate(weird(p) as never)],
        ['configTlb', () => c.vcpu.configTlb(weird(p) as never)],
        ['stats', () => c.vcpu.stats()],
        ['handle', () => c.vcpu.handle()],
        ['transfer', () => c.vcpu.transfer()],
        ['enableCap', () => c.vcpu.enableCap(weird(p) as never)],
        ['setGuestDebug', () => c.vcpu.setGuestDebug(weird(p) as never)],
      ];
      const [what, f] = calls[p.below(calls.length)]!;
      closedCall(`vcpu.${what}`, f);
      c.vcpu.kick();
    }
    const v = p.pick(allVms(m).filter((x) => x.closed));
    if (v !== undefined) {
      const calls: [string, () => unknown][] = [
        ['memory', () => v.vm.memory],
        ['createMemory', () => v.vm.createMemory(weird(p) as never)],
        ['setMemoryMap', () => v.vm.setMemoryMap(weird(p) as never)],
        ['createVcpu', () => v.vm.createVcpu(weird(p) as never, weird(p) as never)],
        ['vcpus', () => v.vm.vcpus()],
        ['getDirtyLog', () => v.vm.getDirtyLog(weird(p) as never)],
        ['runVcpus', () => v.vm.runVcpus()],
      ];
      const [what, f] = calls[p.below(calls.length)]!;
      closedCall(`vm.${what}`, f);
    }
    const h = p.pick(m.hvs.filter((x) => x.closed));
    if (h !== undefined) closedCall('hypervisor.createVm', () => h.hv.createVm());
  },
];

/** After every call: what is open and what is closed is what the model says. */
function consistent(m: Model): void {
  for (const v of allVms(m)) {
    if (v.closed) {
      closedCall('vm.memoryMap', () => v.vm.memoryMap());
      continue;
    }
    const listed = call(() => v.vm.vcpus());
    expect(listed.ok, () => `vm.vcpus() of an open VM: ${listed.ok ? '' : listed.error.message}`);
    const want = v.vcpus.filter((c) => !c.closed).map((c) => c.vcpu.id).sort((a, b) => a - b).join(',');
    const got = listed.value.map((c) => c.id).sort((a, b) => a - b).join(',');
    expect(got === want, () => `vm.vcpus() lists [${got}], the open vCPUs are [${want}]`);
  }
  for (const c of allVcpus(m)) {
    if (c.closed) closedCall('vcpu.getMpState', () => c.vcpu.getMpState());
    else {
      const r = call(() => c.vcpu.getMpState());
      expect(r.ok, () => `getMpState of an open vCPU: ${r.ok ? '' : `${r.error.name}: ${r.error.message}`}`);
    }
  }
}

/** The calls' numbers (the order of OPS), for seeds and traces. */
const OP = { open: 0, createVm: 1, hvMisc: 2, createMemory: 3, setMemoryMap: 4, createVcpu: 5, registers: 6, tlb: 7, translate: 8, dirtyLog: 9, enableCap: 10, load: 11, run: 12, runVcpus: 13, closeVm: 14, closeVcpu: 15, memory: 16, debug: 17, state: 18, transfer: 19, handle: 20, vmMisc: 21, closed: 22 } as const;
const OP_NAMES: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(OP).map(([k, v]) => [v, k]));

async function runProgram(input: Uint8Array): Promise<void> {
  const p = new Program(input);
  const m: Model = { hvs: [] };
  try {
    for (let n = 0; !p.done && n < 64; n++) {
      const op = p.below(OPS.length);
      if (TRACE) process.stderr.write(`api: call ${n}: ${OP_NAMES[op] ?? op}\n`);
      await OPS[op]!(p, m);
      consistent(m);
    }
  } finally {
    for (const h of m.hvs) h.hv.close();
  }
}

// ------------------------------------------------------------------ seeds


/**
 * The seeds spell out whole scenarios, byte by byte as the calls read their arguments (a zero
 * picks the first item, the plausible value, or "yes"; 255 mostly "no").
 */
function seedPrograms(): Uint8Array[] {
  const open = [OP.open, 0, 0, OP.createVm, 0, 0];
  /** createVcpu(id, { target: targets[target] }). */
  const vcpu = (id: number, target: number): number[] => [OP.createVcpu, 0, 0, 0, id, 0, 0, target, 255, 255];
  return [
    // A pristine program runs, its exits are counted; after vm.close() everything is closed.
    [...open, ...vcpu(0, 7), OP.load, 0, 0, 0, 0x34, 0x12, OP.run, 0, OP.run, 0, OP.state, 0, 5, OP.closeVm, 0, OP.closed, 0, 0, 0, 0, OP.run, 0],
    // Two vCPUs, one closed: runVcpus runs the other; handles here and on the other thread; a transfer refused.
    [...open, ...vcpu(0, 0), ...vcpu(1, 0), OP.load, 1, 0, 1, 0, 0, OP.closeVcpu, 0, OP.run, 1, OP.runVcpus, 0, 255, OP.dirtyLog, 0, 0, 0, 0, 0, 0, 0, 0,
      OP.transfer, 1, 0, 0, 0, 5, 0, OP.handle, 1, 0, 0, 0, OP.handle, 1, 0, 255],
    // Memory, a map with dirty logging, a write, the dirty log; registers, the TLB, translate; hypervisor close.
    [...open, OP.createMemory, 0, 0, 255, 15, 255, 0, 7, OP.setMemoryMap, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 4, 2, 0, 0, 0, 255, 0, 0, 0, 255,
      OP.memory, 0, 0, 0, 0x00, 0x30, 0x00, 0x00, 0, 0, 4, 0xab, OP.dirtyLog, 0, 0, 0, 0, 0, 0, 0, 0, ...vcpu(0, 7), OP.registers, 0, 4, 1, 2, 3, 4, 5, 6, 7, 8, 9,
      OP.tlb, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 255, 0, 0, OP.translate, 0, 0, 0, 0, OP.hvMisc, 0, 3, OP.closed, 0, 0, 0, 0],
  ].map((s) => Uint8Array.from(s));
}

export const apiTarget: FuzzTarget = {
  name: 'api',
  description: `hypervisor API call sequences with random arguments, on ${AVAILABLE.map((a) => a.name).join(', ')}${SKIPPED.length > 0 ? ` (not available here: ${SKIPPED.join(', ')})` : ''}`,
  seeds: seedPrograms,
  generate: (rng: Prng) => rng.bytes(16 + rng.below(240)),
  run: runProgram,
};
