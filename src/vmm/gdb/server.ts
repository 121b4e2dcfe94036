/**
 * The main thread's end of the gdb stub: a TCP server for one debugger at a time. Bytes from
 * the client go through a GdbConnection; verified packets, Ctrl-C and connect/disconnect
 * events go to the machine thread over a MessagePort (see channel.ts for why the split is
 * there), and the machine thread's replies come back the same way.
 *
 * A second client while one is attached is accepted and closed at once, with a line in the
 * VMM's log (gdb reports "Remote connection closed"). A client that disappears is treated as
 * a detach: breakpoints leave guest memory and the guest runs on.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { GdbReply, GdbRequest } from './channel.js';
import { GdbConnection } from './connection.js';
import { HostSetupError } from '../setup-error.js';

export class GdbTcpServer {
  private server: Server | undefined;
  private client: { socket: Socket; conn: GdbConnection } | undefined;
  /** The port actually listened on (useful with port 0). */
  port = 0;

  constructor(
    private readonly host: string,
    private readonly requestedPort: number,
    private readonly machine: MessagePort,
    /** Makes the machine thread look at its port (REQ_GDB and a kick). */
    private readonly wake: () => void,
    private readonly log: (line: string) => void,
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
    const conn = new GdbConnection((text) => socket.write(text, 'latin1'), {
      packet: (payload) => this.post({ type: 'packet', payload }),
      interrupt: () => this.post({ type: 'interrupt' }),
      log: this.log,
    });
    const client = { socket, conn };
    this.client = client;
    this.log(`ngkvm: gdb: debugger connected from ${who}`);
    this.post({ type: 'connect' });
    socket.on('data', (b: Buffer) => conn.receive(b));
    socket.on('error', () => {}); // 'close' follows; a reset client is just gone
    socket.on('close', () => {
      if (this.client !== client) return;
      this.client = undefined;
      this.log(`ngkvm: gdb: debugger from ${who} disconnected`);
      this.post({ type: 'disconnect' });
    });
  }

  private forward(m: GdbReply): void {
    this.client?.conn.send(m.payload, { rle: m.rle });
  }

  /** Sends what the machine thread still has for the client (its last stop or exit reply), then closes. */
  async close(): Promise<void> {
    for (let m = receiveMessageOnPort(this.machine); m !== undefined; m = receiveMessageOnPort(this.machine)) this.forward(m.message as GdbReply);
    const c = this.client;
    this.client = undefined;
    if (c !== undefined) await new Promise<void>((resolve) => c.socket.end(resolve));
    const s = this.server;
    this.server = undefined;
    if (s !== undefined) await new Promise<void>((resolve) => s.close(() => resolve()));
    this.machine.close();
  }
}
