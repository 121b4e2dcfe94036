/**
 * Linux on ppce500 with its root file system on a virtio-blk-pci disk served by a device
 * process: `ngkvm run -device virtio-blk-pci,socket=PATH,wait=on` with `ngkvm device
 * virtio-blk --socket PATH --drive file=IMG` in another process (docs/device-routes.md,
 * "Virtio devices in a device process"). The guest's configuration space, BAR accesses,
 * DMA and MSI-X all cross the route. What the guest wrote survives a guest reboot (a board
 * reset, sent to the device process as Reset) and a SIGKILL of the VMM after its sync (the
 * device process fdatasyncs on FLUSH); e2fsck -fn finds the file system clean.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { linuxImagesOrWhy, type LinuxImages } from '../support/linux.js';
import { CLI } from '../support/paths.js';
import { haveCommand } from '../support/processes.js';
import { freePort } from '../support/ports.js';

const images = linuxImagesOrWhy();
const dir = mkdtempSync(join(tmpdir(), 'ngkvm-virtio-device-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Ended {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly out: string;
  readonly err: string;
  readonly killedOnCue: boolean;
}

/** The VMM (console on a pipe; SIGKILL once `killWhen` matches) and its device process. */
async function runWithDevice(imgs: LinuxImages, disk: string, sock: string, opts: { reboot: boolean; killWhen?: RegExp }): Promise<{ vm: Ended; device: Ended }> {
  rmSync(sock, { force: true });
  const args = [
    CLI, 'run', '--machine', 'ppce500', '--cpu', 'e500v2', '--smp', '1', '-m', '256M', '--serial', 'stdio', ...(opts.reboot ? [] : ['--no-reboot']),
    '--kernel', imgs.kernels.e500v2.vmlinux, '--append', 'console=ttyS0 root=/dev/vda rw ngkvm.script=disk',
    '-device', `virtio-blk-pci,socket=${sock},wait=on`,
  ];
  const watch = (child: ChildProcess, killWhen?: RegExp): Promise<Ended> =>
    new Promise((resolve) => {
      let out = '';
      let err = '';
      let killedOnCue = false;
      child.stdout!.on('data', (b: Buffer) => {
        out += b.toString('latin1').replace(/\r/g, '');
        if (killWhen !== undefined && !killedOnCue && killWhen.test(out)) {
          killedOnCue = true;
          child.kill('SIGKILL');
        }
      });
      child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
      child.on('close', (code, signal) => resolve({ code, signal, out, err, killedOnCue }));
    });
  const vmChild = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const vm = watch(vmChild, opts.killWhen);
  for (let i = 0; i < 600 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(existsSync(sock), 'the VMM made its device socket');
  const deviceChild = spawn(process.execPath, [CLI, 'device', 'virtio-blk', '--socket', sock, '--drive', `file=${disk}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  const device = watch(deviceChild);
  const timer = setTimeout(() => {
    vmChild.kill('SIGKILL');
    deviceChild.kill('SIGKILL');
  }, 1_500_000);
  const result = { vm: await vm, device: await device };
  clearTimeout(timer);
  return result;
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const why = (e: Ended): string => `ended with ${e.code} (${e.signal ?? ''}): ${e.err}\n${e.out.slice(-3000)}`;

test(
  'root on virtio-blk in a device process: a file survives a guest reboot and a SIGKILL of the VMM after sync; e2fsck -fn is clean',
  { skip: typeof images === 'string' ? images : !haveCommand('e2fsck') || !haveCommand('debugfs') ? 'e2fsprogs (e2fsck, debugfs) is not installed' : false, timeout: 3_000_000 },
  async () => {
    if (typeof images === 'string') return;
    const disk = join(dir, 'root.ext4');
    const sock = join(dir, 'blk.sock');
    copyFileSync(images.rootfs, disk);
    // Boots 1 and 2 in one VMM (the guest's reboot -f is a board reset), killed after boot 2's sync.
    const first = await runWithDevice(images, disk, sock, { reboot: true, killWhen: /disk: synced [0-9a-f]{64}\n/ });
    const t1 = first.vm.out;
    assert.ok(first.vm.killedOnCue, `the guest never reported its sync: ${why(first.vm)}\ndevice: ${first.device.err}`);
    assert.match(first.vm.err, /device virtio-blk-pci: "virtio-blk-pci" connected/);
    assert.match(t1, /virtio_blk virtio0: \[vda\] \d+ 512-byte logical blocks/);
    assert.match(t1, /disk: boot 1, root ext4 rw\n/);
    const wrote = /disk: wrote ([0-9a-f]{64})\n/.exec(t1)?.[1];
    assert.ok(wrote !== undefined, 'boot 1 wrote its file');
    assert.match(t1, /disk: rebooting\n[^]*disk: boot 2, root ext4 rw\n/);
    assert.match(t1, /disk: the file survived the reboot\n/);
    const synced = /disk: synced ([0-9a-f]{64})\n/.exec(t1)![1]!;
    // The VMM's death ends the device process cleanly: its connection closed, or reset when
    // the kill caught a DMA request on the way (the device then stops its queue first).
    assert.equal(first.device.code, 0, first.device.err);
    assert.match(first.device.err, /the VMM closed|event channel failed: Error: ECONNRESET/);

    const two = spawnSync('debugfs', ['-R', 'cat /root/ngkvm-disk/two', disk], { maxBuffer: 64 << 20 });
    assert.equal(two.status, 0, two.stderr.toString());
    assert.equal(sha256(two.stdout), synced, 'the file the guest synced is in the image after the SIGKILL');

    const second = await runWithDevice(images, disk, sock, { reboot: false });
    const t2 = second.vm.out;
    assert.equal(second.vm.code, 0, why(second.vm));
    assert.match(t2, /disk: boot 3, root ext4 rw\n/);
    assert.match(t2, /disk: both files survived the VMM kill\n/);
    assert.match(t2, /ngkvm: script disk finished with status 0\n/);
    assert.equal(second.device.code, 0, second.device.err);

    const fsck = spawnSync('e2fsck', ['-fn', disk]);
    assert.equal(fsck.status, 0, `e2fsck -fn: ${fsck.stdout.toString()}${fsck.stderr.toString()}`);
    const one = spawnSync('debugfs', ['-R', 'cat /root/ngkvm-disk/one', disk], { maxBuffer: 64 << 20 });
    assert.equal(sha256(one.stdout), wrote);
  },
);

/** Collects a child's output until it ends. */
function collect(child: ChildProcess): Promise<Ended> {
  return new Promise((resolve) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (b: Buffer) => (out += b.toString('latin1').replace(/\r/g, '')));
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    child.on('close', (code, signal) => resolve({ code, signal, out, err, killedOnCue: false }));
  });
}

/** Runs ngkvm with `ngkvm.script=virtio` (initramfs) and the device processes given; resolves with its console text. */
async function listingRun(imgs: LinuxImages, devices: readonly string[], serve: readonly { sock: string; args: readonly string[] }[]): Promise<{ vm: Ended; devices: Ended[] }> {
  for (const s of serve) rmSync(s.sock, { force: true });
  const args = [
    CLI, 'run', '--machine', 'ppce500', '--cpu', 'e500v2', '--smp', '1', '-m', '256M', '--serial', 'stdio', '--no-reboot',
    '--kernel', imgs.kernels.e500v2.vmlinux, '--initrd', imgs.initramfs, '--append', 'console=ttyS0 ngkvm.script=virtio', ...devices,
  ];
  const vmChild = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const vm = collect(vmChild);
  const children: ChildProcess[] = [];
  for (const s of serve) {
    for (let i = 0; i < 600 && !existsSync(s.sock); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(existsSync(s.sock), `the VMM made ${s.sock}`);
    children.push(spawn(process.execPath, [CLI, 'device', ...s.args, '--socket', s.sock], { stdio: ['ignore', 'pipe', 'pipe'] }));
  }
  const ended = children.map(collect);
  const timer = setTimeout(() => [vmChild, ...children].forEach((c) => c.kill('SIGKILL')), 900_000);
  const result = { vm: await vm, devices: await Promise.all(ended) };
  clearTimeout(timer);
  return result;
}

test(
  'what Linux sees of virtio-blk and virtio-rng in device processes (lspci, virtio bus, features, queues, interrupts, dmesg) equals the in-process devices',
  { skip: typeof images === 'string' ? images : false, timeout: 2_000_000 },
  async () => {
    if (typeof images === 'string') return;
    const scratch = join(dir, 'scratch.img');
    const content = new Uint8Array(8 << 20).map((_, i) => (i * 2654435761) >>> 24);
    writeFileSync(scratch, content);
    const blkSock = join(dir, 'l-blk.sock');
    const rngSock = join(dir, 'l-rng.sock');
    const inProcess = await listingRun(images, ['-drive', `file=${scratch},if=none,id=d0,format=raw,readonly=on`, '-device', 'virtio-blk-pci,drive=d0,serial=ngkvm-disk0', '-device', 'virtio-rng-pci'], []);
    const remote = await listingRun(images, ['-device', `virtio-blk-pci,socket=${blkSock},wait=on`, '-device', `virtio-rng-pci,socket=${rngSock},wait=on`], [
      { sock: blkSock, args: ['virtio-blk', '--drive', `file=${scratch},readonly=on`, '--serial', 'ngkvm-disk0'] },
      { sock: rngSock, args: ['virtio-rng'] },
    ]);
    assert.equal(inProcess.vm.code, 0, why(inProcess.vm));
    assert.equal(remote.vm.code, 0, why(remote.vm));
    const listing = (t: string): string => {
      const m = /== lspci\n[^]*== done\n/.exec(t);
      assert.ok(m !== null, `no listing in:\n${t.slice(-2000)}`);
      return m[0].split('\n').filter((l) => !/^\[c[0-9a-f]{7}\] /.test(l)).join('\n');
    };
    const a = listing(inProcess.vm.out);
    const b = listing(remote.vm.out);
    assert.equal(b, a, 'the device processes\' functions look the same to Linux');
    assert.match(b, /00:01\.0 Class 0100: 1af4:1042/);
    assert.match(b, /virtio0 device 0x0002 vendor 0x1af4 status 0x0000000f driver virtio_blk on 0000:00:01\.0/);
    assert.match(b, new RegExp(`\n${sha256(content)}  -\n`), 'the disk\'s contents read through DMA over the route');
    assert.match(b, /read 64 bytes/);
    for (const d of remote.devices) assert.equal(d.code, 0, d.err);
  },
);

test(
  'a device process killed while the machine runs: its function reads as all ones (one log line), the VMM and Linux go on',
  { skip: typeof images === 'string' ? images : false, timeout: 900_000 },
  async () => {
    if (typeof images === 'string') return;
    const sock = join(dir, 'dead-rng.sock');
    rmSync(sock, { force: true });
    const args = [
      CLI, 'run', '--machine', 'ppce500', '--cpu', 'e500v2', '--smp', '1', '-m', '256M', '--serial', 'stdio', '--no-reboot',
      '--kernel', images.kernels.e500v2.vmlinux, '--initrd', images.initramfs, '--append', 'console=ttyS0 ngkvm.script=uname', '-device', `virtio-rng-pci,socket=${sock},wait=on`,
    ];
    const vmChild = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    vmChild.stdout.on('data', (b: Buffer) => (out += b.toString('latin1').replace(/\r/g, '')));
    vmChild.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const ended = new Promise<number | null>((resolve) => vmChild.on('close', (code) => resolve(code)));
    for (let i = 0; i < 600 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
    const device = spawn(process.execPath, [CLI, 'device', 'virtio-rng', '--socket', sock], { stdio: 'ignore' });
    // Killed once connected: the guest has not enumerated PCI yet (it starts only now).
    for (let i = 0; i < 600 && !/connected/.test(err); i++) await new Promise((r) => setTimeout(r, 50));
    device.kill('SIGKILL');
    const timer = setTimeout(() => vmChild.kill('SIGKILL'), 800_000);
    const code = await ended;
    clearTimeout(timer);
    assert.equal(code, 0, `${err}\n${out.slice(-3000)}`);
    assert.match(out, /ngkvm: script uname finished with status 0\n/);
    assert.doesNotMatch(out, /virtio-pci 0000:00:01\.0/, 'Linux found no function in slot 1 (all ones)');
    // EOF or EPIPE, whichever the first access meets.
    assert.equal(err.match(/device virtio-rng-pci \(.*\) (closed its connection|connection failed \(\w+\)); its registers read as all ones/g)?.length, 1, err);
  },
);


test(
  'two VMs, one with its virtio-net in a device process (the netdev opened there): ping both ways and a 1 MiB TCP transfer with the same SHA-256',
  { skip: typeof images === 'string' ? images : false, timeout: 2_000_000 },
  async () => {
    if (typeof images === 'string') return;
    const port = await freePort();
    const sock = join(dir, 'net.sock');
    rmSync(sock, { force: true });
    const vm = (n: number, role: string, net: readonly string[]): string[] => [
      CLI, 'run', '--machine', 'ppce500', '--cpu', 'e500v2', '--smp', '1', '-m', '256M', '--serial', 'stdio', '--no-reboot',
      '--kernel', images.kernels.e500v2.vmlinux, '--initrd', images.initramfs,
      '--append', `console=ttyS0 ngkvm.script=net ngkvm.ip=10.0.2.${n} ngkvm.peer=10.0.2.${3 - n} ngkvm.role=${role}`, ...net,
    ];
    // VM 1: in process, listening. VM 2: its NIC in a device process that connects to VM 1.
    const receiverChild = spawn(process.execPath, vm(1, 'recv', ['-netdev', `socket,id=n0,listen=127.0.0.1:${port}`, '-device', 'virtio-net-pci,netdev=n0,mac=52:54:00:12:34:01']), { stdio: ['ignore', 'pipe', 'pipe'] });
    const receiver = collect(receiverChild);
    const senderChild = spawn(process.execPath, vm(2, 'send', ['-device', `virtio-net-pci,socket=${sock},wait=on`]), { stdio: ['ignore', 'pipe', 'pipe'] });
    const sender = collect(senderChild);
    for (let i = 0; i < 600 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(existsSync(sock), 'the VMM made its device socket');
    // The listener must be up before the device process connects (a refused connection is an error).
    await new Promise((r) => setTimeout(r, 3000));
    const deviceChild = spawn(process.execPath, [CLI, 'device', 'virtio-net', '--socket', sock, '--netdev', `socket,connect=127.0.0.1:${port}`, '--mac', '52:54:00:12:34:02'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const device = collect(deviceChild);
    const timer = setTimeout(() => [receiverChild, senderChild, deviceChild].forEach((c) => c.kill('SIGKILL')), 1_500_000);
    const [r, s, d] = await Promise.all([receiver, sender, device]);
    clearTimeout(timer);
    assert.equal(r.code, 0, `receiver ${why(r)}`);
    assert.equal(s.code, 0, `sender ${why(s)}\ndevice: ${d.err}`);
    assert.match(s.err, /device virtio-net-pci: "virtio-net-pci" connected/);
    assert.match(r.out, /net: eth0 10\.0\.2\.1, mac 52:54:00:12:34:01, link up\n/);
    assert.match(s.out, /net: eth0 10\.0\.2\.2, mac 52:54:00:12:34:02, link up\n/, 'the MAC the device process was given');
    assert.match(r.out, /net: 10\.0\.2\.2 answers\n3 packets transmitted, 3 packets received, 0% packet loss\n/);
    assert.match(s.out, /net: 10\.0\.2\.1 answers\n3 packets transmitted, 3 packets received, 0% packet loss\n/);
    const sent = /net: sending ([0-9a-f]{64})\n/.exec(s.out)?.[1];
    assert.ok(sent !== undefined, `the sender did not send: ${s.out.slice(-1500)}`);
    assert.match(r.out, new RegExp(`net: received 1048576 bytes ${sent}\n`));
    assert.equal(d.code, 0, d.err);
  },
);

test(
  'hvc0 on a virtio-serial device process: the kernel log and a shell on that process\'s terminal, both directions, then poweroff',
  { skip: typeof images === 'string' ? images : false, timeout: 900_000 },
  async () => {
    if (typeof images === 'string') return;
    const sock = join(dir, 'con.sock');
    rmSync(sock, { force: true });
    const args = [
      CLI, 'run', '--machine', 'ppce500', '--cpu', 'e500v2', '--smp', '1', '-m', '256M', '--serial', 'null', '--no-reboot',
      '--kernel', images.kernels.e500v2.vmlinux, '--initrd', images.initramfs, '--append', 'console=hvc0', '-device', `virtio-serial-pci,socket=${sock},wait=on`,
    ];
    const vmChild = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let vmOut = '';
    let vmErr = '';
    vmChild.stdout.on('data', (b: Buffer) => (vmOut += b.toString('latin1')));
    vmChild.stderr.on('data', (b: Buffer) => (vmErr += b.toString()));
    const vmEnded = new Promise<number | null>((resolve) => vmChild.on('close', (code) => resolve(code)));
    for (let i = 0; i < 600 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(existsSync(sock), 'the VMM made its device socket');
    const device = spawn(process.execPath, [CLI, 'device', 'virtio-serial', '--socket', sock], { stdio: ['pipe', 'pipe', 'pipe'] });
    let text = '';
    let err = '';
    let typed = false;
    device.stdout.on('data', (b: Buffer) => {
      text += b.toString('latin1').replace(/\r/g, '');
      if (!typed && /ngkvm:\/# $/.test(text)) {
        typed = true;
        device.stdin.write('echo "sum $((6 * 7))"; cat /sys/class/tty/console/active; poweroff\n');
      }
    });
    device.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const deviceEnded = new Promise<number | null>((resolve) => device.on('close', (code) => resolve(code)));
    const timer = setTimeout(() => [vmChild, device].forEach((c) => c.kill('SIGKILL')), 800_000);
    const [vmCode, deviceCode] = await Promise.all([vmEnded, deviceEnded]);
    clearTimeout(timer);
    assert.equal(vmCode, 0, `${vmErr}\n${vmOut.slice(-2000)}`);
    assert.equal(deviceCode, 0, err);
    assert.match(text, /Run \/init as init process\n/, 'the kernel log reached the device process\'s terminal');
    assert.match(text, /\nsum 42\n/, 'typed input reached the shell');
    assert.match(text, /\nhvc0\n/);
    assert.match(text, /reboot: Power down/);
    assert.doesNotMatch(vmOut, /sum 42/, 'nothing of the console went to the VMM\'s terminal');
  },
);
