/**
 * One client's byte stream, on the thread that owns the socket: acknowledgements,
 * retransmission, no-ack mode, Ctrl-C, and complaints about bad input. Only whole, verified
 * packets go on to the command side (`GdbStub`, on the machine thread), so the machine is
 * never woken for a `+`, a retransmission or line noise.
 */
import { MAX_PACKET_PAYLOAD, PacketDecoder, framePacket } from './packet.js';

export interface ConnectionHandler {
  /** A verified packet for the command side. */
  packet(payload: string): void;
  /** Ctrl-C: stop the guest. */
  interrupt(): void;
  /** A diagnostic line. */
  log(line: string): void;
}

export class GdbConnection {
  private readonly decoder = new PacketDecoder(MAX_PACKET_PAYLOAD);
  private noAck = false;
  private lastSent: string | null = null;
  private junkReported = false;
  /** Bytes received and packets sent, for the log and for tests. */
  packetsIn = 0;
  packetsOut = 0;

  constructor(
    private readonly write: (text: string) => void,
    private readonly handler: ConnectionHandler,
  ) {}

  /** Bytes from the socket (latin1 string or bytes). */
  receive(data: Uint8Array | string): void {
    for (const e of this.decoder.push(data)) {
      switch (e.kind) {
        case 'packet':
          this.packetsIn++;
          if (!this.noAck) this.write('+');
          if (e.payload === 'QStartNoAckMode') {
            // A transport matter: answered here, and from now on neither side acknowledges.
            this.send('OK');
            this.noAck = true;
            break;
          }
          this.handler.packet(e.payload);
          break;
        case 'bad-checksum':
          this.handler.log(`gdb: packet with a bad checksum (sent ${e.got < 0 ? 'non-hex digits' : e.got.toString(16)}, computed ${e.expected.toString(16)}); asked for it again`);
          if (!this.noAck) this.write('-');
          break;
        case 'overlong':
          // Longer than the PacketSize we advertised: the client broke the protocol. Answer
          // it (so it does not wait forever) with an error instead of guessing its meaning.
          this.handler.log(`gdb: a ${e.length}-byte packet exceeds the ${MAX_PACKET_PAYLOAD}-byte limit; answered with an error`);
          if (!this.noAck) this.write('+');
          this.send('E16');
          break;
        case 'nack':
          if (this.lastSent !== null) this.write(this.lastSent);
          break;
        case 'ack':
          break;
        case 'interrupt':
          this.handler.interrupt();
          break;
        case 'junk':
          if (!this.junkReported && e.byte !== 0x0a && e.byte !== 0x0d) {
            this.junkReported = true;
            this.handler.log(`gdb: ignoring bytes outside packets (first: 0x${e.byte.toString(16)}); is this client speaking the gdb remote protocol?`);
          }
          break;
      }
    }
  }

  /** A reply (or stop notification) from the command side. */
  send(payload: string, options: { readonly rle?: boolean } = {}): void {
    const framed = framePacket(payload, options);
    this.lastSent = framed;
    this.packetsOut++;
    this.write(framed);
  }
}
