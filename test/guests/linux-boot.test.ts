/**
 * The other ways Linux starts and stops on ppce500, each against QEMU 7.2: a uImage booted by
 * Debian's U-Boot (`-bios` + `-kernel`, U-Boot's bootm of qemu,boot-kernel), `reboot` through
 * GUTS with -no-reboot, a kernel panic (a corrupt initrd) and its reboot; and what ngkvm says
 * about bad input (a kernel for the other e500 family, images larger than RAM, --smp beyond
 * the kernel's NR_CPUS).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { comparableLogs, consoleText, linuxImagesOrWhy, linuxOnNgkvm, linuxOnQemu } from '../support/linux.js';
import { firstDifference, ngkvm } from '../support/processes.js';
import { gdbBatch, startGdbMachine, withTimeout } from '../support/gdb-machine.js';
import { UBOOT_ELF, haveUboot } from '../support/uboot.js';

const images = linuxImagesOrWhy();
const built = typeof images !== 'string';
const tmp = mkdtempSync(join(tmpdir(), 'ngkvm-linux-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function sameAsQemu(qemuText: string, ourText: string, what: string): void {
  const { qemu, ours } = comparableLogs(qemuText, ourText);
  assert.ok(qemu === ours, `${what}: console output differs from QEMU's at ${firstDifference(Buffer.from(qemu), Buffer.from(ours))}`);
}

describe('Linux boot paths and bad input, against QEMU', { concurrency: 1 }, () => {
  test('U-Boot boots the uImage kernel (bios + kernel) and Linux reaches userland as on QEMU', { skip: !built || !haveUboot() }, async () => {
    if (typeof images === 'string') return;
    const boot = { cpu: 'e500v2', smp: 1, append: 'ngkvm.script=uname', kernel: images.kernels.e500v2.uImage, extraArgs: [] as string[] };
    const qemu = await linuxOnQemu(images, { ...boot, extraArgs: ['-bios', UBOOT_ELF] });
    const ours = await linuxOnNgkvm(images, { ...boot, extraArgs: ['--bios', UBOOT_ELF] });
    assert.equal(qemu.code, 0, qemu.stderr);
    assert.equal(ours.code, 0, ours.stderr);
    const q = consoleText(qemu);
    const n = consoleText(ours);
    assert.match(n, /## Booting kernel from Legacy Image at 02000000 \.\.\./);
    assert.match(n, /Image Name: {3}Linux-6\.1\.\d+/);
    assert.match(n, /Linux version 6\.1\./);
    assert.match(n, /ngkvm: script uname finished with status 0/);
    sameAsQemu(q, n, 'U-Boot + uImage');
  });

  test('reboot resets through GUTS: with --no-reboot the run ends with status 0 after the kernel says so', { skip: !built }, async () => {
    if (typeof images === 'string') return;
    const boot = { cpu: 'e500mc', smp: 1, append: 'ngkvm.script=reboot' };
    const [qemu, ours] = await Promise.all([linuxOnQemu(images, boot), linuxOnNgkvm(images, boot)]);
    assert.equal(qemu.code, 0);
    assert.equal(ours.code, 0, ours.stderr);
    assert.match(consoleText(ours), /reboot: Restarting system\n/);
    sameAsQemu(consoleText(qemu), consoleText(ours), 'reboot');
  });

  test('a corrupt initrd: the kernel panics, then reboots after panic= seconds (exit 0 with --no-reboot), as on QEMU', { skip: !built }, async () => {
    if (typeof images === 'string') return;
    const bad = join(tmp, 'truncated.cpio.gz');
    writeFileSync(bad, readFileSync(images.initramfs));
    truncateSync(bad, 200_000);
    const boot = { cpu: 'e500v2', smp: 1, append: 'panic=1' };
    const [qemu, ours] = await Promise.all([linuxOnQemu({ ...images, initramfs: bad }, boot), linuxOnNgkvm({ ...images, initramfs: bad }, boot)]);
    assert.equal(qemu.code, 0);
    assert.equal(ours.code, 0, ours.stderr);
    const n = consoleText(ours);
    assert.match(n, /Initramfs unpacking failed/);
    assert.match(n, /Kernel panic - not syncing/);
    assert.match(n, /Rebooting in 1 seconds\.\./);
    sameAsQemu(consoleText(qemu), n, 'panic');
  });

  test('gdb-multiarch with the vmlinux symbols: steps through the AS1 trampoline, breaks at start_kernel, bt, registers', { skip: !built }, async () => {
    if (typeof images === 'string') return;
    const vmlinux = images.kernels.e500v2.vmlinux;
    const m = await startGdbMachine([
      '--cpu', 'e500v2', '-m', '256M', '--kernel', vmlinux, '--initrd', images.initramfs, '--append', 'console=ttyS0 ngkvm.script=uname',
      '--serial', 'stdio', '--no-reboot', '-S',
    ]);
    try {
      const g = await gdbBatch(vmlinux, m.port, [
        'info registers pc msr',
        // head_fsl_booke.S: into the temporary AS1 mapping, then past the invalidation of the
        // boot mapping, where only the instruction address space (MSR[IS]=1, DS=0) maps the code.
        'stepi 350',
        'info registers pc msr',
        'monitor info tlb',
        'x/2i $pc',
        'break start_kernel',
        'continue',
        'bt',
        'info registers pc msr lr',
        'delete',
        'continue',
      ], 300_000);
      const code = await withTimeout(m.exited, 300_000, 'the machine');
      const o = g.stdout;
      assert.match(o, /^pc\s+0x0\s+0x0$/m, 'starts at the physical entry (QEMU translates e_entry)');
      assert.match(o, /^msr\s+0x20\s+32$/m, 'in AS1 for fetches, AS0 for data');
      const tlb1 = o.slice(o.indexOf('TLB1:'));
      assert.match(tlb1, /0x0000000000000000 0x0000000000000000   4K 0     1  SRWX/, 'the AS1 trampoline mapping');
      assert.doesNotMatch(tlb1, /0x0000000000000000 0x0000000000000000  64M 0     0/, 'the boot mapping is gone');
      assert.match(o, /=> 0x[0-9a-f]+:\t\S+/, 'the code is readable through the instruction side');
      assert.match(o, /Breakpoint 1, 0xc[0-9a-f]+ in start_kernel \(\)/);
      assert.match(o, /#0 {2}0xc[0-9a-f]+ in start_kernel \(\)\n#1 {2}0xc[0-9a-f]+ in set_ivor \(\)/);
      assert.match(o, /^pc\s+0xc[0-9a-f]+\s+0xc[0-9a-f]+ <start_kernel>$/m);
      assert.match(o, /\[Inferior 1 \(Remote target\) exited normally\]/);
      assert.equal(code, 0);
      assert.match(m.stdout(), /ngkvm: script uname finished with status 0/);
    } finally {
      m.child.kill('SIGKILL');
    }
  });

  test('a kernel for the other e500 family is named in one warning line (it stops silently, as on QEMU)', { skip: !built }, async () => {
    if (typeof images === 'string') return;
    for (const [cpu, kernel, family] of [
      ['e500v2', images.kernels.e500mc.vmlinux, 'e500mc'],
      ['e500mc', images.kernels.e500v2.vmlinux, 'e500v1/e500v2'],
    ] as const) {
      const r = await ngkvm(['run', '--cpu', cpu, '-m', '256M', '--kernel', kernel, '--serial', 'stdio'], { timeoutMs: 4000 });
      assert.ok(r.timedOut, 'the guest runs on (silently), as on QEMU');
      assert.equal(r.stdout.length, 0);
      assert.match(r.stderr, new RegExp(`^ngkvm: warning: .*vmlinux is a Linux kernel for ${family}[^\\n]*cores, not ${cpu === 'e500v2' ? 'e500v2' : 'e500mc'} .*as on QEMU\\n$`));
    }
  });

  test('images that do not fit, --smp beyond the kernels, a corrupt uImage: one line each, no stack trace', { skip: !built }, async () => {
    if (typeof images === 'string') return;
    const big = join(tmp, 'big.initrd');
    writeFileSync(big, '');
    truncateSync(big, 300 << 20);
    let r = await ngkvm(['run', '-m', '256M', '--kernel', images.kernels.e500v2.vmlinux, '--initrd', big]);
    assert.equal(r.code, 1);
    // Refused from its size (fstat) before a byte of it is read.
    assert.match(r.stderr, /^ngkvm: initrd ".*big\.initrd" is 300 MiB, more than the guest's 256 MiB of RAM; use a larger -m\n$/);
    const corrupt = join(tmp, 'corrupt.uImage');
    const u = new Uint8Array(readFileSync(images.kernels.e500v2.uImage));
    u[4096]! ^= 0xff;
    writeFileSync(corrupt, u);
    r = await ngkvm(['run', '-m', '256M', '--kernel', corrupt]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^ngkvm: .*corrupt\.uImage: U-Boot image data checksum is wrong \(corrupt image\?\)\n$/);
    r = await ngkvm(['linux', '--smp', '5']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^ngkvm: --smp 5: the Linux guests are built for at most 4 CPUs \(CONFIG_NR_CPUS=4\)\n$/);
  });
});
