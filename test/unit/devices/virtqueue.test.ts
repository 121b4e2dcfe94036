import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VIRTQ_AVAIL_F_NO_INTERRUPT, VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from '../../../src/devices/virtio/constants.js';
import { ChainReader, ChainWriter, SplitVirtqueue, VirtqueueError, layoutProblem } from '../../../src/devices/virtio/virtqueue.js';
import { DriverRing, TestRam, inBuf, outBuf } from '../../support/virtio.js';

function setup(size = 8, opts: { eventIdx?: boolean; indirect?: boolean } = {}) {
  const ram = new TestRam(1 << 20);
  const ring = new DriverRing(ram, size);
  const vq = new SplitVirtqueue(ram, { size, desc: ring.desc, avail: ring.avail, used: ring.used }, { eventIdx: opts.eventIdx ?? false, indirect: opts.indirect ?? true }, 'q');
  return { ram, ring, vq };
}

test('a chain of readable then writable buffers is returned in order, and its data reads and writes back', () => {
  const { ram, ring, vq } = setup();
  const a = inBuf(ram, Uint8Array.of(1, 2, 3));
  const b = inBuf(ram, Uint8Array.of(4, 5));
  const c = outBuf(ram, 4);
  const head = ring.offer([a, b, c]);
  assert.equal(vq.hasAvailable(), true);
  const chain = vq.pop()!;
  assert.equal(chain.head, head);
  assert.deepEqual(chain.readable, [{ addr: a.addr, len: 3 }, { addr: b.addr, len: 2 }]);
  assert.deepEqual(chain.writable, [{ addr: c.addr, len: 4 }]);
  assert.equal(chain.readableBytes, 5);
  assert.equal(chain.writableBytes, 4);
  const r = new ChainReader(ram, chain.readable);
  assert.deepEqual([...r.take(4)!], [1, 2, 3, 4]);
  assert.equal(r.take(2), undefined, 'take never returns a short read');
  assert.deepEqual([...r.take(1)!], [5]);
  const w = new ChainWriter(ram, chain.writable);
  assert.equal(w.write(Uint8Array.of(9, 8, 7, 6, 5)), 4, 'writes stop at the end of the writable buffers');
  assert.deepEqual([...ram.get(c.addr, 4)], [9, 8, 7, 6]);
  vq.push(chain, 4);
  assert.deepEqual(ring.takeUsed(), [{ id: head, len: 4 }]);
  assert.equal(vq.pop(), undefined);
});

test('indirect tables are followed; indexes wrap at 2^16', () => {
  const { ram, ring, vq } = setup(4);
  const r = inBuf(ram, Uint8Array.of(7));
  const w = outBuf(ram, 2);
  // Run the indexes up to 0xfffe the way a driver would, four chains at a time.
  for (let n = 0; n < 0xfffe; n += 2) {
    ring.offer([r, w]);
    ring.offer([r, w]);
    vq.push(vq.pop()!, 2);
    vq.push(vq.pop()!, 2);
    ring.takeUsed();
  }
  for (let i = 0; i < 3; i++) {
    const head = ring.offer([inBuf(ram, Uint8Array.of(i)), outBuf(ram, 2), outBuf(ram, 3)], { indirect: i === 1 });
    const chain = vq.pop()!;
    assert.equal(chain.head, head);
    assert.equal(chain.readableBytes, 1);
    assert.equal(chain.writableBytes, 5);
    vq.push(chain, 5);
  }
  assert.deepEqual(ring.takeUsed().map((u) => u.len), [5, 5, 5]);
  assert.equal(ram.view.getUint16(ring.used + 2, true), 1, 'used index wrapped 0xfffe → 1');
  assert.equal(vq.nextAvail, 1);
});

function bad(size: number, build: (ram: TestRam, ring: DriverRing) => void, pattern: RegExp, opts: { indirect?: boolean } = {}): void {
  const ram = new TestRam(1 << 16);
  const ring = new DriverRing(ram, size);
  build(ram, ring);
  const vq = new SplitVirtqueue(ram, { size, desc: ring.desc, avail: ring.avail, used: ring.used }, { eventIdx: false, indirect: opts.indirect ?? true }, 'q');
  assert.throws(() => vq.pop(), (e: unknown) => e instanceof VirtqueueError && pattern.test(e.message));
  assert.deepEqual(ram.outside, [], 'nothing outside RAM was touched');
}

test('every way a driver can break a chain is a VirtqueueError, and nothing outside RAM is touched', () => {
  // Head index past the table.
  bad(8, (_ram, ring) => ring.publish(8), /names descriptor 8/);
  // next past the table.
  bad(8, (ram, ring) => {
    const b = outBuf(ram, 4);
    ring.writeDesc(ring.desc, 0, { addr: b.addr, len: 4, flags: VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, next: 9 });
    ring.publish(0);
  }, /next descriptor 9/);
  // A loop.
  bad(8, (ram, ring) => {
    const b = outBuf(ram, 4);
    ring.writeDesc(ring.desc, 0, { addr: b.addr, len: 4, flags: VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, next: 1 });
    ring.writeDesc(ring.desc, 1, { addr: b.addr, len: 4, flags: VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, next: 0 });
    ring.publish(0);
  }, /longer than the queue/);
  // Readable after writable.
  bad(8, (ram, ring) => ring.offer([outBuf(ram, 4), inBuf(ram, Uint8Array.of(1))]), /readable buffer after a device-writable/);
  // A buffer outside RAM, and one that wraps past its end.
  bad(8, (_ram, ring) => ring.offer([{ addr: 0x1_0000 - 2, len: 4, write: true }]), /not in guest RAM/);
  bad(8, (_ram, ring) => ring.offer([{ addr: 2 ** 52, len: 16, write: false }]), /not in guest RAM/);
  // Indirect: without the feature, nested, with NEXT, bad lengths, outside RAM.
  bad(8, (ram, ring) => ring.offer([outBuf(ram, 4)], { indirect: true }), /without VIRTIO_F_INDIRECT_DESC/, { indirect: false });
  bad(8, (ram, ring) => {
    const inner = ram.alloc(16, 16);
    ring.writeDesc(inner, 0, { addr: inner, len: 16, flags: VIRTQ_DESC_F_INDIRECT, next: 0 });
    ring.writeDesc(ring.desc, 0, { addr: inner, len: 16, flags: VIRTQ_DESC_F_INDIRECT, next: 0 });
    ring.publish(0);
  }, /inside an indirect table/);
  bad(8, (ram, ring) => {
    const t = ram.alloc(16, 16);
    ring.writeDesc(ring.desc, 0, { addr: t, len: 16, flags: VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, next: 1 });
    ring.publish(0);
  }, /only descriptor/);
  for (const len of [0, 24]) {
    bad(8, (ram, ring) => {
      ring.writeDesc(ring.desc, 0, { addr: ram.alloc(32, 16), len, flags: VIRTQ_DESC_F_INDIRECT, next: 0 });
      ring.publish(0);
    }, /not a nonzero multiple of 16/);
  }
  bad(8, (_ram, ring) => {
    ring.writeDesc(ring.desc, 0, { addr: 0xf000, len: 16 * 0x1000, flags: VIRTQ_DESC_F_INDIRECT, next: 0 });
    ring.publish(0);
  }, /indirect table .* not in guest RAM/);
  // A loop inside an indirect table.
  bad(8, (ram, ring) => {
    const t = ram.alloc(32, 16);
    const b = outBuf(ram, 4);
    ring.writeDesc(t, 0, { addr: b.addr, len: 4, flags: VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, next: 1 });
    ring.writeDesc(t, 1, { addr: b.addr, len: 4, flags: VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, next: 0 });
    ring.writeDesc(ring.desc, 0, { addr: t, len: 32, flags: VIRTQ_DESC_F_INDIRECT, next: 0 });
    ring.publish(0);
  }, /longer than the queue/);
  // The available index running ahead by more than the queue size.
  bad(8, (ram, ring) => {
    ram.view.setUint16(ring.avail + 2, 9, true);
  }, /moved from 0 to 9/);
});

test('writable buffers adding up past 4 GiB are refused', () => {
  // A RAM that claims to be 3 GiB (isRam only): two 3 GiB buffers exceed the 32-bit used length.
  const ram = new TestRam(1 << 16);
  const huge = Object.assign(Object.create(ram) as TestRam, { isRam: (addr: number, len: number) => addr >= 0 && addr + len <= 3 * 2 ** 30 });
  const ring = new DriverRing(ram, 4);
  ring.offer([
    { addr: 0x10_0000, len: 3 * 2 ** 30 - 0x10_0000, write: true },
    { addr: 0x10_0000, len: 3 * 2 ** 30 - 0x10_0000, write: true },
  ]);
  const vq = new SplitVirtqueue(huge, { size: 4, desc: ring.desc, avail: ring.avail, used: ring.used }, { eventIdx: false, indirect: true });
  assert.throws(() => vq.pop(), /more than 4 GiB/);
});

test('ring layouts are checked before a queue goes live', () => {
  const ram = new TestRam(1 << 16);
  const ok = { size: 8, desc: 0x1000, avail: 0x2000, used: 0x3000 };
  assert.equal(layoutProblem(ram, ok, 256), undefined);
  assert.match(layoutProblem(ram, { ...ok, size: 6 }, 256)!, /not a power of two/);
  assert.match(layoutProblem(ram, { ...ok, size: 0 }, 256)!, /not a power of two/);
  assert.match(layoutProblem(ram, { ...ok, size: 512 }, 256)!, /from 1 to 256/);
  assert.match(layoutProblem(ram, { ...ok, desc: 0x1008 }, 256)!, /descriptor table .* 16-byte aligned/);
  assert.match(layoutProblem(ram, { ...ok, avail: 0x2001 }, 256)!, /available ring .* 2-byte aligned/);
  assert.match(layoutProblem(ram, { ...ok, used: 0x3002 }, 256)!, /used ring .* 4-byte aligned/);
  assert.match(layoutProblem(ram, { ...ok, used: 0xfff0 }, 256)!, /used ring .* not in guest RAM/);
});

test('interrupt suppression: NO_INTERRUPT without EVENT_IDX, used_event with it', () => {
  {
    const { ram, ring, vq } = setup(8);
    ring.offer([outBuf(ram, 1)]);
    vq.push(vq.pop()!, 1);
    assert.equal(vq.takeInterrupt(), true);
    assert.equal(vq.takeInterrupt(), false, 'nothing new since the last decision');
    ring.setAvailFlags(VIRTQ_AVAIL_F_NO_INTERRUPT);
    ring.offer([outBuf(ram, 1)]);
    vq.push(vq.pop()!, 1);
    assert.equal(vq.takeInterrupt(), false, 'the driver asked for no interrupts');
  }
  {
    const { ram, ring, vq } = setup(8, { eventIdx: true });
    ring.setUsedEvent(1);
    for (let i = 0; i < 3; i++) ring.offer([outBuf(ram, 1)]);
    vq.push(vq.pop()!, 1);
    assert.equal(vq.takeInterrupt(), false, 'used index 1 has not passed used_event 1');
    vq.push(vq.pop()!, 1);
    assert.equal(vq.takeInterrupt(), true, 'used index 2 passed used_event 1');
    vq.push(vq.pop()!, 1);
    assert.equal(vq.takeInterrupt(), false, 'used_event 1 was passed before');
    assert.equal(vq.armNotification(), false);
    assert.equal(ring.availEvent(), 3, 'avail_event names the next entry the device will take');
  }
});

test('rewind gives chains back; pushMany publishes several entries with one index update', () => {
  const { ram, ring, vq } = setup(8);
  const h1 = ring.offer([outBuf(ram, 2)]);
  const h2 = ring.offer([outBuf(ram, 2)]);
  vq.pop();
  vq.pop();
  vq.rewind(2);
  const c1 = vq.pop()!;
  const c2 = vq.pop()!;
  assert.deepEqual([c1.head, c2.head], [h1, h2]);
  vq.pushMany([{ chain: c1, written: 2 }, { chain: c2, written: 9 }]);
  assert.deepEqual(ring.takeUsed(), [{ id: h1, len: 2 }, { id: h2, len: 2 }], 'a used length never exceeds the writable bytes');
});
