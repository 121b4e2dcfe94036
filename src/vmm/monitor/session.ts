/**
 * One person (or script) at the monitor: the greeting, the prompt, lines run one after
 * another, and output in QEMU's line endings (the monitor always sends CR LF). A
 * multiplexed terminal hides the session while the console has the focus: output is held and
 * shown with the next prompt when the monitor gets the focus back, as QEMU does.
 *
 * Backpressure: when the client's end cannot take more output (`write` returns a promise),
 * the next line waits until it can, so a client that sends commands and never reads costs one
 * command's output, not the output of every command it sent.
 */

/**
 * QEMU's prompt, verbatim: scripts and expect-style tools written for QEMU wait for it, and a
 * transcript of ngkvm's monitor then diffs cleanly against QEMU's. The greeting and
 * `info version` are where ngkvm says its own name.
 */
export const PROMPT = '(qemu) ';

export interface MonitorSessionOptions {
  /** Runs a line on the machine thread; null when the machine stopped. */
  readonly execute: (line: string) => Promise<string | null>;
  /** Sends text to the client; a promise means "full: resolves when it can take more". */
  readonly write: (text: string) => Promise<void> | void;
  readonly version: string;
}

export class MonitorSession {
  private greeted = false;
  private visible = false;
  private held = '';
  private queue: { line: string; done: () => void }[] = [];
  private running = false;
  private closed = false;

  constructor(private readonly options: MonitorSessionOptions) {}

  /** The monitor gets the focus: the greeting the first time, then held output and a prompt. */
  show(): void {
    if (this.closed) return;
    this.visible = true;
    if (!this.greeted) {
      this.greeted = true;
      void this.out(`ngkvm ${this.options.version} monitor - type 'help' for more information\n`);
    }
    if (this.held !== '') {
      const h = this.held;
      this.held = '';
      void this.out(h);
    }
    if (!this.running) void this.out(PROMPT);
  }

  /** The console gets the focus. */
  hide(): void {
    if (this.visible) void this.out('\n');
    this.visible = false;
  }

  /** Runs `line` after the lines before it; resolves once its output is written (or held). */
  submit(line: string): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((done) => {
      this.queue.push({ line, done });
      void this.drain();
    });
  }

  /** True when no line is running or waiting. */
  get idle(): boolean {
    return !this.running && this.queue.length === 0;
  }

  /** Lines submitted and not yet finished (the one running included). */
  get pending(): number {
    return this.queue.length + (this.running ? 1 : 0);
  }

  close(): void {
    this.closed = true;
    for (const q of this.queue) q.done();
    this.queue = [];
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (!this.closed && this.queue.length > 0) {
        const { line, done } = this.queue.shift()!;
        const output = await this.options.execute(line);
        // Every command ends with a prompt, even with more lines queued: a client reading
        // up to the prompt gets exactly one command's output. The next command runs only
        // once the client's end has taken this output.
        if (output !== null) await this.out(output + PROMPT);
        done();
        if (output === null) this.close();
      }
    } finally {
      this.running = false;
    }
  }

  private out(text: string): Promise<void> | void {
    if (this.closed) return;
    if (!this.visible) {
      // show() prints the prompt again; held output keeps only what commands printed.
      this.held += text.endsWith(PROMPT) ? text.slice(0, -PROMPT.length) : text;
      return;
    }
    return this.options.write(text.replace(/\n/g, '\r\n'));
  }
}
