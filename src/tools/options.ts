/**
 * Command-line option parsing for `ngkvm run`: a table of options (each with help text), QEMU
 * spellings accepted as aliases (`-M`, `-m`, `-bios`, `-no-reboot`), and errors that name the
 * bad argument and suggest the closest known option.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface OptionSpec {
  /** Canonical long name without dashes. */
  readonly name: string;
  readonly aliases?: readonly string[];
  /** Placeholder for the value; absent for flags. */
  readonly value?: string;
  /** May be given more than once; the values are collected in order. */
  readonly repeatable?: boolean;
  readonly help: string;
}

/** Flags map to true, options to their value, repeatable options to all their values. */
export type ParsedOptions = Map<string, string | true | readonly string[]>;

export function parseOptions(argv: readonly string[], specs: readonly OptionSpec[]): ParsedOptions {
  const byName = new Map<string, OptionSpec>();
  for (const s of specs) {
    byName.set(s.name, s);
    for (const a of s.aliases ?? []) byName.set(a, s);
  }
  const out: ParsedOptions = new Map();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-') || arg === '-' || arg === '--') {
      throw new UsageError(`unexpected argument "${arg}" (options start with --; see --help)`);
    }
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const key = eq >= 0 ? body.slice(0, eq) : body;
    const spec = byName.get(key);
    if (spec === undefined) {
      const hint = suggest(key, [...byName.keys()]);
      throw new UsageError(`unknown option "${arg}"${hint !== undefined ? ` (did you mean --${hint}?)` : ''}; see --help`);
    }
    if (spec.value === undefined) {
      if (eq >= 0) throw new UsageError(`option --${spec.name} takes no value`);
      out.set(spec.name, true);
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) value = body.slice(eq + 1);
    else {
      value = argv[i + 1];
      i++;
    }
    if (value === undefined || value === '') throw new UsageError(`option --${spec.name} needs a value (${spec.value})`);
    if (spec.repeatable === true) {
      const prev = out.get(spec.name);
      out.set(spec.name, [...(Array.isArray(prev) ? (prev as readonly string[]) : []), value]);
      continue;
    }
    if (out.has(spec.name)) throw new UsageError(`option --${spec.name} given more than once`);
    out.set(spec.name, value);
  }
  return out;
}

/** The closest option name by edit distance, if it is close enough to be a typo. */
function suggest(key: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const n of names) {
    const d = editDistance(key, n);
    if (d < bestD) {
      bestD = d;
      best = n;
    }
  }
  return bestD <= Math.max(1, Math.floor(key.length / 3)) ? best : undefined;
}

/** Edit distance counting an adjacent transposition as one edit (typos like "bois"). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * A size as QEMU reads `-m`: a number of MiB, or a number with a K/M/G/T suffix
 * (optionally followed by B or iB).
 */
export function parseSize(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)(?:i?[bB])?$/.exec(text.trim());
  if (m === null) throw new UsageError(`${what} "${text}" is not a size (examples: 256, 256M, 1G)`);
  const n = Number(m[1]);
  const unit = (m[2] ?? '').toUpperCase();
  const mult = unit === 'K' ? 1024 : unit === 'G' ? 1024 ** 3 : unit === 'T' ? 1024 ** 4 : 1024 ** 2;
  const bytes = Math.round(n * mult);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new UsageError(`${what} "${text}" is out of range`);
  return bytes;
}

export function formatHelp(specs: readonly OptionSpec[]): string {
  const rows = specs.map((s) => {
    const names = [`--${s.name}`, ...(s.aliases ?? []).map((a) => (a.length === 1 ? `-${a}` : `-${a}`))].join(', ');
    return [`${names}${s.value !== undefined ? ` ${s.value}` : ''}`, s.help] as const;
  });
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  return rows.map(([l, h]) => `  ${l.padEnd(width)}${h}`).join('\n');
}
