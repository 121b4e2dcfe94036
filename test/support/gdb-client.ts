/**
 * Drives the gdb stub in-process: a GdbConnection (the socket side) wired straight to a
 * GdbStub (the machine side), with a minimal machine loop for a bare e500 VM. Packets go in
 * framed as gdb would send them; what the stub writes back is decoded into replies.
 */
import type { Vm } from '../../src/api/hypervisor.js';
import { GdbConnection } from '../../src/vmm/gdb/connection.js';
import { PacketDecoder, framePacket, rleDecode } from '../../src/vmm/gdb/packet.js';
import { GdbStub } from '../../src/vmm/gdb/stub.js';
import type { GdbTarget } from '../../src/vmm/gdb/target.js';
import { STOP_ADDR } from './e500-vm.js';

export class InProcessGdb {
  readonly stub: GdbStub;
  readonly conn: GdbConnection;
  /** Everything the stub wrote, raw. */
  wire = '';
  readonly logs: string[] = [];
  killed = false;
  private readonly decoder = new PacketDecoder(1 << 20);
  private readonly pending: string[] = [];
  acks = 0;
  nacks = 0;

  constructor(target: GdbTarget, options: { startHalted?: boolean } = {}) {
    this.stub = new GdbStub(
      target,
      {
        send: (payload, o) => this.conn.send(payload, o),
        log: (line) => this.logs.push(line),
        kill: () => {
          this.killed = true;
        },
      },
      options,
    );
    this.conn = new GdbConnection((text) => this.collect(text), {
      packet: (p) => this.stub.handlePacket(p),
      interrupt: () => this.stub.interrupt(),
      log: (line) => this.logs.push(line),
    });
  }

  private collect(text: string): void {
    this.wire += text;
    for (const e of this.decoder.push(text)) {
      if (e.kind === 'packet') this.pending.push(rleDecode(e.payload) ?? '<bad rle>');
      else if (e.kind === 'ack') this.acks++;
      else if (e.kind === 'nack') this.nacks++;
      else throw new Error(`stub wrote something that is not a packet: ${JSON.stringify(e)}`);
    }
  }

  /** Raw bytes as a client would write them. */
  raw(text: string): void {
    this.conn.receive(text);
  }

  /** Sends a packet; returns the replies it produced (usually one). */
  send(payload: string): string[] {
    this.conn.receive(framePacket(payload));
    return this.take();
  }

  /** Sends a packet that must produce exactly one reply. */
  ask(payload: string): string {
    const r = this.send(payload);
    if (r.length !== 1) throw new Error(`"${payload}" produced ${r.length} replies: ${JSON.stringify(r)}`);
    return r[0]!;
  }

  take(): string[] {
    return this.pending.splice(0);
  }
}

/**
 * Runs the VM the way the machine thread does, while the stub lets it: debug exits go to the
 * stub, a store to STOP_ADDR ends the "machine" (reported to gdb as an exit). Returns why it
 * returned. `maxExits` keeps a broken test from spinning forever.
 */
export function runWhileAllowed(vm: Vm, gdb: InProcessGdb, maxExits = 100_000): 'stopped' | 'ended' {
  const vcpus = vm.vcpus();
  for (let n = 0; n < maxExits; n++) {
    if (!gdb.stub.running) return 'stopped';
    const solo = gdb.stub.soloVcpu;
    const { vcpu, exit } = solo !== null ? { vcpu: vcpus[solo]!, exit: vcpus[solo]!.run() } : vm.runVcpus();
    const index = vcpus.indexOf(vcpu);
    if (exit.kind === 'debug') {
      gdb.stub.onDebugExit(index, exit);
    } else if (exit.kind === 'mmio') {
      if ((exit.addr as number) === STOP_ADDR && exit.isWrite) {
        gdb.stub.onMachineExit(0);
        return 'ended';
      }
      exit.data.fill(0);
    } else if (exit.kind !== 'halt' && exit.kind !== 'interrupted') {
      throw new Error(`unexpected ${exit.kind} exit`);
    }
  }
  throw new Error('the guest did not stop');
}
