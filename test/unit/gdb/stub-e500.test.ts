/**
 * The gdb stub over a real e500 VM in-process: packets in, replies out, the guest run by the
 * same decisions the machine thread makes (running / soloVcpu / debug exits).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BOOKE_TLB_ENTRY_BYTES, MMU_FSL_BOOKE_NOHV, writeTlbEntry } from '../../../src/api/booke.js';
import { Hypervisor, gpa, type Vcpu, type Vm } from '../../../src/api/index.js';
import { CORE, gprId } from '../../../src/accel/e500/registers.js';
import { registersOf } from '../../../src/vmm/gdb/target-description.js';
import { vmTarget } from '../../../src/vmm/gdb/target.js';
import { e500Vm } from '../../support/e500-vm.js';
import { InProcessGdb, runWhileAllowed } from '../../support/gdb-client.js';
import { asm, stop, words } from '../../support/ppc-asm.js';

// 0x1000 li r3,1 / addi / addi / stw r3,0x2000 / addi / stop (lis r2; stw r0,0(r2))
const CODE = [asm.li(3, 1), asm.addi(3, 3, 1), asm.addi(3, 3, 1), asm.stw(3, 0, 0x2000), asm.addi(3, 3, 1), ...stop()];
const be32 = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');

async function session(code = words(...CODE), startHalted = true): Promise<{ vm: Vm; vcpu: Vcpu; gdb: InProcessGdb }> {
  const { vm, vcpu } = await e500Vm({ code });
  const gdb = new InProcessGdb(vmTarget(vm), { startHalted });
  gdb.stub.connect();
  return { vm, vcpu, gdb };
}

/** Parses a T stop reply into its signal and fields. */
function stopFields(reply: string): { signal: number; fields: Map<string, string> } {
  assert.match(reply, /^T[0-9a-f]{2}/, `not a stop reply: ${reply}`);
  const fields = new Map<string, string>();
  for (const part of reply.slice(3).split(';').filter((s) => s !== '')) {
    const i = part.indexOf(':');
    fields.set(part.slice(0, i), part.slice(i + 1));
  }
  return { signal: Number.parseInt(reply.slice(1, 3), 16), fields };
}

test('connection handshake: qSupported, target.xml, threads, first stop reply with pc and sp', async () => {
  const { gdb } = await session();
  const sup = gdb.ask('qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;fork-events+;vContSupported+');
  for (const f of ['PacketSize=3f00', 'qXfer:features:read+', 'swbreak+', 'hwbreak+', 'vContSupported+']) assert.ok(sup.split(';').includes(f), `${f} in ${sup}`);
  let xml = '';
  for (let off = 0; ; ) {
    const r = gdb.ask(`qXfer:features:read:target.xml:${off.toString(16)},200`);
    assert.match(r, /^[ml]/);
    xml += r.slice(1);
    off += r.length - 1;
    if (r[0] === 'l') break;
  }
  assert.match(xml, /<architecture>powerpc:e500<\/architecture>/);
  assert.match(xml, /org\.gnu\.gdb\.power\.core/);
  assert.doesNotMatch(xml, /power\.fpu/, 'e500v2 has no classic FPU');
  assert.match(xml, /name="srr0"/);
  assert.equal(gdb.ask('qXfer:features:read:other.xml:0,100'), 'E0e');
  assert.equal(gdb.ask('qfThreadInfo'), 'm1');
  assert.equal(gdb.ask('qsThreadInfo'), 'l');
  assert.equal(gdb.ask('qAttached'), '1');
  assert.equal(gdb.ask('qC'), 'QC1');
  assert.equal(gdb.ask('vCont?'), 'vCont;c;C;s;S');
  assert.equal(gdb.ask('vMustReplyEmpty'), '');
  assert.equal(gdb.ask('qTStatus'), '', 'unknown queries are empty replies');
  const { signal, fields } = stopFields(gdb.ask('?'));
  assert.equal(signal, 5);
  assert.equal(fields.get('thread'), '1');
  assert.equal(fields.get('40'), be32(0x1000), 'pc (regnum 64) expedited');
  assert.equal(fields.get('1'), be32(0x100000), 'r1 expedited');
});

test('registers are read lazily: a stop reads pc and sp, registerList only when gdb asks for one', async () => {
  const { vm } = await e500Vm({ code: words(...CODE) });
  const real = vm.vcpus()[0]!;
  const calls: string[] = [];
  const counted = new Proxy(real, {
    get(t, k, r) {
      const v = Reflect.get(t, k, r) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        if (k === 'getRegisters') calls.push(`get:${(args[0] as unknown[]).length}`);
        else if (k === 'registerList' || k === 'setRegisters') calls.push(String(k));
        return (v as (...a: unknown[]) => unknown).apply(t, args);
      };
    },
  });
  const base = vmTarget(vm);
  const gdb = new InProcessGdb({ ...base, vcpus: [counted] }, { startHalted: true });
  gdb.stub.connect();
  assert.deepEqual(calls, [], 'connecting reads nothing');
  gdb.ask('?');
  assert.deepEqual(calls, ['registerList', 'get:2']);
  const g = gdb.ask('g');
  assert.equal(g.length, 38 * 8, 'r0-r31, pc, msr, cr, lr, ctr, xer');
  assert.deepEqual(calls.slice(2), ['get:36'], 'only the registers not yet cached');
  gdb.ask('g');
  gdb.ask('p40');
  assert.equal(calls.length, 3, 'cached until the guest runs');
  assert.equal(gdb.ask('p47'), be32(0), 'srr0 via p');
  assert.deepEqual(calls.slice(3), ['get:1']);
  assert.equal(gdb.ask('P3=0000002a'), 'OK');
  assert.equal(gdb.ask('P3=0000002a'), 'OK');
  assert.deepEqual(calls.slice(4), ['setRegisters', 'get:1'], 'an unchanged value is not written again (re-read: the accelerator may normalise writes)');
});

test('g/G/p/P round-trip through the vCPU; bad register packets are errors, not crashes', async () => {
  const { vm, vcpu, gdb } = await session();
  const g = gdb.ask('g');
  const regs = g.match(/.{8}/g)!;
  regs[5] = '12345678'; // r5
  regs[32 + 3] = 'cafe0000'; // lr
  assert.equal(gdb.ask('G' + regs.join('')), 'OK');
  assert.equal(vcpu.getRegister(gprId(5)), 0x12345678n);
  assert.equal(vcpu.getRegister(CORE.LR), 0xcafe0000n);
  assert.equal(gdb.ask('p5'), '12345678');
  assert.equal(gdb.ask('P40=00001008'), 'OK');
  assert.equal(vcpu.getRegister(CORE.PC), 0x1008n);
  assert.equal(gdb.ask('G1234'), 'E16', 'short G');
  assert.equal(gdb.ask('pzz'), 'E16');
  assert.equal(gdb.ask('p20'), 'E16', 'regnum 32 (f0) does not exist on e500v2');
  assert.equal(gdb.ask('P40=0010'), 'E16', 'wrong width');
  assert.equal(gdb.ask('P40'), 'E16');
  // mmucfg is read-only: the API's typed error becomes an error reply, the session goes on.
  const mmucfg = registersOf(vmTarget(vm).description).find((r) => r.name === 'mmucfg')!.regnum;
  assert.equal(gdb.ask(`P${mmucfg.toString(16)}=00000000`), 'E01');
  assert.match(gdb.logs.at(-1)!, /read-only/);
  assert.equal(gdb.ask('p3'), be32(0));
});

test('memory by virtual address: m/M/X through the TLB, unmapped is E0e, partial reads stop at the hole', async () => {
  const { vm, vcpu, gdb } = await session();
  assert.equal(gdb.ask('m1000,8'), be32(CODE[0]!) + be32(CODE[1]!));
  assert.equal(gdb.ask('M2000,4:deadbeef'), 'OK');
  assert.equal(vm.memory.readUint32BE(gpa(0x2000)), 0xdeadbeef);
  assert.equal(gdb.ask('X2004,4:\x00}\x03}\x04}]'), 'OK', 'binary write with escaped #, $ and }');
  assert.equal(vm.memory.readUint32BE(gpa(0x2004)), 0x0023247d);
  // Map EA 0x5000_0000 (4 KiB) to PA 0x2000 in TLB1[1] — a second virtual alias of the data.
  const array = new ArrayBuffer((512 + 16) * BOOKE_TLB_ENTRY_BYTES);
  vcpu.configTlb({ mmuType: MMU_FSL_BOOKE_NOHV, params: { tlbSizes: [512, 16, 0, 0], tlbWays: [4, 16, 0, 0] }, array, arrayLength: array.byteLength });
  const view = new DataView(array);
  writeTlbEntry(view, 512, { mas8: 0, mas1: 0x80000800, mas2: 0, mas7_3: 0x3fn });
  writeTlbEntry(view, 513, { mas8: 0, mas1: 0x80000100, mas2: 0x50000000, mas7_3: 0x2000n | 0x3fn });
  vcpu.dirtyTlb(null, 2);
  assert.equal(gdb.ask('m50000000,4'), 'deadbeef', 'read through the alias');
  assert.equal(gdb.ask('M50000000,4:feedf00d'), 'OK');
  assert.equal(vm.memory.readUint32BE(gpa(0x2000)), 0xfeedf00d, 'written through the alias');
  assert.equal(gdb.ask('m60000000,4'), 'E0e');
  assert.equal(gdb.ask('m50000ffc,8').length, 8, 'the part before the unmapped page');
  assert.equal(gdb.ask('M50000ffc,8:0000000000000000'), 'E0e', 'a write that would stop halfway writes nothing');
  assert.notEqual(vm.memory.readUint32BE(gpa(0x2ffc)), 0xffffffff);
  assert.equal(gdb.ask('mfffffffc,10'), 'E0e', 'the end of the address space');
  for (const bad of ['m1000', 'm,4', 'mzz,4', 'M1000,4:abc', 'M1000,8:00', 'M1000,4', 'X1000,2:}']) assert.equal(gdb.ask(bad), 'E16', bad);
  // Big reads are cut to what fits a packet, never an overlong reply.
  const big = gdb.ask('m0,10000');
  assert.ok(big.length > 0 && big.length <= 0x3f00);
});

test('software breakpoint: planted in memory, hidden from reads, swbreak stop, restored on removal', async () => {
  const { vm, vcpu, gdb } = await session();
  gdb.ask('qSupported:swbreak+;hwbreak+');
  assert.equal(gdb.ask('Z0,1008,4'), 'OK');
  assert.equal(gdb.ask('Z0,1008,4'), 'OK', 'idempotent');
  assert.equal(vm.memory.readUint32BE(gpa(0x1008)), 0x00dddd00, 'the reserved instruction is in guest memory');
  assert.equal(gdb.ask('m1004,8'), be32(CODE[1]!) + be32(CODE[2]!), 'reads show the guest its own code');
  assert.deepEqual(gdb.send('c'), [], 'no reply until the guest stops');
  assert.equal(runWhileAllowed(vm, gdb), 'stopped');
  const { signal, fields } = stopFields(gdb.take()[0]!);
  assert.equal(signal, 5);
  assert.ok(fields.has('swbreak'));
  assert.equal(fields.get('40'), be32(0x1008));
  assert.equal(vcpu.getRegister(gprId(3)), 2n);
  // A write over the breakpoint changes what it restores and keeps it planted.
  assert.equal(gdb.ask(`M1008,4:${be32(asm.addi(3, 3, 0x10))}`), 'OK');
  assert.equal(vm.memory.readUint32BE(gpa(0x1008)), 0x00dddd00);
  assert.equal(gdb.ask('z0,1008,4'), 'OK');
  assert.equal(vm.memory.readUint32BE(gpa(0x1008)), asm.addi(3, 3, 0x10));
  // Nothing maps 0x7ffffff0: kept as an execute breakpoint by effective address (as QEMU's
  // stub keeps breakpoints by virtual address); removed the same way, memory never touched.
  assert.equal(gdb.ask('Z0,7ffffff0,4'), 'OK', 'unmapped breakpoint address');
  assert.equal(gdb.ask('z0,7ffffff0,4'), 'OK');
  gdb.send('c');
  assert.equal(runWhileAllowed(vm, gdb), 'ended');
  assert.deepEqual(gdb.take(), ['W00']);
  assert.equal(vcpu.getRegister(gprId(3)), 2n + 0x10n + 1n);
});

test('software breakpoints never corrupt guest code: misaligned ones are refused, aliases share a plant, m never hides what memory holds', async () => {
  const { vm, vcpu, gdb } = await session();
  const at = (a: number): number => vm.memory.readUint32BE(gpa(a));
  // Two overlapping Z0 (a and a+1) and their removals used to leave 0x7c04dddd-like code behind.
  assert.equal(gdb.ask('Z0,1008,4'), 'OK');
  for (const a of ['1009', '100a', '100b', '1006']) assert.equal(gdb.ask(`Z0,${a},4`), 'E16', `Z0 at 0x${a} straddles instructions`);
  assert.equal(gdb.ask('z0,1009,4'), 'OK', 'removing one that was never set is harmless');
  assert.equal(gdb.ask('z0,1008,4'), 'OK');
  assert.deepEqual([at(0x1000), at(0x1004), at(0x1008), at(0x100c)], CODE.slice(0, 4), 'the code is the guest\'s again');

  // EA 0x5000_1000 aliases PA 0x1000: a breakpoint through each, removed in either order.
  const array = new ArrayBuffer((512 + 16) * BOOKE_TLB_ENTRY_BYTES);
  vcpu.configTlb({ mmuType: MMU_FSL_BOOKE_NOHV, params: { tlbSizes: [512, 16, 0, 0], tlbWays: [4, 16, 0, 0] }, array, arrayLength: array.byteLength });
  writeTlbEntry(new DataView(array), 512, { mas8: 0, mas1: 0x80000800, mas2: 0, mas7_3: 0x3fn });
  writeTlbEntry(new DataView(array), 513, { mas8: 0, mas1: 0x80000100, mas2: 0x50001000, mas7_3: 0x1000n | 0x3fn });
  vcpu.dirtyTlb(null, 2);
  for (const order of [['1008', '50001008'], ['50001008', '1008']] as const) {
    assert.equal(gdb.ask('Z0,1008,4'), 'OK');
    assert.equal(gdb.ask('Z0,50001008,4'), 'OK');
    assert.equal(at(0x1008), 0x00dddd00);
    assert.equal(gdb.ask('m50001008,4'), be32(CODE[2]!), 'the alias reads the guest\'s instruction, not the first trap');
    assert.equal(gdb.ask(`z0,${order[0]},4`), 'OK');
    assert.equal(at(0x1008), 0x00dddd00, 'the other breakpoint still needs the trap');
    assert.equal(gdb.ask(`z0,${order[1]},4`), 'OK');
    assert.equal(at(0x1008), CODE[2]!, `restored (removed ${order.join(' then ')})`);
  }

  // Something other than gdb writes over a planted breakpoint (a loader, self-modifying code):
  // m shows what is there, and the removal leaves it.
  assert.equal(gdb.ask('Z0,100c,4'), 'OK');
  vm.memory.writeUint32BE(gpa(0x100c), 0x60000000);
  assert.equal(gdb.ask('m100c,4'), '60000000', 'no stale original over new code');
  assert.equal(gdb.ask('z0,100c,4'), 'OK');
  assert.equal(at(0x100c), 0x60000000);
  assert.match(gdb.logs.at(-1)!, /breakpoint at 0x100c was overwritten/);
});

test('single-step with s and vCont;s: one instruction per step, stop replies say where', async () => {
  const { vm, gdb } = await session();
  const pcs: number[] = [];
  for (const cmd of ['s', 'vCont;s:1', 'vCont;s:1;c', 'S05', 'vCont;S05:1']) {
    gdb.send(cmd);
    assert.equal(gdb.stub.soloVcpu, 0, `${cmd} runs only the stepping vCPU`);
    runWhileAllowed(vm, gdb);
    const { signal, fields } = stopFields(gdb.take()[0]!);
    assert.equal(signal, 5);
    assert.ok(!fields.has('swbreak') && !fields.has('hwbreak'));
    pcs.push(Number.parseInt(fields.get('40')!, 16));
  }
  assert.deepEqual(pcs, [0x1004, 0x1008, 0x100c, 0x1010, 0x1014]);
  assert.equal(gdb.ask('p3'), be32(4));
  assert.equal(gdb.ask('vCont;x'), 'E16');
  assert.equal(gdb.ask('vCont;s:9'), 'E03', 'no such thread');
  // `s ADDR` resumes at ADDR.
  gdb.send('s1000');
  runWhileAllowed(vm, gdb);
  assert.equal(stopFields(gdb.take()[0]!).fields.get('40'), be32(0x1004));
});

test('hardware breakpoint and watchpoints: hwbreak and watch/rwatch/awatch stop reasons', async () => {
  const { vm, gdb } = await session();
  gdb.ask('qSupported:swbreak+;hwbreak+');
  assert.equal(gdb.ask('Z1,1010,4'), 'OK');
  gdb.send('c');
  runWhileAllowed(vm, gdb);
  let s = stopFields(gdb.take()[0]!);
  assert.ok(s.fields.has('hwbreak'));
  assert.equal(s.fields.get('40'), be32(0x1010));
  assert.equal(gdb.ask('z1,1010,4'), 'OK');
  assert.equal(gdb.ask('Z1,1002,4'), 'E16', 'the accelerator refuses an unaligned instruction address');

  const again = await session();
  assert.equal(again.gdb.ask('Z2,2000,4'), 'OK');
  again.gdb.send('c');
  runWhileAllowed(again.vm, again.gdb);
  s = stopFields(again.gdb.take()[0]!);
  assert.equal(s.fields.get('watch'), '2000');
  assert.equal(again.gdb.ask('z2,2000,4'), 'OK');

  const slots = vmTarget(vm).hwBreakpointSlots;
  const third = await session();
  // A 12-byte watch becomes 8 + 4; enough of them exhaust the slots with ENOSPC.
  let inserted = 0;
  for (let i = 0; i < 16 && third.gdb.ask(`Z4,${(0x3000 + i * 16).toString(16)},c`) === 'OK'; i++) inserted++;
  assert.equal(inserted, Math.floor(slots / 2));
  assert.equal(third.gdb.ask('Z3,4000,4'), slots % 2 === 1 ? 'OK' : 'E1c');
});

test('watch lengths are the client\'s numbers: checked against the free slots and the address width before any work', async () => {
  const { vm, gdb } = await session();
  const slots = vmTarget(vm).hwBreakpointSlots;
  // ~5 × 10^8 pieces of 8 bytes before this was checked (then the heap ran out).
  for (const p of ['Z2,0,ffffffff', 'Z3,0,100000000', 'Z4,1000,fffff000']) assert.equal(gdb.ask(p), 'E1c', p);
  for (const p of ['Z2,fffffffc,8', 'Z3,0,ffffffffffff', 'Z4,1000,1fffffffffffff']) assert.equal(gdb.ask(p), 'E16', `${p}: past the top of the 32-bit address space`);
  // The longest aligned range the slots hold still fits, and then nothing more does.
  assert.equal(gdb.ask(`Z2,2000,${(8 * slots).toString(16)}`), 'OK');
  assert.equal(gdb.ask('Z2,3000,1'), 'E1c');
  assert.equal(gdb.ask(`z2,2000,${(8 * slots).toString(16)}`), 'OK');
  assert.equal(gdb.ask('Z2,3000,1'), 'OK');
});

test('Ctrl-C stops a running guest with SIGINT; detach restores memory and lets the guest run', async () => {
  // A guest that loops forever.
  const loop = words(asm.addi(3, 3, 1), asm.b(-4));
  const { vm, gdb } = await session(loop);
  gdb.ask('qSupported:swbreak+');
  gdb.send('c');
  assert.equal(gdb.stub.running, true);
  // The machine thread gets the Ctrl-C between runs; emulate one run, then the interrupt.
  vm.vcpus()[0]!.kick();
  vm.runVcpus();
  gdb.raw('\x03');
  const s = stopFields(gdb.take()[0]!);
  assert.equal(s.signal, 2);
  assert.equal(gdb.stub.running, false);
  gdb.raw('\x03');
  assert.deepEqual(gdb.take(), [], 'Ctrl-C while stopped is ignored');
  assert.equal(gdb.ask('Z0,1000,4'), 'OK');
  assert.equal(gdb.ask('Z2,2000,4'), 'OK');
  assert.equal(gdb.ask('D'), 'OK');
  assert.equal(vm.memory.readUint32BE(gpa(0x1000)), asm.addi(3, 3, 1), 'breakpoint removed');
  assert.equal(gdb.stub.running, true, 'the guest runs on');
  gdb.stub.disconnect();
  assert.equal(gdb.stub.connected, false);
});

test('a client that disappears leaves no breakpoints behind and resumes a stopped guest', async () => {
  const { vm, gdb } = await session();
  assert.equal(gdb.ask('Z0,1008,4'), 'OK');
  gdb.stub.disconnect();
  assert.equal(vm.memory.readUint32BE(gpa(0x1008)), CODE[2]);
  assert.equal(gdb.stub.running, true);
  assert.equal(runWhileAllowed(vm, gdb), 'ended', 'no debug exit any more: the guest runs to its end');
  assert.deepEqual(gdb.take(), [], 'nobody to tell');
});

test('k kills; malformed packets and unknown commands never end the session', async () => {
  const { gdb } = await session();
  for (const p of ['Z9,1,1', 'Z0,zz,4', 'z', 'Hx1', 'Hg5', 'T7', 'qThreadExtraInfo,9', 'C', 'czz']) {
    const r = gdb.ask(p);
    assert.match(r, /^E[0-9a-f]{2}$/, `${p} → ${r}`);
  }
  assert.equal(gdb.ask('!'), '');
  assert.equal(gdb.ask('Hg1'), 'OK');
  assert.equal(gdb.ask('Hc-1'), 'OK');
  assert.equal(gdb.ask('T1'), 'OK');
  assert.equal(Buffer.from(gdb.ask('qThreadExtraInfo,1'), 'hex').toString(), 'vCPU 0 (e500v2_v30)');
  assert.deepEqual(gdb.send('k'), []);
  assert.equal(gdb.killed, true);
});

/** Two e500 vCPUs with their own identity TLB1 mapping, each at its own code. */
async function twoVcpus(): Promise<Vm> {
  const hv = await Hypervisor.open({ accel: 'e500' });
  const vm = hv.createVm({ name: 'smp' });
  const ram = vm.createMemory(32 << 20);
  vm.setMemoryMap([{ guestAddr: gpa(0), size: 32 << 20, backing: ram, offset: 0 }]);
  for (let id = 0; id < 2; id++) {
    const vcpu = vm.createVcpu(id, { target: 'e500v2' });
    const array = new ArrayBuffer((512 + 16) * BOOKE_TLB_ENTRY_BYTES);
    vcpu.configTlb({ mmuType: MMU_FSL_BOOKE_NOHV, params: { tlbSizes: [512, 16, 0, 0], tlbWays: [4, 16, 0, 0] }, array, arrayLength: array.byteLength });
    writeTlbEntry(new DataView(array), 512, { mas8: 0, mas1: 0x80000800, mas2: 0, mas7_3: 0x3fn });
    vcpu.dirtyTlb(null, 1);
    // vCPU 0 counts in r3 at 0x1000, vCPU 1 in r4 at 0x1100; both loop.
    const base = 0x1000 + id * 0x100;
    vm.memory.write(gpa(base), words(asm.addi(3 + id, 3 + id, 1), asm.b(-4)));
    vcpu.setRegisters([[CORE.PC, BigInt(base)], [CORE.MSR, 0n], [gprId(1), BigInt(0x100000 + id * 0x1000)]]);
  }
  return vm;
}

test('vCPUs are threads: Hg selects registers, a breakpoint names the thread, s holds the others', async () => {
  const vm = await twoVcpus();
  const gdb = new InProcessGdb(vmTarget(vm), { startHalted: true });
  gdb.stub.connect();
  gdb.ask('qSupported:swbreak+');
  assert.equal(gdb.ask('qfThreadInfo'), 'm1,2');
  assert.equal(gdb.ask('Hg2'), 'OK');
  assert.equal(gdb.ask('p40'), be32(0x1100));
  assert.equal(gdb.ask('Hg1'), 'OK');
  assert.equal(gdb.ask('p40'), be32(0x1000));
  // Break in vCPU 1's loop only.
  assert.equal(gdb.ask('Z0,1104,4'), 'OK');
  gdb.send('vCont;c');
  runWhileAllowed(vm, gdb);
  const s = stopFields(gdb.take()[0]!);
  assert.equal(s.fields.get('thread'), '2');
  assert.equal(gdb.ask('qC'), 'QC2', 'the stopped thread becomes the current one');
  assert.equal(gdb.ask('z0,1104,4'), 'OK');
  // Step thread 1 alone: thread 2's counter must not move.
  const r4 = gdb.ask('Hg2') && gdb.ask('p4');
  gdb.ask('Hg1');
  const r3 = Number.parseInt(gdb.ask('p3'), 16);
  gdb.send('vCont;s:1');
  assert.equal(gdb.stub.soloVcpu, 0);
  runWhileAllowed(vm, gdb);
  assert.equal(stopFields(gdb.take()[0]!).fields.get('thread'), '1');
  assert.equal(Number.parseInt(gdb.ask('p3'), 16), r3 + 1);
  gdb.ask('Hg2');
  assert.equal(gdb.ask('p4'), r4, 'the other thread was held');
  // Step thread 2 while thread 1 continues: both run.
  gdb.send('vCont;s:2;c');
  assert.equal(gdb.stub.soloVcpu, null);
  runWhileAllowed(vm, gdb);
  assert.equal(stopFields(gdb.take()[0]!).fields.get('thread'), '2');
});
