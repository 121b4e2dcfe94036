/** Monitor expressions: values and error messages as QEMU 7.2's HMP gives them (measured). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ExpressionError, parseExpression } from '../../../src/vmm/monitor/expr.js';

const regs = (name: string): bigint | undefined => ({ pc: 0xffbd1c8n, r3: 0x10n, big: 0xffff_ffff_ffff_ffffn } as Record<string, bigint>)[name];
const value = (text: string): bigint => parseExpression(text, 0, regs).value;
const error = (text: string): string => {
  try {
    parseExpression(text, 0, regs);
  } catch (err) {
    assert.ok(err instanceof ExpressionError, `${text}: ${String(err)}`);
    return err.message;
  }
  return assert.fail(`"${text}" parsed`);
};

test('numbers: hex, decimal, octal with a leading 0, 64-bit range', () => {
  assert.equal(value('0x100'), 0x100n);
  assert.equal(value('0XfF'), 0xffn);
  assert.equal(value('256'), 256n);
  assert.equal(value('010'), 8n);
  assert.equal(value('0'), 0n);
  assert.equal(value('0xffffffffffffffff'), -1n, 'values are signed 64-bit');
  assert.equal(value('18446744073709551615'), -1n);
  assert.equal(error('18446744073709551616'), 'number too large');
  assert.equal(error('0x10000000000000000'), 'number too large');
});

test('a number stops at the first character that does not fit; the caller sees the rest', () => {
  for (const [text, v, end] of [
    ['08', 0n, 1],
    ['0x', 0n, 1],
    ['0xg', 0n, 1],
    ['1e3', 1n, 1],
    ['0x100 zz', 0x100n, 6],
    ['0x100)', 0x100n, 5],
  ] as const) {
    const r = parseExpression(text, 0);
    assert.equal(r.value, v, text);
    assert.equal(r.end, end, `${text}: end`);
  }
});

test('operators: + - loosest, then * / %, then & | ^ (QEMU precedence), unary + - ~, parentheses', () => {
  assert.equal(value('1+2*3'), 7n);
  assert.equal(value('2*3&1'), 2n, '& binds tighter than *');
  assert.equal(value('0x10|0x1^0x3'), 0x12n, 'left to right within a level');
  assert.equal(value('0x11 & 0xf0'), 0x10n);
  assert.equal(value('5-2'), 3n);
  assert.equal(value('7/2'), 3n);
  assert.equal(value('-7/2'), -3n, 'division truncates toward zero');
  assert.equal(value('-7%3'), -1n, 'the remainder has the sign of the dividend');
  assert.equal(value('-0x10'), -16n);
  assert.equal(value('~0'), -1n);
  assert.equal(value('+ - 3'), -3n);
  assert.equal(value(' ( 1 + 2 ) * 4 '), 12n, 'blanks anywhere between tokens');
  assert.equal(value('0x7fffffffffffffff+1'), -(1n << 63n), 'arithmetic wraps at 64 bits');
  assert.equal(value('0x100000000*0x100000000'), 0n);
});

test('character constants and registers', () => {
  assert.equal(value("'a'"), 0x61n);
  assert.equal(value("'''"), 0x27n);
  assert.equal(value('$pc+4'), 0xffbd1ccn);
  assert.equal(value('$r3 * 2'), 0x20n);
  assert.equal(value('$big'), -1n);
  assert.equal(error("'ab'"), "missing terminating ' character");
  assert.equal(error("'"), 'character constant expected');
  assert.equal(error('$foo'), 'unknown register');
  assert.equal(error('$'), 'unknown register');
  assert.equal(error('$ pc'), 'unknown register', 'the name follows the $ directly');
  assert.throws(() => parseExpression('$pc', 0), /unknown register/, 'without a lookup every register is unknown');
});

test("errors carry QEMU's messages", () => {
  assert.equal(error(''), 'unexpected end of expression');
  assert.equal(error('   '), 'unexpected end of expression');
  assert.equal(error('+'), 'unexpected end of expression');
  assert.equal(error('1 +'), 'unexpected end of expression');
  assert.equal(error('1-'), 'unexpected end of expression');
  assert.equal(error('xyz'), "invalid char 'x' in expression");
  assert.equal(error('/x'), "invalid char '/' in expression");
  assert.equal(error('(1'), "')' expected");
  assert.equal(error('1/0'), 'division by zero');
  assert.equal(error('1%(2-2)'), 'division by zero');
});

test('parsing starts where asked and reports where it stopped', () => {
  const r = parseExpression('gva2gpa  0x10 + 2  rest', 7);
  assert.equal(r.value, 0x12n);
  assert.equal(r.end, 19, 'after the blanks that follow the expression');
});
