import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BLK_S, BLK_T, VirtioBlk } from '../../../src/devices/virtio/blk.js';
import { F, STATUS, bit } from '../../../src/devices/virtio/constants.js';
import { DriverRing, MemoryDisk, MmioDriver, TestRam, blkHeader, inBuf, outBuf, type Buf } from '../../support/virtio.js';

const MiB = 1 << 20;

function rig(opts: { size?: number; readOnly?: boolean; serial?: string; queues?: number; features?: bigint } = {}) {
  const ram = new TestRam(4 * MiB);
  const disk = new MemoryDisk(opts.size ?? MiB, opts.readOnly ?? false);
  const blk = new VirtioBlk({ backend: disk, ...(opts.serial !== undefined ? { serial: opts.serial } : {}), ...(opts.queues !== undefined ? { queues: opts.queues } : {}) });
  const d = new MmioDriver(blk, ram);
  const rings = d.start(Array.from({ length: opts.queues ?? 1 }, () => 64), opts.features);
  const q = rings[0]!;
  /** Submits a request and returns its status byte and used length. */
  const request = (bufs: readonly Buf[], ring: DriverRing = q, queue = 0): { status: number; len: number } => {
    const head = ring.offer(bufs);
    d.notify(queue);
    const used = ring.takeUsed();
    assert.equal(used.length, 1);
    assert.equal(used[0]!.id, head);
    const last = [...bufs].reverse().find((b) => b.write && b.len > 0)!;
    return { status: ram.get(last.addr + last.len - 1, 1)[0]!, len: used[0]!.len };
  };
  return { ram, disk, blk, d, q, rings, request };
}

test('features and configuration: QEMU\'s virtio-blk defaults', () => {
  const { d } = rig({ size: 8 * MiB });
  const f = d.deviceFeatures();
  for (const n of [2, 4, 6, 9, 10, 11, 13, 14, F.INDIRECT_DESC, F.EVENT_IDX, F.VERSION_1]) assert.ok((f & bit(n)) !== 0n, `feature ${n}`);
  assert.equal(f & bit(5), 0n, 'not read-only');
  assert.equal(f & bit(12), 0n, 'no VIRTIO_BLK_F_MQ with one queue (QEMU 7.2 offers it only with more)');
  assert.equal(d.t.read(0x100, 4), 16384, 'capacity in sectors');
  assert.equal(d.t.read(0x100 + 12, 4), 254, 'seg_max');
  assert.equal(d.t.read(0x100 + 16, 2), 16, 'cylinders');
  assert.equal(d.t.read(0x100 + 32, 1), 1, 'write-back cache');
  assert.equal(d.t.read(0x100 + 34, 2), 1, 'num_queues');
  assert.equal(d.t.read(0x100 + 36, 4), 0x3fffff, 'max_discard_sectors');
  const ro = rig({ readOnly: true });
  assert.ok((ro.d.deviceFeatures() & bit(5)) !== 0n, 'VIRTIO_BLK_F_RO on a read-only image');
  const mq = rig({ queues: 2 });
  assert.ok((mq.d.deviceFeatures() & bit(12)) !== 0n, 'VIRTIO_BLK_F_MQ with two queues');
  assert.equal(mq.d.t.read(0x100 + 34, 2), 2, 'num_queues');
});

test('write, then read back across several buffers; used length counts every writable byte', () => {
  const { ram, disk, request } = rig();
  const data = Uint8Array.from({ length: 1024 }, (_, i) => (i * 7) & 0xff);
  const w = request([inBuf(ram, blkHeader(BLK_T.OUT, 3)), inBuf(ram, data.subarray(0, 300)), inBuf(ram, data.subarray(300)), outBuf(ram, 1)]);
  assert.deepEqual(w, { status: BLK_S.OK, len: 1 });
  assert.deepEqual(disk.data.subarray(3 * 512, 5 * 512), data);
  const a = outBuf(ram, 100);
  const b = outBuf(ram, 924);
  const r = request([inBuf(ram, blkHeader(BLK_T.IN, 3)), a, b, outBuf(ram, 1)]);
  assert.deepEqual(r, { status: BLK_S.OK, len: 1025 });
  assert.deepEqual([...ram.get(a.addr, 100), ...ram.get(b.addr, 924)], [...data]);
});

test('the status byte may share the last buffer with the data', () => {
  const { ram, disk, request } = rig();
  disk.data.fill(0x5a, 0, 512);
  const buf = outBuf(ram, 513);
  const r = request([inBuf(ram, blkHeader(BLK_T.IN, 0)), buf]);
  assert.equal(r.status, BLK_S.OK);
  assert.ok(ram.get(buf.addr, 512).every((x) => x === 0x5a));
});

test('ranges past the disk and partial sectors fail with IOERR; nothing outside the image is touched', () => {
  const { ram, disk, request } = rig({ size: 64 * 512 });
  assert.equal(request([inBuf(ram, blkHeader(BLK_T.IN, 63)), outBuf(ram, 1024), outBuf(ram, 1)]).status, BLK_S.IOERR);
  assert.equal(request([inBuf(ram, blkHeader(BLK_T.OUT, 64)), inBuf(ram, new Uint8Array(512)), outBuf(ram, 1)]).status, BLK_S.IOERR);
  assert.equal(request([inBuf(ram, blkHeader(BLK_T.IN, 2 ** 53)), outBuf(ram, 512), outBuf(ram, 1)]).status, BLK_S.IOERR);
  assert.equal(request([inBuf(ram, blkHeader(BLK_T.IN, 0)), outBuf(ram, 100), outBuf(ram, 1)]).status, BLK_S.IOERR);
  assert.equal(request([inBuf(ram, blkHeader(BLK_T.IN, 64)), outBuf(ram, 1)]).status, BLK_S.OK, 'an empty read at the end is fine');
  assert.deepEqual(disk.outside, []);
});

test('FLUSH reaches the backend; with the cache switched to write-through every write is flushed', () => {
  const { ram, disk, d, request } = rig();
  request([inBuf(ram, blkHeader(BLK_T.OUT, 0)), inBuf(ram, new Uint8Array(512)), outBuf(ram, 1)]);
  assert.equal(disk.unflushed, 1);
  assert.equal(request([inBuf(ram, blkHeader(BLK_T.FLUSH, 0)), outBuf(ram, 1)]).status, BLK_S.OK);
  assert.equal(disk.unflushed, 0);
  d.t.write(0x100 + 32, 1, 0);
  assert.equal(d.t.read(0x100 + 32, 1), 0);
  request([inBuf(ram, blkHeader(BLK_T.OUT, 1)), inBuf(ram, new Uint8Array(512)), outBuf(ram, 1)]);
  assert.equal(disk.unflushed, 0, 'write-through: flushed before completion');
  d.w(0x70, 0);
  assert.equal(d.t.read(0x100 + 32, 1), 1, 'a reset restores write-back');
});

test('GET_ID returns the serial NUL-padded into at most 20 bytes', () => {
  const { ram, request } = rig({ serial: 'abc123' });
  const id = outBuf(ram, 20);
  assert.equal(request([inBuf(ram, blkHeader(BLK_T.GET_ID, 0)), id, outBuf(ram, 1)]).status, BLK_S.OK);
  assert.equal(Buffer.from(ram.get(id.addr, 20)).toString('latin1'), 'abc123' + '\0'.repeat(14));
});

test('DISCARD and WRITE_ZEROES zero the range; more than one segment or bad flags are UNSUPP', () => {
  const { ram, disk, request } = rig();
  disk.data.fill(0xff);
  const seg = (sector: number, count: number, flags: number): Uint8Array => {
    const s = new Uint8Array(16);
    const v = new DataView(s.buffer);
    v.setBigUint64(0, BigInt(sector), true);
    v.setUint32(8, count, true);
    v.setUint32(12, flags, true);
    return s;
  };
  assert.equal(request([inBuf(ram, blkHeader(BLK_T.DISCARD, 0)), inBuf(ram, seg(2, 2, 0)), outBuf(ram, 1)]).status, BLK_S.OK);
  assert.ok(disk.data.subarray(1024, 2048).every((b) => b === 0));
  assert.equal(disk.data[1023], 0xff);
  assert.equal(disk.data[2048], 0xff);
  assert.equal(request([inBuf(ram, blkHeader(BLK_T.WRITE_ZEROES, 0)), inBuf(ram, seg(8, 1, 1)), outBuf(ram, 1)]).status, BLK_S.OK);
  assert.ok(disk.data.subarray(8 * 512, 9 * 512).every((b) => b === 0));
  assert.equal(request([inBuf(ram, blkHeader(BLK_T.DISCARD, 0)), inBuf(ram, seg(0, 1, 1)), outBuf(ram, 1)]).status, BLK_S.UNSUPP);
  assert.equal(request([inBuf(ram, blkHeader(BLK_T.DISCARD, 0)), inBuf(ram, new Uint8Array(32)), outBuf(ram, 1)]).status, BLK_S.UNSUPP);
  assert.equal(request([inBuf(ram, blkHeader(BLK_T.DISCARD, 0)), inBuf(ram, seg(2047, 2, 0)), outBuf(ram, 1)]).status, BLK_S.IOERR);
  assert.deepEqual(disk.outside, []);
});

test('a read-only disk refuses writes and discards with IOERR but reads', () => {
  const { ram, disk, request } = rig({ readOnly: true });
  disk.data[0] = 42;
  assert.equal(request([inBuf(ram, blkHeader(BLK_T.OUT, 0)), inBuf(ram, new Uint8Array(512)), outBuf(ram, 1)]).status, BLK_S.IOERR);
  const b = outBuf(ram, 512);
  assert.equal(request([inBuf(ram, blkHeader(BLK_T.IN, 0)), b, outBuf(ram, 1)]).status, BLK_S.OK);
  assert.equal(ram.get(b.addr, 1)[0], 42);
  assert.equal(disk.data[0], 42);
});

test('unknown request types are UNSUPP; a host I/O error is IOERR with a log line', () => {
  const { ram, disk, d, request } = rig();
  assert.equal(request([inBuf(ram, blkHeader(99, 0)), outBuf(ram, 1)]).status, BLK_S.UNSUPP);
  disk.failNext = 'EIO';
  assert.equal(request([inBuf(ram, blkHeader(BLK_T.IN, 0)), outBuf(ram, 512), outBuf(ram, 1)]).status, BLK_S.IOERR);
  assert.match(d.logs.at(-1)!, /I\/O error on the image: EIO/);
  assert.equal(d.status() & STATUS.NEEDS_RESET, 0);
});

test('a request without header or status byte puts the device into NEEDS_RESET', () => {
  for (const bufs of [(ram: TestRam) => [inBuf(ram, new Uint8Array(8)), outBuf(ram, 1)], (ram: TestRam) => [inBuf(ram, blkHeader(BLK_T.IN, 0))]]) {
    const { ram, d, q } = rig();
    q.offer(bufs(ram));
    d.notify(0);
    assert.equal(d.status() & STATUS.NEEDS_RESET, STATUS.NEEDS_RESET);
    assert.equal(d.logs.length, 1);
  }
});

test('requests on every queue of a multiqueue disk', () => {
  const { ram, disk, rings, request } = rig({ queues: 3 });
  for (let i = 0; i < 3; i++) {
    assert.equal(request([inBuf(ram, blkHeader(BLK_T.OUT, i)), inBuf(ram, new Uint8Array(512).fill(i + 1)), outBuf(ram, 1)], rings[i]!, i).status, BLK_S.OK);
    assert.equal(disk.data[i * 512], i + 1);
  }
});
