/** The monitor's front end: local line editing, and a session's greeting, prompts and ordering. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LineEditor } from '../../../src/vmm/monitor/line-editor.js';
import { MonitorSession } from '../../../src/vmm/monitor/session.js';

function type(editor: LineEditor, text: string): { echo: string; lines: string[] } {
  let echo = '';
  const lines: string[] = [];
  for (const b of Buffer.from(text, 'utf8')) {
    const r = editor.push(b);
    echo += r.echo;
    if (r.line !== undefined) lines.push(r.line);
  }
  return { echo, lines };
}

test('line editor: echo, Enter as CR, LF or CR LF', () => {
  const e = new LineEditor(true);
  assert.deepEqual(type(e, 'info tlb\r'), { echo: 'info tlb\r\n', lines: ['info tlb'] });
  assert.deepEqual(type(e, '\nhelp\n'), { echo: 'help\r\n', lines: ['help'] }, 'the LF of CR LF is not a second line');
  assert.deepEqual(type(e, '\n\n').lines, ['', ''], 'empty lines are lines');
});

test('line editor: Backspace, Delete, Ctrl-U; control keys and escape sequences are not typed', () => {
  const e = new LineEditor(true);
  assert.deepEqual(type(e, 'infx\x7fo\bo tlb\r'), { echo: 'infx\b \bo\b \bo tlb\r\n', lines: ['info tlb'] });
  assert.deepEqual(type(e, 'junk\x15q\r'), { echo: `junk${'\b \b'.repeat(4)}q\r\n`, lines: ['q'] });
  assert.deepEqual(type(e, '\x7f\x7fa\x1b[Ab\x1bOPc\x1b[1;5Dd\x03\x07\r').lines, ['abcd'], 'arrows, F1, Ctrl-arrows, Ctrl-C, BEL');
  assert.deepEqual(type(e, 'gva2gpa\t0x100\r').lines, ['gva2gpa 0x100'], 'Tab is a blank');
  assert.deepEqual(type(e, 'é€\x7fx\r'), { echo: 'Ã©â\x82¬\b \bx\r\n', lines: ['éx'] }, 'a UTF-8 character is erased whole');
});

test('line editor: without echo (a socket) it only splits lines; over-long lines are cut', () => {
  const e = new LineEditor(false);
  assert.deepEqual(type(e, 'a\x7fb\r\nc\n'), { echo: '', lines: ['b', 'c'] });
  assert.equal(type(e, 'x'.repeat(5000) + '\n').lines[0]!.length, 4095);
  e.push(0x61);
  e.reset();
  assert.deepEqual(type(e, 'b\n').lines, ['b'], 'reset forgets a half-typed line');
});

function session(results: Record<string, string | null> = {}): { s: MonitorSession; out: string[]; release: (line: string) => void } {
  const out: string[] = [];
  const gates = new Map<string, () => void>();
  const s = new MonitorSession({
    version: '1.2.3',
    write: (t) => {
      out.push(t);
    },
    execute: async (line) => {
      if (line.startsWith('slow')) await new Promise<void>((r) => gates.set(line, r));
      return line in results ? results[line]! : `ran ${line}\n`;
    },
  });
  return { s, out, release: (line) => gates.get(line)?.() };
}

test('session: greeting once, a prompt after every command, CR LF line ends', async () => {
  const { s, out } = session({ multi: 'a\nb\n', silent: '' });
  s.show();
  assert.equal(out.splice(0).join(''), "ngkvm 1.2.3 monitor - type 'help' for more information\r\n(qemu) ");
  await s.submit('multi');
  await s.submit('silent');
  assert.deepEqual(out.splice(0), ['a\r\nb\r\n(qemu) ', '(qemu) ']);
  s.hide();
  s.show();
  assert.deepEqual(out.splice(0), ['\r\n', '(qemu) '], 'switching back shows a prompt, not the greeting');
});

test('session: lines run one at a time, in order, each followed by its prompt', async () => {
  const { s, out, release } = session();
  s.show();
  out.length = 0;
  const first = s.submit('slow 1');
  const second = s.submit('fast');
  assert.equal(s.idle, false);
  // Every promise the session could settle without the gate settles before this (no timing).
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(out, [], 'the second line waits for the first');
  release('slow 1');
  await first;
  await second;
  assert.deepEqual(out, ['ran slow 1\r\n(qemu) ', 'ran fast\r\n(qemu) ']);
  assert.equal(s.idle, true);
});

test('session: output of a command that ends while the console has the focus is shown with the next prompt', async () => {
  const { s, out, release } = session();
  s.show();
  const done = s.submit('slow x');
  s.hide();
  release('slow x');
  await done;
  assert.equal(out.splice(0).join('').replace(/^.*\(qemu\) /s, ''), '\r\n', 'nothing printed over the console');
  s.show();
  assert.deepEqual(out, ['ran slow x\r\n', '(qemu) ']);
});

test('session: when the machine has stopped (null), nothing more is printed', async () => {
  const { s, out } = session({ quit: null });
  s.show();
  out.length = 0;
  await s.submit('quit');
  await s.submit('help');
  assert.deepEqual(out, []);
});
