/**
 * A machine as the stream carries it: the header that describes it, its RAM page by page,
 * and the loading of a stream into a machine built the same way (the destination).
 */
import { createHash } from 'node:crypto';
import type { Vm } from '../../api/hypervisor.js';
import { gpa } from '../../api/memory.js';
import type { MigratableBoard } from '../../boards/board.js';
import { loadSections, StateError, type DeviceState } from '../../devices/state.js';
import { decodeStream, MigrationError, PAGE_BYTES, STREAM_FORMAT, type ByteSource, type StreamHeader } from './stream.js';

const MiB = 1024 * 1024;

export function streamHeader(board: MigratableBoard, sections: readonly DeviceState[], version: string): StreamHeader {
  const d = board.describe();
  return {
    format: STREAM_FORMAT,
    ngkvm: version,
    machine: d.machine,
    cpu: d.cpu,
    cpus: d.cpus,
    ramSize: d.ramSize,
    pageSize: PAGE_BYTES,
    sections: sections.map((s) => ({ id: s.stateId, version: s.stateVersion })),
  };
}

const size = (bytes: number): string => (bytes % MiB === 0 ? `${bytes / MiB} MiB` : `${bytes} bytes`);

/** The stream must describe the machine the destination built: one line per mismatch kind. */
export function checkHeader(h: StreamHeader, board: MigratableBoard): void {
  const d = board.describe();
  if (h.machine !== d.machine) throw new MigrationError(`the stream is of a ${h.machine} machine; this one is ${d.machine} (give the same --machine)`);
  if (h.cpu !== d.cpu) throw new MigrationError(`the stream's CPUs are ${h.cpu}; this machine's are ${d.cpu} (give the same --cpu)`);
  if (h.cpus !== d.cpus) throw new MigrationError(`the stream has ${h.cpus} CPUs; this machine has ${d.cpus} (give the same --smp)`);
  if (h.ramSize !== d.ramSize) throw new MigrationError(`the stream has ${size(h.ramSize)} of RAM; this machine has ${size(d.ramSize)} (give the same -m)`);
  if (h.pageSize !== PAGE_BYTES) throw new MigrationError(`the stream's pages are ${h.pageSize} bytes; this ngkvm uses ${PAGE_BYTES}`);
}

/** Guest RAM as numbered pages, read in place from the backing (no copy until encoded). */
export class RamPages {
  readonly count: number;
  private readonly words: Int32Array[];

  constructor(private readonly board: MigratableBoard) {
    this.count = Math.floor(board.ram.size / PAGE_BYTES);
    this.words = board.ram.chunks.map((c) => new Int32Array(c.buffer, c.byteOffset, c.byteLength >>> 2));
  }

  private locate(index: number): { chunk: number; offset: number } {
    const byte = index * PAGE_BYTES;
    const per = this.board.ram.chunkBytes;
    return { chunk: Math.floor(byte / per), offset: byte % per };
  }

  /** The page's bytes (a view into guest RAM), or null when every byte is zero. */
  page(index: number): Uint8Array | null {
    const { chunk, offset } = this.locate(index);
    const w = this.words[chunk]!;
    const first = offset >>> 2;
    let any = 0;
    for (let k = first, end = first + PAGE_BYTES / 4; k < end; k++) {
      any |= w[k]!;
      if (any !== 0) break;
    }
    return any === 0 ? null : this.board.ram.chunks[chunk]!.subarray(offset, offset + PAGE_BYTES);
  }

  /** SHA-256 over all of RAM (`info ramhash`: compare two machines at the switch). */
  digest(): string {
    const h = createHash('sha256');
    for (const c of this.board.ram.chunks) h.update(c);
    return h.digest('hex');
  }
}

/**
 * Pages of guest RAM that were ever written, on a board whose RAM is dirty-logged from its
 * creation (MigratableBoard.ramLoggedFromStart): every other page still holds the zeros it
 * was allocated with, so the first round need not read it. That matters: the first read of
 * host memory nobody touched costs a page fault (13 µs each on these machines, 0.85 s per
 * 256 MiB), and a guest touches little of its RAM. Harvesting the dirty log clears it, so
 * every harvest is recorded here for the next migration.
 */
export class WrittenPages {
  readonly bits: Uint32Array;
  constructor(readonly count: number) {
    this.bits = new Uint32Array(Math.ceil(count / 32));
  }
  add(pages: Iterable<number>): void {
    for (const p of pages) this.bits[p >>> 5]! |= 1 << (p & 31);
  }
  has(page: number): boolean {
    return (this.bits[page >>> 5]! & (1 << (page & 31))) !== 0;
  }
  /** The first recorded page at or after `from`, or `count`. */
  next(from: number): number {
    for (let w = from >>> 5; w < this.bits.length; w++) {
      let bits = this.bits[w]!;
      if (w === from >>> 5 && (from & 31) !== 0) bits &= ~((1 << (from & 31)) - 1);
      if (bits !== 0) return Math.min(this.count, w * 32 + 31 - Math.clz32(bits & -bits));
    }
    return this.count;
  }
}

/** Every dirty page of guest RAM, cleared as it is returned (bounded batches of the log). */
export function harvestRam(vm: Vm, board: MigratableBoard, fromPage = 0): number[] {
  const count = Math.floor(board.ram.size / PAGE_BYTES);
  const out: number[] = [];
  for (let from = fromPage; from < count; ) {
    const got = vm.getDirtyLog({ addr: board.ramGuestAddr + from * PAGE_BYTES, size: (count - from) * PAGE_BYTES }, { maxPages: HARVEST_PAGES, clear: true });
    for (const p of got) out.push(from + p);
    if (got.length < HARVEST_PAGES) break;
    from += got[got.length - 1]! + 1;
  }
  return out;
}

/** Pages harvested from the dirty log per call (the log's "at most N"). */
export const HARVEST_PAGES = 1024;

export interface LoadResult {
  readonly bytes: number;
  readonly pages: number;
}

/**
 * Reads a whole stream into `board`: pages straight into guest RAM (through the VM's memory,
 * so accelerator caches stay coherent), then the state sections; the checksum is checked at
 * the end. Any failure is a MigrationError; the machine must then not run.
 */
export function loadStream(source: ByteSource, board: MigratableBoard, vm: Vm): LoadResult {
  const sections = board.stateSections();
  const ram = board.ramGuestAddr;
  const count = Math.floor(board.ram.size / PAGE_BYTES);
  // What this machine wrote itself (boot images) must end as the source has it: a page the
  // stream does not carry is zero on the source.
  let ownWrites: WrittenPages | undefined;
  if (board.ramLoggedFromStart === true) {
    ownWrites = new WrittenPages(count);
    ownWrites.add(harvestRam(vm, board));
  }
  const received = new WrittenPages(count);
  let pages = 0;
  let state: Uint8Array | undefined;
  const bytes = decodeStream(
    source,
    {
      header: (h) => checkHeader(h, board),
      page: (index, data) => {
        pages++;
        received.add([index]);
        const at = gpa(ram + index * PAGE_BYTES);
        if (data === null) vm.memory.fill(at, PAGE_BYTES, 0);
        else vm.memory.write(at, data);
      },
      // Kept until the checksum is known: a corrupt state section must not reach a device.
      state: (blob) => {
        state = blob.slice();
      },
    },
    count,
  );
  for (let p = 0; p < count; p++) {
    if (received.has(p) || (ownWrites !== undefined && !ownWrites.has(p))) continue;
    vm.memory.fill(gpa(ram + p * PAGE_BYTES), PAGE_BYTES, 0);
  }
  try {
    loadSections(state!, sections);
  } catch (err) {
    if (err instanceof StateError) throw new MigrationError(err.message, { cause: err });
    throw err;
  }
  return { bytes, pages };
}
