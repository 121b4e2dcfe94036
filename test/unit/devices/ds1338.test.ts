/**
 * The DS1338 RTC as an I2C target: the register pointer, BCD time read from an injected wall
 * clock, setting the time (an offset from the wall clock), 12/24-hour mode, the clock-halt
 * bit, the control register and the NVRAM. Transfers go through an I2cBus, as the controller
 * issues them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { wallClockFrom } from '../../../src/devices/clock.js';
import { Ds1338 } from '../../../src/devices/i2c/ds1338.js';
import { I2cBus } from '../../../src/devices/i2c/i2c-bus.js';

const ADDR = 0x68;

function rtc(startUtc: string) {
  const clock = { ms: Date.parse(startUtc) };
  const dev = new Ds1338({ utcNowMs: () => clock.ms });
  const bus = new I2cBus();
  bus.attach(ADDR, dev);
  /** Writes `bytes` from register `reg` on, in one transfer. */
  const write = (reg: number, ...bytes: number[]): void => {
    assert.equal(bus.start(ADDR, false), true);
    assert.equal(bus.send(reg), true);
    for (const b of bytes) assert.equal(bus.send(b), true);
    bus.stop();
  };
  /** Reads `n` registers from `reg` on: pointer write, repeated START, read, STOP (as Linux). */
  const read = (reg: number, n: number): number[] => {
    bus.start(ADDR, false);
    bus.send(reg);
    bus.start(ADDR, true);
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(bus.receive(i < n - 1));
    bus.stop();
    return out;
  };
  const advance = (seconds: number): void => {
    clock.ms += seconds * 1000;
  };
  return { dev, bus, write, read, advance, clock };
}

const hex = (bytes: number[]): string => bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ');

test('the time registers read the wall clock in BCD, 24-hour mode, with the day of week 1–7', () => {
  // Tuesday 2024-02-27 13:45:59.900 UTC.
  const { read } = rtc('2024-02-27T13:45:59.900Z');
  // sec min hour day date month year control
  assert.equal(hex(read(0, 8)), '59 45 13 03 27 02 24 00');
});

test('a multi-byte read is one instant: the time is captured at the START, not per byte', () => {
  const { bus, advance } = rtc('2024-12-31T23:59:59Z');
  bus.start(ADDR, false);
  bus.send(0);
  bus.start(ADDR, true);
  const sec = bus.receive(true);
  advance(1); // the clock moves to 2025 between bytes
  const rest = [1, 2, 3, 4, 5, 6].map(() => bus.receive(true));
  bus.stop();
  assert.equal(hex([sec, ...rest]), '59 59 23 03 31 12 24');
});

test('setting the time keeps an offset from the wall clock, which goes on counting', () => {
  const { write, read, advance, dev } = rtc('2024-02-27T13:45:59Z');
  // Linux's ds1307_set_time: one write of sec..year from register 0: 2021-07-04 08:30:00, Sunday (1).
  write(0, 0x00, 0x30, 0x08, 0x01, 0x04, 0x07, 0x21);
  assert.equal(hex(read(0, 7)), '00 30 08 01 04 07 21');
  advance(3601);
  assert.equal(hex(read(0, 7)), '01 30 09 01 04 07 21');
  assert.equal(new Date(dev.now() * 1000).toISOString(), '2021-07-04T09:30:01.000Z');
});

test('fields written in one transfer apply together: 29 February of a leap year set from a common year', () => {
  const { write, read } = rtc('2023-01-31T10:00:00Z');
  // The order Linux writes them: ..., date, month, year. Field by field, Feb 29 2023 would roll to March 1.
  write(0, 0x00, 0x00, 0x10, 0x05, 0x29, 0x02, 0x24);
  assert.equal(hex(read(0, 7)), '00 00 10 05 29 02 24');
});

test('the day of week is numbered as software wrote it, relative to the date written with it', () => {
  const { write, read, advance } = rtc('2024-02-27T13:45:59Z'); // a Tuesday
  // Set Wednesday 2024-03-06 with day 7 (software numbering its week from Thursday).
  write(3, 0x07, 0x06, 0x03, 0x24);
  assert.equal(hex(read(3, 4)), '07 06 03 24');
  advance(86400);
  assert.equal(hex(read(3, 2)), '01 07', 'the day counter wraps 7 → 1');
});

test('12-hour mode: the mode bit written is kept, hours read back as 12 AM … 11 PM', () => {
  const { write, read, advance } = rtc('2024-02-27T00:10:00Z');
  write(2, 0x40 | 0x12); // 12 AM, 12-hour mode
  assert.equal(read(2, 1)[0], 0x52);
  advance(12 * 3600);
  assert.equal(read(2, 1)[0], 0x40 | 0x20 | 0x12, '12 PM');
  advance(3600);
  assert.equal(read(2, 1)[0], 0x40 | 0x20 | 0x01, '1 PM');
  write(2, 0x40 | 0x20 | 0x11); // 11 PM
  assert.equal(read(2, 1)[0], 0x71);
  write(2, 0x23); // back to 24-hour mode
  assert.equal(read(2, 1)[0], 0x23);
});

test('CH halts the clock (and sets OSF); clearing it restarts from the time written', () => {
  const { write, read, advance } = rtc('2024-02-27T13:45:59Z');
  write(0, 0x80 | 0x10);
  advance(100);
  assert.equal(hex(read(0, 3)), '90 45 13', 'stopped at 13:45:10 with CH set');
  assert.equal(read(7, 1)[0]! & 0x20, 0x20, 'OSF');
  write(1, 0x50); // minutes change while stopped
  assert.equal(hex(read(0, 2)), '90 50');
  write(0, 0x20);
  advance(5);
  assert.equal(hex(read(0, 3)), '25 50 13');
});

test('control register: bits 2, 3 and 6 read 0; OSF can be cleared but not set', () => {
  const { write, read } = rtc('2024-02-27T13:45:59Z');
  write(7, 0xff);
  assert.equal(read(7, 1)[0], 0x93);
  write(0, 0x80); // halting sets OSF
  write(0, 0x00);
  write(7, 0xb3);
  assert.equal(read(7, 1)[0], 0xb3);
  write(7, 0x93);
  assert.equal(read(7, 1)[0], 0x93);
});

test('56 bytes of NVRAM at 0x08–0x3F; the pointer wraps to 0 and re-captures the time', () => {
  const { write, read, advance } = rtc('2024-02-27T13:45:59Z');
  const bytes = Array.from({ length: 56 }, (_, i) => (i * 7 + 1) & 0xff);
  write(0x08, ...bytes);
  assert.deepEqual(read(0x08, 56), bytes);
  advance(1);
  // From 0x3F on: the last NVRAM byte, then the time again, captured at the wrap.
  assert.equal(hex(read(0x3f, 3)), `${bytes[55]!.toString(16).padStart(2, '0')} 00 46`);
  // A pointer beyond 0x3F wraps to 6 bits.
  assert.deepEqual(read(0x48, 1), [bytes[0]]);
});

test('a machine reset keeps the time and the NVRAM (battery-backed) and ends a transfer', () => {
  const { dev, write, read, bus } = rtc('2024-02-27T13:45:59Z');
  write(0x10, 0xab);
  write(0, 0x00, 0x00, 0x00, 0x01, 0x01, 0x01, 0x20);
  bus.start(ADDR, false);
  dev.reset();
  bus.stop();
  assert.deepEqual(read(0x10, 1), [0xab]);
  assert.equal(hex(read(4, 3)), '01 01 20');
});

test('wallClockFrom: a start time advanced by the monotonic device clock', () => {
  const t = { ns: 5e9 };
  const w = wallClockFrom(Date.parse('2024-02-27T13:45:59Z'), { nowNs: () => t.ns });
  t.ns += 2.5e9;
  assert.equal(new Date(w.utcNowMs()).toISOString(), '2024-02-27T13:46:01.500Z');
});
