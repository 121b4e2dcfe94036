/**
 * The route table both accelerators use (api/route-table.ts), on its own: which accesses a
 * route takes (MMIO and ports), the order posted writes reach several endpoints in, and a
 * flush a kick stopped making the next synchronous access an interruption, not a reordering.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RouteTable } from '../../../src/api/route-table.js';
import { RouteInterrupted, type RouteEndpoint } from '../../../src/api/routes.js';

/** An endpoint that records into a shared log; `stuck` keeps its queue on flush (a kicked send). */
class Recorder implements RouteEndpoint {
  queue: string[] = [];
  stuck = false;
  constructor(
    readonly name: string,
    private readonly log: string[],
  ) {}
  get hasQueued(): boolean {
    return this.queue.length > 0;
  }
  read(range: number, offset: number, data: Uint8Array): void {
    this.log.push(`${this.name} r${range}:${offset}/${data.length}`);
    data.fill(0xab);
  }
  write(range: number, offset: number, data: Uint8Array): void {
    this.log.push(`${this.name} w${range}:${offset}/${data.length}`);
  }
  post(range: number, offset: number, data: Uint8Array): void {
    this.queue.push(`${this.name} p${range}:${offset}/${data.length}`);
  }
  flush(): void {
    if (this.stuck) return;
    this.log.push(...this.queue);
    this.queue = [];
  }
}

test('MMIO and port routes take only accesses entirely inside them', () => {
  const log: string[] = [];
  const a = new Recorder('A', log);
  const p = new Recorder('P', log);
  const t = new RouteTable();
  const routes = [
    { space: 'mmio' as const, base: 0x1000, size: 0x10, endpoint: a, range: 2 },
    { space: 'pio' as const, base: 0x3f8, size: 8, endpoint: p },
  ];
  RouteTable.validate(routes, [], 36);
  t.replace(routes);
  const d = new Uint8Array(4);
  assert.equal(t.access('mmio', 0x100c, false, d), true);
  assert.deepEqual([...d], [0xab, 0xab, 0xab, 0xab]);
  assert.equal(t.access('mmio', 0x100e, false, d), false, 'runs past the end');
  assert.equal(t.access('mmio', 0x0ffc, false, d), false);
  assert.equal(t.access('pio', 0x3f8 + 5, true, d.subarray(0, 1)), true);
  assert.equal(t.access('mmio', 0x3f8, true, d.subarray(0, 1)), false, 'spaces are separate');
  assert.deepEqual(log, ['A r2:12/4', 'P w0:5/1']);
  assert.throws(() => RouteTable.validate([...routes, { space: 'pio', base: 0xfffc, size: 8, endpoint: p }], [], 36), /beyond port 0xffff/);
});

test('posted writes reach several endpoints in guest order; a synchronous access sends them all first', () => {
  const log: string[] = [];
  const a = new Recorder('A', log);
  const b = new Recorder('B', log);
  const t = new RouteTable();
  t.replace([
    { space: 'mmio', base: 0x1000, size: 0x10, endpoint: a, postedWrites: true },
    { space: 'mmio', base: 0x2000, size: 0x10, endpoint: b, postedWrites: true },
  ]);
  const one = new Uint8Array(1);
  t.access('mmio', 0x1000, true, one);
  t.access('mmio', 0x1001, true, one);
  assert.deepEqual(log, [], 'queued');
  t.access('mmio', 0x2000, true, one);
  assert.deepEqual(log, ['A p0:0/1', 'A p0:1/1'], "switching endpoints sends the other's queue");
  t.access('mmio', 0x1004, false, new Uint8Array(4));
  assert.deepEqual(log, ['A p0:0/1', 'A p0:1/1', 'B p0:0/1', 'A r0:4/4']);
  assert.equal(t.hasQueued, false);
});

test('a flush that a kick stopped makes the synchronous access an interruption; it completes afterwards', () => {
  const log: string[] = [];
  const a = new Recorder('A', log);
  const t = new RouteTable();
  t.replace([{ space: 'mmio', base: 0x1000, size: 0x10, endpoint: a, postedWrites: true }]);
  t.access('mmio', 0x1000, true, new Uint8Array(2));
  a.stuck = true;
  assert.throws(() => t.access('mmio', 0x1008, false, new Uint8Array(4)), RouteInterrupted);
  assert.deepEqual(log, [], 'the read did not overtake the queued write');
  a.stuck = false;
  t.access('mmio', 0x1008, false, new Uint8Array(4));
  assert.deepEqual(log, ['A p0:0/2', 'A r0:8/4']);
  // Replacing the table sends what is queued first.
  t.access('mmio', 0x1000, true, new Uint8Array(1));
  t.replace([]);
  assert.deepEqual(log.at(-1), 'A p0:0/1');
  assert.equal(t.access('mmio', 0x1000, false, new Uint8Array(1)), false);
});
