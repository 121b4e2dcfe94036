/** VMM guest debugging on the e500 accelerator (KVM_SET_GUEST_DEBUG semantics). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentRangeError, Hypervisor, InvalidArgumentError, gpa } from '../../../src/api/index.js';
import { CORE, gprId, sprId } from '../../../src/accel/e500/registers.js';
import { STOP_ADDR, e500Vm } from '../../support/e500-vm.js';
import { asm, stop, words } from '../../support/ppc-asm.js';

const CODE = [asm.li(3, 1), asm.addi(3, 3, 1), asm.addi(3, 3, 1), asm.stw(3, 0, 0x2000), asm.addi(3, 3, 1), ...stop()];
const r3 = (v: { getRegister(id: ReturnType<typeof gprId>): bigint }): number => Number(v.getRegister(gprId(3)));

test('the capability is reported with the number of hardware breakpoints', async () => {
  const hv = await Hypervisor.open({ accel: 'e500' });
  assert.equal(hv.checkExtension('guest-debug'), 1);
  assert.ok(hv.checkExtension('guest-debug-hw-bps') >= 4);
});

test('single-step stops after each instruction, also after one that exited for MMIO', async () => {
  const { vcpu } = await e500Vm({ code: words(...CODE) });
  vcpu.setGuestDebug({ singleStep: true });
  const pcs: number[] = [];
  for (let i = 0; i < 6; i++) {
    const e = vcpu.run();
    assert.equal(e.kind, 'debug');
    if (e.kind !== 'debug') return;
    assert.equal(e.reason, 'single-step');
    pcs.push(e.pc);
    assert.equal(Number(vcpu.getRegister(CORE.PC)), e.pc);
  }
  assert.deepEqual(pcs, [0x1004, 0x1008, 0x100c, 0x1010, 0x1014, 0x1018]);
  assert.equal(r3(vcpu), 4);
  const mmio = vcpu.run();
  assert.equal(mmio.kind, 'mmio', 'the stop store exits for MMIO first');
  const step = vcpu.run();
  assert.ok(step.kind === 'debug' && step.reason === 'single-step' && step.pc === 0x101c, 'then the step that completed it');
  vcpu.setGuestDebug(null);
});

test('software breakpoints: the planted instruction exits instead of trapping; without them it is illegal', async () => {
  const { vm, vcpu } = await e500Vm({ code: words(...CODE) });
  const bp = vcpu.swBreakpointInstruction();
  assert.deepEqual([...bp], [0x00, 0xdd, 0xdd, 0x00]);
  const saved = new Uint8Array(4);
  vm.memory.read(gpa(0x1008), saved);
  vm.memory.write(gpa(0x1008), bp);
  vcpu.setGuestDebug({ softwareBreakpoints: true });
  let e = vcpu.run();
  assert.ok(e.kind === 'debug' && e.reason === 'breakpoint' && e.pc === 0x1008);
  assert.equal(r3(vcpu), 2, 'the two instructions before it ran');
  e = vcpu.run();
  assert.ok(e.kind === 'debug' && e.pc === 0x1008, 'running again hits it again (the debugger steps over it)');
  vm.memory.write(gpa(0x1008), saved);
  assert.equal(vcpu.run().kind, 'mmio');
  assert.equal(r3(vcpu), 4);

  // Off: a program interrupt (illegal instruction) to IVOR6.
  const other = await e500Vm({ code: words(asm.li(3, 7), 0x00dddd00, ...stop()) });
  other.vcpu.setRegisters([[sprId(63), 0x20000n], [sprId(406), 0x100n]]);
  other.vm.memory.write(gpa(0x20100), words(...stop()));
  const p = other.vcpu.run();
  assert.ok(p.kind === 'mmio' && (p.addr as number) === STOP_ADDR);
  assert.equal(Number(other.vcpu.getRegister(sprId(26))), 0x1004, 'SRR0 at the breakpoint word');
  assert.equal(Number(other.vcpu.getRegister(sprId(62))) & 0x08000000, 0x08000000, 'ESR[PIL]');
});

test('a hardware breakpoint stops before the instruction, also in translated code, and continuing goes past it', async () => {
  // A loop of 200 iterations gets translated; then a breakpoint inside it must still stop it.
  const loop = [asm.li(3, 0), asm.li(4, 200), asm.mtspr(9, 4), asm.addi(3, 3, 1), 0x4200fffc /* bdnz -4 */, ...stop()];
  const { vcpu } = await e500Vm({ code: words(...loop) });
  process.env['NGKVM_JIT'] = 'eager';
  try {
    assert.equal(vcpu.run().kind, 'mmio');
  } finally {
    delete process.env['NGKVM_JIT'];
  }
  assert.equal(r3(vcpu), 200);
  vcpu.setRegisters([[CORE.PC, 0x1000n]]);
  vcpu.setGuestDebug({ hardware: [{ address: 0x100c, kind: 'execute', length: 1 }] });
  const hits: number[] = [];
  for (let i = 0; i < 3; i++) {
    const e = vcpu.run();
    assert.ok(e.kind === 'debug' && e.reason === 'hw-breakpoint' && e.address === 0x100c);
    hits.push(r3(vcpu));
  }
  assert.deepEqual(hits, [0, 1, 2], 'each continue runs one more iteration');
  vcpu.setGuestDebug(null);
  assert.equal(vcpu.run().kind, 'mmio');
  assert.equal(r3(vcpu), 200);
});

test('a write watchpoint stops after the store, naming the data address', async () => {
  const { vm, vcpu } = await e500Vm({ code: words(...CODE) });
  vcpu.setGuestDebug({ hardware: [{ address: 0x2002, kind: 'write', length: 2 }] });
  const e = vcpu.run();
  assert.ok(e.kind === 'debug' && e.reason === 'watchpoint', `got ${e.kind}`);
  if (e.kind !== 'debug') return;
  assert.equal(e.address, 0x2002);
  assert.equal(e.pc, 0x1010, 'the store has completed');
  assert.equal(vm.memory.readUint32BE(gpa(0x2000)), 3);
  vcpu.setGuestDebug({ hardware: [{ address: 0x2000, kind: 'read', length: 4 }] });
  assert.equal(vcpu.run().kind, 'mmio', 'no load, no read watchpoint');
});

test('bad requests are typed errors', async () => {
  const { vcpu } = await e500Vm({ code: words(...CODE) });
  const many = Array.from({ length: 9 }, (_, i) => ({ address: i * 4, kind: 'execute' as const, length: 1 }));
  assert.throws(() => vcpu.setGuestDebug({ hardware: many }), /at most 8/);
  assert.throws(() => vcpu.setGuestDebug({ hardware: [{ address: 0x1002, kind: 'execute', length: 1 }] }), /not word-aligned/);
  assert.throws(() => vcpu.setGuestDebug({ hardware: [{ address: 0x1000, kind: 'write', length: 3 }] }), InvalidArgumentError);
  assert.throws(
    () => vcpu.setGuestDebug({ hardware: [{ address: 0x1000, kind: 'exec' as never, length: 1 }] }),
    (e: unknown) => e instanceof ArgumentRangeError && /kind "exec" is not one of execute, write, read, access/.test(e.message),
  );
});
