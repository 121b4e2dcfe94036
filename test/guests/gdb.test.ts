/**
 * The gdb stub end to end: `ngkvm run … --gdb tcp:127.0.0.1:0 -S` driven by gdb-multiarch in
 * batch mode (the real client), and by a small protocol client for what gdb's batch mode
 * cannot do (Ctrl-C, a second client, a client that vanishes, corrupt packets).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { GUEST_BUILD } from '../support/paths.js';
import { haveCommand, runProcess } from '../support/processes.js';
import { GdbTcpClient } from '../support/gdb-tcp-client.js';
import { gdbBatch, startGdbMachine, withTimeout, type GdbMachine } from '../support/gdb-machine.js';

/** Starts ngkvm's ppce500 with a gdb stub on a free loopback port and waits until it listens. */
function startMachine(cpu: string, elf: string, extra: readonly string[] = []): Promise<GdbMachine> {
  return startGdbMachine(['--machine', 'ppce500', '--cpu', cpu, '-m', '256M', '--bios', elf, '--serial', 'stdio', '--no-reboot', ...extra]);
}

const elfFor = (cpu: string, name = 'gdb_target'): string => join(GUEST_BUILD, cpu, `${name}.elf`);

describe('gdb stub end to end', { concurrency: 2 }, () => {
  test('gdb-multiarch is installed', () => {
    assert.ok(haveCommand('gdb-multiarch'), 'gdb-multiarch is the client of these tests; "npm test" installs it (Debian package gdb-multiarch)');
  });

  test('e500v2: registers, breakpoint at a symbol, step, read through a TLB1 alias, write a variable the guest prints, run to the end', async () => {
    const elf = elfFor('e500v2');
    const m = await startMachine('e500v2', elf, ['-S']);
    const g = await gdbBatch(elf, m.port, [
      'info registers pc msr srr0',
      'break gdb_break_here',
      'continue',
      'print step',
      'continue',
      'print step',
      'stepi',
      'print/x $pc - (int)gdb_break_here',
      'delete',
      'break gdb_marker',
      'continue',
      'print/x gdb_alias',
      'print/x *(unsigned int *)gdb_alias',
      'monitor info status',
      'monitor gva2gpa 0x50000000',
      'monitor gva2gpa 0xd0000000',
      'monitor nosuchcommand',
      'set var gdb_patch = 0xcafef00d',
      'print/x *(unsigned int *)gdb_alias',
      'continue',
    ]);
    const code = await withTimeout(m.exited, 60_000, 'the machine');
    const o = g.stdout;
    assert.match(o, /_start \(\) at lib\/crt0\.S/, 'stopped before the first instruction (-S)');
    assert.match(o, /^pc\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <_start>/m);
    assert.match(o, /^srr0\s+0x0/m, 'a Book E SPR from the description');
    assert.match(o, /Breakpoint 1, gdb_break_here \(step=step@entry=1\)/);
    assert.match(o, /\$1 = 1\n/);
    assert.match(o, /\$2 = 2\n/);
    assert.match(o, /\$3 = 0x4\n/, 'stepi moved one instruction');
    assert.match(o, /Breakpoint 2, gdb_marker \(\)/);
    assert.match(o, /\$4 = 0x5000[0-9a-f]{4}\n/, 'the alias is in the TLB1 window at 0x50000000');
    assert.match(o, /\$5 = 0x11111111\n/, 'read through the alias');
    assert.match(o, /\$6 = 0xcafef00d\n/, 'the write is visible through the alias');
    // gdb's `monitor` reaches the VMM monitor: the run state shows the debugger's hold.
    assert.match(o, /^VM status: paused \(debug\)$/m);
    assert.match(o, /^gpa: 0x[0-9a-f]+000$/m, 'the alias window is mapped');
    assert.match(o, /^Unmapped$/m);
    assert.match(o, /^unknown command: 'nosuchcommand'$/m);
    assert.match(o, /exited normally/);
    assert.equal(code, 0, m.stderr());
    assert.match(m.stdout(), /counter 6\npatch cafef00d\nalias cafef00d\n/, 'the guest printed the value gdb wrote');
  });

  test('e500mc, 2 vCPUs: threads, hardware watchpoint, hardware breakpoint, FPU registers, read watchpoint, detach', async () => {
    const elf = elfFor('e500mc');
    const m = await startMachine('e500mc', elf, ['-S', '--smp', '2']);
    const g = await gdbBatch(elf, m.port, [
      'info threads',
      'watch gdb_counter',
      'continue',
      'delete',
      'hbreak gdb_marker',
      'continue',
      'info registers f1 fpscr',
      'rwatch gdb_patch',
      'continue',
      'delete',
      'detach',
    ]);
    const code = await withTimeout(m.exited, 60_000, 'the machine');
    const o = g.stdout;
    assert.match(o, /\* 1\s+Thread 1 \(vCPU 0 \(e500mc\)\)/);
    assert.match(o, /\n\s+2\s+Thread 2 \(vCPU 1 \(e500mc\)\)/);
    assert.match(o, /Hardware watchpoint 1: gdb_counter[\s\S]*Old value = 0\nNew value = 1/);
    assert.match(o, /Thread 1 hit Breakpoint 2, gdb_marker \(\)/);
    assert.match(o, /^f1\s+0\s+\(raw 0x0000000000000000\)/m);
    assert.match(o, /Hardware read watchpoint 3: gdb_patch\n\nValue = 286331153/);
    assert.match(o, /Inferior 1 \(Remote target\) detached/);
    assert.equal(code, 0, m.stderr());
    assert.match(m.stdout(), /patch 11111111\n/, 'after the detach the guest ran to its end');
  });

  test('Ctrl-C stops a running guest, a second client is refused, corrupt packets are asked again, k ends the run', async () => {
    const elf = elfFor('e500v2', 'bench-cpu');
    const m = await startMachine('e500v2', elf);
    const c = await GdbTcpClient.open(m.port);
    assert.match(await c.ask('?'), /^T05thread:1;40:[0-9a-f]{8};1:[0-9a-f]{8};$/, 'connecting stops the guest');
    const second = await GdbTcpClient.open(m.port);
    assert.ok(await second.waitClosed(), 'the second client is closed at once');
    c.raw('$g#00');
    await c.waitControl('-'); // a bad checksum is answered with -
    c.send('c');
    // The guest runs (it computes for seconds); Ctrl-C stops it wherever it is.
    c.raw('\x03');
    assert.match(await c.next(), /^T02thread:1;/);
    c.send('k');
    const code = await withTimeout(m.exited, 30_000, 'the machine after k');
    assert.equal(code, 0);
    assert.match(m.stderr(), /refused a second debugger/);
    assert.match(m.stderr(), /bad checksum/);
  });

  test('a client that vanishes while the guest is stopped at a breakpoint: the breakpoint goes, the guest finishes', async () => {
    const elf = elfFor('e500v2');
    const m = await startMachine('e500v2', elf, ['-S']);
    const c = await GdbTcpClient.open(m.port);
    await c.startNoAck();
    await c.ask('qSupported:swbreak+');
    const sym = await runProcess('powerpc-linux-gnu-nm', [elf]);
    const addr = /^([0-9a-f]+) T gdb_break_here$/m.exec(sym.stdout.toString())![1]!;
    assert.equal(await c.ask(`Z0,${addr},4`), 'OK');
    c.send('c');
    assert.match(await c.next(), /^T05thread:1;.*swbreak:;$/);
    c.close();
    const code = await withTimeout(m.exited, 60_000, 'the machine after the client vanished');
    assert.equal(code, 0);
    assert.match(m.stdout(), /counter 6\npatch 11111111\n/);
  });
});
