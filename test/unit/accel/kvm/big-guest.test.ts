/**
 * Guests with memory above 4 GiB on kvm (wherever /dev/kvm exists). Regression: a backing of
 * more than 4 GiB aborted the process (`double free or corruption`, status 134) in the shim's
 * mmap; `-m 8G` and more always did.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gpa } from '../../../../src/api/index.js';
import { GUESTS } from '../../../support/paths.js';
import { KVM_SKIP, loadLongMode, machine } from '../../../support/kvm-vm.js';
import { haveCommand, ngkvm, runProcess } from '../../../support/processes.js';

const HIGHMEM = join(GUESTS, 'x86', 'build', 'highmem.elf');

describe('kvm: guest memory above 4 GiB', { skip: KVM_SKIP }, () => {
  test('createMemory(4 GiB + 4 KiB): the slot reaches past 4 GiB into the backing', async () => {
    const m = await machine();
    try {
      const big = m.vm.createMemory(2 ** 32 + 4096, { name: 'big' });
      assert.equal(big.chunks.length, 5);
      const ram = m.vm.memoryMap()[0]!;
      // The backing's last page (offset 4 GiB) at guest-physical 512 MiB, inside the test's identity map.
      m.vm.setMemoryMap([ram, { guestAddr: gpa(0x2000_0000), size: 4096, backing: big, offset: 2 ** 32, name: 'top' }]);
      loadLongMode(m, 'mov $0x1122334455667788, %rax\nmov %rax, 0x20000ff8\nmovl $4, 0x3f000000\nud2', { cpl: 3 });
      const exit = m.vcpu.run();
      assert.equal(exit.kind, 'mmio', 'stopped after the write');
      assert.equal(new DataView(big.chunks[4]!.buffer, big.chunks[4]!.byteOffset).getBigUint64(0xff8, true), 0x1122334455667788n);
      assert.equal(m.vm.memory.readBigUint64LE(gpa(0x2000_0ff8)), 0x1122334455667788n);
    } finally {
      m.close();
    }
  });

  test('a 16 GiB x86-microvm guest writes and reads RAM above 4 GiB (ngkvm run -m 16G), as on QEMU', { skip: existsSync(HIGHMEM) ? false : `the x86 guests are not built (${HIGHMEM}); run make -C guests/x86` }, async () => {
    const args = ['-m', '16G', '--kernel', HIGHMEM, '--serial', 'stdio', '--no-reboot'];
    const ours = await ngkvm(['run', '--machine', 'x86-microvm', ...args], { timeoutMs: 120_000 });
    assert.equal(ours.timedOut, false, ours.stderr);
    assert.equal(ours.stderr.includes('double free'), false, ours.stderr);
    const expected = 'RAM above 4 GiB: 100000000-43fffffff (13312 MiB)\n  100000000: ok\n  2a0000000: ok\n  43ffffff8: ok\n';
    assert.equal(ours.stdout.toString(), expected, `stderr: ${ours.stderr}`);
    assert.equal(ours.code, 1, 'main returned 0: isa-debug-exit status (0 << 1) | 1');
    if (haveCommand('qemu-system-x86_64')) {
      const qemu = await runProcess(
        'qemu-system-x86_64',
        ['-M', 'microvm', '-m', '16G', '-kernel', HIGHMEM, '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04', '-serial', 'stdio', '-display', 'none', '-monitor', 'none', '-net', 'none', '-no-reboot'],
        { timeoutMs: 120_000, stdoutToFile: true },
      );
      assert.equal(qemu.stdout.toString(), expected, 'QEMU microvm prints the same');
    }
  });
});
