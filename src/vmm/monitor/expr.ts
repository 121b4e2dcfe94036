/**
 * Numbers in monitor commands, read as QEMU's HMP reads them, so that what works (and what
 * fails, with which message) in a QEMU monitor session works the same here.
 *
 * Facts measured on QEMU 7.2 that this follows:
 * - Values are signed 64-bit and wrap. Precedence is unusual: `+ -` bind loosest, then
 *   `* / %`, then `& | ^` (so `2*3&1` is 2), then the unary `+ - ~`, parentheses, character
 *   constants ('a') and `$register`.
 * - Numbers are C `strtoull` with base 0: `0x…` hex, a leading 0 octal, otherwise decimal.
 *   Reading stops at the first character that does not fit (`08` is 0, followed by `8`;
 *   `0x` alone is 0, followed by `x`), and what follows is the caller's problem.
 * - Messages: "unexpected end of expression", "invalid char 'x' in expression",
 *   "number too large", "division by zero", "')' expected", "character constant expected",
 *   "missing terminating ' character", "unknown register".
 */

/** A malformed expression; `message` is what QEMU prints for it. */
export class ExpressionError extends Error {
  readonly code = 'ERR_MONITOR_EXPRESSION';
  constructor(message: string) {
    super(message);
    this.name = 'ExpressionError';
  }
}

/** Looks up `$name`; undefined when there is no such register. */
export type RegisterLookup = (name: string) => bigint | undefined;

export interface ParsedExpression {
  /** Signed 64-bit value. */
  readonly value: bigint;
  /** Index of the first character after the expression and the blanks that follow it. */
  readonly end: number;
}

/** C isspace in the "C" locale. */
export function isBlank(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\v' || ch === '\f' || ch === '\r';
}

const U64_LIMIT = 1n << 64n;
/** QEMU copies register names into a 128-byte buffer. */
const MAX_REGISTER_NAME = 127;

/**
 * Reads one expression starting at `start` (leading blanks allowed). Throws ExpressionError.
 * `registers` resolves `$name`; without it every register is unknown.
 */
export function parseExpression(text: string, start: number, registers?: RegisterLookup): ParsedExpression {
  const p = new ExpressionReader(text, start, registers);
  p.skipBlanks();
  const value = p.sum();
  return { value, end: p.pos };
}

class ExpressionReader {
  pos: number;

  constructor(
    private readonly text: string,
    start: number,
    private readonly registers: RegisterLookup | undefined,
  ) {
    this.pos = start;
  }

  private get ch(): string | undefined {
    return this.text[this.pos];
  }

  skipBlanks(): void {
    while (isBlank(this.ch)) this.pos++;
  }

  /** Consumes the current character and the blanks after it. */
  private advance(): void {
    this.pos++;
    this.skipBlanks();
  }

  sum(): bigint {
    let v = this.product();
    for (let op = this.ch; op === '+' || op === '-'; op = this.ch) {
      this.advance();
      const rhs = this.product();
      v = wrap(op === '+' ? v + rhs : v - rhs);
    }
    return v;
  }

  private product(): bigint {
    let v = this.logic();
    for (let op = this.ch; op === '*' || op === '/' || op === '%'; op = this.ch) {
      this.advance();
      const rhs = this.logic();
      if (op === '*') v = wrap(v * rhs);
      else {
        if (rhs === 0n) throw new ExpressionError('division by zero');
        // BigInt division truncates toward zero and % takes the dividend's sign, as in C.
        v = wrap(op === '/' ? v / rhs : v % rhs);
      }
    }
    return v;
  }

  private logic(): bigint {
    let v = this.unary();
    for (let op = this.ch; op === '&' || op === '|' || op === '^'; op = this.ch) {
      this.advance();
      const rhs = this.unary();
      v = op === '&' ? v & rhs : op === '|' ? v | rhs : v ^ rhs;
    }
    return v;
  }

  private unary(): bigint {
    const c = this.ch;
    switch (c) {
      case '+':
        this.advance();
        return this.unary();
      case '-':
        this.advance();
        return wrap(-this.unary());
      case '~':
        this.advance();
        return ~this.unary();
      case '(': {
        this.advance();
        const v = this.sum();
        if (this.ch !== ')') throw new ExpressionError("')' expected");
        this.advance();
        return v;
      }
      case "'":
        return this.characterConstant();
      case '$':
        return this.register();
      case undefined:
        throw new ExpressionError('unexpected end of expression');
      default:
        return this.number();
    }
  }

  private characterConstant(): bigint {
    this.pos++;
    const c = this.ch;
    if (c === undefined) throw new ExpressionError('character constant expected');
    // QEMU reads a C `char`, which is signed on its usual hosts.
    const code = c.charCodeAt(0);
    const v = BigInt(code >= 0x80 && code <= 0xff ? code - 0x100 : code);
    this.pos++;
    if (this.ch !== "'") throw new ExpressionError("missing terminating ' character");
    this.advance();
    return v;
  }

  private register(): bigint {
    this.pos++;
    const from = this.pos;
    while (/^[A-Za-z0-9_.]$/.test(this.ch ?? '')) this.pos++;
    const name = this.text.slice(from, this.pos).slice(0, MAX_REGISTER_NAME);
    this.skipBlanks();
    const v = this.registers?.(name);
    if (v === undefined) throw new ExpressionError('unknown register');
    return BigInt.asIntN(64, v);
  }

  private number(): bigint {
    const { text } = this;
    const start = this.pos;
    let i = start;
    let radix = 10;
    if (text[i] === '0' && (text[i + 1] === 'x' || text[i + 1] === 'X') && digitValue(text[i + 2], 16) >= 0) {
      radix = 16;
      i += 2;
    } else if (text[i] === '0') {
      radix = 8;
    }
    let v = 0n;
    const digitsFrom = i;
    for (let d = digitValue(text[i], radix); d >= 0; d = digitValue(text[i], radix)) {
      v = v * BigInt(radix) + BigInt(d);
      i++;
    }
    if (i === digitsFrom) throw new ExpressionError(`invalid char '${text[start]!}' in expression`);
    if (v >= U64_LIMIT) throw new ExpressionError('number too large');
    this.pos = i;
    this.skipBlanks();
    return BigInt.asIntN(64, v);
  }
}

function digitValue(ch: string | undefined, radix: number): number {
  if (ch === undefined) return -1;
  const d = parseInt(ch, 36);
  return Number.isNaN(d) || d >= radix ? -1 : d;
}

function wrap(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}
