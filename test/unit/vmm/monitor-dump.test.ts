/**
 * x/xp formats and layout. The expected texts are QEMU 7.2's, typed at its monitor (ppce500,
 * U-Boot prompt) after `mw.l` put these 16 bytes at 0x1000000, in this order: the format and
 * size a dump leaves behind are inherited by the next one, so the sequence matters.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MonitorMachine } from '../../../src/vmm/monitor/machine.js';
import { DumpDefaults, formatChar, formatMemoryDump, parseDumpFormat } from '../../../src/vmm/monitor/memory-dump.js';
import { Monitor } from '../../../src/vmm/monitor/monitor.js';

const BASE = 0x1000000n;
const DATA = Uint8Array.from([0x80, 0xff, 0xff, 0xfe, 0x41, 0x27, 0x5c, 0x0a, 0x0d, 0x0a, 0x7f, 0x20, 0x22, 0x61, 0x62, 0x63]);
/** 64 bytes of RAM at BASE (the rest zero), nothing else. */
const RAM = new Uint8Array(64);
RAM.set(DATA);
const read = (addr: bigint, n: number): Uint8Array | null =>
  addr >= BASE && addr + BigInt(n) <= BASE + BigInt(RAM.length) ? RAM.slice(Number(addr - BASE), Number(addr - BASE) + n) : null;

/** A monitor whose CPU maps effective = physical, and whose memory is RAM above. */
function monitor(): Monitor {
  const m: MonitorMachine = {
    version: '0',
    accelerator: 'fake',
    cpus: [
      {
        vcpu: {
          registerList: () => [],
          getRegisters: () => [],
          translate: (ea) => ({ kind: 'mapped', phys: ea, pageSize: 4096, booke: { tlb: 1, index: 0, sr: true, sw: true, sx: true, ur: false, uw: false, ux: false, wimge: 0 } }),
          stats: () => ({}),
        },
      },
    ],
    readPhysical: read,
    memoryRegions: () => [],
    runStatus: () => 'running',
    pause: () => {},
    resume: () => {},
    requestReset: () => {},
    requestQuit: () => {},
  };
  return new Monitor(m);
}

test('x: a QEMU session replayed command by command, defaults carried from one dump to the next', () => {
  const m = monitor();
  const session: [string, string][] = [
    ['x 0x1000000', '01000000: 0x80fffffe\n'],
    ['x/c 0x1000000', "01000000: '\\x80' '\\xff' '\\xff' '\\xfe'\n"],
    ['x/2 0x1000000', "01000000: '\\x80' '\\xff' '\\xff' '\\xfe' 'A' '\\'' '\\\\' '\\n'\n"],
    ['x/b 0x1000000', "01000000: '\\x80'\n"],
    ['x/xbx 0x1000000', '01000000: 0x80\n'],
    ['x/0x 0x1000000', ''],
    ['x/ 0x1000000', '01000000: 0x80\n'],
    ['x/4a 0x1000000', "invalid char in format: 'a'\nTry \"help x\" for more information\n"],
    ['x/b4 0x1000000', "invalid char in format: '4'\nTry \"help x\" for more information\n"],
    ['x/4db 0x1000000', '01000000: 128 255 255 254\n'],
    ['x/2dh 0x1000000', '01000000: 33023 65534\n'],
    ['x/dw 0x1000000', '01000000: 2164260862\n'],
    ['x/dg 0x1000000', '01000000: -9151314450313683958\n'],
    [
      'x/8c 0x1000000',
      "01000000: '\\x80' '\\xff' '\\xff' '\\xfe' 'A' '\\'' '\\\\' '\\n' '\\r' '\\n' '\\x7f' ' ' '\"' 'a' 'b' 'c'\n" +
        `01000010:${" '\\x00'".repeat(16)}\n01000020:${" '\\x00'".repeat(16)}\n01000030:${" '\\x00'".repeat(16)}\n`,
    ],
    ['x/2o 0x1000000', '01000000: 01003777777710111656012  064123762004230261143\n'],
    ['x/2ow 0x1000000', '01000000: 020077777776 010111656012\n'],
    ['x/2u 0x1000000', '01000000: 2164260862 1093098506\n'],
    ['x/3uh 0x1000000', '01000000: 33023 65534 16679\n'],
    ['x/2ob 0x1000000', '01000000: 0200 0377\n'],
    ['xp/2xw 0x1000000', '0000000001000000: 0x80fffffe 0x41275c0a\n'],
    ['xp 0x1000000', '0000000001000000: 0x80fffffe\n'],
    ['x/x 0x101000000', '01000000: 0x80fffffe\n'],
    ['xp/x 0x1000000000', '0000001000000000: Cannot access memory\n'],
    ['x/2xg 0x1000001', '01000001: 0xfffffe41275c0a0d 0x0a7f202261626300\n'],
    ['x/17xb 0x1000000', '01000000: 0x80 0xff 0xff 0xfe 0x41 0x27 0x5c 0x0a\n01000008: 0x0d 0x0a 0x7f 0x20 0x22 0x61 0x62 0x63\n01000010: 0x00\n'],
    ['x/9c 0x1000008', "01000008: '\\r' '\\n' '\\x7f' ' ' '\"' 'a' 'b' 'c'\n01000010: '\\x00'\n"],
    ['x', 'unexpected end of expression\nTry "help x" for more information\n'],
    ['xp/x 0x1000000 junk', 'xp: extraneous characters at the end of line\nTry "help xp" for more information\n'],
    ['x/5Lx 0x1000000', '01000000: 0x80fffffe41275c0a 0x0d0a7f2022616263\n01000010: 0x0000000000000000 0x0000000000000000\n01000020: 0x0000000000000000\n'],
  ];
  for (const [line, expected] of session) assert.equal(m.execute(line), expected, line);
});

test('x: a dump that runs out of readable memory prints the lines it could read, then the error', () => {
  const m = monitor();
  assert.equal(m.execute('x/20xw 0x1000020'), '01000020: 0x00000000 0x00000000 0x00000000 0x00000000\n01000030: 0x00000000 0x00000000 0x00000000 0x00000000\n01000040: Cannot access memory\n');
  assert.equal(m.execute('xp/3xg 0x1000038'), '0000000001000038: Cannot access memory\n', 'a line is read whole or not at all');
});

test('x/i is refused with a typed message (no disassembler) and leaves the defaults alone', () => {
  const m = monitor();
  m.execute('x/xh 0x1000000');
  assert.equal(m.execute('x/2i 0x1000000'), "format 'i' (disassembly) is not supported by ngkvm\nTry \"help x\" for more information\n");
  assert.equal(m.execute('x 0x1000000'), '01000000: 0x80ff\n');
});

test('huge counts are refused rather than flooding the terminal', () => {
  const m = monitor();
  assert.match(m.execute('x/99999999xg 0x1000000'), /^Error: at most 1048576 bytes can be dumped at once/);
  assert.equal(m.execute('x 0x1000000'), '01000000: 0x80fffffe\n', 'a refused dump does not change the defaults');
});

test('format parsing and character escapes', () => {
  assert.deepEqual(parseDumpFormat('x/10xb 0', 1), { spec: { kind: 'dump-format', count: 10, format: 'x', size: 1 }, end: 6 });
  assert.deepEqual(parseDumpFormat('x 0', 1), { spec: { kind: 'dump-format', count: 1 }, end: 1 });
  assert.deepEqual(parseDumpFormat('x/gd', 1).spec, { kind: 'dump-format', count: 1, format: 'd', size: 8 }, 'order does not matter');
  assert.equal(formatChar(0x27), "'\\''");
  assert.equal(formatChar(0x7e), "'~'");
  assert.equal(formatChar(0x1f), "'\\x1f'");
  const d = new DumpDefaults();
  assert.equal(formatMemoryDump(d.resolve({ kind: 'dump-format', count: 2, format: 'o', size: 2 }), BASE, false, () => new Uint8Array(4)), '01000000:      0      0\n');
});
