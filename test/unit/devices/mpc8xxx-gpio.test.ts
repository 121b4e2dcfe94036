/**
 * The MPC8xxx/QorIQ GPIO block at register level: directions, output lines as the board sees
 * them (ppce500 powers off on pin 0), input events and the interrupt output, and what the
 * model does with guest misuse. The power-off sequences are the ones Linux's gpio-poweroff
 * and U-Boot's `poweroff` issue.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gpioPinMask, Mpc8xxxGpio } from '../../../src/devices/mpc8xxx-gpio.js';

const GPDIR = 0x00;
const GPODR = 0x04;
const GPDAT = 0x08;
const GPIER = 0x0c;
const GPIMR = 0x10;
const GPICR = 0x14;
const GPIBE = 0x18;
const PIN0 = 0x8000_0000;

function gpio() {
  const logs: string[] = [];
  const outputs: string[] = [];
  const irqs: boolean[] = [];
  const g = new Mpc8xxxGpio({ log: (l) => logs.push(l) });
  g.onOutput = (pin, level) => outputs.push(`${pin}:${level ? 1 : 0}`);
  g.onIrq = (l) => irqs.push(l);
  return { g, logs, outputs, irqs };
}

test('registers reset to 0 and read back what was written (GPIER is write-1-to-clear)', () => {
  const { g } = gpio();
  assert.deepEqual([GPDIR, GPODR, GPDAT, GPIER, GPIMR, GPICR, GPIBE].map((o) => g.read(o, 4)), [0, 0, 0, 0, 0, 0, 0]);
  g.write(GPDIR, 4, 0xffff_0000);
  g.write(GPODR, 4, 0x1234_5678);
  g.write(GPIMR, 4, 0xdead_beef);
  g.write(GPICR, 4, 0x0f0f_0f0f);
  assert.deepEqual([GPDIR, GPODR, GPIMR, GPICR].map((o) => g.read(o, 4)), [0xffff_0000, 0x1234_5678, 0xdead_beef, 0x0f0f_0f0f]);
  g.write(GPDAT, 4, 0xffff_ffff);
  assert.equal(g.read(GPDAT, 4), 0xffff_0000, 'input pins read their (low) level, outputs read back GPDAT');
});

test("Linux's gpio-poweroff: pin 0 requested as output low, then driven high: one rising edge on output 0", () => {
  const { g, outputs } = gpio();
  // gpio-mpc8xxx probe on fsl,qoriq-gpio: GPIBE all ones, events acked, all masked.
  g.write(GPIBE, 4, 0xffff_ffff);
  g.write(GPIER, 4, 0xffff_ffff);
  g.write(GPIMR, 4, 0);
  // gpio-poweroff probe: output, low (value first, then direction).
  g.write(GPDAT, 4, 0);
  g.write(GPDIR, 4, PIN0);
  assert.deepEqual(outputs, []);
  // Power-off: drive it high.
  g.write(GPDAT, 4, PIN0);
  assert.deepEqual(outputs, ['0:1']);
  g.write(GPDAT, 4, 0);
  g.write(GPDAT, 4, PIN0);
  assert.deepEqual(outputs, ['0:1', '0:0', '0:1']);
});

test("U-Boot's poweroff sequence raises output 0 once", () => {
  const { g, outputs } = gpio();
  g.write(GPIBE, 4, 0xffff_ffff);
  g.write(GPDIR, 4, g.read(GPDIR, 4) | PIN0);
  g.write(GPDAT, 4, 0);
  g.write(GPDAT, 4, PIN0);
  assert.deepEqual(outputs, ['0:1']);
});

test('a pin drives its GPDAT bit only while it is an output; input pins do not drive the line', () => {
  const { g, outputs } = gpio();
  g.write(GPDAT, 4, gpioPinMask(3));
  assert.deepEqual(outputs, [], 'an input pin does not drive');
  g.write(GPDIR, 4, gpioPinMask(3));
  assert.deepEqual(outputs, ['3:1'], 'becoming an output drives the stored level');
  g.write(GPDIR, 4, 0);
  assert.deepEqual(outputs, ['3:1', '3:0']);
  g.write(GPDIR, 4, gpioPinMask(31));
  g.write(GPDAT, 4, gpioPinMask(31));
  g.reset();
  assert.deepEqual(outputs, ['3:1', '3:0', '31:1', '31:0'], 'reset makes every pin an input');
});

test('input events: any change, or only falling edges with GPICR; the interrupt is GPIER & GPIMR', () => {
  const { g, irqs } = gpio();
  g.setInput(5, true);
  assert.equal(g.read(GPIER, 4), gpioPinMask(5), 'a rising edge is an event in any-change mode');
  assert.deepEqual(irqs, [], 'masked');
  g.write(GPIMR, 4, gpioPinMask(5) | gpioPinMask(6));
  assert.deepEqual(irqs, [true]);
  assert.equal(g.read(GPDAT, 4), gpioPinMask(5));
  g.write(GPIER, 4, gpioPinMask(5));
  assert.deepEqual(irqs, [true, false], 'write 1 to clear');
  g.setInput(5, true);
  assert.equal(g.read(GPIER, 4), 0, 'no change, no event');
  g.write(GPICR, 4, gpioPinMask(6));
  g.setInput(6, true);
  assert.equal(g.read(GPIER, 4), 0, 'falling-edge mode ignores a rising edge');
  g.setInput(6, false);
  assert.equal(g.read(GPIER, 4), gpioPinMask(6));
  assert.deepEqual(irqs, [true, false, true]);
  // An output pin takes no events from the board.
  g.write(GPDIR, 4, gpioPinMask(7));
  g.setInput(7, true);
  assert.equal(g.read(GPIER, 4) & gpioPinMask(7), 0);
  assert.doesNotThrow(() => g.setInput(32, true));
  assert.doesNotThrow(() => g.setInput(-1, true));
});

test('narrow accesses and undecoded offsets: read 0, writes ignored, logged rate-limited, never throw', () => {
  const { g, logs, outputs } = gpio();
  g.write(GPDIR, 2, 0xffff);
  g.write(GPDIR, 1, 0xff);
  assert.equal(g.read(GPDIR, 4), 0);
  g.write(GPDIR, 4, PIN0);
  assert.equal(g.read(GPDIR, 1), 0);
  assert.match(logs[0]!, /^ngkvm: mpc8xxx-gpio: 2-byte write at offset 0x0 ignored/);
  for (let off = 0; off < 0x1000; off += 4) {
    assert.doesNotThrow(() => g.read(off, 4));
    if (off > GPIBE) assert.doesNotThrow(() => g.write(off, 4, 0xffff_ffff));
  }
  assert.deepEqual(outputs, []);
  assert.ok(logs.length >= 1 && logs.length < 10, `rate-limited (${logs.length} lines)`);
});
