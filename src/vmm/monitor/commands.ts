/**
 * The monitor's built-in commands. Names, argument forms, help texts and output follow
 * QEMU 7.2's HMP, so that habits and scripts carry over; only `info version` and the greeting
 * say ngkvm.
 */
import { bookeDebugTranslate, formatBookeTlb } from './booke.js';
import { splitWords } from './parser.js';
import { CommandTable, type CommandContext } from './registry.js';

/** `%#x`: C leaves the 0x off zero. */
export function hashHex(v: number | bigint): string {
  return v === 0 || v === 0n ? '0' : `0x${v.toString(16)}`;
}

/** Prints the help lines of `table` selected by `words` (QEMU's `help a b …`). */
function helpDump(ctx: CommandContext, table: CommandTable, words: readonly string[], index: number): void {
  const prefix = words.slice(0, index).map((w) => `${w} `).join('');
  if (index >= words.length) {
    for (const c of table.list()) ctx.print(`${prefix}${c.name} ${c.params} -- ${c.help}\n`);
    return;
  }
  const c = table.find(words[index]!);
  if (c === undefined) {
    ctx.print(`unknown command: '${words.slice(0, index + 1).join(' ')}'\n`);
    return;
  }
  if (c.subcommands !== undefined) helpDump(ctx, c.subcommands, words, index + 1);
  else ctx.print(`${prefix}${c.name} ${c.params} -- ${c.help}\n`);
}

function currentCpu(ctx: CommandContext) {
  const cpu = ctx.machine.cpus[ctx.cpu];
  if (cpu === undefined) throw new Error(`CPU ${ctx.cpu} does not exist`);
  return cpu;
}

export function infoCommands(): CommandTable {
  return new CommandTable()
    .add({
      name: 'version',
      args: [],
      params: '',
      help: 'show the version of ngkvm',
      run: (ctx) => ctx.print(`${ctx.machine.version}\n`),
    })
    .add({
      name: 'tlb',
      args: [],
      params: '',
      help: 'show virtual to physical memory mappings',
      run: (ctx) => {
        const tlb = currentCpu(ctx).bookeTlb;
        if (tlb === undefined) ctx.print('info tlb: this CPU has no software-visible TLB to show\n');
        else ctx.print(formatBookeTlb(tlb));
      },
    });
}

/** The commands every ngkvm monitor has. */
export function builtinCommands(): CommandTable {
  const info = infoCommands();
  return new CommandTable()
    .add({
      name: 'help|?',
      args: [{ name: 'name', kind: 'rest', optional: true }],
      params: '[cmd]',
      help: 'show the help',
      run: (ctx, args) => {
        const text = args.get('name');
        // QEMU prints nothing for an argument it cannot split (an unterminated quote).
        const words = typeof text === 'string' ? splitWords(text) : [];
        if (words !== null) helpDump(ctx, ctx.commands, words, 0);
      },
    })
    .add({
      name: 'info',
      // Anything after `info` is a subcommand: the command itself never sees arguments.
      args: [],
      params: '[subcommand]',
      help: 'show various information about the system state',
      subcommands: info,
      run: (ctx) => helpDump(ctx, ctx.commands, ['info'], 0),
    })
    .add({
      name: 'gva2gpa',
      args: [{ name: 'addr', kind: 'expr' }],
      params: 'addr',
      help: 'print the guest physical address corresponding to a guest virtual address',
      run: (ctx, args) => {
        // An effective address is 32 bits on these cores: QEMU keeps the low half of the value.
        const addr = Number(BigInt.asUintN(32, args.get('addr') as bigint));
        const cpu = currentCpu(ctx);
        const page = bookeDebugTranslate(cpu.vcpu, addr - (addr % 4096));
        if (page === null) ctx.print('Unmapped\n');
        else ctx.print(`gpa: ${hashHex(page + (addr % 4096))}\n`);
      },
    })
    .add({
      name: 'system_reset',
      args: [],
      params: '',
      help: 'reset the system',
      run: (ctx) => ctx.machine.requestReset(),
    })
    .add({
      name: 'quit|q',
      args: [],
      params: '',
      help: 'quit the emulator',
      run: (ctx) => ctx.machine.requestQuit(),
    });
}
