/**
 * The host ends of the guest's serial ports (main thread). Each port owns a pair of shared
 * rings to the machine thread; the machine thread's UART reads input from its ring only when
 * the guest has room, so input typed or piped faster than the guest reads it waits here and
 * nothing is lost. The terminal's port is in stdio-terminal.ts (it may share stdin with the
 * monitor).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { SerialSpec } from './config.js';
import type { SerialRings } from './machine-worker.js';
import { SharedRing } from './ring.js';
import { HostSetupError } from './setup-error.js';
import { writeWithBackpressure } from './backpressure.js';

export interface HostIo {
  readonly stdin: NodeJS.ReadStream;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/** What ports need from the machine: wake it for input, or end the run (Ctrl-A x). */
export interface PortHost {
  inputAvailable(): void;
  quit(): void;
}

export interface HostPort {
  /** Shared with the machine thread; null for a port that discards output and has no input. */
  readonly rings: SerialRings | null;
  /** Resolves when the port is ready for the guest (a TCP server has its client). */
  open(): Promise<void>;
  /** Ends the port after the machine stopped: flushes what the guest wrote. */
  close(): Promise<void>;
}

export const OUT_RING = 1 << 16;
export const IN_RING = 1 << 12;

/**
 * Moves guest output from the ring to a sink, honouring the sink's backpressure (the guest
 * then blocks in its UART writes rather than output piling up in memory).
 */
export class OutputPump {
  private stopped = false;
  private done: Promise<void> | undefined;

  constructor(
    private readonly ring: SharedRing,
    private readonly sink: (bytes: Uint8Array) => Promise<void> | void,
  ) {}

  start(): void {
    this.done = (async () => {
      while (!this.stopped) {
        await this.ring.waitForData(200);
        const bytes = this.ring.drain();
        if (bytes.length > 0) await this.sink(bytes);
      }
      const rest = this.ring.drain();
      if (rest.length > 0) await this.sink(rest);
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.ring.close();
    await this.done;
  }
}

/**
 * Hands input chunks to the machine as the guest makes room. With `paceLines`, a whole line
 * goes over only once the guest has taken everything before it out of the ring: a script's
 * later commands are not typed into the middle of an earlier one's output. Bytes without a
 * newline yet (a single key that stops U-Boot's countdown, a prompt answered without Enter)
 * go over as they are once the guest has taken everything before them; the rest of that line
 * follows without waiting again.
 */
export class InputFeeder {
  private queue: { bytes: Uint8Array; continues: boolean }[] = [];
  private partial: number[] = [];
  /** Bytes of the current, unfinished line have been queued already. */
  private lineOpen = false;
  private pumping = false;
  private closed = false;

  constructor(
    private readonly ring: SharedRing,
    private readonly notify: () => void,
    private readonly paceLines: boolean,
  ) {}

  push(bytes: Uint8Array): void {
    if (this.closed || bytes.length === 0) return;
    if (!this.paceLines) {
      this.queue.push({ bytes, continues: true });
    } else {
      for (const b of bytes) {
        this.partial.push(b);
        if (b === 0x0a || b === 0x0d) this.takePartial(false);
      }
    }
    void this.pump();
  }

  /** End of input: a held partial line goes over as it is. */
  end(): void {
    if (this.partial.length > 0) {
      this.takePartial(false);
      void this.pump();
    }
  }

  /** The machine stopped: nothing more goes over. */
  close(): void {
    this.closed = true;
    this.queue = [];
    this.partial = [];
  }

  /** Bytes accepted from the host and not yet handed to the machine. */
  get pending(): number {
    return this.queue.reduce((n, c) => n + c.bytes.length, 0) + this.partial.length;
  }

  /** Queues the bytes of the current line collected so far; `open`: the line goes on after them. */
  private takePartial(open: boolean): void {
    this.queue.push({ bytes: Uint8Array.from(this.partial), continues: this.lineOpen });
    this.partial = [];
    this.lineOpen = open;
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.closed) {
        if (this.queue.length === 0) {
          if (this.partial.length === 0) break;
          // Only bytes without their newline are left: they go once the guest took the rest.
          if (this.ring.available() > 0) {
            await this.ring.waitForConsumer(50);
            continue;
          }
          this.takePartial(true);
        }
        const item = this.queue[0]!;
        if (this.paceLines && !item.continues && this.ring.available() > 0) {
          await this.ring.waitForConsumer(50);
          continue;
        }
        const n = this.ring.write(item.bytes);
        if (n > 0) this.notify();
        if (n === item.bytes.length) {
          this.queue.shift();
        } else {
          // What is left of a line follows its start without waiting for the ring to empty.
          this.queue[0] = { bytes: item.bytes.subarray(n), continues: item.continues || n > 0 };
          await this.ring.waitForConsumer(50);
        }
      }
    } finally {
      this.pumping = false;
    }
  }
}

/**
 * Output appended to a file (created or truncated, as QEMU's file: chardev); no input. When
 * a write fails (a full disk, /dev/full, an I/O error) the port says so once on the VMM's log
 * and discards the guest's further output, as QEMU drops what its chardev cannot write: the
 * guest runs on and never blocks on a file that cannot take its bytes.
 */
class FilePort implements HostPort {
  readonly rings: SerialRings;
  private readonly out = SharedRing.create(OUT_RING);
  private readonly pump: OutputPump;
  private stream: WriteStream | undefined;
  private failed = false;

  constructor(
    private readonly index: number,
    private readonly path: string,
    private readonly log: (line: string) => void,
  ) {
    this.rings = { out: this.out.descriptor(), in: SharedRing.create(16).descriptor() };
    this.pump = new OutputPump(this.out, (bytes) => this.send(bytes));
  }

  async open(): Promise<void> {
    const stream = createWriteStream(this.path);
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', (err: NodeJS.ErrnoException) =>
        reject(new HostSetupError('serial', `cannot open serial output file "${this.path}": ${err.code === 'ENOENT' ? 'no such directory' : err.code === 'EACCES' ? 'permission denied' : err.code === 'EISDIR' ? 'is a directory' : err.message}`)),
      );
    });
    stream.on('error', (err: NodeJS.ErrnoException) => this.fail(err));
    this.stream = stream;
    this.pump.start();
  }

  private fail(err: NodeJS.ErrnoException): void {
    if (this.failed) return;
    this.failed = true;
    this.log(`ngkvm: serial ${this.index}: writing to "${this.path}" failed (${describeWriteError(err)}); the guest's further output on this port is discarded`);
  }

  private send(bytes: Uint8Array): Promise<void> | void {
    const s = this.stream;
    if (s === undefined || this.failed) return;
    return writeWithBackpressure(s, bytes);
  }

  async close(): Promise<void> {
    await this.pump.stop();
    const s = this.stream;
    if (s !== undefined && !s.destroyed) await new Promise<void>((resolve) => s.end(resolve));
  }
}

function describeWriteError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'EFBIG':
      return 'file too large';
    case 'EIO':
      return 'input/output error';
    default:
      return err.code ?? err.message;
  }
}

/**
 * A TCP server for one client at a time, like QEMU's `tcp:…,server,wait`: the machine starts
 * once the first client is connected. Output while no client is connected is dropped; a new
 * client can connect after the previous one left.
 */
class TcpPort implements HostPort {
  readonly rings: SerialRings;
  private readonly out = SharedRing.create(OUT_RING);
  private readonly input = SharedRing.create(IN_RING);
  private readonly pump: OutputPump;
  private readonly feeder: InputFeeder;
  private server: Server | undefined;
  private client: Socket | undefined;
  private closing = false;
  /** Ends the output pump's wait for a client that does not read (at close). */
  private stopWaiting: (() => void) | undefined;

  constructor(
    private readonly index: number,
    private readonly host: string,
    private readonly port: number,
    private readonly wait: boolean,
    portHost: PortHost,
    private readonly log: (line: string) => void,
  ) {
    this.rings = { out: this.out.descriptor(), in: this.input.descriptor() };
    this.feeder = new InputFeeder(this.input, () => portHost.inputAvailable(), false);
    this.pump = new OutputPump(this.out, (bytes) => this.send(bytes));
  }

  private send(bytes: Uint8Array): Promise<void> | void {
    const c = this.client;
    if (c === undefined || c.destroyed) return;
    // Closing: the rest goes into the socket's buffer without waiting for the client to read.
    if (this.closing) {
      c.write(bytes);
      return;
    }
    const wait = writeWithBackpressure(c, bytes);
    if (wait === undefined) return;
    return new Promise<void>((resolve) => {
      this.stopWaiting = resolve;
      void wait.then(resolve);
    });
  }

  async open(): Promise<void> {
    const server = createServer({ noDelay: true });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(new HostSetupError('serial', `serial ${this.index}: cannot listen on tcp:${this.host}:${this.port}: ${err.code ?? err.message}`)),
      );
      server.listen(this.port, this.host, () => resolve());
    });
    const addr = server.address();
    const port = typeof addr === 'object' && addr !== null ? addr.port : this.port;
    this.log(`ngkvm: serial ${this.index}: waiting for a connection on tcp:${this.host}:${port}`);
    const first = new Promise<void>((resolve) => {
      server.on('connection', (socket) => {
        if (this.client !== undefined && !this.client.destroyed) {
          socket.end('ngkvm: this serial port already has a client\r\n');
          return;
        }
        this.client = socket;
        socket.on('data', (buf: Buffer) => this.feeder.push(new Uint8Array(buf)));
        socket.on('error', () => socket.destroy());
        socket.on('close', () => {
          if (this.client === socket) this.client = undefined;
        });
        resolve();
      });
    });
    this.pump.start();
    if (this.wait) await first;
  }

  /**
   * Ends the port without waiting on the client: the guest's last output is handed to the
   * socket, which then ends; a client that does not read it keeps neither the VMM nor the
   * process (the socket is unreferenced) from ending.
   */
  async close(): Promise<void> {
    this.feeder.close();
    this.closing = true;
    this.stopWaiting?.();
    await this.pump.stop();
    this.client?.end();
    this.client?.unref();
    // Stops listening now; the callback would wait for the client.
    this.server?.close();
  }
}

/**
 * The host ports for a machine's serial specs (`none` entries are not ports). The terminal's
 * port (`stdio`) comes from the StdioTerminal, which may share the terminal with the monitor.
 */
export function createHostPorts(specs: readonly SerialSpec[], io: HostIo, host: PortHost, stdio: HostPort | undefined): HostPort[] {
  const ports: HostPort[] = [];
  for (const spec of specs) {
    const index = ports.length;
    switch (spec.kind) {
      case 'none':
        break;
      case 'null':
        ports.push({ rings: null, open: () => Promise.resolve(), close: () => Promise.resolve() });
        break;
      case 'stdio':
        if (stdio === undefined) throw new Error('a stdio serial port needs the StdioTerminal');
        ports.push(stdio);
        break;
      case 'file':
        ports.push(new FilePort(index, spec.path, (l) => io.stderr.write(l + '\n')));
        break;
      case 'tcp':
        ports.push(new TcpPort(index, spec.host, spec.port, spec.wait, host, (l) => io.stderr.write(l + '\n')));
        break;
    }
  }
  return ports;
}
