/**
 * MPIC global timers driven by a fake clock: the count derived from the clock at 25 MHz, the
 * expiry callback armed through the DeviceClock, and QEMU 7.2's TBCR/TCCR semantics.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OpenPic } from '../../../src/devices/mpic/openpic.js';
import { TimerQueue } from '../../../src/devices/clock.js';

const TCCR = (t: number) => 0x1100 + 0x40 * t;
const TBCR = (t: number) => 0x1110 + 0x40 * t;
const TVPR = (t: number) => 0x1120 + 0x40 * t;
const TDR = (t: number) => 0x1130 + 0x40 * t;
const CTPR = (c: number) => 0x20080 + 0x1000 * c;
const IACK = (c: number) => 0x200a0 + 0x1000 * c;
const EOI = (c: number) => 0x200b0 + 0x1000 * c;
const GCR = 0x1020;
const CI = 0x80000000;
const TOG = 0x80000000;
const A = 0x40000000;
const MSK = 0x80000000;
const TICK = 40; // ns per tick at 25 MHz

function setup(cpus = 1) {
  const t = { now: 1_000_000 };
  const clock = new TimerQueue(() => t.now);
  const int: boolean[] = new Array<boolean>(cpus).fill(false);
  const logs: string[] = [];
  const p = new OpenPic(cpus, { setInt: (c, l) => (int[c] = l), setCint: () => {}, setProxyMode: () => {} }, { clock, log: (l) => logs.push(l) });
  for (let c = 0; c < cpus; c++) p.write(CTPR(c), 4, 0);
  const advance = (ns: number) => {
    t.now += ns;
    clock.runDue(t.now);
  };
  return { p, t, clock, int, logs, advance };
}

test('TCCR counts down at 25 MHz from the base count once count inhibit is cleared', () => {
  const { p, t, clock } = setup();
  const start = t.now;
  p.write(TBCR(0), 4, 1000);
  assert.equal(p.read(TBCR(0), 4), 1000);
  assert.equal(p.read(TCCR(0), 4), 1000);
  t.now = start + TICK - 1;
  assert.equal(p.read(TCCR(0), 4), 1000, 'no tick before 40 ns');
  t.now = start + TICK;
  assert.equal(p.read(TCCR(0), 4), 999);
  t.now = start + 10 * TICK;
  assert.equal(p.read(TCCR(0), 4), 990);
  assert.equal(clock.nextDeadline(), start + 1000 * TICK, 'a device timer is armed for the expiry');
});

test('at zero the timer raises its source, reloads the base count and flips the toggle bit', () => {
  const { p, t, int, advance } = setup();
  p.write(TVPR(0), 4, (4 << 16) | 0x40);
  const start = t.now;
  p.write(TBCR(0), 4, 100);
  advance(100 * TICK - 1);
  assert.equal(int[0], false);
  assert.equal(p.read(TCCR(0), 4), 1);
  advance(1);
  assert.equal(int[0], true, 'raised from the device-timer callback');
  assert.equal(p.read(TVPR(0), 4), (A | (4 << 16) | 0x40) >>> 0);
  assert.equal(p.read(TCCR(0), 4), (TOG | 100) >>> 0);
  assert.equal(p.read(IACK(0), 4), 0x40);
  assert.equal(p.read(TVPR(0), 4) & A, 0, 'an edge: IACK consumes it');
  p.write(EOI(0), 4, 0);
  assert.equal(int[0], false);
  advance(100 * TICK);
  assert.equal(int[0], true);
  assert.equal(p.read(TCCR(0), 4), 100, 'toggle back to 0 after the second expiry');
  assert.equal(t.now, start + 200 * TICK);
});

test('setting count inhibit stops the timer and leaves only the toggle bit; clearing it restarts from the base', () => {
  const { p, clock, advance } = setup();
  p.write(TBCR(0), 4, 100);
  advance(100 * TICK + 30 * TICK);
  assert.equal(p.read(TCCR(0), 4), (TOG | 70) >>> 0);
  p.write(TBCR(0), 4, CI | 100);
  assert.equal(p.read(TCCR(0), 4), TOG, 'QEMU clears the count (the FSL manual would freeze it)');
  assert.equal(clock.nextDeadline(), Infinity, 'nothing armed');
  advance(1000 * TICK);
  assert.equal(p.read(TCCR(0), 4), TOG);
  p.write(TBCR(0), 4, 100);
  assert.equal(p.read(TCCR(0), 4), 100, 'restart: base count, toggle cleared');
});

test('a base-count write without a change of count inhibit does not restart the count', () => {
  const { p, t, clock, advance } = setup();
  const start = t.now;
  p.write(TBCR(0), 4, 1000);
  advance(10 * TICK);
  p.write(TBCR(0), 4, 50);
  assert.equal(p.read(TCCR(0), 4), 990);
  assert.equal(clock.nextDeadline(), start + 1000 * TICK);
  advance(990 * TICK);
  assert.equal(t.now, start + 1000 * TICK);
  assert.equal(p.read(TCCR(0), 4), (TOG | 50) >>> 0, 'the new base is used at the reload');
  advance(49 * TICK);
  assert.equal(p.read(TCCR(0), 4), (TOG | 1) >>> 0);
  advance(TICK);
  assert.equal(p.read(TCCR(0), 4), 50);
});

test('a zero base count leaves the timer stopped until count inhibit is set and cleared again', () => {
  const { p, clock, advance } = setup();
  p.write(TBCR(0), 4, 0);
  assert.equal(p.read(TCCR(0), 4), 0);
  assert.equal(clock.nextDeadline(), Infinity);
  p.write(TBCR(0), 4, 100);
  advance(1000 * TICK);
  assert.equal(p.read(TCCR(0), 4), 0, 'still stopped (QEMU)');
  p.write(TBCR(0), 4, CI | 100);
  p.write(TBCR(0), 4, 100);
  advance(TICK);
  assert.equal(p.read(TCCR(0), 4), 99);
});

test('a base count changed to 0 stops the timer at its next expiry', () => {
  const { p, clock, advance, int } = setup();
  p.write(TVPR(0), 4, (4 << 16) | 0x40);
  p.write(TBCR(0), 4, 100);
  p.write(TBCR(0), 4, 0);
  advance(100 * TICK);
  assert.equal(int[0], true, 'that expiry still fires');
  assert.equal(p.read(TCCR(0), 4), TOG);
  assert.equal(clock.nextDeadline(), Infinity);
});

test('TCCR writes are ignored', () => {
  const { p } = setup();
  p.write(TBCR(0), 4, 500);
  p.write(TCCR(0), 4, 0x12345678);
  assert.equal(p.read(TCCR(0), 4), 500);
});

test('registers read lazily account for expiries the device-timer callback has not run for yet', () => {
  const { p, t, int } = setup();
  p.write(TVPR(0), 4, MSK | (4 << 16) | 0x40);
  p.write(TBCR(0), 4, 100);
  t.now += 5 * 100 * TICK + 7 * TICK; // five expiries, no runDue
  assert.equal(p.read(TCCR(0), 4), (TOG | 93) >>> 0, 'odd number of expiries: toggle set');
  p.write(TVPR(0), 4, (4 << 16) | 0x40);
  assert.equal(int[0], true, 'the expiry was latched while masked');
  assert.equal(p.read(IACK(0), 4), 0x40);
});

test('thousands of missed periods are accounted for in one step', () => {
  const { p, t } = setup();
  p.write(TBCR(0), 4, 1);
  t.now += 1e12; // 2.5e10 expiries of a 40 ns period
  assert.equal(p.read(TCCR(0), 4), 1, 'an even number of expiries, just reloaded');
  t.now += TICK;
  assert.equal(p.read(TCCR(0), 4), (TOG | 1) >>> 0);
});

test('while the latched expiry is still pending for every destination no callback is armed', () => {
  const { p, t, clock, int, advance } = setup();
  p.write(TVPR(0), 4, MSK | (4 << 16) | 0x40);
  const start = t.now;
  p.write(TBCR(0), 4, 100);
  advance(100 * TICK);
  assert.equal(clock.nextDeadline(), Infinity, 'further expiries cannot change anything');
  advance(250 * TICK);
  p.write(TVPR(0), 4, (4 << 16) | 0x40);
  assert.equal(int[0], true);
  assert.equal(p.read(IACK(0), 4), 0x40);
  assert.equal(clock.nextDeadline(), start + 400 * TICK, 're-armed for the next expiry once taken');
  assert.equal(p.read(TCCR(0), 4), (TOG | 50) >>> 0, 'three expiries so far');
});

test('a timer aimed at two CPUs is delivered to each; the next expiry re-aims it at both', () => {
  const { p, int, advance } = setup(2);
  p.write(TVPR(1), 4, (4 << 16) | 0x41);
  p.write(TDR(1), 4, 0b11);
  p.write(TBCR(1), 4, 100);
  advance(100 * TICK);
  assert.deepEqual(int, [true, true]);
  assert.equal(p.read(IACK(0), 4), 0x41);
  assert.deepEqual(int, [false, true]);
  assert.ok(p.read(TVPR(1), 4) & A, 'still pending for CPU 1');
  p.write(EOI(0), 4, 0);
  advance(100 * TICK);
  assert.deepEqual(int, [true, true], 'CPU 0 gets the second expiry; CPU 1 still has one pending');
  assert.equal(p.read(IACK(1), 4), 0x41);
  assert.equal(p.read(IACK(1), 4), 0xffff, 'expiries not yet taken by a CPU do not add up');
  assert.equal(p.read(IACK(0), 4), 0x41);
  assert.equal(p.read(TVPR(1), 4) & A, 0);
});

test('the four timers are independent and their registers repeat at 0x1200; 0x1300 reads TCCR0', () => {
  const { p, t, clock } = setup();
  const start = t.now;
  p.write(TBCR(3), 4, 300);
  p.write(TBCR(2), 4, 200);
  assert.equal(clock.nextDeadline(), start + 200 * TICK);
  p.write(0x1210, 4, 1000); // TBCR0 through the repeat
  assert.equal(p.read(TBCR(0), 4), 1000);
  p.write(0x1230, 4, 0); // TDR0
  assert.equal(p.read(TDR(0), 4), 0);
  t.now += 10 * TICK;
  assert.equal(p.read(TCCR(0), 4), 990);
  assert.equal(p.read(0x1200, 4), 990);
  assert.equal(p.read(0x1300, 4), 990);
  assert.equal(p.read(TCCR(2), 4), 190);
  assert.equal(p.read(TCCR(3), 4), 290);
  assert.equal(p.read(TBCR(1), 4), CI);
});

test('GCR reset stops the timers and cancels their callbacks', () => {
  const { p, clock, int, advance } = setup();
  p.write(TVPR(0), 4, (4 << 16) | 0x40);
  p.write(TBCR(0), 4, 100);
  p.write(GCR, 4, 0x80000000);
  assert.equal(clock.nextDeadline(), Infinity);
  assert.equal(p.read(TBCR(0), 4), CI);
  assert.equal(p.read(TCCR(0), 4), 0);
  advance(1000 * TICK);
  assert.equal(int[0], false);
});

test('without a device clock the timers do not count, and say so', () => {
  const logs: string[] = [];
  const p = new OpenPic(1, { setInt: () => {}, setCint: () => {}, setProxyMode: () => {} }, { log: (l) => logs.push(l) });
  p.write(TBCR(0), 4, 100);
  assert.equal(p.read(TBCR(0), 4), 100);
  assert.equal(p.read(TCCR(0), 4), 0);
  assert.equal(logs.length, 1);
  assert.match(logs[0]!, /without a DeviceClock/);
});
