/**
 * The x86 virtio guests (guests/x86/tests/virtio_*.c) on QEMU's microvm alone (without ACPI,
 * as ngkvm's board: the devices are announced on the kernel command line, the first on the
 * last transport, 0xfeb00e00, IRQ 12): what each must print when it drives its virtio-mmio
 * devices correctly. QEMU (TCG) needs no /dev/kvm, so this
 * runs everywhere and shows the guests are correct drivers; the differential suite
 * (x86-microvm.test.ts) then runs the same guests on ngkvm with the kvm accelerator.
 *
 *  - virtio_blk: the checksums of sectors 0..3 of the known image (testImage), a write of
 *    sector 5 read back, FLUSH, an IOERR past the end; the image file on the host holds the
 *    written sector afterwards and nothing else changed;
 *  - virtio_rng: 3 × 32 bytes arrive (their content is random and not printed), the third with
 *    its used-buffer interrupt taken through IOAPIC pin 12 and acknowledged in the handler;
 *  - virtio_net: both MACs from config space, a frame sent on one device arrives on the other
 *    over a socket netdev pair (listen/connect on one free port).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { haveCommand } from '../support/processes.js';
import { X86_BUILD, fnv1a, guestArgs, qemuX86, runDevices, testImage, TEST_IMAGE_SECTORS } from '../support/x86-guests.js';

const hex8 = (n: number): string => n.toString(16).padStart(8, '0');
const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/** Sector 5 as virtio_blk.c writes it: a text, then 0xa5 ^ offset. */
function writtenSector(): Buffer {
  const text = Buffer.from('ngkvm virtio-blk guest wrote sector 5');
  const b = Buffer.alloc(512);
  for (let i = 0; i < 512; i++) b[i] = i < text.length ? text[i]! : (0xa5 ^ i) & 0xff;
  return b;
}

function expectedBlk(): string {
  const img = testImage();
  const w = fnv1a(writtenSector());
  const lines = [
    'blk: virtio_mmio.device at 0xfeb00e00, IRQ 12 (kernel command line)',
    'blk: virtio-mmio version 2, device id 2',
    'blk: features VERSION_1 1 FLUSH 1',
    `blk: capacity ${TEST_IMAGE_SECTORS} sectors`,
    'blk: read sectors 0-3: status 0, 2049 bytes written by the device',
    'blk: InterruptStatus 1 when the buffer was used, acknowledged, now 0',
  ];
  for (let s = 0; s < 4; s++) {
    const sec = img.subarray(512 * s, 512 * (s + 1));
    lines.push(`  sector ${s}: fnv1a ${hex8(fnv1a(sec))}, bytes ${[sec[0]!, sec[1]!, sec[2]!, sec[511]!].map(hex2).join(' ')}`);
  }
  lines.push(
    `blk: write sector 5: status 0, fnv1a ${hex8(w)}`,
    `blk: read back sector 5: status 0, fnv1a ${hex8(w)}, matches`,
    'blk: flush: status 0',
    `blk: read sector ${TEST_IMAGE_SECTORS} (past the end): status IOERR`,
    'blk: reset, status 0',
  );
  return lines.join('\n') + '\n';
}

const rngTranscript = (where: string, irq: string): string =>
  [
    `rng: ${where}`,
    'rng: virtio-mmio version 2, device id 4',
    'rng: features VERSION_1 1',
    'rng: request 0: descriptor 0, 32 bytes, InterruptStatus 1',
    'rng: request 1: descriptor 1, 32 bytes, InterruptStatus 1',
    'rng: 64 bytes in all, not all zero',
    irq,
  ].join('\n') + '\n';

const EXPECTED_NET = [
  'net: device 0: virtio-mmio version 2, features VERSION_1 1 MAC 1, mac 52:54:00:12:34:01',
  'net: device 0: virtio_mmio.device at 0xfeb00e00, IRQ 12 (kernel command line)',
  'net: device 1: virtio-mmio version 2, features VERSION_1 1 MAC 1, mac 52:54:00:12:34:02',
  'net: device 1: virtio_mmio.device at 0xfeb00c00, IRQ 11 (kernel command line)',
  'net: device 1 sent a 60-byte frame (descriptor 0 returned)',
  'net: device 0 received 72 bytes (header 12 + frame 60), from 52:54:00:12:34:02, type 88b5, frame matches',
  'net: "ngkvm virtio-net loopback frame"',
].join('\n') + '\n';

const haveQemu = haveCommand('qemu-system-x86_64');

describe('x86 virtio guests on QEMU microvm', { concurrency: 2 }, () => {
  test('QEMU is installed', () => {
    assert.ok(haveQemu, 'qemu-system-x86_64 is the oracle of this suite; "npm test" installs it (Debian package qemu-system-x86)');
  });

  async function run(name: string, check?: (image: Buffer) => void, acpi = false): Promise<string> {
    const elf = join(X86_BUILD, `${name}.elf`);
    assert.ok(existsSync(elf), `${elf} is not built (run "make -C guests/x86")`);
    const a = guestArgs(name);
    assert.ok(a.devices !== undefined, `guests/x86/tests/${name}.devices is missing`);
    const d = await runDevices(a);
    try {
      const r = await qemuX86(elf, a, d.args, { acpi });
      assert.equal(r.timedOut, false, `QEMU timed out; stderr: ${r.stderr}`);
      assert.equal(r.code, 1, `exit status ${r.code} (isa-debug-exit with 0 is 1); stderr: ${r.stderr}\n${r.stdout.toString()}`);
      if (check !== undefined) check(readFileSync(d.image!));
      return r.stdout.toString('latin1').replaceAll('\r\n', '\n');
    } finally {
      d.dispose();
    }
  }

  const skip = haveQemu ? {} : { skip: 'qemu-system-x86_64 is not installed' };
  test('virtio_blk: reads the known sectors, writes sector 5 into the image, flushes', skip, async () => {
    const out = await run('virtio_blk', (image) => {
      const want = testImage();
      writtenSector().copy(want, 5 * 512);
      assert.equal(image.length, want.length, 'the image changed size');
      for (let s = 0; s < TEST_IMAGE_SECTORS; s++) {
        assert.ok(image.subarray(512 * s, 512 * (s + 1)).equals(want.subarray(512 * s, 512 * (s + 1))), `sector ${s} of the image on the host is not what the guest left`);
      }
    });
    assert.equal(out, expectedBlk());
  });
  test('virtio_rng: random bytes arrive, the third request with its interrupt through the IOAPIC', skip, async () => {
    assert.equal(await run('virtio_rng'), rngTranscript(
        'virtio_mmio.device at 0xfeb00e00, IRQ 12 (kernel command line)',
        'rng: request 2 with IOAPIC pin 12 unmasked: interrupt taken, InterruptStatus 1 in the handler; buffer used, 32 bytes',
      ));
  });
  test('virtio_rng with ACPI (no virtio_mmio.device= on the PVH command line): found by probing', skip, async () => {
    assert.equal(await run('virtio_rng', undefined, true), rngTranscript('virtio-mmio transport found by probing the microvm addresses', 'rng: no IRQ known, interrupt not tried'));
  });
  test('virtio_net: MACs from config space, a frame over a socket netdev pair', skip, async () => {
    assert.equal(await run('virtio_net'), EXPECTED_NET);
  });
});
