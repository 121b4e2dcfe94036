/**
 * A client of a monitor on a UNIX socket: ngkvm's `--monitor unix:PATH` or QEMU's `-monitor
 * unix:PATH,server,nowait`. Each command's output ends at the next `(qemu) ` prompt. QEMU's
 * readline echoes the typed line (with terminal escapes) up to a CR LF; ngkvm does not echo.
 */
import { connect, type Socket } from 'node:net';

const PROMPT = '(qemu) ';

export class MonitorSocket {
  private buf = '';
  private closed = false;
  private wake: (() => void) | undefined;

  private constructor(
    private readonly socket: Socket,
    private readonly echoes: boolean,
  ) {
    socket.on('data', (b: Buffer) => {
      this.buf += b.toString('latin1');
      this.wake?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
    socket.on('error', () => {});
  }

  /**
   * Connects once the program has made its socket (retrying until `timeoutMs`) and waits for
   * the greeting's prompt. `echoes`: true for QEMU.
   */
  static async connect(path: string, echoes: boolean, timeoutMs = 60_000): Promise<MonitorSocket> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const socket = await open(path);
        const m = new MonitorSocket(socket, echoes);
        await m.until(PROMPT, Math.max(1000, deadline - Date.now()));
        return m;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /** Types one command; its output without the echo and the prompt, CRs removed. */
  async command(line: string, timeoutMs = 60_000): Promise<string> {
    this.socket.write(line + '\n');
    let out = await this.until(PROMPT, timeoutMs);
    out = out.slice(0, -PROMPT.length);
    if (this.echoes) out = out.slice(out.indexOf('\r\n') + 2);
    return out.replace(/\r/g, '');
  }

  /** Types a line without waiting for an answer (`quit`: the program closes the socket instead). */
  send(line: string): void {
    this.socket.write(line + '\n');
  }

  close(): void {
    this.socket.destroy();
  }

  private async until(text: string, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.buf.indexOf(text);
      if (i >= 0) {
        const out = this.buf.slice(0, i + text.length);
        this.buf = this.buf.slice(i + text.length);
        return out;
      }
      if (this.closed) throw new Error(`the monitor closed its socket before ${JSON.stringify(text)}; it sent ${JSON.stringify(this.buf)}`);
      if (Date.now() > deadline) throw new Error(`monitor: timed out waiting for ${JSON.stringify(text)}; it sent ${JSON.stringify(this.buf)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 200);
        this.wake = () => {
          clearTimeout(t);
          this.wake = undefined;
          resolve();
        };
      });
    }
  }
}

function open(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}
