/**
 * The main thread's end of the gdb stub: a TCP server for one debugger at a time. Bytes from
 * the client go through a GdbConnection; verified packets, Ctrl-C and connect/disconnect
 * events go to the machine thread over a MessagePort (see channel.ts for why the split is
 * there), and the machine thread's replies come back the same way.
 *
 * A second client while one is attached is accepted and closed at once, with a line in the
 * VMM's log (gdb reports "Remote connection closed"). A client that disappears is treated as
 * a detach: breakpoints leave guest memory and the guest runs on.
 *
 * Flow control: at most MAX_IN_FLIGHT requests are with the machine thread at a time, and
 * none is handed over while the socket holds more unsent output than its high-water mark.
 * Requests beyond that wait here in order (a Ctrl-C too, so it cannot overtake the `c` it
 * interrupts) and the socket is not read meanwhile, so a client that sends packets and never
 * reads the replies costs a bounded amount of memory instead of all of it.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { GdbReply, GdbRequest } from './channel.js';
import { GdbConnection } from './connection.js';
import { HostSetupError } from '../setup-error.js';

/** Requests the machine thread may have at once. */
export const MAX_IN_FLIGHT = 4;

type Queued = { readonly type: 'packet'; readonly payload: string } | { readonly type: 'interrupt' };

interface Client {
  readonly socket: Socket;
  readonly conn: GdbConnection;
  /** Requests decoded from the socket and not yet handed to the machine thread. */
  readonly queue: Queued[];
  state: GdbFlow;
}

/** Whether the client's socket is read: yes, or not while requests wait for the machine thread's window or for the socket's output to drain. */
export type GdbFlow = 'reading' | 'window' | 'output';


export class GdbTcpServer {
  private server: Server | undefined;
  private client: Client | undefined;
  /** Requests with the machine thread (handed over, not yet served). */
  private inFlight = 0;
  /** The port actually listened on (useful with port 0). */
  port = 0;

  constructor(
    private readonly host: string,
    private readonly requestedPort: number,
    private readonly machine: MessagePort,
    /** Makes the machine thread look at its port (REQ_GDB and a kick). */
    private readonly wake: () => void,
    private readonly log: (line: string) => void,
    /** Told when the client's socket stops being read, and why, or starts again (diagnostics and tests). */
    private readonly onFlow: (state: GdbFlow) => void = () => {},
  ) {
    machine.on('message', (m: GdbReply) => this.forward(m));
  }

  async open(): Promise<void> {
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(new HostSetupError('gdb', `--gdb tcp:${this.host}:${this.requestedPort}: cannot listen (${err.code === 'EADDRINUSE' ? 'the port is in use' : err.message})`)),
      );
      server.listen(this.requestedPort, this.host, () => resolve());
    });
    const addr = server.address();
    this.port = typeof addr === 'object' && addr !== null ? addr.port : this.requestedPort;
    this.log(`ngkvm: gdb stub listening on tcp:${this.host}:${this.port}`);
  }

  private post(r: GdbRequest): void {
    this.machine.postMessage(r);
    this.wake();
  }

  private accept(socket: Socket): void {
    const who = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    if (this.client !== undefined) {
      this.log(`ngkvm: gdb: refused a second debugger from ${who}; one is already attached`);
      socket.end();
      return;
    }
    socket.setNoDelay(true);
    const queue: Queued[] = [];
    const conn = new GdbConnection((text) => socket.write(text, 'latin1'), {
      packet: (payload) => this.enqueue(client, { type: 'packet', payload }),
      interrupt: () => this.enqueue(client, { type: 'interrupt' }),
      log: this.log,
    });
    const client: Client = { socket, conn, queue, state: 'reading' };
    this.client = client;
    this.log(`ngkvm: gdb: debugger connected from ${who}`);
    this.post({ type: 'connect' });
    socket.on('data', (b: Buffer) => conn.receive(b));
    socket.on('drain', () => this.pump());
    socket.on('error', () => {}); // 'close' follows; a reset client is just gone
    socket.on('close', () => {
      if (this.client !== client) return;
      this.client = undefined;
      queue.length = 0;
      this.log(`ngkvm: gdb: debugger from ${who} disconnected`);
      this.post({ type: 'disconnect' });
    });
  }

  private enqueue(client: Client, request: Queued): void {
    if (this.client !== client) return;
    client.queue.push(request);
    this.pump();
  }

  /** Hands waiting requests to the machine thread while it has room and the client reads its replies. */
  private pump(): void {
    const c = this.client;
    if (c === undefined) return;
    while (c.queue.length > 0 && this.inFlight < MAX_IN_FLIGHT && !c.socket.writableNeedDrain) {
      this.inFlight++;
      this.post(c.queue.shift()!);
    }
    const state: GdbFlow = c.queue.length === 0 ? 'reading' : c.socket.writableNeedDrain ? 'output' : 'window';
    if (state === c.state) return;
    if (c.state === 'reading') c.socket.pause();
    else if (state === 'reading') c.socket.resume();
    c.state = state;
    this.onFlow(state);
  }

  private forward(m: GdbReply): void {
    if (m.type === 'served') {
      this.inFlight = Math.max(0, this.inFlight - 1);
      this.pump();
      return;
    }
    this.client?.conn.send(m.payload, { rle: m.rle });
  }

  /** Sends what the machine thread still has for the client (its last stop or exit reply), then closes without waiting on the client. */
  close(): Promise<void> {
    for (let m = receiveMessageOnPort(this.machine); m !== undefined; m = receiveMessageOnPort(this.machine)) this.forward(m.message as GdbReply);
    this.client?.queue.splice(0);
    const c = this.client;
    this.client = undefined;
    // The debugger gets its last reply and the end of the connection, but ngkvm does not wait
    // for it to close its end (after `k` or the guest's exit gdb may keep the socket open).
    c?.socket.end();
    c?.socket.unref();
    // Stops listening at once; the callback would wait for the connection.
    this.server?.close();
    this.server = undefined;
    this.machine.close();
    return Promise.resolve();
  }
}
