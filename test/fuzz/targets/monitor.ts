/**
 * monitor: command lines into the monitor's parser and expression evaluator, and the parsed
 * commands run against a fabricated two-CPU ppce500 machine. The parser returns QEMU's error
 * texts and never throws; the evaluator throws only ExpressionError, and a value it returns
 * is a signed 64-bit number read from inside the line; a command throws only the plain
 * Errors and DumpFormatErrors that are its messages to the user (the Monitor prints those).
 */
import { HypervisorError } from '../../../src/api/errors.js';
import type { Translation } from '../../../src/api/hypervisor.js';
import type { RegisterDescriptor, RegisterId } from '../../../src/api/registers.js';
import { builtinCommands } from '../../../src/vmm/monitor/commands.js';
import { ExpressionError, parseExpression, type RegisterLookup } from '../../../src/vmm/monitor/expr.js';
import type { MonitorCpu, MonitorMachine } from '../../../src/vmm/monitor/machine.js';
import { DumpDefaults, DumpFormatError } from '../../../src/vmm/monitor/memory-dump.js';
import { Monitor } from '../../../src/vmm/monitor/monitor.js';
import { parseCommandLine } from '../../../src/vmm/monitor/parser.js';
import type { CommandContext } from '../../../src/vmm/monitor/registry.js';
import type { Prng } from '../../support/prng.js';
import { mutateLines } from '../mutate.js';
import { expect, text, type FuzzTarget } from '../target.js';

const NAMES = ['pc', 'msr', 'cr', 'lr', 'ctr', 'xer', ...Array.from({ length: 32 }, (_, i) => `r${i}`), 'srr0', 'srr1', 'dec', 'pid', 'mas2', 'fpscr'];
const REGS: RegisterDescriptor[] = NAMES.map((name, i) => ({ id: BigInt(i + 1) as RegisterId, name, size: name === 'mas2' || name === 'fpscr' ? 8 : 4, access: 'read-write' }));
const RAM = new Uint8Array(0x1_0000).map((_, i) => (i * 37) & 0xff);

function cpu(seed: number): MonitorCpu {
  const booke = { as: 0, tid: 0, sr: true, sw: true, sx: true, ur: true, uw: false, ux: false, wimge: 0 };
  return {
    vcpu: {
      registerList: () => REGS,
      getRegisters: (ids) => ids.map((id) => (BigInt(id) * 0x9e37_79b9n + BigInt(seed)) & ((1n << 64n) - 1n)),
      translate: (ea): Translation =>
        (ea < RAM.length ? { kind: 'mapped', phys: ea, pageSize: 4096, booke } : ea >= 0xc000_0000 && ea < 0xc001_0000 ? { kind: 'mapped', phys: ea - 0xc000_0000, pageSize: 0x1_0000, booke } : { kind: 'unmapped' }) as Translation,
      stats: () => ({ mmio: 3, halt: 1, instructions: 123456789 }),
    },
  };
}

function machine(): MonitorMachine {
  let paused = false;
  return {
    version: 'fuzz',
    accelerator: 'fake',
    cpus: [cpu(1), cpu(2)],
    readPhysical: (addr, length) => (addr >= 0n && addr + BigInt(length) <= BigInt(RAM.length) ? RAM.slice(Number(addr), Number(addr) + length) : null),
    memoryRegions: () => [{ name: 'ram', base: 0n, size: BigInt(RAM.length), kind: 'ram', priority: 0 }],
    runStatus: () => (paused ? 'paused' : 'running'),
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
    },
    requestReset: () => {},
    requestQuit: () => {},
  };
}

const SEED_LINES = [
  'info registers\ninfo registers -a\ninfo registers 1\ninfo status\ninfo version\ninfo stats vcpu\ninfo stats vm\ninfo mtree\ninfo tlb',
  'x/4x 0x1000\nxp/16xb 0\nx/2g $pc\nxp/3dh 0x10 + 4 * 3\nx/10i 0\nx/1000000xg 0\nxp/c 0xfff0\nx/o $r3',
  'gva2gpa 0xc0000010\ngva2gpa $msr & ~0xfff\nhelp\nhelp info\nhelp "x"\nhelp "unterminated',
  'stop\ncont\nsystem_reset\nquit\nq extra\ninfox\ninfo tlbx\n   \n',
  "xp/x (1 + 2) * 3 - ~0 % 7\nx/x 'a'\nx/x '\\\nx/x 0x\nx/x 08\nx/x 18446744073709551616\nx/x 1/0\nx/x $nosuch\nx/x -9223372036854775808 / -1",
];
const TOKENS = ['info ', 'x', 'xp', '/', '4', 'x', 'b', 'h', 'w', 'g', 'd', 'u', 'o', 'c', 'i', ' ', '$pc', '$r3', '$', '0x', '0x1000', '(', ')', '+', '-', '*', '/', '%', '&', '|', '^', '~', "'", '"', '\\', '18446744073709551615', '99999999999', 'registers', 'tlb', 'stats', 'help', 'gva2gpa', '-a'];

function allowedCommandError(err: unknown): boolean {
  return err instanceof DumpFormatError || err instanceof HypervisorError || (err instanceof Error && err.constructor === Error);
}

export const monitorTarget: FuzzTarget = {
  name: 'monitor',
  description: 'monitor command lines: parser, expression evaluator, and the commands over a fabricated ppce500',
  seeds: () => SEED_LINES.map(text.encode),
  mutate: (input: Uint8Array, rng: Prng, corpus: readonly Uint8Array[]) => text.encode(mutateLines(text.decode(input), rng, corpus.map(text.decode), TOKENS)),
  run(input) {
    const m = machine();
    const table = builtinCommands();
    const monitor = new Monitor(m, table);
    const registers: RegisterLookup = (name) => (NAMES.includes(name) ? 0x1234n : undefined);
    const defaults = new DumpDefaults();
    for (const line of text.decode(input).split('\n')) {
      // The evaluator on its own, from every position a command could start one at.
      for (const start of [0, line.indexOf(' ') + 1, line.indexOf('/') + 1]) {
        try {
          const e = parseExpression(line, start, registers);
          expect(e.end >= start && e.end <= line.length, () => `expression end ${e.end} outside the line "${line}"`);
          expect(e.value >= -(1n << 63n) && e.value < 1n << 63n, () => `expression value ${e.value} is not signed 64-bit`);
        } catch (err) {
          if (!(err instanceof ExpressionError)) throw err;
        }
      }
      const parsed = parseCommandLine(line, table, registers);
      if (parsed.kind === 'command') {
        let out = '';
        const ctx: CommandContext = { print: (t) => (out += t), machine: m, cpu: 0, registers, commands: table, dumpDefaults: defaults };
        try {
          parsed.command.run(ctx, parsed.args);
        } catch (err) {
          if (!allowedCommandError(err)) throw err;
        }
        expect(typeof out === 'string', () => 'output');
      }
      // And the whole monitor, which must never throw.
      monitor.execute(line);
    }
  },
};
