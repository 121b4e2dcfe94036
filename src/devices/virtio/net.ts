/**
 * virtio-net (spec 5.1) with one queue pair and the control queue, offering what QEMU 7.2's
 * virtio-net offers over a backend without a virtio-net header (its socket and stream
 * netdevs): MAC, MRG_RXBUF, STATUS, CTRL_VQ, CTRL_RX, CTRL_VLAN, GUEST_ANNOUNCE,
 * CTRL_MAC_ADDR and CTRL_GUEST_OFFLOADS — no checksum or segmentation offloads, so every
 * frame crosses whole and checksummed. Queues: receive 0, transmit 1 (256 entries), control
 * 2 (64). Configuration: MAC, status (link up), max_virtqueue_pairs 1.
 *
 * Receive: a frame goes to the guest with the 12-byte virtio-net header in front, spread over
 * as many buffers as it needs (MRG_RXBUF; num_buffers says how many); without MRG_RXBUF it
 * needs one buffer big enough, or it is dropped (as QEMU does). A frame waits in the backend
 * while the guest has no buffers for it. QEMU's receive filter: promiscuous until the driver
 * says otherwise, then its own MAC, broadcast, the MAC table and multicast as configured, and
 * VLAN-tagged frames only for VLANs the driver added (with CTRL_VLAN).
 *
 * Transmit: the header is skipped (nothing to offload), the frame goes to the backend. A
 * chain shorter than the header is a driver bug (NEEDS_RESET, as in QEMU).
 */
import { StateError, type StateReader, type StateWriter } from '../state.js';
import type { NetBackend } from './backends.js';
import { VIRTIO_ID, bit, hasFeature } from './constants.js';
import { ConfigSpace, type VirtioDevice, type VirtioDeviceHost } from './device.js';
import { ChainReader, ChainWriter, type DescriptorChain } from './virtqueue.js';

export const NET_F = {
  CTRL_GUEST_OFFLOADS: 2,
  MAC: 5,
  MRG_RXBUF: 15,
  STATUS: 16,
  CTRL_VQ: 17,
  CTRL_RX: 18,
  CTRL_VLAN: 19,
  GUEST_ANNOUNCE: 21,
  CTRL_MAC_ADDR: 23,
} as const;
export const NET_HDR_SIZE = 12;
const RX = 0;
const TX = 1;
const CTRL = 2;
const STATUS_LINK_UP = 1;
const STATUS_ANNOUNCE = 2;
/** Largest frame accepted either way: a 64 KiB IP packet in a VLAN-tagged Ethernet frame. */
export const MAX_FRAME = 65535 + 18;
/** QEMU's MAC_TABLE_ENTRIES. */
const MAC_TABLE_ENTRIES = 64;
const MAX_VLAN = 4096;
const CTRL_CLASS = { RX: 0, MAC: 1, VLAN: 2, ANNOUNCE: 3, GUEST_OFFLOADS: 5 } as const;
const OK = 0;
const ERR = 1;

export interface VirtioNetOptions {
  readonly backend: NetBackend;
  /** 6 bytes; QEMU's default is 52:54:00:12:34:56 (+ the NIC's index). */
  readonly mac: Uint8Array;
}

/** Parses `aa:bb:cc:dd:ee:ff`; undefined when it is not a MAC address. */
export function parseMac(text: string): Uint8Array | undefined {
  const m = /^([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2})$/i.exec(text);
  return m === null ? undefined : Uint8Array.from(m.slice(1).map((h) => parseInt(h, 16)));
}

export function formatMac(mac: Uint8Array): string {
  return [...mac].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

export class VirtioNet implements VirtioDevice {
  readonly name = 'virtio-net';
  readonly deviceId = VIRTIO_ID.net;
  readonly features = [NET_F.CTRL_GUEST_OFFLOADS, NET_F.MAC, NET_F.MRG_RXBUF, NET_F.STATUS, NET_F.CTRL_VQ, NET_F.CTRL_RX, NET_F.CTRL_VLAN, NET_F.GUEST_ANNOUNCE, NET_F.CTRL_MAC_ADDR].reduce(
    (a, n) => a | bit(n),
    0n,
  );
  readonly queueSizes = [256, 256, 64];
  readonly configSize = 10;
  private readonly backend: NetBackend;
  private readonly permanentMac: Uint8Array;
  private readonly config = new ConfigSpace(10);
  private host: VirtioDeviceHost | undefined;
  private negotiated = 0n;
  private mac = new Uint8Array(6);
  private promisc = true;
  private allmulti = false;
  private uniTable: Uint8Array[] = [];
  private multiTable: Uint8Array[] = [];
  private uniOverflow = false;
  private multiOverflow = false;
  private readonly vlans = new Uint8Array(MAX_VLAN / 8);
  /** Frames dropped because they did not fit a non-mergeable buffer or were too large. */
  dropped = 0;

  constructor(opts: VirtioNetOptions) {
    if (opts.mac.length !== 6) throw new RangeError('virtio-net: a MAC address has 6 bytes');
    this.backend = opts.backend;
    this.permanentMac = Uint8Array.from(opts.mac);
    this.reset();
  }

  attach(host: VirtioDeviceHost): void {
    this.host = host;
  }

  readConfig(offset: number, size: number): number {
    return this.config.read(offset, size);
  }

  writeConfig(): void {
    // Read-only for virtio 1.x drivers (the MAC changes through the control queue).
  }

  activate(features: bigint): void {
    this.negotiated = features;
    // Without VLAN filtering negotiated every VLAN passes (QEMU's rule).
    this.vlans.fill(hasFeature(features, NET_F.CTRL_VLAN) ? 0 : 0xff);
  }

  reset(): void {
    this.negotiated = 0n;
    this.mac = Uint8Array.from(this.permanentMac);
    this.promisc = true;
    this.allmulti = false;
    this.uniTable = [];
    this.multiTable = [];
    this.uniOverflow = false;
    this.multiOverflow = false;
    this.vlans.fill(0);
    this.config.bytes.set(this.mac, 0);
    this.config.u16(6, STATUS_LINK_UP);
    this.config.u16(8, 1);
  }

  /**
   * What the driver negotiated and set through the control queue (MAC, receive filter,
   * VLANs) and the configuration status. Frames waiting to be received are the backend's;
   * nothing is in flight (a frame goes into the guest's buffers whole or not at all). The
   * `dropped` counter is a host statistic, not guest state.
   */
  saveState(w: StateWriter): void {
    w.u64(this.negotiated);
    w.bytes(this.mac);
    w.u16(this.config.read(6, 2));
    w.bool(this.promisc);
    w.bool(this.allmulti);
    w.bool(this.uniOverflow);
    w.bool(this.multiOverflow);
    for (const table of [this.uniTable, this.multiTable]) {
      w.u32(table.length);
      for (const mac of table) w.bytes(mac);
    }
    w.bytes(this.vlans);
  }

  loadState(r: StateReader): void {
    const negotiated = r.u64();
    const mac = this.readMac(r, 'the MAC address');
    const status = r.u16();
    if ((status & ~(STATUS_LINK_UP | STATUS_ANNOUNCE)) !== 0) throw new StateError(`virtio-net: configuration status 0x${status.toString(16)} has unknown bits`);
    const [promisc, allmulti, uniOverflow, multiOverflow] = [r.bool(), r.bool(), r.bool(), r.bool()];
    const [uniTable, multiTable] = ['unicast', 'multicast'].map((kind) => {
      const n = r.u32();
      if (n > MAC_TABLE_ENTRIES) throw new StateError(`virtio-net: ${n} entries in the ${kind} MAC table (at most ${MAC_TABLE_ENTRIES})`);
      return Array.from({ length: n }, () => this.readMac(r, `a ${kind} MAC table entry`));
    }) as [Uint8Array[], Uint8Array[]];
    const vlans = r.bytes(this.vlans.length);
    if (vlans.length !== this.vlans.length) throw new StateError(`virtio-net: a VLAN filter of ${vlans.length} bytes, not ${this.vlans.length}`);
    this.negotiated = negotiated;
    this.mac = Uint8Array.from(mac);
    this.config.bytes.set(mac, 0);
    this.config.u16(6, status);
    this.promisc = promisc;
    this.allmulti = allmulti;
    this.uniOverflow = uniOverflow;
    this.multiOverflow = multiOverflow;
    this.uniTable = uniTable;
    this.multiTable = multiTable;
    this.vlans.set(vlans);
  }

  private readMac(r: StateReader, what: string): Uint8Array {
    const mac = r.bytes(6);
    if (mac.length !== 6) throw new StateError(`virtio-net: ${what} has ${mac.length} bytes, not 6`);
    return mac;
  }

  /** The MAC the device answers to now (the driver may change it). */
  get currentMac(): Uint8Array {
    return Uint8Array.from(this.mac);
  }

  notify(index: number): void {
    if (index === TX) this.transmit();
    else if (index === RX) this.receive();
    else if (index === CTRL) this.control();
  }

  poll(): void {
    this.receive();
  }

  private transmit(): void {
    const host = this.host;
    const vq = host?.queue(TX);
    if (host === undefined || vq === undefined) return;
    do {
      for (let chain = vq.pop(); chain !== undefined; chain = vq.pop()) {
        if (chain.readableBytes < NET_HDR_SIZE) {
          host.fail(`transmit chain at descriptor ${chain.head} is shorter than the ${NET_HDR_SIZE}-byte header`);
          return;
        }
        const length = chain.readableBytes - NET_HDR_SIZE;
        if (length > MAX_FRAME) {
          this.dropped++;
          host.log(`a ${length}-byte frame from the guest was dropped (more than ${MAX_FRAME} bytes)`);
        } else {
          const reader = new ChainReader(host.dma, chain.readable);
          reader.skip(NET_HDR_SIZE);
          this.backend.send(reader.take(length)!);
        }
        vq.push(chain, 0);
      }
    } while (vq.armNotification());
    host.usedBuffers(TX);
  }

  /** Moves waiting frames into the guest's receive buffers. */
  private receive(): void {
    const host = this.host;
    const vq = host?.queue(RX);
    if (host === undefined || vq === undefined) return;
    const mergeable = hasFeature(this.negotiated, NET_F.MRG_RXBUF);
    let used = false;
    for (let frame = this.backend.peek(); frame !== undefined; frame = this.backend.peek()) {
      if (frame.length > MAX_FRAME || !this.accepts(frame)) {
        if (frame.length > MAX_FRAME) this.dropped++;
        this.backend.take();
        continue;
      }
      const need = NET_HDR_SIZE + frame.length;
      const chains: DescriptorChain[] = [];
      let room = 0;
      while (room < need) {
        const c = vq.pop();
        if (c === undefined) break;
        chains.push(c);
        room += c.writableBytes;
        if (!mergeable) break;
      }
      if (room < need && (chains.length === 0 || mergeable)) {
        vq.rewind(chains.length);
        // Out of buffers: with EVENT_IDX the driver kicks only when its available index
        // passes avail_event, so publish it (QEMU's virtio_queue_set_notification on a
        // starved receive queue), unless more buffers arrived meanwhile.
        vq.armNotification();
        if (vq.availableCount() > chains.length) continue;
        break;
      }
      if (room < need) {
        vq.rewind(chains.length);
        // One buffer is all a non-mergeable driver gives: the frame can never fit (QEMU drops it).
        this.dropped++;
        host.log(`a ${frame.length}-byte frame was dropped: the guest's receive buffer holds ${room - NET_HDR_SIZE}`);
        this.backend.take();
        continue;
      }
      const packet = new Uint8Array(need);
      const hdr = new DataView(packet.buffer);
      hdr.setUint16(10, mergeable ? chains.length : 0, true);
      packet.set(frame, NET_HDR_SIZE);
      let pos = 0;
      const entries = chains.map((chain) => {
        const n = new ChainWriter(host.dma, chain.writable).write(packet.subarray(pos));
        pos += n;
        return { chain, written: n };
      });
      vq.pushMany(entries);
      used = true;
      this.backend.take();
    }
    if (used) host.usedBuffers(RX);
  }

  /** QEMU's receive_filter. */
  private accepts(frame: Uint8Array): boolean {
    if (this.promisc) return true;
    if (frame.length < 14) return false;
    if (frame[12] === 0x81 && frame[13] === 0x00 && frame.length >= 16) {
      const vid = ((frame[14]! << 8) | frame[15]!) & 0xfff;
      if ((this.vlans[vid >> 3]! & (1 << (vid & 7))) === 0) return false;
    }
    const dest = frame.subarray(0, 6);
    if ((dest[0]! & 1) !== 0) {
      if (dest.every((b) => b === 0xff)) return true;
      if (this.allmulti || this.multiOverflow) return true;
      return this.multiTable.some((m) => equal(m, dest));
    }
    if (this.uniOverflow || equal(dest, this.mac)) return true;
    return this.uniTable.some((m) => equal(m, dest));
  }

  private control(): void {
    const host = this.host;
    const vq = host?.queue(CTRL);
    if (host === undefined || vq === undefined) return;
    do {
      for (let chain = vq.pop(); chain !== undefined; chain = vq.pop()) {
        if (chain.readableBytes < 2 || chain.writableBytes < 1) {
          host.fail(`control command at descriptor ${chain.head} has no ${chain.readableBytes < 2 ? 'class/command header' : 'ack byte'}`);
          return;
        }
        const reader = new ChainReader(host.dma, chain.readable);
        const [cls = 0, cmd = 0] = reader.take(2)!;
        const data = reader.take(Math.min(reader.remaining, 8 + 2 * (4 + 6 * 65536)))!;
        const ack = this.command(cls, cmd, data);
        new ChainWriter(host.dma, chain.writable).write(Uint8Array.of(ack));
        vq.push(chain, 1);
      }
    } while (vq.armNotification());
    host.usedBuffers(CTRL);
  }

  private command(cls: number, cmd: number, data: Uint8Array): number {
    const f = this.negotiated;
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    switch (cls) {
      case CTRL_CLASS.RX:
        if (!hasFeature(f, NET_F.CTRL_RX) || data.length !== 1) return ERR;
        if (cmd === 0) this.promisc = data[0] !== 0;
        else if (cmd === 1) this.allmulti = data[0] !== 0;
        else return ERR; // ALLUNI, NOMULTI, NOUNI, NOBCAST need CTRL_RX_EXTRA
        return OK;
      case CTRL_CLASS.MAC:
        if (cmd === 1) {
          if (!hasFeature(f, NET_F.CTRL_MAC_ADDR) || data.length !== 6) return ERR;
          this.mac = Uint8Array.from(data);
          this.config.bytes.set(this.mac, 0);
          return OK;
        }
        if (cmd === 0) return this.setMacTable(view);
        return ERR;
      case CTRL_CLASS.VLAN: {
        if (!hasFeature(f, NET_F.CTRL_VLAN) || data.length !== 2) return ERR;
        const vid = view.getUint16(0, true);
        if (vid >= MAX_VLAN) return ERR;
        if (cmd === 0) this.vlans[vid >> 3] = this.vlans[vid >> 3]! | (1 << (vid & 7));
        else if (cmd === 1) this.vlans[vid >> 3] = this.vlans[vid >> 3]! & ~(1 << (vid & 7));
        else return ERR;
        return OK;
      }
      case CTRL_CLASS.ANNOUNCE:
        if (cmd !== 0 || !hasFeature(f, NET_F.GUEST_ANNOUNCE)) return ERR;
        this.config.u16(6, this.config.read(6, 2) & ~STATUS_ANNOUNCE);
        return OK;
      case CTRL_CLASS.GUEST_OFFLOADS:
        // No guest offloads are offered, so the only valid set is the empty one.
        if (cmd !== 0 || !hasFeature(f, NET_F.CTRL_GUEST_OFFLOADS) || data.length !== 8) return ERR;
        return view.getBigUint64(0, true) === 0n ? OK : ERR;
      default:
        return ERR;
    }
  }

  /** MAC_TABLE_SET: u32 count + unicast MACs, then u32 count + multicast MACs (QEMU's rules). */
  private setMacTable(view: DataView): number {
    const readTable = (at: number): { macs: Uint8Array[]; overflow: boolean; end: number } | undefined => {
      if (at + 4 > view.byteLength) return undefined;
      const n = view.getUint32(at, true);
      const end = at + 4 + 6 * n;
      if (end > view.byteLength) return undefined;
      const macs: Uint8Array[] = [];
      for (let i = 0; i < Math.min(n, MAC_TABLE_ENTRIES); i++) macs.push(new Uint8Array(view.buffer.slice(view.byteOffset + at + 4 + 6 * i, view.byteOffset + at + 10 + 6 * i)));
      return { macs, overflow: n > MAC_TABLE_ENTRIES, end };
    };
    const uni = readTable(0);
    const multi = uni === undefined ? undefined : readTable(uni.end);
    if (uni === undefined || multi === undefined || multi.end !== view.byteLength) return ERR;
    const total = uni.macs.length + multi.macs.length;
    this.uniTable = uni.macs;
    this.multiTable = multi.macs;
    this.uniOverflow = uni.overflow;
    this.multiOverflow = multi.overflow || total > MAC_TABLE_ENTRIES;
    return OK;
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
