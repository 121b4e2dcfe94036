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
  ['adoptVcpu(null)', () => Hypervisor.adoptVcpu(N)],
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
];

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
