/** `ngkvm run --machine x86-microvm`: option checks, help, and what happens without /dev/kvm. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { GUESTS, GUEST_BUILD } from '../../support/paths.js';
import { ngkvm } from '../../support/processes.js';

const guest = join(GUESTS, 'x86', 'build', 'hello.elf');
const PPC_GUEST = join(GUEST_BUILD, 'e500v2', 'arith.elf');
const noStack = (stderr: string): void => assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace for user errors');

test('--help names the x86-microvm board, the kvm accelerator and what --kernel takes there', async () => {
  const r = await ngkvm(['run', '--help']);
  assert.equal(r.code, 0);
  const help = r.stdout.toString();
  for (const text of ['x86-microvm', 'kvm', 'PVH ELF or bzImage', '--machine x86-microvm']) assert.ok(help.includes(text), `help mentions ${text}`);
});

const usageCases: [string, string[], RegExp][] = [
  // No software accelerator runs x86-64 guests: nothing to fall back to (seed 003).
  [
    'the e500 accelerator',
    ['run', '--machine', 'x86-microvm', '--accel', 'e500', '--kernel', guest],
    /the e500 accelerator runs PowerPC guests and x86-microvm is x86-64, and no software accelerator runs x86-64 guests; use --accel kvm/,
  ],
  ['no kernel', ['run', '--machine', 'x86-microvm'], /x86-microvm needs --kernel FILE/],
  ['firmware', ['run', '--machine', 'x86-microvm', '--bios', guest], /x86-microvm has no firmware/],
  ['several CPUs', ['run', '--machine', 'x86-microvm', '--smp', '2', '--kernel', guest], /one vCPU/],
  ['a CPU model', ['run', '--machine', 'x86-microvm', '--cpu', 'e500mc', '--kernel', guest], /unknown CPU model "e500mc" for x86-microvm on the kvm accelerator; available: host/],
  ['two serial ports', ['run', '--machine', 'x86-microvm', '--serial', 'null', '--serial', 'null', '--kernel', guest], /one serial port \(COM1\)/],
  ['-S with nothing to continue the CPUs', ['run', '--machine', 'x86-microvm', '-S', '--kernel', guest], /-S \(start halted\) needs a way to continue the CPUs/],
  ['--gdb and -s together', ['run', '--machine', 'x86-microvm', '--gdb', 'tcp::0', '-s', '--kernel', guest], /give either --gdb or -s, not both/],
  ['a bad --gdb', ['run', '--machine', 'x86-microvm', '--gdb', 'udp::1', '--kernel', guest], /--gdb "udp::1" is not supported/],
  ['a bad --monitor', ['run', '--machine', 'x86-microvm', '--monitor', 'vc', '--kernel', guest], /--monitor "vc" is not supported/],
  ['unknown accelerator', ['run', '--machine', 'x86-microvm', '--accel', 'hvf', '--kernel', guest], /unknown accelerator "hvf"; available: e500, kvm/],
];
for (const [what, args, msg] of usageCases) {
  test(`usage error: ${what}`, async () => {
    const r = await ngkvm(args);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, msg);
    noStack(r.stderr);
  });
}

test('a file that is neither a PVH ELF nor a bzImage: one line naming both formats', { skip: existsSync('/dev/kvm') ? false : 'no /dev/kvm: the run stops earlier, at opening the accelerator' }, async () => {
  const r = await ngkvm(['run', '--machine', 'x86-microvm', '--kernel', join(GUESTS, 'x86', 'tests', 'hello.initrd'), '--serial', 'null']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /neither a PVH ELF kernel nor a Linux bzImage/);
  noStack(r.stderr);
});

test('too little RAM for the kernel is refused with a hint', { skip: existsSync('/dev/kvm') ? false : 'no /dev/kvm: the run stops earlier, at opening the accelerator' }, async () => {
  const r = await ngkvm(['run', '--machine', 'x86-microvm', '-m', '1M', '--kernel', guest, '--serial', 'null']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /at least 2 MiB/);
  noStack(r.stderr);
});

test('without /dev/kvm the error names the device', { skip: existsSync('/dev/kvm') ? 'this machine has /dev/kvm (the x86-microvm differential suite runs instead)' : false }, async () => {
  const r = await ngkvm(['run', '--machine', 'x86-microvm', '--kernel', guest, '--serial', 'null']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /\/dev\/kvm/);
  noStack(r.stderr);
});

test('--monitor stdio and -S on x86-microvm: the CPUs wait in prelaunch until `cont`', { skip: existsSync('/dev/kvm') ? false : 'no /dev/kvm: the run stops earlier, at opening the accelerator' }, async () => {
  const r = await ngkvm(['run', '--machine', 'x86-microvm', '-m', '64M', '--kernel', guest, '--serial', 'null', '--monitor', 'stdio', '-S', '--no-reboot'], {
    input: 'info status\ncont\n',
    timeoutMs: 60_000,
  });
  const out = r.stdout.toString();
  assert.match(out, /VM status: paused \(prelaunch\)/);
  // hello.elf returns 0 from main: isa-debug-exit status (0 << 1) | 1.
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /isa-debug-exit/);
});

test('--accel kvm for ppce500 falls back to the e500 accelerator, with one line naming it, and the guest runs (seed 003)', { skip: existsSync(PPC_GUEST) ? false : 'the ppce500 guests are not built (make -C guests)' }, async () => {
  const plain = await ngkvm(['run', '--machine', 'ppce500', '--bios', PPC_GUEST, '--serial', 'stdio', '--no-reboot'], { timeoutMs: 60_000 });
  const r = await ngkvm(['run', '--machine', 'ppce500', '--accel', 'kvm', '--bios', PPC_GUEST, '--serial', 'stdio', '--no-reboot'], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stderr.split('\n').filter((l) => l !== ''), [
    'ngkvm: the kvm accelerator runs x86-64 guests and ppce500 is PowerPC: using the e500 accelerator (the software e500 vCPU) instead',
  ]);
  assert.ok(r.stdout.equals(plain.stdout), 'the same run as with the default accelerator');
  assert.ok(r.stdout.length > 0);
});
