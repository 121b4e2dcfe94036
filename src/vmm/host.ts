/**
 * The main-thread side of a running machine: starts the machine thread, pumps console bytes
 * between the terminal (or pipes, or a file) and the shared rings, turns Ctrl-A commands into
 * requests, and reports how the run ended. The event loop never blocks.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { attachVcpu, type RemoteVcpu } from '../api/threads.js';
import { CONTROL_BYTES, REQ_INPUT, REQ_QUIT, REQ_WORD, type MachineConfig, type MachineMessage } from './config.js';
import type { MachineWorkerData } from './machine-worker.js';
import { SharedRing } from './ring.js';

export interface RunResult {
  readonly code: number;
  readonly reason: string;
  /** Set when the failure is the user's (bad file, bad size): print it without a stack trace. */
  readonly error?: { readonly message: string; readonly userError: boolean };
}

export interface HostIo {
  readonly stdin: NodeJS.ReadStream;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

const CTRL_A = 0x01;

const ESCAPE_HELP = [
  'C-a h    print this help',
  'C-a x    exit emulator',
  'C-a C-a  sends C-a',
  '',
].join('\r\n');

export async function runMachine(config: MachineConfig, io: HostIo): Promise<RunResult> {
  const consoleOut = SharedRing.create(1 << 16);
  const consoleIn = SharedRing.create(1 << 12);
  const controlBuf = new SharedArrayBuffer(CONTROL_BYTES);
  const control = new Int32Array(controlBuf);
  const data: MachineWorkerData = {
    config,
    consoleOut: consoleOut.descriptor(),
    consoleIn: consoleIn.descriptor(),
    control: controlBuf,
  };
  const worker = new Worker(new URL('./machine-worker.js', import.meta.url), { workerData: data });
  let vcpus: RemoteVcpu[] = [];
  let finished = false;
  let pendingInput: Uint8Array[] = [];
  const fileOut: WriteStream | undefined =
    config.serial.kind === 'file' ? createWriteStream(config.serial.path) : undefined;
  const sink: NodeJS.WritableStream = fileOut ?? io.stdout;

  const request = (bits: number): void => {
    Atomics.or(control, REQ_WORD, bits);
    for (const v of vcpus) v.kick();
  };

  // ---- console output: drain the ring whenever the machine thread signals data
  const pumpOutput = async (): Promise<void> => {
    while (!finished) {
      await consoleOut.waitForData(200);
      const bytes = consoleOut.drain();
      if (bytes.length > 0 && !sink.write(bytes)) {
        await new Promise<void>((resolve) => sink.once('drain', resolve));
      }
    }
    const rest = consoleOut.drain();
    if (rest.length > 0) sink.write(rest);
  };

  // ---- console input
  const feedInput = (): void => {
    while (pendingInput.length > 0) {
      const chunk = pendingInput[0]!;
      const n = consoleIn.write(chunk);
      if (n < chunk.length) {
        pendingInput[0] = chunk.subarray(n);
        break;
      }
      pendingInput.shift();
    }
    request(REQ_INPUT);
    // Retry when the guest has made room.
    if (pendingInput.length > 0 && !finished) setTimeout(feedInput, 5);
  };
  const queueInput = (bytes: Uint8Array): void => {
    if (bytes.length === 0) return;
    pendingInput.push(bytes);
    if (pendingInput.length === 1) feedInput();
  };

  const stdin = io.stdin;
  const interactive = config.serial.kind === 'stdio' && stdin.isTTY === true;
  let escape = false;
  const onStdin = (buf: Buffer): void => {
    if (!interactive) {
      queueInput(new Uint8Array(buf));
      return;
    }
    const out: number[] = [];
    for (const b of buf) {
      if (escape) {
        escape = false;
        if (b === 0x78 /* x */) {
          io.stderr.write('ngkvm: Terminated\r\n');
          request(REQ_QUIT);
          return;
        }
        if (b === 0x68 /* h */) io.stderr.write(ESCAPE_HELP);
        else if (b === CTRL_A) out.push(CTRL_A);
        continue;
      }
      if (b === CTRL_A) escape = true;
      else out.push(b);
    }
    queueInput(new Uint8Array(out));
  };
  if (config.serial.kind === 'stdio') {
    if (interactive) stdin.setRawMode(true);
    stdin.on('data', onStdin);
    stdin.resume();
  }

  const output = pumpOutput();
  const result = await new Promise<RunResult>((resolve) => {
    worker.on('message', (msg: MachineMessage) => {
      if (msg.type === 'ready') {
        vcpus = msg.vcpus.map((v) => attachVcpu({ accel: 'e500', id: v.id, ownerThread: v.ownerThread, control: v.control }));
        if (pendingInput.length > 0) request(REQ_INPUT);
      } else if (msg.type === 'exit') {
        resolve({ code: msg.code, reason: msg.reason });
      } else {
        resolve({ code: 1, reason: 'error', error: { message: msg.message, userError: msg.userError } });
      }
    });
    worker.on('error', (err) => resolve({ code: 1, reason: 'error', error: { message: err.stack ?? String(err), userError: false } }));
    worker.on('exit', (code) => resolve({ code: code === 0 ? 1 : code, reason: 'the machine thread ended unexpectedly' }));
  });
  finished = true;
  pendingInput = [];
  consoleOut.close();
  await output;
  if (config.serial.kind === 'stdio') {
    stdin.off('data', onStdin);
    if (interactive) stdin.setRawMode(false);
    stdin.pause();
  }
  await worker.terminate();
  if (fileOut !== undefined) await new Promise<void>((resolve) => fileOut.end(resolve));
  return result;
}
