/**
 * The device-route wire protocol: every message survives encode → frame split at any byte
 * → decode; malformed frames are ProtocolErrors (never another exception, never unbounded
 * allocation).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameReader, HEADER_SIZE, MAX_PAYLOAD, MsgType, ProtocolError, encode, type Message } from '../../../src/devices/remote/protocol.js';

const SAMPLES: Message[] = [
  {
    type: MsgType.Hello,
    seq: 1,
    version: 1,
    guestOrder: 'big',
    token: 0xdeadbeef,
    ranges: [
      { space: 'mmio', base: 0xf_e000_4600, size: 0x100 },
      { space: 'pio', base: 0x3f8, size: 8 },
    ],
    memory: { kind: 'windows', windows: [{ addr: 0x100_0000, size: 0x10_0000 }] },
  },
  { type: MsgType.Hello, seq: 2, version: 1, guestOrder: 'little', token: 7, ranges: [{ space: 'mmio', base: 0, size: 4096 }], memory: { kind: 'all' } },
  { type: MsgType.DeviceHello, seq: 0, version: 1, name: 'uart1 ✓' },
  { type: MsgType.Read, seq: 3, range: 1, size: 4, offset: 0x1c },
  { type: MsgType.ReadReply, seq: 3, data: Uint8Array.of(1, 2, 3, 4) },
  { type: MsgType.Write, seq: 4, posted: true, range: 0, offset: 5, data: Uint8Array.of(0x41) },
  { type: MsgType.Write, seq: 5, posted: false, range: 0, offset: 8, data: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) },
  { type: MsgType.WriteAck, seq: 5 },
  { type: MsgType.Reset, seq: 6 },
  { type: MsgType.ResetAck, seq: 6 },
  { type: MsgType.Error, seq: 7, code: 3, message: 'DMA outside the grant' },
  { type: MsgType.EventHello, seq: 0, token: 0xdeadbeef },
  { type: MsgType.IrqLevel, seq: 8, line: 2, level: 1 },
  { type: MsgType.Msi, seq: 9, address: 0xf_e004_1740n, data: 0x2300_0000 },
  { type: MsgType.DmaRead, seq: 10, addr: 0x1000, length: 512 },
  { type: MsgType.DmaData, seq: 10, data: new Uint8Array(512).map((_, i) => i) },
  { type: MsgType.DmaWrite, seq: 11, addr: 0x2000, data: Uint8Array.of(9, 9, 9) },
  { type: MsgType.DmaAck, seq: 11 },
  { type: MsgType.Resample, seq: 12, line: 2 },
];

test('every message round-trips, whatever the stream is split into', () => {
  const frames = SAMPLES.map(encode);
  const stream = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let p = 0;
  for (const f of frames) {
    stream.set(f, p);
    p += f.length;
  }
  for (const chunk of [1, 3, 16, 17, 100, stream.length]) {
    const r = new FrameReader();
    const got: Message[] = [];
    for (let i = 0; i < stream.length; i += chunk) {
      r.push(stream.subarray(i, i + chunk));
      for (let m = r.next(); m !== undefined; m = r.next()) got.push(m);
    }
    assert.equal(r.pending, 0);
    assert.deepEqual(got, SAMPLES, `split every ${chunk} bytes`);
  }
});

test('oversized, truncated and unknown frames are ProtocolErrors', () => {
  const header = (len: number, type: number): Uint8Array => {
    const h = new Uint8Array(HEADER_SIZE);
    new DataView(h.buffer).setUint32(0, len, true);
    h[4] = type;
    return h;
  };
  const fails = (bytes: Uint8Array, re: RegExp): void => {
    const r = new FrameReader();
    r.push(bytes);
    assert.throws(() => r.next(), (e) => e instanceof ProtocolError && re.test(e.message));
  };
  fails(header(MAX_PAYLOAD + 1, MsgType.Read), /exceeds/);
  fails(header(0xffff_ffff, MsgType.DmaWrite), /exceeds/);
  fails(header(0, 200), /unknown message type 200/);
  fails(Uint8Array.of(...header(2, MsgType.Read), 0, 0), /too short/);
  const badSize = encode({ type: MsgType.Read, seq: 1, range: 0, size: 4, offset: 0 });
  badSize[HEADER_SIZE + 1] = 3;
  fails(badSize, /read of 3 bytes/);
  const bigAddr = encode({ type: MsgType.DmaRead, seq: 1, addr: 0, length: 4 });
  new DataView(bigAddr.buffer).setBigUint64(HEADER_SIZE, 0xffff_ffff_ffff_ffffn, true);
  fails(bigAddr, /out of range/);
  const hugeDma = encode({ type: MsgType.DmaRead, seq: 1, addr: 0, length: 4 });
  new DataView(hugeDma.buffer).setUint32(HEADER_SIZE + 8, 1 << 20, true);
  fails(hugeDma, /DMA read of 1048576 bytes/);
  const noRanges = encode(SAMPLES[1]!);
  noRanges[HEADER_SIZE + 3] = 0;
  fails(noRanges, /0 ranges/);
  assert.throws(() => encode({ type: MsgType.Write, seq: 1, posted: true, range: 0, offset: 0, data: new Uint8Array(3) }), ProtocolError);
});

test('random bytes never throw anything but ProtocolError and never grow the buffer past one frame', () => {
  let seed = 1;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 8;
  for (let round = 0; round < 2000; round++) {
    const r = new FrameReader();
    const bytes = new Uint8Array(1 + (rnd() % 200)).map(() => rnd() & 0xff);
    // Headers with small lengths most of the time, so payload decoders are reached.
    if (bytes.length >= 8 && rnd() % 2 === 0) new DataView(bytes.buffer).setUint32(0, rnd() % 64, true);
    r.push(bytes);
    try {
      while (r.next() !== undefined);
    } catch (e) {
      assert.ok(e instanceof ProtocolError, `round ${round}: ${String(e)}`);
    }
    assert.ok(r.pending <= bytes.length);
  }
});
