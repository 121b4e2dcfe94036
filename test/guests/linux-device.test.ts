/**
 * Linux's 8250 driver on a UART served by a device process: `ngkvm run --device
 * uart1,socket=PATH,wait=on` with `ngkvm device uart --socket PATH` in another process. The
 * guest writes a line to ttyS1 and reads one back; the reply arrives only if the UART's
 * receive interrupt reaches the MPIC (the driver has no polling fallback for it), and the
 * interrupt goes from the device's event channel to the accelerator's irqEvent without the
 * machine thread (docs/device-routes.md).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { consoleText, linuxImagesOrWhy, linuxOnNgkvm } from '../support/linux.js';
import { CLI } from '../support/paths.js';

const images = linuxImagesOrWhy();
const dir = mkdtempSync(join(tmpdir(), 'ngkvm-linux-device-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('Linux talks to UART1 in a device process: a line out, a line back through the receive interrupt', { skip: typeof images === 'string' ? images : false, timeout: 600_000 }, async () => {
  if (typeof images === 'string') return;
  const sock = join(dir, 'uart1.sock');
  const vm = linuxOnNgkvm(images, { cpu: 'e500v2', smp: 2, append: 'ngkvm.script=uart1', extraArgs: ['--device', `uart1,socket=${sock},wait=on`] });
  for (let i = 0; i < 600 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(existsSync(sock), 'the VMM made its device socket');
  const device = spawn(process.execPath, [CLI, 'device', 'uart', '--socket', sock], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  device.stderr.on('data', (b: Buffer) => (err += b.toString()));
  device.stdout.on('data', (b: Buffer) => {
    out += b.toString('latin1');
    // The guest's line is out: answer it (the guest is blocked in read on ttyS1 by now or soon).
    if (out.includes('ping from ttyS1\n') && !device.stdin.writableEnded) device.stdin.end('pong\n');
  });
  const deviceEnded = new Promise<number | null>((resolve) => device.on('close', (code) => resolve(code)));
  const run = await vm;
  const deviceCode = await deviceEnded;
  const text = consoleText(run);
  assert.equal(run.code, 0, `${run.stderr}\n${text.slice(-2000)}`);
  assert.equal(out, 'ping from ttyS1\n', `what the device process printed (stderr: ${err})`);
  assert.match(text, /ttyS1 answered: pong\n/, text.slice(-2000));
  assert.match(text, /ngkvm: script uart1 finished with status 0/);
  assert.equal(deviceCode, 0, err);
});
