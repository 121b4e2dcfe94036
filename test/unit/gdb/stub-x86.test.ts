/**
 * The x86-64 side of the stub over a fake vCPU: the target description gdb's i386 code
 * validates, little-endian register encoding, and registers the vCPU lacks shown as
 * unavailable rather than failing the packet — ready for the kvm accelerator.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type GuestPhysAddr } from '../../../src/api/memory.js';
import { regId, REG_ARCH_X86, type RegisterDescriptor, type RegisterId } from '../../../src/api/registers.js';
import type { GuestDebug, Translation } from '../../../src/api/hypervisor.js';
import { registersOf, targetXml, x86_64Description } from '../../../src/vmm/gdb/target-description.js';
import { plainDebugTranslate, type DebugVcpu, type GdbTarget } from '../../../src/vmm/gdb/target.js';
import { InProcessGdb } from '../../support/gdb-client.js';

function fakeX86(): { target: GdbTarget; values: Map<string, bigint>; ram: Uint8Array; debug: (GuestDebug | null)[] } {
  const names: [string, number][] = [['rax', 8], ['rsp', 8], ['rip', 8], ['rflags', 8], ['xmm0', 16], ['st0', 16]];
  const list: RegisterDescriptor[] = names.map(([name, size], i) => ({ id: regId(REG_ARCH_X86, size as 8 | 16, 1, i), name, size, access: 'read-write' }));
  const values = new Map<string, bigint>([['rax', 0x1122334455667788n], ['rsp', 0x7000n], ['rip', 0x401000n], ['rflags', 0x202n], ['xmm0', (1n << 127n) | 5n], ['st0', 0x3fff8000000000000000n]]);
  const byId = new Map(list.map((d) => [d.id, d.name]));
  const ram = new Uint8Array(0x10000);
  const debug: (GuestDebug | null)[] = [];
  const vcpu: DebugVcpu = {
    id: 0,
    target: 'fake-x86',
    registerList: () => list,
    getRegisters: (ids: readonly RegisterId[]) => ids.map((id) => values.get(byId.get(id)!)!),
    setRegisters: (vs) => {
      for (const [id, v] of vs) values.set(byId.get(id)!, v);
    },
    // Identity paging for the low 64 KiB; everything else unmapped.
    translate: (ea: number): Translation => (ea < ram.length ? { kind: 'mapped', phys: ea, pageSize: 4096, booke: undefined as never } : { kind: 'unmapped' }),
    setGuestDebug: (d) => void debug.push(d),
    swBreakpointInstruction: () => Uint8Array.of(0xcc),
  };
  const memory = {
    read: (a: GuestPhysAddr, dst: Uint8Array) => dst.set(ram.subarray(a, a + dst.length)),
    write: (a: GuestPhysAddr, src: Uint8Array) => ram.set(src, a),
    isMapped: (a: GuestPhysAddr, n: number) => a + n <= ram.length,
  };
  return { target: { vcpus: [vcpu], memory, hwBreakpointSlots: 4, description: x86_64Description(), addressBits: 64, debugTranslate: plainDebugTranslate }, values, ram, debug };
}

test('the x86-64 description has the registers gdb i386 validates, in its numbering', () => {
  const d = x86_64Description();
  const regs = registersOf(d);
  assert.deepEqual(regs.slice(0, 18).map((r) => r.name), ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip', 'eflags']);
  assert.equal(regs.find((r) => r.name === 'st0')!.regnum, 24);
  assert.equal(regs.find((r) => r.name === 'xmm0')!.regnum, 40);
  assert.equal(regs.find((r) => r.name === 'mxcsr')!.regnum, 56);
  assert.equal(d.pcRegnum, 16);
  assert.match(targetXml(d), /<architecture>i386:x86-64<\/architecture>/);
  assert.match(targetXml(d), /<feature name="org.gnu.gdb.i386.sse">/);
});

test('little-endian registers; missing ones are xx in g and errors in P; G skips them', () => {
  const { target, values } = fakeX86();
  const gdb = new InProcessGdb(target, { startHalted: true });
  gdb.stub.connect();
  const stop = gdb.ask('?');
  assert.match(stop, /^T05thread:1;10:0010400000000000;7:0070000000000000;$/);
  const g = gdb.ask('g');
  assert.equal(g.slice(0, 16), '8877665544332211', 'rax little-endian');
  assert.equal(g.slice(16, 32), 'xxxxxxxxxxxxxxxx', 'rbx: the fake vCPU has none');
  assert.equal(gdb.ask('p11'), '02020000', 'eflags from the API register rflags, 32 bits');
  assert.equal(gdb.ask('p18'), '0000000000000080ff3f', 'st0: 80 bits');
  assert.equal(gdb.ask('p28'), '05000000000000000000000000000080', 'xmm0: 128 bits');
  assert.equal(gdb.ask('P1=0100000000000000'), 'E01', 'rbx cannot be written');
  assert.equal(gdb.ask('G' + g.replace(/^.{16}/, '0100000000000000')), 'OK');
  assert.equal(values.get('rax'), 1n);
  assert.equal(gdb.ask('P10=0020400000000000'), 'OK');
  assert.equal(values.get('rip'), 0x402000n);
});

test('x86 software breakpoints are int3 (kind 1), memory beyond 4 GiB addresses is checked, not truncated', () => {
  const { target, ram, debug } = fakeX86();
  const gdb = new InProcessGdb(target, { startHalted: true });
  gdb.stub.connect();
  ram[0x1000] = 0x90;
  assert.equal(gdb.ask('Z0,1000,1'), 'OK');
  assert.equal(ram[0x1000], 0xcc);
  assert.equal(gdb.ask('m1000,1'), '90');
  assert.deepEqual(debug.at(-1), { singleStep: false, softwareBreakpoints: true, hardware: [] });
  assert.equal(gdb.ask('m100001000,4'), 'E0e');
  assert.equal(gdb.ask('z0,1000,1'), 'OK');
  assert.equal(ram[0x1000], 0x90);
  assert.equal(debug.at(-1), null, 'guest debugging off when nothing is set');
});
