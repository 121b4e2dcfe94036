import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import {
  Hypervisor,
  InvalidArgumentError,
  ReadOnlyRegisterError,
  RegisterSizeError,
  UnknownRegisterError,
  UnsupportedError,
  UnsupportedFeatureError,
  UnsupportedTargetError,
  VcpuExistsError,
  WrongThreadError,
  asRegisterId,
  attachVcpu,
  gpa,
  regArch,
  regNumber,
  regSet,
  regSize,
  type RegisterId,
} from '../../../src/api/index.js';
import { BOOKE_TLB_ENTRY_BYTES, MMU_FSL_BOOKE_HV, MMU_FSL_BOOKE_NOHV } from '../../../src/api/booke.js';
import { CORE, KVM_REG_PPC, gprId, sprId } from '../../../src/accel/e500/registers.js';
import { STOP_ADDR, addE500Vcpu, e500Vm } from '../../support/e500-vm.js';
import { asm, stop, words } from '../../support/ppc-asm.js';

async function freshVm() {
  return (await Hypervisor.open({ accel: 'e500' })).createVm();
}

describe('Hypervisor.open and capabilities', () => {
  test('unknown accelerators are rejected with the list of known ones', async () => {
    await assert.rejects(Hypervisor.open({ accel: 'xen' as never }), (e: unknown) => e instanceof InvalidArgumentError && /e500, kvm/.test(e.message));
  });

  test('the e500 accelerator reports its capabilities; unknown ones are 0', async () => {
    const hv = await Hypervisor.open({ accel: 'e500' });
    assert.equal(hv.arch, 'ppc');
    assert.equal(hv.checkExtension('one-reg'), 1);
    assert.equal(hv.checkExtension('max-phys-bits'), 36);
    assert.equal(hv.checkExtension('sw-tlb'), 1);
    assert.equal(hv.checkExtension('x86-irqchip'), 0, 'absent features are not listed');
    assert.ok(hv.targets().includes('e500v2_v30') && hv.targets().includes('e500mc'));
    for (const [cap, v] of hv.capabilities()) assert.ok(v > 0, `${cap} listed with 0`);
  });
});

describe('createVcpu: the init handshake', () => {
  test('an unknown target is an error naming the available ones', async () => {
    const vm = await freshVm();
    assert.throws(() => vm.createVcpu(0, { target: 'e600' }), (e: unknown) => e instanceof UnsupportedTargetError && /e500mc/.test(e.message));
  });

  test('an unknown feature is an error, never ignored', async () => {
    const vm = await freshVm();
    assert.throws(() => vm.createVcpu(0, { target: 'e500mc', features: ['altivec'] }), UnsupportedFeatureError);
  });

  test('ids are unique and in range; core families cannot be mixed', async () => {
    const vm = await freshVm();
    vm.createVcpu(0, { target: 'e500v2_v30' });
    assert.throws(() => vm.createVcpu(0, { target: 'e500v2_v30' }), VcpuExistsError);
    assert.throws(() => vm.createVcpu(99, { target: 'e500v2_v30' }), InvalidArgumentError);
    assert.throws(() => vm.createVcpu(1, { target: 'e500mc' }), UnsupportedTargetError);
  });

  test('QEMU model names give QEMU PVRs', async () => {
    const vm = await freshVm();
    const pvr = (t: string, id: number) => vm.createVcpu(id, { target: t }).getRegister(sprId(287));
    assert.equal(pvr('e500v2_v30', 0), 0x80210030n);
    assert.equal(pvr('e500v2', 1), 0x80210022n);
    assert.equal(pvr('e500v2_v10', 2), 0x80210010n);
    const vm2 = await freshVm();
    assert.equal(vm2.createVcpu(0, { target: 'e500mc' }).getRegister(sprId(287)), 0x80230020n);
  });
});

describe('tag/value registers', () => {
  test('the register list is self-describing and consistent with the ids', async () => {
    const { vcpu } = await e500Vm({ target: 'e500mc' });
    const list = vcpu.registerList();
    const ids = new Set(list.map((r) => r.id));
    assert.equal(ids.size, list.length, 'ids are unique');
    for (const r of list) {
      assert.equal(regArch(r.id), 0x10n, `${r.name}: PowerPC id`);
      assert.equal(regSize(r.id), r.size, `${r.name}: size in the id matches`);
      assert.match(r.name, /^[a-z0-9_]+$/);
    }
    const names = new Set(list.map((r) => r.name));
    for (const n of ['r0', 'r31', 'pc', 'msr', 'cr', 'lr', 'ctr', 'xer', 'srr0', 'mas1', 'tcr', 'f31', 'fpscr', 'pvr']) assert.ok(names.has(n), n);
  });

  test('upstream KVM ONE_REG ids are used where they exist', () => {
    assert.equal(KVM_REG_PPC.TCR, 0x1020000000000089n);
    assert.equal(KVM_REG_PPC.MAS7_3, 0x103000000000008fn);
    assert.equal(KVM_REG_PPC.FPR0, 0x1030000000000020n);
    assert.equal(regSet(gprId(3)), 1);
    assert.equal(regNumber(sprId(1008)), 1008);
  });

  test('get/set any subset in one call round-trips', async () => {
    const { vcpu } = await e500Vm();
    const values: [RegisterId, bigint][] = [
      [gprId(0), 0xffffffffn],
      [gprId(17), 0x12345678n],
      [CORE.LR, 0x1000n],
      [CORE.CTR, 7n],
      [CORE.CR, 0x80000001n],
      [CORE.XER, 0xe000007fn],
      [sprId(272), 0xabcdef01n],
      [KVM_REG_PPC.MAS2, 0x6000000an],
      [KVM_REG_PPC.MAS7_3, 0x0000000f_e0000015n],
    ];
    vcpu.setRegisters(values);
    assert.deepEqual(
      vcpu.getRegisters(values.map(([id]) => id)),
      values.map(([, v]) => v),
    );
  });

  test('unknown ids, wrong sizes, values too large and read-only registers are typed errors', async () => {
    const { vcpu } = await e500Vm();
    assert.throws(() => vcpu.getRegister(asRegisterId(0x1020000000fff001n)), UnknownRegisterError);
    // r3 with a 64-bit size field
    assert.throws(() => vcpu.getRegister(asRegisterId(gprId(3) | (3n << 52n))), (e: unknown) => e instanceof RegisterSizeError && /r3 is 32-bit/.test((e as Error).message));
    assert.throws(() => vcpu.setRegister(gprId(3), 1n << 32n), RegisterSizeError);
    assert.throws(() => vcpu.setRegister(KVM_REG_PPC.TLB1CFG, 0n), ReadOnlyRegisterError);
  });

  test('a batch with one bad entry changes nothing', async () => {
    const { vcpu } = await e500Vm();
    vcpu.setRegister(gprId(5), 5n);
    assert.throws(() => vcpu.setRegisters([[gprId(5), 6n], [asRegisterId(0x1020000000fff001n), 0n]]));
    assert.equal(vcpu.getRegister(gprId(5)), 5n);
  });

  test('the host may set the guest-read-only PVR', async () => {
    const { vcpu } = await e500Vm();
    vcpu.setRegister(sprId(287), 0x80210099n);
    assert.equal(vcpu.getRegister(sprId(287)), 0x80210099n);
    assert.equal(vcpu.registerList().find((r) => r.name === 'pvr')?.access, 'guest-read-only');
  });
});

describe('exits', () => {
  test('MMIO read and write exits carry address, size and big-endian data; reads complete with the answer', async () => {
    const { vcpu } = await e500Vm({
      code: words(asm.lis(3, 0x0300), asm.lwz(4, 3, 0x10), asm.stb(4, 3, 0x21), asm.lbz(5, 3, 0x22), ...stop()),
    });
    const rd = vcpu.run();
    assert.ok(rd.kind === 'mmio');
    assert.deepEqual([rd.addr, rd.size, rd.isWrite], [0x0300_0010, 4, false]);
    rd.data.set([0xa1, 0xb2, 0xc3, 0xd4]);
    const wr = vcpu.run();
    assert.ok(wr.kind === 'mmio');
    assert.deepEqual([wr.addr, wr.size, wr.isWrite, [...wr.data]], [0x0300_0021, 1, true, [0xd4]]);
    const rb = vcpu.run();
    assert.ok(rb.kind === 'mmio' && rb.size === 1 && !rb.isWrite);
    rb.data[0] = 0x99;
    const end = vcpu.run();
    assert.ok(end.kind === 'mmio' && end.addr === STOP_ADDR);
    assert.equal(vcpu.getRegister(gprId(4)), 0xa1b2c3d4n);
    assert.equal(vcpu.getRegister(gprId(5)), 0x99n);
    assert.equal(vcpu.stats()['mmio'], 4);
  });

  test('lmw across MMIO: one exit per word, registers written once all are read', async () => {
    const { vcpu } = await e500Vm({ code: words(asm.lis(3, 0x0300), asm.lmw(29, 3, 0x40), ...stop()) });
    for (let k = 0; k < 3; k++) {
      const e = vcpu.run();
      assert.ok(e.kind === 'mmio' && e.addr === 0x0300_0040 + 4 * k && !e.isWrite, `word ${k}`);
      e.data.set([0, 0, 0, 0x10 + k]);
      if (k < 2) assert.equal(vcpu.getRegister(gprId(29)), 0n, 'no register written before the last word');
    }
    vcpu.run();
    assert.deepEqual(vcpu.getRegisters([gprId(29), gprId(30), gprId(31)]), [0x10n, 0x11n, 0x12n]);
  });

  test('DCR exits only with the dcr feature; without it mfdcr is an illegal instruction', async () => {
    const { vcpu } = await e500Vm({ features: ['dcr'], code: words(asm.li(4, 0x55), asm.mtdcr(0x123, 4), asm.mfdcr(5, 0x80), ...stop()) });
    const w = vcpu.run();
    assert.ok(w.kind === 'dcr' && w.isWrite && w.dcrn === 0x123 && w.data === 0x55);
    const r = vcpu.run();
    assert.ok(r.kind === 'dcr' && !r.isWrite && r.dcrn === 0x80);
    r.data = 0xfeedface;
    vcpu.run();
    assert.equal(vcpu.getRegister(gprId(5)), 0xfeedfacen);

    const plain = await e500Vm({ code: words(asm.mfdcr(5, 0x80), ...stop()) });
    plain.vcpu.setRegisters([[sprId(63), 0x20000n], [sprId(406), 0x100n]]);
    plain.vm.memory.write(gpa(0x20100), words(...stop()));
    const e = plain.vcpu.run();
    assert.ok(e.kind === 'mmio' && e.addr === STOP_ADDR);
    assert.equal(plain.vcpu.getRegister(sprId(62)), 0x08000000n, 'ESR[PIL]');
    assert.equal(plain.vcpu.getRegister(sprId(26)), 0x1000n, 'SRR0 = the mfdcr');
  });

  test('ePAPR hypercalls exit with the token and arguments and return the answer (e500mc: sc 1)', async () => {
    const { vcpu } = await e500Vm({
      target: 'e500mc',
      features: ['epapr-hcall'],
      code: words(asm.li(11, 0x4242), asm.li(3, 1), asm.li(4, 2), asm.sc(1), ...stop()),
    });
    const h = vcpu.run();
    assert.ok(h.kind === 'hypercall');
    assert.equal(h.nr, 0x4242);
    assert.deepEqual([...h.args.subarray(0, 2)], [1, 2]);
    assert.equal(h.ret[0], 12, 'EV_UNIMPLEMENTED unless the VMM answers');
    h.ret[0] = 0;
    h.ret[1] = 0x777;
    assert.equal(vcpu.run().kind, 'mmio');
    assert.deepEqual(vcpu.getRegisters([gprId(3), gprId(4)]), [0n, 0x777n]);
  });

  test('e500v2 hypercalls use the KVM magic in r0', async () => {
    const { vcpu } = await e500Vm({
      features: ['epapr-hcall'],
      code: words(asm.lis(0, 0x4b56), asm.ori(0, 0, 0x4d52), asm.li(11, 7), asm.sc(0), ...stop()),
    });
    const h = vcpu.run();
    assert.ok(h.kind === 'hypercall' && h.nr === 7);
  });

  test('wait halts (e500mc); the next run sleeps until the decrementer fires', async () => {
    const { vm, vcpu } = await e500Vm({
      target: 'e500mc',
      code: words(asm.lis(3, 0x0400), asm.mtspr(340, 3), asm.lis(3, 0x0010), asm.mtspr(22, 3), asm.wrteei(1), asm.wait(), ...stop()),
    });
    // Decrementer vector: IVPR 0x20000 + IVOR10 0x300 → stop.
    vcpu.setRegisters([[sprId(63), 0x20000n], [sprId(410), 0x300n]]);
    vm.memory.write(gpa(0x20300), words(...stop()));
    assert.equal(vcpu.run().kind, 'halt');
    // The run returns at the decrementer's handler: it woke up (however long the host took).
    const e = vcpu.run();
    assert.ok(e.kind === 'mmio' && e.addr === STOP_ADDR);
    assert.equal(vcpu.getRegister(sprId(26)), 0x1018n, 'SRR0 points after the wait');
    assert.equal(vcpu.stats()['halt'], 1);
  });

  test('an idle loop (b . with interrupts on) sleeps until the decrementer, which is taken at the branch', async () => {
    const { vm, vcpu } = await e500Vm({
      target: 'e500mc',
      code: words(asm.lis(3, 0x0400), asm.mtspr(340, 3), asm.lis(3, 0x0100), asm.mtspr(22, 3), asm.wrteei(1), asm.b(0)),
    });
    vcpu.setRegisters([[sprId(63), 0x20000n], [sprId(410), 0x300n]]);
    vm.memory.write(gpa(0x20300), words(...stop()));
    const e = vcpu.run();
    assert.ok(e.kind === 'mmio' && e.addr === STOP_ADDR, `the decrementer handler ran (got ${e.kind})`);
    assert.equal(vcpu.getRegister(sprId(26)), 0x1014n, 'SRR0 is the branch: the interrupt came while it looped');
    const stats = vcpu.stats();
    assert.equal(stats['idle-loops'], 1);
    assert.equal(stats['halt'] ?? 0, 0, 'no halt exit: the guest did not execute wait');
    // 2^24 ticks at 400 MHz (~42 ms) asleep, not spinning: the branch did not execute.
    assert.ok(Number(stats['instructions']) < 20, `${String(stats['instructions'])} instructions ran`);
  });

  test('kick() makes the next run return interrupted, and interrupts a spinning guest from another thread', async () => {
    const { vcpu } = await e500Vm({ code: words(asm.b(0)) });
    vcpu.kick();
    assert.equal(vcpu.run().kind, 'interrupted');
    const h = vcpu.handle();
    const worker = new Worker(
      `const { workerData } = require('node:worker_threads');
       const ctl = new Int32Array(workerData.control);
       setTimeout(() => { Atomics.store(ctl, 0, 1); Atomics.notify(ctl, 0); }, 50);`,
      { eval: true, workerData: h },
    );
    assert.equal(vcpu.run().kind, 'interrupted');
    await worker.terminate();
  });

  test('a vCPU handle used on another thread can kick but not run', async () => {
    const { vcpu } = await e500Vm({ code: words(asm.b(0)) });
    const h = vcpu.handle();
    const url = new URL('../../../src/api/threads.js', import.meta.url);
    const worker = new Worker(
      `const { workerData, parentPort } = require('node:worker_threads');
       import(workerData.url).then(({ attachVcpu }) => {
         const remote = attachVcpu(workerData.h);
         let code = 'none';
         try { remote.run(); } catch (e) { code = e.code; }
         remote.kick();
         parentPort.postMessage(code);
       });`,
      { eval: true, workerData: { h, url: url.href } },
    );
    const code = await new Promise((resolve) => worker.once('message', resolve));
    assert.equal(code, 'ERR_WRONG_THREAD');
    assert.equal(vcpu.run().kind, 'interrupted');
    await worker.terminate();
    assert.throws(() => attachVcpu(h).run(), WrongThreadError);
  });

  test('an instruction the model cannot execute injects a program interrupt and is counted', async () => {
    // e500v2 with MSR[SPE]: an opcode-4 word that is not an SPE instruction.
    const { vm, vcpu } = await e500Vm({ code: words(0x100007ff, ...stop()) });
    vcpu.setRegisters([[CORE.MSR, 0x02000000n], [sprId(63), 0x20000n], [sprId(406), 0x100n]]);
    vm.memory.write(gpa(0x20100), words(...stop()));
    const logged: string[] = [];
    const origWrite = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => (logged.push(String(s)), true)) as typeof process.stderr.write;
    try {
      assert.equal(vcpu.run().kind, 'mmio');
    } finally {
      process.stderr.write = origWrite;
    }
    assert.equal(vcpu.stats()['emulation-failure'], 1);
    assert.equal(vcpu.getRegister(sprId(62)), 0x08000000n);
    assert.ok(logged.some((l) => /cannot emulate instruction 0x100007ff/.test(l)), 'the failure is logged');
  });
});

describe('time base', () => {
  test('the vCPUs of a VM share one time base, however far apart they were created', async () => {
    // Each reads TBU and TBL into r3, r4 and stops; vCPU 1 is created 50 ms after vCPU 0 and
    // reads after it, so its time base must not be behind (Linux moves tasks between CPUs
    // and expects CLOCK_MONOTONIC to agree on all of them).
    const readTb = words(asm.mfspr(3, 269), asm.mfspr(4, 268), ...stop());
    const { vm, vcpu: first } = await e500Vm({ code: readTb });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = addE500Vcpu(vm, 1, { entry: 0x1000 });
    const tb = (v: typeof first): bigint => {
      const e = v.run();
      assert.ok(e.kind === 'mmio' && e.addr === STOP_ADDR, `stopped by ${e.kind}`);
      return (v.getRegister(gprId(3)) << 32n) | v.getRegister(gprId(4));
    };
    const t0 = tb(first);
    const t1 = tb(second);
    assert.ok(t1 >= t0, `vCPU 1 read TB ${t1} after vCPU 0 read ${t0}: ${t0 - t1} ticks behind`);
  });
});

describe('interrupt lines', () => {
  test('the external line raises IVOR4 when MSR[EE] is set; unknown lines are errors', async () => {
    const { vm, vcpu } = await e500Vm({ code: words(asm.wrteei(1), asm.b(0)) });
    vcpu.setRegisters([[sprId(63), 0x20000n], [sprId(404), 0x200n]]);
    vm.memory.write(gpa(0x20200), words(...stop()));
    vcpu.setInterruptLine('external', true);
    assert.ok(vcpu.run().kind === 'mmio');
    assert.equal(vcpu.getRegister(sprId(26)), 0x1004n);
    assert.throws(() => vcpu.setInterruptLine('machine-check', true), UnsupportedError);
    assert.throws(() => vcpu.setInterruptLine('nmi' as never, true), InvalidArgumentError);
  });
});

describe('configTlb validation (KVM_CAP_SW_TLB)', () => {
  const cases: [string, Partial<{ sizes: number[]; ways: number[]; reserved: number[]; len: number; type: number }>, RegExp][] = [
    ['unknown MMU type', { type: 7 }, /unknown MMU type/],
    ['TLB0 ways not a power of two', { ways: [3, 16, 0, 0] }, /power of two/],
    ['TLB0 sets not a power of two', { sizes: [12, 16, 0, 0] }, /sets must be a power of two/],
    ['TLB1 too large', { sizes: [512, 65, 0, 0], ways: [4, 65, 0, 0] }, /1 to 64/],
    ['TLB1 not fully associative', { ways: [4, 8, 0, 0] }, /fully associative/],
    ['TLB2 present', { sizes: [512, 16, 4, 0] }, /TLB2 and TLB3 must be 0/],
    ['reserved words non-zero', { reserved: [0, 1, 0, 0, 0, 0, 0, 0] }, /reserved/],
    ['array too short', { len: 100 }, /too short/],
  ];
  for (const [what, c, msg] of cases) {
    test(what, async () => {
      const { vcpu } = await e500Vm();
      const sizes = c.sizes ?? [512, 16, 0, 0];
      const ways = c.ways ?? [4, 16, 0, 0];
      const len = c.len ?? (sizes[0]! + sizes[1]!) * BOOKE_TLB_ENTRY_BYTES;
      assert.throws(
        () =>
          vcpu.configTlb({
            mmuType: (c.type ?? MMU_FSL_BOOKE_NOHV) as 0,
            params: { tlbSizes: sizes as [number, number, number, number], tlbWays: ways as [number, number, number, number], ...(c.reserved ? { reserved: c.reserved } : {}) },
            array: new ArrayBuffer(Math.max(len, 4096 * 24)),
            arrayLength: len,
          }),
        msg,
      );
    });
  }

  test('the MMU type must match the core', async () => {
    const { vcpu } = await e500Vm();
    assert.throws(
      () => vcpu.configTlb({ mmuType: MMU_FSL_BOOKE_HV, params: { tlbSizes: [512, 16, 0, 0], tlbWays: [4, 16, 0, 0] }, array: new ArrayBuffer(528 * 24), arrayLength: 528 * 24 }),
      UnsupportedError,
    );
  });

  test('a larger geometry is reflected in TLBnCFG (NENTRY 0 above 2048 entries)', async () => {
    const { vcpu } = await e500Vm();
    const n = 16384 + 64;
    vcpu.configTlb({ mmuType: MMU_FSL_BOOKE_NOHV, params: { tlbSizes: [16384, 64, 0, 0], tlbWays: [8, 64, 0, 0] }, array: new ArrayBuffer(n * 24), arrayLength: n * 24 });
    const [t0, t1] = vcpu.getRegisters([KVM_REG_PPC.TLB0CFG, KVM_REG_PPC.TLB1CFG]);
    assert.equal(Number(t0!) & 0xfff, 0);
    assert.equal(Number(t0!) >>> 24, 8);
    assert.equal(Number(t1!) & 0xfff, 64);
  });
});
