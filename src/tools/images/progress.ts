/**
 * Progress for long builds: numbered steps, and for each external command a live count of
 * the files it has built (from `make`'s "  CC  path" lines) against the count the previous
 * build of the same kind needed. On a terminal one line is redrawn; otherwise a line is
 * printed every half minute, so CI logs show the build is alive without drowning in it.
 * The command's full output goes to a log file, whose tail is shown when it fails.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';

export class BuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BuildError';
  }
}

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Everything the command prints goes here. */
  readonly log: string;
  /** Lines that count as one unit of work (e.g. make's "  CC  file.o"). */
  readonly unit?: RegExp;
  /** Units the previous build needed, for a percentage. */
  readonly expectedUnits?: number;
}

const QUIET_INTERVAL_MS = 30_000;

export class Progress {
  private stepNo = 0;
  private readonly tty: boolean;
  private label = '';

  constructor(
    private readonly name: string,
    private readonly totalSteps: number,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = out.isTTY === true;
  }

  step(label: string): void {
    this.stepNo++;
    this.label = label;
    this.line(`${this.prefix()} ${label}`, true);
  }

  /** A finished step that needed no work (found in the cache). */
  note(text: string): void {
    this.line(`${this.name}: ${text}`, true);
  }

  private prefix(): string {
    return `${this.name} [${this.stepNo}/${this.totalSteps}]`;
  }

  private line(text: string, final: boolean): void {
    if (this.tty) this.out.write(`\r\x1b[K${text}${final ? '\n' : ''}`);
    else if (final || text !== '') this.out.write(`${text}\n`);
  }

  /** Runs a command to completion; returns the number of units it did. Throws BuildError on failure. */
  run(cmd: string, args: readonly string[], opts: RunOptions): Promise<number> {
    const start = Date.now();
    const fd = openSync(opts.log, 'a');
    writeSync(fd, `$ ${cmd} ${args.join(' ')}\n`);
    let units = 0;
    let lastQuiet = start;
    const show = (): void => {
      const secs = Math.round((Date.now() - start) / 1000);
      const elapsed = `${Math.floor(secs / 60)}m${String(secs % 60).padStart(2, '0')}s`;
      const count =
        opts.unit === undefined
          ? ''
          : opts.expectedUnits !== undefined && opts.expectedUnits > 0
            ? ` ${Math.min(99, Math.floor((100 * units) / opts.expectedUnits))}% (${units} files)`
            : ` ${units} files`;
      const text = `${this.prefix()} ${this.label}:${count} ${elapsed}`;
      if (this.tty) this.line(text, false);
      else if (Date.now() - lastQuiet >= QUIET_INTERVAL_MS) {
        lastQuiet = Date.now();
        this.line(text, true);
      }
    };
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let partial = '';
      const onData = (b: Buffer): void => {
        writeSync(fd, b);
        if (opts.unit === undefined) return;
        const text = partial + b.toString('latin1');
        const lines = text.split('\n');
        partial = lines.pop() ?? '';
        for (const l of lines) if (opts.unit.test(l)) units++;
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      const timer = setInterval(show, 1000);
      child.on('error', (e) => {
        clearInterval(timer);
        closeSync(fd);
        reject(new BuildError(`${this.label}: cannot run ${cmd}: ${e.message}`));
      });
      child.on('close', (code, signal) => {
        clearInterval(timer);
        closeSync(fd);
        if (this.tty) this.line('', false);
        if (code === 0) {
          resolve(units);
          return;
        }
        const tail = readFileSync(opts.log, 'latin1').split('\n').slice(-25).join('\n');
        reject(new BuildError(`${this.label}: ${cmd} ${signal !== null ? `was killed by ${signal}` : `failed with status ${code}`}; the end of its log (${opts.log}):\n${tail}`));
      });
    });
  }
}
