import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Uart16550, type SerialBackend } from '../../../src/devices/uart16550.js';

function uart(input: number[] = []): { u: Uart16550; out: number[]; input: number[]; irqs: boolean[] } {
  const out: number[] = [];
  const backend: SerialBackend = { write: (b) => out.push(b), read: () => input.shift() ?? -1 };
  const u = new Uart16550('uart0', backend);
  const irqs: boolean[] = [];
  u.onIrq = (l) => irqs.push(l);
  return { u, out, input, irqs };
}

test('reset state reads as QEMU 7.2 shows it: LSR 0x60, MSR 0xB0, IIR 0x01', () => {
  const { u } = uart();
  assert.equal(u.read(5), 0x60);
  assert.equal(u.read(6), 0xb0);
  assert.equal(u.read(2), 0x01);
});

test('THR writes reach the backend; the divisor latch shadows THR/IER while DLAB is set', () => {
  const { u, out } = uart();
  u.write(3, 1, 0x83);
  u.write(0, 1, 0xd9);
  u.write(1, 1, 0x00);
  assert.equal(u.read(0), 0xd9);
  u.write(3, 1, 0x03);
  u.write(0, 1, 0x41);
  assert.deepEqual(out, [0x41]);
  assert.equal(u.read(3), 0x03);
});

test('input: LSR[DR] when a byte waits; the FIFO takes at most 16 and nothing is lost', () => {
  const bytes = Array.from({ length: 40 }, (_, i) => i);
  const { u, input } = uart([...bytes]);
  u.write(2, 1, 0x07); // FIFO on
  assert.equal(u.read(5) & 1, 1);
  assert.equal(input.length, 40 - 16, 'only a FIFO-full of input is taken');
  const got: number[] = [];
  while (u.read(5) & 1) got.push(u.read(0));
  assert.deepEqual(got, bytes);
});

test('IIR reports the FIFO bits and causes in priority order; THRI is acknowledged by reading IIR', () => {
  const { u, irqs } = uart([0x61]);
  u.write(2, 1, 0x01);
  u.write(1, 1, 0x03); // RDI | THRI
  assert.equal(u.read(2), 0xc4, 'received data first');
  u.read(0);
  assert.equal(u.read(2), 0xc2, 'then THR empty');
  assert.equal(u.read(2), 0xc1, 'reading IIR acknowledged it');
  assert.deepEqual(irqs, [true, false]);
});

test('loopback: written bytes come back and modem inputs follow the outputs', () => {
  const { u, out } = uart();
  u.write(4, 1, 0x10 | 0x03);
  u.write(0, 1, 0x5a);
  assert.deepEqual(out, [], 'nothing leaves in loopback');
  assert.equal(u.read(0), 0x5a);
  assert.equal(u.read(6) & 0x30, 0x30, 'CTS and DSR follow RTS and DTR');
});

test('a receive FIFO reset gives unread input back: typed-ahead bytes survive firmware init', () => {
  const { u, input } = uart([0x61, 0x62, 0x63]);
  u.write(2, 1, 0x07); // FIFO on: takes a, b, c
  assert.equal(input.length, 0);
  assert.equal(u.read(0), 0x61, 'the guest reads one byte');
  u.write(2, 1, 0x07); // firmware resets the FIFOs again
  const got: number[] = [];
  while (u.read(5) & 1) got.push(u.read(0));
  assert.deepEqual(got, [0x62, 0x63], 'the unread bytes come back, in order, and the read one does not');
  input.push(0x64);
  u.reset();
  u.write(2, 1, 0x01);
  assert.equal(u.read(0), 0x64, 'a device reset keeps queued input too');
});

test('interrupt-driven receive: RDA interrupt at the trigger level, cleared by reading below it', () => {
  const { u, irqs } = uart([1, 2, 3, 4, 5]);
  u.write(1, 1, 0x01); // IER: received data available
  u.write(2, 1, 0x41); // FIFO on, trigger level 4
  assert.equal(u.read(2) & 0x0f, 0x04, 'IIR: received data available');
  assert.equal(irqs.at(-1), true);
  u.read(0);
  u.read(0);
  assert.equal(u.read(2) & 0x0f, 0x0c, 'below the trigger level with data waiting: character timeout');
  while (u.read(5) & 1) u.read(0);
  assert.equal(u.read(2) & 0x0f, 0x01, 'nothing pending');
  assert.equal(irqs.at(-1), false);
});
