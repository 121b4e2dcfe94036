/**
 * The monitor on x86-microvm (kvm) against QEMU's on `-M microvm` (TCG): the same guest
 * (guests/x86/tests/wait_key.c) waits for a key on COM1, a stable point at which memory
 * does not change, and the monitor commands whose output depends only on guest memory and
 * page tables (x, xp, gva2gpa, info tlb) must print byte for byte what QEMU prints.
 * `info registers` is compared by layout (values differ by timing and by what each loader
 * leaves in scratch registers), `info status` and stop/cont by text. Runs wherever /dev/kvm
 * exists.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConsoleSession } from '../support/console-session.js';
import { enterMonitor, leaveMonitor, monitorCommand, monitorCommands } from '../support/monitor.js';
import { CLI, GUESTS } from '../support/paths.js';
import { haveCommand } from '../support/processes.js';

const ELF = join(GUESTS, 'x86', 'build', 'wait_key.elf');
const SKIP = existsSync('/dev/kvm') ? undefined : 'no /dev/kvm on this machine: the kvm accelerator cannot run the x86-microvm board';

function qemuMicrovm(): ConsoleSession {
  return new ConsoleSession('qemu-system-x86_64', [
    '-M', 'microvm', '-m', '64M', '-kernel', ELF, '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04',
    '-serial', 'mon:stdio', '-display', 'none', '-net', 'none', '-no-reboot',
  ]);
}

function ngkvmMicrovm(): ConsoleSession {
  return new ConsoleSession(process.execPath, [
    CLI, 'run', '--machine', 'x86-microvm', '--accel', 'kvm', '-m', '64M', '--kernel', ELF, '--serial', 'stdio', '--monitor', 'stdio', '--no-reboot',
  ]);
}

/** Commands at the guest's waiting point; `P` is the pattern's address the guest printed. */
function dumpCommands(p: number): string[] {
  const at = (off: number): string => `0x${(p + off).toString(16)}`;
  return [
    `x/4wx ${at(0)}`,
    `xp/4wx ${at(0)}`,
    `x/2gx ${at(0)}`,
    `x/8bx ${at(0)}`,
    `x/3hx ${at(1)}`,
    `x/16c ${at(48)}`,
    `x/2hd ${at(0)}`,
    `x/2wu ${at(4)}`,
    `x/2go ${at(8)}`,
    `xp/5xb ${at(62)}`,
    `x/20xw ${at(0)}`,
    `gva2gpa ${at(0)}`,
    `gva2gpa ${at(0xfff)}`,
    'gva2gpa 0xffffffff80000000',
    'gva2gpa 0x7fff00000000',
    'x/2wx 0xffffffff80000000',
    'info tlb',
    'info status',
  ];
}

/** The layout of a register dump: hex digits become `h`, decimal digits `d`. */
const shape = (text: string): string => text.replace(/[0-9a-f]/g, 'h');

describe('monitor on x86-microvm: output as QEMU 7.2 prints it on microvm', { skip: SKIP }, () => {
  test('the guest is built and QEMU is installed', () => {
    assert.ok(existsSync(ELF), `build the x86 guests first (make -C guests/x86): ${ELF}`);
    assert.ok(haveCommand('qemu-system-x86_64'), 'qemu-system-x86_64 is the oracle of this test (Debian package qemu-system-x86)');
  });

  test('x/xp/gva2gpa/info tlb/info status match, stop and cont, info registers has QEMU\'s layout; the key typed afterwards ends the run', async () => {
    const sessions = [qemuMicrovm(), ngkvmMicrovm()];
    try {
      const [qemu, ours] = await Promise.all(
        sessions.map(async (s) => {
          const ready = await s.waitFor(/waiting for a key\r?\n/, 60_000);
          const m = /pattern at ([0-9a-f]+)/.exec(ready);
          assert.ok(m !== null, ready);
          const banner = await enterMonitor(s);
          const outputs = await monitorCommands(s, dumpCommands(parseInt(m[1]!, 16)));
          // Device registers are not read by ngkvm's monitor (no side effects from looking);
          // QEMU reads the IOAPIC's: compared below as a known difference.
          const ioapic = await monitorCommand(s, 'xp/2wx 0xfec00000');
          const mtree = await monitorCommand(s, 'info mtree');
          outputs.set('stop', await monitorCommand(s, 'stop'));
          outputs.set('info status (stopped)', await monitorCommand(s, 'info status'));
          const registers = await monitorCommand(s, 'info registers');
          outputs.set('cont', await monitorCommand(s, 'cont'));
          outputs.set('info status (continued)', await monitorCommand(s, 'info status'));
          leaveMonitor(s);
          // A line: ngkvm hands piped (non-terminal) input to the guest a line at a time.
          s.type('A\n');
          await s.waitFor(/got 41\r?\n/, 60_000);
          return { banner, outputs, registers, ioapic, mtree, code: await s.exit(60_000) };
        }),
      );
      for (const [command, expected] of qemu!.outputs) assert.equal(ours!.outputs.get(command), expected, `output of "${command}"`);
      assert.match(ours!.banner, /^ngkvm [\d.]+ monitor - type 'help' for more information\n\(qemu\) $/);
      // Not vacuous: the pattern reads little-endian, and unmapped addresses say so.
      const p = [...qemu!.outputs.keys()][0]!.split(' ')[1]!;
      assert.equal(ours!.outputs.get(`x/4wx ${p}`), `${BigInt(p).toString(16).padStart(16, '0')}: 0xa3a2a1a0 0xa7a6a5a4 0xabaaa9a8 0xafaeadac\n`);
      assert.equal(ours!.outputs.get('gva2gpa 0xffffffff80000000'), 'Unmapped\n');
      assert.equal(ours!.outputs.get('x/2wx 0xffffffff80000000'), 'ffffffff80000000: Cannot access memory\n');
      assert.match(ours!.outputs.get('info tlb')!, /^0000000000000000: 0000000000000000 --P[-D][-A]--UW\n/);
      assert.equal(ours!.outputs.get('info status (stopped)'), 'VM status: paused\n');
      assert.equal(qemu!.ioapic, '00000000fec00000: 0x00000000 0x00000000\n');
      assert.equal(ours!.ioapic, '00000000fec00000: Cannot access memory\n', 'device registers are not read by the monitor');
      assert.equal(ours!.outputs.get('info status (continued)'), 'VM status: running\n');
      // info mtree: every region ngkvm shows is in QEMU's system memory tree with the same
      // depth, range, priority and kind (names are each VMM's own; QEMU lists more).
      const regionOf = (line: string): string => line.replace(/\): .*$/, ')');
      const qemuSystem = qemu!.mtree.split('address-space: memory\n')[1]!.split('address-space:')[0]!.split('\n').map(regionOf);
      const ourLines = ours!.mtree.split('\n').filter((l) => l.startsWith('  '));
      assert.ok(ourLines.some((l) => /\(prio 0, ram\)/.test(l)) && ourLines.some((l) => /fec00000.*ioapic/.test(l)), ours!.mtree);
      for (const line of ourLines) assert.ok(qemuSystem.includes(regionOf(line)), `"${line}" is in QEMU's tree:\n${qemu!.mtree}`);

      // info registers: QEMU's lines in QEMU's order and widths. The LDT line is the one
      // that differs in more than values: KVM marks a null LDT unusable (flags 0, nothing
      // decoded), QEMU's TCG keeps a present LDT descriptor (`00008200 DPL=0 LDT`).
      const q = qemu!.registers.split('\n').filter((l) => !l.startsWith('LDT='));
      const o = ours!.registers.split('\n').filter((l) => !l.startsWith('LDT='));
      assert.deepEqual(o.map(shape), q.map(shape), `layout:\n${ours!.registers}\nQEMU:\n${qemu!.registers}`);
      assert.match(ours!.registers, /^LDT=0000 0000000000000000 [0-9a-f]{8} 00000000$/m);
      // Values that are the same on both: the guest's long-mode state at its waiting loop.
      for (const line of ['CR0=80000011', 'EFER=0000000000000500', 'GDT=     ', 'CS =0008 0000000000000000 ffffffff 00a09b00 DPL=0 CS64 [-RA]', 'SS =0010 0000000000000000 ffffffff 00c09300 DPL=0 DS   [-WA]']) {
        assert.ok(ours!.registers.includes(line), `${line} in\n${ours!.registers}`);
      }
      assert.match(ours!.registers, /^RIP=[0-9a-f]{16} RFL=[0-9a-f]{8} \[[-DOSZAPC]{7}\] CPL=0 II=[01] A20=1 SMM=0 HLT=0$/m);
      assert.equal(qemu!.code, 131, 'QEMU: the key 0x41 through isa-debug-exit');
      assert.equal(ours!.code, 131);
    } finally {
      for (const s of sessions) s.kill();
    }
  });
});
