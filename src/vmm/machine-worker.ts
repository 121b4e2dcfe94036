/**
 * The machine thread: assembles the board from a `MachineConfig` and runs its vCPU, handling
 * every exit synchronously on this thread (devices live here, as with KVM_RUN the calling
 * thread handles the exit). The main thread only moves console bytes and sends requests.
 */
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { Hypervisor, HypervisorError } from '../api/index.js';
import type { Exit } from '../api/exit.js';
import type { Vcpu } from '../api/hypervisor.js';
import { TimerQueue } from '../devices/clock.js';
import { BoardError } from '../boards/errors.js';
import type { Board, BoardEvent } from '../boards/board.js';
import { Ppce500Board, type BootImage } from '../boards/ppce500/board.js';
import { X86MicrovmBoard } from '../boards/x86-microvm/board.js';
import type { DeviceClock } from '../devices/clock.js';
import type { SerialBackend } from '../devices/uart16550.js';
import { CONTROL_BYTES, REQ_INPUT, REQ_QUIT, REQ_WORD, type MachineConfig, type MachineMessage } from './config.js';
import { SharedRing, type RingDescriptor } from './ring.js';

export interface SerialRings {
  readonly out: RingDescriptor;
  readonly in: RingDescriptor;
}

export interface MachineWorkerData {
  readonly config: MachineConfig;
  /** One entry per serial port the board gets (`none` ports dropped); null = discards output. */
  readonly ports: readonly (SerialRings | null)[];
  readonly control: SharedArrayBuffer;
}

class RingSerial implements SerialBackend {
  constructor(
    private readonly out: SharedRing,
    private readonly input: SharedRing,
  ) {}
  write(byte: number): void {
    this.out.writeByteBlocking(byte);
  }
  read(): number {
    return this.input.readByte();
  }
}

const nullSerial: SerialBackend = { write: () => {}, read: () => -1 };

function post(msg: MachineMessage): void {
  parentPort!.postMessage(msg);
}

function readImage(path: string | undefined, what: string): BootImage | undefined {
  if (path === undefined) return undefined;
  try {
    return { name: path, bytes: new Uint8Array(readFileSync(path)) };
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : String(cause);
    throw new BoardError('ERR_IMAGE_READ', `cannot read ${what} "${path}": ${why}`);
  }
}

function describeExit(exit: Exit): string {
  switch (exit.kind) {
    case 'shutdown':
      return `the vCPU stopped: ${exit.reason}`;
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
  const serials = data.ports.map((p) => (p === null ? nullSerial : new RingSerial(new SharedRing(p.out), new SharedRing(p.in))));
  const hv = await Hypervisor.open({ accel: config.accel });
  const timers = new TimerQueue();
  // The main thread turns the earliest device deadline into a kick (REQ_TIMER).
  timers.onEarliestChanged = (deadlineNs) => post({ type: 'timer', deadlineNs });
  const board = createBoard(hv, config, serials, timers);
  const run = vcpuRunner(hv, board);
  post({ type: 'ready', vcpus: board.vcpus.map((v) => v.handle()).map((h) => ({ id: h.id, ownerThread: h.ownerThread, control: h.control })) });

  for (;;) {
    const { vcpu, exit } = run();
    let event: BoardEvent = 'none';
    switch (exit.kind) {
      case 'mmio':
      case 'dcr':
      case 'epr':
      case 'system-event':
      case 'pio':
      case 'ioapic-eoi':
        event = board.handleExit(vcpu, exit);
        break;
      case 'shutdown':
        // x86: a triple fault resets a PC (with --no-reboot the run ends, as QEMU's does).
        if (config.machine === 'x86-microvm') {
          event = board.handleExit(vcpu, exit);
          break;
        }
        post({ type: 'exit', code: 1, reason: describeExit(exit) });
        return;
      case 'hypercall':
        // No hypercall services on this board; the guest sees EV_UNIMPLEMENTED.
        break;
      case 'halt':
        break;
      case 'interrupted': {
        const req = Atomics.exchange(control, REQ_WORD, 0);
        if ((req & REQ_QUIT) !== 0) {
          post({ type: 'exit', code: 0, reason: 'quit requested' });
          return;
        }
        if ((req & REQ_INPUT) !== 0) board.pollInput();
        break;
      }
      default:
        post({ type: 'exit', code: 1, reason: describeExit(exit) });
        return;
    }
    if (timers.nextDeadline() !== Infinity) timers.runDue();
    if (typeof event === 'object') {
      post({ type: 'exit', code: event.code, reason: event.reason });
      return;
    }
    if (event === 'reset') {
      if (config.noReboot) {
        post({ type: 'exit', code: 0, reason: 'guest requested a reset (--no-reboot)' });
        return;
      }
      board.reset();
    }
  }
}

/** The board `config.machine` names, assembled from the images and serial ports. */
function createBoard(hv: Hypervisor, config: MachineConfig, serials: SerialBackend[], clock: DeviceClock): Board {
  const log = (line: string): void => post({ type: 'log', line });
  const kernel = readImage(config.kernel, 'kernel');
  const initrd = readImage(config.initrd, 'initrd');
  const images = {
    ...(kernel !== undefined ? { kernel } : {}),
    ...(initrd !== undefined ? { initrd } : {}),
    ...(config.append !== undefined ? { append: config.append } : {}),
  };
  if (config.machine === 'x86-microvm') {
    if (kernel === undefined) throw new BoardError('ERR_BOARD_OPTION', 'x86-microvm needs a kernel (--kernel FILE)');
    return X86MicrovmBoard.create(hv, { ...images, kernel, ramSize: config.memory, serials, log });
  }
  return Ppce500Board.create(hv, {
    ...images,
    cpu: config.cpu,
    cpus: config.cpus,
    ramSize: config.memory,
    ...(config.bios !== undefined ? { bios: readImage(config.bios, 'firmware')! } : {}),
    serials,
    clock,
    log,
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

const data = workerData as MachineWorkerData;
main(data).catch((err: unknown) => {
  const userError = err instanceof BoardError || err instanceof HypervisorError;
  const message = err instanceof Error ? (userError ? err.message : (err.stack ?? err.message)) : String(err);
  post({ type: 'error', message, userError });
});
