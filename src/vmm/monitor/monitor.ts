/**
 * The monitor's dispatcher: one line in, the text the command printed out. It runs on the
 * machine thread, which owns the vCPUs and the TLB arrays; nothing a command does can throw
 * out of here, so a bad command never takes the machine down.
 */
import { builtinCommands } from './commands.js';
import type { RegisterLookup } from './expr.js';
import type { MonitorMachine } from './machine.js';
import { DumpDefaults } from './memory-dump.js';
import { parseCommandLine } from './parser.js';
import type { CommandContext, CommandTable } from './registry.js';

/** QEMU names these registers in lower case only; other names match in any case, as its SPR and GPR lookups do. */
const CASE_SENSITIVE = new Set(['pc', 'nip', 'msr', 'cr', 'ccr', 'fpscr', 'decr']);
/** QEMU's other names for registers the vCPU lists under its own name. */
const ALIASES: ReadonlyMap<string, string> = new Map([
  ['nip', 'pc'],
  ['ccr', 'cr'],
  ['decr', 'dec'],
]);

export class Monitor {
  /** The CPU commands refer to (QEMU's monitor CPU; `cpu N` would change it). */
  cpu = 0;
  /** Shared by every client of this monitor, as QEMU's are. */
  private readonly dumpDefaults = new DumpDefaults();

  constructor(
    readonly machine: MonitorMachine,
    readonly commands: CommandTable = builtinCommands(),
  ) {}

  /** Runs one line and returns what it printed; errors become output. */
  execute(line: string): string {
    let out = '';
    const ctx: CommandContext = {
      print: (text) => {
        out += text;
      },
      machine: this.machine,
      cpu: this.cpu,
      registers: this.registerLookup(),
      commands: this.commands,
      dumpDefaults: this.dumpDefaults,
    };
    try {
      const parsed = parseCommandLine(line, this.commands, ctx.registers);
      if (parsed.kind === 'error') return parsed.output;
      if (parsed.kind === 'command') parsed.command.run(ctx, parsed.args);
    } catch (err) {
      out += `Error: ${err instanceof Error ? err.message : String(err)}\n`;
    }
    return out;
  }

  private registerLookup(): RegisterLookup {
    return (name) => {
      const vcpu = this.machine.cpus[this.cpu]?.vcpu;
      if (vcpu === undefined) return undefined;
      const list = vcpu.registerList();
      const lower = name.toLowerCase();
      const wanted = CASE_SENSITIVE.has(lower) ? name : lower;
      const canonical = ALIASES.get(wanted) ?? wanted;
      const reg = list.find((r) => r.name === canonical);
      return reg === undefined ? undefined : vcpu.getRegisters([reg.id])[0];
    };
  }
}
