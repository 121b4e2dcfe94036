/**
 * The machine thread: assembles the board from a `MachineConfig` and runs its vCPU, handling
 * every exit synchronously on this thread (devices live here, as with KVM_RUN the calling
 * thread handles the exit). The main thread only moves console bytes and sends requests.
 */
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { Hypervisor, HypervisorError } from '../api/index.js';
import type { Exit } from '../api/exit.js';
import { BoardError } from '../boards/errors.js';
import { Ppce500Board, type BootImage } from '../boards/ppce500/board.js';
import type { SerialBackend } from '../devices/uart16550.js';
import { CONTROL_BYTES, REQ_INPUT, REQ_QUIT, REQ_WORD, type MachineConfig, type MachineMessage } from './config.js';
import { SharedRing, type RingDescriptor } from './ring.js';

export interface MachineWorkerData {
  readonly config: MachineConfig;
  readonly consoleOut: RingDescriptor;
  readonly consoleIn: RingDescriptor;
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
  const out = new SharedRing(data.consoleOut);
  const input = new SharedRing(data.consoleIn);
  const control = new Int32Array(data.control, 0, CONTROL_BYTES / 4);
  const serial = config.serial.kind === 'none' ? nullSerial : new RingSerial(out, input);
  const hv = await Hypervisor.open({ accel: config.accel });
  const board = Ppce500Board.create(hv, {
    cpu: config.cpu,
    ramSize: config.memory,
    ...(config.bios !== undefined ? { bios: readImage(config.bios, 'firmware')! } : {}),
    ...(config.kernel !== undefined ? { kernel: readImage(config.kernel, 'kernel')! } : {}),
    ...(config.initrd !== undefined ? { initrd: readImage(config.initrd, 'initrd')! } : {}),
    ...(config.append !== undefined ? { append: config.append } : {}),
    serials: [serial],
  });
  const vcpu = board.vcpus[0]!;
  const h = vcpu.handle();
  post({ type: 'ready', vcpus: [{ id: h.id, ownerThread: h.ownerThread, control: h.control }] });

  for (;;) {
    const exit = vcpu.run();
    let event: 'none' | 'reset' = 'none';
    switch (exit.kind) {
      case 'mmio':
      case 'dcr':
      case 'epr':
      case 'system-event':
        event = board.handleExit(vcpu, exit);
        break;
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
    if (event === 'reset') {
      if (config.noReboot) {
        post({ type: 'exit', code: 0, reason: 'guest requested a reset (--no-reboot)' });
        return;
      }
      board.reset();
    }
  }
}

const data = workerData as MachineWorkerData;
main(data).catch((err: unknown) => {
  const userError = err instanceof BoardError || err instanceof HypervisorError;
  const message = err instanceof Error ? (userError ? err.message : (err.stack ?? err.message)) : String(err);
  post({ type: 'error', message, userError });
});
