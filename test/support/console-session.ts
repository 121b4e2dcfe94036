/**
 * Drives a program's serial console the way a person at a terminal does: wait for text, then
 * type. Used to run the same U-Boot session on QEMU and on ngkvm. Input is only sent once the
 * guest is waiting for it (QEMU drops bytes that arrive while firmware resets its UART).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

export class ConsoleSession {
  private readonly child: ChildProcessWithoutNullStreams;
  private text = '';
  /** Where the next waitFor starts looking. */
  private cursor = 0;
  private exited: Promise<number | null>;
  private waiter: (() => void) | undefined;
  stderr = '';
  readonly startedAt = performance.now();

  constructor(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (b: Buffer) => {
      this.text += b.toString('latin1');
      this.waiter?.();
    });
    this.child.stderr.on('data', (b: Buffer) => {
      this.stderr += b.toString();
      this.waiter?.();
    });
    this.child.stdin.on('error', () => {});
    this.exited = new Promise((resolve) => this.child.on('close', (code) => {
      this.waiter?.();
      resolve(code);
    }));
  }

  /** Everything the console printed so far. */
  get transcript(): string {
    return this.text;
  }

  /**
   * Waits until `pattern` appears after the cursor; returns the text from the cursor to the
   * end of the match and moves the cursor past it.
   */
  async waitFor(pattern: string | RegExp, timeoutMs = 60_000): Promise<string> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const rest = this.text.slice(this.cursor);
      let end = -1;
      if (typeof pattern === 'string') {
        const i = rest.indexOf(pattern);
        if (i >= 0) end = i + pattern.length;
      } else {
        const m = pattern.exec(rest);
        if (m !== null) end = m.index + m[0].length;
      }
      if (end >= 0) {
        this.cursor += end;
        return rest.slice(0, end);
      }
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`the program ended (status ${this.child.exitCode ?? this.child.signalCode}) before printing ${String(pattern)}; it printed:\n${rest.slice(-2000)}\nstderr: ${this.stderr}`);
      }
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`timed out waiting for ${String(pattern)}; the console shows:\n${rest.slice(-2000)}\nstderr: ${this.stderr}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 1000));
        this.waiter = () => {
          clearTimeout(t);
          this.waiter = undefined;
          resolve();
        };
      });
    }
  }

  /** Waits until `pattern` appears anywhere in what the program wrote to stderr; returns the match. */
  async waitForStderr(pattern: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const m = pattern.exec(this.stderr);
      if (m !== null) return m;
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`the program ended (status ${this.child.exitCode ?? this.child.signalCode}) before writing ${String(pattern)} to stderr; stderr: ${this.stderr}`);
      }
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`timed out waiting for ${String(pattern)} on stderr; stderr: ${this.stderr}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 1000));
        this.waiter = () => {
          clearTimeout(t);
          this.waiter = undefined;
          resolve();
        };
      });
    }
  }

  /** The process id, for tests that kill it the hard way. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  type(text: string): void {
    this.child.stdin.write(text);
  }

  /** Waits for the program to end; kills it after the timeout. */
  async exit(timeoutMs = 30_000): Promise<number | null> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
