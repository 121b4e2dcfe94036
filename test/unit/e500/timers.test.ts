import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BookeTimers, TCR, TSR, type VirtualClock } from '../../../src/accel/e500/timers.js';

/** A clock the test moves by hand; 1 MHz time base so 1 ms = 1000 ticks. */
class FakeClock implements VirtualClock {
  ms = 1000;
  nowMs(): number {
    return this.ms;
  }
}

function timers(): { t: BookeTimers; clock: FakeClock } {
  const clock = new FakeClock();
  return { t: new BookeTimers(clock, 1_000_000), clock };
}

test('DEC counts down at the time-base rate and stops at 0 without ARE, setting TSR[DIS]', () => {
  const { t, clock } = timers();
  t.writeDec(5000);
  clock.ms += 2;
  assert.equal(t.readDec(), 3000);
  clock.ms += 10;
  assert.equal(t.readDec(), 0);
  assert.ok((t.tsr & TSR.DIS) !== 0);
});

test('with ARE the decrementer reloads from DECAR each period', () => {
  const { t, clock } = timers();
  t.writeDecar(1000);
  t.writeTcr(TCR.ARE);
  t.writeDec(1000);
  clock.ms += 3.5; // 3500 ticks: zero at 1000, 2000, 3000
  assert.equal(t.readDec(), 500);
  assert.ok((t.tsr & TSR.DIS) !== 0);
  t.writeTsr(TSR.DIS);
  assert.equal(t.tsr & TSR.DIS, 0, 'write-1-to-clear');
});

test('the decrementer interrupt condition is TSR[DIS] and TCR[DIE]', () => {
  const { t, clock } = timers();
  t.writeDec(10);
  clock.ms += 1;
  t.update();
  assert.equal(t.pendingMask().dec, false);
  t.writeTcr(TCR.DIE);
  assert.equal(t.pendingMask().dec, true);
});

test('TB writes set the 64-bit time base and do not disturb the decrementer', () => {
  const { t, clock } = timers();
  t.writeDec(4000);
  t.writeTbu(0x1234);
  t.writeTbl(0x10);
  assert.equal(t.readTbu(), 0x1234);
  assert.equal(t.readTbl(), 0x10);
  clock.ms += 1;
  assert.equal(t.readTbl(), 0x10 + 1000);
  assert.equal(t.readDec(), 3000);
});

test('FIT sets TSR[FIS] on each 0→1 transition of the selected TB bit', () => {
  const { t, clock } = timers();
  t.setTb(0);
  // FP=3, FPEXT=0xF: selector 63 → TB bit 0? Choose selector 54: bit 9 (period 1024 ticks).
  const sel = 63 - 9;
  t.writeTcr(((sel & 3) << 24) | ((sel >>> 2) << 13));
  clock.ms += 0.6; // 600 ticks: crosses 512
  t.update();
  assert.ok((t.tsr & TSR.FIS) !== 0);
});

test('the watchdog sets ENW, then WIS, then requests a reset when TCR[WRC] is set', () => {
  const { t, clock } = timers();
  t.setTb(0);
  const sel = 63 - 9;
  t.writeTcr(((sel & 3) << 30) | ((sel >>> 2) << 17) | (1 << 28));
  clock.ms += 0.6;
  t.update();
  assert.ok((t.tsr & TSR.ENW) !== 0 && (t.tsr & TSR.WIS) === 0);
  clock.ms += 1.024;
  t.update();
  assert.ok((t.tsr & TSR.WIS) !== 0);
  assert.equal(t.resetRequested, false);
  clock.ms += 1.024;
  t.update();
  assert.equal(t.resetRequested, true);
  assert.equal((t.tsr & TSR.WRS) >>> 28, 1, 'TSR[WRS] records the reset');
});
