/**
 * A tiny gdb remote-protocol client over TCP, for tests and the benchmark: it frames
 * packets, acknowledges replies (until no-ack mode), and hands replies out in order.
 */
import { connect, type Socket } from 'node:net';
import { PacketDecoder, framePacket, rleDecode } from '../../src/vmm/gdb/packet.js';

export class GdbTcpClient {
  private readonly decoder = new PacketDecoder(1 << 20);
  private readonly replies: string[] = [];
  private waiter: ((p: string) => void) | undefined;
  private noAck = false;
  /** Everything that was not a packet (acks, naks) in arrival order. */
  readonly controls: string[] = [];
  closed = false;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (b: Buffer) => {
      for (const e of this.decoder.push(b)) {
        if (e.kind === 'packet') {
          if (!this.noAck) socket.write('+');
          const p = rleDecode(e.payload) ?? '';
          if (this.waiter !== undefined) {
            const w = this.waiter;
            this.waiter = undefined;
            w(p);
          } else this.replies.push(p);
        } else if (e.kind === 'ack') this.control('+');
        else if (e.kind === 'nack') this.control('-');
      }
    });
    socket.on('close', () => {
      this.closed = true;
    });
    socket.on('error', () => {});
  }

  static open(port: number, host = '127.0.0.1'): Promise<GdbTcpClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, host, () => resolve(new GdbTcpClient(s)));
      s.once('error', reject);
    });
  }

  private readonly controlWaiters: { readonly c: '+' | '-'; readonly resolve: () => void }[] = [];

  private control(c: '+' | '-'): void {
    this.controls.push(c);
    for (let i = this.controlWaiters.length - 1; i >= 0; i--) {
      const w = this.controlWaiters[i]!;
      if (w.c === c) {
        this.controlWaiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  /** Resolves once the stub has sent `c` (an acknowledgement or a request to send again). */
  waitControl(c: '+' | '-'): Promise<void> {
    if (this.controls.includes(c)) return Promise.resolve();
    return new Promise((resolve) => this.controlWaiters.push({ c, resolve }));
  }

  /** The next packet from the stub (a reply or a stop notification). */
  next(timeoutMs = 30_000): Promise<string> {
    const queued = this.replies.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error('no packet from the stub in time'));
      }, timeoutMs);
      this.waiter = (p) => {
        clearTimeout(t);
        resolve(p);
      };
    });
  }

  send(payload: string): void {
    this.socket.write(framePacket(payload), 'latin1');
  }

  raw(text: string): void {
    this.socket.write(text, 'latin1');
  }

  async ask(payload: string): Promise<string> {
    this.send(payload);
    return this.next();
  }

  async startNoAck(): Promise<void> {
    const r = await this.ask('QStartNoAckMode');
    if (r !== 'OK') throw new Error(`QStartNoAckMode: ${r}`);
    this.noAck = true;
  }

  /** Resolves when the stub closes the connection. */
  waitClosed(timeoutMs = 10_000): Promise<boolean> {
    if (this.closed) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      this.socket.once('close', () => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
