/**
 * The machine thread: assembles the board from a `MachineConfig` and runs its vCPU, handling
 * every exit synchronously on this thread (devices live here, as with KVM_RUN the calling
 * thread handles the exit). The main thread only moves console bytes and sends requests.
 */
import { parentPort, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { SharedNotifier } from '../api/shared-notifier.js';
import { AcceleratorUnavailableError, Hypervisor, HypervisorError, fallbackAfterFailure } from '../api/index.js';
import type { Exit } from '../api/exit.js';
import type { Vcpu } from '../api/hypervisor.js';
import { TimerQueue, wallClockFrom } from '../devices/clock.js';
import { BoardError } from '../boards/errors.js';
import { BOARDS, type Board, type BoardEvent } from '../boards/board.js';
import { Ppce500Board, type RemoteVirtioAttachment } from '../boards/ppce500/board.js';
import type { PciProxyFunction } from '../devices/remote/pci-proxy.js';
import { VIRTIO_ID } from '../devices/virtio/constants.js';
import type { BootImage } from '../boards/board.js';
import { X86MicrovmBoard } from '../boards/x86-microvm/board.js';
import type { VirtioAttachment } from '../boards/board.js';
import { VirtioBlk } from '../devices/virtio/blk.js';
import { VirtioConsole } from '../devices/virtio/console.js';
import { VirtioNet, parseMac } from '../devices/virtio/net.js';
import { VirtioRng } from '../devices/virtio/rng.js';
import { hostEntropy } from './virtio-backends/entropy.js';
import { FileBlockBackend } from './virtio-backends/file-block.js';
import { RingCharBackend, RingNetBackend, nullChar, type NetRings } from './virtio-backends/ring-backends.js';
import type { DeviceClock } from '../devices/clock.js';
import type { SerialBackend } from '../devices/uart16550.js';
import { GdbMachineSide } from './gdb/channel.js';
import { vmTarget } from './gdb/target.js';
import { CONTROL_BYTES, REQ_DEVICE, REQ_MIGRATION, REQ_GDB, REQ_INPUT, REQ_MONITOR, REQ_QUIT, REQ_WORD, type DeviceMessage, type DmaWriteRequest, type MachineConfig, type MachineMessage } from './config.js';
import { FdChannel, SocketRouteEndpoint } from './remote/socket-endpoint.js';
import type { RouteEndpoint } from '../api/routes.js';
import { kickPending } from '../api/threads.js';
import type { MachineStart } from './machine-thread.js';
import { ppce500MonitorMachine } from './monitor/ppce500-machine.js';
import { x86MicrovmMonitorMachine } from './monitor/x86-microvm-machine.js';
import { Monitor } from './monitor/monitor.js';
import { ngkvmVersion } from './version.js';
import { readBootImage, type ImageKind } from './image-file.js';
import { MonitorService } from './monitor/service.js';
import { RunControl } from './run-state.js';
import { SharedRing, type RingDescriptor } from './ring.js';
import { MigrationController, quiesceVcpus } from './migration/controller.js';
import { loadStream } from './migration/machine-image.js';
import { MigrationError } from './migration/stream.js';
import { ChannelSource, FileSource, MigrationShared } from './migration/transport.js';
import { saveCodeCache } from '../sys/code-cache.js';

/** When the code cache is written: by then the machine's start and first boot steps ran. */
const CODE_CACHE_AFTER_MS = 500;

export interface SerialRings {
  readonly out: RingDescriptor;
  readonly in: RingDescriptor;
}

export interface MachineWorkerData {
  readonly config: MachineConfig;
  /** One entry per serial port the board gets (`none` ports dropped); null = discards output. */
  readonly ports: readonly (SerialRings | null)[];
  readonly control: SharedArrayBuffer;
  /** The monitor's command lines arrive on `port` (transferred); absent without a monitor. */
  readonly monitor?: { readonly port: MessagePort; readonly version: string };
  /** The gdb stub's packets arrive on `port` (transferred); absent without --gdb. */
  readonly gdb?: { readonly port: MessagePort };
  /** Device routes' connections and interrupts (DeviceMessage) arrive on `port`; absent without --device. */
  readonly device?: { readonly port: MessagePort; readonly dma?: MessagePort };
  /** Rings of config.chardevs, in order; null = discards output (`null`). */
  readonly chardevs?: readonly (SerialRings | null)[];
  /** Rings of config.netdevs, in order. */
  readonly netdevs?: readonly NetRings[];
  /** Migration links: the main thread's sockets (migration/transport.ts). */
  readonly migration?: { readonly port: MessagePort; readonly shared: SharedArrayBuffer };
}

/**
 * A UART's host end: output waits while the host side is full (a terminal or socket that is
 * not read: the guest stalls in its UART write rather than output piling up), but what the
 * VMM must still do meanwhile (`whileBlocked`: serve the monitor, notice a quit) is asked at
 * every wake-up, and a byte it gives up on is dropped.
 */
class RingSerial implements SerialBackend {
  constructor(
    private readonly out: SharedRing,
    private readonly input: SharedRing,
    private readonly whileBlocked: () => boolean,
  ) {}
  write(byte: number): void {
    this.out.writeByteBlocking(byte, this.whileBlocked);
  }
  read(): number {
    return this.input.readByte();
  }
}

const nullSerial: SerialBackend = { write: () => {}, read: () => -1 };

if (parentPort === null) throw new Error('machine-worker.js is the VMM\'s machine thread: it runs only as a worker');
const hostPort: MessagePort = parentPort;

function post(msg: MachineMessage): void {
  hostPort.postMessage(msg);
}

function describeExit(exit: Exit): string {
  switch (exit.kind) {
    case 'internal-error':
      return `internal error in the accelerator (${exit.suberror}): ${exit.message}`;
    case 'emulation-failure':
      return `the accelerator could not emulate the instruction at 0x${exit.pc.toString(16)}`;
    case 'unknown':
      return `unknown exit code ${exit.code}`;
    default:
      return `unexpected ${exit.kind} exit`;
  }
}

async function main(data: MachineWorkerData): Promise<void> {
  const { config } = data;
  const control = new Int32Array(data.control, 0, CONTROL_BYTES / 4);
  // A guest blocked in a UART write (its console is not read) still gets the monitor served and
  // a quit obeyed: the main thread wakes the writer with each request (wakeProducer).
  let whileOutputBlocked = (): boolean => false;
  // The monitor served from inside an exit (output blocked) must not run the vCPU (migration).
  let insideExit = false;
  const serials = data.ports.map((p) => (p === null ? nullSerial : new RingSerial(new SharedRing(p.out), new SharedRing(p.in), () => whileOutputBlocked())));
  const hv = await openAccelerator(config);
  const timers = new TimerQueue();
  // The main thread turns the earliest device deadline into a kick (REQ_TIMER).
  timers.onEarliestChanged = (deadlineNs) => post({ type: 'timer', deadlineNs });
  // UART1 in a device process: its registers go over the route socket the main thread
  // accepted (the descriptor arrives on the device port), read synchronously on this thread.
  let kickWord: Int32Array | null = null;
  const remoteUart1 =
    data.device !== undefined && (config.remoteDevices ?? []).length > 0
      ? new SocketRouteEndpoint('uart1', {
          log: (line) => post({ type: 'log', line }),
          // Bit 0 of the vCPU's kick word is a kick on every accelerator.
          shouldAbort: () => kickWord !== null && kickPending(kickWord),
        })
      : undefined;
  // Virtio-pci devices in device processes: their BARs and configuration space go over these
  // endpoints from inside exits (the PCI bus decodes the proxies' BARs), so a kick does not
  // abandon a wait (an exit cannot be replayed); a device that dies ends any wait.
  // While such a wait lasts, the device's DMA writes are still done (it may be waiting for
  // one before it answers).
  let serveDma = (): void => {};
  const remoteVirtio = new Map<number, SocketRouteEndpoint>();
  (config.devices ?? []).forEach((d, i) => {
    if (d.kind === 'remote') {
      remoteVirtio.set(i, new SocketRouteEndpoint(`virtio-${d.virtio}-pci (${d.socket})`, { log: (line) => post({ type: 'log', line }), shouldAbort: () => false, whileWaiting: () => serveDma() }));
    }
  });
  const board = createBoard(hv, config, serials, timers, virtioAttachments(config, data, remoteVirtio), remoteUart1);
  kickWord = new Int32Array(board.vcpus[0]!.handle().control);
  if (remoteVirtio.size > 0 && !(board instanceof Ppce500Board && board.ram.chunks[0]?.buffer instanceof SharedArrayBuffer)) {
    throw new BoardError('ERR_BOARD_OPTION', `virtio devices in device processes need guest RAM the VMM's main thread can share (the e500 accelerator's); the ${hv.accel} accelerator's cannot be`);
  }
  const proxies = new Map<number, PciProxyFunction>();
  if (board instanceof Ppce500Board) [...remoteVirtio.keys()].forEach((index, n) => proxies.set(index, board.remoteVirtio[n]!));
  const dmaPort = data.device?.dma;
  if (board instanceof Ppce500Board && dmaPort !== undefined) {
    serveDma = () => {
      for (let m = receiveMessageOnPort(dmaPort); m !== undefined; m = receiveMessageOnPort(dmaPort)) {
        const req = m.message as DmaWriteRequest;
        const error = board.remoteDmaWrite(req.addr, req.data);
        post({ type: 'dma-done', id: req.id, ...(error !== undefined ? { error } : {}) });
      }
    };
  }
  const serveDevices = (): void => {
    serveDma();
    if (data.device === undefined) return;
    for (let m = receiveMessageOnPort(data.device.port); m !== undefined; m = receiveMessageOnPort(data.device.port)) {
      const msg = m.message as DeviceMessage;
      if (msg.kind === 'access') {
        if (msg.device === undefined) remoteUart1?.attach(new FdChannel(msg.fd));
        else remoteVirtio.get(msg.device)?.attach(new FdChannel(msg.fd));
      } else if (msg.kind === 'intx') {
        // The device's DMA writes sent before this are done first (they are acknowledged to it
        // before they are done: the guest must see them before the interrupt).
        serveDma();
        proxies.get(msg.device)?.setIntx(msg.level);
      } else if (board instanceof Ppce500Board) {
        serveDma();
        board.busMasterWrite(msg.address, msg.data);
      }
    }
  };
  serveDevices();
  if (config.exitTiming === true) for (const v of board.vcpus) v.enableCap('exit-timing', [1]);
  const run = vcpuRunner(hv, board);
  const runControl = new RunControl();
  // -S without a debugger: QEMU's prelaunch state, left by the monitor's `cont`.
  if (config.startHalted === true && data.gdb === undefined) runControl.pause('prelaunch');
  const machineInfo = { version: data.monitor?.version ?? ngkvmVersion(), accelerator: hv.accel };
  const migrationShared = data.migration !== undefined ? new MigrationShared(data.migration.shared) : undefined;
  const migration = new MigrationController({
    board,
    clock: timers,
    run: runControl,
    quiesce: () => {
      if (insideExit) throw new MigrationError('the vCPU is inside a device access (its console output is blocked): retry once the console is read');
      quiesceVcpus(board);
    },
    log: (line) => post({ type: 'log', line }),
    version: machineInfo.version,
    ...(data.migration !== undefined && migrationShared !== undefined ? { link: { port: data.migration.port, shared: migrationShared } } : {}),
  });
  const boardMonitor =
    board instanceof Ppce500Board
      ? ppce500MonitorMachine(board, runControl, machineInfo)
      : board instanceof X86MicrovmBoard
        ? x86MicrovmMonitorMachine(board, runControl, machineInfo)
        : undefined;
  const monitorMachine = boardMonitor !== undefined && board.migration !== undefined ? { ...boardMonitor, migration } : boardMonitor;
  const monitor = data.monitor !== undefined && monitorMachine !== undefined ? new MonitorService(data.monitor.port, monitorMachine) : undefined;
  // gdb's `monitor CMD` gets a monitor of its own over the same machine (its own defaults for
  // x/FMT, as a second QEMU monitor would have); reset and quit act after the packet.
  const gdbRequests = { reset: false, quit: false };
  const gdbMonitor = monitorMachine === undefined ? undefined : new Monitor({
    ...monitorMachine,
    requestReset: () => {
      gdbRequests.reset = true;
    },
    requestQuit: () => {
      gdbRequests.quit = true;
    },
  });
  const gdb =
    data.gdb !== undefined
      ? new GdbMachineSide(data.gdb.port, vmTarget(board.vm), {
          startHalted: config.startHalted === true,
          log: (line) => post({ type: 'log', line }),
          monitor: (line) => gdbMonitor?.execute(line) ?? 'the monitor is not available for this board\n',
        })
      : undefined;
  const vcpuIndex = new Map(board.vcpus.map((v, i) => [v, i]));
  let lastRan = 0;
  // The debugger's hold shows in the run state the monitor reports (`paused (debug)`), and
  // the monitor's `cont` does not override it: gdb releases what gdb stopped.
  const syncDebugHold = (): void => {
    if (gdb === undefined) return;
    const held = !gdb.stub.running;
    if (held && runControl.status() === 'running') runControl.pause('debug');
    else if (!held && runControl.status() === 'debug') runControl.resume();
  };
  // Every way the run ends goes through here, so an attached debugger hears about it (W/X).
  const finish = (code: number, reason: string): void => {
    gdb?.stub.onMachineExit(code);
    // A run shorter than CODE_CACHE_AFTER_MS still leaves the code cache for the next one.
    saveCodeCache();
    post({ type: 'exit', code, reason });
  };
  // How the run ends or resets when that was decided while the guest was blocked in an exit.
  let ending: { readonly code: number; readonly reason: string } | undefined;
  let resetWhileBlocked = false;
  whileOutputBlocked = () => {
    if (ending !== undefined) return true;
    const req = Atomics.load(control, REQ_WORD);
    // Left set: the loop ends the run after this exit.
    if ((req & REQ_QUIT) !== 0) return true;
    if ((req & REQ_MONITOR) !== 0 && monitor !== undefined) {
      // The vCPU is between runs (inside an exit), so the monitor sees a consistent machine.
      Atomics.and(control, REQ_WORD, ~REQ_MONITOR);
      insideExit = true;
      const outcome = monitor.serve();
      insideExit = false;
      if (outcome === 'quit') {
        ending = { code: 0, reason: 'quit requested from the monitor' };
        return true;
      }
      if (outcome === 'reset') resetWhileBlocked = true;
    }
    return false;
  };
  const uart1Irq = board instanceof Ppce500Board ? board.remoteUart1Irq : undefined;
  post({
    type: 'ready',
    accel: hv.accel,
    vcpus: board.vcpus.map((v) => v.handle()).map((h) => ({ id: h.id, ownerThread: h.ownerThread, control: h.control })),
    ...(uart1Irq !== undefined && uart1Irq.trigger instanceof SharedNotifier && uart1Irq.resample instanceof SharedNotifier
      ? { remoteUart1Irq: { trigger: uart1Irq.trigger.share(), resample: uart1Irq.resample.share() } }
      : {}),
    ...(board instanceof Ppce500Board && board.dmaWindows !== undefined
      ? { remoteDma: { ram: board.ram.chunks, chunkBytes: board.ram.chunkBytes, ramSize: board.ramSize, windows: board.dmaWindows.buffer } }
      : {}),
  });

  if (config.incoming !== undefined) {
    const outcome = incoming(config, board, runControl, data, migrationShared, () => {
      const req = Atomics.load(control, REQ_WORD);
      if ((req & REQ_QUIT) !== 0) throw new IncomingQuit();
      if ((req & REQ_MONITOR) !== 0 && monitor !== undefined) {
        Atomics.and(control, REQ_WORD, ~REQ_MONITOR);
        if (monitor.serve() === 'quit') throw new IncomingQuit();
      }
    });
    if (outcome !== undefined) {
      if (outcome.kind === 'quit') finish(0, 'quit requested while waiting for the incoming migration');
      else post({ type: 'error', message: `incoming migration failed: ${outcome.message}`, userError: true });
      return;
    }
  }

  // The code cache (a no-op unless the cached script loader started this thread) is written
  // once the guest has run a while, with what its start compiled (sys/code-cache.ts).
  let codeCacheAt = performance.now() + CODE_CACHE_AFTER_MS;
  let loops = 0;
  for (;;) {
    let event: BoardEvent = 'none';
    if ((++loops & 255) === 0 && performance.now() >= codeCacheAt) {
      codeCacheAt = Infinity;
      saveCodeCache();
    }
    syncDebugHold();
    if (!runControl.running) {
      // Paused (monitor `stop`) or held by the debugger: no guest code runs; console input,
      // timers, the monitor and gdb are still served. The main thread notifies this word with
      // every request.
      Atomics.wait(control, REQ_WORD, 0);
    } else {
      const solo = gdb?.stub.soloVcpu ?? null;
      // A step of one thread with the others held runs that vCPU alone (run() on it directly).
      const { vcpu, exit } = solo !== null ? { vcpu: board.vcpus[solo]!, exit: board.vcpus[solo]!.run() } : run();
      lastRan = vcpuIndex.get(vcpu) ?? 0;
      switch (exit.kind) {
        case 'mmio':
        case 'dcr':
        case 'epr':
        case 'system-event':
        case 'pio':
        case 'ioapic-eoi':
        case 'shutdown':
          // What a stopped CPU means is the board's: a PC resets on a triple fault, a Book E
          // checkstop ends the run.
          event = board.handleExit(vcpu, exit);
          break;
        case 'hypercall':
          // No hypercall services on this board; the guest sees EV_UNIMPLEMENTED.
          break;
        case 'halt':
          break;
        case 'interrupted':
          break;
        case 'debug':
          // Only the stub turns guest debugging on; one that outlived its client is ignored.
          gdb?.stub.onDebugExit(lastRan, exit);
          break;
        default:
          finish(1, describeExit(exit));
          return;
      }
    }
    if (ending !== undefined) {
      finish(ending.code, ending.reason);
      return;
    }
    if (resetWhileBlocked) {
      resetWhileBlocked = false;
      if (event === 'none') event = 'reset';
    }
    // Requests are taken after any exit, not only after the kick's `interrupted`: the e500
    // accelerator does not report a kick while every run resumes an MMIO instruction (a guest
    // polling its UART), and Ctrl-A x or a monitor command must not wait for the guest.
    if (Atomics.load(control, REQ_WORD) !== 0) {
      const req = Atomics.exchange(control, REQ_WORD, 0);
      if ((req & REQ_QUIT) !== 0) {
        finish(0, 'quit requested');
        return;
      }
      if ((req & REQ_INPUT) !== 0) board.pollInput();
      if ((req & REQ_DEVICE) !== 0) serveDevices();
      if ((req & REQ_MIGRATION) !== 0) migration.linkEvent();
      if ((req & REQ_MONITOR) !== 0 && monitor !== undefined) {
        const outcome = monitor.serve();
        if (outcome === 'quit') {
          finish(0, 'quit requested from the monitor');
          return;
        }
        if (outcome === 'reset') event = 'reset';
      }
      if ((req & REQ_GDB) !== 0 && gdb !== undefined) {
        gdb.serve(lastRan);
        if (gdb.killed) {
          post({ type: 'exit', code: 0, reason: 'killed from gdb' });
          return;
        }
        if (gdbRequests.quit) {
          finish(0, 'quit requested from gdb (monitor quit)');
          return;
        }
        if (gdbRequests.reset) event = 'reset';
        gdbRequests.reset = false;
      }
    }
    if (timers.nextDeadline() !== Infinity) timers.runDue();
    if (typeof event === 'object') {
      // The guest chose how the run ends (x86 isa-debug-exit).
      finish(event.code, event.reason);
      return;
    }
    if (event === 'reset') {
      if (config.noReboot) {
        finish(0, 'reset requested (--no-reboot)');
        return;
      }
      board.reset();
    }
  }
}

class IncomingQuit extends Error {}

/**
 * Loads the machine from `--incoming` before it first runs; then the guest runs on, or with
 * -S waits for `cont`. Returns why the run must end instead, if it must.
 */
function incoming(
  config: MachineConfig,
  board: Board,
  run: RunControl,
  data: MachineWorkerData,
  shared: MigrationShared | undefined,
  idle: () => void,
): { kind: 'quit' } | { kind: 'error'; message: string } | undefined {
  const spec = config.incoming!;
  const target = board.migration;
  if (target === undefined) return { kind: 'error', message: 'this board cannot be migrated' };
  const before = run.status();
  run.pause('inmigrate');
  const t0 = performance.now();
  try {
    let source: FileSource | ChannelSource;
    if (spec.kind === 'file') source = new FileSource(spec.path);
    else if (data.migration !== undefined && shared !== undefined) source = new ChannelSource(data.migration.port, shared, idle);
    else return { kind: 'error', message: 'no connection to the main thread' };
    const loaded = loadStream(source, target, board.vm);
    if (source instanceof FileSource) source.close();
    const from = spec.kind === 'file' ? spec.path : `${spec.host}:${spec.port}`;
    post({ type: 'log', line: `ngkvm: incoming migration complete (${(loaded.bytes / 1048576).toFixed(1)} MiB from ${from} in ${Math.round(performance.now() - t0)} ms)` });
  } catch (err) {
    if (err instanceof IncomingQuit) return { kind: 'quit' };
    if (err instanceof MigrationError || err instanceof BoardError) return { kind: 'error', message: err.message };
    throw err;
  }
  // -S: the destination waits for `cont` (QEMU's -incoming without autostart).
  if (before === 'running') run.resume();
  else run.pause('paused');
  return undefined;
}

/**
 * The accelerator the CLI planned for the board; when it cannot be opened here (no
 * /dev/kvm, no permission), the software accelerator for the board's architecture if there
 * is one, with one line saying so (seed 003); otherwise the failure as it is.
 */
async function openAccelerator(config: MachineConfig): Promise<Hypervisor> {
  try {
    return await Hypervisor.open({ accel: config.accel });
  } catch (err) {
    if (!(err instanceof AcceleratorUnavailableError)) throw err;
    const plan = fallbackAfterFailure(BOARDS[config.machine].arch, config.accel, err.message);
    if (plan?.fallback === undefined) throw err;
    post({ type: 'log', line: `ngkvm: ${plan.fallback}` });
    return Hypervisor.open({ accel: plan.accel });
  }
}

/** The board `config.machine` names, assembled from the images and serial ports. */
function createBoard(
  hv: Hypervisor,
  config: MachineConfig,
  serials: SerialBackend[],
  clock: DeviceClock,
  virtio: readonly (VirtioAttachment | RemoteVirtioAttachment)[],
  remoteUart1?: RouteEndpoint,
): Board {
  const log = (line: string): void => post({ type: 'log', line });
  const read = (path: string | undefined, kind: ImageKind, use: 'loader' | 'raw'): BootImage | undefined =>
    path === undefined ? undefined : readBootImage(path, kind, config.memory, use);
  // ppce500 copies the kernel file as it is when firmware boots it (QEMU's -bios with -kernel).
  const kernel = read(config.kernel, 'kernel', config.machine === 'ppce500' && config.bios !== undefined ? 'raw' : 'loader');
  const initrd = read(config.initrd, 'initrd', 'raw');
  const images = {
    ...(kernel !== undefined ? { kernel } : {}),
    ...(initrd !== undefined ? { initrd } : {}),
    ...(config.append !== undefined ? { append: config.append } : {}),
  };
  if (config.machine === 'x86-microvm') {
    if (kernel === undefined) throw new BoardError('ERR_BOARD_OPTION', 'x86-microvm needs a kernel (--kernel FILE)');
    return X86MicrovmBoard.create(hv, { ...images, kernel, ramSize: config.memory, serials, log, virtio: virtio.filter((v): v is VirtioAttachment => 'device' in v) });
  }
  const bios = read(config.bios, 'firmware', 'loader');
  return Ppce500Board.create(hv, {
    ...images,
    cpu: config.cpu,
    cpus: config.cpus,
    ramSize: config.memory,
    ...(bios !== undefined ? { bios } : {}),
    serials,
    ...(remoteUart1 !== undefined ? { remoteUart1 } : {}),
    clock,
    // The RTC's calendar: the host's UTC time now, advancing with the device clock (QEMU's
    // default RTC base).
    wallClock: wallClockFrom(Date.now(), clock),
    log,
    virtio,
  });
}

/** The virtio device ID of each kind a device process can serve. */
const REMOTE_VIRTIO_IDS = { blk: VIRTIO_ID.block, net: VIRTIO_ID.net, rng: VIRTIO_ID.entropy, serial: VIRTIO_ID.console } as const;

/** QEMU's default MAC for the n-th NIC without mac=: 52:54:00:12:34:56 + n. */
const DEFAULT_MAC = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56] as const;

/**
 * The virtio devices of the configuration with their host backends: disk images opened
 * here (synchronous I/O on this thread), network and console rings from the main thread,
 * the host's random source.
 */
function virtioAttachments(config: MachineConfig, data: MachineWorkerData, remote: ReadonlyMap<number, RouteEndpoint>): (VirtioAttachment | RemoteVirtioAttachment)[] {
  const devices = config.devices ?? [];
  let nics = 0;
  return devices.map((d, i): VirtioAttachment | RemoteVirtioAttachment => {
    const suffix = d.transport === 'pci' ? 'pci' : 'device';
    switch (d.kind) {
      case 'blk': {
        const drive = config.drives?.find((x) => x.id === d.drive);
        if (drive === undefined) throw new BoardError('ERR_BOARD_OPTION', `virtio-blk: no drive ${d.drive}`);
        const backend = FileBlockBackend.open(drive.file, drive.readOnly);
        // QEMU's num-queues default: one per vCPU on PCI, one on virtio-mmio.
        const queues = d.queues ?? (d.transport === 'pci' ? config.cpus : 1);
        return { name: `virtio-blk-${suffix}`, device: new VirtioBlk({ backend, queues, ...(d.serial !== undefined ? { serial: d.serial } : {}) }) };
      }
      case 'net': {
        const index = config.netdevs?.findIndex((x) => x.id === d.netdev) ?? -1;
        const rings = data.netdevs?.[index];
        if (rings === undefined) throw new BoardError('ERR_BOARD_OPTION', `virtio-net: no netdev ${d.netdev}`);
        const mac = d.mac !== undefined ? parseMac(d.mac) : Uint8Array.from(DEFAULT_MAC, (b, i) => (i === 5 ? (b + nics++) & 0xff : b));
        if (mac === undefined) throw new BoardError('ERR_BOARD_OPTION', `virtio-net: bad MAC ${d.mac ?? ''}`);
        return { name: `virtio-net-${suffix}`, device: new VirtioNet({ backend: new RingNetBackend(rings), mac }) };
      }
      case 'rng':
        return { name: `virtio-rng-${suffix}`, device: new VirtioRng(hostEntropy) };
      case 'serial': {
        const ports = d.ports.map((p) => {
          const index = config.chardevs?.findIndex((c) => c.id === p.chardev) ?? -1;
          const rings = data.chardevs?.[index];
          if (rings === undefined && config.chardevs?.[index]?.backend.kind !== 'null') throw new BoardError('ERR_BOARD_OPTION', `virtio-serial: no chardev ${p.chardev}`);
          return { nr: p.nr, console: p.console, backend: rings === undefined || rings === null ? nullChar : new RingCharBackend(rings), ...(p.name !== undefined ? { name: p.name } : {}) };
        });
        return { name: `virtio-serial-${suffix}`, device: new VirtioConsole({ ports, maxPorts: d.maxPorts }) };
      }
      case 'remote': {
        const endpoint = remote.get(i);
        if (endpoint === undefined) throw new BoardError('ERR_BOARD_OPTION', `virtio-${d.virtio}-pci,socket=: no route`);
        if (config.machine !== 'ppce500') throw new BoardError('ERR_BOARD_OPTION', `virtio-${d.virtio}-pci in a device process needs ppce500's PCI bus`);
        return { name: `virtio-${d.virtio}-pci`, virtioId: REMOTE_VIRTIO_IDS[d.virtio], endpoint };
      }
    }
  });
}

/**
 * How this machine's vCPUs share the thread: an accelerator with cooperative vCPUs schedules
 * them itself; otherwise only a single vCPU can run here.
 */
function vcpuRunner(hv: Hypervisor, board: Board): () => { vcpu: Vcpu; exit: Exit } {
  if (hv.checkExtension('cooperative-vcpus') > 0) return () => board.vm.runVcpus();
  if (board.vcpus.length !== 1) {
    throw new BoardError('ERR_BOARD_OPTION', `the ${hv.accel} accelerator runs one vCPU per machine thread; this VMM runs only one of them (use -smp 1)`);
  }
  const vcpu = board.vcpus[0]!;
  return () => ({ vcpu, exit: vcpu.run() });
}

// The host sends the machine once its command line is understood (src/vmm/machine-thread.ts).
const data = await new Promise<MachineWorkerData>((resolve) => hostPort.once('message', (m: MachineStart) => resolve(m.data)));
main(data).catch((err: unknown) => {
  const userError = err instanceof BoardError || err instanceof HypervisorError;
  const message = err instanceof Error ? (userError ? err.message : (err.stack ?? err.message)) : String(err);
  post({ type: 'error', message, userError });
});
