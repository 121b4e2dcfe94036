/**
 * A whole ppce500 machine saved mid-run and loaded into a fresh one (issue 14): the guest is
 * stopped in the middle of a UART write (an MMIO exit in flight), written to a snapshot file
 * by the monitor's code path (MigrationController, `migrate file:`), loaded into a second
 * machine built from the same image, and both run to the end: the same console output from
 * the switch on, the same registers at the end. Also: what a load refuses.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Hypervisor } from '../../../src/api/index.js';
import { Ppce500Board } from '../../../src/boards/ppce500/board.js';
import { TimerQueue } from '../../../src/devices/clock.js';
import { MigrationController } from '../../../src/vmm/migration/controller.js';
import { loadStream } from '../../../src/vmm/migration/machine-image.js';
import { MigrationError } from '../../../src/vmm/migration/stream.js';
import { FileSource } from '../../../src/vmm/migration/transport.js';
import { RunControl } from '../../../src/vmm/run-state.js';
import { guestElf } from '../../support/monitor.js';

const dir = mkdtempSync(join(tmpdir(), 'ngkvm-migration-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const MiB = 1 << 20;

interface Machine {
  readonly board: Ppce500Board;
  readonly out: number[];
}

async function machine(cpu: string, elf: string, ramSize = 128 * MiB, cpus = 1): Promise<Machine> {
  const out: number[] = [];
  const board = Ppce500Board.create(await Hypervisor.open({ accel: 'e500' }), {
    cpu,
    cpus,
    ramSize,
    kernel: { name: elf, bytes: readFileSync(elf) },
    serials: [{ write: (b) => void out.push(b), read: () => -1 }],
    clock: new TimerQueue(),
    log: () => {},
  });
  return { board, out };
}

/** Runs until `stop` says so after an exit, or the guest asks for a reset (the test library's exit). */
function run(m: Machine, stop: () => boolean = () => false): 'stopped' | 'ended' {
  for (let n = 0; n < 50_000_000; n++) {
    const { vcpu, exit } = m.board.vm.runVcpus();
    const event = exit.kind === 'interrupted' || exit.kind === 'halt' ? 'none' : m.board.handleExit(vcpu, exit);
    if (event !== 'none') return 'ended';
    if (stop()) return 'stopped';
  }
  throw new Error('the guest did not end');
}

function save(m: Machine, path: string): string {
  const lines: string[] = [];
  const c = new MigrationController({
    board: m.board,
    clock: new TimerQueue(),
    run: new RunControl(),
    quiesce: () => {
      for (const v of m.board.vcpus) {
        v.kick();
        assert.equal(v.run().kind, 'interrupted');
      }
    },
    log: (l) => lines.push(l),
    version: 'test',
  });
  c.start(`file:${path}`);
  assert.match(c.info(), /^Migration status: completed$/m, lines.join('\n'));
  return c.ramDigest();
}

function load(m: Machine, path: string): void {
  const source = new FileSource(path);
  try {
    loadStream(source, m.board.migration, m.board.vm);
  } finally {
    source.close();
  }
}

/** Every register but the clocks (they move with host time) and its name. */
function registers(m: Machine): Map<string, bigint>[] {
  const clocks = new Set(['tb', 'tb_offset', 'dec', 'tbl', 'tbu']);
  return m.board.vcpus.map((v) => {
    const list = v.registerList().filter((d) => !clocks.has(d.name));
    const values = v.getRegisters(list.map((d) => d.id));
    return new Map(list.map((d, k) => [d.name, values[k]!]));
  });
}

const text = (bytes: readonly number[]): string => Buffer.from(bytes).toString('latin1');

describe('a ppce500 machine through a snapshot file', () => {
  test('bench-cpu saved in the middle of a UART write goes on identically in a fresh machine', { timeout: 120_000 }, async () => {
    const elf = guestElf('e500v2', 'bench-cpu');
    const a = await machine('e500v2', elf);
    // Stop after the 20th console byte: the guest is inside printf, its store to THR completed
    // by the board but not yet by the vCPU (the quiesce completes it).
    assert.equal(run(a, () => a.out.length >= 20), 'stopped');
    const path = join(dir, 'bench-cpu.snap');
    const digest = save(a, path);
    const b = await machine('e500v2', elf);
    load(b, path);
    const atSwitch = a.out.length;
    const bDigest = new MigrationController({ board: b.board, clock: new TimerQueue(), run: new RunControl(), quiesce: () => {}, log: () => {}, version: 'test' }).ramDigest();
    assert.equal(bDigest, digest, 'RAM equal at the switch');
    assert.equal(run(a), 'ended');
    assert.equal(run(b), 'ended');
    const rest = text(a.out.slice(atSwitch));
    assert.match(rest, /checksum [0-9a-f]{8}\n/, 'the original ran to the end');
    assert.equal(text(b.out), rest, 'the copy prints exactly what the original printed after the switch');
    assert.deepEqual(registers(b), registers(a));
  });

  test('two CPUs (one released through the spin table), e500mc: the copy ends with the same output and registers', { timeout: 120_000 }, async () => {
    const elf = guestElf('e500mc', 'smp_spin');
    const a = await machine('e500mc', elf, 128 * MiB, 2);
    assert.equal(run(a, () => text(a.out).includes('CPU 1 started')), 'stopped', text(a.out));
    const path = join(dir, 'smp.snap');
    save(a, path);
    const b = await machine('e500mc', elf, 128 * MiB, 2);
    load(b, path);
    const atSwitch = a.out.length;
    assert.equal(run(a), 'ended');
    assert.equal(run(b), 'ended');
    assert.ok(a.out.length > atSwitch, 'the original printed more after the switch');
    assert.equal(text(b.out), text(a.out.slice(atSwitch)));
    assert.deepEqual(registers(b), registers(a));
  });

  test('a load refuses another CPU model, another RAM size, a flipped byte and a cut file, each with one clear message', { timeout: 120_000 }, async () => {
    const elf = guestElf('e500v2', 'hello');
    const a = await machine('e500v2', elf);
    run(a, () => a.out.length >= 5);
    const path = join(dir, 'hello.snap');
    save(a, path);
    const refuses = async (cpu: string, ram: number, file: string, pattern: RegExp): Promise<void> => {
      const m = await machine(cpu, guestElf(cpu === 'e500mc' ? 'e500mc' : 'e500v2', 'hello'), ram);
      assert.throws(() => load(m, file), (e: unknown) => e instanceof MigrationError && pattern.test(e.message) && !e.message.includes('\n'));
    };
    await refuses('e500mc', 128 * MiB, path, /CPUs are e500v2.*this machine's are e500mc/);
    await refuses('e500v2', 256 * MiB, path, /128 MiB of RAM; this machine has 256 MiB/);
    const bytes = readFileSync(path);
    const flipped = Uint8Array.from(bytes);
    // A byte of page data (not a length or a tag): only the checksum can notice.
    flipped[bytes.length - 4200]! ^= 0x40;
    writeFileSync(join(dir, 'flipped.snap'), flipped);
    await refuses('e500v2', 128 * MiB, join(dir, 'flipped.snap'), /^checksum mismatch/);
    for (const cut of [3, 100, bytes.length >> 1, bytes.length - 1]) {
      writeFileSync(join(dir, 'cut.snap'), bytes.subarray(0, cut));
      await refuses('e500v2', 128 * MiB, join(dir, 'cut.snap'), /truncated/);
    }
    writeFileSync(join(dir, 'junk.snap'), Buffer.from('QFI\xfb not a snapshot at all', 'latin1'));
    await refuses('e500v2', 128 * MiB, join(dir, 'junk.snap'), /not an ngkvm migration stream/);
  });
});
