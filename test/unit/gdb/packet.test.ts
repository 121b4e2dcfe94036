/** The byte level of the gdb remote protocol: framing, checksums, escaping, RLE, and the transport's acks. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GdbConnection } from '../../../src/vmm/gdb/connection.js';
import { Prng } from '../../support/prng.js';
import {
  MAX_PACKET_PAYLOAD,
  PacketDecoder,
  checksum,
  escapeBinary,
  framePacket,
  rleDecode,
  rleEncode,
  unescapeBinary,
  type WireEvent,
} from '../../../src/vmm/gdb/packet.js';

test('checksums and framing match the protocol examples', () => {
  assert.equal(checksum(''), 0);
  assert.equal(framePacket('OK'), '$OK#9a');
  assert.equal(framePacket('qSupported'), '$qSupported#37');
  assert.equal(framePacket(''), '$#00');
});

test('binary escaping round-trips every byte and escapes exactly #, $, } and *', () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  const text = escapeBinary(all);
  assert.equal(text.length, 256 + 4);
  assert.deepEqual(unescapeBinary(text), all);
  assert.equal(escapeBinary(Uint8Array.of(0x23, 0x24, 0x7d, 0x2a)), '}\x03}\x04}]}\x0a');
  assert.equal(unescapeBinary('abc}'), null, 'a trailing escape is malformed');
});

test('run-length encoding round-trips and never emits forbidden count characters', () => {
  assert.equal(rleEncode('0000'), '0* ');
  assert.equal(rleDecode('0* '), '0000');
  const prng = new Prng(7);
  const rand = (n: number): number => prng.below(n);
  for (let k = 0; k < 300; k++) {
    let s = '';
    while (s.length < 200) s += '0123456789abcdefx'[rand(17)]!.repeat(1 + rand(120));
    const enc = rleEncode(s);
    assert.equal(rleDecode(enc), s);
    for (let i = 0; i < enc.length; i++) {
      if (enc[i] === '*') assert.ok(!'#$+-'.includes(enc[i + 1]!), `count character ${enc[i + 1]} in ${enc}`);
    }
  }
  assert.equal(rleDecode('*5'), null, 'a run with nothing to repeat is malformed');
});

test('the decoder reassembles packets split anywhere and reports acks, Ctrl-C and noise', () => {
  const stream = '+$m1000,4#8e-\x03$qC#b4junk';
  const byByte: WireEvent[] = [];
  const d = new PacketDecoder();
  for (const ch of stream) byByte.push(...d.push(ch));
  const whole = new PacketDecoder().push(Buffer.from(stream, 'latin1'));
  assert.deepEqual(byByte, whole);
  assert.deepEqual(
    whole.filter((e) => e.kind !== 'junk'),
    [{ kind: 'ack' }, { kind: 'packet', payload: 'm1000,4' }, { kind: 'nack' }, { kind: 'interrupt' }, { kind: 'packet', payload: 'qC' }],
  );
  assert.equal(whole.filter((e) => e.kind === 'junk').length, 4);
});

test('bad checksums, non-hex checksums, restarts and overlong packets', () => {
  const d = new PacketDecoder(16);
  assert.deepEqual(d.push('$OK#00'), [{ kind: 'bad-checksum', expected: 0x9a, got: 0 }]);
  assert.deepEqual(d.push('$OK#zz'), [{ kind: 'bad-checksum', expected: 0x9a, got: -1 }]);
  assert.deepEqual(d.push('$garbage$OK#9a'), [{ kind: 'packet', payload: 'OK' }], 'a $ inside a packet starts a new one');
  const long = 'x'.repeat(40);
  assert.deepEqual(d.push(framePacket(long)), [{ kind: 'overlong', length: 40 }]);
  assert.deepEqual(d.push('$OK#9a'), [{ kind: 'packet', payload: 'OK' }], 'and the decoder recovers');
});

function transport(): { conn: GdbConnection; out: string[]; packets: string[]; logs: string[]; interrupts: number[] } {
  const out: string[] = [];
  const packets: string[] = [];
  const logs: string[] = [];
  const interrupts: number[] = [];
  const conn = new GdbConnection((t) => out.push(t), {
    packet: (p) => {
      packets.push(p);
      conn.send(`reply-${p}`);
    },
    interrupt: () => interrupts.push(1),
    log: (l) => logs.push(l),
  });
  return { conn, out, packets, logs, interrupts };
}

test('the transport acknowledges, asks again after a bad checksum and retransmits on -', () => {
  const t = transport();
  t.conn.receive('$g#67');
  assert.deepEqual(t.out, ['+', framePacket('reply-g')]);
  t.conn.receive('-');
  assert.deepEqual(t.out.slice(2), [framePacket('reply-g')], 'the last packet again');
  t.conn.receive('$g#00');
  assert.deepEqual(t.out.slice(3), ['-']);
  assert.equal(t.packets.length, 1, 'a corrupt packet never reaches the command side');
  assert.match(t.logs[0]!, /bad checksum/);
  t.conn.receive('\x03');
  assert.equal(t.interrupts.length, 1);
});

test('no-ack mode is negotiated by the transport itself', () => {
  const t = transport();
  t.conn.receive(framePacket('QStartNoAckMode'));
  assert.deepEqual(t.out, ['+', framePacket('OK')]);
  assert.deepEqual(t.packets, [], 'not forwarded');
  t.conn.receive('+' + framePacket('g'));
  assert.deepEqual(t.out.slice(2), [framePacket('reply-g')], 'no + any more');
  t.conn.receive('$g#00');
  assert.deepEqual(t.out.slice(3), [], 'and no - either');
});

test('an overlong packet gets an error reply instead of hanging the client', () => {
  const t = transport();
  t.conn.receive(framePacket('X' + 'a'.repeat(MAX_PACKET_PAYLOAD + 10)));
  assert.deepEqual(t.out, ['+', framePacket('E16')]);
  assert.deepEqual(t.packets, []);
  assert.match(t.logs[0]!, /exceeds/);
});
