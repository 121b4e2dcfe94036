/**
 * `ngkvm device uart --socket PATH`: a device process (docs/device-routes.md) serving a
 * 16550 UART on a VMM's route socket (`ngkvm run --device uart1,socket=PATH`), with its
 * serial line on this process's standard input and output. The guest's accesses to the
 * UART's registers come here from the vCPU without passing through the VMM's exit loop; its
 * interrupt goes back on the route's event channel. If this process ends, the VM runs on
 * (the UART reads as all ones); started again, it takes the UART over.
 */
import { Uart16550 } from '../devices/uart16550.js';
import { pciFunctionModels } from '../devices/remote/pci-proxy.js';
import { VirtioBlk } from '../devices/virtio/blk.js';
import type { VirtioDevice } from '../devices/virtio/device.js';
import { VirtioPciTransport, virtioMsixVectors } from '../devices/virtio/pci-transport.js';
import { VirtioConsole } from '../devices/virtio/console.js';
import { VirtioNet, parseMac } from '../devices/virtio/net.js';
import { VirtioRng } from '../devices/virtio/rng.js';
import { createNetdevHost } from '../vmm/netdev-host.js';
import { RingNetBackend } from '../vmm/virtio-backends/ring-backends.js';
import { parseDeviceOptions } from './device-options.js';
import { connectDevice } from '../vmm/remote/device-process.js';
import { hostEntropy } from '../vmm/virtio-backends/entropy.js';
import { FileBlockBackend } from '../vmm/virtio-backends/file-block.js';
import { UsageError, formatHelp, parseOptions, type OptionSpec } from './options.js';

const DEVICE_OPTIONS: readonly OptionSpec[] = [
  { name: 'socket', value: 'PATH', help: 'the VMM\'s route socket (the PATH of ngkvm run --device uart1,socket=PATH or -device virtio-…-pci,socket=PATH)' },
  { name: 'drive', value: 'file=IMG[,readonly=on]', help: 'virtio-blk: the disk image (raw), opened read-write unless readonly=on; FLUSH fdatasyncs it' },
  { name: 'num-queues', value: 'N', help: 'virtio-blk: request queues (1 to 256; default 1)' },
  { name: 'serial', value: 'S', help: 'virtio-blk: the serial number GET_ID returns (at most 20 bytes)' },
  {
    name: 'netdev',
    value: 'socket,listen=[HOST]:PORT|socket,connect=HOST:PORT|tap,ifname=NAME',
    help: 'virtio-net: the network backend, in the spelling of ngkvm run -netdev (id= is optional here): a socket to another VM (QEMU -netdev socket) or a tap device',
  },
  { name: 'mac', value: 'MAC', help: 'virtio-net: the MAC address (default 52:54:00:12:34:56)' },
  { name: 'help', aliases: ['h'], help: 'show this help' },
];

export const DEVICE_USAGE = `usage: ngkvm device uart --socket PATH
       ngkvm device virtio-blk --socket PATH --drive file=IMG[,readonly=on] [--num-queues N] [--serial S]
       ngkvm device virtio-net --socket PATH --netdev socket,listen=…|connect=…|tap,ifname=… [--mac MAC]
       ngkvm device virtio-rng --socket PATH
       ngkvm device virtio-serial --socket PATH

Serves a device of a VMM from this process (docs/device-routes.md). Start ngkvm run first,
then this command with the same PATH; if this process ends, the VMM runs on and the device
reads as all ones.

  uart         ppce500's UART1 (ngkvm run --device uart1,socket=PATH[,wait=on]); its
               serial line is this terminal.
  virtio-blk   a virtio-blk-pci function (ngkvm run -device virtio-blk-pci,socket=PATH[,wait=on]):
               the unchanged virtio-pci transport and device run here, guest memory is
               reached over the route (DMA through the host bridge's inbound windows).
  virtio-net   a virtio-net-pci function (-device virtio-net-pci,socket=PATH[,wait=on]);
               its network backend (a socket to another VM, or a tap device) is opened
               here, not in the VMM.
  virtio-rng   a virtio-rng-pci function (-device virtio-rng-pci,socket=PATH[,wait=on]),
               with this host's random source.
  virtio-serial
               a virtio-serial-pci function (-device virtio-serial-pci,socket=PATH[,wait=on])
               with one console port, Linux's hvc0, on this terminal.

options:
${formatHelp(DEVICE_OPTIONS)}`;

/** `file=IMG[,readonly=on|off]` */
function parseDrive(text: string): { file: string; readOnly: boolean } {
  let file: string | undefined;
  let readOnly = false;
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    const [k, v] = eq < 0 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)];
    if (k === 'file' && v !== '') file = v;
    else if (k === 'readonly' && (v === 'on' || v === 'off')) readOnly = v === 'on';
    else throw new UsageError(`--drive ${text}: "${part}" is not file=IMG or readonly=on|off`);
  }
  if (file === undefined) throw new UsageError(`--drive ${text}: needs file=IMG`);
  return { file, readOnly };
}

/**
 * virtio-net in this process: the netdev (src/vmm/netdev-host.ts, as the VMM's main thread
 * runs it) and the device share this thread; frames arriving on the netdev wake the device,
 * which moves them into the guest's buffers over the route.
 */
async function serveNet(path: string, netdevText: unknown, macText: unknown): Promise<number> {
  if (typeof netdevText !== 'string') throw new UsageError('ngkvm device virtio-net needs --netdev socket,listen=[HOST]:PORT|socket,connect=HOST:PORT|tap,ifname=NAME');
  if (macText !== undefined && typeof macText !== 'string') throw new UsageError('--mac needs a value (52:54:00:12:34:56)');
  // The run command's parser, so the spelling and every check are the same.
  const id = /(^|,)id=([^,]*)/.exec(netdevText)?.[2] ?? 'net0';
  const parsed = parseDeviceOptions(
    { drive: [], chardev: [], netdev: [/(^|,)id=/.test(netdevText) ? netdevText : `${netdevText},id=${id}`], device: [`virtio-net-pci,netdev=${id}${macText !== undefined ? `,mac=${macText}` : ''}`] },
    'ppce500',
  );
  const spec = parsed.netdevs[0]!;
  const mac = macText !== undefined ? parseMac(macText)! : Uint8Array.from([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
  let transport: VirtioPciTransport | undefined;
  const log = (line: string): void => void process.stderr.write(line + '\n');
  const netdev = createNetdevHost(spec, () => transport?.core.poll(), log);
  try {
    await netdev.open();
  } catch (err) {
    process.stderr.write(`ngkvm: device virtio-net: ${(err as Error).message}\n`);
    return 1;
  }
  const device = new VirtioNet({ backend: new RingNetBackend(netdev.rings), mac });
  return serveVirtio(path, 'net', device, () => void netdev.close(), (t) => {
    transport = t;
    // Frames that arrived before the device was connected.
    t.core.poll();
  });
}

/**
 * virtio-serial with one console port (hvc0) on this process's terminal: what the guest
 * writes goes to standard output, what is typed reaches the guest (the device takes it when
 * polled, as the VMM's console port does).
 */
async function serveConsole(path: string): Promise<number> {
  const input: number[] = [];
  let transport: VirtioPciTransport | undefined;
  const backend = {
    write: (bytes: Uint8Array): void => void process.stdout.write(bytes),
    read: (max: number): Uint8Array => Uint8Array.from(input.splice(0, max)),
  };
  const device = new VirtioConsole({ ports: [{ nr: 0, console: true, backend }], maxPorts: 1 });
  const onInput = (b: Buffer): void => {
    for (const byte of b) input.push(byte);
    transport?.core.poll();
  };
  process.stdin.on('data', onInput);
  process.stdin.resume();
  return serveVirtio(path, 'serial', device, () => {
    process.stdin.off('data', onInput);
    process.stdin.pause();
  }, (t) => {
    transport = t;
    t.core.poll();
  });
}

/** Serves a virtio-pci function (transport and device as in the VMM) on the route at `path`. */
async function serveVirtio(path: string, kind: 'blk' | 'net' | 'rng' | 'serial', device: VirtioDevice, close: () => void, started?: (transport: VirtioPciTransport) => void): Promise<number> {
  const name = `virtio-${kind}-pci`;
  // The transport is built before the connection (the models are), and reaches the
  // connection's DMA and interrupts through these, bound once it exists.
  let conn: Awaited<ReturnType<typeof connectDevice>> | undefined;
  const transport = new VirtioPciTransport({
    device,
    name,
    dma: {
      isRam: (addr, length) => conn!.dma.isRam(addr, length),
      read: (addr, dst) => conn!.dma.read(addr, dst),
      write: (addr, src) => conn!.dma.write(addr, src),
    },
    vectors: virtioMsixVectors(device),
    msiSend: (address, data) => conn?.host.msi(BigInt(address), data),
    log: (line) => process.stderr.write(line + '\n'),
  });
  transport.function.onIntx = (level) => conn?.host.setIrq(0, level);
  try {
    conn = await connectDevice({ path, name, models: pciFunctionModels(transport.function, () => transport.reset()), syncDma: true });
  } catch (err) {
    close();
    process.stderr.write(`ngkvm: cannot serve ${name} on ${path}: ${(err as Error).message}\n`);
    return 1;
  }
  started?.(transport);
  const reason = await conn.closed;
  close();
  process.stderr.write(`ngkvm: device ${name}: ${reason}\n`);
  return 0;
}

export async function deviceCommand(args: readonly string[]): Promise<number> {
  const [kind, ...rest] = args;
  if (kind === undefined || kind === '--help' || kind === '-h') {
    process.stdout.write(DEVICE_USAGE + '\n');
    return kind === undefined ? 2 : 0;
  }
  const KINDS = ['uart', 'virtio-blk', 'virtio-net', 'virtio-rng', 'virtio-serial'];
  if (!KINDS.includes(kind)) throw new UsageError(`unknown device "${kind}"; ngkvm device serves: ${KINDS.join(', ')}`);
  const opts = parseOptions(rest, DEVICE_OPTIONS);
  if (opts.has('help')) {
    process.stdout.write(DEVICE_USAGE + '\n');
    return 0;
  }
  const path = opts.get('socket');
  if (typeof path !== 'string') throw new UsageError(`ngkvm device ${kind} needs --socket PATH`);
  for (const k of ['drive', 'num-queues', 'serial']) {
    if (opts.has(k) && kind !== 'virtio-blk') throw new UsageError(`--${k} is for ngkvm device virtio-blk`);
  }
  for (const k of ['netdev', 'mac']) {
    if (opts.has(k) && kind !== 'virtio-net') throw new UsageError(`--${k} is for ngkvm device virtio-net`);
  }
  if (kind === 'virtio-rng') return serveVirtio(path, 'rng', new VirtioRng(hostEntropy), () => {});
  if (kind === 'virtio-net') return serveNet(path, opts.get('netdev'), opts.get('mac'));
  if (kind === 'virtio-serial') return serveConsole(path);
  if (kind === 'virtio-blk') {
    const driveText = opts.get('drive');
    if (typeof driveText !== 'string') throw new UsageError('ngkvm device virtio-blk needs --drive file=IMG');
    const drive = parseDrive(driveText);
    const nq = opts.get('num-queues');
    const queues = nq === undefined ? 1 : Number(nq);
    if (!Number.isInteger(queues) || queues < 1 || queues > 256) throw new UsageError(`--num-queues ${String(nq)}: 1 to 256`);
    const serial = opts.get('serial');
    if (typeof serial === 'string' && new TextEncoder().encode(serial).length > 20) throw new UsageError(`--serial "${serial}" is longer than virtio-blk's 20 bytes`);
    let backend: FileBlockBackend;
    try {
      backend = FileBlockBackend.open(drive.file, drive.readOnly);
    } catch (err) {
      process.stderr.write(`ngkvm: device virtio-blk: ${(err as Error).message}\n`);
      return 1;
    }
    const device = new VirtioBlk({ backend, queues, ...(typeof serial === 'string' ? { serial } : {}) });
    return serveVirtio(path, 'blk', device, () => backend.close?.());
  }
  const input: number[] = [];
  const uart = new Uart16550('uart1', {
    write: (byte) => void process.stdout.write(Uint8Array.of(byte)),
    read: () => input.shift() ?? -1,
  });
  let conn;
  try {
    conn = await connectDevice({ path, name: 'uart1', models: [uart] });
  } catch (err) {
    process.stderr.write(`ngkvm: cannot serve the UART on ${path}: ${(err as Error).message}\n`);
    return 1;
  }
  const c = conn;
  uart.onIrq = (level) => c.host.setIrq(0, level);
  process.stdin.on('data', (b: Buffer) => {
    for (const byte of b) input.push(byte);
    // The receive interrupt must not wait for the guest to poll.
    uart.pollInput();
  });
  process.stdin.resume();
  const reason = await c.closed;
  process.stdin.pause();
  process.stderr.write(`ngkvm: device uart: ${reason}\n`);
  return 0;
}
