/**
 * route-protocol: what a device process sends on a route's access channel
 * (docs/device-routes.md), fed to the VMM's synchronous endpoint while it makes a fixed
 * sequence of guest accesses, and the same bytes fed to the device library as if the VMM
 * had sent them. A device that breaks the protocol costs it its route — all ones, writes
 * dropped, exactly one log line — and never an exception out of the endpoint; the device
 * library closes its session once and throws nothing either.
 */
import { encode, MsgType } from '../../../src/devices/remote/protocol.js';
import { DeviceSession } from '../../../src/devices/remote/device-session.js';
import { SocketRouteEndpoint, type SyncChannel } from '../../../src/vmm/remote/socket-endpoint.js';
import type { Prng } from '../../support/prng.js';
import { ScratchDevice } from '../../support/route-scratch-device.js';
import { expect, type FuzzTarget } from '../target.js';

/** Replays the input as the device's side of the socket, in chunks the first byte sizes. */
class ScriptedChannel implements SyncChannel {
  private pos = 1;
  readonly sent: Uint8Array[] = [];
  constructor(private readonly input: Uint8Array) {}
  write(bytes: Uint8Array): number {
    this.sent.push(bytes.slice());
    return bytes.length;
  }
  read(into: Uint8Array): number {
    if (this.pos >= this.input.length) return 0;
    const chunk = Math.max(1, this.input[0] ?? 1);
    const n = Math.min(chunk, into.length, this.input.length - this.pos);
    into.set(this.input.subarray(this.pos, this.pos + n));
    this.pos += n;
    return n;
  }
  close(): void {}
}

/** The accesses the endpoint makes, in order: what a well-behaved device answers to each. */
function conversation(): Uint8Array {
  const frames = [
    encode({ type: MsgType.ReadReply, seq: 1, data: Uint8Array.of(1, 2, 3, 4) }),
    encode({ type: MsgType.WriteAck, seq: 2 }),
    encode({ type: MsgType.ReadReply, seq: 3, data: Uint8Array.of(9) }),
    // seq 4 and 5 are posted writes: no replies.
    encode({ type: MsgType.ReadReply, seq: 6, data: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) }),
  ];
  const total = frames.reduce((n, f) => n + f.length, 1);
  const out = new Uint8Array(total);
  out[0] = 255;
  let at = 1;
  for (const f of frames) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}

function vmmSide(input: Uint8Array): void {
  const logs: string[] = [];
  const ep = new SocketRouteEndpoint('fuzz', { log: (l) => logs.push(l), shouldAbort: () => false });
  ep.attach(new ScriptedChannel(input));
  const reads: Uint8Array[] = [];
  const r4 = new Uint8Array(4);
  ep.read(0, 0, r4);
  reads.push(r4);
  ep.write(0, 4, Uint8Array.of(5, 6, 7, 8));
  const r1 = new Uint8Array(1);
  ep.read(0, 1, r1);
  reads.push(r1);
  ep.post(0, 8, Uint8Array.of(1));
  ep.post(0, 9, Uint8Array.of(2, 3));
  ep.flush();
  const r8 = new Uint8Array(8);
  ep.read(0, 16, r8);
  reads.push(r8);
  expect(logs.length <= 1, () => `the device's trouble was logged ${logs.length} times: ${logs.join(' | ')}`);
  if (!ep.connected) {
    expect(logs.length === 1, () => 'the route was disabled without a log line');
    // Once dead, every read is all ones, whatever the device said before.
    const after = new Uint8Array(4);
    ep.read(0, 0, after);
    expect(after.every((b) => b === 0xff), () => `a dead route read ${[...after].join(',')}`);
  }
  for (const d of reads) expect(d.length > 0, () => 'a read changed its buffer size');
}

function deviceSide(input: Uint8Array): void {
  const sent: Uint8Array[] = [];
  const session = new DeviceSession('fuzz', [new ScratchDevice('scratch')], { send: (b) => sent.push(b) });
  let closes = 0;
  session.onClose = () => closes++;
  session.start();
  // The same bytes as the VMM's side of the access and the event channel.
  session.accessData(input.subarray(1));
  session.eventData(input.subarray(1));
  expect(closes <= 1, () => `the session closed ${closes} times`);
}

export const routeProtocolTarget: FuzzTarget = {
  name: 'route-protocol',
  description: "a device's replies on a route's access channel (VMM endpoint) and the VMM's frames to the device library",
  seeds: () => [conversation(), Uint8Array.of(3, ...conversation().subarray(1)), Uint8Array.of(1)],
  generate: (rng: Prng) => {
    const c = conversation();
    // A well-formed conversation with one frame's bytes shifted: desynchronised framing.
    const cut = 1 + rng.below(c.length - 1);
    return Uint8Array.of(rng.below(255) + 1, ...c.subarray(cut), ...c.subarray(1, cut));
  },
  run(input: Uint8Array): void {
    vmmSide(input);
    deviceSide(input);
  },
};
