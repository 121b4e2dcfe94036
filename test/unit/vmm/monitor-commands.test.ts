/**
 * The monitor's line parser, command table and built-in commands over a fabricated machine:
 * the texts are QEMU 7.2's (measured on a ppce500 monitor), and no command can throw.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Translation } from '../../../src/api/hypervisor.js';
import type { RegisterDescriptor, RegisterId } from '../../../src/api/registers.js';
import type { MonitorCpu, MonitorMachine } from '../../../src/vmm/monitor/machine.js';
import { Monitor } from '../../../src/vmm/monitor/monitor.js';
import { readString, splitWords } from '../../../src/vmm/monitor/parser.js';
import { CommandTable } from '../../../src/vmm/monitor/registry.js';

const reg = (n: number, name: string): RegisterDescriptor => ({ id: BigInt(n) as RegisterId, name, size: 4, access: 'read-write' });
const REGS = [reg(1, 'pc'), reg(2, 'msr'), reg(3, 'r3'), reg(4, 'srr0'), reg(5, 'cr'), reg(6, 'dec'), reg(7, 'lr')];

/** A CPU whose registers hold `values` (by name) and whose TLB maps what `map` says. */
function fakeCpu(values: Record<string, bigint>, map: (ea: number, as: number) => Translation = () => ({ kind: 'unmapped' })): MonitorCpu {
  return {
    vcpu: {
      registerList: () => REGS,
      getRegisters: (ids) => ids.map((id) => values[REGS.find((r) => r.id === id)!.name] ?? 0n),
      translate: (ea, opts) => map(ea, opts?.as ?? 0),
      stats: () => ({ mmio: 3, halt: 1 }),
    },
  };
}

/** 64 KiB of fabricated RAM at guest-physical 0. */
const RAM = new Uint8Array(0x10000);

function machine(cpu: MonitorCpu = fakeCpu({})): MonitorMachine & { resets: number; quits: number; paused: boolean } {
  return {
    version: '9.8.7',
    accelerator: 'fake',
    cpus: [cpu],
    resets: 0,
    quits: 0,
    paused: false,
    readPhysical: (addr, length) => (addr + BigInt(length) <= BigInt(RAM.length) ? RAM.slice(Number(addr), Number(addr) + length) : null),
    memoryRegions: () => [{ name: 'ram', base: 0n, size: BigInt(RAM.length), kind: 'ram', priority: 0 }],
    runStatus() {
      return this.paused ? 'paused' : 'running';
    },
    pause() {
      this.paused = true;
    },
    resume() {
      this.paused = false;
    },
    requestReset() {
      this.resets++;
    },
    requestQuit() {
      this.quits++;
    },
  };
}

const mapped = (phys: number, perms: Partial<Record<'sr' | 'sw' | 'sx' | 'ur' | 'uw' | 'ux', boolean>>): Translation => ({
  kind: 'mapped',
  phys,
  pageSize: 4096,
  booke: { tlb: 1, index: 0, sr: false, sw: false, sx: false, ur: false, uw: false, ux: false, wimge: 0, ...perms },
});

test('help lists every command sorted by name, aliases and parameters as QEMU shows them', () => {
  const m = new Monitor(machine());
  const list = [
    'cont|c  -- resume emulation',
    'gva2gpa addr -- print the guest physical address corresponding to a guest virtual address',
    'help|? [cmd] -- show the help',
    'info [subcommand] -- show various information about the system state',
    'migrate [-d] uri -- migrate to URI: tcp:HOST:PORT (live, in the background; -d is accepted and implied) or file:PATH (a snapshot, written now)',
    'migrate_cancel  -- cancel the current VM migration',
    'migrate_set_parameter parameter value -- set a migration parameter: downtime-limit MS (the longest the guest may stop for the final copy; default 300)',
    'quit|q  -- quit the emulator',
    'stop|s  -- stop emulation',
    'system_reset  -- reset the system',
    "x /fmt addr -- virtual memory dump starting at 'addr'",
    "xp /fmt addr -- physical memory dump starting at 'addr'",
    '',
  ].join('\n');
  assert.equal(m.execute('help'), list);
  assert.equal(m.execute('?'), list);
  assert.equal(m.execute('help gva2gpa'), 'gva2gpa addr -- print the guest physical address corresponding to a guest virtual address\n');
  assert.equal(m.execute('help gva2gpa x y'), 'gva2gpa addr -- print the guest physical address corresponding to a guest virtual address\n', 'extra words are ignored');
  assert.equal(m.execute('help q'), 'quit|q  -- quit the emulator\n');
  assert.equal(m.execute('help ?'), 'help|? [cmd] -- show the help\n');
  assert.equal(m.execute('help foo'), "unknown command: 'foo'\n");
  assert.equal(m.execute('help info tlbx'), "unknown command: 'info tlbx'\n");
  assert.equal(m.execute('help  info   tlb'), 'info tlb  -- show virtual to physical memory mappings\n');
  assert.equal(m.execute('help info tlb x'), 'info tlb  -- show virtual to physical memory mappings\n');
  assert.equal(m.execute('help "gva2gpa"'), 'gva2gpa addr -- print the guest physical address corresponding to a guest virtual address\n');
  assert.equal(m.execute(`help 'gva2gpa'`), "unknown command: ''gva2gpa''\n", 'only double quotes quote');
  assert.equal(m.execute('help "unterminated'), '', 'QEMU prints nothing for an argument it cannot split');
});

test('info alone (and help info) lists the info subcommands', () => {
  const m = new Monitor(machine());
  const list = [
    'info migrate  -- show migration status',
    'info migrate_parameters  -- show current migration parameters',
    'info mtree  -- show memory tree',
    'info ramhash  -- show a SHA-256 digest of all guest RAM (ngkvm; compare two machines after a migration)',
    "info registers [-a|vcpu] -- show the cpu registers (-a: show register info for all cpus; vcpu: specific vCPU to query; show the current CPU's registers if no argument is specified)",
    'info stats target -- show exit statistics for the given target: vcpu (each vCPU) or vm (all vCPUs added up)',
    'info status  -- show the current VM status (running|paused)',
    'info tlb  -- show virtual to physical memory mappings',
    'info version  -- show the version of ngkvm',
    '',
  ].join('\n');
  assert.equal(m.execute('info'), list);
  assert.equal(m.execute(' info '), list);
  assert.equal(m.execute('help info'), list);
  assert.equal(m.execute('info version'), '9.8.7\n');
});

test('unknown commands print the line up to the end of the unknown name', () => {
  const m = new Monitor(machine());
  assert.equal(m.execute('foo'), "unknown command: 'foo'\n");
  assert.equal(m.execute('foo bar'), "unknown command: 'foo'\n");
  assert.equal(m.execute('  foo'), "unknown command: '  foo'\n");
  assert.equal(m.execute('GVA2GPA 0x100'), "unknown command: 'GVA2GPA'\n", 'names are case-sensitive');
  assert.equal(m.execute('info tlbx'), "unknown command: 'info tlbx'\n");
  assert.equal(m.execute('info   tlbx'), "unknown command: 'info   tlbx'\n");
  assert.equal(m.execute('info ver'), "unknown command: 'info ver'\n", 'no prefix matching');
  assert.equal(m.execute('info/x'), "unknown command: 'info'\n", 'a / ends a command name');
  assert.equal(m.execute(''), '');
  assert.equal(m.execute('   '), '');
});

test('argument errors print the message and the help hint with the command as typed', () => {
  const m = new Monitor(machine());
  const hint = (cmd: string): string => `Try "help ${cmd}" for more information\n`;
  assert.equal(m.execute('gva2gpa'), `unexpected end of expression\n${hint('gva2gpa')}`);
  assert.equal(m.execute('gva2gpa xyz'), `invalid char 'x' in expression\n${hint('gva2gpa')}`);
  assert.equal(m.execute('  gva2gpa xyz'), `invalid char 'x' in expression\n${hint('  gva2gpa')}`);
  assert.equal(m.execute('gva2gpa/x 0x100'), `invalid char '/' in expression\n${hint('gva2gpa')}`);
  assert.equal(m.execute('gva2gpa 0x100 zz'), `gva2gpa: extraneous characters at the end of line\n${hint('gva2gpa')}`);
  assert.equal(m.execute('gva2gpa 08'), `gva2gpa: extraneous characters at the end of line\n${hint('gva2gpa')}`);
  assert.equal(m.execute('gva2gpa 1/0'), `division by zero\n${hint('gva2gpa')}`);
  assert.equal(m.execute('gva2gpa $PC'), `unknown register\n${hint('gva2gpa')}`, 'pc is lower case only');
  assert.equal(m.execute('info tlb x'), `tlb: extraneous characters at the end of line\n${hint('info tlb')}`);
  assert.equal(m.execute('info   tlb x'), `tlb: extraneous characters at the end of line\n${hint('info   tlb')}`);
  assert.equal(m.execute('info version x'), `version: extraneous characters at the end of line\n${hint('info version')}`);
  assert.equal(m.execute('q x'), `quit|q: extraneous characters at the end of line\n${hint('q')}`);
  assert.equal(m.execute('system_reset x'), `system_reset: extraneous characters at the end of line\n${hint('system_reset')}`);
});

test('gva2gpa: a data load first (MSR[DS], read permission), then a fetch (MSR[IS], execute permission)', () => {
  const seen: string[] = [];
  const cpu = fakeCpu({ msr: 0x10n /* DS */ }, (ea, as) => {
    seen.push(`${ea.toString(16)}/${as}`);
    if (ea === 0x1000) return mapped(0xf_e000_1000, { sr: true });
    if (ea === 0x2000) return as === 0 ? mapped(0x2000, { sx: true }) : mapped(0x9000, { sw: true });
    if (ea === 0x3000) return mapped(0x3000, { sw: true, uw: true, ur: true, ux: true });
    if (ea === 0) return mapped(0, { sr: true });
    if (ea === 0xfffff000) return mapped(0x1_0000_0000, { sr: true });
    return { kind: 'unmapped' };
  });
  const m = new Monitor(machine(cpu));
  assert.equal(m.execute('gva2gpa 0x1234'), 'gpa: 0xfe0001234\n', '36-bit result, the page offset added');
  assert.deepEqual(seen, ['1000/1'], 'translated page by page, in address space MSR[DS]');
  seen.length = 0;
  assert.equal(m.execute('gva2gpa 0x2010'), 'gpa: 0x2010\n', 'no read permission: found as an instruction fetch');
  assert.deepEqual(seen, ['2000/1', '2000/0'], 'the fetch uses MSR[IS]');
  assert.equal(m.execute('gva2gpa 0x3010'), 'Unmapped\n', 'supervisor without SR or SX');
  assert.equal(m.execute('gva2gpa 0x5000'), 'Unmapped\n');
  assert.equal(m.execute('gva2gpa 0'), 'gpa: 0\n', "C's %#x prints zero without 0x");
  assert.equal(m.execute('gva2gpa 0x100000000'), 'gpa: 0\n', 'only the low 32 bits of the value are an address');
  assert.equal(m.execute('gva2gpa -1'), 'gpa: 0x100000fff\n');
  assert.equal(m.execute('gva2gpa 0x800+0x800+0x234'), 'gpa: 0xfe0001234\n');
});

test('gva2gpa in user mode (MSR[PR]) needs UR or UX', () => {
  const cpu = fakeCpu({ msr: 0x4000n }, (ea) =>
    ea === 0x1000 ? mapped(0x1000, { sr: true, sx: true }) : ea === 0x2000 ? mapped(0x2000, { ux: true }) : mapped(0x3000, { ur: true }),
  );
  const m = new Monitor(machine(cpu));
  assert.equal(m.execute('gva2gpa 0x1000'), 'Unmapped\n');
  assert.equal(m.execute('gva2gpa 0x2000'), 'gpa: 0x2000\n');
  assert.equal(m.execute('gva2gpa 0x3000'), 'gpa: 0x3000\n');
});

test('$registers: QEMU names, lower case for pc/msr/cr, any case for GPRs and SPRs', () => {
  const cpu = fakeCpu({ pc: 0x1000n, msr: 0n, r3: 0x2000n, srr0: 0x3000n, cr: 0x4000n, dec: 0x5000n, lr: 0x6000n }, (ea) => mapped(ea, { sr: true }));
  const m = new Monitor(machine(cpu));
  for (const [expr, gpa] of [
    ['$pc', '0x1000'],
    ['$nip', '0x1000'],
    ['$R3', '0x2000'],
    ['$SRR0', '0x3000'],
    ['$ccr', '0x4000'],
    ['$decr', '0x5000'],
    ['$LR', '0x6000'],
    ['$pc + 4', '0x1004'],
  ]) {
    assert.equal(m.execute(`gva2gpa ${expr}`), `gpa: ${gpa}\n`, expr);
  }
  for (const expr of ['$PC', '$MSR', '$CR', '$r32']) assert.match(m.execute(`gva2gpa ${expr}`), /^unknown register\n/, expr);
});

test('system_reset and quit ask the machine; nothing is printed', () => {
  const mach = machine();
  const m = new Monitor(mach);
  assert.equal(m.execute('system_reset'), '');
  assert.equal(mach.resets, 1);
  assert.equal(m.execute('quit'), '');
  assert.equal(m.execute('q'), '');
  assert.equal(mach.quits, 2);
});

test('a failing command becomes output; the monitor never throws', () => {
  const broken: MonitorCpu = {
    vcpu: {
      registerList: () => REGS,
      getRegisters: () => {
        throw new Error('vCPU 0 is running; read registers between runs');
      },
      translate: () => {
        throw new Error('boom');
      },
      stats: () => {
        throw new Error('boom');
      },
    },
  };
  const m = new Monitor(machine(broken));
  assert.equal(m.execute('gva2gpa 0x100'), 'Error: vCPU 0 is running; read registers between runs\n');
  assert.equal(m.execute('info tlb'), 'info tlb: this CPU has no software-visible TLB to show\n');
  const none = new Monitor({ ...machine(), cpus: [] });
  assert.equal(none.execute('gva2gpa 0x100'), 'Error: CPU 0 does not exist\n');
});

test('the table: extra commands, sub-tables, and argument kinds for later commands', () => {
  const seen: unknown[] = [];
  const sub = new CommandTable().add({ name: 'thing', args: [], params: '', help: 'a thing', run: (ctx) => ctx.print('thing\n') });
  const table = new CommandTable()
    .add({ name: 'show', args: [], params: '', help: 'show things', subcommands: sub, run: (ctx) => ctx.print('list\n') })
    .add({
      name: 'cpu',
      args: [{ name: 'index', kind: 'int32' }],
      params: 'index',
      help: 'set the default CPU',
      run: (_ctx, a) => seen.push(a.get('index')),
    })
    .add({
      name: 'send',
      args: [
        { name: 'dev', kind: 'string' },
        { name: 'n', kind: 'expr', optional: true },
      ],
      params: 'dev [n]',
      help: 'send',
      run: (_ctx, a) => seen.push([a.get('dev'), a.get('n')]),
    })
    .add({ name: 'say', args: [{ name: 'text', kind: 'rest' }], params: 'text', help: 'say', run: (_ctx, a) => seen.push(a.get('text')) });
  const m = new Monitor(machine(), table);
  assert.equal(m.execute('show'), 'list\n');
  assert.equal(m.execute('show thing'), 'thing\n');
  assert.equal(m.execute('cpu 0x100000000'), `'cpu' has failed: integer is for 32-bit values\nTry "help cpu" for more information\n`);
  assert.equal(m.execute('cpu -1'), `'cpu' has failed: integer is for 32-bit values\nTry "help cpu" for more information\n`);
  assert.equal(m.execute('cpu 3'), '');
  assert.equal(m.execute('send'), 'send: string expected\nTry "help send" for more information\n');
  assert.equal(m.execute('send "a\\nb"'), '');
  assert.equal(m.execute('send uart0 7'), '');
  assert.equal(m.execute('send "ab"c'), `invalid char 'c' in expression\nTry "help send" for more information\n`);
  assert.equal(m.execute('say'), 'say: string expected\nTry "help say" for more information\n');
  assert.equal(m.execute('say  hello  world '), '');
  assert.deepEqual(seen, [3n, ['a\nb', undefined], ['uart0', 7n], 'hello  world ']);
  assert.throws(() => table.add({ name: 'cpu|c', args: [], params: '', help: '', run: () => {} }), /registered twice/);
  assert.throws(() => table.add({ name: 'a b', args: [], params: '', help: '', run: () => {} }), /cannot be typed/);
});

test('strings: bare words, double quotes with escapes, malformed ones refused', () => {
  assert.deepEqual(readString('  abc def', 0), { value: 'abc', end: 5 });
  assert.deepEqual(readString('"a b\\"\\\\\\r"x', 0), { value: 'a b"\\\r', end: 11 });
  assert.equal(readString('"abc', 0), null, 'unterminated');
  assert.equal(readString('"a\\qb"', 0), null, 'unknown escape');
  assert.equal(readString('   ', 0), null);
  assert.deepEqual(splitWords(' info  "t l b" x'), ['info', 't l b', 'x']);
  assert.equal(splitWords(Array(17).fill('w').join(' ')), null, 'at most 16 words');
});
