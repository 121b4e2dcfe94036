/**
 * gdb remote protocol targets.
 *
 * gdb-packet: a client's raw byte stream into the transport (PacketDecoder + GdbConnection):
 * never an exception; decoding does not depend on how the stream is cut into reads; every
 * packet handed on fits the advertised size; what the transport writes back is well framed;
 * escaping and run-length encoding round-trip.
 *
 * gdb-stub: packet sequences into the command dispatch (GdbStub) over a fake two-vCPU e500
 * target with 64 KiB of memory (identity-mapped, plus an alias at 0x5000_0000). The stub
 * turns every error into an error reply and a log line, so a log line saying a packet
 * "failed" with anything but the fake's typed refusals is a finding; replies must fit a
 * packet; and after a final detach, guest memory must hold exactly what the M/X packets that
 * succeeded wrote: no breakpoint left behind, no byte changed otherwise.
 */
import { InvalidArgumentError } from '../../../src/api/errors.js';
import type { GuestDebug, Translation } from '../../../src/api/hypervisor.js';
import type { GuestPhysAddr } from '../../../src/api/memory.js';
import { REG_ARCH_PPC, regId, type RegisterDescriptor, type RegisterId } from '../../../src/api/registers.js';
import { GdbConnection } from '../../../src/vmm/gdb/connection.js';
import {
  MAX_PACKET_PAYLOAD,
  PacketDecoder,
  escapeBinary,
  fromHex,
  rleDecode,
  rleEncode,
  unescapeBinary,
  type WireEvent,
} from '../../../src/vmm/gdb/packet.js';
import { GdbStub } from '../../../src/vmm/gdb/stub.js';
import { ppcE500Description } from '../../../src/vmm/gdb/target-description.js';
import type { DebugVcpu, GdbTarget } from '../../../src/vmm/gdb/target.js';
import type { Prng } from '../../support/prng.js';
import { mutateBytes, mutateLines } from '../mutate.js';
import { expect, text, type FuzzTarget } from '../target.js';

// ------------------------------------------------------------------ gdb-packet

const SESSION = [
  '+$qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;fork-events+;vfork-events+;exec-events+;vContSupported+;QThreadEvents+;no-resumed+;memory-tagging+#ec',
  '+$vMustReplyEmpty#3a+$QStartNoAckMode#b0',
  '$Hg0#df$qXfer:features:read:target.xml:0,ffb#79$qTStatus#49$?#3f',
  '$g#67$m1000,4#8e$p40#d4$Z0,1008,4#79$vCont;c#a8\x03$z0,1008,4#b9',
  '$X2000,4:ab}]}\x03}\x04#00$M2000,2:abcd#00$qRcmd,696e666f20737461747573#00',
  '$g#00$g#67-+$m0,10000#00junk\r\n$D#44$k#6b',
  '$0* #00$00*"#00$vCont;s:1;c#00',
];

function events(data: string, cuts: readonly number[]): WireEvent[] {
  const d = new PacketDecoder(MAX_PACKET_PAYLOAD);
  const out: WireEvent[] = [];
  let from = 0;
  for (const c of [...cuts, data.length]) {
    out.push(...d.push(data.slice(from, c)));
    from = c;
  }
  return out;
}

export const gdbPacketTarget: FuzzTarget = {
  name: 'gdb-packet',
  description: 'gdb RSP bytes from a client: decoder, acks/retransmits, escaping and RLE',
  seeds: () => SESSION.map(text.encode),
  run(input) {
    const data = text.decode(input);
    const whole = events(data, []);
    const n = data.length;
    const cut = events(data, [Math.floor(n / 3), Math.floor(n / 3), Math.floor((2 * n) / 3), n - 1].filter((c) => c >= 0 && c <= n).sort((a, b) => a - b));
    expect(JSON.stringify(whole) === JSON.stringify(cut), () => 'decoding depends on how the stream is cut into reads');
    const written: string[] = [];
    const packets: string[] = [];
    const conn = new GdbConnection((t) => written.push(t), {
      packet: (p) => packets.push(p),
      interrupt: () => {},
      log: () => {},
    });
    conn.receive(input);
    for (const p of packets) {
      expect(p.length <= MAX_PACKET_PAYLOAD, () => `a ${p.length}-byte packet went on`);
      const bytes = text.encode(p);
      const escaped = escapeBinary(bytes);
      const back = unescapeBinary(escaped);
      expect(back !== null && Buffer.from(back).equals(Buffer.from(bytes)), () => 'escapeBinary does not round-trip');
      // What the stub run-length encodes is reply text, in which '*', '#', '$' and '}' only
      // appear escaped: such text round-trips.
      expect(rleDecode(rleEncode(escaped)) === escaped, () => 'rleEncode does not round-trip on escaped text');
      rleDecode(p);
      fromHex(p);
    }
    // What the transport wrote back is acks and whole packets.
    const check = new PacketDecoder(1 << 20);
    for (const e of check.push(written.join(''))) expect(e.kind === 'ack' || e.kind === 'nack' || e.kind === 'packet', () => `the transport wrote ${JSON.stringify(e)}`);
  },
};

// ------------------------------------------------------------------ gdb-stub

const MEMORY = 0x1_0000;
const ALIAS = 0x5000_0000;

/** Register names of an e500v2 vCPU the description looks for (core registers and some SPRs). */
const REG_NAMES = [
  ...Array.from({ length: 32 }, (_, i) => `r${i}`),
  'pc', 'msr', 'cr', 'lr', 'ctr', 'xer',
  'srr0', 'srr1', 'dear', 'esr', 'ivpr', 'pid', 'pir', 'pvr', 'dec', 'tcr', 'tsr', 'mas0', 'mas1', 'mas2', 'mas7_3', 'mmucfg', 'dbcr0', 'iac1', 'dac1',
];
const WIDE = new Set(['mas2', 'mas7_3', 'iac1', 'dac1']);
const READ_ONLY = new Set(['pvr', 'mmucfg']);

interface FakeMachine {
  readonly target: GdbTarget;
  readonly ram: Uint8Array;
  readonly debug: (GuestDebug | null)[];
}

function translate(ea: number): Translation {
  const booke = { as: 0, tid: 0, sr: true, sw: true, sx: true, ur: false, uw: false, ux: false, wimge: 0 } as unknown as NonNullable<Extract<Translation, { kind: 'mapped' }>['booke']>;
  if (ea >= 0 && ea < MEMORY) return { kind: 'mapped', phys: ea, pageSize: 4096, booke } as Translation;
  if (ea >= ALIAS && ea < ALIAS + 0x4000) return { kind: 'mapped', phys: ea - ALIAS + 0x1000, pageSize: 4096, booke } as Translation;
  return { kind: 'unmapped' } as Translation;
}

function fakeMachine(): FakeMachine {
  const list: RegisterDescriptor[] = REG_NAMES.map((name, i) => ({
    id: regId(REG_ARCH_PPC, WIDE.has(name) ? 8 : 4, 1, i),
    name,
    size: WIDE.has(name) ? 8 : 4,
    access: READ_ONLY.has(name) ? 'read-only' : 'read-write',
  }));
  const byId = new Map(list.map((d) => [d.id, d]));
  const ram = new Uint8Array(MEMORY);
  for (let i = 0; i < MEMORY; i += 4) new DataView(ram.buffer).setUint32(i, (0x7c000000 | i) >>> 0);
  const debug: (GuestDebug | null)[] = [null, null];
  const vcpus: DebugVcpu[] = [0, 1].map((id) => {
    const values = new Map<RegisterId, bigint>(list.map((d, i) => [d.id, d.name === 'pc' ? 0x1000n : BigInt(i * 0x11)]));
    return {
      id,
      target: 'e500v2_v30',
      registerList: () => list,
      getRegisters: (ids: readonly RegisterId[]) =>
        ids.map((r) => {
          const v = values.get(r);
          if (v === undefined) throw new InvalidArgumentError(`fake: no register ${r}`);
          return v;
        }),
      setRegisters: (vs: readonly (readonly [RegisterId, bigint])[]) => {
        for (const [r, v] of vs) {
          const d = byId.get(r);
          if (d === undefined) throw new InvalidArgumentError(`fake: no register ${r}`);
          if (d.access === 'read-only') throw new InvalidArgumentError(`fake: ${d.name} is read-only`);
          values.set(r, BigInt.asUintN(d.size * 8, v));
        }
      },
      translate: (ea: number) => translate(ea),
      setGuestDebug: (d: GuestDebug | null) => {
        for (const h of d?.hardware ?? []) {
          if (h.kind === 'execute' && h.address % 4 !== 0) throw new InvalidArgumentError('fake: instruction breakpoints must be 4-byte aligned');
        }
        debug[id] = d;
      },
      swBreakpointInstruction: () => Uint8Array.of(0x00, 0xdd, 0xdd, 0x00),
    } as unknown as DebugVcpu;
  });
  const memory = {
    read: (a: GuestPhysAddr, dst: Uint8Array) => dst.set(ram.subarray(a as number, (a as number) + dst.length)),
    write: (a: GuestPhysAddr, src: Uint8Array) => ram.set(src, a as number),
    isMapped: (a: GuestPhysAddr, n: number) => (a as number) >= 0 && (a as number) + n <= MEMORY,
  };
  const target: GdbTarget = {
    vcpus,
    memory,
    hwBreakpointSlots: 4,
    description: ppcE500Description('e500v2_v30', list),
    addressBits: 32,
    debugTranslate: (_v, ea) => {
      const t = translate(ea);
      return t.kind === 'mapped' ? t.phys : null;
    },
  };
  return { target, ram, debug };
}

const STUB_SEED_SESSIONS = [
  ['qSupported:swbreak+;hwbreak+', '?', 'g', 'm1000,40', 'Z0,1008,4', 'c', 'z0,1008,4', 'Z0,1008,4', 'Z0,5000008,4', 'M1008,4:deadbeef', 'z0,50000008,4', 'D'],
  ['?', 'Hg2', 'g', 'G' + '00'.repeat(38 * 4), 'p40', 'P40=00001004', 'P41=00000000', 'p47', 'P50=0', 's', 'vCont;s:1;c', 'vCont;c:2'],
  ['Z2,2000,4', 'Z3,2000,8', 'Z4,3000,c', 'Z1,1002,4', 'Z1,1004,4', 'Z2,0,ffffffff', 'z2,2000,4', 'z4,3000,c', 'k'],
  ['X2000,4:ab}]}\x03}\x04', 'M50000000,8:0011223344556677', 'm4fffffff0,20', 'mfffffffc,10', 'qXfer:features:read:target.xml:0,ffb', 'qRcmd,696e666f', 'qThreadExtraInfo,2', 'T2', 'Hc-1', 'c'],
];
const STUB_TOKENS = ['Z0,', 'z0,', 'Z1,', 'Z2,', 'Z4,', 'm', 'M', 'X', 'g', 'G', 'p', 'P', ',', ':', ';', '4', '1008', 'ffffffff', '5000', 'fff', '}', '*', 'vCont;', 's', 'c', 'Hg', 'Hc', '-1', 'D', 'k', '\x03'];

export const gdbStubTarget: FuzzTarget = {
  name: 'gdb-stub',
  description: 'gdb packet sequences into the stub\'s command dispatch over a fake 2-vCPU e500 target',
  seeds: () => STUB_SEED_SESSIONS.map((s) => text.encode(s.join('\n'))),
  mutate(input: Uint8Array, rng: Prng, corpus: readonly Uint8Array[]): Uint8Array {
    if (rng.chance(0.2)) return mutateBytes(input, rng, corpus, 2);
    return text.encode(mutateLines(text.decode(input), rng, corpus.map(text.decode), STUB_TOKENS));
  },
  run(input) {
    const m = fakeMachine();
    const shadow = m.ram.slice();
    const logs: string[] = [];
    const replies: string[] = [];
    const stub = new GdbStub(m.target, { send: (p) => replies.push(p), log: (l) => logs.push(l), kill: () => {}, monitor: (line) => `ran ${line}\n` }, { startHalted: true });
    stub.connect(0);
    for (const packet of text.decode(input).split('\n')) {
      if (packet === '\x03') {
        stub.interrupt(1);
        continue;
      }
      replies.length = 0;
      stub.handlePacket(packet);
      for (const r of replies) expect(r.length <= MAX_PACKET_PAYLOAD, () => `a ${r.length}-byte reply to "${packet.slice(0, 40)}"`);
      // Shadow the writes the stub accepted.
      const w = /^([MX])([0-9a-fA-F]+),([0-9a-fA-F]+):([\s\S]*)$/.exec(packet);
      if (w !== null && replies[0] === 'OK') {
        const addr = Number.parseInt(w[2]!, 16);
        const data = w[1] === 'M' ? fromHex(w[4]!) : unescapeBinary(w[4]!);
        expect(data !== null, () => `the stub accepted malformed data in "${packet.slice(0, 40)}"`);
        for (let i = 0; i < data.length; i++) {
          const t = translate(addr + i);
          expect(t.kind === 'mapped', () => `the stub wrote through an unmapped address in "${packet.slice(0, 40)}"`);
          shadow[t.phys] = data[i]!;
        }
      }
    }
    const failed = logs.filter((l) => / failed: /.test(l) && !/ failed: fake: /.test(l));
    expect(failed.length === 0, () => `the dispatcher caught an unexpected error: ${failed[0]}`);
    stub.handlePacket('D');
    const diff = m.ram.findIndex((b, i) => b !== shadow[i]);
    expect(diff < 0, () => `after detach, guest memory at 0x${diff.toString(16)} is 0x${m.ram[diff]!.toString(16)}, not 0x${shadow[diff]!.toString(16)}`);
    expect(m.debug.every((d) => d === null || (d.softwareBreakpoints !== true && (d.hardware?.length ?? 0) === 0 && d.singleStep !== true)), () => 'guest debugging is still on after detach');
  },
};
