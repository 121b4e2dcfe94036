/**
 * The main thread's part of a migration: it owns the TCP sockets (the machine thread never
 * blocks on the network). Outgoing, it connects when asked, writes the chunks the machine
 * thread hands over and counts what was written in shared memory; incoming, it listens,
 * takes one connection and hands every received chunk to the machine thread.
 */
import net from 'node:net';
import type { MessagePort } from 'node:worker_threads';
import { LINK_CLOSED, LINK_FAILED, MigrationShared, type MigrationEvent, type MigrationRequest } from './transport.js';

export class MigrationHost {
  private out: net.Socket | null = null;
  private server: net.Server | null = null;
  private incoming: net.Socket | null = null;

  constructor(
    private readonly port: MessagePort,
    private readonly shared: MigrationShared,
    private readonly log: (line: string) => void,
    /** Wakes the machine thread for a link event (REQ_MIGRATION): no waiting for its next turn. */
    private readonly wake: () => void = () => {},
  ) {
    port.on('message', (m: MigrationRequest) => this.request(m));
    // The port must not keep the process alive once the machine is gone.
    port.unref();
  }

  private post(e: MigrationEvent, transfer: ArrayBuffer[] = []): void {
    this.port.postMessage(e, transfer);
    this.shared.signal();
    if (e.kind !== 'data') this.wake();
  }

  private request(m: MigrationRequest): void {
    switch (m.kind) {
      case 'connect':
        this.connect(m.host, m.port);
        break;
      case 'data': {
        const s = this.out;
        if (s === null || s.destroyed) return;
        const n = m.bytes.length;
        s.write(m.bytes, (err) => {
          if (err !== undefined && err !== null) return;
          Atomics.add(this.shared.written, 0, BigInt(n));
          this.shared.signal();
        });
        break;
      }
      case 'end': {
        const s = this.out;
        if (s === null || s.destroyed) {
          this.fail('the connection is gone');
          return;
        }
        s.end(() => {
          Atomics.store(this.shared.words, 1, LINK_CLOSED);
          this.shared.signal();
          this.wake();
        });
        break;
      }
      case 'abort':
        this.out?.destroy();
        this.out = null;
        break;
    }
  }

  private connect(host: string, port: number): void {
    this.out?.destroy();
    const s = net.connect({ host, port });
    this.out = s;
    let connected = false;
    s.setNoDelay(true);
    s.on('connect', () => {
      connected = true;
      this.post({ kind: 'connected' });
    });
    s.on('error', (err) => {
      if (this.out !== s) return;
      this.fail(connected ? `the connection to ${host}:${port} failed: ${err.message}` : `cannot connect to ${host}:${port}: ${err.message}`);
    });
    s.on('close', () => {
      if (this.out !== s || Atomics.load(this.shared.words, 1) === LINK_CLOSED) return;
      this.fail(`the destination ${host}:${port} closed the connection`);
    });
    // Nothing is expected back; reading keeps a closed peer noticed.
    s.on('data', () => {});
  }

  private fail(message: string): void {
    if (Atomics.load(this.shared.words, 1) !== 0) return;
    Atomics.store(this.shared.words, 1, LINK_FAILED);
    this.post({ kind: 'error', message });
    this.out?.destroy();
    this.out = null;
  }

  /** `--incoming tcp:HOST:PORT`: listens and takes the first connection; resolves once listening. */
  async listen(host: string, port: number): Promise<void> {
    const server = net.createServer((s) => this.accept(s));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.log(`ngkvm: waiting for an incoming migration on ${host}:${port}`);
  }

  private accept(s: net.Socket): void {
    if (this.incoming !== null) {
      s.destroy();
      return;
    }
    this.incoming = s;
    this.server?.close();
    s.on('data', (b: Buffer) => {
      const copy = new Uint8Array(b);
      this.post({ kind: 'data', bytes: copy }, [copy.buffer]);
    });
    s.on('end', () => this.post({ kind: 'eof' }));
    s.on('error', (err) => this.post({ kind: 'error', message: `the incoming connection failed: ${err.message}` }));
  }

  close(): void {
    this.out?.destroy();
    this.incoming?.destroy();
    this.server?.close();
  }
}
