/**
 * The monitor's command tables. A command says what it is called (aliases as QEMU writes
 * them, `quit|q`), which arguments it takes, how `help` shows them, and what it does; a
 * command with a sub-table (`info`) dispatches on the next word. New commands (the gdb stub's
 * `gdbserver`, memory dumps, `cpu N`) are added by registering more of them.
 */
import type { RegisterLookup } from './expr.js';
import type { MonitorMachine } from './machine.js';
import type { DumpDefaults, DumpFormatSpec } from './memory-dump.js';

/**
 * Argument kinds, after QEMU's args_type letters:
 * - `expr` (`l`): an expression, a signed 64-bit bigint;
 * - `int32` (`i`): an expression that must fit in 32 bits;
 * - `string` (`s`): one word, or a double-quoted string with \n \r \\ \' \" escapes;
 * - `rest` (`S`): the rest of the line, leading blanks removed;
 * - `format` (`/`): an optional `/count-format-size` suffix right after the name (`x/4xw`).
 */
export type ArgKind = 'expr' | 'int32' | 'string' | 'rest' | 'format';

export interface ArgSpec {
  readonly name: string;
  readonly kind: ArgKind;
  /** May be left out at the end of the line. */
  readonly optional?: boolean;
}

export type ArgValue = bigint | string | DumpFormatSpec;
export type Args = ReadonlyMap<string, ArgValue>;

/** What a command can reach while it runs (on the machine thread, between vCPU runs). */
export interface CommandContext {
  /** Appends to the command's output; `\n` ends lines (front ends send CR LF, as QEMU does). */
  print(text: string): void;
  readonly machine: MonitorMachine;
  /** The CPU that `info tlb`, `gva2gpa` and `$register` refer to. */
  readonly cpu: number;
  /** Resolves `$name` in expressions for the current CPU. */
  readonly registers: RegisterLookup;
  /** The top-level table, for `help`. */
  readonly commands: CommandTable;
  /** The format and size the next `x`/`xp` inherits. */
  readonly dumpDefaults: DumpDefaults;
}

export interface CommandDef {
  /** Name and aliases separated by `|`, as `help` prints them. */
  readonly name: string;
  readonly args: readonly ArgSpec[];
  /** How `help` shows the arguments (`addr`, `[cmd]`); empty for none. */
  readonly params: string;
  readonly help: string;
  run(ctx: CommandContext, args: Args): void;
  /** A word after the command name selects one of these (`info tlb`); without one, `run` runs. */
  readonly subcommands?: CommandTable;
}

export class CommandTable {
  private readonly commands: CommandDef[] = [];

  add(def: CommandDef): this {
    for (const alias of def.name.split('|')) {
      if (alias === '' || /[\s/]/.test(alias)) throw new Error(`monitor command name "${def.name}": "${alias}" cannot be typed as a command`);
      if (this.find(alias) !== undefined) throw new Error(`monitor command "${alias}" is registered twice`);
    }
    this.commands.push(def);
    return this;
  }

  /** The command one of whose names is exactly `name` (case matters, as in QEMU). */
  find(name: string): CommandDef | undefined {
    return this.commands.find((c) => c.name.split('|').includes(name));
  }

  /** Every command, sorted by name as QEMU's help lists them. */
  list(): readonly CommandDef[] {
    return [...this.commands].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
