/**
 * The Freescale I2C controller at register level and the I2C bus under it: the sequences
 * Linux's i2c-mpc driver issues (START, address, data, repeated START, pipelined reads,
 * STOP), the interrupt output, and what the model does with guest misuse.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { I2cBus, type I2cTarget } from '../../../src/devices/i2c/i2c-bus.js';
import { CR_BITS, MpcI2c, SR_BITS } from '../../../src/devices/i2c/mpc-i2c.js';

const ADR = 0x00;
const FDR = 0x04;
const CR = 0x08;
const SR = 0x0c;
const DR = 0x10;
const DFSRR = 0x14;
const { MEN, MIEN, MSTA, MTX, TXAK, RSTA } = CR_BITS;
const { MCF, MBB, MAL, MIF, RXAK } = SR_BITS;

/** A target that records what it sees and answers reads from a byte list. */
class Recorder implements I2cTarget {
  readonly events: string[] = [];
  constructor(
    readonly name: string,
    private readonly replies: number[] = [],
    private readonly nakAfter = Infinity,
  ) {}
  start(read: boolean): boolean {
    this.events.push(`start ${read ? 'R' : 'W'}`);
    return true;
  }
  write(byte: number): boolean {
    this.events.push(`write ${byte.toString(16)}`);
    return this.events.filter((e) => e.startsWith('write')).length <= this.nakAfter;
  }
  read(ack: boolean): number {
    this.events.push(`read ${ack ? 'ack' : 'nak'}`);
    return this.replies.shift() ?? 0xee;
  }
  stop(): void {
    this.events.push('stop');
  }
}

function setup(target: I2cTarget = new Recorder('t', [0x11, 0x22, 0x33]), address = 0x68) {
  const bus = new I2cBus();
  bus.attach(address, target);
  const logs: string[] = [];
  const irqs: boolean[] = [];
  const c = new MpcI2c(bus, { log: (l) => logs.push(l) });
  c.onIrq = (l) => irqs.push(l);
  return { bus, c, logs, irqs };
}

/** What Linux's ISR does: read SR, clear it, return what it read. */
function ack(c: MpcI2c): number {
  const sr = c.read(SR);
  c.write(SR, 1, 0);
  return sr;
}

test('reset values: SR = MCF|RXAK (0x81), the rest 0; ADR, FDR and DFSRR keep their bits', () => {
  const { c } = setup();
  assert.deepEqual([ADR, FDR, CR, SR, DR, DFSRR].map((o) => c.read(o)), [0, 0, 0, 0x81, 0, 0]);
  c.write(ADR, 1, 0xff);
  c.write(FDR, 1, 0xff);
  c.write(DFSRR, 1, 0xff);
  assert.deepEqual([c.read(ADR), c.read(FDR), c.read(DFSRR)], [0xfe, 0x3f, 0x3f]);
});

test('a write then a repeated-START read, as Linux reads an RTC: bus events, SR bits and the interrupt', () => {
  const rec = new Recorder('rtc', [0x11, 0x22, 0x33]);
  const { c, irqs } = setup(rec);
  c.write(SR, 1, 0);
  c.write(CR, 1, MEN | MIEN);
  // START, address 0x68 write.
  c.write(CR, 1, MEN | MIEN | MSTA | MTX);
  assert.equal(c.read(SR) & MBB, MBB, 'START makes the bus busy');
  assert.deepEqual(irqs, []);
  c.write(DR, 1, 0x68 << 1);
  assert.deepEqual(irqs, [true], 'address byte done: interrupt');
  assert.equal(ack(c) & (MCF | MIF | RXAK), MCF | MIF, 'acknowledged');
  assert.deepEqual(irqs, [true, false], 'clearing MIF lowers the line');
  c.write(DR, 1, 0x00);
  assert.equal(ack(c) & (MIF | RXAK), MIF);
  // Repeated START, address 0x68 read.
  c.write(CR, 1, MEN | MIEN | MSTA | MTX | RSTA);
  assert.equal(c.read(CR) & RSTA, 0, 'RSTA is a command and reads 0');
  c.write(DR, 1, (0x68 << 1) | 1);
  assert.equal(ack(c) & (MIF | RXAK), MIF);
  // Receive mode: the dummy read starts the first byte.
  c.write(CR, 1, MEN | MIEN | MSTA);
  c.read(DR);
  assert.equal(ack(c) & MIF, MIF);
  c.write(CR, 1, MEN | MIEN | MSTA | TXAK); // next to last byte: NAK the next one
  assert.equal(c.read(DR), 0x11);
  ack(c);
  c.write(CR, 1, MEN | MIEN | MSTA | TXAK | MTX); // last byte: MTX so no further byte is clocked
  assert.equal(c.read(DR), 0x22);
  assert.equal(c.read(SR) & MIF, 0, 'no byte started');
  c.write(CR, 1, MEN); // STOP
  assert.equal(c.read(SR) & MBB, 0, 'STOP frees the bus');
  assert.deepEqual(rec.events, ['start W', 'write 0', 'start R', 'read ack', 'read nak', 'stop']);
});

test('an address nobody answers completes with RXAK and an interrupt (no timeout)', () => {
  const { c, irqs } = setup();
  c.write(CR, 1, MEN | MIEN | MSTA | MTX);
  c.write(DR, 1, 0x50 << 1);
  assert.deepEqual(irqs, [true]);
  assert.equal(c.read(SR) & (MIF | RXAK | MCF), MIF | RXAK | MCF);
  // Reading from nobody gives the pull-up's 0xFF.
  c.write(SR, 1, 0);
  c.write(CR, 1, MEN | MIEN | MSTA | RSTA | MTX);
  c.write(DR, 1, (0x50 << 1) | 1);
  c.write(CR, 1, MEN | MIEN | MSTA);
  c.read(DR);
  assert.equal(c.read(DR), 0xff);
  c.write(CR, 1, MEN);
  assert.equal(c.read(SR) & MBB, 0);
});

test('a target refusing a data byte: RXAK with MIF, the transfer stays open until STOP', () => {
  const rec = new Recorder('t', [], 1);
  const { c } = setup(rec);
  c.write(CR, 1, MEN | MSTA | MTX);
  c.write(DR, 1, 0x68 << 1);
  c.write(DR, 1, 0x01);
  assert.equal(ack(c) & RXAK, 0);
  c.write(DR, 1, 0x02);
  assert.equal(ack(c) & (RXAK | MIF), RXAK | MIF);
  c.write(CR, 1, MEN);
  assert.deepEqual(rec.events, ['start W', 'write 1', 'write 2', 'stop']);
});

test('the interrupt follows MEN, MIEN and MIF; SR writes clear only MIF and MAL', () => {
  const { c, irqs } = setup();
  c.write(CR, 1, MEN | MSTA | MTX);
  c.write(DR, 1, 0x68 << 1);
  assert.deepEqual(irqs, [], 'MIEN clear: no interrupt');
  c.write(CR, 1, MEN | MIEN | MSTA | MTX);
  assert.deepEqual(irqs, [true], 'enabling MIEN with MIF pending raises it');
  c.write(SR, 1, 0xff);
  assert.equal(c.read(SR) & MIF, MIF, 'writing 1 keeps MIF');
  c.write(SR, 1, 0x00);
  assert.equal(c.read(SR), MCF | MBB, 'MCF and MBB are status, not cleared by the write');
  assert.deepEqual(irqs, [true, false]);
});

test('clearing MEN resets the module: STOP on the bus, CR/SR/DR reset, ADR/FDR/DFSRR kept', () => {
  const rec = new Recorder('t');
  const { c, irqs } = setup(rec);
  c.write(ADR, 1, 0x42);
  c.write(FDR, 1, 0x31);
  c.write(DFSRR, 1, 0x10);
  c.write(CR, 1, MEN | MIEN | MSTA | MTX);
  c.write(DR, 1, 0x68 << 1);
  c.write(CR, 1, 0);
  assert.deepEqual(rec.events, ['start W', 'stop']);
  assert.deepEqual([CR, SR, DR].map((o) => c.read(o)), [0, 0x81, 0]);
  assert.deepEqual([ADR, FDR, DFSRR].map((o) => c.read(o)), [0x42, 0x31, 0x10]);
  assert.deepEqual(irqs, [true, false]);
  // Disabled: DR writes do nothing.
  c.write(DR, 1, 0x68 << 1);
  assert.equal(c.read(DR), 0);
  assert.deepEqual(rec.events, ['start W', 'stop']);
});

test('machine reset: everything to power-on values, an open transfer is stopped', () => {
  const rec = new Recorder('t');
  const { c } = setup(rec);
  c.write(FDR, 1, 0x31);
  c.write(CR, 1, MEN | MSTA | MTX);
  c.write(DR, 1, 0x68 << 1);
  c.reset();
  assert.deepEqual([ADR, FDR, CR, SR, DR, DFSRR].map((o) => c.read(o)), [0, 0, 0, 0x81, 0, 0]);
  assert.deepEqual(rec.events, ['start W', 'stop']);
});

test('misuse is logged, rate-limited, and never throws: RSTA while not master, DR in receive mode, undecoded offsets', () => {
  const rec = new Recorder('t');
  const { c, logs } = setup(rec);
  c.write(CR, 1, MEN | MIEN | RSTA);
  assert.equal(c.read(SR) & (MAL | MIF), MAL | MIF, 'a repeated START while not master loses arbitration');
  assert.match(logs[0]!, /^ngkvm: mpc-i2c: repeated START/);
  c.write(SR, 1, 0);
  assert.equal(c.read(SR) & MAL, 0, 'MAL cleared by writing 0');
  c.write(CR, 1, MEN | MSTA);
  c.write(DR, 1, 0xd0);
  assert.deepEqual(rec.events, [], 'nothing sent in receive mode');
  for (let off = 0; off < 0x100; off++) {
    for (const v of [0, 0xff, 0xa5]) {
      assert.doesNotThrow(() => c.write(off, 1, v));
      assert.doesNotThrow(() => c.read(off));
    }
  }
  assert.ok(logs.length >= 1 && logs.length < 10, `rate-limited (${logs.length} lines)`);
});

test('I2C bus: NAK for an empty address, 0xFF from nobody, a repeated START to another target stops the first', () => {
  const a = new Recorder('a', [1]);
  const b = new Recorder('b', [2]);
  const bus = new I2cBus();
  bus.attach(0x10, a);
  bus.attach(0x11, b);
  assert.throws(() => bus.attach(0x10, b), /taken by a/);
  assert.throws(() => bus.attach(0x80, b), /not a 7-bit address/);
  assert.equal(bus.start(0x12, false), false);
  assert.equal(bus.send(0x55), false, 'nobody to acknowledge');
  assert.equal(bus.receive(true), 0xff);
  assert.equal(bus.start(0x10, false), true);
  assert.equal(bus.send(0x01), true);
  assert.equal(bus.receive(true), 0xff, 'a write transfer has nothing to read');
  assert.equal(bus.start(0x10, true), true, 'repeated START to the same target');
  assert.equal(bus.receive(false), 1);
  assert.equal(bus.send(0x02), false, 'a read transfer takes no data');
  assert.equal(bus.start(0x11, true), true);
  assert.equal(bus.receive(false), 2);
  bus.stop();
  assert.equal(bus.busy, false);
  assert.deepEqual(a.events, ['start W', 'write 1', 'start R', 'read nak', 'stop']);
  assert.deepEqual(b.events, ['start R', 'read nak', 'stop']);
});
