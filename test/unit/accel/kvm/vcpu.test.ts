/**
 * The kvm vCPU and VM as API objects: capabilities, the init handshake, typed errors,
 * register round trips for every set, thread binding.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import {
  ClosedError,
  EmptyRegionError,
  Hypervisor,
  InvalidArgumentError,
  ReadOnlyRegisterError,
  RegionAlignmentError,
  RegionOverlapError,
  RegisterSizeError,
  UnknownRegisterError,
  UnsupportedError,
  UnsupportedFeatureError,
  UnsupportedTargetError,
  VcpuExistsError,
  X86_SET,
  asRegisterId,
  gpa,
  regSet,
  x86Control,
  x86Debug,
  x86Dtable,
  x86Event,
  x86Gpr,
  x86Lapic,
  x86MsrId,
  x86Segment,
  x86Xmm,
  type RegisterId,
} from '../../../../src/api/index.js';
import { KVM_SKIP, loadLongMode, machine } from '../../../support/kvm-vm.js';

describe('kvm: hypervisor and VM', { skip: KVM_SKIP }, () => {
  test('capabilities come from KVM_CHECK_EXTENSION under the API names', async () => {
    const hv = await Hypervisor.open({ accel: 'kvm' });
    try {
      assert.equal(hv.accel, 'kvm');
      assert.equal(hv.arch, 'x86_64');
      assert.deepEqual(hv.targets(), ['host']);
      for (const cap of ['one-reg', 'dirty-log', 'readonly-mem', 'immediate-exit', 'ioeventfd', 'irqfd', 'signal-msi', 'x86-split-irqchip', 'guest-debug'] as const) {
        assert.equal(hv.checkExtension(cap), 1, cap);
      }
      assert.ok(hv.checkExtension('max-vcpus') >= 1);
      assert.ok(hv.checkExtension('gsi-routing') >= 24);
      assert.equal(hv.checkExtension('guest-debug-hw-bps'), 4);
      assert.equal(hv.checkExtension('sw-tlb'), 0, 'Book E only');
      assert.equal(hv.checkExtension('cooperative-vcpus'), 0);
      for (const [cap, v] of hv.capabilities()) assert.ok(v > 0, `${cap} listed with 0`);
    } finally {
      hv.close();
    }
  });

  test('createVcpu: unknown target or feature, duplicate id', async () => {
    const m = await machine();
    try {
      assert.throws(() => m.vm.createVcpu(1, { target: 'e500mc' }), (e: unknown) => e instanceof UnsupportedTargetError && /host/.test(e.message));
      assert.throws(() => m.vm.createVcpu(1, { target: 'host', features: ['avx512'] }), UnsupportedFeatureError);
      assert.throws(() => m.vm.createVcpu(0, { target: 'host' }), VcpuExistsError);
      assert.throws(() => m.vm.createVcpu(-1, { target: 'host' }), InvalidArgumentError);
    } finally {
      m.close();
    }
  });

  test('memory maps: overlaps, misalignment and empty regions are typed errors and the old map stays', async () => {
    const m = await machine();
    try {
      const before = m.vm.memoryMap();
      const b = m.vm.createMemory(0x4000);
      assert.throws(() => m.vm.setMemoryMap([...before, { guestAddr: gpa(0x1000), size: 0x1000, backing: b, offset: 0 }]), RegionOverlapError);
      assert.throws(() => m.vm.setMemoryMap([{ guestAddr: gpa(0x800), size: 0x1000, backing: b, offset: 0 }]), RegionAlignmentError);
      assert.throws(() => m.vm.setMemoryMap([{ guestAddr: gpa(0), size: 0, backing: b, offset: 0 }]), EmptyRegionError);
      assert.deepEqual(m.vm.memoryMap(), before);
      assert.throws(() => m.vm.createMemory(100), InvalidArgumentError);
    } finally {
      m.close();
    }
  });

  test('aliases: one backing at two guest addresses shows the same bytes', async () => {
    const m = await machine();
    try {
      const ram = m.vm.memoryMap()[0]!;
      const shared = m.vm.createMemory(0x2000, { name: 'shared' });
      m.vm.setMemoryMap([
        ram,
        { guestAddr: gpa(0x30000000), size: 0x2000, backing: shared, offset: 0 },
        { guestAddr: gpa(0x30100000), size: 0x1000, backing: shared, offset: 0x1000 },
      ]);
      loadLongMode(m, `movl $0x5a5aa5a5, 0x30001008\nmov 0x30100008, %eax\nmov %eax, 0x3f000000\nud2`, { cpl: 3 });
      const e = m.vcpu.run();
      assert.equal(e.kind, 'mmio');
      assert.equal(e.kind === 'mmio' && new DataView(e.data.buffer, e.data.byteOffset, 4).getUint32(0, true), 0x5a5aa5a5);
      assert.equal(shared.view.getUint32(0x1008, true), 0x5a5aa5a5);
    } finally {
      m.close();
    }
  });

  test('enableCap: unknown caps and a split irqchip after the first vCPU are errors', async () => {
    const m = await machine();
    try {
      assert.throws(() => m.vm.enableCap('x86-split-irqchip', [24]), /before the first vCPU/);
      assert.throws(() => m.vm.enableCap('warp-drive'), UnsupportedError);
      assert.throws(() => m.vcpu.enableCap('ppc-epr', [1]), UnsupportedError);
      assert.throws(() => m.vm.irqEvent({ gsi: 1 }), /in-kernel interrupt controller/);
      assert.throws(() => m.vm.runVcpus(), UnsupportedError);
      assert.throws(() => m.vcpu.setInterruptLine('external', true), UnsupportedError);
    } finally {
      m.close();
    }
  });
});

describe('kvm: registers', { skip: KVM_SKIP }, () => {
  test('registerList describes every set with consistent ids, sizes and names', async () => {
    const m = await machine({ splitIrqchip: true });
    try {
      const list = m.vcpu.registerList();
      const sets = new Set<number | 'msr'>(list.map((r) => (((r.id >> 32n) & 0xffn) === 0n ? regSet(r.id) : 'msr')));
      for (const s of [...Object.values(X86_SET), 'msr' as const]) assert.ok(sets.has(s), `set ${s} present`);
      assert.equal(new Set(list.map((r) => r.id)).size, list.length, 'ids are unique');
      for (const r of list) assert.equal(1 << Number((r.id >> 52n) & 0xfn), r.size, `${r.name}: size field of the id`);
      assert.equal(list.find((r) => r.id === x86Gpr('rip'))?.name, 'rip');
      assert.ok(list.some((r) => r.id === x86MsrId(0xc0000081)), 'STAR is in the MSR list (KVM_GET_MSR_INDEX_LIST)');
      assert.ok(list.some((r) => r.id === x86Control('efer')), 'EFER is in the control set (it lives in kvm_sregs)');
    } finally {
      m.close();
    }
  });

  test('round trips for GPRs, segments, descriptor tables, control registers, FPU/SSE, XSAVE, debug registers, events, LAPIC and MSRs', async () => {
    const m = await machine({ splitIrqchip: true });
    try {
      loadLongMode(m, 'ud2', { cpl: 0 });
      const v = m.vcpu;
      const values: [RegisterId, bigint][] = [];
      ['rax', 'rcx', 'rdx', 'rbx', 'rsi', 'rdi', 'rbp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'].forEach((n, i) =>
        values.push([x86Gpr(n as 'rax'), 0x0123456789abcdefn ^ BigInt(i * 0x1111)]),
      );
      values.push([x86Gpr('rsp'), 0x7ff0n], [x86Gpr('rip'), 0x10000n], [x86Gpr('rflags'), 0x202n]);
      values.push([x86Segment('fs', 'base'), 0x7fff12340000n], [x86Segment('gs', 'base'), 0xffff800000001000n], [x86Segment('fs', 'selector'), 0x10n]);
      values.push([x86Dtable('idt', 'limit'), 0x7ffn], [x86Dtable('gdt', 'base'), 0x4000n]);
      values.push([x86Control('cr2'), 0xdead0000n], [x86Control('cr8'), 3n]);
      values.push([x86Xmm(3), 0x00112233445566778899aabbccddeeffn], [asRegisterId(x86Xmm(15)), 1n << 127n]);
      values.push([x86Debug(0), 0x1000n], [x86Debug(3), 0x7fff0000n]);
      values.push([x86Event('nmi.pending'), 0n], [x86Event('nmi.masked'), 1n]);
      values.push([x86Lapic(0x380), 0x12345n], [x86Lapic(0x3e0), 0xbn]);
      values.push([x86MsrId(0x174), 0x8n], [x86MsrId(0xc0000102), 0xffff888000000000n], [x86MsrId(0xc0000084), 0x47700n]);
      v.setRegisters(values);
      const got = v.getRegisters(values.map(([id]) => id));
      values.forEach(([id, want], i) => {
        const name = v.registerList().find((r) => r.id === id)?.name;
        assert.equal(got[i], want, `${name} round trip`);
      });
      assert.equal(v.getRegister(x86Lapic(0x80)), 0x30n, 'CR8 is the local APIC TPR >> 4: the same state seen through two sets');
      // XSAVE: pieces 0 and 2 written in one call (one KVM_SET_XSAVE): xmm4 in the legacy
      // region (bytes 160 + 4 × 16) and XSTATE_BV = x87|SSE in the header (byte 512). The
      // FPU set sees the same state.
      const piece = (n: number) => v.registerList().find((r) => r.name === `xsave${n}`)!.id;
      const [p0, p2] = v.getRegisters([piece(0), piece(2)]);
      const xmm4 = (1n << 128n) - 1n << BigInt(8 * (160 + 16 * 4));
      v.setRegisters([
        [piece(0), (p0! & ~xmm4) | (0xfeedn << BigInt(8 * (160 + 16 * 4)))],
        [piece(2), (p2! & ~0xffn) | 0x3n],
      ]);
      assert.equal(v.getRegister(x86Xmm(4)), 0xfeedn, 'xmm4 written through XSAVE, read through the FPU set');
      assert.equal(v.getRegister(piece(0)) >> BigInt(8 * (160 + 16 * 4)) & ((1n << 128n) - 1n), 0xfeedn);
    } finally {
      m.close();
    }
  });

  test('segment attributes in VMX access-rights form survive a round trip', async () => {
    const m = await machine();
    try {
      loadLongMode(m, 'ud2', { cpl: 3 });
      const cs = m.vcpu.getRegister(x86Segment('cs', 'attributes'));
      assert.equal(cs & 0xfn, 0xbn, 'code, execute/read, accessed');
      assert.equal((cs >> 5n) & 3n, 3n, 'DPL 3');
      assert.equal((cs >> 13n) & 1n, 1n, 'L (64-bit)');
      const tr = m.vcpu.getRegister(x86Segment('tr', 'attributes'));
      assert.equal(tr & 0xfn, 0xbn, 'busy 64-bit TSS');
    } finally {
      m.close();
    }
  });

  test('unknown ids, bad values and read-only registers are typed errors', async () => {
    const m = await machine({ splitIrqchip: true });
    try {
      assert.throws(() => m.vcpu.getRegister(asRegisterId(0x2030000000ff0000n)), UnknownRegisterError);
      assert.throws(() => m.vcpu.getRegister(x86MsrId(0x12345678)), UnknownRegisterError);
      assert.throws(() => m.vcpu.setRegister(x86Segment('cs', 'selector'), 0x10000n), RegisterSizeError);
      assert.throws(() => m.vcpu.setRegister(x86Lapic(0x30), 0n), ReadOnlyRegisterError);
    } finally {
      m.close();
    }
  });

  test('reset() returns to the power-on state (real mode at f000:fff0)', async () => {
    const m = await machine();
    try {
      loadLongMode(m, 'ud2', { cpl: 3 });
      m.vcpu.reset();
      const [rip, csBase, cr0, efer, rflags] = m.vcpu.getRegisters([x86Gpr('rip'), x86Segment('cs', 'base'), x86Control('cr0'), x86Control('efer'), x86Gpr('rflags')]);
      assert.deepEqual([rip, csBase, cr0, efer, rflags], [0xfff0n, 0xffff0000n, 0x60000010n, 0n, 2n]);
    } finally {
      m.close();
    }
  });
});

describe('kvm: MP state and closing', { skip: KVM_SKIP }, () => {
  test('MP state round trip with an in-kernel local APIC; without one only runnable', async () => {
    const m = await machine({ splitIrqchip: true });
    try {
      assert.equal(m.vcpu.getMpState(), 'runnable');
      m.vcpu.setMpState('halted');
      assert.equal(m.vcpu.getMpState(), 'halted');
      m.vcpu.setMpState('runnable');
      assert.equal(m.vcpu.getMpState(), 'runnable');
    } finally {
      m.close();
    }
    const plain = await machine();
    try {
      assert.throws(() => plain.vcpu.setMpState('halted'), (e: unknown) => e instanceof UnsupportedError && /local APIC/.test(e.message));
    } finally {
      plain.close();
    }
  });

  test('closed vCPUs and VMs refuse every call with ClosedError', async () => {
    const m = await machine();
    m.vcpu.close();
    assert.throws(() => m.vcpu.run(), ClosedError);
    assert.throws(() => m.vcpu.getRegister(x86Gpr('rip')), ClosedError);
    assert.equal(m.vm.vcpus().length, 0);
    m.close();
    assert.throws(() => m.vm.createMemory(4096), ClosedError);
    assert.throws(() => m.vm.setMemoryMap([]), ClosedError);
  });
});

describe('kvm: thread binding', { skip: KVM_SKIP }, () => {
  test('a handle used to run the vCPU from another thread is a WrongThreadError', async () => {
    const m = await machine();
    try {
      const worker = new Worker(
        `const { parentPort, workerData } = require('node:worker_threads');
         import(workerData.api).then(async ({ Hypervisor }) => {
           const r = await Hypervisor.attachVcpu(workerData.handle);
           try { r.run(); parentPort.postMessage('ran'); } catch (e) { parentPort.postMessage(e.name + ': ' + e.message); }
         }).catch((e) => parentPort.postMessage('load failed: ' + e));`,
        { eval: true, workerData: { handle: m.vcpu.handle(), api: new URL('../../../../src/api/index.js', import.meta.url).href } },
      );
      const msg = await new Promise<string>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      await worker.terminate();
      assert.match(msg, /^WrongThreadError: .*bound to thread/);
    } finally {
      m.close();
    }
  });
});
