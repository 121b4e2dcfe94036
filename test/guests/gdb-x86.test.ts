/**
 * The gdb stub on the x86-microvm board with the kvm accelerator: gdb-multiarch in batch
 * mode against `ngkvm run --machine x86-microvm … --gdb … -S` (guests/x86/tests/gdb_target.c),
 * and the protocol client for Ctrl-C. Runs wherever /dev/kvm exists.
 *
 * On a PVM host (/sys/module/kvm_pvm: CPL0 guest code is emulated) guest debugging differs
 * from hardware KVM, and the tests assert which of the two they are looking at:
 *   - int3 at CPL0 cannot be emulated: the kvm accelerator sees the emulation failure at
 *     the planted int3 and reports the breakpoint exit the API promises (counted as
 *     `int3-not-emulated`); on hardware KVM it is a debug exit straight away. gdb sees the
 *     same stop either way; `monitor info stats vcpu` tells them apart;
 *   - hardware watchpoints never fire under PVM (the guest runs past the write).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gdbBatch, startGdbMachine, withTimeout } from '../support/gdb-machine.js';
import { GdbTcpClient } from '../support/gdb-tcp-client.js';
import { GUESTS } from '../support/paths.js';
import { haveCommand } from '../support/processes.js';

const PVM = existsSync('/sys/module/kvm_pvm');
const SKIP = existsSync('/dev/kvm') ? undefined : 'no /dev/kvm on this machine: the kvm accelerator cannot run the x86-microvm board';
const BUILD = join(GUESTS, 'x86', 'build');
const GDB_TARGET = join(BUILD, 'gdb_target.elf');
const WAIT_KEY = join(BUILD, 'wait_key.elf');

function startX86(elf: string, extra: readonly string[] = []) {
  return startGdbMachine(['--machine', 'x86-microvm', '--accel', 'kvm', '-m', '64M', '--kernel', elf, '--serial', 'stdio', '--no-reboot', ...extra]);
}

/** gdb on x86-64: the ELF says so too, but the stub's description is what gdb checks against. */
const X86_PRELUDE = ['set architecture i386:x86-64'];

describe('gdb stub on x86-microvm (kvm)', { skip: SKIP, concurrency: 2 }, () => {
  test('the guest and gdb-multiarch are there', () => {
    assert.ok(existsSync(GDB_TARGET) && existsSync(WAIT_KEY), `build the x86 guests first (make -C guests/x86); missing in ${BUILD}`);
    assert.ok(haveCommand('gdb-multiarch'), 'gdb-multiarch is the client of these tests (Debian package gdb-multiarch)');
  });

  test('registers at the PVH entry, hbreak at a symbol, stepi, read and write a variable, run to the end', async () => {
    const m = await startX86(GDB_TARGET, ['-S']);
    const { stdout: o, code } = await gdbBatch(GDB_TARGET, m.port, [
      ...X86_PRELUDE,
      'info registers rip eflags eax cs ds fs_base cr0 efer',
      'hbreak gdb_break_here',
      'continue',
      'info registers rip',
      'print gdb_counter',
      'stepi',
      'info registers rip',
      'print/x gdb_patch',
      'print/x *(unsigned int *)&gdb_patch',
      'set var gdb_patch = 0xcafef00d',
      'print/x gdb_patch',
      'monitor info status',
      'delete',
      'continue',
    ]);
    const exit = await withTimeout(m.exited, 60_000, 'the machine');
    // The PVH entry state: 32-bit protected mode, paging off, flat segments, EFLAGS with only bit 1.
    assert.match(o, /^rip\s+0x100000\s+0x100000 <pvh_start>$/m, o);
    assert.match(o, /^eflags\s+0x2\s+\[ \]$/m);
    assert.match(o, /^eax\s+0x0\s+0$/m);
    assert.match(o, /^cs\s+0x8\s+8$/m, 'the loader\'s flat code segment');
    assert.match(o, /^ds\s+0x10\s+16$/m);
    assert.match(o, /^fs_base\s+0x0\s+0$/m, 'segment bases come from the API\'s fs.base');
    assert.match(o, /^cr0\s+0x11\s+17$/m, 'PE and ET; paging is still off');
    assert.match(o, /^efer\s+0x0\s+0$/m);
    assert.match(o, /Hardware assisted breakpoint 1 at 0x[0-9a-f]+: file tests\/gdb_target\.c/);
    assert.match(o, /Breakpoint 1, gdb_break_here \(\) at tests\/gdb_target\.c/);
    const rips = [...o.matchAll(/^rip\s+(0x[0-9a-f]+)\s+0x[0-9a-f]+ <gdb_break_here(\+\d+)?>$/gm)].map((r) => Number(r[1]));
    assert.equal(rips.length, 2, 'rip at the breakpoint and after stepi');
    assert.ok(rips[1]! > rips[0]!, 'stepi moved rip forward inside gdb_break_here');
    assert.match(o, /^\$1 = 0$/m, 'gdb_counter before the marker ran');
    assert.match(o, /^\$2 = 0x12345678$/m);
    assert.match(o, /^\$3 = 0x12345678$/m, 'the same through a pointer (virtual address, KVM_TRANSLATE)');
    assert.match(o, /^\$4 = 0xcafef00d$/m);
    assert.match(o, /VM status: paused \(debug\)/, 'monitor commands through qRcmd');
    assert.match(o, /Inferior 1 \(Remote target\) exited with code 053/, 'status 43 = (0x15 << 1) | 1 through isa-debug-exit');
    assert.equal(code, 0);
    assert.equal(exit, 43, m.stderr());
    assert.match(m.stdout(), /gdb_patch = cafef00d\r?\ngdb_counter = 1\r?\n/, 'the guest printed the value gdb wrote');
  });

  test(`software breakpoint (Z0) at CPL0 ${PVM ? '(PVM: the int3 fails to emulate; the accelerator reports it as the breakpoint)' : '(a debug exit)'}`, async () => {
    const m = await startX86(GDB_TARGET, ['-S']);
    const { stdout: o, code } = await gdbBatch(GDB_TARGET, m.port, [
      ...X86_PRELUDE,
      'break gdb_break_here',
      'continue',
      'info registers rip',
      'monitor info stats vcpu',
      // gdb steps over its own breakpoint (z0, step, Z0) before continuing.
      'continue',
    ]);
    const exit = await withTimeout(m.exited, 60_000, 'the machine');
    assert.match(o, /Breakpoint 1, gdb_break_here \(\) at tests\/gdb_target\.c/, o);
    assert.match(o, /^rip\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <gdb_break_here>$/m, 'stopped at the breakpoint, not past the int3');
    assert.match(o, /internal-error \(cumulative\): 0$/m, 'no internal error reaches the VMM');
    assert.match(o, /debug \(cumulative\): [1-9]\d*$/m, 'the breakpoint is a debug exit');
    if (PVM) assert.match(o, /int3-not-emulated \(cumulative\): [1-9]\d*$/m, 'PVM failed to emulate the int3; the accelerator reported the breakpoint');
    else assert.doesNotMatch(o, /int3-not-emulated \(cumulative\): [1-9]/m);
    assert.match(o, /exited with code 053/);
    assert.equal(code, 0);
    assert.equal(exit, 43, m.stderr());
    assert.match(m.stdout(), /gdb_patch = 12345678\r?\ngdb_counter = 1\r?\n/, 'the guest ran its own code under the breakpoint');
  });

  test(`hardware watchpoint on a write ${PVM ? '(PVM: never fires)' : ''}`, async () => {
    const m = await startX86(GDB_TARGET, ['-S']);
    const { stdout: o } = await gdbBatch(GDB_TARGET, m.port, [...X86_PRELUDE, 'watch gdb_counter', 'continue', 'print gdb_counter', 'kill']);
    const exit = await withTimeout(m.exited, 60_000, 'the machine');
    assert.match(o, /Hardware watchpoint 1: gdb_counter/, o);
    if (PVM) {
      // The guest ran past its write to the end: the watchpoint never reported it.
      assert.match(o, /exited with code 053/);
      assert.equal(exit, 43);
    } else {
      assert.match(o, /Old value = 0\s+New value = 1/);
      assert.equal(exit, 0, 'killed from gdb');
    }
  });

  test('Ctrl-C stops a guest that waits in a loop; monitor commands and k over the protocol', async () => {
    const m = await startX86(WAIT_KEY);
    const c = await GdbTcpClient.open(m.port);
    assert.match(await c.ask('?'), /^T05thread:1;10:[0-9a-f]{16};7:[0-9a-f]{16};$/, 'connecting stops the guest; rip (16) and rsp (7) go along');
    c.send('c');
    // The guest polls COM1's line status register until a key arrives (none will).
    await m.waitStdout(/waiting for a key\r?\n/);
    c.raw('\x03');
    assert.match(await c.next(), /^T02thread:1;/, 'SIGINT stop');
    const status = Buffer.from('info status').toString('hex');
    c.send(`qRcmd,${status}`);
    const out = Buffer.from((await c.next()).slice(1), 'hex').toString();
    assert.equal(out, 'VM status: paused (debug)\n');
    assert.equal(await c.next(), 'OK');
    c.send('k');
    assert.equal(await withTimeout(m.exited, 30_000, 'the machine after k'), 0);
  });
});
