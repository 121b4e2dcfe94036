/**
 * The ppce500 machine in a web page (web/, scripts/web.mjs), in a real browser: Debian's
 * chromium driven by playwright-core. U-Boot boots in the page's worker to its prompt; what
 * typing `version` prints and the TLB panel equal the CLI's console and monitor (`info tlb`)
 * for the same firmware; a long paste and Ctrl-C reach U-Boot; pause stops the instruction counter, resume restarts it, reset
 * boots again; the machine options reach the board. With the Linux images built, the page
 * boots Linux (kernel, initramfs, command line) to its shell, whose `uname` answers as on the CLI.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { consoleText, linuxImagesOrWhy, linuxOnNgkvm } from '../support/linux.js';
import { enterMonitor, monitorCommand, ngkvmWithMonitor } from '../support/monitor.js';
import { UBOOT_ELF, haveUboot, runUboot } from '../support/uboot.js';
import { CHROMIUM, launchChromium, startWebServer } from '../support/web.js';

const LONG = 180_000;

interface PageStatus {
  readonly instructions: number;
  readonly atMs: number;
}
declare const ngkvm: {
  state: string;
  status: (PageStatus & { tlb: string }) | null;
  error: string | null;
  screenText(): string;
};

const screen = (page: Page): Promise<string> => page.evaluate(() => ngkvm.screenText());

async function waitForScreen(page: Page, pattern: RegExp): Promise<string> {
  await page.waitForFunction((src) => new RegExp(src[0]!, src[1]).test(ngkvm.screenText()) || ngkvm.error !== null, [pattern.source, pattern.flags], { timeout: LONG, polling: 100 });
  const error = await page.evaluate(() => ngkvm.error);
  assert.equal(error, null, 'the machine failed in the page');
  return screen(page);
}

/** Waits for a status newer than `than` (the worker answers the page's request twice a second). */
async function nextStatus(page: Page, than: number): Promise<PageStatus & { state: string }> {
  await page.waitForFunction((t) => ngkvm.status !== null && ngkvm.status.atMs > t, than, { timeout: LONG, polling: 50 });
  return page.evaluate(() => ({ instructions: ngkvm.status!.instructions, atMs: ngkvm.status!.atMs, state: ngkvm.state }));
}

const haveChromium = existsSync(CHROMIUM);
const images = linuxImagesOrWhy();

describe('web: the ppce500 machine in a browser page', { concurrency: 1, skip: !haveChromium ? `${CHROMIUM} is missing (apt-get install chromium; npm test installs it)` : !haveUboot() ? `${UBOOT_ELF} is missing` : false }, () => {
  let web: Awaited<ReturnType<typeof startWebServer>>;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  before(async () => {
    web = await startWebServer();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    web?.server.kill();
  });

  test('U-Boot to its prompt; version and the TLB panel as on the CLI; pause, resume, reset', { timeout: 600_000 }, async () => {
    // The CLI's answers: the console's `version`, then the monitor's `info tlb` at the prompt.
    const cli = ngkvmWithMonitor('e500v2', UBOOT_ELF);
    let cliVersion: string;
    let cliTlb: string;
    try {
      cliVersion = (await runUboot(cli, ['version'], LONG)).outputs[0]!.output;
      await enterMonitor(cli);
      cliTlb = await monitorCommand(cli, 'info tlb');
    } finally {
      cli.kill();
    }
    assert.match(cliVersion, /^U-Boot 2023\.01/);

    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(web.url);
    await waitForScreen(page, /Hit any key to stop autoboot/);
    await page.click('#term');
    await page.keyboard.press('Enter');
    await waitForScreen(page, /\n=> $/);
    await page.keyboard.type('version');
    await page.keyboard.press('Enter');
    const text = await waitForScreen(page, /\n=> version\n[^]*\n=> $/);
    const shown = /\n=> version\n([^]*)\n=> $/.exec(text)![1]!;
    const trimLines = (s: string): string => s.split('\n').map((l) => l.trimEnd()).join('\n');
    assert.equal(shown, trimLines(cliVersion.replace(/\n$/, '')), 'the same version text as the CLI prints');

    // A paste longer than the UART's 16-byte FIFO arrives whole; Ctrl-C reaches U-Boot too.
    const long = 'echo pasted-0123456789-abcdefghijklmnopqrstuvwxyz';
    await page.keyboard.insertText(long);
    await page.keyboard.press('Enter');
    await waitForScreen(page, /\n=> echo pasted-0123456789-abcdefghijklmnopqrstuvwxyz\npasted-0123456789-abcdefghijklmnopqrstuvwxyz\n=> $/);
    await page.keyboard.type('abc');
    await page.keyboard.press('Control+C');
    await waitForScreen(page, /\n=> abc<INTERRUPT>\n=> $/);

    // The panel: registers of vCPU 0, the TLB as `info tlb` prints it.
    const first = await nextStatus(page, 0);
    const later = await nextStatus(page, first.atMs);
    assert.equal(await page.textContent('#tlb'), cliTlb.replace(/^\n/, ''), 'the TLB panel shows what the monitor shows');
    assert.match(cliTlb, /\nTLB1:\n.*\n0x00000000e0000000 0x0000000fe0000000   1M 0     0  SRW-U--- -I-G- U----\n/, 'U-Boot\'s CCSR mapping is there');
    const regs = (await page.textContent('#regs'))!;
    assert.match(regs, /^PC  [0-9a-f]{8} MSR [0-9a-f]{8} LR  [0-9a-f]{8} CTR [0-9a-f]{8}\n/);
    for (let i = 0; i < 32; i++) assert.match(regs, new RegExp(`\\bR${i} +[0-9a-f]{8}\\b`));
    assert.match((await page.textContent('#stats'))!, /^mmio +\d+$/m);
    assert.ok(later.instructions > first.instructions, 'U-Boot polls its UART at the prompt: the count moves');
    // README's picture (docs/web.png): NGKVM_WEB_SCREENSHOT=docs/web.png node --test dist/test/web/web.test.js
    if (process.env['NGKVM_WEB_SCREENSHOT'] !== undefined) await page.screenshot({ path: process.env['NGKVM_WEB_SCREENSHOT'] });

    // Pause: the count stands still over two status updates; resume: it moves again.
    await page.click('#pause');
    await page.waitForFunction(() => ngkvm.state === 'paused', undefined, { timeout: LONG });
    const p1 = await nextStatus(page, 0);
    const p2 = await nextStatus(page, p1.atMs);
    const p3 = await nextStatus(page, p2.atMs);
    assert.equal(p3.instructions, p2.instructions, 'no guest instruction runs while paused');
    assert.equal(await page.textContent('#mips'), '0.0');
    assert.equal(await page.isDisabled('#pause'), true);
    await page.click('#resume');
    await page.waitForFunction((n) => ngkvm.state === 'running' && ngkvm.status!.instructions > n, p3.instructions, { timeout: LONG, polling: 50 });

    // Reset: the board starts over and U-Boot prints its banner again.
    await page.click('#reset');
    await waitForScreen(page, /Hit any key to stop autoboot[^]*Hit any key to stop autoboot/);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('machine options: e500mc with two CPUs and 512 MiB reach the board', { timeout: 300_000 }, async () => {
    const page = await browser.context.newPage();
    await page.goto(`${web.url}?cpu=e500mc&smp=2&ram=512`);
    const text = await waitForScreen(page, /Hit any key to stop autoboot/);
    assert.match(text, /^Core: +e500mc,/m);
    assert.match(text, /^DRAM: +512 MiB$/m);
    assert.equal(await page.inputValue('#cpu'), 'e500mc');
    await page.close();
  });

  test('Linux (e500v2, 256 MiB) to its shell; uname as on the CLI', { timeout: 300_000, skip: typeof images === 'string' ? images : false }, async () => {
    if (typeof images === 'string') return;
    // The CLI's answer: the uname script prints `uname -a` first.
    const cli = linuxOnNgkvm(images, { cpu: 'e500v2', smp: 1, append: 'ngkvm.script=uname' });

    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${web.url}?linux&cpu=e500v2&ram=256`);
    assert.equal(await page.inputValue('#guest'), 'linux');
    assert.equal(await page.inputValue('#kernel-url'), 'linux/e500v2/vmlinux');
    assert.equal(await page.inputValue('#append'), 'console=ttyS0');
    await waitForScreen(page, /\nngkvm:\/# $/);
    await page.click('#term');
    await page.keyboard.type('uname -m');
    await page.keyboard.press('Enter');
    await waitForScreen(page, /\nngkvm:\/# uname -m\nppc\nngkvm:\/# $/);
    await page.keyboard.type('uname -a');
    await page.keyboard.press('Enter');
    const text = await waitForScreen(page, /\nngkvm:\/# uname -a\n.*\nngkvm:\/# $/);
    const shown = /\nngkvm:\/# uname -a\n(.*)\nngkvm:\/# $/.exec(text)![1]!;

    const ours = await cli;
    assert.equal(ours.code, 0, ours.stderr);
    const cliUname = consoleText(ours).split('\n').find((l) => l.startsWith('Linux ngkvm '));
    assert.equal(shown, cliUname?.trimEnd(), 'the same `uname -a` as the CLI prints');
    assert.match(shown, /^Linux ngkvm 6\.1\.\d+ .* ppc GNU\/Linux$/);
    assert.match(text, /^Linux version 6\.1\./m);
    assert.match(text, /^Kernel command line: console=ttyS0$/m);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
