/**
 * The vCPU's whole state through tag/value registers (issue 14, seed 001): a guest stopped
 * mid-run with SPE upper halves, the accumulator and a lwarx reservation live is saved as
 * every writable register plus RAM, restored into a fresh VM, and both go on to the same
 * state. Leaving any piece out changes the outcome (the reservation is shown here).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gpa, type RegisterId, type Vcpu } from '../../../src/api/index.js';
import { CORE, STATE, gprHighId, gprId, sprId } from '../../../src/accel/e500/registers.js';
import { STOP_ADDR, e500Vm } from '../../support/e500-vm.js';
import { asm, stop, words } from '../../support/ppc-asm.js';

const MSR_SPV = 0x0200_0000n;
const RAM_BYTES = 32 * 1024 * 1024;

// Encodings from binutils (powerpc-linux-gnu-as -mspe -me500, objdump -d).
const EVMERGELO_5_3_4 = 0x10a3222d;
const EVADDW_6_5_5 = 0x10c52a00;
const EVMRA_7_6 = 0x10e604c4;
const EVMWUMIAA_8_3_4 = 0x11032558;
const LWARX_9_0_10 = 0x7d205028;
const STWCX_11_0_10 = 0x7d60512d;
const MFCR_13 = 0x7da00026;

const program = words(
  asm.li(3, 0x1234),
  asm.li(4, 0x5678),
  EVMERGELO_5_3_4, // r5 = 0x1234 : 0x5678
  EVADDW_6_5_5, // r6 = 0x2468 : 0xacf0
  EVMRA_7_6, // ACC = r6
  asm.lis(10, 0x20), // the reservation granule at 0x200000
  asm.li(11, 0x77),
  LWARX_9_0_10,
  asm.li(12, 0x100),
  asm.mtspr(54, 12), // DECAR, which the guest cannot read back
  ...stop(), // ← the snapshot is taken here
  STWCX_11_0_10, // succeeds only if the reservation survived
  MFCR_13,
  EVMWUMIAA_8_3_4, // r8 = ACC + r3 × r4, word by word
  ...stop(),
);

/** Time-dependent registers: they move between two reads even of the same vCPU. */
const CLOCK = new Set(['tb', 'tb_offset', 'dec', 'tbl', 'tbu']);

function runToStop(v: Vcpu): void {
  const e = v.run();
  assert.ok(e.kind === 'mmio' && e.addr === STOP_ADDR, `stopped by ${e.kind}`);
}

async function stoppedMidRun(): Promise<{ vcpu: Vcpu; ram: Uint8Array; ids: RegisterId[]; values: bigint[] }> {
  const { vm, vcpu } = await e500Vm({ code: program });
  vcpu.setRegisters([[CORE.MSR, MSR_SPV]]);
  runToStop(vcpu);
  // Complete the exit in flight (KVM's immediate_exit): afterwards no state hides in the vCPU.
  vcpu.kick();
  assert.equal(vcpu.run().kind, 'interrupted');
  const ids = vcpu.registerList().filter((d) => d.access !== 'read-only').map((d) => d.id);
  const ram = new Uint8Array(RAM_BYTES);
  vm.memory.read(gpa(0), ram);
  return { vcpu, ram, ids, values: vcpu.getRegisters(ids) };
}

async function restored(ram: Uint8Array, ids: readonly RegisterId[], values: readonly bigint[]): Promise<Vcpu> {
  const { vm, vcpu } = await e500Vm();
  vm.memory.write(gpa(0), ram);
  vcpu.setRegisters(ids.map((id, k) => [id, values[k]!] as const));
  return vcpu;
}

function comparable(v: Vcpu): Map<string, bigint> {
  const list = v.registerList().filter((d) => !CLOCK.has(d.name));
  const values = v.getRegisters(list.map((d) => d.id));
  return new Map(list.map((d, k) => [d.name, values[k]!]));
}

describe('vCPU state through registers (e500v2)', () => {
  test('the state registers are listed: SPE upper halves, ACC, pending, reservation, halted, TLB0 victim, TB, DECAR', async () => {
    const { vcpu } = await e500Vm();
    const names = new Set(vcpu.registerList().map((d) => d.name));
    for (const n of ['r0h', 'r31h', 'acc', 'pending', 'reservation', 'halted', 'tlb0_nv', 'tb', 'decar']) assert.ok(names.has(n), n);
    const mc = await e500Vm({ target: 'e500mc' });
    assert.ok(!mc.vcpu.registerList().some((d) => d.name === 'acc' || d.name === 'r0h'), 'no SPE on e500mc');
  });

  test('a snapshot taken mid-run and restored into a fresh VM goes on exactly as the original', async () => {
    const snap = await stoppedMidRun();
    const at = new Map(snap.ids.map((id, k) => [id, snap.values[k]!]));
    assert.equal(at.get(STATE.RESERVATION), (1n << 63n) | 0x200000n, 'the lwarx reservation is held at the snapshot');
    assert.equal(at.get(STATE.ACC), (0x2468n << 32n) | 0xacf0n);
    assert.equal(at.get(gprHighId(5)), 0x1234n);
    assert.equal(at.get(sprId(54)), 0x100n, 'DECAR');
    const copy = await restored(snap.ram, snap.ids, snap.values);
    runToStop(snap.vcpu);
    runToStop(copy);
    const a = comparable(snap.vcpu);
    const b = comparable(copy);
    assert.deepEqual(b, a);
    assert.equal(a.get('r13')! & 0x2000_0000n, 0x2000_0000n, 'stwcx. succeeded (CR0[EQ])');
    assert.equal((a.get('r8h')! << 32n) | a.get('r8')!, (0x2468n << 32n) | ((0xacf0n + 0x1234n * 0x5678n) & 0xffff_ffffn), 'evmwumiaa used the restored ACC');
    assert.equal(a.get('reservation'), 0n, 'stwcx. cleared the reservation');
  });

  test('without the reservation register the restored guest diverges (its stwcx. fails)', async () => {
    const snap = await stoppedMidRun();
    const keep = snap.ids.map((id, k) => [id, snap.values[k]!] as const).filter(([id]) => id !== STATE.RESERVATION);
    const copy = await restored(snap.ram, keep.map(([id]) => id), keep.map(([, v]) => v));
    runToStop(copy);
    assert.equal(copy.getRegister(gprId(13)) & 0x2000_0000n, 0n, 'CR0[EQ] clear: the store did not happen');
  });

  test('pending conditions and the halted state round-trip and take effect', async () => {
    const { vcpu } = await e500Vm({ code: words(asm.nop(), ...stop()) });
    // A doorbell (Pending.Doorbell = 1 << 6) held while MSR[EE] = 0; halted until it can be taken.
    vcpu.setRegisters([
      [STATE.PENDING, 1n << 6n],
      [STATE.HALTED, 1n],
    ]);
    assert.deepEqual(vcpu.getRegisters([STATE.PENDING, STATE.HALTED]), [1n << 6n, 1n]);
    assert.equal(vcpu.run().kind, 'halt', 'a halted vCPU reports the halt first');
    vcpu.setRegisters([[STATE.HALTED, 0n]]);
    runToStop(vcpu);
    assert.equal(vcpu.getRegister(STATE.PENDING), 1n << 6n, 'still pending: MSR[EE] is clear');
    vcpu.setRegisters([[STATE.PENDING, 0xffff_ff00n]]);
    assert.equal(vcpu.getRegister(STATE.PENDING), 0n, 'bits that are not line conditions are ignored');
  });
});

describe('timer state read by the VMM', () => {
  test('a decrementer that ran out while the VMM read TSR still interrupts the guest', async () => {
    // The guest counts down 2^24 iterations; the decrementer handler (IVOR10) stops with r4 = 1,
    // the end of the loop with r4 = 0.
    const handler = 0x2000;
    const code = new Uint8Array(0x1100);
    code.set(words(asm.li(4, 0), asm.lis(5, 0x100), asm.mtspr(9, 5), 0x4200_0000, ...stop()), 0);
    code.set(words(asm.li(4, 1), ...stop()), handler - 0x1000);
    const { vcpu } = await e500Vm({ code });
    const reg = (name: string): RegisterId => vcpu.registerList().find((d) => d.name === name)!.id;
    vcpu.setRegisters([
      [reg('ivpr'), 0n],
      [reg('ivor10'), BigInt(handler)],
      [reg('tcr'), 0x0400_0000n], // DIE
      [reg('dec'), 1n], // runs out at once
      [CORE.MSR, 0x8000n], // EE
    ]);
    await new Promise((r) => setTimeout(r, 5));
    // The read brings the timers up to date, latching TSR[DIS] (as `info registers` does on a paused guest).
    assert.equal(vcpu.getRegister(reg('tsr')) & 0x0800_0000n, 0x0800_0000n, 'TSR[DIS] is set');
    runToStop(vcpu);
    assert.equal(vcpu.getRegister(gprId(4)), 1n, 'the decrementer interrupt was taken, not lost to the read');
  });
});
