/**
 * The gdb stub's cost per request, measured over TCP with a small protocol client (not gdb,
 * so the figures are the stub's and not gdb's own bookkeeping): a single-step round trip (vCont;s → stop reply), a 4 KiB memory read by virtual
 * address, a register-file read (g) and a ping (qC, no target work: the transport and the
 * cross-thread hop alone). Anchor: the same requests, same client, against QEMU's gdbstub on
 * the same guest in the same run. QEMU 7.2 has no no-ack mode, so the comparison is in ack
 * mode (a `+` each way per packet, never waited for); ngkvm is also measured in no-ack mode,
 * which gdb switches to when the stub offers it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GdbTcpClient } from '../test/support/gdb-tcp-client.js';
import { CLI, ROOT, median, table } from './harness.js';
import { freePort } from '../test/support/ports.js';

const ELF = join(ROOT, 'guests', 'build', 'e500v2', 'gdb_target.elf');
const ROUNDS = 5;


async function connectRetry(port: number): Promise<GdbTcpClient> {
  for (let i = 0; ; i++) {
    try {
      return await GdbTcpClient.open(port);
    } catch (err) {
      if (i > 100) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Median µs per request of `n` sequential requests, over ROUNDS rounds. */
async function perRequest(n: number, f: () => Promise<void>): Promise<number> {
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await f();
    rounds.push(((performance.now() - t0) * 1000) / n);
  }
  return median(rounds);
}

interface Figures {
  readonly step: number;
  readonly read4k: number;
  readonly regs: number;
  readonly ping: number;
}

async function measure(child: ChildProcess, port: number, noAck: boolean): Promise<Figures> {
  const c = await connectRetry(port);
  try {
    if (noAck) await c.startNoAck();
    const supported = await c.ask('qSupported:swbreak+;hwbreak+');
    // As gdb does, size reads to the stub's PacketSize (QEMU: 4096 → two 2 KiB reads per 4 KiB).
    const packetSize = Number.parseInt(/PacketSize=([0-9a-f]+)/i.exec(supported)?.[1] ?? '400', 16);
    const chunk = Math.min(4096, Math.floor(packetSize / 2));
    const stop = await c.ask('?');
    if (!stop.startsWith('T') && !stop.startsWith('S')) throw new Error(`unexpected stop reply ${stop}`);
    // Warm-up: the first few hundred requests run colder code on both sides.
    for (let i = 0; i < 500; i++) await c.ask('qC');
    const ping = await perRequest(500, async () => void (await c.ask('qC')));
    const read4k = await perRequest(300, async () => {
      for (let at = 0; at < 4096; at += chunk) {
        const n = Math.min(chunk, 4096 - at);
        const r = await c.ask(`m${(0x100000 + at).toString(16)},${n.toString(16)}`);
        if (r.length !== 2 * n) throw new Error(`a ${n}-byte read returned ${r.length / 2} bytes: ${r.slice(0, 20)}`);
      }
    });
    const regs = await perRequest(500, async () => void (await c.ask('g')));
    // Steps through crt0's start-up code (tens of thousands of instructions before main).
    const step = await perRequest(300, async () => {
      const r = await c.ask('vCont;s:1');
      if (!r.startsWith('T05')) throw new Error(`step ended with ${r}`);
    });
    c.send('k');
    return { step, read4k, regs, ping };
  } finally {
    c.close();
    child.kill('SIGKILL');
  }
}

export async function benchGdb(): Promise<void> {
  if (!existsSync(ELF)) {
    process.stdout.write(`\ngdb stub: skipped, ${ELF} is missing (make -C guests)\n`);
    return;
  }
  const ngkvm = async (noAck: boolean): Promise<Figures> => {
    const port = await freePort();
    const args = [CLI, 'run', '--machine', 'ppce500', '--cpu', 'e500v2', '-m', '256M', '--bios', ELF, '--serial', 'null', '--gdb', `tcp:127.0.0.1:${port}`, '-S'];
    return measure(spawn(process.execPath, args, { stdio: 'ignore' }), port, noAck);
  };
  const ours = await ngkvm(false);
  const oursNoAck = await ngkvm(true);
  const qemuPort = await freePort();
  const qemu = await measure(
    spawn('qemu-system-ppc', ['-M', 'ppce500', '-cpu', 'e500v2', '-m', '256', '-display', 'none', '-serial', 'null', '-monitor', 'none', '-net', 'none', '-bios', ELF, '-gdb', `tcp:127.0.0.1:${qemuPort}`, '-S'], {
      stdio: 'ignore',
    }),
    qemuPort,
    false,
  );
  const us = (v: number): string => `${v.toFixed(1)} µs`;
  const ratio = (a: number, b: number): string => (a / b).toFixed(2);
  const rows = [
    ['request (TCP)', 'ngkvm', 'QEMU gdbstub', 'ngkvm / QEMU', 'ngkvm no-ack'],
    ['single-step round trip (vCont;s → T05)', us(ours.step), us(qemu.step), ratio(ours.step, qemu.step), us(oursNoAck.step)],
    ['4 KiB memory read by virtual address (m; QEMU: 2 × 2 KiB)', us(ours.read4k), us(qemu.read4k), ratio(ours.read4k, qemu.read4k), us(oursNoAck.read4k)],
    ['register file (g)', us(ours.regs), us(qemu.regs), ratio(ours.regs, qemu.regs), us(oursNoAck.regs)],
    ['ping (qC: transport and thread hop only)', us(ours.ping), us(qemu.ping), ratio(ours.ping, qemu.ping), us(oursNoAck.ping)],
  ];
  process.stdout.write('\ngdb remote stub, e500v2 guest, median per request\n');
  process.stdout.write(table(rows) + '\n');
}
