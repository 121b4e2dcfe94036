/**
 * The monitor's built-in commands. Names, argument forms, help texts and output follow
 * QEMU 7.2's HMP, so that habits and scripts carry over; only `info version` and the greeting
 * say ngkvm.
 */
import { describeRunStatus } from '../run-state.js';
import { bookeDebugTranslate, formatBookeTlb } from './booke.js';
import { formatMemoryDump, type DumpFormatSpec, type DumpReader } from './memory-dump.js';
import { formatMtree } from './mtree.js';
import { splitWords } from './parser.js';
import { formatPpcRegisters } from './ppc-registers.js';
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

/**
 * Reads effective addresses as QEMU's debugger access does: page by page through the same
 * translation as gva2gpa, addresses wrapping at 32 bits; null if any page is unmapped or
 * not RAM/ROM.
 */
function virtualReader(ctx: CommandContext): DumpReader {
  const cpu = currentCpu(ctx);
  return (addr, length) => {
    const out = new Uint8Array(length);
    for (let done = 0; done < length; ) {
      const ea = Number(BigInt.asUintN(32, addr + BigInt(done)));
      const n = Math.min(length - done, 4096 - (ea % 4096));
      const page = bookeDebugTranslate(cpu.vcpu, ea - (ea % 4096));
      if (page === null) return null;
      const bytes = ctx.machine.readPhysical(BigInt(page + (ea % 4096)), n);
      if (bytes === null) return null;
      out.set(bytes, done);
      done += n;
    }
    return out;
  };
}

function dump(ctx: CommandContext, spec: DumpFormatSpec, addr: bigint, physical: boolean): void {
  const f = ctx.dumpDefaults.resolve(spec);
  // QEMU's x takes the address as a target_ulong (32 bits here); xp as a 64-bit hwaddr.
  const start = physical ? BigInt.asUintN(64, addr) : BigInt.asUintN(32, addr);
  const read: DumpReader = physical ? (a, n) => ctx.machine.readPhysical(a, n) : virtualReader(ctx);
  ctx.print(formatMemoryDump(f, start, physical, read));
}

function registersOf(ctx: CommandContext, index: number): void {
  const cpu = ctx.machine.cpus[index];
  if (cpu === undefined) throw new Error(`CPU#${index} not available`);
  ctx.print(`\nCPU#${index}\n${formatPpcRegisters(cpu.vcpu, index)}`);
}

/** Exit statistics in QEMU's `info stats` layout (`    name (cumulative): n`). */
function statsLines(stats: Readonly<Record<string, number>>): string {
  return Object.entries(stats)
    .map(([name, n]) => `    ${name} (cumulative): ${n}\n`)
    .join('');
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
    })
    .add({
      name: 'status',
      args: [],
      params: '',
      help: 'show the current VM status (running|paused)',
      run: (ctx) => ctx.print(`${describeRunStatus(ctx.machine.runStatus())}\n`),
    })
    .add({
      name: 'registers',
      args: [{ name: 'which', kind: 'string', optional: true }],
      params: '[-a|vcpu]',
      help: "show the cpu registers (-a: show register info for all cpus; vcpu: specific vCPU to query; show the current CPU's registers if no argument is specified)",
      run: (ctx, args) => {
        const which = args.get('which');
        if (which === undefined) registersOf(ctx, ctx.cpu);
        else if (which === '-a') ctx.machine.cpus.forEach((_, i) => registersOf(ctx, i));
        else if (typeof which === 'string' && /^\d+$/.test(which)) registersOf(ctx, Number(which));
        else throw new Error(`info registers: "${String(which)}" is neither -a nor a vCPU number`);
      },
    })
    .add({
      name: 'mtree',
      args: [],
      params: '',
      help: 'show memory tree',
      run: (ctx) => ctx.print(formatMtree(ctx.machine.memoryRegions())),
    })
    .add({
      name: 'stats',
      args: [{ name: 'target', kind: 'string' }],
      params: 'target',
      help: 'show exit statistics for the given target: vcpu (each vCPU) or vm (all vCPUs added up)',
      run: (ctx, args) => {
        const target = args.get('target');
        const cpus = ctx.machine.cpus;
        if (target === 'vcpu') {
          cpus.forEach((c, i) => ctx.print(`CPU#${i}\nprovider: ${ctx.machine.accelerator}\n${statsLines(c.vcpu.stats())}`));
        } else if (target === 'vm') {
          const sum: Record<string, number> = {};
          for (const c of cpus) for (const [k, n] of Object.entries(c.vcpu.stats())) sum[k] = (sum[k] ?? 0) + n;
          ctx.print(`provider: ${ctx.machine.accelerator}\n${statsLines(sum)}`);
        } else {
          throw new Error(`info stats: unknown target "${String(target)}"; use vcpu or vm`);
        }
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
      name: 'x',
      args: [
        { name: 'fmt', kind: 'format' },
        { name: 'addr', kind: 'expr' },
      ],
      params: '/fmt addr',
      help: "virtual memory dump starting at 'addr'",
      run: (ctx, args) => dump(ctx, args.get('fmt') as DumpFormatSpec, args.get('addr') as bigint, false),
    })
    .add({
      name: 'xp',
      args: [
        { name: 'fmt', kind: 'format' },
        { name: 'addr', kind: 'expr' },
      ],
      params: '/fmt addr',
      help: "physical memory dump starting at 'addr'",
      run: (ctx, args) => dump(ctx, args.get('fmt') as DumpFormatSpec, args.get('addr') as bigint, true),
    })
    .add({
      name: 'stop|s',
      args: [],
      params: '',
      help: 'stop emulation',
      run: (ctx) => ctx.machine.pause(),
    })
    .add({
      name: 'cont|c',
      args: [],
      params: '',
      help: 'resume emulation',
      run: (ctx) => ctx.machine.resume(),
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
