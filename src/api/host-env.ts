/**
 * What the lower layers (API, accelerators, devices, boards) take from their host, so the
 * same modules run under Node and in a browser (web/): environment variables, the line
 * logger of last resort and a monotonic clock. Under Node each is exactly what it was before
 * (process.env, process.stderr, process.hrtime); elsewhere the nearest web platform
 * equivalent.
 */

interface NodeLikeProcess {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly stderr?: { write(s: string): unknown };
  readonly hrtime?: { bigint(): bigint };
}

const proc = (globalThis as { process?: NodeLikeProcess }).process;

/** An environment variable (NGKVM_JIT, …); always undefined in a browser. */
export function hostEnv(name: string): string | undefined {
  return proc?.env?.[name];
}

/** Writes a line for the user: stderr under Node, the console elsewhere. */
export const hostLogLine: (line: string) => void =
  // process.stderr is looked up per line, as before: Node creates the stream on first use.
  proc !== undefined ? (line) => void proc.stderr?.write(line + '\n') : (line) => console.error(line);

/**
 * Monotonic nanoseconds. A browser's performance.now() is coarser (5-100 µs, by the page's
 * isolation), which only makes device timers fire a little late, as a busy host would.
 */
export const hostMonotonicNs: () => number =
  proc?.hrtime !== undefined ? () => Number(proc.hrtime!.bigint()) : () => Math.round(performance.now() * 1e6);
