/**
 * `ngkvm` command line. User mistakes print one clear line and exit with status 1 (2 for
 * usage errors); only internal failures print a stack trace.
 */
import { Hypervisor, UnsupportedError, accelerators, planAccelerator, type AcceleratorName, type AcceleratorPlan, type TargetInfo } from '../api/index.js';
import { BOARDS, type BoardName } from '../boards/board.js';
import { PPCE500_MAX_CPUS } from '../boards/ppce500/device-tree.js';
import type { DeviceSpec, GdbSpec, MachineConfig, MigrationUri, MonitorSpec, SerialSpec } from '../vmm/config.js';
import { parseMigrationUri } from '../vmm/migration/controller.js';
import { deviceCommand } from './device-command.js';
import { runMachine } from '../vmm/host.js';
import type { MachineThread } from '../vmm/machine-thread.js';
import { ngkvmVersion } from '../vmm/version.js';
import { UsageError, formatHelp, parseOptions, parseSize, type OptionSpec } from './options.js';
import { BuildError, LINUX_USAGE, ensureRootDisk, linuxImages, linuxOwnOptions, linuxRunArgs, printImages } from './linux-command.js';
import { parseDeviceOptions, type DeviceOptions } from './device-options.js';

const MACHINES = Object.keys(BOARDS) as BoardName[];

export const RUN_OPTIONS: readonly OptionSpec[] = [
  { name: 'machine', aliases: ['M'], value: 'NAME', help: `board to emulate: ${MACHINES.join(', ')} (default ppce500)` },
  {
    name: 'accel',
    value: 'NAME',
    help: `accelerator: ${accelerators().map((a) => `${a.name} (${a.description}, ${a.arch} guests)`).join(' or ')}; default: the hardware one for the board's CPUs, else the software one. One that cannot run the board falls back to the software accelerator for it, with a line saying so`,
  },
  { name: 'cpu', value: 'MODEL', help: `CPU model (default: the board's, ${MACHINES.map((m) => `${BOARDS[m].defaultCpu} on ${m}`).join(', ')}); --cpu help lists the accelerator's` },
  { name: 'memory', aliases: ['m'], value: 'SIZE', help: 'guest RAM, e.g. 256M or 1G; a bare number is MiB; ppce500 needs a multiple of 64M (default 128M)' },
  { name: 'smp', value: 'N', help: `number of CPUs, 1 to ${PPCE500_MAX_CPUS} (default 1); CPUs other than the first wait in the spin table` },
  { name: 'bios', value: 'FILE', help: 'firmware ELF to run first (e.g. U-Boot uboot.elf)' },
  { name: 'kernel', value: 'FILE', help: 'kernel: ELF for ppce500 (runs directly when no --bios is given); PVH ELF or bzImage for x86-microvm' },
  { name: 'initrd', value: 'FILE', help: 'initial ramdisk (needs --kernel; x86-microvm: PVH module 0 or the Linux initrd)' },
  { name: 'append', value: 'CMDLINE', help: 'kernel command line (ppce500: /chosen/bootargs; x86-microvm: PVH cmdline or Linux cmd_line_ptr)' },
  {
    name: 'serial',
    value: 'DEV',
    repeatable: true,
    help: 'a serial port (give twice for UART0 and UART1): stdio, file:PATH, tcp:HOST:PORT (a server; waits for a client unless ,nowait), null (output discarded) or none (no UART); default stdio',
  },
  {
    name: 'monitor',
    value: 'DEV',
    help: 'the monitor (QEMU\'s HMP commands: info registers/tlb/mtree/status/stats, x, xp, gva2gpa, stop, cont, system_reset, quit, …): stdio (shares the terminal with a stdio console; Ctrl-A c switches), unix:PATH (a socket server for one client at a time; add ,wait to start the machine only once a client is connected) or none (default)',
  },
  {
    name: 'gdb',
    value: 'DEV',
    help: 'a gdb remote stub: tcp:HOST:PORT (one debugger at a time; an empty HOST means 127.0.0.1, e.g. tcp::1234; then in gdb-multiarch: target remote :1234)',
  },
  { name: 'gdb-default', aliases: ['s'], help: 'shorthand for --gdb tcp::1234 (QEMU -s)' },
  { name: 'halted', aliases: ['S'], help: 'do not start the CPUs until gdb continues them or the monitor says `cont` (QEMU -S; needs --gdb, -s or --monitor)' },
  { name: 'no-reboot', help: 'exit with status 0 when the guest requests a reset, instead of rebooting' },
  {
    name: 'drive',
    value: 'OPTS',
    repeatable: true,
    help: 'a raw disk image (QEMU -drive): file=PATH,if=virtio[,readonly=on] is a virtio disk (virtio-blk-pci on ppce500, virtio-blk-device on x86-microvm); file=PATH,if=none,id=ID is used by -device …,drive=ID. format=raw only (a qcow2 file is refused); the guest\'s flush is an fdatasync',
  },
  {
    name: 'netdev',
    value: 'OPTS',
    repeatable: true,
    help: 'a network backend (QEMU -netdev): socket,id=ID,listen=[HOST]:PORT or socket,id=ID,connect=HOST:PORT joins two VMs (QEMU\'s stream framing, so ngkvm and QEMU VMs can share a link); tap,id=ID,ifname=NAME uses a Linux tap interface (needs /dev/net/tun access; configure the host side yourself)',
  },
  {
    name: 'chardev',
    value: 'OPTS',
    repeatable: true,
    help: 'a character device for virtio console ports (QEMU -chardev): stdio,id=ID (the terminal; then give --serial null or none), file,id=ID,path=PATH, socket,id=ID,[host=HOST,]port=PORT,server=on[,wait=off] (a TCP server) or null,id=ID',
  },
  {
    name: 'device',
    value: 'DEV[,OPTS]',
    repeatable: true,
    help: 'a virtio device (QEMU -device), modern (virtio 1.x) only; on ppce500 the -pci form (PCI slots 1, 2, … in order; MSI-X through the MPIC MSI bank, INTx fallback), on x86-microvm the -device form (virtio-mmio at 0xfeb00000 + 512·n, IRQ 5 + n, n = 7, 6, … in order, announced on the kernel command line as virtio_mmio.device=…): virtio-blk-pci|virtio-blk-device,drive=ID[,serial=S][,num-queues=N]; virtio-net-pci|virtio-net-device,netdev=ID[,mac=52:54:00:12:34:56]; virtio-rng-pci|virtio-rng-device; virtio-serial-pci|virtio-serial-device[,max_ports=N], then virtconsole,chardev=ID (hvc0, hvc1, …) or virtserialport,chardev=ID[,name=NAME] on the last virtio-serial device. On ppce500, virtio-blk-pci,socket=PATH[,wait=on], virtio-net-pci,socket=PATH[,wait=on], virtio-rng-pci,socket=PATH[,wait=on] and virtio-serial-pci,socket=PATH[,wait=on] put the device in another process: the VMM listens on PATH (owner-only) and `ngkvm device virtio-blk --socket PATH --drive file=IMG`, `ngkvm device virtio-net --socket PATH --netdev socket,listen=…|connect=…`, `ngkvm device virtio-rng --socket PATH` or `ngkvm device virtio-serial --socket PATH` (hvc0 on that process\'s terminal) serves it (its configuration space, BARs, DMA and interrupts over a device route; use wait=on so the guest finds it when it enumerates PCI; such a machine cannot be migrated or snapshotted). Also uart1,socket=PATH[,wait=on]: ppce500\'s UART1 served by another process over a device route (the VMM listens on PATH, owner-only, and `ngkvm device uart --socket PATH` serves it; with wait=on the guest starts only once a device process has connected, so Linux finds the UART when it probes)',
  },
  {
    name: 'incoming',
    value: 'URI',
    help: 'start from a migration instead of booting (QEMU -incoming): tcp:HOST:PORT waits for a source VMM\'s `migrate tcp:HOST:PORT` (an empty HOST means 127.0.0.1); file:PATH loads a snapshot written by the monitor\'s `migrate file:PATH`. Give the same --machine, --cpu, -m, --smp and images as the source; the guest then runs on (with -S it waits for `cont`)',
  },
  { name: 'exit-timing', help: 'time the VMM\'s handling of each exit kind on every vCPU (count, total, min, max); the monitor\'s info stats shows it' },
  { name: 'help', aliases: ['h'], help: 'show this help' },
];

const USAGE = `usage: ngkvm run [options]

Runs a virtual machine. The guest's serial console is connected to this terminal;
in a terminal, press Ctrl-A x to quit and Ctrl-A h for the other keys (with
--monitor stdio, Ctrl-A c switches between the console and the monitor).

options:
${formatHelp(RUN_OPTIONS)}

examples:
  ngkvm run --machine ppce500 --cpu e500mc -m 256M --bios /usr/lib/u-boot/qemu-ppce500/uboot.elf --serial stdio
  ngkvm run --accel kvm --machine x86-microvm -m 64M --kernel guest.elf --append "console=ttyS0" --serial stdio --no-reboot
  ngkvm run -m 256M --kernel vmlinux --append "console=ttyS0 root=/dev/vda rw" -drive file=rootfs.ext4,if=virtio,format=raw \
      -netdev socket,id=n0,listen=127.0.0.1:4321 -device virtio-net-pci,netdev=n0 -device virtio-rng-pci
  ngkvm run -m 256M --kernel vmlinux --initrd initramfs.cpio.gz --append console=hvc0 --serial null \
      -chardev stdio,id=con -device virtio-serial-pci -device virtconsole,chardev=con
  ngkvm run --machine x86-microvm -m 512M --kernel bzImage --append "console=ttyS0 root=/dev/vda rw" \
      -drive file=rootfs.ext4,if=none,id=d0 -device virtio-blk-device,drive=d0 -device virtio-rng-device`;

const TOP_USAGE = `usage: ngkvm <command> [options]

commands:
  run          run a virtual machine (ngkvm run --help)
  linux        boot Linux with a busybox shell on ppce500, building it the first time (ngkvm linux --help)
  build-linux  build (or find) the Linux kernels and initramfs and print where they are
  device       serve a device of a running machine from this process (ngkvm device uart --socket PATH)
  version      print the version

ngkvm is a hypervisor API in TypeScript with a software e500 accelerator and a VMM on top.`;

/** A `--device` that names a device served by another process (a device route), not a virtio device. */
export function isRemoteDevice(text: string): boolean {
  return /^uart1(,|$)/.test(text);
}

/** `--device uart1,socket=PATH[,wait=on]` (repeatable; one UART1); the other --device values are virtio devices. */
export function parseDevices(args: unknown): DeviceSpec[] {
  const all = Array.isArray(args) ? (args as readonly string[]) : typeof args === 'string' ? [args] : [];
  const list = all.filter(isRemoteDevice);
  const out = list.map((text): DeviceSpec => {
    const m = /^uart1,socket=(.+?)(?:,wait=(on|off))?$/.exec(text);
    if (m === null) throw new UsageError(`--device "${text}" is not supported; use uart1,socket=PATH[,wait=on]`);
    return { kind: 'uart1', socket: m[1]!, ...(m[2] === 'on' ? { wait: true } : {}) };
  });
  if (out.length > 1) throw new UsageError('--device uart1 can be given once');
  return out;
}

/** `--gdb tcp:HOST:PORT` (QEMU also takes a bare `tcp::PORT` and `PORT`); empty HOST = loopback. */
export function parseGdb(text: string): GdbSpec {
  const body = /^\d+$/.test(text) ? `:${text}` : text.startsWith('tcp:') ? text.slice(4) : undefined;
  const m = body === undefined ? null : /^(\[[^\]]+\]|[^:]*):(\d+)$/.exec(body);
  if (m === null) throw new UsageError(`--gdb "${text}" is not supported; use tcp:HOST:PORT (e.g. tcp::1234 for 127.0.0.1:1234)`);
  const port = Number(m[2]);
  if (port > 65535) throw new UsageError(`--gdb ${text}: port ${port} is out of range (0..65535)`);
  return { kind: 'tcp', host: m[1] === '' ? '127.0.0.1' : m[1]!.replace(/^\[(.*)\]$/, '$1'), port };
}

const SERIAL_FORMS = 'stdio, file:PATH, tcp:HOST:PORT, null or none';
/** Serial ports ppce500 has (QEMU ignores -serial beyond the board's UARTs; we refuse them). */
const MAX_SERIALS = 2;

export function parseSerial(text: string): SerialSpec {
  if (text === 'stdio') return { kind: 'stdio' };
  if (text === 'none') return { kind: 'none' };
  if (text === 'null') return { kind: 'null' };
  if (text.startsWith('file:')) {
    if (text.length === 5) throw new UsageError('--serial file: needs a path (file:PATH)');
    return { kind: 'file', path: text.slice(5) };
  }
  if (text.startsWith('tcp:')) return parseTcp(text);
  throw new UsageError(`--serial "${text}" is not supported; use ${SERIAL_FORMS}`);
}

/** `tcp:HOST:PORT[,server][,wait=off|,nowait]`; an empty HOST means loopback. */
function parseTcp(text: string): SerialSpec {
  const [addr = '', ...flags] = text.slice(4).split(',');
  let wait = true;
  for (const f of flags) {
    if (f === 'server' || f === 'server=on') continue;
    if (f === 'nowait' || f === 'wait=off') wait = false;
    else if (f === 'wait' || f === 'wait=on') wait = true;
    else throw new UsageError(`--serial ${text}: unknown flag "${f}" (ngkvm's tcp port is always a server; flags: server, wait=on|off, nowait)`);
  }
  const m = /^(\[[^\]]+\]|[^:]*):(\d+)$/.exec(addr);
  if (m === null) throw new UsageError(`--serial ${text}: expected tcp:HOST:PORT (e.g. tcp:127.0.0.1:4555, or tcp::0 for any free loopback port)`);
  const host = m[1] === '' ? '127.0.0.1' : m[1]!.replace(/^\[(.*)\]$/, '$1');
  const port = Number(m[2]);
  if (port > 65535) throw new UsageError(`--serial ${text}: port ${port} is out of range (0..65535)`);
  return { kind: 'tcp', host, port, wait };
}

const MONITOR_FORMS = 'stdio, unix:PATH or none';
/** sun_path holds 108 bytes including the terminating NUL. */
const MAX_SOCKET_PATH = 107;

/** `stdio`, `none`, or `unix:PATH[,server][,wait|,nowait|,wait=on|off]` (QEMU's spellings; always a server). */
export function parseMonitor(text: string): MonitorSpec {
  if (text === 'stdio') return { kind: 'stdio' };
  if (text === 'none') return { kind: 'none' };
  if (!text.startsWith('unix:')) {
    throw new UsageError(`--monitor "${text}" is not supported; use ${MONITOR_FORMS}`);
  }
  const [path = '', ...flags] = text.slice(5).split(',');
  if (path === '') throw new UsageError('--monitor unix: needs a path (unix:PATH, e.g. unix:/tmp/ngkvm.sock)');
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    throw new UsageError(`--monitor ${text}: a UNIX socket path can have at most ${MAX_SOCKET_PATH} bytes; this one has ${Buffer.byteLength(path)}`);
  }
  let wait = false;
  for (const f of flags) {
    if (f === 'server' || f === 'server=on') continue;
    if (f === 'nowait' || f === 'wait=off') wait = false;
    else if (f === 'wait' || f === 'wait=on') wait = true;
    else throw new UsageError(`--monitor ${text}: unknown flag "${f}" (ngkvm's monitor socket is always a server; flags: server, wait, nowait)`);
  }
  return { kind: 'unix', path, wait };
}

function parseSmp(text: string): number {
  // QEMU also accepts cpus=N; the topology keys mean nothing on this board.
  const m = /^(?:cpus=)?(\d+)$/.exec(text);
  const n = m === null ? NaN : Number(m[1]);
  if (!Number.isInteger(n) || n < 1 || n > PPCE500_MAX_CPUS) {
    throw new UsageError(`--smp "${text}": ppce500 takes 1 to ${PPCE500_MAX_CPUS} CPUs`);
  }
  return n;
}

/** Every accelerator's CPU models (Hypervisor.targets), read without opening any accelerator. */
export type TargetCatalog = Readonly<Record<AcceleratorName, readonly TargetInfo[]>>;

export async function loadTargetCatalog(): Promise<TargetCatalog> {
  const entries = await Promise.all(accelerators().map(async (a) => [a.name, await Hypervisor.targets(a.name)] as const));
  return Object.fromEntries(entries) as TargetCatalog;
}

/** `--cpu help`: the CPU models of the accelerator that would run the board. */
export interface CpuHelp {
  readonly cpuHelp: readonly TargetInfo[];
}

/**
 * The CPU model of a run: `--cpu`, else the board's default; it must be one of the targets of
 * the accelerator that runs the board.
 */
function chooseCpu(given: string | undefined, machine: BoardName, accel: AcceleratorName, catalog: TargetCatalog): string | CpuHelp {
  const targets = catalog[accel];
  if (given === 'help' || given === '?') return { cpuHelp: targets };
  const cpu = given ?? BOARDS[machine].defaultCpu;
  if (!targets.some((t) => t.name === cpu)) {
    throw new UsageError(`unknown CPU model "${cpu}" for ${machine} on the ${accel} accelerator; available: ${targets.map((t) => t.name).join(', ')}`);
  }
  return cpu;
}

/**
 * The run's configuration from `ngkvm run` arguments. CPU models come from `catalog` (the
 * accelerators' targets, loadTargetCatalog) and the default from the board; `note` gets the
 * one line that says an accelerator was replaced (seed 003's fallback), if one was.
 */
export function buildRunConfig(argv: readonly string[], catalog: TargetCatalog, note: (line: string) => void = () => {}): MachineConfig | 'help' | CpuHelp {
  const opts = parseOptions(argv, RUN_OPTIONS);
  if (opts.has('help')) return 'help';
  const str = (k: string): string | undefined => {
    const v = opts.get(k);
    return typeof v === 'string' ? v : undefined;
  };
  const machine = str('machine') ?? 'ppce500';
  if (!(MACHINES as readonly string[]).includes(machine)) {
    throw new UsageError(`unknown machine "${machine}"; available: ${MACHINES.join(', ')}`);
  }
  const board = BOARDS[machine as BoardName];
  const requested = str('accel');
  const names = accelerators().map((a) => a.name);
  if (requested !== undefined && !(names as readonly string[]).includes(requested)) {
    throw new UsageError(`unknown accelerator "${requested}"; available: ${names.join(', ')}`);
  }
  let plan: AcceleratorPlan;
  try {
    plan = planAccelerator(board.arch, machine, requested as AcceleratorName | undefined);
  } catch (err) {
    if (err instanceof UnsupportedError) throw new UsageError(err.message);
    throw err;
  }
  if (plan.fallback !== undefined) note(plan.fallback);
  const cpu = chooseCpu(str('cpu'), machine as BoardName, plan.accel, catalog);
  if (typeof cpu !== 'string') return cpu;
  if (machine === 'x86-microvm') return buildX86Config(opts, str, plan.accel, cpu);
  const memText = str('memory');
  const memory = memText !== undefined ? parseSize(memText, '-m') : 128 * 1024 * 1024;
  const bios = str('bios');
  const kernel = str('kernel');
  if (bios === undefined && kernel === undefined) {
    throw new UsageError('nothing to run: give --bios FILE (firmware) or --kernel FILE');
  }
  const initrd = str('initrd');
  const append = str('append');
  const serialArgs = opts.get('serial');
  const serials = (Array.isArray(serialArgs) ? (serialArgs as readonly string[]) : ['stdio']).map(parseSerial);
  if (serials.filter((s) => s.kind !== 'none').length > MAX_SERIALS) {
    throw new UsageError(`ppce500 has ${MAX_SERIALS} serial ports; ${serials.length} --serial options were given`);
  }
  if (serials.filter((s) => s.kind === 'stdio').length > 1) throw new UsageError('only one serial port can use stdio');
  const devices = parseDevices(opts.get('device'));
  if (devices.length > 0) {
    const present = serials.filter((s) => s.kind !== 'none');
    if (present.length !== 1) throw new UsageError(`--device uart1 serves UART1: give one --serial, for UART0 (${present.length} given)`);
    // UART1's place in the device tree; its registers go to the device process.
    serials.splice(0, serials.length, present[0]!, { kind: 'null' });
  }
  const smpText = str('smp');
  const { monitor, gdb, incoming } = debugOptions(opts, str);
  const virtio = deviceOptions(opts, 'ppce500', serials, monitor);
  return {
    ...virtio,
    machine: 'ppce500',
    ...(devices.length > 0 ? { remoteDevices: devices } : {}),
    accel: plan.accel,
    cpu,
    cpus: smpText !== undefined ? parseSmp(smpText) : 1,
    memory,
    ...(bios !== undefined ? { bios } : {}),
    ...(kernel !== undefined ? { kernel } : {}),
    ...(initrd !== undefined ? { initrd } : {}),
    ...(append !== undefined ? { append } : {}),
    noReboot: opts.has('no-reboot'),
    serials,
    monitor,
    ...(gdb !== undefined ? { gdb } : {}),
    startHalted: opts.has('halted'),
    exitTiming: opts.has('exit-timing'),
    ...(incoming !== undefined ? { incoming } : {}),
  };
}

/** -drive, -netdev, -chardev and -device, checked against the terminal's other users. */
function deviceOptions(
  opts: ReturnType<typeof parseOptions>,
  machine: 'ppce500' | 'x86-microvm',
  serials: readonly SerialSpec[],
  monitor: MonitorSpec,
): Partial<Pick<MachineConfig, 'drives' | 'netdevs' | 'chardevs' | 'devices'>> {
  const list = (k: string): readonly string[] => {
    const v = opts.get(k);
    return Array.isArray(v) ? (v as readonly string[]) : [];
  };
  const d: DeviceOptions = parseDeviceOptions({ drive: list('drive'), netdev: list('netdev'), chardev: list('chardev'), device: list('device').filter((d) => !isRemoteDevice(d)) }, machine);
  const stdioChardevs = d.chardevs.filter((c) => c.backend.kind === 'stdio');
  if (stdioChardevs.length > 1) throw new UsageError('only one -chardev can use stdio');
  if (stdioChardevs.length === 1) {
    if (serials.some((s) => s.kind === 'stdio')) {
      throw new UsageError(`-chardev ${stdioChardevs[0]!.id} and the serial port both want stdio (the serial port is on stdio unless --serial says otherwise); add --serial null or --serial none`);
    }
    if (monitor.kind === 'stdio') throw new UsageError(`-chardev ${stdioChardevs[0]!.id} and --monitor stdio both want the terminal`);
  }
  const mmioSlots = 8;
  if (machine === 'x86-microvm' && d.devices.length > mmioSlots) throw new UsageError(`x86-microvm has ${mmioSlots} virtio-mmio transports; ${d.devices.length} virtio devices were given`);
  if (machine === 'ppce500' && d.devices.length > 31) throw new UsageError(`ppce500's PCI bus has 31 free slots; ${d.devices.length} virtio devices were given`);
  if (d.devices.length === 0) return {};
  return { drives: d.drives, netdevs: d.netdevs, chardevs: d.chardevs, devices: d.devices };
}

/** --monitor, --gdb/-s and -S, the same for every board. */
function debugOptions(
  opts: ReturnType<typeof parseOptions>,
  str: (k: string) => string | undefined,
): Pick<MachineConfig, 'monitor' | 'gdb' | 'incoming'> {
  const monitorText = str('monitor');
  const monitor = monitorText !== undefined ? parseMonitor(monitorText) : { kind: 'none' as const };
  const gdbText = str('gdb');
  if (gdbText !== undefined && opts.has('gdb-default')) throw new UsageError('give either --gdb or -s, not both');
  const gdb = gdbText !== undefined ? parseGdb(gdbText) : opts.has('gdb-default') ? parseGdb('tcp::1234') : undefined;
  // Something must be able to continue halted CPUs: gdb's `continue` or the monitor's `cont`.
  if (opts.has('halted') && gdb === undefined && monitor.kind === 'none') {
    throw new UsageError('-S (start halted) needs a way to continue the CPUs: add --gdb tcp::PORT, -s or --monitor');
  }
  const incomingText = str('incoming');
  let incoming: MigrationUri | undefined;
  try {
    incoming = incomingText !== undefined ? parseMigrationUri(incomingText) : undefined;
  } catch (err) {
    throw new UsageError(`--incoming: ${(err as Error).message}`);
  }
  return { monitor, ...(gdb !== undefined ? { gdb } : {}), ...(incoming !== undefined ? { incoming } : {}) };
}

/** `--machine x86-microvm`: one vCPU, one serial port, a kernel and no firmware. */
function buildX86Config(opts: ReturnType<typeof parseOptions>, str: (k: string) => string | undefined, accel: AcceleratorName, cpu: string): MachineConfig {
  if (opts.has('bios')) throw new UsageError('x86-microvm has no firmware: give the kernel with --kernel (a PVH ELF or a bzImage)');
  if (opts.has('smp')) throw new UsageError('x86-microvm runs one vCPU (no --smp yet)');
  const deviceArgs = opts.get('device');
  if (Array.isArray(deviceArgs) && (deviceArgs as readonly string[]).some(isRemoteDevice)) {
    throw new UsageError('--device uart1 is for ppce500 (its UART1); x86-microvm has no device routes yet');
  }
  const kernel = str('kernel');
  if (kernel === undefined) throw new UsageError('nothing to run: x86-microvm needs --kernel FILE (a PVH ELF or a bzImage)');
  const memText = str('memory');
  const initrd = str('initrd');
  const append = str('append');
  const serialArgs = opts.get('serial');
  const serials = (Array.isArray(serialArgs) ? (serialArgs as readonly string[]) : ['stdio']).map(parseSerial);
  if (serials.filter((s) => s.kind !== 'none').length > 1) throw new UsageError(`x86-microvm has one serial port (COM1); ${serials.length} --serial options were given`);
  const { monitor, gdb, incoming } = debugOptions(opts, str);
  if (incoming !== undefined) throw new UsageError('--incoming: x86-microvm cannot be migrated yet (its kvm vCPU state is not saved); ppce500 can');
  const virtio = deviceOptions(opts, 'x86-microvm', serials, monitor);
  return {
    ...virtio,
    machine: 'x86-microvm',
    accel,
    cpu,
    cpus: 1,
    memory: memText !== undefined ? parseSize(memText, '-m') : 128 * 1024 * 1024,
    kernel,
    ...(initrd !== undefined ? { initrd } : {}),
    ...(append !== undefined ? { append } : {}),
    noReboot: opts.has('no-reboot'),
    serials,
    monitor,
    ...(gdb !== undefined ? { gdb } : {}),
    startHalted: opts.has('halted'),
    exitTiming: opts.has('exit-timing'),
  };
}

export interface MainOptions {
  /**
   * A machine thread bin/ngkvm.js started before this module loaded (`run` and `linux`):
   * used by the machine this command runs, ended if the command ends first.
   */
  readonly machineThread?: MachineThread;
}

export async function main(argv: readonly string[], opts: MainOptions = {}): Promise<number> {
  try {
    return await command(argv, opts.machineThread);
  } finally {
    opts.machineThread?.discard();
  }
}

async function command(argv: readonly string[], machineThread: MachineThread | undefined): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
      process.stdout.write(TOP_USAGE + '\n');
      return cmd === undefined ? 2 : 0;
    }
    if (cmd === 'version' || cmd === '--version') {
      process.stdout.write(`ngkvm ${ngkvmVersion()}\n`);
      return 0;
    }
    if (cmd === 'build-linux') {
      if (rest.length > 0) throw new UsageError('ngkvm build-linux takes no options');
      printImages(await linuxImages());
      return 0;
    }
    if (cmd === 'device') return await deviceCommand(rest);
    let runArgs = rest;
    const catalog = await loadTargetCatalog();
    if (cmd === 'linux') {
      if (rest.includes('--help') || rest.includes('-h')) {
        process.stdout.write(LINUX_USAGE + '\n');
        return 0;
      }
      // Option mistakes are reported before minutes of building.
      const own = linuxOwnOptions(rest);
      const placeholder = { kernels: { e500v2: { vmlinux: 'vmlinux', uImage: 'uImage' }, e500mc: { vmlinux: 'vmlinux', uImage: 'uImage' } }, initramfs: 'initramfs', rootfs: 'rootfs' };
      buildRunConfig(linuxRunArgs(own.rest, RUN_OPTIONS, placeholder, catalog, own.rootDisk === undefined ? undefined : 'disk'), catalog);
      const images = await linuxImages();
      if (own.rootDisk !== undefined && ensureRootDisk(images, own.rootDisk)) {
        process.stderr.write(`linux: root disk ${own.rootDisk}: a writable copy of ${images.rootfs} (delete it to start afresh)\n`);
      }
      runArgs = linuxRunArgs(own.rest, RUN_OPTIONS, images, catalog, own.rootDisk);
    } else if (cmd !== 'run') throw new UsageError(`unknown command "${cmd}"; try "ngkvm run --help"`);
    const config = buildRunConfig(runArgs, catalog, (line) => process.stderr.write(`ngkvm: ${line}\n`));
    if (config === 'help') {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    if ('cpuHelp' in config) {
      for (const t of config.cpuHelp) process.stdout.write(`${t.name.padEnd(12)} ${t.description}\n`);
      return 0;
    }
    const result = await runMachine(config, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }, machineThread);
    if (result.error !== undefined) {
      process.stderr.write(`ngkvm: ${result.error.message}\n`);
      return result.code;
    }
    if (result.code !== 0) process.stderr.write(`ngkvm: ${result.reason}\n`);
    return result.code;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`ngkvm: ${err.message}\n`);
      return 2;
    }
    if (err instanceof BuildError) {
      process.stderr.write(`ngkvm: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
