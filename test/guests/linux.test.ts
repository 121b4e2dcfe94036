/**
 * Linux 6.1 (Debian's linux-source-6.1, built by `npm run linux:build`) with the busybox
 * initramfs on ppce500, booted on QEMU 7.2 and on ngkvm side by side: the whole console
 * output — kernel log, then /usr/share/ngkvm/selftest.sh (CPU info, interrupt names, pipes,
 * timers, FP, memory, a segfault, the RTC, the drivers bound) and the power-off — must be the
 * same, for both e500 families, with one and two CPUs.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { comparableLogs, consoleText, linuxImagesOrWhy, linuxOnNgkvm, linuxOnQemu } from '../support/linux.js';
import { firstDifference, haveCommand } from '../support/processes.js';

const images = linuxImagesOrWhy();
const built = typeof images !== 'string';

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
        const { qemu: q, ours: n } = comparableLogs(consoleText(qemu), consoleText(ours));
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
