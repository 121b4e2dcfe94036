/**
 * Debian's unmodified U-Boot for QEMU's ppce500 (package u-boot-qemu) on both cores: booted on
 * QEMU and on ngkvm side by side, driven through the console like a person would (each command
 * typed once the prompt is back), and every deterministic line compared. `npm test` installs the
 * package; without it the test fails and says how to get it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { haveCommand, ngkvm } from '../support/processes.js';
import { UBOOT_ELF, haveUboot, runUboot, ubootOnNgkvm, ubootOnQemu, type UbootRun } from '../support/uboot.js';
import type { ConsoleSession } from '../support/console-session.js';

const COMMANDS = [
  'version',
  'bdinfo',
  'printenv',
  'setenv ngkvm_test hello world',
  'printenv ngkvm_test',
  'mw.l 0x1000000 0x12345678 4',
  'mw.l 0x1000010 0xcafef00d 4',
  'md.l 0x1000000 0x10',
  'cmp.l 0x1000000 0x1000010 4',
  'cp.l 0x1000000 0x1000010 4',
  'cmp.l 0x1000000 0x1000010 4',
  'md.b 0x1000000 0x20',
  'crc32 0x1000000 0x20',
  'sleep 1',
  'pci',
  'pci header 0.0.0',
  'reset',
];

/** Runs the session on both, killing whatever is left if an assertion fails. */
async function both(cpu: string): Promise<{ qemu: UbootRun; ours: UbootRun; codes: (number | null)[] }> {
  const sessions: ConsoleSession[] = [ubootOnQemu(cpu), ubootOnNgkvm(cpu)];
  try {
    const [qemu, ours] = await Promise.all(sessions.map((s) => runUboot(s, COMMANDS)));
    const codes = await Promise.all(sessions.map((s) => s.exit()));
    return { qemu: qemu!, ours: ours!, codes };
  } finally {
    for (const s of sessions) s.kill();
  }
}

describe('Debian U-Boot (qemu-ppce500) behaves as on QEMU', { concurrency: 1 }, () => {
  test('U-Boot and QEMU are installed', () => {
    assert.ok(haveUboot(), `${UBOOT_ELF} is missing: "npm test" installs it (apt-get install u-boot-qemu)`);
    assert.ok(haveCommand('qemu-system-ppc'), 'qemu-system-ppc is the oracle here; "npm test" installs it');
  });

  for (const cpu of ['e500v2', 'e500mc']) {
    test(`${cpu}: boot banner, prompt and ${COMMANDS.length} commands match QEMU`, { skip: !haveUboot() }, async () => {
      const { qemu, ours, codes } = await both(cpu);
      assert.deepEqual(codes, [0, 0], 'reset ends both runs with status 0 (-no-reboot)');
      assert.equal(ours.boot, qemu.boot, 'boot messages up to the autoboot countdown');
      assert.match(ours.boot, new RegExp(`Core:  ${cpu}, Version`));
      assert.match(ours.boot, /DRAM:  256 MiB/);
      assert.equal(ours.outputs.length, COMMANDS.length - 1);
      for (let i = 0; i < ours.outputs.length; i++) {
        const o = ours.outputs[i]!;
        assert.equal(o.output, qemu.outputs[i]!.output, `output of "${o.command}"`);
      }
      const byCommand = new Map(ours.outputs.map((o) => [o.command, o]));
      assert.match(byCommand.get('version')!.output, /^U-Boot 2023\.01/);
      assert.match(byCommand.get('printenv ngkvm_test')!.output, /^ngkvm_test=hello world\n$/);
      const cmps = ours.outputs.filter((o) => o.command.startsWith('cmp.l'));
      assert.match(cmps[0]!.output, /^word at 0x01000000 \(0x12345678\) != word at 0x01000010 \(0xcafef00d\)\nTotal of 0 word\(s\) were the same\n$/);
      assert.equal(cmps[1]!.output, 'Total of 4 word(s) were the same\n', 'cmp after cp');
      assert.match(byCommand.get('pci')!.output, /00\.00\.00 +0x1957 +0x0030/);
      // The guest's time base follows the host clock: a one-second sleep cannot end early.
      assert.ok(byCommand.get('sleep 1')!.ms >= 990, `sleep 1 returned after ${byCommand.get('sleep 1')!.ms.toFixed(0)} ms`);
    });
  }

  test('piped stdin drives the prompt a line at a time (the first line stops the autoboot)', { skip: !haveUboot() }, async () => {
    const r = await ngkvm(['run', '-m', '256M', '--bios', UBOOT_ELF, '--no-reboot'], { input: '\nversion\nprintenv bootdelay\nreset\n', timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout.toString().replace(/\r/g, '');
    assert.match(out, /=> version\nU-Boot 2023\.01[^\n]*\n\npowerpc-linux-gnu-gcc/);
    assert.match(out, /=> printenv bootdelay\nbootdelay=1\n=> reset\n/);
  });
});
