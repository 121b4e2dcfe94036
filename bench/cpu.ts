/**
 * CPU-bound guest (guests/tests/bench-cpu.c: CRC-32, sieve, matrix multiply) on ngkvm's e500
 * accelerator and on QEMU TCG, in the same run. Prints guest instructions per second (counted
 * by ngkvm in-process, where process start-up is excluded) and the end-to-end wall-time ratio
 * ngkvm/QEMU of the same command line.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Hypervisor } from '../src/api/index.js';
import { Ppce500Board } from '../src/boards/ppce500/board.js';
import { CLI, ROOT, median, repeat, table, timeCommand } from './harness.js';

const RUNS = 3;

/** bench-cpu run to its end in this process (the clock starts once the board is built). */
export async function inProcess(cpu: string, elf: string, jit: boolean): Promise<{ insns: number; ms: number }> {
  process.env['NGKVM_JIT'] = jit ? '1' : '0';
  const hv = await Hypervisor.open({ accel: 'e500' });
  const board = Ppce500Board.create(hv, {
    cpu,
    ramSize: 256 << 20,
    bios: { name: elf, bytes: new Uint8Array(readFileSync(elf)) },
    serials: [{ write: () => {}, read: () => -1 }],
  });
  const vcpu = board.vcpus[0]!;
  const t0 = performance.now();
  for (;;) {
    const exit = vcpu.run();
    if (exit.kind !== 'mmio' && exit.kind !== 'halt') throw new Error(`unexpected ${exit.kind} exit`);
    if (board.handleExit(vcpu, exit) === 'reset') break;
  }
  const ms = performance.now() - t0;
  delete process.env['NGKVM_JIT'];
  return { insns: vcpu.stats()['instructions']!, ms };
}

export async function benchCpu(): Promise<void> {
  const rows: string[][] = [['cpu', 'guest insns', 'ngkvm MIPS', 'interp MIPS', 'ngkvm wall', 'QEMU wall', 'ngkvm/QEMU']];
  for (const cpu of ['e500v2', 'e500mc']) {
    const elf = join(ROOT, 'guests', 'build', cpu, 'bench-cpu.elf');
    const jit = await inProcess(cpu, elf, true);
    const interp = await inProcess(cpu, elf, false);
    const ours = median(await repeat(RUNS, async () => (await timeCommand(process.execPath, [CLI, 'run', '--machine', 'ppce500', '--cpu', cpu, '-m', '256M', '--bios', elf, '--serial', 'stdio', '--no-reboot'])).ms));
    const qemu = median(
      await repeat(RUNS, async () => (await timeCommand('qemu-system-ppc', ['-M', 'ppce500', '-cpu', cpu, '-m', '256', '-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-net', 'none', '-no-reboot', '-bios', elf])).ms),
    );
    rows.push([
      cpu,
      `${(jit.insns / 1e6).toFixed(0)} M`,
      (jit.insns / jit.ms / 1000).toFixed(0),
      (interp.insns / interp.ms / 1000).toFixed(0),
      `${(ours / 1000).toFixed(2)} s`,
      `${(qemu / 1000).toFixed(2)} s`,
      (ours / qemu).toFixed(2),
    ]);
  }
  process.stdout.write(`\nCPU-bound guest (bench-cpu), median of ${RUNS} runs; ratio < 1 means ngkvm is faster\n`);
  process.stdout.write(table(rows) + '\n');
}
