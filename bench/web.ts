/**
 * The e500 accelerator in a browser page (web/, in Debian's chromium) against the same code
 * in Node: MIPS of the CPU-bound guest (guests/tests/bench-cpu.c) run to its end in the page's
 * worker and in this process, both counted from the built board to the guest's reset.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CHROMIUM, launchChromium, startWebServer } from '../test/support/web.js';
import { inProcess } from './cpu.js';
import { ROOT, median, repeat, table } from './harness.js';

const RUNS = 3;

declare const ngkvm: { ended: { instructions: number; ms: number } | null; error: string | null };

export async function benchWeb(): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    process.stdout.write(`\nweb: skipped, ${CHROMIUM} is missing (apt-get install chromium)\n`);
    return;
  }
  const web = await startWebServer();
  const browser = await launchChromium();
  try {
    const rows: string[][] = [['cpu', 'guest insns', 'page MIPS', 'Node MIPS', 'page/Node']];
    for (const cpu of ['e500v2', 'e500mc']) {
      const elf = join(ROOT, 'guests', 'build', cpu, 'bench-cpu.elf');
      let insns = 0;
      const inPage = median(
        await repeat(RUNS, async () => {
          const page = await browser.context.newPage();
          await page.goto(`${web.url}?cpu=${cpu}&bios=guests/${cpu}/bench-cpu.elf&noreboot=1`);
          await page.waitForFunction(() => ngkvm.ended !== null || ngkvm.error !== null, undefined, { timeout: 600_000, polling: 100 });
          const r = await page.evaluate(() => ({ ended: ngkvm.ended, error: ngkvm.error }));
          await page.close();
          if (r.ended === null) throw new Error(`bench-cpu in the page: ${r.error}`);
          insns = r.ended.instructions;
          return r.ended.instructions / r.ended.ms / 1000;
        }),
      );
      const inNode = median(
        await repeat(RUNS, async () => {
          const r = await inProcess(cpu, elf, true);
          return r.insns / r.ms / 1000;
        }),
      );
      rows.push([cpu, `${(insns / 1e6).toFixed(0)} M`, inPage.toFixed(0), inNode.toFixed(0), (inPage / inNode).toFixed(2)]);
    }
    process.stdout.write(`\nbench-cpu in a chromium page (Web Worker) and in Node, median of ${RUNS} runs; ratio < 1 means the page is slower\n`);
    process.stdout.write(table(rows) + '\n');
  } finally {
    await browser.close();
    web.server.kill();
  }
}
