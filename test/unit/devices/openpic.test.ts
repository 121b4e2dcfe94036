/**
 * Register-level tests of the MPIC against the behaviour of QEMU 7.2's ppce500 MPIC (values
 * measured with U-Boot md/mw and small guests on qemu-system-ppc 7.2; see src/devices/mpic/).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OpenPic } from '../../../src/devices/mpic/openpic.js';
import { TimerQueue } from '../../../src/devices/clock.js';
import { Prng } from '../../support/prng.js';

function mpic(cpus = 1, { withClock = true } = {}) {
  const int: boolean[] = new Array<boolean>(cpus).fill(false);
  const cint: boolean[] = new Array<boolean>(cpus).fill(false);
  const intEdges: string[] = [];
  const proxy: boolean[] = [];
  const logs: string[] = [];
  const t = { now: 0 };
  const clock = new TimerQueue(() => t.now);
  const p = new OpenPic(
    cpus,
    {
      setInt: (c, l) => {
        int[c] = l;
        intEdges.push(`${c}:${l ? 1 : 0}`);
      },
      setCint: (c, l) => {
        cint[c] = l;
      },
      setProxyMode: (on) => proxy.push(on),
    },
    withClock ? { clock, log: (l) => logs.push(l) } : { log: (l) => logs.push(l) },
  );
  /** Moves the fake clock and runs what the VMM would run between exits. */
  const advance = (ns: number) => {
    t.now += ns;
    clock.runDue(t.now);
  };
  return { p, int, cint, intEdges, proxy, logs, clock, t, advance };
}

const IVPR = (n: number) => 0x10000 + 0x20 * n;
const IDR = (n: number) => 0x10010 + 0x20 * n;
const ILR = (n: number) => 0x10018 + 0x20 * n;
const CPU = (c: number, reg: number) => 0x20000 + 0x1000 * c + reg;
const IPIDR = (c: number, ipi: number) => CPU(c, 0x40 + 0x10 * ipi);
const CTPR = (c: number) => CPU(c, 0x80);
const WHOAMI = (c: number) => CPU(c, 0x90);
const IACK = (c: number) => CPU(c, 0xa0);
const EOI = (c: number) => CPU(c, 0xb0);
const IPIVPR = (i: number) => 0x10a0 + 0x10 * i;
const TCCR = (t: number) => 0x1100 + 0x40 * t;
const TBCR = (t: number) => 0x1110 + 0x40 * t;
const TVPR = (t: number) => 0x1120 + 0x40 * t;
const TDR = (t: number) => 0x1130 + 0x40 * t;
const GCR = 0x1020;
const SVR = 0x10e0;
const TFRR = 0x10f0;
const MSIR = (g: number) => 0x1600 + 0x10 * g;
const MSISR = 0x1720;
const MSIIR = 0x1740;
const A = 0x40000000;
const MSK = 0x80000000;
const vpr = (prio: number, vector: number) => ((prio << 16) | vector) >>> 0;
const SPURIOUS = 0xffff;

// ---- identification and reset ------------------------------------------------------------

test('reset values are those QEMU 7.2 reads', () => {
  const { p } = mpic(1);
  assert.equal(p.read(0x0000, 4), 0x00400402, 'BRR1 (v4.2)');
  assert.equal(p.read(0x1000, 4), 0x00c30002, 'FRR: 196 sources, 1 CPU, version 2');
  assert.equal(p.read(GCR, 4), 0);
  assert.equal(p.read(0x1080, 4), 0, 'VIR');
  assert.equal(p.read(0x1090, 4), 0, 'PIR');
  assert.equal(p.read(SVR, 4), 0xffff);
  assert.equal(p.read(TFRR, 4), 0);
  assert.equal(p.read(IVPR(1), 4), 0x80000000, 'external: masked, edge');
  assert.equal(p.read(IVPR(42), 4), 0x80800000, 'internal: masked, P set, S reads 0');
  assert.equal(p.read(IDR(42), 4), 1);
  assert.equal(p.read(ILR(42), 4), 0);
  assert.equal(p.read(IPIVPR(0), 4), 0x80000000);
  assert.equal(p.read(TCCR(0), 4), 0);
  assert.equal(p.read(TBCR(0), 4), 0x80000000, 'count inhibited');
  assert.equal(p.read(TVPR(0), 4), 0x80000000);
  assert.equal(p.read(TDR(0), 4), 1);
  assert.equal(p.read(CTPR(0), 4), 15);
  assert.equal(p.read(WHOAMI(0), 4), 0);
  assert.equal(p.read(IACK(0), 4), SPURIOUS);
  assert.equal(p.read(EOI(0), 4), 0);
});

test('FRR reports the CPU count; WHOAMI names each CPU, directly and through the current-CPU alias', () => {
  const { p } = mpic(3);
  assert.equal(p.read(0x1000, 4), 0x00c30202);
  for (let c = 0; c < 3; c++) {
    assert.equal(p.read(WHOAMI(c), 4), c);
    p.currentCpu = c;
    assert.equal(p.read(0x90, 4), c);
  }
});

test('read-only and write-ignored registers keep their values', () => {
  const { p } = mpic(1);
  for (const off of [0x0000, 0x1000, 0x1080, 0x1090]) p.write(off, 4, 0x12345678);
  assert.equal(p.read(0x0000, 4), 0x00400402);
  assert.equal(p.read(0x1000, 4), 0x00c30002);
  assert.equal(p.read(0x1080, 4), 0);
  assert.equal(p.read(0x1090, 4), 0, 'PIR writes are accepted but it reads 0');
  p.write(SVR, 4, 0x12345678);
  assert.equal(p.read(SVR, 4), 0x5678, 'SVR keeps the 16-bit vector');
  p.write(TFRR, 4, 0x12345678);
  assert.equal(p.read(TFRR, 4), 0x12345678, 'TFRR is plain storage');
  p.write(WHOAMI(0), 4, 7);
  assert.equal(p.read(WHOAMI(0), 4), 0);
});

test('vector/priority registers keep the bits QEMU keeps for each kind of source', () => {
  const { p } = mpic(1);
  p.write(IVPR(1), 4, 0xffffffff);
  assert.equal(p.read(IVPR(1), 4), 0x80cfffff, 'external: MSK, P, S, priority, vector; A and the mode bit are not writable');
  p.write(IVPR(42), 4, 0xffffffff);
  assert.equal(p.read(IVPR(42), 4), 0x808fffff, 'internal: S reads 0');
  p.write(IVPR(42), 4, 0);
  assert.equal(p.read(IVPR(42), 4), 0, 'internal: P is writable (and ignored)');
  p.write(IPIVPR(1), 4, 0xffffffff);
  assert.equal(p.read(IPIVPR(1), 4), 0x800fffff, 'IPI: no P or S');
  p.write(TVPR(2), 4, 0xffffffff);
  assert.equal(p.read(TVPR(2), 4), 0x800fffff, 'timer: no P or S');
});

test('IDR keeps one bit per existing CPU (no critical bits on v4.2); ILR takes 0, 1 or 2', () => {
  const { p, logs } = mpic(3);
  p.write(IDR(42), 4, 0xffffffff);
  assert.equal(p.read(IDR(42), 4), 0x7);
  p.write(TDR(3), 4, 0xffffffff);
  assert.equal(p.read(TDR(3), 4), 0x7);
  for (const [w, r] of [
    [1, 1],
    [2, 2],
    [0x101, 1],
    [0, 0],
  ] as const) {
    p.write(ILR(42), 4, w);
    assert.equal(p.read(ILR(42), 4), r);
  }
  p.write(ILR(42), 4, 1);
  p.write(ILR(42), 4, 3);
  assert.equal(p.read(ILR(42), 4), 0, 'an unsupported target routes to INT');
  assert.ok(logs.some((l) => l.includes('ILR of source 42')));
});

// ---- undecoded and unassigned offsets -------------------------------------------------------

test('offsets QEMU does not decode read 0xFFFFFFFF inside its register ranges and 0 elsewhere', () => {
  const { p } = mpic(1);
  const undecoded = [
    0x0004, // unaligned in the global range
    0x0010, // BRR2: not decoded
    0x0040, // IPI dispatch is write-only
    0x00c0,
    0x0100,
    0x0ff0,
    0x1010,
    0x1030,
    0x10a4,
    0x1104, // unaligned timer register
    0x1304,
    0x1684, // unaligned MSI register
    0x10004, // between source registers
    0x10014,
    0x1001c,
    CPU(0, 0x40),
    CPU(0, 0x100),
    CPU(0, 0xa4),
    CPU(1, 0x80), // a CPU that does not exist
    0x3f0fc,
  ];
  for (const off of undecoded) assert.equal(p.read(off, 4), 0xffffffff, `0x${off.toString(16)}`);
  const zero = [0x1310, 0x1680, 0x1740, 0x1800, 0x2100, 0x2130, 0x3800, 0x3904, 0x4000, 0x12000, 0x1ffc0, 0x3f100, 0x3fffc];
  for (const off of zero) assert.equal(p.read(off, 4), 0, `0x${off.toString(16)}`);
});

test('writes to offsets that are not modelled change nothing and are logged, rate-limited', () => {
  const { p, logs, int } = mpic(2);
  const before = [0x0000, 0x1000, GCR, SVR, TFRR, IVPR(42), IDR(42), CTPR(0), CTPR(1), TBCR(0)].map((o) => p.read(o, 4));
  for (let k = 0; k < 100; k++) {
    for (const off of [0x0010, 0x1010, 0x1304, 0x1684, 0x10004, CPU(0, 0x100), CPU(2, 0x80), 0x2110, 0x3904, 0x12000]) {
      p.write(off, 4, 0xffffffff);
    }
  }
  const after = [0x0000, 0x1000, GCR, SVR, TFRR, IVPR(42), IDR(42), CTPR(0), CTPR(1), TBCR(0)].map((o) => p.read(o, 4));
  assert.deepEqual(after, before);
  assert.deepEqual(int, [false, false]);
  assert.ok(logs.length >= 1, 'reported');
  assert.match(logs[0]!, /^ngkvm: mpic: write to 0x10 ignored/);
  assert.ok(logs.length < 1000, 'rate-limited');
});

test("Linux's writes to the timer group B registers are ignored silently, as on QEMU; other unassigned offsets are still logged", () => {
  const { p, logs } = mpic(2);
  // mpic_init on an MPIC 4.2: destination then vector/priority of timers 4–7 (group B).
  for (let n = 0; n < 4; n++) {
    p.write(0x2130 + 0x40 * n, 4, 1);
    p.write(0x2120 + 0x40 * n, 4, 0x80090000 | (0xfc + n));
  }
  for (let n = 0; n < 4; n++) for (let r = 0; r < 4; r++) assert.equal(p.read(0x2100 + 0x40 * n + 0x10 * r, 4), 0);
  assert.deepEqual(logs, []);
  p.write(0x2200, 4, 1);
  assert.equal(logs.length, 1);
  assert.match(logs[0]!, /^ngkvm: mpic: write to 0x2200: offset is not modelled/);
});

test('byte and halfword accesses act on the 32-bit register at that offset, as QEMU widens them', () => {
  const { p } = mpic(1);
  assert.equal(p.read(0x1000, 1), 0x00, 'top byte of FRR');
  assert.equal(p.read(0x1001, 1), 0xff, 'unaligned: undecoded');
  assert.equal(p.read(0x1000, 2), 0x00c3);
  assert.equal(p.read(0x1002, 2), 0xffff);
  p.write(CTPR(0), 4, 9);
  p.write(CTPR(0) + 3, 1, 3);
  assert.equal(p.read(CTPR(0), 4), 9, 'a byte write off the register start is ignored');
  p.write(CTPR(0), 1, 7);
  assert.equal(p.read(CTPR(0), 4), 0, 'a byte write at the start writes 0x07000000, whose low nibble is 0');
  p.write(TFRR, 2, 0x1234);
  assert.equal(p.read(TFRR, 4), 0x12340000);
});

/** Every 32-bit register as the current CPU reads it, in address order (IACK reads acknowledge). */
function registerDump(p: OpenPic, cpu: number): number[] {
  p.currentCpu = cpu;
  const out: number[] = [];
  for (let off = 0; off < 0x40000; off += 4) out.push(p.read(off, 4));
  return out;
}

test('guest garbage: a raised INT always has an interrupt behind it, and a reset makes it a new MPIC again', () => {
  const { p, int, advance } = mpic(2);
  const rnd = new Prng(12345);
  // Half of the accesses write plausible values to the registers that route and deliver
  // interrupts, so that the garbage really configures sources, priorities, destinations and
  // IPIs; the rest are anything anywhere.
  const vprValue = (): number => (rnd.chance(0.25) ? 0x8000_0000 : 0) | (rnd.below(16) << 16) | rnd.below(256);
  const interesting = (): [number, number] => {
    const c = rnd.below(2);
    switch (rnd.below(8)) {
      case 0:
        return [IVPR(rnd.below(8)), vprValue() | (rnd.u32() & 0x00c0_0000)];
      case 1:
        return [IDR(rnd.below(8)), 1 + rnd.below(3)];
      case 2:
        return [CTPR(c), rnd.below(16)];
      case 3:
        return [IPIVPR(rnd.below(4)), vprValue()];
      case 4:
        return [IPIDR(c, rnd.below(4)), 1 + rnd.below(3)];
      case 5:
        return [IACK(c), 0];
      case 6:
        return [EOI(c), 0];
      default:
        return [TVPR(rnd.below(4)), vprValue()];
    }
  };
  let raisedSeen = 0;
  for (let k = 0; k < 20000; k++) {
    const targeted = rnd.chance(0.5);
    const [off, value] = targeted ? interesting() : [rnd.below(0x40000), rnd.u32()];
    const size = targeted ? 4 : rnd.pick([1, 2, 4]);
    p.currentCpu = rnd.below(3);
    if (rnd.chance(targeted ? 0.75 : 0.5)) p.write(off, size, value);
    else p.read(off, size);
    if (rnd.chance(1 / 16)) p.setLine(rnd.below(8), rnd.chance(0.5));
    if (k % 1000 === 0) advance(1_000_000);
    if (k % 97 === 0) {
      // INT is never a stale edge: when it is raised, IACK has a vector for that CPU. (Low INT
      // with a vector is allowed: a source above CTPR waits behind one of higher priority in
      // service.)
      const cpu = rnd.below(2);
      const spurious = p.read(SVR, 4) & 0xffff;
      const raised = int[cpu]!;
      const vector = p.acknowledge(cpu);
      if (raised) {
        raisedSeen++;
        assert.notEqual(vector, spurious, `step ${k}, CPU ${cpu}: INT raised, but IACK gave the spurious vector`);
      }
    }
  }
  assert.ok(raisedSeen > 10, `the garbage delivered interrupts (${raisedSeen} checks found INT raised)`);
  // A reset after garbage leaves exactly the registers a fresh MPIC has after its reset.
  const fresh = mpic(2);
  p.reset();
  fresh.p.reset();
  for (let cpu = 0; cpu < 2; cpu++) assert.deepEqual(registerDump(p, cpu), registerDump(fresh.p, cpu), `CPU ${cpu}'s view after reset`);
  assert.deepEqual(int, fresh.int, 'INT outputs after reset');
  // And it works: an IPI to CPU 1 is delivered and retired as on a new MPIC.
  p.write(CTPR(1), 4, 0);
  p.write(IPIVPR(0), 4, vpr(5, 0x50));
  p.write(IPIDR(0, 0), 4, 2);
  assert.equal(int[1], true);
  assert.equal(p.acknowledge(1), 0x50);
  p.currentCpu = 1;
  p.write(EOI(1), 4, 0);
  assert.equal(int[1], false);
});

// ---- delivery ---------------------------------------------------------------------------------

test('a level source is offered above CTPR; IACK puts it in service; EOI retires it', () => {
  const { p, int } = mpic();
  p.write(IVPR(42), 4, vpr(5, 42));
  p.write(CTPR(0), 4, 0);
  assert.equal(int[0], false);
  p.setLine(42, true);
  assert.equal(int[0], true);
  assert.equal(p.read(IVPR(42), 4), A | vpr(5, 42), 'A while pending and unmasked');
  assert.equal(p.read(IACK(0), 4), 42);
  assert.equal(int[0], false, 'the source in service hides itself');
  assert.ok(p.read(IVPR(42), 4) & A, 'A stays set while the line is high; in service alone does not set it');
  assert.equal(p.read(IACK(0), 4), 42, 'a level source still asserted is acknowledged again (QEMU)');
  p.setLine(42, false);
  assert.equal(p.read(IVPR(42), 4) & A, 0);
  p.write(EOI(0), 4, 0);
  assert.equal(int[0], false);
  assert.equal(p.read(IACK(0), 4), SPURIOUS);
});

test('a level source still asserted after EOI is offered again', () => {
  const { p, int } = mpic();
  p.write(IVPR(42), 4, vpr(5, 42));
  p.write(CTPR(0), 4, 0);
  p.setLine(42, true);
  p.read(IACK(0), 4);
  assert.equal(int[0], false);
  p.write(EOI(0), 4, 0);
  assert.equal(int[0], true);
});

test('an edge source latches a rising input, is consumed by IACK and needs a new edge', () => {
  const { p, int } = mpic();
  p.write(IVPR(3), 4, vpr(4, 0x33)); // S = 0: edge
  p.write(CTPR(0), 4, 0);
  p.setLine(3, true);
  assert.equal(int[0], true);
  p.setLine(3, false);
  assert.equal(int[0], true, 'the edge stays latched after the input falls');
  assert.equal(p.read(IACK(0), 4), 0x33);
  assert.equal(p.read(IVPR(3), 4) & A, 0, 'IACK clears A of an edge source');
  assert.equal(p.read(IACK(0), 4), SPURIOUS);
  p.write(EOI(0), 4, 0);
  p.setLine(3, true);
  p.setLine(3, true);
  assert.equal(p.read(IACK(0), 4), 0x33);
  p.write(EOI(0), 4, 0);
  assert.equal(p.read(IACK(0), 4), SPURIOUS, 'holding the input high is one edge');
});

test('an edge latched while masked is delivered when unmasked', () => {
  const { p, int } = mpic();
  p.write(IVPR(3), 4, MSK | vpr(4, 0x33));
  p.write(CTPR(0), 4, 0);
  p.setLine(3, true);
  p.setLine(3, false);
  assert.equal(int[0], false);
  assert.equal(p.read(IVPR(3), 4) & A, 0, 'masked: A clear');
  p.write(IVPR(3), 4, vpr(4, 0x33));
  assert.equal(int[0], true);
  assert.equal(p.read(IACK(0), 4), 0x33);
});

test('IVPR polarity is ignored: an asserted input is active whatever P says (QEMU)', () => {
  const { p, int } = mpic();
  // Linux programs PCI INTx (DT sense 1) as level, active low: P = 0, S = 1.
  p.write(IVPR(1), 4, 0x00400000 | vpr(8, 1));
  p.write(CTPR(0), 4, 0);
  p.setLine(1, true);
  assert.equal(int[0], true);
  p.setLine(1, false);
  assert.equal(int[0], false);
  p.write(IVPR(43), 4, vpr(8, 43)); // internal with P = 0
  p.setLine(43, true);
  assert.equal(int[0], true);
});

test('switching an external source to level re-reads its input', () => {
  const { p, int } = mpic();
  p.write(CTPR(0), 4, 0);
  p.write(IVPR(2), 4, vpr(4, 2)); // edge
  p.setLine(2, true);
  p.setLine(2, false);
  assert.equal(int[0], true, 'edge latched');
  p.write(IVPR(2), 4, 0x00400000 | vpr(4, 2));
  assert.equal(int[0], false, 'level with the input low: nothing pending');
  p.setLine(2, true);
  p.write(IVPR(2), 4, vpr(4, 2));
  assert.equal(int[0], true, 'back to edge: the pending request is kept');
});

test('CTPR: only sources above it are offered; lowering it releases them, raising it withdraws them', () => {
  const { p, int } = mpic();
  p.write(CTPR(0), 4, 4);
  p.write(IVPR(16), 4, vpr(3, 0x16));
  p.write(IVPR(17), 4, vpr(9, 0x17));
  p.setLine(16, true);
  assert.equal(int[0], false, 'priority 3 is not above CTPR 4');
  p.setLine(17, true);
  assert.equal(int[0], true);
  p.write(CTPR(0), 4, 9);
  assert.equal(int[0], false, 'equal to CTPR is not enough');
  assert.equal(p.read(IACK(0), 4), SPURIOUS);
  p.write(CTPR(0), 4, 0xfffffff2);
  assert.equal(p.read(CTPR(0), 4), 2, 'CTPR keeps 4 bits');
  assert.equal(p.read(IACK(0), 4), 0x17, 'highest priority first');
  p.setLine(17, false);
  p.write(EOI(0), 4, 0);
  assert.equal(int[0], true);
  assert.equal(p.read(IACK(0), 4), 0x16);
});

test('an edge source below CTPR stays pending: IACK gives the spurious vector and does not lose it', () => {
  // QEMU drops the edge here ("openpic_iack: bad raised IRQ"); see guests/isa/mpic_ctpr.c.
  const { p, int } = mpic();
  p.write(IPIVPR(0), 4, vpr(5, 0x10));
  p.write(CTPR(0), 4, 7);
  p.write(IPIDR(0, 0), 4, 1);
  assert.equal(int[0], false);
  assert.equal(p.read(IACK(0), 4), SPURIOUS);
  p.write(CTPR(0), 4, 0);
  assert.equal(int[0], true);
  assert.equal(p.read(IACK(0), 4), 0x10);
});

test('the spurious vector is what SVR holds', () => {
  const { p } = mpic();
  p.write(SVR, 4, 0x00ff);
  assert.equal(p.read(IACK(0), 4), 0xff);
  assert.equal(p.acknowledge(0), 0xff);
});

test('nesting: a higher priority interrupts a source in service; a lower one waits, though IACK returns it (QEMU)', () => {
  const { p, int } = mpic();
  p.write(CTPR(0), 4, 0);
  p.write(IVPR(224), 4, vpr(9, 0xe0));
  p.write(IVPR(225), 4, vpr(3, 0xe1));
  p.write(IVPR(226), 4, vpr(12, 0xe2));
  p.setLine(224, true);
  assert.equal(p.read(IACK(0), 4), 0xe0);
  p.setLine(224, false);
  p.setLine(225, true);
  assert.equal(int[0], false, 'priority 3 waits behind 9 in service');
  p.setLine(226, true);
  assert.equal(int[0], true, '12 interrupts 9');
  assert.equal(p.read(IACK(0), 4), 0xe2);
  p.setLine(226, false);
  assert.equal(p.read(IACK(0), 4), 0xe1, 'IACK does not compare with the in-service priority');
  p.setLine(225, false);
  // In service: 9, 12, 3. EOI retires the highest priority first.
  p.write(EOI(0), 4, 0);
  p.setLine(226, true);
  assert.equal(int[0], true, 'only 9 and 3 left in service, so 12 is offered again');
  assert.equal(p.read(IACK(0), 4), 0xe2);
  p.setLine(226, false);
  p.write(EOI(0), 4, 0); // 12
  p.write(EOI(0), 4, 0); // 9
  p.setLine(224, true);
  assert.equal(int[0], true, 'only 3 in service: 9 is offered');
  p.read(IACK(0), 4);
  p.setLine(224, false);
  p.write(EOI(0), 4, 0); // 9
  p.write(EOI(0), 4, 0); // 3
  p.write(EOI(0), 4, 0); // nothing in service: no effect
  p.setLine(225, true);
  assert.equal(int[0], true);
});

test('equal priorities: the lowest source number is acknowledged and retired first', () => {
  const { p, int } = mpic();
  p.write(CTPR(0), 4, 0);
  p.write(IPIVPR(2), 4, vpr(6, 0x52));
  p.write(IPIVPR(3), 4, vpr(6, 0x53));
  p.write(IPIDR(0, 3), 4, 1);
  p.write(IPIDR(0, 2), 4, 1);
  assert.equal(p.read(IACK(0), 4), 0x52);
  assert.equal(p.read(IACK(0), 4), 0x53, 'equal priority nests through IACK (QEMU)');
  p.write(EOI(0), 4, 0); // retires IPI2 (lower number)
  p.write(IPIDR(0, 2), 4, 1);
  assert.equal(int[0], false, 'IPI3 (priority 6) still in service hides IPI2');
  p.write(EOI(0), 4, 0);
  assert.equal(int[0], true);
  assert.equal(p.read(IACK(0), 4), 0x52);
});

test('masking a pending source withdraws it and clears A; masking one in service leaves EOI working', () => {
  const { p, int } = mpic();
  p.write(CTPR(0), 4, 0);
  p.write(IVPR(225), 4, vpr(3, 0xe1));
  p.setLine(225, true);
  p.write(IVPR(225), 4, MSK | vpr(3, 0xe1));
  assert.equal(p.read(IVPR(225), 4), (MSK | vpr(3, 0xe1)) >>> 0);
  assert.equal(int[0], false);
  assert.equal(p.read(IACK(0), 4), SPURIOUS);
  p.write(IVPR(225), 4, vpr(3, 0xe1));
  assert.equal(int[0], true);
  assert.equal(p.read(IACK(0), 4), 0xe1);
  p.write(IVPR(225), 4, MSK | vpr(3, 0xe1));
  p.write(EOI(0), 4, 0);
  assert.equal(int[0], false);
  p.write(IVPR(225), 4, vpr(3, 0xe1));
  assert.equal(int[0], true, 'still asserted: offered again once unmasked');
});

test('a source with several destination CPUs is offered to each of them (QEMU directed delivery)', () => {
  const { p, int } = mpic(3);
  for (const c of [0, 1, 2]) p.write(CTPR(c), 4, 0);
  p.write(IVPR(224), 4, vpr(6, 0xe0));
  p.write(IDR(224), 4, 0b110);
  p.setLine(224, true);
  assert.deepEqual(int, [false, true, true]);
  assert.equal(p.read(IACK(1), 4), 0xe0);
  assert.equal(p.read(IACK(2), 4), 0xe0, 'a level source is taken by every destination');
  assert.equal(p.read(IACK(0), 4), SPURIOUS);
  p.setLine(224, false);
  p.write(EOI(1), 4, 0);
  p.write(EOI(2), 4, 0);

  p.write(IVPR(5), 4, vpr(6, 5)); // external, edge
  p.write(IDR(5), 4, 0b011);
  p.setLine(5, true);
  assert.deepEqual(int, [true, true, false]);
  assert.equal(p.read(IACK(1), 4), 5);
  assert.deepEqual(int, [false, false, false], 'the first acknowledge takes an edge away from the others');
  assert.equal(p.read(IACK(0), 4), SPURIOUS);
});

test('an IDR write re-routes a pending source at once', () => {
  const { p, int } = mpic(2);
  p.write(CTPR(0), 4, 0);
  p.write(CTPR(1), 4, 0);
  p.write(IVPR(42), 4, vpr(5, 42));
  p.setLine(42, true);
  assert.deepEqual(int, [true, false]);
  p.write(IDR(42), 4, 2);
  assert.deepEqual(int, [false, true]);
  assert.equal(p.read(IACK(0), 4), SPURIOUS);
  assert.equal(p.read(IACK(1), 4), 42);
});

// ---- IPIs ---------------------------------------------------------------------------------------

test('an IPI to CPUs 1 and 2 is pending on each independently, and A stays set until both took it', () => {
  const { p, int } = mpic(3);
  for (const c of [0, 1, 2]) p.write(CTPR(c), 4, 0);
  p.write(IPIVPR(0), 4, vpr(5, 0x50));
  p.write(IPIDR(1, 0), 4, 0b110);
  assert.deepEqual(int, [false, true, true]);
  assert.equal(p.read(IPIVPR(0), 4), A | vpr(5, 0x50));
  assert.equal(p.read(IACK(1), 4), 0x50);
  assert.deepEqual(int, [false, false, true]);
  assert.equal(p.read(IPIVPR(0), 4), A | vpr(5, 0x50), 'still pending for CPU 2');
  assert.equal(p.read(IACK(1), 4), SPURIOUS, 'one copy per CPU');
  assert.equal(p.read(IACK(2), 4), 0x50);
  assert.equal(p.read(IPIVPR(0), 4), vpr(5, 0x50));
  assert.equal(p.read(IACK(0), 4), SPURIOUS, 'CPU 0 was not in the mask');
  p.write(EOI(1), 4, 0);
  p.write(EOI(2), 4, 0);
  assert.deepEqual(int, [false, false, false]);
});

test('after reset IPIs aim at no CPU: dispatching to another CPU does not reach CPU 0', () => {
  const { p } = mpic(2);
  p.write(CTPR(0), 4, 0);
  p.write(CTPR(1), 4, 0);
  p.write(IPIVPR(0), 4, vpr(5, 0x50));
  p.write(IPIDR(0, 0), 4, 2);
  assert.equal(p.read(IACK(0), 4), SPURIOUS);
  assert.equal(p.read(IACK(1), 4), 0x50);
});

test('IPI dispatch through the current-CPU alias; IACK and EOI through it act on that CPU', () => {
  const { p, int } = mpic(2);
  p.write(CTPR(1), 4, 0);
  p.write(IPIVPR(3), 4, vpr(7, 0x53));
  p.currentCpu = 0;
  p.write(0x70, 4, 0b10); // IPI3 from CPU 0 to CPU 1
  assert.deepEqual(int, [false, true]);
  p.currentCpu = 1;
  assert.equal(p.read(0x80, 4), 0);
  assert.equal(p.read(0xa0, 4), 0x53);
  p.currentCpu = 0;
  p.write(0xb0, 4, 0); // EOI on CPU 0: nothing in service there
  p.write(IPIDR(0, 3), 4, 0b10);
  assert.deepEqual(int, [false, false], 'CPU 1 still has IPI3 in service');
  p.currentCpu = 1;
  p.write(0xb0, 4, 0);
  assert.deepEqual(int, [false, true]);
});

test('a masked IPI stays pending until unmasked; mask bits beyond the CPUs keep A set (QEMU)', () => {
  const { p, int } = mpic(1);
  p.write(CTPR(0), 4, 0);
  p.write(IPIVPR(1), 4, MSK | vpr(6, 0x51));
  p.write(IPIDR(0, 1), 4, 1);
  assert.equal(int[0], false);
  p.write(IPIVPR(1), 4, vpr(6, 0x51));
  assert.equal(int[0], true);
  assert.equal(p.read(IACK(0), 4), 0x51);
  p.write(EOI(0), 4, 0);
  p.write(IPIVPR(2), 4, vpr(6, 0x52));
  p.write(IPIDR(0, 2), 4, 0x101);
  assert.equal(p.read(IACK(0), 4), 0x52);
  assert.equal(p.read(IPIVPR(2), 4), A | vpr(6, 0x52), 'still pending for a CPU 8 that does not exist');
  p.write(EOI(0), 4, 0);
  assert.equal(int[0], false);
  p.write(IPIDR(0, 2), 4, 1);
  assert.equal(p.read(IACK(0), 4), 0x52, 'and it still works for CPU 0');
});

// ---- critical and machine-check routing ---------------------------------------------------------

test('ILR 1 routes a level source to CINT, outside priority, IACK and EOI; masking drops it', () => {
  const { p, int, cint } = mpic(2);
  p.write(CTPR(0), 4, 15);
  p.write(IVPR(225), 4, vpr(3, 0xe1));
  p.write(ILR(225), 4, 1);
  p.write(IDR(225), 4, 2);
  p.setLine(225, true);
  assert.deepEqual(cint, [false, true], 'CPU 1 only; CTPR does not matter');
  assert.deepEqual(int, [false, false]);
  assert.ok(p.read(IVPR(225), 4) & A);
  p.write(CTPR(1), 4, 0);
  assert.equal(p.read(IACK(1), 4), SPURIOUS, 'not acknowledged through IACK');
  p.write(IVPR(225), 4, MSK | vpr(3, 0xe1));
  assert.deepEqual(cint, [false, false]);
  p.write(IVPR(225), 4, vpr(3, 0xe1));
  assert.deepEqual(cint, [false, true]);
  p.write(ILR(225), 4, 0);
  assert.deepEqual(cint, [false, false], 're-routed to INT at once');
  assert.deepEqual(int, [false, true]);
  p.write(ILR(225), 4, 1);
  p.setLine(225, false);
  assert.deepEqual(cint, [false, false]);
});

test('an edge routed to CINT is a pulse the core never sees; ILR 2 (machine check) reaches no output', () => {
  const { p, int, cint } = mpic();
  p.write(CTPR(0), 4, 0);
  p.write(IVPR(4), 4, vpr(3, 4));
  p.write(ILR(4), 4, 1);
  p.setLine(4, true);
  assert.deepEqual(cint, [false]);
  assert.equal(p.read(IVPR(4), 4) & A, 0);
  p.write(ILR(4), 4, 0);
  assert.equal(int[0], false, 'nothing was latched');
  p.write(IVPR(42), 4, vpr(3, 42));
  p.write(ILR(42), 4, 2);
  p.setLine(42, true);
  assert.deepEqual(int, [false]);
  assert.deepEqual(cint, [false]);
  assert.ok(p.read(IVPR(42), 4) & A, 'pending and unmasked');
  assert.equal(p.read(IACK(0), 4), SPURIOUS);
});

// ---- MSI ----------------------------------------------------------------------------------------

test('MSIIR sets a bit of a shared-message register and raises its source; reading MSIR returns and clears it', () => {
  const { p, int } = mpic();
  p.write(CTPR(0), 4, 0);
  p.write(IVPR(225), 4, vpr(7, 0xe1));
  p.write(MSIIR, 4, (1 << 29) | (5 << 24));
  p.write(MSIIR, 4, (1 << 29) | (31 << 24) | 0xffffff);
  p.write(MSIIR, 4, (7 << 29) | (0 << 24));
  assert.equal(p.read(MSISR, 4), 0x82);
  assert.equal(int[0], true);
  assert.equal(p.read(IACK(0), 4), 0xe1);
  p.write(MSIR(1), 4, 0); // read-only
  assert.equal(p.read(MSIR(1), 4), ((1 << 5) | (1 << 31)) >>> 0);
  assert.equal(p.read(IVPR(225), 4) & A, 0, 'the source dropped with the bits');
  assert.equal(p.read(MSIR(1), 4), 0);
  assert.equal(p.read(MSISR, 4), 0x80);
  p.write(EOI(0), 4, 0);
  assert.equal(int[0], false, 'group 7 (source 231) is still masked');
  assert.equal(p.read(MSIR(7), 4), 1);
  assert.equal(p.read(MSISR, 4), 0);
  assert.equal(p.read(MSIIR, 4), 0, 'MSIIR reads 0');
});

test('a shared-message interrupt raised again while in service is offered after EOI', () => {
  const { p, int } = mpic();
  p.write(CTPR(0), 4, 0);
  p.write(IVPR(224), 4, vpr(7, 0xe0));
  p.write(MSIIR, 4, 0);
  assert.equal(p.read(IACK(0), 4), 0xe0);
  assert.equal(p.read(MSIR(0), 4), 1);
  p.write(MSIIR, 4, 3 << 24);
  assert.equal(int[0], false);
  p.write(EOI(0), 4, 0);
  assert.equal(int[0], true);
  assert.equal(p.read(MSIR(0), 4), 1 << 3);
});

// ---- GCR: mode and reset ------------------------------------------------------------------------

test('GCR keeps the mode bits; every mode write tells the cores whether they use external proxy', () => {
  const { p, proxy } = mpic();
  p.write(GCR, 4, 0x20000000);
  assert.equal(p.read(GCR, 4), 0x20000000);
  p.write(GCR, 4, 0x1fffffff);
  assert.equal(p.read(GCR, 4), 0);
  p.write(GCR, 4, 0x40000000);
  assert.equal(p.read(GCR, 4), 0x40000000);
  p.write(GCR, 4, 0x60000000);
  assert.equal(p.proxyMode, true);
  p.write(GCR, 4, 0x60000000);
  assert.deepEqual(proxy, [false, false, false, true, true]);
});

test('GCR reset restores registers but, as in QEMU, not the proxy mode, pending inputs, ILR or MSIRs', () => {
  const { p, proxy, int } = mpic(2);
  p.write(GCR, 4, 0x60000000);
  p.write(SVR, 4, 0xff);
  p.write(TFRR, 4, 1234);
  p.write(CTPR(0), 4, 0);
  p.write(IVPR(226), 4, MSK | vpr(4, 0xe2));
  p.write(ILR(226), 4, 1);
  p.write(IDR(226), 4, 2);
  p.write(MSIIR, 4, 2 << 29);
  p.write(IVPR(42), 4, vpr(5, 42));
  p.setLine(42, true);
  assert.equal(p.read(IACK(0), 4), 42);
  p.write(TBCR(1), 4, 1000);

  p.write(GCR, 4, 0x80000000);
  assert.equal(p.read(GCR, 4), 0, 'reset completes at once');
  assert.deepEqual(proxy, [true], 'the cores are not taken out of proxy mode');
  assert.equal(p.proxyMode, true);
  assert.equal(p.read(SVR, 4), 0xffff);
  assert.equal(p.read(TFRR, 4), 0);
  assert.equal(p.read(CTPR(0), 4), 15);
  assert.equal(p.read(IVPR(42), 4), 0x80800000);
  assert.equal(p.read(IDR(226), 4), 1);
  assert.equal(p.read(ILR(226), 4), 1, 'ILR survives');
  assert.equal(p.read(MSISR, 4), 0x4, 'MSIRs survive');
  assert.equal(p.read(TBCR(1), 4), 0x80000000);
  assert.equal(p.read(TCCR(1), 4), 0);
  assert.deepEqual(int, [false, false]);

  p.write(ILR(226), 4, 0);
  p.write(CTPR(0), 4, 0);
  p.write(IVPR(226), 4, vpr(4, 0xe2));
  assert.equal(p.read(IACK(0), 4), 0xe2, 'the pending shared message survived, now aimed at CPU 0');
  p.write(IVPR(42), 4, vpr(5, 42));
  assert.equal(p.read(IACK(0), 4), 42, 'the in-service set was cleared, the asserted line still pending');
});

test('a pending IPI survives GCR reset without a destination until it is dispatched again', () => {
  const { p, int } = mpic(2);
  p.write(IPIVPR(1), 4, MSK | vpr(6, 0x51));
  p.write(IPIDR(0, 1), 4, 2);
  p.write(GCR, 4, 0x80000000);
  p.write(CTPR(0), 4, 0);
  p.write(CTPR(1), 4, 0);
  p.write(IPIVPR(1), 4, vpr(6, 0x51));
  assert.equal(p.read(IPIVPR(1), 4), A | vpr(6, 0x51));
  assert.deepEqual(int, [false, false]);
  p.write(IPIDR(0, 1), 4, 1);
  assert.equal(p.read(IACK(0), 4), 0x51);
});

test('reset() is the same reset and keeps the proxy mode', () => {
  const { p, proxy } = mpic();
  p.write(GCR, 4, 0x60000000);
  p.write(CTPR(0), 4, 3);
  p.reset();
  assert.equal(p.read(CTPR(0), 4), 15);
  assert.equal(p.read(GCR, 4), 0);
  assert.deepEqual(proxy, [true]);
});

test('acknowledge() is the IACK of that CPU (what proxy mode puts in EPR)', () => {
  const { p } = mpic(2);
  p.write(CTPR(1), 4, 0);
  p.write(IPIVPR(0), 4, vpr(5, 0x50));
  p.write(IPIDR(0, 0), 4, 2);
  assert.equal(p.acknowledge(0), SPURIOUS);
  assert.equal(p.acknowledge(1), 0x50);
  assert.equal(p.acknowledge(1), SPURIOUS);
  assert.equal(p.acknowledge(5), 0xffffffff, 'no such CPU');
});

test('the constructor refuses CPU counts the MPIC cannot serve', () => {
  const out = { setInt: () => {}, setCint: () => {}, setProxyMode: () => {} };
  assert.throws(() => new OpenPic(0, out), RangeError);
  assert.throws(() => new OpenPic(33, out), RangeError);
  assert.doesNotThrow(() => new OpenPic(32, out));
});
