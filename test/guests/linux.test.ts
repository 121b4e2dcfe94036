/**
 * Linux 6.1 (Debian's linux-source-6.1, built by `npm run linux:build`) with the busybox
 * initramfs on ppce500, booted on QEMU 7.2 and on ngkvm side by side: the whole console
 * output — kernel log, then /usr/share/ngkvm/selftest.sh (CPU info, interrupt names, pipes,
 * timers, FP, memory, a segfault, the RTC, the drivers bound) and the power-off — must be the
 * same, for both e500 families, with one and two CPUs.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { consoleText, linuxImagesOrWhy, linuxOnNgkvm, linuxOnQemu, normaliseBootLog } from '../support/linux.js';
import { firstDifference, haveCommand } from '../support/processes.js';

const images = linuxImagesOrWhy();
const built = typeof images !== 'string';

/**
 * QEMU's e500mc reports MMUCFG = 0; the core has LPIDSIZE = 6 (category E.HV), which ngkvm
 * reports, so Linux keeps CPU_FTR_EMB_HV (0x200) in its features (README: where QEMU differs).
 */
const EMB_HV_LINE = { qemu: 'cpu_features      = 0x0000000000000194', ngkvm: 'cpu_features      = 0x0000000000000394' };

describe('Linux on ppce500 boots as on QEMU', { concurrency: 1 }, () => {
  test('the Linux images are built and QEMU is installed', () => {
    assert.ok(built, images as string);
    assert.ok(haveCommand('qemu-system-ppc'), 'qemu-system-ppc is the oracle; "npm test" installs it');
  });

  for (const cpu of ['e500v2', 'e500mc'] as const) {
    for (const smp of [1, 2]) {
      test(`${cpu}, ${smp} CPU${smp > 1 ? 's' : ''}: boot log and userland self-test equal QEMU's, poweroff ends the run with status 0`, { skip: !built }, async () => {
        if (typeof images === 'string') return;
        const boot = { cpu, smp, append: 'ngkvm.script=selftest' };
        const [qemu, ours] = await Promise.all([linuxOnQemu(images, boot), linuxOnNgkvm(images, boot)]);
        assert.equal(qemu.code, 0, `QEMU: ${qemu.stderr}`);
        assert.equal(ours.code, 0, `ngkvm ended with ${ours.code} (${ours.signal ?? ''}${ours.timedOut ? ', timed out' : ''}): ${ours.stderr}\n${consoleText(ours).slice(-2000)}`);
        let q = normaliseBootLog(consoleText(qemu));
        let n = normaliseBootLog(consoleText(ours));
        if (cpu === 'e500mc') {
          assert.ok(q.includes(EMB_HV_LINE.qemu), 'QEMU: Linux drops CPU_FTR_EMB_HV (MMUCFG reads 0)');
          assert.ok(n.includes(EMB_HV_LINE.ngkvm), 'ngkvm: Linux keeps CPU_FTR_EMB_HV (MMUCFG[LPIDSIZE] = 6, as the core)');
          q = q.replace(EMB_HV_LINE.qemu, '<features>');
          n = n.replace(EMB_HV_LINE.ngkvm, '<features>');
        }
        assert.ok(n === q, `console output differs from QEMU's at ${firstDifference(Buffer.from(q), Buffer.from(n))}`);
        // What the comparison is about, checked on our side so a broken oracle cannot pass it.
        assert.match(n, new RegExp(`Hardware name: QEMU ppce500 ${cpu}`));
        assert.match(n, smp > 1 ? /smp: Brought up 1 node, 2 CPUs/ : /smp: Brought up 1 node, 1 CPU\n/);
        assert.match(n, /rtc-ds1307 0-0068: registered as rtc0/);
        assert.match(n, /child killed by signal 11 \(Segmentation fault\)/);
        assert.match(n, /sleep 250 ms: ok\nslept 1 s/);
        assert.match(n, /ngkvm: script selftest finished with status 0\n/);
        assert.match(n, /reboot: Power down/);
        assert.equal(ours.stderr, '', 'no device or accelerator warnings while Linux runs');
      });
    }
  }
});
