/**
 * The library for device processes: connects device models (the ordinary MMIO device
 * classes of src/devices) to a VMM's route socket and serves them there. A device process
 * is a few lines:
 *
 *   const conn = await connectDevice({ path, name: 'uart', models: [new Uart16550('uart', backend)] });
 *   uart.onIrq = () => conn.host.setIrq(0, uart.irq);
 *   await conn.closed;
 */
import net from 'node:net';
import { DeviceSession, type DeviceHost, type RemoteDeviceModel } from '../../devices/remote/device-session.js';

export interface DeviceConnection {
  /** Interrupts and DMA towards the machine. */
  readonly host: DeviceHost;
  readonly session: DeviceSession;
  /** Where the VMM mapped the device (known once connected). */
  readonly ranges: DeviceSession['ranges'];
  /** Resolves with the reason when the VMM side closes or the protocol fails. */
  readonly closed: Promise<string>;
  close(): void;
}

export interface ConnectOptions {
  readonly path: string;
  readonly name: string;
  /** One device model per range of the route. */
  readonly models: readonly RemoteDeviceModel[];
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
        session.attachEvents({ send: (b) => void s.write(b) });
        resolve();
      }, reject);
    };
    void closed.then((reason) => reject(new Error(reason)));
  });
  session.start();
  await ready;
  return { host: session, session, ranges: session.ranges, closed, close: () => close('closed by the device') };
}
