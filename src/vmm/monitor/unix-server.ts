/**
 * `--monitor unix:PATH`: a server socket for one client at a time, each greeted with the
 * banner and a prompt. Input is taken a line at a time without echo (the client's terminal,
 * or socat/nc in line mode, shows what is typed); output uses CR LF, as QEMU's monitor.
 *
 * A leftover socket file nobody listens on (from a run that was killed) is replaced; a path
 * that is not a socket, or a socket another process serves, is refused.
 *
 * A client that sends commands faster than it reads their output is slowed down, not
 * buffered for: the next command runs only when the socket has taken the previous one's
 * output, and reading from the socket stops while more than MAX_PENDING_LINES wait.
 */
import { accessSync, constants, lstatSync, statSync, unlinkSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { InputThrottle, writeWithBackpressure } from '../backpressure.js';
import { LineEditor } from './line-editor.js';
import type { MonitorSession } from './session.js';
import { HostSetupError } from '../setup-error.js';

/** Lines a client may have waiting before its socket is no longer read. */
export const MAX_PENDING_LINES = 16;


export class MonitorUnixServer {
  private server: Server | undefined;
  private client: { readonly socket: Socket; readonly session: MonitorSession } | undefined;
  /** The inode of the socket we created, so that close() never removes someone else's file. */
  private ino: number | undefined;

  constructor(
    private readonly path: string,
    /** Start the machine only once the first client is connected. */
    private readonly wait: boolean,
    private readonly newSession: (write: (text: string) => Promise<void> | void) => MonitorSession,
    private readonly log: (line: string) => void,
    /** Told when the client's socket stops (true) or starts (false) being read. */
    private readonly onThrottle: (paused: boolean) => void = () => {},
  ) {}

  async open(): Promise<void> {
    await this.removeStaleSocket();
    const server = createServer();
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => reject(new HostSetupError('monitor', `--monitor unix:${this.path}: cannot listen: ${describeListenError(this.path, err)}`)));
      server.listen(this.path, () => resolve());
    });
    try {
      this.ino = statSync(this.path).ino;
    } catch {
      this.ino = undefined;
    }
    const first = new Promise<void>((resolve) => {
      server.on('connection', (socket) => {
        this.accept(socket);
        resolve();
      });
    });
    if (this.wait) {
      this.log(`ngkvm: monitor: waiting for a connection on unix:${this.path}`);
      await first;
    }
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    c?.session.close();
    // A client that keeps its end open, or does not read what is left, must not keep ngkvm
    // from exiting: the socket ends without anyone waiting for it, and the server stops
    // listening at once (its close callback would wait for the connection).
    c?.socket.end();
    c?.socket.unref();
    this.server?.close();
    this.server = undefined;
    // Node removes the file when the server closes; a killed process leaves it (see open()).
    try {
      if (this.ino !== undefined && lstatSync(this.path).ino === this.ino) unlinkSync(this.path);
    } catch {
      // Already gone.
    }
  }

  private accept(socket: Socket): void {
    socket.on('error', () => socket.destroy());
    if (this.client !== undefined) {
      socket.end('ngkvm: the monitor already has a client; try again when it has disconnected\r\n');
      return;
    }
    const session = this.newSession((text) => writeWithBackpressure(socket, text));
    const editor = new LineEditor(false);
    const client = { socket, session };
    this.client = client;
    const throttle = new InputThrottle(socket, MAX_PENDING_LINES, this.onThrottle);
    socket.on('data', (buf: Buffer) => {
      for (const b of buf) {
        const r = editor.push(b);
        if (r.line === undefined) continue;
        throttle.hold();
        void session.submit(r.line).then(() => throttle.release());
      }
    });
    socket.on('close', () => {
      session.close();
      if (this.client === client) this.client = undefined;
    });
    session.show();
  }

  private async removeStaleSocket(): Promise<void> {
    let isSocket: boolean;
    try {
      isSocket = lstatSync(this.path).isSocket();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new HostSetupError('monitor', `--monitor unix:${this.path}: ${describe(err as NodeJS.ErrnoException)}`);
    }
    if (!isSocket) throw new HostSetupError('monitor', `--monitor unix:${this.path}: the path exists and is not a socket; remove it or choose another path`);
    if (await someoneListens(this.path)) throw new HostSetupError('monitor', `--monitor unix:${this.path}: another process is listening on this socket`);
    try {
      unlinkSync(this.path);
    } catch (err) {
      throw new HostSetupError('monitor', `--monitor unix:${this.path}: cannot remove the old socket: ${describe(err as NodeJS.ErrnoException)}`);
    }
  }
}

function someoneListens(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * Why a socket cannot be created at `path`, from the path itself: libuv reports a directory
 * that does not exist as EACCES, so the error code alone would send the user after
 * permissions that are fine.
 */
function describeListenError(path: string, err: NodeJS.ErrnoException): string {
  if (err.code !== 'EACCES' && err.code !== 'ENOENT' && err.code !== 'ENOTDIR') return describe(err);
  const dir = dirname(resolve(path));
  try {
    if (!statSync(dir).isDirectory()) return `"${dir}" is not a directory`;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `the directory "${dir}" does not exist`;
    if (code === 'ENOTDIR') return `a component of "${dir}" is not a directory`;
    return describe(e as NodeJS.ErrnoException);
  }
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch {
    return `permission denied: cannot create a socket in "${dir}"`;
  }
  return describe(err);
}

function describe(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOENT':
      return 'no such directory';
    case 'EACCES':
      return 'permission denied';
    case 'EADDRINUSE':
      return 'address in use';
    case 'ENAMETOOLONG':
    case 'EINVAL':
      return 'path too long for a socket (at most 107 bytes)';
    case 'ENOTDIR':
      return 'a component of the path is not a directory';
    default:
      return err.code ?? err.message;
  }
}
