/**
 * Writing to the host ends of a machine (sockets, files, the terminal) without letting a peer
 * that does not read make the VMM buffer without limit, and without waiting forever on one
 * that went away.
 */
import type { Socket } from 'node:net';

/** What the helpers need of a Node writable (net.Socket, fs.WriteStream, process.stdout). */
export interface HostWritable {
  write(data: string | Uint8Array): boolean;
  once(event: 'drain' | 'close' | 'error', listener: () => void): unknown;
  off(event: 'drain' | 'close' | 'error', listener: () => void): unknown;
  readonly destroyed?: boolean;
}

/**
 * Writes `data`. When the stream's buffer is over its high-water mark, returns a promise that
 * settles once it drained, or once the stream closed or failed: a caller awaiting it never
 * waits on a dead stream. A destroyed stream takes nothing and keeps nobody waiting.
 */
export function writeWithBackpressure(sink: HostWritable, data: string | Uint8Array): Promise<void> | void {
  if (sink.destroyed === true) return;
  if (sink.write(data)) return;
  return new Promise<void>((resolve) => {
    const done = (): void => {
      sink.off('drain', done);
      sink.off('close', done);
      sink.off('error', done);
      resolve();
    };
    sink.once('drain', done);
    sink.once('close', done);
    sink.once('error', done);
  });
}

/**
 * Keeps a command client (monitor, gdb) from queueing work without limit: reading from the
 * socket stops while more than `maxPending` commands wait (`hold`), and starts again when
 * they are done (`release`). Output is bounded separately: the command side waits for the
 * socket to drain before it runs the next command.
 */
export class InputThrottle {
  private pending = 0;
  private paused = false;

  constructor(
    private readonly socket: Pick<Socket, 'pause' | 'resume'>,
    private readonly maxPending: number,
    /** Told when reading stops or starts again (diagnostics and tests). */
    private readonly onChange: (paused: boolean) => void = () => {},
  ) {}

  /** A command was taken from the client. */
  hold(): void {
    this.pending++;
    if (!this.paused && this.pending > this.maxPending) {
      this.paused = true;
      this.socket.pause();
      this.onChange(true);
    }
  }

  /** A command is done. */
  release(): void {
    this.pending--;
    if (this.paused && this.pending === 0) {
      this.paused = false;
      this.socket.resume();
      this.onChange(false);
    }
  }

  get waiting(): number {
    return this.pending;
  }
}
