/**
 * Guests in every x86 mode on /dev/kvm: real mode, protected mode, 64-bit mode at CPL0 and
 * CPL3, port and MMIO I/O of every width, read-only memory, exceptions.
 *
 * Under PVM (these project machines) CPL0 code is emulated and slow: CPL0 paths stay short;
 * compute runs at CPL3, where PVM executes natively.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { gpa, x86Control, x86Dtable, x86Gpr, type Exit, type MmioExit, type PioExit } from '../../../../src/api/index.js';
import { KVM_SKIP, LM, loadLongMode, loadRealMode, machine, type TestMachine } from '../../../support/kvm-vm.js';

function expectPio(e: Exit): PioExit {
  assert.equal(e.kind, 'pio', `expected a pio exit, got ${JSON.stringify(e)}`);
  return e as PioExit;
}
function expectMmio(e: Exit): MmioExit {
  assert.equal(e.kind, 'mmio', `expected an mmio exit, got ${JSON.stringify(e)}`);
  return e as MmioExit;
}
const le = (d: Uint8Array): bigint => d.reduceRight((acc, b) => (acc << 8n) | BigInt(b), 0n);

describe('kvm: real mode', { skip: KVM_SKIP }, () => {
  let m: TestMachine;
  before(async () => (m = await machine()));
  after(() => m?.close());

  test('port I/O of 1, 2 and 4 bytes and string I/O; IN data given to the exit is what the guest reads', () => {
    loadRealMode(
      m,
      `mov $0x3f8, %dx
       mov $0x41, %al
       out %al, %dx
       mov $0xbeef, %ax
       out %ax, $0x70
       mov $0xcafef00d, %eax
       out %eax, %dx
       in %dx, %al
       mov %al, %bl
       in $0x71, %ax
       mov %ax, %cx
       in %dx, %eax
       mov %eax, %esi
       mov $0x2000, %si
       movl $0x64636261, (0x2000)
       mov $4, %cx
       rep outsb
       hlt`,
    );
    const v = m.vcpu;
    const outs: [number, number, bigint][] = [];
    const answers: Record<number, number[]> = { 1: [0x5a], 2: [0x34, 0x12], 4: [0x78, 0x56, 0x34, 0x12] };
    for (;;) {
      const e = v.run();
      if (e.kind === 'halt') break;
      const p = expectPio(e);
      if (p.isWrite) outs.push([p.port, p.size * p.count, le(p.data)]);
      else {
        assert.deepEqual([...p.data], new Array(p.size).fill(0), 'IN data starts zeroed');
        p.data.set(answers[p.size]!);
      }
    }
    assert.deepEqual(outs.slice(0, 3), [
      [0x3f8, 1, 0x41n],
      [0x70, 2, 0xbeefn],
      [0x3f8, 4, 0xcafef00dn],
    ]);
    // rep outsb: KVM hands over the string in one or more exits of `count` items.
    const str = outs.slice(3);
    assert.ok(str.every(([port]) => port === 0x3f8));
    const bytes = str.flatMap(([, n, value]) => Array.from({ length: n }, (_, i) => Number((value >> BigInt(8 * i)) & 0xffn)));
    assert.deepEqual(bytes, [0x61, 0x62, 0x63, 0x64]);
    const [rbx, rcx] = v.getRegisters([x86Gpr('rbx'), x86Gpr('rcx')]);
    assert.equal(rbx! & 0xffn, 0x5an);
    assert.equal(rcx, 0n, 'rep count consumed');
    assert.equal(v.stats()['halt'], 1);
  });

  test('string input: rep insw gets `count` items from one exit\'s data', () => {
    loadRealMode(m, `mov $0x3000, %di\nmov $3, %cx\nmov $0x60, %dx\nrep insw\nhlt`);
    const e = expectPio(m.vcpu.run());
    assert.deepEqual([e.port, e.size, e.count, e.isWrite, e.data.length], [0x60, 2, 3, false, 6]);
    e.data.set([0x11, 0x22, 0x33, 0x44, 0x55, 0x66]);
    assert.equal(m.vcpu.run().kind, 'halt');
    const got = new Uint8Array(6);
    m.vm.memory.read(gpa(0x3000), got);
    assert.deepEqual([...got], [0x11, 0x22, 0x33, 0x44, 0x55, 0x66]);
  });

  test('MMIO reads and writes of 1, 2 and 4 bytes outside RAM', () => {
    loadRealMode(
      m,
      `mov $0xf000, %ax
       mov %ax, %ds
       movb $0x11, (0x10)
       movw $0x2233, (0x20)
       movl $0x44556677, (0x30)
       movb (0x40), %bl
       movw (0x50), %cx
       movl (0x60), %edx
       hlt`,
    );
    m.vm.setMemoryMap([{ guestAddr: gpa(0), size: 0x10000, backing: m.vm.memoryMap()[0]!.backing, offset: 0 }]);
    const seen: [number, number, boolean, bigint][] = [];
    for (;;) {
      const e = m.vcpu.run();
      if (e.kind === 'halt') break;
      const x = expectMmio(e);
      if (!x.isWrite) x.data.set([0xa1, 0xb2, 0xc3, 0xd4].slice(0, x.size));
      seen.push([x.addr, x.size, x.isWrite, x.isWrite ? le(x.data) : 0n]);
    }
    assert.deepEqual(seen, [
      [0xf0010, 1, true, 0x11n],
      [0xf0020, 2, true, 0x2233n],
      [0xf0030, 4, true, 0x44556677n],
      [0xf0040, 1, false, 0n],
      [0xf0050, 2, false, 0n],
      [0xf0060, 4, false, 0n],
    ]);
    const [rbx, rcx, rdx] = m.vcpu.getRegisters([x86Gpr('rbx'), x86Gpr('rcx'), x86Gpr('rdx')]);
    assert.equal(rbx! & 0xffn, 0xa1n);
    assert.equal(rcx! & 0xffffn, 0xb2a1n);
    assert.equal(rdx! & 0xffffffffn, 0xd4c3b2a1n);
  });
});

describe('kvm: protected mode', { skip: KVM_SKIP }, () => {
  test('the guest switches itself from real to 32-bit protected mode and does I/O there', async () => {
    const m = await machine();
    try {
      // GDT at 0x3000: null, 32-bit code 0x08, 32-bit data 0x10 (flat 4 GiB).
      m.vm.memory.writeBigUint64LE(gpa(0x3008), 0x00cf9b000000ffffn);
      m.vm.memory.writeBigUint64LE(gpa(0x3010), 0x00cf93000000ffffn);
      m.vm.memory.writeUint16LE(gpa(0x3100), 0x17);
      m.vm.memory.writeUint32LE(gpa(0x3102), 0x3000);
      loadRealMode(
        m,
        `lgdtl (0x3100)
         mov %cr0, %eax
         or $1, %eax
         mov %eax, %cr0
         ljmpl $0x08, $pm
         .code32
      pm: mov $0x10, %ax
         mov %ax, %ds
         mov %ax, %ss
         mov $0x12345678, %eax
         out %eax, $0x90
         movl $0xabcdef01, 0xe0000000
         hlt`,
      );
      const p = expectPio(m.vcpu.run());
      assert.equal(p.port, 0x90);
      assert.equal(le(p.data), 0x12345678n);
      const x = expectMmio(m.vcpu.run());
      assert.deepEqual([x.addr, x.size, le(x.data)], [0xe0000000, 4, 0xabcdef01n], 'a 32-bit address beyond 1 MiB');
      assert.equal(m.vcpu.run().kind, 'halt');
      assert.equal(m.vcpu.getRegister(x86Control('cr0')) & 1n, 1n, 'CR0.PE set by the guest');
    } finally {
      m.close();
    }
  });
});

describe('kvm: 64-bit mode', { skip: KVM_SKIP }, () => {
  for (const cpl of [0, 3] as const) {
    test(`CPL${cpl}: 8-byte MMIO, memory writes and a #UD delivered to the CPL0 handler`, async () => {
      const m = await machine();
      try {
        loadLongMode(
          m,
          `mov $0x1122334455667788, %rax
           mov %rax, 0x30000000
           mov 0x30000008, %rbx
           movw %bx, 0x30000010
           movb 0x30000018, %cl
           mov %rbx, 0x200000
           ud2`,
          { cpl },
        );
        const w = expectMmio(m.vcpu.run());
        assert.deepEqual([w.addr, w.size, w.isWrite, le(w.data)], [0x30000000, 8, true, 0x1122334455667788n]);
        const r = expectMmio(m.vcpu.run());
        assert.deepEqual([r.addr, r.size, r.isWrite], [0x30000008, 8, false]);
        r.data.set([8, 7, 6, 5, 4, 3, 2, 1]);
        const w2 = expectMmio(m.vcpu.run());
        assert.deepEqual([w2.addr, w2.size, le(w2.data)], [0x30000010, 2, 0x0708n]);
        const r1 = expectMmio(m.vcpu.run());
        assert.deepEqual([r1.addr, r1.size, r1.isWrite], [0x30000018, 1, false]);
        r1.data[0] = 0x99;
        const ud = expectPio(m.vcpu.run());
        assert.deepEqual([ud.port, le(ud.data)], [LM.vectorPort, 6n], 'vector 6 (#UD) reached the handler');
        assert.equal(m.vm.memory.readBigUint64LE(gpa(0x200000)), 0x0102030405060708n);
        const [rcx, rsp] = m.vcpu.getRegisters([x86Gpr('rcx'), x86Gpr('rsp')]);
        assert.equal(rcx! & 0xffn, 0x99n);
        assert.equal(rsp, BigInt(LM.kernelStack - 5 * 8), 'CPL0 handler on the TSS RSP0 stack with a 5-word frame');
        const frame = [0, 1, 2, 3, 4].map((i) => m.vm.memory.readBigUint64LE(gpa(LM.kernelStack - 40 + 8 * i)));
        assert.equal(frame[1]! & 3n, BigInt(cpl), 'pushed CS has the faulting CPL');
      } finally {
        m.close();
      }
    });
  }

  test('CPL3 runs a long compute loop natively and reports through MMIO', async () => {
    const m = await machine();
    try {
      loadLongMode(
        m,
        `mov $50000000, %rcx
         xor %rax, %rax
      1: add %rcx, %rax
         dec %rcx
         jnz 1b
         mov %rax, 0x30000000
         jmp .`,
        { cpl: 3 },
      );
      const e = expectMmio(m.vcpu.run());
      assert.equal(le(e.data), (50000000n * 50000001n) / 2n);
    } finally {
      m.close();
    }
  });

  test('a page fault at CPL3 reports the faulting address in CR2 and an error code', async () => {
    const m = await machine();
    try {
      loadLongMode(m, `mov $0x4000000000, %rax\nmovq $1, (%rax)\n`, { cpl: 3 });
      const e = expectPio(m.vcpu.run());
      assert.equal(le(e.data), 14n);
      assert.equal(m.vcpu.getRegister(x86Control('cr2')), 0x4000000000n);
      const errorCode = m.vm.memory.readBigUint64LE(gpa(LM.kernelStack - 48));
      assert.equal(errorCode & 0x6n, 0x6n, 'user-mode write to a non-present page');
    } finally {
      m.close();
    }
  });

  test('int3 from CPL3 goes through its DPL3 gate to vector 3', async () => {
    const m = await machine();
    try {
      loadLongMode(m, `int3\n`, { cpl: 3 });
      assert.equal(le(expectPio(m.vcpu.run()).data), 3n);
    } finally {
      m.close();
    }
  });
});

describe('kvm: exits the vCPU cannot continue from', { skip: KVM_SKIP }, () => {
  test('a triple fault (an exception with an empty IDT) is a shutdown exit', async () => {
    const m = await machine();
    try {
      loadLongMode(m, 'ud2', { cpl: 0 });
      m.vcpu.setRegister(x86Dtable('idt', 'limit'), 0n);
      const e = m.vcpu.run();
      assert.equal(e.kind, 'shutdown');
      assert.equal(m.vcpu.stats()['shutdown'], 1);
    } finally {
      m.close();
    }
  });

  test('a #DE at CPL3 reaches the guest\'s handler (vector 0)', async () => {
    const m = await machine();
    try {
      loadLongMode(m, 'xor %ecx, %ecx\ndiv %ecx', { cpl: 3 });
      const e = expectPio(m.vcpu.run());
      assert.equal(le(e.data), 0n);
    } finally {
      m.close();
    }
  });

  test('an instruction the host cannot emulate at CPL0 is a typed internal-error exit (PVM: crc32), not a crash', async () => {
    const m = await machine();
    try {
      loadLongMode(m, 'crc32 %eax, %ebx\nhlt', { cpl: 0 });
      const e = m.vcpu.run();
      if (existsSync('/sys/module/kvm_pvm')) {
        assert.equal(e.kind, 'internal-error');
        assert.ok(e.kind === 'internal-error' && e.suberror === 'emulation' && /rip 0x10000\b/.test(e.message), JSON.stringify(e));
      } else {
        assert.equal(e.kind, 'halt', 'hardware virtualization runs crc32 natively');
      }
    } finally {
      m.close();
    }
  });
});

describe('kvm: read-only memory', { skip: KVM_SKIP }, () => {
  test('reads come from the backing; writes exit as MMIO and leave the backing unchanged', async () => {
    const m = await machine();
    try {
      const rom = m.vm.createMemory(0x10000, { name: 'rom' });
      rom.bytes.set([0xef, 0xbe, 0xad, 0xde], 0x100);
      const ram = m.vm.memoryMap()[0]!;
      m.vm.setMemoryMap([ram, { guestAddr: gpa(0x30000000), size: rom.size, backing: rom, offset: 0, readOnly: true, name: 'rom' }]);
      loadLongMode(m, `mov 0x30000100, %eax\nmovl $0x12345678, 0x30000100\nmov %eax, 0x30100000\nud2`, { cpl: 3 });
      const w = expectMmio(m.vcpu.run());
      assert.deepEqual([w.addr, w.isWrite, le(w.data)], [0x30000100, true, 0x12345678n], 'the write to ROM exits');
      const report = expectMmio(m.vcpu.run());
      assert.equal(le(report.data), 0xdeadbeefn, 'the read was served from the ROM backing');
      assert.deepEqual([...rom.bytes.subarray(0x100, 0x104)], [0xef, 0xbe, 0xad, 0xde]);
    } finally {
      m.close();
    }
  });
});
