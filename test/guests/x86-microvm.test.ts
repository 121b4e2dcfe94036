/**
 * The x86-microvm differential suite: every guest of guests/x86 runs on QEMU's microvm
 * (TCG) and on ngkvm with the kvm accelerator; the serial outputs must be byte-identical
 * and the exit statuses (isa-debug-exit: (v << 1) | 1) equal. Runs wherever /dev/kvm
 * exists.
 *
 * On a PVM host (/dev/kvm provided by kvm_pvm, no VT-x/AMD-V: see the notes on PVM in the
 * design documents) three guests cannot match and are skipped with the reason (PVM_LIMITS).
 * Everything else — the entry state, CPL3 code, faults at CPL0 and CPL3, port I/O, MMIO,
 * and edge-triggered interrupts through the IOAPIC and the LAPIC taken at CPL3 — must match
 * there too.
 *
 * Guests with a tests/<name>.devices file (the virtio_* guests) get the -drive/-netdev/-device
 * options it lists on both machines, each with its own copy of the disk image and its own
 * port (QEMU then as microvm,acpi=off: ngkvm's board is microvm without ACPI, whose devices
 * are announced on the kernel command line); the images must also be equal afterwards. x86-virtio.test.ts checks what those guests
 * print on QEMU alone, where no /dev/kvm is needed.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, test } from 'node:test';
import { elfsIn } from '../support/paths.js';
import { firstDifference, haveCommand, type Outcome } from '../support/processes.js';
import { X86, X86_BUILD as BUILD, guestArgs, ngkvmX86, qemuX86, runDevices } from '../support/x86-guests.js';

const haveKvm = existsSync('/dev/kvm');
/** PVM: a software nested hypervisor behind the standard /dev/kvm API. */
const isPvm = existsSync('/sys/module/kvm_pvm') && !/\b(vmx|svm)\b/.test(safeRead('/proc/cpuinfo'));
const PVM_LIMITS: Readonly<Record<string, string>> = {
  irq_cpl0: 'PVM emulates CPL0 code without injecting interrupts into it (sti windows and hlt at CPL0 never take the pending vector)',
  irq_level:
    'PVM acknowledges an interrupt when it injects it (the vector is not in the local APIC ISR in the handler, and the EOI reaches the IOAPIC before the handler ran), so a level-triggered pin is re-delivered once more than on hardware',
  syscall: 'under PVM, syscall from CPL3 enters its handler still at CPL3 (sysret then faults)',
};

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Guests with a source in tests/ (a build directory can hold stale ELFs of removed tests). */
const elfs = elfsIn(BUILD).filter((e) => ['.c', '.S'].some((ext) => existsSync(join(X86, 'tests', basename(e, '.elf') + ext))));
describe('x86-microvm: guests match QEMU microvm byte for byte', { concurrency: 2 }, () => {
  test('the guest suite is built and QEMU is installed', () => {
    assert.ok(elfs.length >= 10, `expected the x86 guests in ${BUILD} (run "make -C guests/x86"), found ${elfs.length} ELF files`);
    assert.ok(haveCommand('qemu-system-x86_64'), 'qemu-system-x86_64 is the oracle of this suite; "npm test" installs it (Debian package qemu-system-x86)');
  });
  for (const elf of elfs) {
    const name = basename(elf, '.elf');
    const skip = !haveKvm ? 'no /dev/kvm on this machine: the kvm accelerator cannot run' : isPvm ? PVM_LIMITS[name] : undefined;
    test(name, skip !== undefined ? { skip } : {}, async () => {
      const a = guestArgs(name);
      // Each machine gets its own disk image and port (the guests write to the disk).
      const [qd, od] = await Promise.all([runDevices(a), runDevices(a)]);
      let qemu: Outcome, ours: Outcome;
      try {
        [qemu, ours] = await Promise.all([qemuX86(elf, a, qd.args), ngkvmX86(elf, a, od.args)]);
        if (qd.image !== undefined && od.image !== undefined) {
          assert.ok(readFileSync(od.image).equals(readFileSync(qd.image)), 'the disk image after the run differs from QEMU\'s');
        }
      } finally {
        qd.dispose();
        od.dispose();
      }
      assert.equal(qemu.timedOut, false, 'QEMU timed out');
      assert.ok(qemu.stdout.length > 0, `QEMU printed nothing: ${qemu.stderr}`);
      // isa-debug-exit gives odd statuses; 0 is a reset with -no-reboot (triple_fault).
      assert.ok(qemu.code === 0 || (qemu.code !== null && qemu.code % 2 === 1), `QEMU did not end through isa-debug-exit or a reset (status ${qemu.code}): ${qemu.stderr}`);
      assert.equal(ours.timedOut, false, `ngkvm timed out; stderr: ${ours.stderr}`);
      assert.ok(ours.stdout.equals(qemu.stdout), `serial output differs from QEMU at ${firstDifference(qemu.stdout, ours.stdout)}\nngkvm stderr: ${ours.stderr}`);
      assert.equal(ours.code, qemu.code, `exit status: QEMU ${qemu.code}, ngkvm ${ours.code}; ngkvm stderr: ${ours.stderr}`);
    });
  }
});
