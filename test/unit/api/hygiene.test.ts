/**
 * API hygiene, the same on both accelerators (the e500 part runs everywhere, the kvm part
 * wherever /dev/kvm exists): every public entry point refuses arguments of the wrong type or
 * range with a typed error carrying the API's code (never a plain TypeError from deep
 * inside), and closing a VM closes its vCPUs and its memory.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ArgumentRangeError,
  ArgumentTypeError,
  ClosedError,
  Hypervisor,
  InvalidArgumentError,
  ReadOnlyRegisterError,
  RegisterSizeError,
  RemoteVcpu,
  UnknownRegisterError,
  attachVcpu,
  fallbackAfterFailure,
  planAccelerator,
  gpa,
  type AcceleratorName,
  type MemoryBacking,
  type RegisterId,
  type Vcpu,
  type Vm,
} from '../../../src/api/index.js';
import { MMU_FSL_BOOKE_NOHV } from '../../../src/api/booke.js';
import { KVM_SKIP } from '../../support/kvm-vm.js';

interface Setup {
  readonly hv: Hypervisor;
  readonly vm: Vm;
  readonly ram: MemoryBacking;
  readonly vcpu: Vcpu;
  readonly target: string;
}

async function setup(accel: AcceleratorName): Promise<Setup> {
  const hv = await Hypervisor.open({ accel });
  const vm = hv.createVm({ name: 'hygiene' });
  const ram = vm.createMemory(0x10000, { name: 'ram' });
  vm.setMemoryMap([{ guestAddr: gpa(0), size: ram.size, backing: ram, offset: 0 }]);
  const target = accel === 'e500' ? 'e500mc' : 'host';
  const vcpu = vm.createVcpu(0, { target });
  return { hv, vm, ram, vcpu, target };
}

const N = null as never;
/** Calls with arguments of the wrong type: each must be an ArgumentTypeError. */
const badTypes: readonly [string, (s: Setup) => unknown][] = [
  ['Hypervisor.open(null)', () => Hypervisor.open(N)],
  ['checkExtension(5)', (s) => s.hv.checkExtension(5 as never)],
  ['createVm(null)', (s) => s.hv.createVm(N)],
  ['createVm({ name: 5 })', (s) => s.hv.createVm({ name: 5 as never })],
  ['createMemory("1M")', (s) => s.vm.createMemory('1M' as never)],
  ['createMemory(4096, null)', (s) => s.vm.createMemory(4096, N)],
  ['setMemoryMap(null)', (s) => s.vm.setMemoryMap(N)],
  ['setMemoryMap([null])', (s) => s.vm.setMemoryMap([N])],
  ['setMemoryMap([{ guestAddr: "0" }])', (s) => s.vm.setMemoryMap([{ guestAddr: '0' as never, size: 4096, backing: s.ram, offset: 0 }])],
  ['setMemoryMap([{ readOnly: 1 }])', (s) => s.vm.setMemoryMap([{ guestAddr: gpa(0), size: 4096, backing: s.ram, offset: 0, readOnly: 1 as never }])],
  ['createVcpu("0", init)', (s) => s.vm.createVcpu('1' as never, { target: s.target })],
  ['createVcpu(1, null)', (s) => s.vm.createVcpu(1, N)],
  ['createVcpu(1, { target: 7 })', (s) => s.vm.createVcpu(1, { target: 7 as never })],
  ['createVcpu(1, { features: "dcr" })', (s) => s.vm.createVcpu(1, { target: s.target, features: 'dcr' as never })],
  ['enableCap(null)', (s) => s.vm.enableCap(N)],
  ['enableCap("x", "1")', (s) => s.vm.enableCap('x', '1' as never)],
  ['ioEvent(null)', (s) => s.vm.ioEvent(N)],
  ['irqEvent(null)', (s) => s.vm.irqEvent(N)],
  ['signalMsi(null)', (s) => s.vm.signalMsi(N)],
  ['setGsiRouting(null)', (s) => s.vm.setGsiRouting(N)],
  ['setRoutes(null)', (s) => s.vm.setRoutes(N)],
  ['setRoutes([{ base: "0" }])', (s) => s.vm.setRoutes([{ space: 'mmio', base: '0' as never, size: 4, endpoint: N }])],
  ['addRoute(null)', (s) => s.vm.addRoute(N)],
  ['registerCoalescedMmio(null)', (s) => s.vm.registerCoalescedMmio(N)],
  ['unregisterCoalescedMmio({ addr: "0" })', (s) => s.vm.unregisterCoalescedMmio({ space: 'mmio', addr: '0' as never, size: 4 })],
  ['drainCoalescedMmio(null)', (s) => s.vm.drainCoalescedMmio(N)],
  ['setInterruptSink(5)', (s) => s.vm.setInterruptSink(5 as never)],
  ['getDirtyLog(null)', (s) => s.vm.getDirtyLog(N)],
  ['getDirtyLog(range, 5)', (s) => s.vm.getDirtyLog({ addr: 0, size: 4096 }, 5 as never)],
  ['getRegister(5)', (s) => s.vcpu.getRegister(5 as never)],
  ['getRegisters(null)', (s) => s.vcpu.getRegisters(N)],
  ['getRegisters([5])', (s) => s.vcpu.getRegisters([5 as never])],
  ['setRegister(id, 5)', (s) => s.vcpu.setRegister(s.vcpu.registerList()[0]!.id, 5 as never)],
  ['setRegisters(null)', (s) => s.vcpu.setRegisters(N)],
  ['setRegisters([[id]])', (s) => s.vcpu.setRegisters([[s.vcpu.registerList()[0]!.id] as never])],
  ['setInterruptLine(5, true)', (s) => s.vcpu.setInterruptLine(5 as never, true)],
  ['setInterruptLine("external", 1)', (s) => s.vcpu.setInterruptLine('external', 1 as never)],
  ['setMpState(null)', (s) => s.vcpu.setMpState(N)],
  ['enableCap on a vCPU with args "1"', (s) => s.vcpu.enableCap('ppc-epr', '1' as never)],
  ['configTlb(null)', (s) => s.vcpu.configTlb(N)],
  ['configTlb({ params: null })', (s) => s.vcpu.configTlb({ mmuType: MMU_FSL_BOOKE_NOHV, params: N, array: new ArrayBuffer(24), arrayLength: 24 })],
  ['configTlb({ array: a Uint8Array })', (s) => s.vcpu.configTlb({ mmuType: MMU_FSL_BOOKE_NOHV, params: { tlbSizes: [512, 16, 0, 0], tlbWays: [4, 16, 0, 0] }, array: new Uint8Array(528 * 24) as never, arrayLength: 528 * 24 })],
  ['dirtyTlb([1], 1)', (s) => s.vcpu.dirtyTlb([1] as never, 1)],
  ['translate("0")', (s) => s.vcpu.translate('0' as never)],
  ['translate(0, null)', (s) => s.vcpu.translate(0, N)],
  ['translate(0, { as: "1" })', (s) => s.vcpu.translate(0, { as: '1' as never })],
  ['setGuestDebug(5)', (s) => s.vcpu.setGuestDebug(5 as never)],
  ['setGuestDebug({ hardware: [null] })', (s) => s.vcpu.setGuestDebug({ hardware: [N] })],
  ['guest memory read(0, null)', (s) => s.vm.memory.read(gpa(0), N)],
  ['guest memory writeBigUint64LE(0, 1)', (s) => s.vm.memory.writeBigUint64LE(gpa(0), 1 as never)],
  ['guest memory readUint8("0")', (s) => s.vm.memory.readUint8('0' as never)],
  ['attachVcpu(null)', () => Hypervisor.attachVcpu(N)],
  ['setMemoryMap([, region]) (a hole)', (s) => s.vm.setMemoryMap([, { guestAddr: gpa(0), size: 4096, backing: s.ram, offset: 0 }] as never)],
  ['getRegisters([, id]) (a hole)', (s) => s.vcpu.getRegisters([, s.vcpu.registerList()[0]!.id] as never)],
  // The synchronous attachVcpu and RemoteVcpu are public too (found by the api fuzz target).
  ['the synchronous attachVcpu(undefined)', () => attachVcpu(undefined as never)],
  ['new RemoteVcpu({ accel: "e500" })', () => new RemoteVcpu({ accel: 'e500' } as never)],
  ['attachVcpu with a control block that is an ArrayBuffer', (s) => attachVcpu({ ...s.vcpu.handle(), control: new ArrayBuffer(16) as never })],
  ['adoptVcpu(null)', () => Hypervisor.adoptVcpu(N)],
  // Found by the api fuzz target: a TypeError from JSON.stringify, or a RangeError building the message.
  ['Hypervisor.open({ accel: 1n })', () => Hypervisor.open({ accel: 1n as never })],
  ['planAccelerator("ppc", "m", 1n)', () => planAccelerator('ppc', 'm', 1n as never)],
  ['planAccelerator(new Array(2 ** 32 - 1), "m")', () => planAccelerator(new Array(2 ** 32 - 1) as never, 'm')],
  ['planAccelerator(Object.create(null), "m")', () => planAccelerator(Object.create(null) as never, 'm')],
  ['fallbackAfterFailure("ppc", 5, "why")', () => fallbackAfterFailure('ppc', 5 as never, 'why')],
];

/** Calls with values of the right type out of range: each must be an ArgumentRangeError. */
const badRanges: readonly [string, (s: Setup) => unknown][] = [
  ['createMemory(4096.5)', (s) => s.vm.createMemory(4096.5)],
  ['createMemory(0)', (s) => s.vm.createMemory(0)],
  ['createVcpu(-1, init)', (s) => s.vm.createVcpu(-1, { target: s.target })],
  ['createVcpu(1, { timebaseHz: 1e-9 })', (s) => s.vm.createVcpu(1, { target: s.target, timebaseHz: 1e-9 })],
  ['createVcpu(1, { timebaseHz: 1e12 })', (s) => s.vm.createVcpu(1, { target: s.target, timebaseHz: 1e12 })],
  ['createVcpu(1, { timebaseHz: NaN })', (s) => s.vm.createVcpu(1, { target: s.target, timebaseHz: NaN })],
  ['setMpState("asleep")', (s) => s.vcpu.setMpState('asleep' as never)],
  ['translate(-1)', (s) => s.vcpu.translate(-1)],
  ['translate(0, { as: 2 })', (s) => s.vcpu.translate(0, { as: 2 as never })],
  ['dirtyTlb(null, -1)', (s) => s.vcpu.dirtyTlb(null, -1)],
  ['setGuestDebug({ hardware: [{ length: 3 }] })', (s) => s.vcpu.setGuestDebug({ hardware: [{ address: 0, kind: 'write', length: 3 }] })],
  ['configTlb with a resizable ArrayBuffer', (s) => s.vcpu.configTlb({ mmuType: MMU_FSL_BOOKE_NOHV, params: { tlbSizes: [512, 16, 0, 0], tlbWays: [4, 16, 0, 0] }, array: resizable(528 * 24), arrayLength: 528 * 24 })],
  ['guest memory fill(0, 1, 256)', (s) => s.vm.memory.fill(gpa(0), 1, 256)],
  // Lists longer than any call needs are refused before they are walked (found by the api fuzz target: minutes, then a TypeError).
  ['setMemoryMap(new Array(2 ** 32 - 1))', (s) => s.vm.setMemoryMap(new Array(2 ** 32 - 1))],
  ['getRegisters(new Array(2 ** 32 - 1))', (s) => s.vcpu.getRegisters(new Array(2 ** 32 - 1))],
  ['setRegisters(an endless generator)', (s) => s.vcpu.setRegisters(endless(s.vcpu.registerList()[0]!.id))],
];

/** The same register written forever. */
function* endless(id: RegisterId): Generator<readonly [RegisterId, bigint]> {
  for (;;) yield [id, 0n];
}

/** A resizable ArrayBuffer (ES2024; Node 20 has it, TypeScript's ES2023 lib does not know the option). */
function resizable(bytes: number): ArrayBuffer {
  const Ctor = ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer;
  return new Ctor(bytes, { maxByteLength: bytes * 2 });
}

async function outcome(f: () => unknown): Promise<unknown> {
  try {
    await f();
    return undefined;
  } catch (e) {
    return e;
  }
}

function hygiene(accel: AcceleratorName, skip: string | undefined): void {
  describe(`API hygiene: ${accel}`, skip !== undefined ? { skip } : {}, () => {
    for (const [what, call] of badTypes) {
      test(`${what} is an ArgumentTypeError`, async () => {
        const s = await setup(accel);
        const e = await outcome(() => call(s));
        assert.ok(e instanceof ArgumentTypeError, `${what}: ${String(e)}`);
        assert.equal(e.code, 'ERR_INVALID_ARGUMENT_TYPE');
        assert.ok(e instanceof InvalidArgumentError && e.errno === 'EINVAL');
        s.hv.close();
      });
    }
    for (const [what, call] of badRanges) {
      test(`${what} is an ArgumentRangeError`, async () => {
        const s = await setup(accel);
        const e = await outcome(() => call(s));
        assert.ok(e instanceof ArgumentRangeError, `${what}: ${String(e)}`);
        assert.equal(e.code, 'ERR_ARGUMENT_OUT_OF_RANGE');
        s.hv.close();
      });
    }

    test('after vm.close() its vCPUs, its memory and the VM itself are ClosedErrors; kick() stays harmless', async () => {
      const s = await setup(accel);
      const id = s.vcpu.registerList()[0]!.id as RegisterId;
      s.vm.close();
      const calls: [string, () => unknown][] = [
        ['run', () => s.vcpu.run()],
        ['getRegister', () => s.vcpu.getRegister(id)],
        ['setRegisters', () => s.vcpu.setRegisters([])],
        ['registerList', () => s.vcpu.registerList()],
        ['translate', () => s.vcpu.translate(0)],
        ['stats', () => s.vcpu.stats()],
        ['getMpState', () => s.vcpu.getMpState()],
        ['handle', () => s.vcpu.handle()],
        ['reset', () => s.vcpu.reset()],
        ['vm.memory', () => s.vm.memory],
        ['vm.memoryMap', () => s.vm.memoryMap()],
        ['vm.createMemory', () => s.vm.createMemory(4096)],
        ['vm.createVcpu', () => s.vm.createVcpu(1, { target: s.target })],
        ['vm.vcpus', () => s.vm.vcpus()],
        ['vm.getDirtyLog', () => s.vm.getDirtyLog({ addr: 0, size: 4096 })],
      ];
      for (const [what, call] of calls) assert.throws(call, ClosedError, what);
      s.vcpu.kick();
      s.vm.close();
      s.hv.close();
    });

    test('memory taken from vm.memory before the close is closed with the VM', async () => {
      const s = await setup(accel);
      const mem = s.vm.memory;
      mem.writeUint8(gpa(0x100), 7);
      s.vm.close();
      assert.throws(() => mem.readUint8(gpa(0x100)), ClosedError);
      assert.throws(() => mem.isMapped(gpa(0), 1), ClosedError);
      s.hv.close();
    });

    test('a closed vCPU leaves its VM: vcpus() omits it, runVcpus() never runs it, its id is free again (found by the api fuzz target)', async () => {
      const s = await setup(accel);
      const second = s.vm.createVcpu(1, { target: s.target });
      s.vcpu.close();
      assert.deepEqual(s.vm.vcpus().map((v) => v.id), [1]);
      if (s.hv.checkExtension('cooperative-vcpus') > 0) {
        // vCPU 1 is stopped: only a kick ends the wait, and vCPU 0 must not be run meanwhile.
        second.setMpState('stopped');
        second.kick();
        const r = s.vm.runVcpus();
        assert.equal(r.vcpu, second);
        assert.equal(r.exit.kind, 'interrupted');
      }
      const again = s.vm.createVcpu(0, { target: s.target });
      assert.deepEqual(s.vm.vcpus().map((v) => v.id).sort(), [0, 1]);
      assert.throws(() => s.vcpu.getMpState(), ClosedError, 'the closed object stays closed');
      assert.equal(again.getMpState(), 'runnable');
      s.hv.close();
    });

    test('register ids are looked up and batch writes checked the same way on every accelerator (api/registers.ts)', async () => {
      const s = await setup(accel);
      const list = s.vcpu.registerList();
      const first = list[0]!;
      const sizeBits = 0xfn << 52n;
      const otherSize = ((first.id & ~sizeBits) | ((first.id & sizeBits) === 0n ? 1n << 52n : 0n)) as RegisterId;
      assert.throws(() => s.vcpu.getRegister(otherSize), RegisterSizeError, 'the id of a register with another size');
      const unused = (first.id | 0xffffn) as RegisterId;
      if (!list.some((r) => (r.id & ~sizeBits) === (unused & ~sizeBits))) assert.throws(() => s.vcpu.getRegister(unused), UnknownRegisterError);
      const readOnly = list.find((r) => r.access === 'read-only');
      if (readOnly !== undefined) {
        const before = s.vcpu.getRegister(first.id);
        assert.throws(() => s.vcpu.setRegisters([[first.id, before === 0n ? 1n : 0n], [readOnly.id, 0n]]), ReadOnlyRegisterError);
        assert.equal(s.vcpu.getRegister(first.id), before, 'a batch with a read-only entry writes nothing');
      }
      s.hv.close();
    });

    test('closing the hypervisor closes its VMs', async () => {
      const s = await setup(accel);
      s.hv.close();
      assert.throws(() => s.vm.memoryMap(), ClosedError);
      assert.throws(() => s.vcpu.run(), ClosedError);
      assert.throws(() => s.hv.createVm(), ClosedError);
    });
  });
}

hygiene('e500', undefined);
hygiene('kvm', KVM_SKIP);
