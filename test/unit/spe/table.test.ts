/** The SPE table: opcodes agree with binutils, nothing is missing, MSR[SPE] gating. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SPE_DEFS } from '../../../src/accel/e500/insn/spe.js';
import { Ivor, ESR } from '../../../src/accel/e500/interrupts.js';
import { Harness } from './cpu-harness.js';
import { OPCODES } from './encoding.js';

test('every table entry has the opcode binutils gives its mnemonic', () => {
  for (const s of SPE_DEFS) {
    const ops = OPCODES.get(s.name);
    assert.ok(ops !== undefined, `${s.name} unknown to binutils`);
    assert.ok(ops.includes(s.xo!), `${s.name}: table 0x${s.xo!.toString(16)}, binutils ${ops.map((o) => o.toString(16))}`);
    assert.equal(s.op, 4);
    assert.equal(s.xoKind, 'evx');
  }
});

test('every e500v2 SPE/EFP mnemonic is in the table, each opcode once', () => {
  const seen = new Map<number, string>();
  for (const s of SPE_DEFS) {
    assert.ok(!seen.has(s.xo!), `0x${s.xo!.toString(16)} used by ${seen.get(s.xo!)} and ${s.name}`);
    seen.set(s.xo!, s.name);
  }
  for (const [name, ops] of OPCODES) for (const o of ops) assert.equal(seen.get(o), name, `${name} (0x${o.toString(16)}) missing`);
  assert.equal(seen.size, [...OPCODES.values()].reduce((n, l) => n + l.length, 0));
});

/** Scalar single precision (but efscfd) and brinc run with MSR[SPE]=0; the rest need it. */
function runsWithoutSpe(name: string): boolean {
  return name === 'brinc' || (name.startsWith('efs') && name !== 'efscfd');
}

test('MSR[SPE]=0: SPE unavailable (ESR[SPV]) for vector and double instructions only', () => {
  for (const s of SPE_DEFS) {
    const h = new Harness();
    h.cpu.setMsr(0);
    h.set64(4, 0x11111111, 0x22222222);
    h.set64(1, 0, 0x100);
    h.set64(2, 0, 0);
    // rD=4 (crfD=1), rA=1 (a valid aligned address for loads/stores), rB=2 (0 where reserved)
    const rb = ((s.reserved ?? 0) & 0xf800) !== 0 ? 0 : 2;
    const f = h.runWord((((4 << 26) | (4 << 21) | (1 << 16) | (rb << 11) | s.xo!) >>> 0));
    if (runsWithoutSpe(s.name)) {
      assert.equal(f, null, `${s.name} should run without MSR[SPE]`);
    } else {
      assert.deepEqual(f, { ivor: Ivor.SpeUnavailable, esr: ESR.SPV, dear: undefined, after: false }, s.name);
      assert.deepEqual(h.get64(4), [0x11111111, 0x22222222], `${s.name} wrote rD`);
    }
  }
});

test('opcode-4 words outside the table: illegal with MSR[SPE]=1, SPE unavailable without', () => {
  const h = new Harness();
  const f = h.runWord(0x10a63a01);
  assert.equal(f?.ivor, Ivor.Program);
  assert.equal(f?.esr, ESR.PIL);
  h.cpu.setMsr(0);
  assert.equal(h.runWord(0x10a63a01)?.ivor, Ivor.SpeUnavailable);
});
