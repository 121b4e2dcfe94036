/**
 * virtio-blk (spec 5.2) over a raw image (BlockBackend), with QEMU 7.2's defaults so a guest
 * sees the same disk: features SEG_MAX, GEOMETRY, BLK_SIZE, FLUSH, TOPOLOGY, CONFIG_WCE,
 * DISCARD, WRITE_ZEROES (+ RO on a read-only image, + MQ with more than one queue: QEMU 7.2
 * offers MQ only then, as Linux's features in sysfs show), 256-entry
 * queues, seg_max 254, 512-byte sectors, write-back cache, discard and write-zeroes of up to
 * 0x3fffff sectors in one segment, geometry from QEMU's guess for a disk without a partition
 * table (16 heads, 63 sectors).
 *
 * Requests: IN (read), OUT (write), FLUSH, GET_ID (the serial, up to 20 bytes), DISCARD and
 * WRITE_ZEROES. A request whose range leaves the disk or is not whole sectors fails with
 * IOERR, an unknown type with UNSUPP, a write to a read-only disk with IOERR; a host I/O
 * error is IOERR with a log line. A chain without the 16-byte header or the status byte is a
 * driver bug: NEEDS_RESET, as in QEMU. Only the image's own byte range is ever touched.
 *
 * Durability: FLUSH returns OK only after the backend's flush (fdatasync) returned; with the
 * cache switched to write-through (config `wce` = 0), every write is flushed before it
 * completes.
 */
import type { StateReader, StateWriter } from '../state.js';
import type { BlockBackend } from './backends.js';
import { VIRTIO_ID, bit } from './constants.js';
import { ConfigSpace, type VirtioDevice, type VirtioDeviceHost } from './device.js';
import { ChainReader, type DescriptorChain, type GuestBuffer } from './virtqueue.js';

export const SECTOR = 512;
const BLK_F = { SEG_MAX: 2, GEOMETRY: 4, RO: 5, BLK_SIZE: 6, FLUSH: 9, TOPOLOGY: 10, CONFIG_WCE: 11, MQ: 12, DISCARD: 13, WRITE_ZEROES: 14 } as const;
export const BLK_T = { IN: 0, OUT: 1, FLUSH: 4, GET_ID: 8, DISCARD: 11, WRITE_ZEROES: 13 } as const;
export const BLK_S = { OK: 0, IOERR: 1, UNSUPP: 2 } as const;
const QUEUE_SIZE = 256;
/** QEMU's BDRV_REQUEST_MAX_SECTORS: the discard / write-zeroes limit it advertises. */
const MAX_DISCARD_SECTORS = 0x3f_ffff;
export const BLK_ID_BYTES = 20;
const HEADER = 16;
const SEGMENT = 16;
/** Host buffer for moving data between the image and guest memory. */
const CHUNK = 256 * 1024;
/** Config layout (struct virtio_blk_config) up to write_zeroes_may_unmap, padded as QEMU. */
const CONFIG_SIZE = 60;
const WCE_OFFSET = 32;

export interface VirtioBlkOptions {
  readonly backend: BlockBackend;
  /** Request queues (QEMU's num-queues; virtio-blk-pci defaults to the vCPU count). */
  readonly queues?: number;
  /** The disk's serial number, returned by GET_ID (at most 20 bytes are sent). */
  readonly serial?: string;
}

export class VirtioBlk implements VirtioDevice {
  readonly name = 'virtio-blk';
  readonly deviceId = VIRTIO_ID.block;
  readonly features: bigint;
  readonly queueSizes: readonly number[];
  readonly configSize = CONFIG_SIZE;
  private readonly backend: BlockBackend;
  private readonly serial: Uint8Array;
  private readonly sectors: number;
  private readonly config = new ConfigSpace(CONFIG_SIZE);
  private writeback = true;
  private host: VirtioDeviceHost | undefined;
  private chunk: Uint8Array | undefined;

  constructor(opts: VirtioBlkOptions) {
    const queues = opts.queues ?? 1;
    if (!Number.isInteger(queues) || queues < 1 || queues > 256) throw new RangeError(`virtio-blk: ${queues} queues (1 to 256)`);
    this.backend = opts.backend;
    this.sectors = Math.floor(opts.backend.size / SECTOR);
    this.serial = new TextEncoder().encode(opts.serial ?? '').subarray(0, BLK_ID_BYTES);
    this.queueSizes = Array.from({ length: queues }, () => QUEUE_SIZE);
    let f = [BLK_F.SEG_MAX, BLK_F.GEOMETRY, BLK_F.BLK_SIZE, BLK_F.FLUSH, BLK_F.TOPOLOGY, BLK_F.CONFIG_WCE, BLK_F.DISCARD, BLK_F.WRITE_ZEROES].reduce((a, n) => a | bit(n), 0n);
    if (opts.backend.readOnly) f |= bit(BLK_F.RO);
    if (queues > 1) f |= bit(BLK_F.MQ);
    this.features = f;
    this.fillConfig();
  }

  attach(host: VirtioDeviceHost): void {
    this.host = host;
  }

  readConfig(offset: number, size: number): number {
    return this.config.read(offset, size);
  }

  writeConfig(offset: number, size: number, value: number): void {
    // Only `wce` is writable (with CONFIG_WCE): 0 = write-through, else write-back.
    if (offset === WCE_OFFSET && size === 1) {
      this.writeback = (value & 0xff) !== 0;
      this.config.u8(WCE_OFFSET, this.writeback ? 1 : 0);
    }
  }

  activate(): void {}

  reset(): void {
    this.writeback = true;
    this.config.u8(WCE_OFFSET, 1);
  }

  /**
   * Only the cache mode: every request completes inside notify() (the backend is
   * synchronous), so nothing is ever in flight between two calls.
   */
  saveState(w: StateWriter): void {
    w.bool(this.writeback);
  }

  loadState(r: StateReader): void {
    this.writeback = r.bool();
    this.config.u8(WCE_OFFSET, this.writeback ? 1 : 0);
  }

  /** Whether the cache is write-back (the guest can switch it through `wce`). */
  get writebackCache(): boolean {
    return this.writeback;
  }

  notify(index: number): void {
    const host = this.host;
    const vq = host?.queue(index);
    if (host === undefined || vq === undefined) return;
    do {
      for (let chain = vq.pop(); chain !== undefined; chain = vq.pop()) {
        const ok = this.request(host, chain);
        if (!ok) return;
        vq.push(chain, chain.writableBytes);
      }
    } while (vq.armNotification());
    host.usedBuffers(index);
  }

  /** Handles one request; false when the chain is malformed (the device then needs a reset). */
  private request(host: VirtioDeviceHost, chain: DescriptorChain): boolean {
    if (chain.readableBytes < HEADER || chain.writableBytes < 1) {
      host.fail(`request at descriptor ${chain.head} has no ${chain.readableBytes < HEADER ? '16-byte header' : 'status byte'}`);
      return false;
    }
    const reader = new ChainReader(host.dma, chain.readable);
    const header = new DataView(reader.take(HEADER)!.buffer);
    const type = header.getUint32(0, true);
    const sector = Number(header.getBigUint64(8, true));
    // The status is the last writable byte; data (reads, IDs) goes in the bytes before it.
    const dataIn = splitLast(chain.writable);
    let status: number;
    try {
      status = this.execute(host, type, sector, reader, dataIn.data);
    } catch (e) {
      host.log(`I/O error on the image: ${e instanceof Error ? e.message : String(e)}`);
      status = BLK_S.IOERR;
    }
    host.dma.write(dataIn.status, Uint8Array.of(status));
    return true;
  }

  private execute(host: VirtioDeviceHost, type: number, sector: number, reader: ChainReader, dataIn: readonly GuestBuffer[]): number {
    switch (type) {
      case BLK_T.IN: {
        const length = dataIn.reduce((n, b) => n + b.len, 0);
        if (!this.inRange(sector, length)) return BLK_S.IOERR;
        let offset = sector * SECTOR;
        for (const b of dataIn) {
          for (let done = 0; done < b.len; ) {
            const n = Math.min(CHUNK, b.len - done);
            const buf = this.buffer().subarray(0, n);
            this.backend.read(offset, buf);
            host.dma.write(b.addr + done, buf);
            done += n;
            offset += n;
          }
        }
        return BLK_S.OK;
      }
      case BLK_T.OUT: {
        const length = reader.remaining;
        if (this.backend.readOnly || !this.inRange(sector, length)) return BLK_S.IOERR;
        let offset = sector * SECTOR;
        for (const b of reader.pieces(length)) {
          for (let done = 0; done < b.len; ) {
            const n = Math.min(CHUNK, b.len - done);
            const buf = this.buffer().subarray(0, n);
            host.dma.read(b.addr + done, buf);
            this.backend.write(offset, buf);
            done += n;
            offset += n;
          }
        }
        if (!this.writeback) this.backend.flush();
        return BLK_S.OK;
      }
      case BLK_T.FLUSH:
        this.backend.flush();
        return BLK_S.OK;
      case BLK_T.GET_ID: {
        // As QEMU: the serial, NUL-padded, into at most 20 bytes of the first data buffer.
        const first = dataIn[0];
        if (first === undefined) return BLK_S.IOERR;
        const id = new Uint8Array(Math.min(first.len, BLK_ID_BYTES));
        id.set(this.serial.subarray(0, id.length));
        host.dma.write(first.addr, id);
        return BLK_S.OK;
      }
      case BLK_T.DISCARD:
      case BLK_T.WRITE_ZEROES:
        return this.discardOrZero(type, reader);
      default:
        return BLK_S.UNSUPP;
    }
  }

  /** DISCARD / WRITE_ZEROES with one segment (QEMU's max_discard_seg 1): sector u64, count u32, flags u32. */
  private discardOrZero(type: number, reader: ChainReader): number {
    if (reader.remaining !== SEGMENT) return BLK_S.UNSUPP;
    const seg = new DataView(reader.take(SEGMENT)!.buffer);
    const sector = Number(seg.getBigUint64(0, true));
    const count = seg.getUint32(8, true);
    const flags = seg.getUint32(12, true);
    const unmap = (flags & 1) !== 0;
    // DISCARD takes no flags; WRITE_ZEROES only the unmap flag.
    if ((type === BLK_T.DISCARD && flags !== 0) || (type === BLK_T.WRITE_ZEROES && (flags & ~1) !== 0)) return BLK_S.UNSUPP;
    if (count > MAX_DISCARD_SECTORS || this.backend.readOnly || !this.inRange(sector, count * SECTOR)) return BLK_S.IOERR;
    if (type === BLK_T.DISCARD) this.backend.discard(sector * SECTOR, count * SECTOR);
    else if (unmap) this.backend.discard(sector * SECTOR, count * SECTOR);
    else this.backend.writeZeroes(sector * SECTOR, count * SECTOR);
    if (type === BLK_T.WRITE_ZEROES && !this.writeback) this.backend.flush();
    return BLK_S.OK;
  }

  private inRange(sector: number, length: number): boolean {
    return Number.isSafeInteger(sector) && length % SECTOR === 0 && sector <= this.sectors && length / SECTOR <= this.sectors - sector;
  }

  private buffer(): Uint8Array {
    this.chunk ??= new Uint8Array(CHUNK);
    return this.chunk;
  }

  private fillConfig(): void {
    const c = this.config;
    c.u64(0, BigInt(this.sectors));
    c.u32(8, 0); // size_max: not offered
    c.u32(12, QUEUE_SIZE - 2); // seg_max, as QEMU's seg-max-adjust
    const cylinders = Math.min(16383, Math.max(2, Math.floor(this.sectors / (16 * 63))));
    c.u16(16, cylinders);
    c.u8(18, 16);
    c.u8(19, 63);
    c.u32(20, SECTOR); // blk_size
    // topology: physical_block_exp 0, alignment_offset 0, min_io_size 0, opt_io_size 0
    c.u8(WCE_OFFSET, 1);
    c.u16(34, this.queueSizes.length);
    c.u32(36, MAX_DISCARD_SECTORS);
    c.u32(40, 1); // max_discard_seg
    c.u32(44, 1); // discard_sector_alignment (blk_size / 512)
    c.u32(48, MAX_DISCARD_SECTORS);
    c.u32(52, 1); // max_write_zeroes_seg
    c.u8(56, 1); // write_zeroes_may_unmap
  }
}

/** The writable buffers minus their last byte (the status), and where that byte is. */
function splitLast(buffers: readonly GuestBuffer[]): { data: GuestBuffer[]; status: number } {
  const data: GuestBuffer[] = [];
  let statusAt = -1;
  for (let i = buffers.length - 1; i >= 0; i--) {
    if (buffers[i]!.len > 0) {
      statusAt = i;
      break;
    }
  }
  for (let i = 0; i < buffers.length; i++) {
    const b = buffers[i]!;
    if (i === statusAt) {
      if (b.len > 1) data.push({ addr: b.addr, len: b.len - 1 });
      return { data, status: b.addr + b.len - 1 };
    }
    data.push(b);
  }
  // request() checked there is at least one writable byte.
  throw new Error('virtio-blk: no status byte');
}
