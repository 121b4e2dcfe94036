/**
 * `ngkvm run --device uart1,socket=PATH` and `ngkvm device uart --socket PATH`, as two real
 * processes: the guest waits for UART1 to answer (all ones while no device is connected),
 * writes to it, and resets; the device process prints what the guest wrote and ends when
 * the VMM goes away. The socket is owner-only. Option mistakes are usage errors.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ngkvm } from '../../support/processes.js';
import { asm, words } from '../../support/ppc-asm.js';
import { li32, mapCcsr, ppcElf } from '../../support/ppc-elf.js';
import { buildRunConfig, loadTargetCatalog } from '../../../src/tools/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'ngkvm-device-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const cmpwi = (ra: number, imm: number): number => ((11 << 26) | (ra << 16) | (imm & 0xffff)) >>> 0;
/** beq to a byte offset relative to this instruction (bc 12,2). */
const beq = (off: number): number => ((16 << 26) | (12 << 21) | (2 << 16) | (off & 0xfffc)) >>> 0;

function guest(): string {
  const path = join(dir, 'uart1.elf');
  const code = words(
    ...mapCcsr(),
    ...li32(4, 0xe000_4600), // UART1
    asm.lbz(5, 4, 5), // LSR: 0xff while no device answers
    cmpwi(5, 0xff),
    beq(-8),
    asm.li(5, 0x6f), // 'o'
    asm.stb(5, 4, 0),
    asm.li(5, 0x6b), // 'k'
    asm.stb(5, 4, 0),
    asm.li(5, 0x0a),
    asm.stb(5, 4, 0),
    ...li32(6, 0xe00e_00b0), // GUTS RSTCR: HRESET_REQ
    asm.li(5, 2),
    asm.stw(5, 6, 0),
    asm.b(0),
  );
  writeFileSync(path, ppcElf(code));
  return path;
}

test('a guest writes to UART1 served by ngkvm device uart in another process', { timeout: 120_000 }, async () => {
  const sock = join(dir, 'uart1.sock');
  const vm = ngkvm(['run', '--machine', 'ppce500', '--cpu', 'e500v2', '-m', '64M', '--kernel', guest(), '--serial', 'null', '--device', `uart1,socket=${sock}`, '--no-reboot'], { timeoutMs: 110_000 });
  for (let i = 0; i < 600 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(existsSync(sock), 'the VMM made its device socket');
  assert.equal(statSync(sock).mode & 0o777, 0o600, 'owner-only');
  const device = await ngkvm(['device', 'uart', '--socket', sock], { timeoutMs: 110_000 });
  const run = await vm;
  assert.equal(run.code, 0, run.stderr);
  assert.equal(device.stdout.toString(), 'ok\n', device.stderr);
  assert.equal(device.code, 0, device.stderr);
});

test('--device: forms and combinations that are refused', async () => {
  const catalog = await loadTargetCatalog();
  const cfg = buildRunConfig(['--bios', 'x.elf', '--device', 'uart1,socket=/tmp/s'], catalog);
  assert.ok(typeof cfg === 'object' && 'machine' in cfg);
  assert.deepEqual(cfg.remoteDevices, [{ kind: 'uart1', socket: '/tmp/s' }]);
  assert.equal(cfg.devices, undefined, 'not a virtio device');
  const waiting = buildRunConfig(['--bios', 'x.elf', '--device', 'uart1,socket=/tmp/a,b,wait=on'], catalog);
  assert.ok(typeof waiting === 'object' && 'machine' in waiting);
  assert.deepEqual(waiting.remoteDevices, [{ kind: 'uart1', socket: '/tmp/a,b', wait: true }], 'a comma in the path; wait=on last');
  assert.deepEqual(cfg.serials.map((s) => s.kind), ['stdio', 'null'], 'UART1 keeps its place; its registers are the device\'s');
  assert.throws(() => buildRunConfig(['--bios', 'x.elf', '--device', 'uart0,socket=/tmp/s'], catalog), /device "uart0" is not supported; .*uart1,socket=PATH/);
  assert.throws(() => buildRunConfig(['--bios', 'x.elf', '--serial', 'stdio', '--serial', 'null', '--device', 'uart1,socket=/tmp/s'], catalog), /one --serial/);
  const r = await ngkvm(['device', 'disk', '--socket', '/tmp/x']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown device "disk"/);
});

test('ngkvm device virtio-net: bad options are one line and status 2, before any connection', async () => {
  const cases: [string[], RegExp][] = [
    [['device', 'virtio-net', '--socket', '/tmp/none.sock'], /needs --netdev socket,listen=/],
    [['device', 'virtio-net', '--socket', '/tmp/none.sock', '--netdev', 'user'], /netdev type "user" is not supported/],
    [['device', 'virtio-net', '--socket', '/tmp/none.sock', '--netdev', 'socket,connect=127.0.0.1:1', '--mac', '01:00:00:00:00:01'], /multicast address/],
    [['device', 'virtio-net', '--socket', '/tmp/none.sock', '--netdev', 'socket,connect=127.0.0.1:1', '--drive', 'file=x'], /--drive is for ngkvm device virtio-blk/],
    [['device', 'virtio-blk', '--socket', '/tmp/none.sock', '--drive', 'file=x', '--mac', '52:54:00:12:34:56'], /--mac is for ngkvm device virtio-net/],
  ];
  for (const [args, message] of cases) {
    const r = await ngkvm(args, { timeoutMs: 30_000 });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  const help = await ngkvm(['device', '--help']);
  assert.match(help.stdout.toString(), /ngkvm device virtio-net --socket PATH --netdev/);
});
