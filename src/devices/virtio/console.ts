/**
 * virtio-console (spec 5.3) with multiport, as QEMU's virtio-serial: up to 31 ports (port
 * n's receive/transmit queues are 0/1 for n = 0, 2n+2/2n+3 otherwise; 2 and 3 are the
 * control queues), 128-entry data queues and 32-entry control queues, configuration
 * {cols 0, rows 0, max_nr_ports, emerg_wr}, feature MULTIPORT only.
 *
 * Control protocol (QEMU's order): the driver's DEVICE_READY makes the device announce each
 * port (PORT_ADD); the driver's PORT_READY for a port is answered with CONSOLE_PORT (console
 * ports: hvc0, hvc1, …), PORT_NAME (when the port has a name) and PORT_OPEN (the host side
 * is always connected: chardevs here are the terminal, a file or a socket server). Input
 * reaches a port only once the guest opened it (its PORT_OPEN), as in QEMU; until then it
 * waits in the backend. A driver that does not take MULTIPORT gets port 0 alone, as a
 * console.
 */
import { StateError, type StateReader, type StateWriter } from '../state.js';
import type { CharBackend } from './backends.js';
import { VIRTIO_ID, bit, hasFeature } from './constants.js';
import { ConfigSpace, type VirtioDevice, type VirtioDeviceHost } from './device.js';
import { ChainReader, ChainWriter } from './virtqueue.js';

const CONSOLE_F_MULTIPORT = 1;
export const CONSOLE_EVENT = { DEVICE_READY: 0, PORT_ADD: 1, PORT_REMOVE: 2, PORT_READY: 3, CONSOLE_PORT: 4, RESIZE: 5, PORT_OPEN: 6, PORT_NAME: 7 } as const;
export const DEFAULT_MAX_PORTS = 31;
const DATA_QUEUE_SIZE = 128;
const CONTROL_QUEUE_SIZE = 32;
const CONTROL_RX = 2;
const CONTROL_TX = 3;
const CONTROL_HEADER = 8;
/** Control messages kept for a driver that has no control buffers posted. */
const MAX_PENDING_CONTROL = 1024;
/** Bytes taken from the guest per transmit chain at most (a chain may claim 4 GiB). */
const MAX_TX_CHUNK = 64 * 1024;

export interface ConsolePortSpec {
  /** Port number, 0 to max_nr_ports − 1. */
  readonly nr: number;
  readonly backend: CharBackend;
  /** A console port (hvc) rather than a plain port (/dev/vportNpM). */
  readonly console: boolean;
  readonly name?: string;
}

interface PortState {
  readonly spec: ConsolePortSpec;
  /** The guest opened the port (PORT_OPEN 1). */
  guestOpen: boolean;
}

export interface VirtioConsoleOptions {
  readonly ports: readonly ConsolePortSpec[];
  /** QEMU's max_ports (default 31). */
  readonly maxPorts?: number;
}

export const portQueues = (nr: number): { rx: number; tx: number } => (nr === 0 ? { rx: 0, tx: 1 } : { rx: 2 * nr + 2, tx: 2 * nr + 3 });

export class VirtioConsole implements VirtioDevice {
  readonly name = 'virtio-console';
  readonly deviceId = VIRTIO_ID.console;
  readonly features = bit(CONSOLE_F_MULTIPORT);
  readonly queueSizes: readonly number[];
  readonly configSize = 12;
  readonly maxPorts: number;
  private readonly config = new ConfigSpace(12);
  private readonly ports: PortState[];
  private readonly byQueue = new Map<number, { port: PortState; dir: 'rx' | 'tx' }>();
  private multiport = false;
  private pendingControl: Uint8Array[] = [];
  private host: VirtioDeviceHost | undefined;

  constructor(opts: VirtioConsoleOptions) {
    const maxPorts = opts.maxPorts ?? DEFAULT_MAX_PORTS;
    if (!Number.isInteger(maxPorts) || maxPorts < 1 || maxPorts > 31) throw new RangeError(`virtio-console: max ports ${maxPorts} (1 to 31)`);
    this.maxPorts = maxPorts;
    const seen = new Set<number>();
    for (const p of opts.ports) {
      if (!Number.isInteger(p.nr) || p.nr < 0 || p.nr >= maxPorts) throw new RangeError(`virtio-console: port number ${p.nr} is outside 0..${maxPorts - 1}`);
      if (seen.has(p.nr)) throw new RangeError(`virtio-console: port number ${p.nr} is used twice`);
      seen.add(p.nr);
    }
    this.ports = opts.ports.map((spec) => ({ spec, guestOpen: false }));
    for (const port of this.ports) {
      const q = portQueues(port.spec.nr);
      this.byQueue.set(q.rx, { port, dir: 'rx' });
      this.byQueue.set(q.tx, { port, dir: 'tx' });
    }
    const sizes = [DATA_QUEUE_SIZE, DATA_QUEUE_SIZE, CONTROL_QUEUE_SIZE, CONTROL_QUEUE_SIZE];
    for (let n = 1; n < maxPorts; n++) sizes.push(DATA_QUEUE_SIZE, DATA_QUEUE_SIZE);
    this.queueSizes = sizes;
    this.config.u32(4, maxPorts);
  }

  attach(host: VirtioDeviceHost): void {
    this.host = host;
  }

  readConfig(offset: number, size: number): number {
    return this.config.read(offset, size);
  }

  writeConfig(): void {
    // emerg_wr needs VIRTIO_CONSOLE_F_EMERG_WRITE, which is not offered.
  }

  activate(features: bigint): void {
    this.multiport = hasFeature(features, CONSOLE_F_MULTIPORT);
    // Without multiport the driver has port 0 alone, a console it opens itself.
    if (!this.multiport) for (const p of this.ports) p.guestOpen = p.spec.nr === 0;
  }

  reset(): void {
    this.multiport = false;
    this.pendingControl = [];
    for (const p of this.ports) p.guestOpen = false;
  }

  /**
   * MULTIPORT, which ports the guest opened and the control messages still waiting for a
   * control buffer. Input not yet delivered waits in the backends, which are not state;
   * nothing is in flight (each chain is filled or given back inside one call).
   */
  saveState(w: StateWriter): void {
    w.bool(this.multiport);
    w.u8(this.ports.length);
    for (const p of this.ports) {
      w.u8(p.spec.nr);
      w.bool(p.guestOpen);
    }
    w.u32(this.pendingControl.length);
    for (const msg of this.pendingControl) w.bytes(msg);
  }

  loadState(r: StateReader): void {
    const multiport = r.bool();
    const count = r.u8();
    if (count !== this.ports.length) throw new StateError(`virtio-console: ${count} ports saved, this device has ${this.ports.length}`);
    const open = this.ports.map((p) => {
      const nr = r.u8();
      if (nr !== p.spec.nr) throw new StateError(`virtio-console: port ${nr} saved where this device has port ${p.spec.nr}`);
      return r.bool();
    });
    const pending = r.u32();
    if (pending > MAX_PENDING_CONTROL) throw new StateError(`virtio-console: ${pending} pending control messages (at most ${MAX_PENDING_CONTROL})`);
    const messages = Array.from({ length: pending }, () => this.readControlMessage(r));
    this.multiport = multiport;
    this.ports.forEach((p, i) => (p.guestOpen = open[i]!));
    this.pendingControl = messages;
  }

  /** A queued control message: a header naming one of the ports, and a port name at most. */
  private readControlMessage(r: StateReader): Uint8Array {
    const msg = r.bytes(r.remaining);
    if (msg.length < CONTROL_HEADER) throw new StateError(`virtio-console: a pending control message of ${msg.length} bytes (the header alone is ${CONTROL_HEADER})`);
    const id = new DataView(msg.buffer).getUint32(0, true);
    if (!this.ports.some((p) => p.spec.nr === id)) throw new StateError(`virtio-console: a pending control message for port ${id}, which this device does not have`);
    return msg;
  }

  /** Whether the guest has port `nr` open (tests, diagnostics). */
  isOpen(nr: number): boolean {
    return this.ports.find((p) => p.spec.nr === nr)?.guestOpen ?? false;
  }

  notify(index: number): void {
    if (index === CONTROL_TX && this.multiport) this.controlFromDriver();
    else if (index === CONTROL_RX && this.multiport) this.flushControl();
    else {
      const q = this.byQueue.get(index);
      if (q?.dir === 'tx') this.transmit(q.port, index);
      else if (q?.dir === 'rx') this.receive(q.port, index);
    }
  }

  poll(): void {
    for (const p of this.ports) this.receive(p, portQueues(p.spec.nr).rx);
    if (this.multiport) this.flushControl();
  }

  /** Guest → host bytes of one port. */
  private transmit(port: PortState, index: number): void {
    const host = this.host;
    const vq = host?.queue(index);
    if (host === undefined || vq === undefined) return;
    do {
      for (let chain = vq.pop(); chain !== undefined; chain = vq.pop()) {
        const reader = new ChainReader(host.dma, chain.readable);
        for (let left = chain.readableBytes; left > 0; ) {
          const bytes = reader.take(Math.min(left, MAX_TX_CHUNK))!;
          port.spec.backend.write(bytes);
          left -= bytes.length;
        }
        vq.push(chain, 0);
      }
    } while (vq.armNotification());
    host.usedBuffers(index);
  }

  /** Host → guest bytes of one port, while the guest has it open and buffers posted. */
  private receive(port: PortState, index: number): void {
    const host = this.host;
    const vq = host?.queue(index);
    if (host === undefined || vq === undefined || !port.guestOpen) return;
    let used = false;
    for (;;) {
      const chain = vq.pop();
      if (chain === undefined) break;
      const bytes = port.spec.backend.read(Math.min(chain.writableBytes, MAX_TX_CHUNK));
      if (bytes.length === 0) {
        vq.rewind(1);
        break;
      }
      vq.push(chain, new ChainWriter(host.dma, chain.writable).write(bytes));
      used = true;
    }
    if (used) host.usedBuffers(index);
  }

  private controlFromDriver(): void {
    const host = this.host;
    const vq = host?.queue(CONTROL_TX);
    if (host === undefined || vq === undefined) return;
    do {
      for (let chain = vq.pop(); chain !== undefined; chain = vq.pop()) {
        const msg = new ChainReader(host.dma, chain.readable).take(CONTROL_HEADER);
        vq.push(chain, 0);
        // QEMU ignores a control message shorter than its header; so do we, with a note.
        if (msg === undefined) host.log(`control message of ${chain.readableBytes} bytes ignored (shorter than the 8-byte header)`);
        else this.handleControl(host, new DataView(msg.buffer));
      }
    } while (vq.armNotification());
    host.usedBuffers(CONTROL_TX);
    this.flushControl();
  }

  private handleControl(host: VirtioDeviceHost, msg: DataView): void {
    const id = msg.getUint32(0, true);
    const event = msg.getUint16(4, true);
    const value = msg.getUint16(6, true);
    if (event === CONSOLE_EVENT.DEVICE_READY) {
      if (value === 1) for (const p of this.ports) this.queueControl(p.spec.nr, CONSOLE_EVENT.PORT_ADD, 1);
      else host.log('the driver could not set the device up (DEVICE_READY 0)');
      return;
    }
    const port = this.ports.find((p) => p.spec.nr === id);
    if (port === undefined) {
      host.log(`control message ${event} for port ${id}, which does not exist, ignored`);
      return;
    }
    switch (event) {
      case CONSOLE_EVENT.PORT_READY:
        if (value !== 1) {
          host.log(`the driver could not add port ${id}`);
          break;
        }
        if (port.spec.console) this.queueControl(id, CONSOLE_EVENT.CONSOLE_PORT, 1);
        if (port.spec.name !== undefined) this.queueControl(id, CONSOLE_EVENT.PORT_NAME, 1, new TextEncoder().encode(`${port.spec.name}\0`));
        this.queueControl(id, CONSOLE_EVENT.PORT_OPEN, 1);
        break;
      case CONSOLE_EVENT.PORT_OPEN:
        port.guestOpen = value !== 0;
        if (port.guestOpen) this.receive(port, portQueues(id).rx);
        break;
      default:
        break;
    }
  }

  private queueControl(id: number, event: number, value: number, extra?: Uint8Array): void {
    if (this.pendingControl.length >= MAX_PENDING_CONTROL) return;
    const msg = new Uint8Array(CONTROL_HEADER + (extra?.length ?? 0));
    const v = new DataView(msg.buffer);
    v.setUint32(0, id, true);
    v.setUint16(4, event, true);
    v.setUint16(6, value, true);
    if (extra !== undefined) msg.set(extra, CONTROL_HEADER);
    this.pendingControl.push(msg);
  }

  /** Sends queued control messages while the driver has control buffers posted. */
  private flushControl(): void {
    const host = this.host;
    const vq = host?.queue(CONTROL_RX);
    if (host === undefined || vq === undefined || this.pendingControl.length === 0) return;
    let used = false;
    while (this.pendingControl.length > 0) {
      const chain = vq.pop();
      if (chain === undefined) break;
      const msg = this.pendingControl.shift()!;
      vq.push(chain, new ChainWriter(host.dma, chain.writable).write(msg));
      used = true;
    }
    if (used) host.usedBuffers(CONTROL_RX);
  }
}
