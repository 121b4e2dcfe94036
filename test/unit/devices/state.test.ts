import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StateError, StateReader, StateWriter, loadSections, saveSections, type DeviceState } from '../../../src/devices/state.js';
import { Uart16550, type SerialBackend } from '../../../src/devices/uart16550.js';
import { OpenPic } from '../../../src/devices/mpic/openpic.js';
import { TimerQueue } from '../../../src/devices/clock.js';
import { Mpc8xxxGpio } from '../../../src/devices/mpc8xxx-gpio.js';
import { I2cBus, type I2cTarget } from '../../../src/devices/i2c/i2c-bus.js';
import { MpcI2c } from '../../../src/devices/i2c/mpc-i2c.js';
import { Ds1338 } from '../../../src/devices/i2c/ds1338.js';

function queueBackend(input: number[]): SerialBackend & { out: number[] } {
  const out: number[] = [];
  return { out, write: (b) => void out.push(b), read: () => input.shift() ?? -1 };
}

/** Every register read a driver might do, in an order that consumes the FIFO. */
function observe(u: Uart16550): number[] {
  const seen: number[] = [];
  for (let k = 0; k < 6; k++) seen.push(u.read(2), u.read(5), u.read(0));
  seen.push(u.read(1), u.read(3), u.read(4), u.read(6), u.read(7));
  return seen;
}

function busyUart(): { u: Uart16550; irqs: boolean[] } {
  const u = new Uart16550('uart0', queueBackend([0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47]));
  const irqs: boolean[] = [];
  u.onIrq = (l) => irqs.push(l);
  u.write(3, 1, 0x83); // DLAB
  u.write(0, 1, 0x34);
  u.write(1, 1, 0x12);
  u.write(3, 1, 0x03); // 8N1
  u.write(2, 1, 0x41); // FIFO on, trigger level 4
  u.write(1, 1, 0x03); // RDI | THRI
  u.write(7, 1, 0x5a);
  u.read(0); // one byte read: the FIFO holds the rest, more waits in the backend
  return { u, irqs };
}

test('a UART saved mid-conversation and loaded into a fresh one answers every register the same, FIFO and pending input included', () => {
  const { u } = busyUart();
  const saved = saveSections([u]);
  const copy = new Uart16550('uart0', queueBackend([]));
  const irqs: boolean[] = [];
  copy.onIrq = (l) => irqs.push(l);
  loadSections(saved, [copy]);
  assert.deepEqual(irqs, [true], 'the interrupt output follows the loaded state');
  assert.deepEqual(observe(copy), observe(u));
  copy.write(3, 1, 0x83);
  assert.equal(copy.read(0) | (copy.read(1) << 8), 0x1234, 'the divisor latch');
});

test('a stream is refused whole: unknown, duplicate, missing and newer sections, each named', () => {
  const a = busyUart().u;
  const b = new Uart16550('uart1', queueBackend([]));
  const both = saveSections([a, b]);
  assert.throws(() => loadSections(both, [new Uart16550('uart0', queueBackend([]))]), (e: unknown) => e instanceof StateError && /section "uart1" belongs to no device/.test(e.message));
  assert.throws(() => loadSections(saveSections([a]), [a, b]), (e: unknown) => e instanceof StateError && /no section for uart1/.test(e.message));
  const newer: DeviceState = { stateId: 'uart0', stateVersion: 2, saveState: (w) => a.saveState(w), loadState: () => {} };
  const fresh = new Uart16550('uart0', queueBackend([]));
  assert.throws(() => loadSections(saveSections([newer]), [fresh]), (e: unknown) => e instanceof StateError && /"uart0" is version 2; this ngkvm reads versions 1 to 1/.test(e.message));
  assert.deepEqual(observe(fresh), observe(new Uart16550('uart0', queueBackend([]))), 'nothing was loaded');
  assert.throws(() => saveSections([a, a]), /two devices save a section named "uart0"/);
});

test('every truncation of a stream and every single-byte corruption is a StateError or a valid load, never another exception', () => {
  const saved = saveSections([busyUart().u]);
  for (let n = 0; n < saved.length; n++) {
    assert.throws(() => loadSections(saved.subarray(0, n), [new Uart16550('uart0', queueBackend([]))]), StateError, `cut at ${n}`);
  }
  for (let k = 0; k < saved.length; k++) {
    for (const v of [0x00, 0x07, 0x80, 0xff]) {
      const bad = saved.slice();
      bad[k] = v;
      try {
        loadSections(bad, [new Uart16550('uart0', queueBackend([]))]);
      } catch (e) {
        assert.ok(e instanceof StateError, `byte ${k} = ${v}: ${String(e)}`);
      }
    }
  }
});

test('a section with bytes left over, or a field out of its range, is refused with the section named', () => {
  const longer: DeviceState = {
    stateId: 'uart0',
    stateVersion: 1,
    saveState: (w) => {
      busyUart().u.saveState(w);
      w.u8(0);
    },
    loadState: () => {},
  };
  assert.throws(() => loadSections(saveSections([longer]), [new Uart16550('uart0', queueBackend([]))]), /section "uart0" \(version 1\): 1 bytes left over/);
  const badTrigger = new StateWriter();
  busyUart().u.saveState(badTrigger);
  const body = badTrigger.finish();
  body[8] = 5; // the trigger level's byte: ier lcr mcr scr msr divisor(2) fifo trigger
  assert.throws(() => new Uart16550('uart0', queueBackend([])).loadState(new StateReader(body, 'uart0')), /FIFO trigger level 5 is not one of 1, 4, 8, 14/);
});

const IVPR = (n: number): number => 0x10000 + 0x20 * n;
const IDR = (n: number): number => 0x10010 + 0x20 * n;
const CPU = (c: number, reg: number): number => 0x20000 + 0x1000 * c + reg;
const TCCR = (t: number): number => 0x1100 + 0x40 * t;
const TBCR = (t: number): number => 0x1110 + 0x40 * t;
const TVPR = (t: number): number => 0x1120 + 0x40 * t;
const TDR = (t: number): number => 0x1130 + 0x40 * t;
const MSIR = (g: number): number => 0x1600 + 0x10 * g;

function mpicAt(startNs: number): { p: OpenPic; int: boolean[]; advance: (ns: number) => void } {
  const t = { now: startNs };
  const clock = new TimerQueue(() => t.now);
  const int = [false, false];
  const p = new OpenPic(2, { setInt: (c, l) => (int[c] = l), setCint: () => {}, setProxyMode: () => {} }, { clock });
  return {
    p,
    int,
    advance: (ns) => {
      t.now += ns;
      clock.runDue(t.now);
    },
  };
}

/** What both CPUs would see from here: interrupt outputs, timer counts and acknowledges. */
function drain(m: ReturnType<typeof mpicAt>): (number | boolean)[] {
  const seen: (number | boolean)[] = [...m.int, m.p.read(TCCR(0), 4), m.p.read(MSIR(0), 4)];
  m.advance(40 * 5000);
  seen.push(...m.int, m.p.read(TCCR(0), 4));
  for (let k = 0; k < 4; k++) {
    for (const c of [0, 1]) {
      const v = m.p.read(CPU(c, 0xa0), 4);
      seen.push(v, ...m.int);
      m.p.write(CPU(c, 0xb0), 4, 0);
    }
  }
  return seen;
}

test('an MPIC saved with sources pending and in service, a running timer and an MSI goes on identically on another clock', () => {
  const a = mpicAt(1_000_000);
  const { p } = a;
  for (const c of [0, 1]) p.write(CPU(c, 0x80), 4, 0);
  p.write(IVPR(1), 4, 0x00450021); // level, priority 5, vector 0x21
  p.write(IDR(1), 4, 1);
  p.write(IVPR(2), 4, 0x00060022); // edge, priority 6, vector 0x22
  p.write(IDR(2), 4, 2);
  p.setLine(1, true);
  p.setLine(2, true);
  p.setLine(2, false); // the edge stays latched
  assert.equal(p.read(CPU(0, 0xa0), 4), 0x21, 'source 1 now in service on CPU 0');
  p.write(TVPR(0), 4, 0x00040040);
  p.write(TDR(0), 4, 1);
  p.write(TBCR(0), 4, 5000);
  a.advance(40 * 123);
  assert.ok(p.msi({ address: 0x1740n, data: 3 }), 'MSIR0 bit 3');
  const saved = saveSections([p]);
  const b = mpicAt(77_000_000);
  loadSections(saved, [b.p]);
  assert.deepEqual(b.int, a.int, 'interrupt outputs follow the loaded state');
  assert.deepEqual(drain(b), drain(a));
});

test('an MPIC state for another CPU count is refused', () => {
  const saved = saveSections([mpicAt(0).p]);
  const t = new TimerQueue(() => 0);
  const one = new OpenPic(1, { setInt: () => {}, setCint: () => {}, setProxyMode: () => {} }, { clock: t });
  assert.throws(() => loadSections(saved, [one]), /mpic: saved with 2 CPUs, this machine has 1/);
});

test('GPIO: pins, events and mask carried; outputs already driven are not reported again (pin 0 powers off)', () => {
  const a = new Mpc8xxxGpio();
  a.write(0x00, 4, 0x8000_0001 >>> 0); // pins 0 and 31 outputs
  a.write(0x08, 4, 0x8000_0000); // pin 0 high
  a.write(0x10, 4, 0x0000_0100); // unmask pin 23
  a.setInput(23, true); // an event on pin 23: the interrupt is raised
  assert.equal(a.irq, true);
  const b = new Mpc8xxxGpio();
  const outputs: [number, boolean][] = [];
  b.onOutput = (pin, level) => outputs.push([pin, level]);
  loadSections(saveSections([a]), [b]);
  assert.deepEqual(outputs, [], 'no output edge on load');
  assert.equal(b.irq, true);
  for (const off of [0x00, 0x04, 0x08, 0x0c, 0x10, 0x14]) assert.equal(b.read(off, 4), a.read(off, 4), `register 0x${off.toString(16)}`);
});

test('I2C: the controller and a transfer in progress on the bus go on where they were', () => {
  const log: string[] = [];
  const target = (name: string): I2cTarget => ({
    name,
    start: (read) => (log.push(`${name} start ${read}`), true),
    write: (b) => (log.push(`${name} write ${b}`), true),
    read: () => (log.push(`${name} read`), 0x5a),
    stop: () => void log.push(`${name} stop`),
  });
  const machine = (): { bus: I2cBus; ctl: MpcI2c } => {
    const bus = new I2cBus();
    bus.attach(0x68, target('rtc'));
    return { bus, ctl: new MpcI2c(bus) };
  };
  const a = machine();
  a.ctl.write(0x08, 1, 0xc0 | 0x20 | 0x10); // MEN MIEN MSTA MTX: START
  a.ctl.write(0x10, 1, 0x68 << 1); // address, write
  assert.equal(a.ctl.irq, true, 'the address byte went out: MIF');
  const b = machine();
  log.length = 0;
  loadSections(saveSections([a.ctl, a.bus]), [b.ctl, b.bus]);
  assert.deepEqual(log, [], 'loading starts no transfer');
  assert.equal(b.ctl.irq, true);
  for (const off of [0x00, 0x04, 0x08, 0x0c]) assert.equal(b.ctl.read(off), a.ctl.read(off), `register 0x${off.toString(16)}`);
  b.ctl.write(0x10, 1, 0x07);
  b.ctl.write(0x08, 1, 0x80); // STOP
  assert.deepEqual(log, ['rtc write 7', 'rtc stop'], 'the byte and the STOP reach the same target');
  const other = new I2cBus();
  assert.throws(() => loadSections(saveSections([a.bus]), [other]), /i2c-bus: a transfer with a target at 0x68, where this machine has none/);
});

test('RTC: time set by the guest, NVRAM and a write in progress carry over; the clock keeps running in between', () => {
  const wall = { ms: Date.UTC(2026, 11, 7, 1, 0, 0) };
  const clock = { utcNowMs: () => wall.ms };
  const a = new Ds1338(clock);
  const write = (rtc: Ds1338, bytes: number[]): void => {
    rtc.start(false);
    for (const b of bytes) rtc.write(b);
  };
  const readAll = (rtc: Ds1338): number[] => {
    write(rtc, [0]);
    rtc.stop();
    rtc.start(true);
    const out = Array.from({ length: 20 }, () => rtc.read(true));
    rtc.stop();
    return out;
  };
  write(a, [0, 0x30, 0x15, 0x09, 0x02, 0x24, 0x12, 0x29]); // 2029-12-24 09:15:30
  a.stop();
  write(a, [0x10, 0xde, 0xad]); // NVRAM
  a.stop();
  write(a, [1, 0x45]); // minutes := 45, not yet applied: the transfer is open
  const b = new Ds1338(clock);
  loadSections(saveSections([a]), [b]);
  a.stop();
  b.stop();
  wall.ms += 61_000;
  const x = readAll(a);
  assert.deepEqual(readAll(b), x);
  assert.deepEqual(x.slice(0, 3), [0x31, 0x46, 0x09], '09:46:31: the pending minutes applied at STOP, the clock ran on');
  assert.deepEqual(x.slice(16, 18), [0xde, 0xad], 'the NVRAM bytes written at 0x10');
});
