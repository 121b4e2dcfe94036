/**
 * The monitor's built-in commands. Names, argument forms, help texts and output follow
 * QEMU 7.2's HMP, so that habits and scripts carry over; only `info version` and the greeting
 * say ngkvm.
 */
import { describeRunStatus } from '../run-state.js';
import { formatBookeTlb } from './booke.js';
import { bookeDebugTranslate } from '../../api/booke-debug.js';
import { mergeExitTimings, type ExitTimingStats } from '../../api/exit-timing.js';
import { BOOKE_DUMP_TARGET, formatMemoryDump, type DumpFormatSpec, type DumpReader, type DumpTarget } from './memory-dump.js';
import { formatMtree } from './mtree.js';
import { splitWords } from './parser.js';
import { formatPpcRegisters } from './ppc-registers.js';
import { CommandTable, type CommandContext } from './registry.js';
import { formatX86Registers } from './x86-registers.js';
import { formatX86Tlb } from './x86-tlb.js';
import { addMigrationCommands } from './migration-commands.js';

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

const isX86 = (ctx: CommandContext): boolean => ctx.machine.arch === 'x86_64';

/** How dumps look on this machine: the byte order and address width of its CPUs. */
function dumpTarget(ctx: CommandContext): DumpTarget {
  return isX86(ctx) ? { littleEndian: true, virtualAddressBits: 64 } : BOOKE_DUMP_TARGET;
}

/**
 * The guest-physical address of the 4 KiB page at effective address `page` (a bigint of the
 * target's address width), or null when unmapped. Book E: the debugger's TLB lookup; x86:
 * the vCPU's own page-table walk (Vcpu.translate, KVM_TRANSLATE on kvm), which is what
 * QEMU's debug translation does there too.
 */
function translatePage(ctx: CommandContext, page: bigint): bigint | null {
  const cpu = currentCpu(ctx);
  if (!isX86(ctx)) {
    const phys = bookeDebugTranslate(cpu.vcpu, Number(page));
    return phys === null ? null : BigInt(phys);
  }
  // A Number holds addresses below 2^53; a canonical upper-half address does not fit, and
  // the vCPU would have to map it to a page this VMM cannot address anyway.
  if (page > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  const t = cpu.vcpu.translate(Number(page));
  return t.kind === 'mapped' ? BigInt(t.phys) - (BigInt(t.phys) % 4096n) : null;
}

/**
 * Reads effective addresses as QEMU's debugger access does: page by page through the same
 * translation as gva2gpa, addresses wrapping at the target's width; null if any page is
 * unmapped or not RAM/ROM.
 */
function virtualReader(ctx: CommandContext): DumpReader {
  const bits = dumpTarget(ctx).virtualAddressBits;
  return (addr, length) => {
    const out = new Uint8Array(length);
    for (let done = 0; done < length; ) {
      const ea = BigInt.asUintN(bits, addr + BigInt(done));
      const offset = ea % 4096n;
      const n = Math.min(length - done, 4096 - Number(offset));
      const page = translatePage(ctx, ea - offset);
      if (page === null) return null;
      const bytes = ctx.machine.readPhysical(page + offset, n);
      if (bytes === null) return null;
      out.set(bytes, done);
      done += n;
    }
    return out;
  };
}

function dump(ctx: CommandContext, spec: DumpFormatSpec, addr: bigint, physical: boolean): void {
  const f = ctx.dumpDefaults.resolve(spec);
  const target = dumpTarget(ctx);
  // QEMU's x takes the address as a target_ulong (32 bits on e500, 64 on x86-64); xp as a 64-bit hwaddr.
  const start = physical ? BigInt.asUintN(64, addr) : BigInt.asUintN(target.virtualAddressBits, addr);
  const read: DumpReader = physical ? (a, n) => ctx.machine.readPhysical(a, n) : virtualReader(ctx);
  ctx.print(formatMemoryDump(f, start, physical, read, target));
}

function registersOf(ctx: CommandContext, index: number): void {
  const cpu = ctx.machine.cpus[index];
  if (cpu === undefined) throw new Error(`CPU#${index} not available`);
  const text = isX86(ctx) ? formatX86Registers(cpu.vcpu, cpu.mpState?.()) : formatPpcRegisters(cpu.vcpu, index);
  ctx.print(`\nCPU#${index}\n${text}`);
}

/** x86 `info tlb`: the page tables under the vCPU's CR3 (QEMU's listing). */
function x86Tlb(ctx: CommandContext): string {
  const cpu = currentCpu(ctx);
  const byName = new Map(cpu.vcpu.registerList().map((r) => [r.name, r.id]));
  const names = ['cr0', 'cr3', 'cr4', 'efer'] as const;
  const ids = names.map((n) => byName.get(n));
  if (ids.some((id) => id === undefined)) return 'info tlb: this vCPU does not expose its control registers\n';
  const [cr0, cr3, cr4, efer] = cpu.vcpu.getRegisters(ids as NonNullable<(typeof ids)[number]>[]);
  return formatX86Tlb({ cr0: cr0!, cr3: cr3!, cr4: cr4!, efer: efer!, readPhysical: (a, n) => ctx.machine.readPhysical(a, n) });
}

/** Exit statistics in QEMU's `info stats` layout (`    name (cumulative): n`). */
function statsLines(stats: Readonly<Record<string, number>>): string {
  return Object.entries(stats)
    .map(([name, n]) => `    ${name} (cumulative): ${n}\n`)
    .join('');
}

/** Exit timing (`--exit-timing`, Vcpu.exitTiming): one line per exit kind the VMM handled. */
function timingLines(timing: ExitTimingStats | null): string {
  if (timing === null) return '';
  const kinds = Object.entries(timing);
  if (kinds.length === 0) return 'exit timing (VMM time from an exit to the next run, ns): no exit handled yet\n';
  return (
    'exit timing (VMM time from an exit to the next run, ns):\n' +
    kinds.map(([k, t]) => `    ${k}: count ${t.count}, total ${t.totalNs}, min ${t.minNs}, max ${t.maxNs}, mean ${Math.round(t.totalNs / t.count)}\n`).join('')
  );
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
        const cpu = currentCpu(ctx);
        const tlb = cpu.bookeTlb;
        // An FSL_BOOKE_HV array is exact only after syncTlb (api/booke.ts).
        tlb?.refresh?.({ syncTlb: () => cpu.vcpu.syncTlb?.() });
        if (tlb !== undefined) ctx.print(formatBookeTlb(tlb));
        else if (isX86(ctx)) ctx.print(x86Tlb(ctx));
        else ctx.print('info tlb: this CPU has no software-visible TLB to show\n');
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
          cpus.forEach((c, i) => ctx.print(`CPU#${i}\nprovider: ${ctx.machine.accelerator}\n${statsLines(c.vcpu.stats())}${timingLines(c.vcpu.exitTiming?.() ?? null)}`));
        } else if (target === 'vm') {
          const sum: Record<string, number> = {};
          for (const c of cpus) for (const [k, n] of Object.entries(c.vcpu.stats())) sum[k] = (sum[k] ?? 0) + n;
          const timings = cpus.map((c) => c.vcpu.exitTiming?.() ?? null).filter((t) => t !== null);
          ctx.print(`provider: ${ctx.machine.accelerator}\n${statsLines(sum)}${timingLines(timings.length > 0 ? mergeExitTimings(timings) : null)}`);
        } else {
          throw new Error(`info stats: unknown target "${String(target)}"; use vcpu or vm`);
        }
      },
    });
}

/** The commands every ngkvm monitor has. */
export function builtinCommands(): CommandTable {
  const info = infoCommands();
  const table = new CommandTable()
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
        // An effective address is a target_ulong: QEMU keeps the low 32 bits on e500.
        const addr = BigInt.asUintN(dumpTarget(ctx).virtualAddressBits, args.get('addr') as bigint);
        const page = translatePage(ctx, addr - (addr % 4096n));
        if (page === null) ctx.print('Unmapped\n');
        else ctx.print(`gpa: ${hashHex(page + (addr % 4096n))}\n`);
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
  addMigrationCommands(table, info);
  return table;
}
