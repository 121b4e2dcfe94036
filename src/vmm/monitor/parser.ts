/**
 * Turns a monitor line into a command and its arguments, or into the error text QEMU 7.2
 * prints for it. Measured behaviour this reproduces:
 * - a command name ends at a blank or `/`; an unknown one prints
 *   `unknown command: '<the line up to the end of that name>'`;
 * - a word after a command with subcommands (`info tlbx`) is looked up in its table;
 * - an argument error prints its message, then `Try "help <line up to the command name>" for
 *   more information`; leftovers print `<name>: extraneous characters at the end of line`
 *   (the name as registered, `quit|q` included) and the same hint;
 * - a blank line does nothing.
 */
import { ExpressionError, isBlank, parseExpression, type RegisterLookup } from './expr.js';
import { DumpFormatError, parseDumpFormat } from './memory-dump.js';
import type { ArgValue, CommandDef, CommandTable } from './registry.js';

export type ParsedLine =
  | { readonly kind: 'empty' }
  | { readonly kind: 'error'; readonly output: string }
  | { readonly kind: 'command'; readonly command: CommandDef; readonly args: ReadonlyMap<string, ArgValue> };

function skipBlanks(text: string, pos: number): number {
  while (isBlank(text[pos])) pos++;
  return pos;
}

/** A command word at `pos`: null at the end of the line, else the word (maybe empty, before `/`) and where it ends. */
export function readCommandName(text: string, pos: number): { readonly name: string; readonly end: number } | null {
  let p = skipBlanks(text, pos);
  if (p >= text.length) return null;
  const start = p;
  while (p < text.length && text[p] !== '/' && !isBlank(text[p])) p++;
  return { name: text.slice(start, p), end: p };
}

/**
 * One string argument: a bare word, or a double-quoted string with the escapes \n \r \\ \'
 * \" (any other escape, or a missing closing quote, is not a string). Null when there is none.
 */
export function readString(text: string, pos: number): { readonly value: string; readonly end: number } | null {
  let p = skipBlanks(text, pos);
  if (p >= text.length) return null;
  if (text[p] !== '"') {
    const start = p;
    while (p < text.length && !isBlank(text[p])) p++;
    return { value: text.slice(start, p), end: p };
  }
  let value = '';
  for (p++; ; p++) {
    const c = text[p];
    if (c === undefined) return null;
    if (c === '"') return { value, end: p + 1 };
    if (c !== '\\') {
      value += c;
      continue;
    }
    const e = text[++p];
    const escaped = e === 'n' ? '\n' : e === 'r' ? '\r' : e === '\\' || e === "'" || e === '"' ? e : undefined;
    if (escaped === undefined) return null;
    value += escaped;
  }
}

/** QEMU splits `help`'s argument into at most this many words. */
const MAX_WORDS = 16;

/** Splits text into string arguments (for `help`); null when one is malformed or there are too many. */
export function splitWords(text: string): string[] | null {
  const words: string[] = [];
  for (let p = skipBlanks(text, 0); p < text.length; p = skipBlanks(text, p)) {
    if (words.length >= MAX_WORDS) return null;
    const s = readString(text, p);
    if (s === null) return null;
    words.push(s.value);
    p = s.end;
  }
  return words;
}

export function parseCommandLine(line: string, table: CommandTable, registers: RegisterLookup): ParsedLine {
  let current = table;
  let pos = 0;
  let command: CommandDef | undefined;
  let nameEnd = 0;
  for (;;) {
    const word = readCommandName(line, pos);
    // Only the first word can be missing: a sub-table is entered when something follows.
    if (word === null) return { kind: 'empty' };
    command = current.find(word.name);
    if (command === undefined) return { kind: 'error', output: `unknown command: '${line.slice(0, word.end)}'\n` };
    nameEnd = word.end;
    pos = skipBlanks(line, word.end);
    if (command.subcommands === undefined || pos >= line.length) break;
    current = command.subcommands;
  }
  const fail = (message: string): ParsedLine => ({
    kind: 'error',
    output: `${message}\nTry "help ${line.slice(0, nameEnd)}" for more information\n`,
  });

  const args = new Map<string, ArgValue>();
  for (const spec of command.args) {
    pos = skipBlanks(line, pos);
    if (spec.optional === true && pos >= line.length) continue;
    switch (spec.kind) {
      case 'expr':
      case 'int32': {
        let value: bigint;
        try {
          const e = parseExpression(line, pos, registers);
          value = e.value;
          pos = e.end;
        } catch (err) {
          if (err instanceof ExpressionError) return fail(err.message);
          throw err;
        }
        if (spec.kind === 'int32' && BigInt.asUintN(32, value >> 32n) !== 0n) {
          return fail(`'${command.name}' has failed: integer is for 32-bit values`);
        }
        args.set(spec.name, value);
        break;
      }
      case 'string': {
        const s = readString(line, pos);
        if (s === null) return fail(`${command.name}: string expected`);
        args.set(spec.name, s.value);
        pos = s.end;
        break;
      }
      case 'format': {
        try {
          const f = parseDumpFormat(line, pos);
          args.set(spec.name, f.spec);
          pos = f.end;
        } catch (err) {
          if (err instanceof DumpFormatError) return fail(err.message);
          throw err;
        }
        break;
      }
      case 'rest':
        if (pos >= line.length) return fail(`${command.name}: string expected`);
        args.set(spec.name, line.slice(pos));
        pos = line.length;
        break;
    }
  }
  if (skipBlanks(line, pos) < line.length) return fail(`${command.name}: extraneous characters at the end of line`);
  return { kind: 'command', command, args };
}
