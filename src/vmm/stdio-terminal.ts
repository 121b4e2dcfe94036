/**
 * The terminal ngkvm runs in: the guest's serial console (`--serial stdio`), the monitor
 * (`--monitor stdio`), or both multiplexed as QEMU's `mon:stdio` does: Ctrl-A c moves the
 * input focus between them, guest output keeps flowing while the monitor has it.
 *
 * Ctrl-A escapes (x quit, h help, c switch, C-a C-a for a literal C-a) are read from a
 * terminal always, and from piped input when the monitor is on stdio (QEMU's mux reads them
 * from any stdio). Piped input with only a console stays raw, byte for byte, as before.
 * Piped input that reaches the monitor waits for each command to finish before the next
 * byte is looked at, so a script's transcript comes out in order.
 */
import type { HostIo, HostPort, PortHost } from './serial-host.js';
import { IN_RING, InputFeeder, OUT_RING, OutputPump } from './serial-host.js';
import { writeWithBackpressure } from './backpressure.js';
import type { SerialRings } from './machine-worker.js';
import { LineEditor } from './monitor/line-editor.js';
import type { MonitorSession } from './monitor/session.js';
import { SharedRing } from './ring.js';

const CTRL_A = 0x01;

export interface StdioTerminalOptions {
  /** A serial port is on this terminal. */
  readonly serial: boolean;
  /** The monitor is on this terminal; the session writes through `write`. */
  readonly monitor?: (write: (text: string) => Promise<void> | void) => MonitorSession;
}

export class StdioTerminal {
  /** The serial port's host end, when a serial port is on this terminal. */
  readonly serialPort: HostPort | undefined;
  private readonly serial: { readonly out: SharedRing; readonly pump: OutputPump; readonly feeder: InputFeeder } | undefined;
  private readonly monitor: MonitorSession | undefined;
  private readonly editor = new LineEditor(true);
  private readonly interactive: boolean;
  private readonly escapes: boolean;
  private focus: 'serial' | 'monitor';
  private escape = false;
  private backlog: Buffer[] = [];
  private waiting = false;
  private ended = false;
  private opened = false;
  private closing: Promise<void> | undefined;
  private outputClosed = false;
  private readonly onData = (buf: Buffer): void => this.received(buf);
  private readonly onEnd = (): void => {
    this.ended = true;
    this.process();
  };
  private readonly onOutputError = (): void => {
    this.outputClosed = true;
  };

  constructor(
    private readonly io: HostIo,
    private readonly host: PortHost,
    options: StdioTerminalOptions,
  ) {
    this.interactive = io.stdin.isTTY === true;
    this.monitor = options.monitor?.((text) => this.write(text));
    this.escapes = this.interactive || this.monitor !== undefined;
    this.focus = options.serial ? 'serial' : 'monitor';
    if (options.serial) {
      const out = SharedRing.create(OUT_RING);
      const input = SharedRing.create(IN_RING);
      this.serial = {
        out,
        pump: new OutputPump(out, (bytes) => (this.outputClosed ? undefined : writeWithBackpressure(io.stdout, bytes))),
        feeder: new InputFeeder(input, () => host.inputAvailable(), !this.interactive),
      };
      const rings: SerialRings = { out: out.descriptor(), in: input.descriptor() };
      this.serialPort = { rings, open: () => this.open(), close: () => this.close() };
    }
    // A reader that went away (ngkvm … | head) is not the guest's problem: output is dropped.
    io.stdout.on('error', this.onOutputError);
  }

  /** Starts reading the terminal; opening twice (as a serial port and for the monitor) is fine. */
  open(): Promise<void> {
    if (this.opened) return Promise.resolve();
    this.opened = true;
    const stdin = this.io.stdin;
    if (this.interactive) stdin.setRawMode(true);
    stdin.on('data', this.onData);
    stdin.on('end', this.onEnd);
    stdin.resume();
    this.serial?.pump.start();
    if (this.focus === 'monitor') this.monitor?.show();
    return Promise.resolve();
  }

  /** Stops reading and flushes the guest's last output; closing twice is fine. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.monitor?.close();
      this.serial?.feeder.close();
      if (this.opened) {
        const stdin = this.io.stdin;
        stdin.off('data', this.onData);
        stdin.off('end', this.onEnd);
        if (this.interactive) stdin.setRawMode(false);
        stdin.pause();
      }
      await this.serial?.pump.stop();
      this.io.stdout.off('error', this.onOutputError);
    })();
    return this.closing;
  }

  /** Monitor output and echo; a promise while stdout is full (the next monitor line waits for it). */
  private write(text: string | Uint8Array): Promise<void> | void {
    if (!this.outputClosed) return writeWithBackpressure(this.io.stdout, typeof text === 'string' ? text : Buffer.from(text));
  }

  private received(buf: Buffer): void {
    if (!this.escapes) {
      this.serial?.feeder.push(new Uint8Array(buf));
      return;
    }
    this.backlog.push(buf);
    this.process();
  }

  /** Works through the input in order until it is used up or a monitor command must finish first. */
  private process(): void {
    let toSerial: number[] = [];
    const flushSerial = (): void => {
      if (toSerial.length > 0) this.serial?.feeder.push(Uint8Array.from(toSerial));
      toSerial = [];
    };
    while (!this.waiting && this.backlog.length > 0) {
      const buf = this.backlog[0]!;
      let i = 0;
      for (; i < buf.length && !this.waiting; i++) {
        const b = buf[i]!;
        let deliver = true;
        if (this.escape) {
          this.escape = false;
          deliver = b === CTRL_A;
          if (b === 0x78 /* x */) {
            flushSerial();
            this.backlog = [];
            this.io.stderr.write('ngkvm: Terminated\r\n');
            this.host.quit();
            return;
          }
          if (b === 0x68 /* h */ || b === 0x3f /* ? */) this.io.stderr.write(this.escapeHelp());
          else if (b === 0x63 /* c */) {
            flushSerial();
            this.switchFocus();
          }
        } else if (b === CTRL_A) {
          this.escape = true;
          deliver = false;
        }
        if (!deliver) continue;
        if (this.focus === 'serial') {
          toSerial.push(b);
          continue;
        }
        const r = this.editor.push(b);
        if (r.echo !== '') void this.write(Buffer.from(r.echo, 'latin1'));
        if (r.line !== undefined && this.monitor !== undefined) {
          const done = this.monitor.submit(r.line);
          if (!this.interactive) {
            this.waiting = true;
            void done.then(() => {
              this.waiting = false;
              this.process();
            });
          }
        }
      }
      if (i >= buf.length) this.backlog.shift();
      else this.backlog[0] = buf.subarray(i);
    }
    flushSerial();
    if (this.ended && !this.waiting && this.backlog.length === 0) this.serial?.feeder.end();
  }

  /** Ctrl-A c: console ⇄ monitor (only when both are here). */
  private switchFocus(): void {
    if (this.serial === undefined || this.monitor === undefined) return;
    if (this.focus === 'monitor') {
      this.editor.reset();
      this.monitor.hide();
      this.focus = 'serial';
    } else {
      this.focus = 'monitor';
      this.monitor.show();
    }
  }

  private escapeHelp(): string {
    return [
      'C-a h    print this help',
      'C-a x    exit emulator',
      ...(this.serial !== undefined && this.monitor !== undefined ? ['C-a c    switch between console and monitor'] : []),
      'C-a C-a  sends C-a',
      '',
    ].join('\r\n');
  }
}
