/** The CLI's bad-input behaviour: one clear line, a non-zero status, no stack trace. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { GUEST_BUILD } from '../../support/paths.js';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { CLI } from '../../support/paths.js';
import { haveCommand, ngkvm, runProcess } from '../../support/processes.js';

const guest = join(GUEST_BUILD, 'e500v2', 'arith.elf');
const noStack = (stderr: string): void => assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace for user errors');

test('--help documents every option', async () => {
  const r = await ngkvm(['run', '--help']);
  assert.equal(r.code, 0);
  for (const opt of ['--machine', '--accel', '--cpu', '--memory', '--smp', '--bios', '--kernel', '--initrd', '--append', '--serial', '--gdb', '-S', '--no-reboot', '--help']) {
    assert.ok(r.stdout.toString().includes(opt), `help mentions ${opt}`);
  }
});

const usageCases: [string, string[], RegExp][] = [
  ['unknown flag with a suggestion', ['run', '--bois', guest], /unknown option "--bois" \(did you mean --bios\?\)/],
  ['unknown machine', ['run', '--machine', 'pc', '--bios', guest], /unknown machine "pc"/],
  ['unknown cpu', ['run', '--cpu', 'e600', '--bios', guest], /unknown CPU model "e600"/],
  ['bad memory size', ['run', '-m', 'lots', '--bios', guest], /is not a size/],
  ['nothing to run', ['run'], /nothing to run/],
  ['missing value', ['run', '--bios'], /needs a value/],
  ['unknown command', ['frobnicate'], /unknown command/],
  ['no CPUs', ['run', '--smp', '0', '--bios', guest], /--smp "0": ppce500 takes 1 to 32 CPUs/],
  ['too many CPUs', ['run', '--smp', '33', '--bios', guest], /--smp "33": ppce500 takes 1 to 32 CPUs/],
  ['CPU count not a number', ['run', '--smp', 'two', '--bios', guest], /--smp "two"/],
  ['unknown serial backend', ['run', '--serial', 'pty', '--bios', guest], /--serial "pty" is not supported; use stdio, file:PATH, tcp:HOST:PORT, null or none/],
  ['tcp without a port', ['run', '--serial', 'tcp:localhost', '--bios', guest], /expected tcp:HOST:PORT/],
  ['tcp port out of range', ['run', '--serial', 'tcp::70000', '--bios', guest], /port 70000 is out of range/],
  ['three serial ports', ['run', '--serial', 'null', '--serial', 'null', '--serial', 'null', '--bios', guest], /ppce500 has 2 serial ports/],
  ['stdio twice', ['run', '--serial', 'stdio', '--serial', 'stdio', '--bios', guest], /only one serial port can use stdio/],
  ['unknown gdb transport', ['run', '--gdb', 'unix:/tmp/x', '--bios', guest], /--gdb "unix:\/tmp\/x" is not supported; use tcp:HOST:PORT/],
  ['gdb port out of range', ['run', '--gdb', 'tcp::99999', '--bios', guest], /port 99999 is out of range/],
  ['-S without a debugger', ['run', '-S', '--bios', guest], /-S \(start halted\) needs a way to continue the CPUs/],
  ['--gdb and -s', ['run', '-s', '--gdb', 'tcp::1', '--bios', guest], /either --gdb or -s/],
];
for (const [what, args, msg] of usageCases) {
  test(`usage error: ${what}`, async () => {
    const r = await ngkvm(args);
    assert.equal(r.code, 2);
    assert.match(r.stderr, msg);
    noStack(r.stderr);
  });
}

/** A copy of the test guest with each program header's physical address rewritten. */
function relocatedGuest(name: string, paddr: (old: number, index: number) => number): string {
  const elf = new Uint8Array(readFileSync(guest));
  const v = new DataView(elf.buffer);
  const phoff = v.getUint32(28);
  for (let i = 0; i < v.getUint16(44); i++) {
    const p = phoff + i * v.getUint16(42);
    v.setUint32(p + 12, paddr(v.getUint32(p + 12), i));
  }
  const f = join(mkdtempSync(join(tmpdir(), 'ngkvm-cli-')), name);
  writeFileSync(f, elf);
  return f;
}

const runCases: [string, () => string[], RegExp][] = [
  ['missing firmware file', () => ['run', '--bios', '/nonexistent/u-boot.elf', '--serial', 'null'], /cannot read firmware "\/nonexistent\/u-boot.elf": no such file/],
  ['firmware for another architecture', () => ['run', '--bios', process.execPath, '--serial', 'null'], /ppce500 needs a 32-bit PowerPC image/],
  ['firmware path is a directory', () => ['run', '--bios', tmpdir(), '--serial', 'null'], /cannot read firmware ".*": is a directory/],
  // Checked before reading: these read forever (12.8 GB RSS) before regular files were required.
  ['/dev/zero as firmware', () => ['run', '--bios', '/dev/zero', '--serial', 'null'], /cannot read firmware "\/dev\/zero": is a character device, not a regular file/],
  ['/dev/zero as kernel', () => ['run', '--kernel', '/dev/zero', '--serial', 'null'], /cannot read kernel "\/dev\/zero": is a character device/],
  ['/dev/zero as initrd', () => ['run', '--kernel', guest, '--initrd', '/dev/zero', '--serial', 'null'], /cannot read initrd "\/dev\/zero": is a character device/],
  [
    'firmware linked for another board (flash at the top of the address space)',
    () => ['run', '--bios', relocatedGuest('flash.elf', (_, i) => 0xfff8_0000 + i * 0x1000), '--serial', 'null'],
    /segment at 0xfff80000 .* is outside the 128 MiB of RAM; .*firmware for another board/,
  ],
  [
    'not an ELF file',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'ngkvm-cli-'));
      const f = join(dir, 'firmware.bin');
      writeFileSync(f, 'not firmware');
      return ['run', '--bios', f, '--serial', 'null'];
    },
    /firmware\.bin: neither an ELF file nor a U-Boot image/,
  ],
  [
    'RAM too small for the device tree',
    // The same guest moved to 48 MiB: its device tree would have to go above 64 MiB.
    () => ['run', '-m', '64M', '--bios', relocatedGuest('high.elf', (paddr) => paddr + 0x0300_0000), '--serial', 'null'],
    /not enough memory for the device tree.*use a larger -m/,
  ],
];
for (const [what, args, msg] of runCases) {
  test(`run error: ${what}`, async () => {
    const r = await ngkvm(args(), { timeoutMs: 30_000 });
    assert.equal(r.code, 1);
    assert.match(r.stderr, msg);
    noStack(r.stderr);
  });
}

test('a guest runs, prints on the serial console and its reset ends the run with status 0', async () => {
  const r = await ngkvm(['run', '--machine', 'ppce500', '--bios', guest, '--serial', 'stdio', '--no-reboot'], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout.toString(), /^== arith \(e500v2\)/);
});

test('RAM sizes that are not 64 MiB multiples are refused, as QEMU refuses them', async () => {
  const r = await ngkvm(['run', '-m', '200M', '--bios', guest, '--serial', 'null', '--no-reboot'], { timeoutMs: 60_000 });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /RAM must be a multiple of 64 MiB.*got 200 MiB/);
  noStack(r.stderr);
});

const serial2 = join(GUEST_BUILD, 'e500v2', 'serial2.elf');

test('a second --serial gives the guest UART1; its output goes to a file as on QEMU', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ngkvm-cli-'));
  const ours = join(dir, 'ours.txt');
  const r = await ngkvm(['run', '--bios', serial2, '-m', '256M', '--serial', 'stdio', '--serial', `file:${ours}`, '--no-reboot'], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout.toString(), /UART1 LSR 60 .*\nUART1 scratch a5, UART0 scratch 00\nUART1: no more input after 0 lines/);
  assert.equal(readFileSync(ours, 'latin1'), 'hello on UART1\r\n');
  if (!haveCommand('qemu-system-ppc')) return;
  const theirs = join(dir, 'qemu.txt');
  const q = await runProcess(
    'qemu-system-ppc',
    ['-M', 'ppce500', '-m', '256', '-display', 'none', '-serial', 'stdio', '-serial', `file:${theirs}`, '-monitor', 'none', '-net', 'none', '-no-reboot', '-bios', serial2],
    { timeoutMs: 60_000, stdoutToFile: true },
  );
  assert.equal(q.code, 0, q.stderr);
  assert.equal(r.stdout.toString(), q.stdout.toString());
  assert.equal(readFileSync(ours, 'latin1'), readFileSync(theirs, 'latin1'));
});

test('--serial none leaves the board without that UART (its registers read 0), as QEMU', async () => {
  const r = await ngkvm(['run', '--bios', serial2, '-m', '256M', '--serial', 'stdio', '--serial', 'none', '--no-reboot'], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout.toString(), /UART1 LSR 00 IIR 00 LCR 00 MCR 00 MSR 00\nUART1: absent/);
});

test('--serial tcp: the machine waits for a client, then talks to it both ways', async () => {
  const child = spawn(process.execPath, [CLI, 'run', '--bios', serial2, '-m', '256M', '--serial', 'stdio', '--serial', 'tcp:127.0.0.1:0', '--no-reboot'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
      const m = /serial 1: waiting for a connection on tcp:127\.0\.0\.1:(\d+)/.exec(stderr);
      if (m !== null) resolve(Number(m[1]));
    });
    child.on('exit', () => reject(new Error(`ngkvm ended before listening: ${stderr}`)));
  });
  // Nothing runs before the client is there.
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(stdout, '', 'the guest has not started');
  const sock = connect(port, '127.0.0.1');
  let received = '';
  sock.on('data', (b: Buffer) => {
    received += b.toString('latin1');
    if (received.includes('hello on UART1\r\n') && !sent) {
      sent = true;
      sock.write('abc\nHello, World\nq\n');
    }
  });
  let sent = false;
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  sock.destroy();
  assert.equal(code, 0, stderr);
  assert.equal(received, 'hello on UART1\r\nABC\r\nHELLO, WORLD\r\nbye\r\n');
  assert.match(stdout, /UART1: quit after 3 lines/);
});

test('--smp 2 starts the second CPU only through the spin table', async () => {
  const r = await ngkvm(['run', '--smp', '2', '--bios', join(GUEST_BUILD, 'e500v2', 'smp_spin.elf'), '-m', '256M', '--no-reboot'], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout.toString(), /still spinning after the high word: yes\nCPU 1 started: r3 00c0ffee/);
});

test('garbage in device registers: the guest carries on and each device logs a rate-limited line', async () => {
  const r = await ngkvm(['run', '--bios', join(GUEST_BUILD, 'e500v2', 'garbage.elf'), '-m', '256M', '--no-reboot'], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout.toString(), /frr same, guts pvr same\n(.*\n){5}survived\n$/);
  const lines = r.stderr.trim().split('\n');
  for (const dev of ['fsl-pci-host', 'mpic', 'guts']) assert.ok(lines.some((l) => l.startsWith(`ngkvm: ${dev}: `)), `a line from ${dev} in:\n${r.stderr}`);
  assert.ok(lines.length <= 12, `thousands of bad accesses give a handful of lines, not ${lines.length}`);
  noStack(r.stderr);
});

test('--gdb with a port that is in use fails with one line, no stack trace', async () => {
  const { createServer } = await import('node:net');
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  const port = (busy.address() as { port: number }).port;
  try {
    const r = await ngkvm(['run', '--bios', guest, '--no-reboot', '--gdb', `tcp:127.0.0.1:${port}`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--gdb tcp:127.0.0.1:\d+: cannot listen \(the port is in use\)/);
    noStack(r.stderr);
  } finally {
    busy.close();
  }
});

test('--gdb without a debugger attached: the guest runs to its end as usual', async () => {
  const r = await ngkvm(['run', '--bios', guest, '--no-reboot', '--gdb', 'tcp::0']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout.toString(), /== end/);
  assert.match(r.stderr, /gdb stub listening on tcp:127\.0\.0\.1:\d+/);
});
