/**
 * The library for device processes: connects device models (the ordinary MMIO device
 * classes of src/devices) to a VMM's route socket and serves them there. A device process
 * is a few lines:
 *
 *   const conn = await connectDevice({ path, name: 'uart', models: [new Uart16550('uart', backend)] });
 *   uart.onIrq = () => conn.host.setIrq(0, uart.irq);
 *   await conn.closed;
 */
import { readSync, writeSync } from 'node:fs';
import net from 'node:net';
import { DeviceSession, type DeviceHost, type RemoteDeviceModel, type SyncEventChannel } from '../../devices/remote/device-session.js';
import { DmaError, type GuestDma } from '../../devices/virtio/dma.js';

export interface DeviceConnection {
  /** Interrupts and DMA towards the machine. */
  readonly host: DeviceHost;
  readonly session: DeviceSession;
  /** Where the VMM mapped the device (known once connected). */
  readonly ranges: DeviceSession['ranges'];
  /** Resolves with the reason when the VMM side closes or the protocol fails. */
  readonly closed: Promise<string>;
  /** Blocking guest-memory access over the event channel (with `syncDma`). */
  readonly dma: GuestDma;
  close(): void;
}

export interface ConnectOptions {
  readonly path: string;
  readonly name: string;
  /** One device model per range of the route. */
  readonly models: readonly RemoteDeviceModel[];
  /**
   * The event channel is written synchronously and `dma` waits for the VMM's answers (for
   * device models written against the synchronous GuestDma, e.g. virtio). Default false.
   */
  readonly syncDma?: boolean;
}

/** Node keeps a socket's descriptor on its internal handle; there is no public accessor. */
function socketFd(s: net.Socket): number {
  const fd = (s as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('the socket has no file descriptor');
  return fd;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * The event socket used synchronously while JavaScript runs (libuv does not read it then, so
 * nothing is taken from under the stream; what arrives later reaches the 'data' handler).
 */
function syncChannel(fd: number): SyncEventChannel {
  const again = (e: unknown): boolean => (e as NodeJS.ErrnoException).code === 'EAGAIN';
  return {
    write(bytes) {
      let sent = 0;
      while (sent < bytes.length) {
        try {
          sent += writeSync(fd, bytes, sent);
        } catch (e) {
          if (!again(e)) throw e;
          Atomics.wait(sleeper, 0, 0, 0.2);
        }
      }
    },
    read(into) {
      try {
        return readSync(fd, into, 0, into.length, null);
      } catch (e) {
        if (again(e)) return -1;
        throw e;
      }
    },
    idle: () => void Atomics.wait(sleeper, 0, 0, 0.05),
  };
}

function connect(path: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(path);
    s.setNoDelay?.(true);
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** Connects to a VMM's route socket; resolves once the VMM has said where the device is. */
export async function connectDevice(opts: ConnectOptions): Promise<DeviceConnection> {
  const access = await connect(opts.path);
  const session = new DeviceSession(opts.name, opts.models, { send: (b) => void access.write(b) });
  let events: net.Socket | null = null;
  let finish: (reason: string) => void = () => {};
  const closed = new Promise<string>((resolve) => (finish = resolve));
  const close = (reason: string): void => {
    session.close(reason);
    access.destroy();
    events?.destroy();
    finish(reason);
  };
  session.onClose = (reason) => close(reason);
  access.on('data', (b: Buffer) => session.accessData(b));
  access.on('close', () => close('the VMM closed the connection'));
  access.on('error', () => {});
  const ready = new Promise<void>((resolve, reject) => {
    session.onReady = () => {
      connect(opts.path).then((s) => {
        events = s;
        s.on('data', (b: Buffer) => session.eventData(b));
        s.on('close', () => close('the VMM closed the event channel'));
        s.on('error', () => {});
        if (opts.syncDma === true) {
          const ch = syncChannel(socketFd(s));
          session.attachSyncEvents(ch);
          session.attachEvents({
            send: (b) => {
              try {
                ch.write(b);
              } catch (e) {
                close(`event channel failed: ${String(e)}`);
              }
            },
          });
        } else {
          session.attachEvents({ send: (b) => void s.write(b) });
        }
        resolve();
      }, reject);
    };
    void closed.then((reason) => reject(new Error(reason)));
  });
  session.start();
  await ready;
  const dma: GuestDma = {
    // Answered by the access itself (a refused DmaRead/DmaWrite is a DmaError): asking the
    // VMM first would double the round trips.
    isRam: (addr, length) => Number.isSafeInteger(addr) && addr >= 0 && Number.isSafeInteger(length) && length >= 0,
    read: (addr, dst) => {
      if (opts.syncDma !== true) throw new DmaError(addr, dst.length, 'the connection was not made with syncDma');
      session.dmaReadSync(addr, dst);
    },
    write: (addr, src) => {
      if (opts.syncDma !== true) throw new DmaError(addr, src.length, 'the connection was not made with syncDma');
      session.dmaWriteSync(addr, src);
    },
  };
  return { host: session, session, ranges: session.ranges, closed, dma, close: () => close('closed by the device') };
}
