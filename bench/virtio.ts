/**
 * `npm run bench -- virtio`: the virtio devices under Linux on ppce500 (e500v2, 1 CPU, root on
 * a virtio-blk copy of the built ext4 image), ngkvm against QEMU 7.2 TCG with the same images
 * and the same command line, in the same run, one VM or VM pair at a time:
 *  - disk (/usr/share/ngkvm/vbench.sh on a scratch virtio disk /dev/vdb, O_DIRECT):
 *    sequential 1 MiB writes then reads of NGKVM_BENCH_DISK_MIB (default 8) MiB, and
 *    NGKVM_BENCH_READS (default 1000) random 4 KiB reads;
 *  - network (/usr/share/ngkvm/net.sh): two VMs on a socket netdev, NGKVM_BENCH_NET_MIB
 *    (default 1) MiB over TCP with busybox nc, from the sender's start to the receiver's end.
 *  - the disk figures again with the scratch disk served by `ngkvm device virtio-blk` in
 *    another process (configuration space, BARs, DMA and MSI-X over a device route).
 * The host times each job between the markers the guest prints (console latency included).
 * A run that fails (a VM that never gets to its marker) shows as failed; the others are kept.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findLinuxImages, type LinuxImages } from '../src/tools/images/linux.js';
import { CLI, median, table } from './harness.js';
import { freePort } from '../test/support/ports.js';

const RUNS = Number(process.env['NGKVM_BENCH_RUNS'] ?? 1);
const DISK_MIB = Number(process.env['NGKVM_BENCH_DISK_MIB'] ?? 8);
const READS = Number(process.env['NGKVM_BENCH_READS'] ?? 1000);
const NET_MIB = Number(process.env['NGKVM_BENCH_NET_MIB'] ?? 1);

/** When (performance.now(), host clock shared by all VMs of a run) each pattern first appeared. */
type Marks = Map<string, number>;

function watch(cmd: string, args: readonly string[], patterns: ReadonlyMap<string, RegExp>, done: string, timeoutMs: number): Promise<Marks> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    let err = '';
    const at: Marks = new Map();
    let finished = false;
    const end = (e?: Error): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      if (e !== undefined) reject(e);
      else resolve(at);
    };
    const timer = setTimeout(() => end(new Error(`${cmd} did not get to "${done}" within ${timeoutMs / 1000} s; it printed:\n${text.slice(-1500)}${err}`)), timeoutMs);
    child.on('error', (e) => end(e));
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
    });
    child.stdout.on('data', (b: Buffer) => {
      const now = performance.now();
      text += b.toString('latin1').replace(/\r/g, '');
      for (const [name, re] of patterns) if (!at.has(name) && re.test(text)) at.set(name, now);
      if (at.has(done)) end();
    });
    child.on('close', () => end(at.has(done) ? undefined : new Error(`${cmd} ended before "${done}"; it printed:\n${text.slice(-1500)}${err}`)));
  });
}

function marks(...names: string[]): Map<string, RegExp> {
  return new Map(names.flatMap((n) => [[`${n}:start`, new RegExp(`bench: start ${n}\\n`)], [`${n}:end`, new RegExp(`bench: end ${n}\\n`)]] as [string, RegExp][]));
}

interface Vmm {
  readonly name: string;
  readonly cmd: string;
  args(images: LinuxImages, devices: readonly string[], append: string, initrd: boolean): string[];
}

const NGKVM: Vmm = {
  name: 'ngkvm',
  cmd: process.execPath,
  args: (images, devices, append, initrd) => [
    CLI, 'run', '--machine', 'ppce500', '--cpu', 'e500v2', '--smp', '1', '-m', '256M', '--serial', 'stdio', '--no-reboot',
    '--kernel', images.kernels.e500v2.vmlinux, ...(initrd ? ['--initrd', images.initramfs] : []), '--append', `console=ttyS0 ${append}`, ...devices,
  ],
};

const QEMU: Vmm = {
  name: 'QEMU',
  cmd: 'qemu-system-ppc',
  args: (images, devices, append, initrd) => [
    '-M', 'ppce500', '-cpu', 'e500v2', '-smp', '1', '-m', '256', '-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-net', 'none', '-no-reboot',
    '-kernel', images.kernels.e500v2.vmlinux, ...(initrd ? ['-initrd', images.initramfs] : []), '-append', `console=ttyS0 ${append}`, ...devices,
  ],
};


/** Resolves once something accepts connections on the port (tries for up to a minute). */
async function listening(port: number): Promise<void> {
  for (let i = 0; i < 120; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`nothing listens on port ${port}`);
}

interface DiskFigures {
  writeMBs: number;
  readMBs: number;
  iops: number;
}

/**
 * `deviceProcess`: the scratch disk (/dev/vdb, PCI slot 2) is a virtio-blk-pci served by
 * `ngkvm device virtio-blk` in another process (docs/device-routes.md); the root disk stays in
 * the VMM.
 */
async function diskRun(vmm: Vmm, images: LinuxImages, dir: string, deviceProcess = false): Promise<DiskFigures> {
  const tag = `${vmm.name}${deviceProcess ? '-devproc' : ''}`;
  const root = join(dir, `${tag}-root.ext4`);
  const scratch = join(dir, `${tag}-scratch.img`);
  const sock = join(dir, `${tag}.sock`);
  copyFileSync(images.rootfs, root);
  writeFileSync(scratch, new Uint8Array((2 * DISK_MIB + 8) << 20));
  const devices = ['-drive', `file=${root},if=virtio,format=raw`, ...(deviceProcess ? ['-device', `virtio-blk-pci,socket=${sock},wait=on`] : ['-drive', `file=${scratch},if=virtio,format=raw`])];
  const vm = watch(vmm.cmd, vmm.args(images, devices, `root=/dev/vda rw ngkvm.script=vbench ngkvm.bench_mib=${DISK_MIB} ngkvm.bench_reads=${READS}`, false), marks('seqwrite', 'seqread', 'randread'), 'randread:end', 1_800_000);
  let device: ChildProcess | undefined;
  if (deviceProcess) {
    for (let i = 0; i < 1200 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
    device = spawn(process.execPath, [CLI, 'device', 'virtio-blk', '--socket', sock, '--drive', `file=${scratch}`], { stdio: 'ignore' });
  }
  const m = await vm.finally(() => device?.kill('SIGKILL'));
  const span = (j: string): number => (m.get(`${j}:end`)! - m.get(`${j}:start`)!) / 1000;
  const mb = (DISK_MIB * 1048576) / 1e6;
  return { writeMBs: mb / span('seqwrite'), readMBs: mb / span('seqread'), iops: READS / span('randread') };
}

/** MB/s of one TCP transfer between two VMs of the same VMM on a socket netdev. */
async function netRun(vmm: Vmm, images: LinuxImages): Promise<number> {
  const port = await freePort();
  const vm = (n: number, netdev: string, role: string): string[] =>
    vmm.args(images, ['-netdev', `socket,id=n0,${netdev}`, '-device', `virtio-net-pci,netdev=n0,mac=52:54:00:12:34:0${n}`],
      `ngkvm.script=net ngkvm.ip=10.0.2.${n} ngkvm.peer=10.0.2.${3 - n} ngkvm.role=${role} ngkvm.net_mib=${NET_MIB}`, true);
  const receiver = watch(vmm.cmd, vm(1, `listen=127.0.0.1:${port}`, 'recv'), new Map([['end', /bench: end tcp\n/], ['received', /net: received \d+ bytes/]]), 'received', 1_800_000);
  // The listener must be up before the other VMM connects (a refused connection is an error);
  // a loaded host may take seconds to start ngkvm (QEMU's listener takes only one client, so
  // it is not probed: it starts in well under a second).
  if (vmm === NGKVM) await listening(port);
  else await new Promise((r) => setTimeout(r, 2000));
  // The sender is left to power off by itself: killed at "net: sent", the last segments or
  // its FIN may still be in its VMM, and the receiver would wait for them forever.
  const sender = watch(vmm.cmd, vm(2, `connect=127.0.0.1:${port}`, 'send'), new Map([['start', /bench: start tcp\n/], ['off', /reboot: Power down/]]), 'off', 1_800_000);
  const [r, s] = await Promise.all([receiver, sender]);
  return (NET_MIB * 1048576) / 1e6 / ((r.get('end')! - s.get('start')!) / 1000);
}

export async function benchVirtio(): Promise<void> {
  const images = findLinuxImages();
  if (images === undefined) {
    process.stdout.write('\nvirtio: skipped, the Linux images are not built (npm run linux:build)\n');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'ngkvm-bench-virtio-'));
  try {
    const disk = new Map<string, DiskFigures[]>([['ngkvm', []], ['devproc', []], ['QEMU', []]]);
    const net = new Map<string, number[]>([['ngkvm', []], ['QEMU', []]]);
    const attempt = async <T>(what: string, f: () => Promise<T>, into: T[]): Promise<void> => {
      try {
        const v = await f();
        into.push(v);
        process.stdout.write(`virtio: ${what}: ${JSON.stringify(v)}\n`);
      } catch (e) {
        process.stdout.write(`virtio: ${what} failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}\n`);
      }
    };
    for (const vmm of [NGKVM, QEMU]) {
      for (let i = 0; i < RUNS; i++) {
        await attempt(`${vmm.name} disk run`, () => diskRun(vmm, images, dir), disk.get(vmm.name)!);
        if (vmm === NGKVM) await attempt('ngkvm disk run, scratch disk in a device process', () => diskRun(vmm, images, dir, true), disk.get('devproc')!);
        await attempt(`${vmm.name} network run`, () => netRun(vmm, images), net.get(vmm.name)!);
      }
    }
    const med = (xs: readonly number[]): number | undefined => (xs.length === 0 ? undefined : median(xs));
    const fmt = (v: number | undefined, unit: string): string => (v === undefined ? 'failed' : `${v.toFixed(2)} ${unit}`);
    const rows: string[][] = [['measure', 'ngkvm', 'ngkvm, device process', 'QEMU', 'ngkvm/QEMU', 'device process/in-process']];
    const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined ? '-' : (a / b).toFixed(3));
    const row = (what: string, unit: string, o: number | undefined, p: number | undefined, q: number | undefined): void =>
      void rows.push([what, fmt(o, unit), p === undefined && what.includes('TCP') ? '-' : fmt(p, unit), fmt(q, unit), ratio(o, q), ratio(p, o)]);
    const d = (name: string, f: (x: DiskFigures) => number): number | undefined => med(disk.get(name)!.map(f));
    row(`sequential write, ${DISK_MIB} MiB O_DIRECT`, 'MB/s', d('ngkvm', (x) => x.writeMBs), d('devproc', (x) => x.writeMBs), d('QEMU', (x) => x.writeMBs));
    row(`sequential read, ${DISK_MIB} MiB O_DIRECT`, 'MB/s', d('ngkvm', (x) => x.readMBs), d('devproc', (x) => x.readMBs), d('QEMU', (x) => x.readMBs));
    row(`random 4 KiB reads (${READS})`, 'IOPS', d('ngkvm', (x) => x.iops), d('devproc', (x) => x.iops), d('QEMU', (x) => x.iops));
    row(`VM-to-VM TCP, ${NET_MIB} MiB`, 'MB/s', med(net.get('ngkvm')!), undefined, med(net.get('QEMU')!));
    process.stdout.write(`\nvirtio under Linux 6.1 on ppce500 (e500v2, 1 CPU, virtio-pci), median of ${RUNS} run(s); ratio > 1 means ngkvm is faster\n`);
    process.stdout.write(table(rows) + '\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
