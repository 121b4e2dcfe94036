/**
 * Boot image targets: mutated real images into the loaders, which may fail only with their
 * documented errors (BoardError for the boards' loaders, FdtError for the FDT parser).
 *
 * elf: the guests' ELF files (PowerPC and x86 PVH, with their notes), cut to what a loader
 * reads, mutated mostly in the headers, program headers and notes; into parseElf, the
 * ppce500 payload loader and the x86-microvm kernel loader. What the VMM reads of a file is
 * decided from its headers (elfFileSpan): parsing only that prefix must give the same image.
 *
 * uimage: uImages built with buildUImage around a gzip-compressed and an uncompressed guest;
 * after mutation the CRCs are usually made right again, so the gzip and DEFLATE code behind
 * them is reached; into parseUImage and the payload loader; uImageFileSpan as for ELF.
 *
 * fdt: the device tree blob of buildPpce500DeviceTree (trimmed to its contents) into
 * parseFdt; a tree that parses also prints as DTS and answers queries.
 *
 * initrd: the boards' placement of kernels, initrds, command lines and the device tree
 * (ppce500 planPpce500Images, x86-microvm loadKernel with PVH and bzImage kernels) over
 * sizes, RAM sizes, addresses and counts taken from the input: BoardError or a plan whose
 * pieces lie in RAM without overlapping each other.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { BoardError } from '../../../src/boards/errors.js';
import { FdtError, findNode, formatDts, parseFdt, readCells, readString, readStrings, readU32 } from '../../../src/boards/fdt/index.js';
import { crc32 } from '../../../src/boards/loaders/crc32.js';
import { elfFileSpan, parseElf, type ElfImage } from '../../../src/boards/loaders/elf.js';
import { buildUImage, IH_COMP_GZIP, IH_COMP_NONE, parseUImage, UIMAGE_HEADER_SIZE, uImageFileSpan } from '../../../src/boards/loaders/uimage.js';
import { planPpce500Images } from '../../../src/boards/ppce500/board.js';
import { buildPpce500DeviceTree } from '../../../src/boards/ppce500/device-tree.js';
import { loadPpcPayload, type BootPayload } from '../../../src/boards/ppce500/payload.js';
import { ramLayout } from '../../../src/boards/x86-microvm/layout.js';
import { loadKernel } from '../../../src/boards/x86-microvm/loader.js';
import { elfsIn, GUEST_BUILD, GUESTS } from '../../support/paths.js';
import type { Prng } from '../../support/prng.js';
import { makeBzImage } from '../../unit/boards/support/x86-images.js';
import { mutateBytes } from '../mutate.js';
import { allowing, expect, type FuzzTarget } from '../target.js';

const MiB = 0x10_0000;

function guestFiles(): string[] {
  const ppc = elfsIn(join(GUEST_BUILD, 'e500v2')).filter((_, i) => i % 4 === 0);
  const mc = elfsIn(join(GUEST_BUILD, 'e500mc')).slice(0, 2);
  const x86 = elfsIn(join(GUESTS, 'x86', 'build'));
  const all = [...ppc, ...mc, ...x86];
  if (all.length === 0) throw new Error('no guest ELF files to start from: run "make -C guests && make -C guests/x86" (npm run fuzz does)');
  return all;
}

/** A file as the VMM reads it: only what the loader uses (no debug sections). */
function asRead(bytes: Uint8Array): Uint8Array {
  const span = elfFileSpan((o, n) => bytes.subarray(o, o + n));
  return span === undefined ? bytes : bytes.slice(0, Math.min(bytes.length, span.needed));
}

let elfSeeds: Uint8Array[] | undefined;
function elfCorpus(): Uint8Array[] {
  elfSeeds ??= guestFiles().map((f) => asRead(new Uint8Array(readFileSync(f))));
  return elfSeeds;
}

/** Where an ELF's headers end: mutations go there most of the time. */
function headerEnd(b: Uint8Array): number {
  if (b.length < 52) return b.length;
  const is64 = b[4] === 2;
  const le = b[5] === 1;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (is64 && b.length < 64) return b.length;
  const phoff = is64 ? Number(dv.getBigUint64(32, le) & 0xffff_ffffn) : dv.getUint32(28, le);
  const end = phoff + dv.getUint16(is64 ? 54 : 42, le) * dv.getUint16(is64 ? 56 : 44, le) + 512;
  return Math.min(b.length, Math.max(64, end));
}

/** Mutates the first `limit` bytes (headers) with probability `p`, else anywhere. */
function mutateHead(input: Uint8Array, rng: Prng, corpus: readonly Uint8Array[], limit: number, p: number): Uint8Array {
  if (!rng.chance(p) || limit >= input.length) return mutateBytes(input, rng, corpus);
  const head = mutateBytes(input.subarray(0, limit), rng, corpus.map((c) => c.subarray(0, limit)));
  const out = new Uint8Array(head.length + input.length - limit);
  out.set(head);
  out.set(input.subarray(limit), head.length);
  return out;
}

function sameImage(a: ElfImage, b: ElfImage): boolean {
  return (
    a.entry === b.entry || (Number.isNaN(a.entry) && Number.isNaN(b.entry))
  ) && a.segments.length === b.segments.length && a.segments.every((s, i) => {
    const t = b.segments[i]!;
    return s.paddr === t.paddr && s.memsz === t.memsz && Buffer.from(s.data).equals(Buffer.from(t.data));
  }) && a.notes.length === b.notes.length;
}

export const elfTarget: FuzzTarget = {
  name: 'elf',
  description: 'mutated guest ELFs (PowerPC, x86 PVH) into parseElf and both boards\' kernel loaders',
  seeds: () => elfCorpus(),
  mutate: (input, rng, corpus) => mutateHead(input, rng, corpus, headerEnd(input), 0.85),
  run(input) {
    const name = 'fuzz.elf';
    let elf: ElfImage | undefined;
    allowing([BoardError], () => {
      elf = parseElf(input, name);
    });
    allowing([BoardError], () => void loadPpcPayload({ name, bytes: input }));
    allowing([BoardError], () => void loadKernel({ kernel: { name, bytes: input }, layout: ramLayout(64 * MiB) }));
    const span = elfFileSpan((o, n) => input.subarray(o, o + n));
    if (elf !== undefined) {
      expect(span !== undefined, () => 'parseElf took a file elfFileSpan does not recognise');
      const prefix = input.subarray(0, Math.min(input.length, span.needed));
      let again: ElfImage | undefined;
      allowing([BoardError], () => {
        again = parseElf(prefix, name);
      });
      expect(again !== undefined && sameImage(elf, again), () => `the ${prefix.length} bytes the VMM would read do not parse to the same image`);
    }
  },
};

// ------------------------------------------------------------------ uimage

/** Sets both CRCs of a uImage to match its contents (when it is long enough to have them). */
function fixCrcs(b: Uint8Array): Uint8Array {
  if (b.length < UIMAGE_HEADER_SIZE) return b;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const size = dv.getUint32(12);
  if (UIMAGE_HEADER_SIZE + size <= b.length) dv.setUint32(24, crc32(b.subarray(UIMAGE_HEADER_SIZE, UIMAGE_HEADER_SIZE + size)));
  dv.setUint32(4, 0);
  dv.setUint32(4, crc32(b.subarray(0, UIMAGE_HEADER_SIZE)));
  return b;
}

export const uimageTarget: FuzzTarget = {
  name: 'uimage',
  description: 'mutated uImages (gzip and uncompressed) into parseUImage, gunzip/inflate and the ppce500 payload loader',
  seeds: () => {
    const code = elfCorpus()[0]!.slice(0, 16384);
    return [
      buildUImage({ name: 'fuzz', load: 0, entry: 0, payload: new Uint8Array(gzipSync(code)), compression: IH_COMP_GZIP }),
      buildUImage({ name: 'fuzz', load: 0x10_0000, entry: 0x10_0000, payload: new Uint8Array(gzipSync(code, { level: 1 })), compression: IH_COMP_GZIP }),
      buildUImage({ name: 'fuzz', load: 0x10_0000, entry: 0x10_0004, payload: code.slice(0, 2048), compression: IH_COMP_NONE }),
    ];
  },
  mutate(input, rng, corpus) {
    // Headers (uImage 64 bytes, gzip ~10, the first DEFLATE blocks) most of the time.
    const out = mutateHead(input, rng, corpus, Math.min(input.length, 64 + 10 + rng.below(200)), 0.8);
    return rng.chance(0.8) ? fixCrcs(out) : out;
  },
  run(input) {
    const name = 'fuzz.uimage';
    let ok = false;
    allowing([BoardError], () => {
      parseUImage(input, name);
      ok = true;
    });
    allowing([BoardError], () => void loadPpcPayload({ name, bytes: input }));
    const span = uImageFileSpan(input.subarray(0, 64));
    if (ok) {
      expect(span !== undefined, () => 'parseUImage took a file uImageFileSpan does not recognise');
      let again = false;
      allowing([BoardError], () => {
        parseUImage(input.subarray(0, Math.min(input.length, span.needed)), name);
        again = true;
      });
      expect(again, () => 'the bytes the VMM would read of this uImage do not parse');
    }
  },
};

// ------------------------------------------------------------------ fdt

/** A blob whose totalsize covers its blocks and nothing more (the board's is padded to 1 MiB). */
function trimmed(blob: Uint8Array): Uint8Array {
  const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const end = Math.max(dv.getUint32(8) + dv.getUint32(36), dv.getUint32(12) + dv.getUint32(32), dv.getUint32(16) + 16);
  const out = blob.slice(0, end);
  new DataView(out.buffer).setUint32(4, end);
  return out;
}

export const fdtTarget: FuzzTarget = {
  name: 'fdt',
  description: 'mutated ppce500 device tree blobs into parseFdt, the DTS printer and the queries',
  seeds: () => [
    trimmed(buildPpce500DeviceTree({ ramSize: 256 * MiB, cpuCount: 2, cpuModel: 'e500v2', serialCount: 2, bootargs: 'console=ttyS0', rngSeed: new Uint8Array(32) }).blob),
    trimmed(
      buildPpce500DeviceTree({
        ramSize: 4096 * MiB,
        cpuCount: 4,
        cpuModel: 'e500mc',
        serialCount: 1,
        initrd: { start: 64 * MiB, end: 80 * MiB },
        bootKernel: { address: 0, size: 8 * MiB },
        rngSeed: new Uint8Array(32).fill(7),
      }).blob,
    ),
  ],
  mutate: (input, rng, corpus) => mutateHead(input, rng, corpus, 40, 0.2),
  run(input) {
    allowing([FdtError], () => {
      const parsed = parseFdt(input);
      formatDts(parsed);
      for (const path of ['/', '/chosen', '/cpus/PowerPC,8544@0', '/soc@fe0000000/serial@4500', '/memory']) {
        const node = findNode(parsed.root, path);
        if (node === undefined) continue;
        for (const p of node.properties) {
          readU32(node, p.name);
          readCells(node, p.name);
          readString(node, p.name);
          readStrings(node, p.name);
        }
      }
    });
  },
};

// ------------------------------------------------------------------ initrd (boot placement)

/** Reads numbers from the input, zero when it runs out. */
class Fields {
  private at = 0;
  constructor(private readonly b: Uint8Array) {}
  u8(): number {
    return this.b[this.at++] ?? 0;
  }
  u32(): number {
    return ((this.u8() << 24) | (this.u8() << 16) | (this.u8() << 8) | this.u8()) >>> 0;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.u8() % items.length]!;
  }
}

const PPC_RAM = [64, 128, 256, 512, 1024, 3072, 4096, 8192, 49152].map((m) => m * MiB);
const X86_RAM = [2, 3, 4, 16, 64, 128, 3072, 4096, 8192].map((m) => m * MiB);
let zeros: Uint8Array | undefined;
/** `n` bytes of file content without allocating them each time (the loaders only look at sizes). */
const blank = (n: number): Uint8Array => (zeros ??= new Uint8Array(96 * MiB)).subarray(0, Math.min(n, 96 * MiB));

let payloads: BootPayload[] | undefined;
let x86Kernels: Uint8Array[] | undefined;

type Piece = { readonly what: string; readonly addr: number; readonly size: number };

function checkPieces(pieces: readonly Piece[], ram: number): void {
  for (const p of pieces) expect(p.addr >= 0 && p.addr + p.size <= ram, () => `${p.what} at 0x${p.addr.toString(16)} (+0x${p.size.toString(16)}) is outside the 0x${ram.toString(16)} bytes of RAM`);
  const sorted = [...pieces].filter((p) => p.size > 0).sort((a, b) => a.addr - b.addr);
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    expect(a.addr + a.size <= b.addr, () => `${a.what} [0x${a.addr.toString(16)}, 0x${(a.addr + a.size).toString(16)}) overlaps ${b.what} at 0x${b.addr.toString(16)}`);
  }
}

export const initrdTarget: FuzzTarget = {
  name: 'initrd',
  description: 'kernel/initrd/command-line/device-tree placement of both boards over sizes and addresses from the input',
  seeds: () => [
    Uint8Array.of(0, 2, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0x40),
    Uint8Array.of(1, 4, 0, 1, 0, 0, 0, 0, 0, 0, 0x20, 0, 0, 0, 0, 0x30, 0),
    Uint8Array.of(0, 0, 3, 1, 2, 1, 3, 0, 0, 0, 0, 0, 0x02, 0x80, 0, 0, 0xff, 0xff, 0xff, 0, 0, 0, 0x10),
    Uint8Array.of(1, 7, 1, 0, 0, 0xff, 0x10, 0, 0, 0, 0x0f, 0xff, 0xf0, 0),
  ],
  generate: (rng: Prng) => rng.bytes(8 + rng.below(40)),
  run(input) {
    payloads ??= elfCorpus()
      .filter((b) => b[18] === 0 && b[19] === 20)
      .slice(0, 4)
      .map((bytes, i) => loadPpcPayload({ name: `guest${i}.elf`, bytes }));
    x86Kernels ??= elfCorpus().filter((b) => b[18] === 62 || b[18] === 3);
    const f = new Fields(input);
    const append = 'x'.repeat(f.pick([0, 1, 100, 2047, 4096, 70000, 3 * MiB]));
    if (f.u8() % 2 === 0) {
      // ppce500
      const ramSize = f.pick(PPC_RAM);
      const base = f.pick(payloads);
      const shift = f.pick([0, 0, 16 * MiB, 40 * MiB, 1 << 30, 2 ** 32, 2 ** 33]) + (f.u32() % 64) * MiB;
      const payload: BootPayload = { ...base, segments: base.segments.map((s) => ({ ...s, paddr: s.paddr + shift })), address: base.address + shift, entry: base.entry + shift };
      const firmware = f.u8() % 2 === 1;
      const kernelSize = firmware && f.u8() % 2 === 1 ? f.u32() % (80 * MiB) : undefined;
      const initrdSize = f.u8() % 3 !== 0 ? f.u32() % (96 * MiB) : undefined;
      allowing([BoardError], () => {
        const plan = planPpce500Images({
          ramSize,
          cpuCount: 1 + (f.u8() % 32),
          family: f.u8() % 2 === 0 ? 'e500v2' : 'e500mc',
          serialCount: (f.u8() % 3) as 0 | 1 | 2,
          payload,
          firmware,
          ...(kernelSize !== undefined ? { kernel: { name: 'kernel', bytes: blank(kernelSize) } } : {}),
          ...(initrdSize !== undefined ? { initrd: { name: 'initrd', bytes: blank(initrdSize) } } : {}),
          ...(append !== '' ? { append } : {}),
          rngSeed: new Uint8Array(32),
        });
        checkPieces(
          [
            ...plan.segments.map((s, i) => ({ what: `segment ${i}`, addr: s.paddr, size: s.memsz })),
            ...plan.raws.map((r, i) => ({ what: `raw image ${i}`, addr: r.addr, size: r.bytes.length })),
            { what: 'device tree', addr: plan.dtbAddress, size: plan.dtbSize },
          ],
          ramSize,
        );
      });
    } else {
      // x86-microvm
      const ramSize = f.pick(X86_RAM);
      const bz = f.u8() % 2 === 0;
      const kernel = bz
        ? makeBzImage({ payload: blank(f.u32() % (4 * MiB)).slice(), initSize: f.u32() % (64 * MiB), initrdAddrMax: f.u32(), cmdlineSize: f.u32() % 100000, setupSects: f.u8() % 8 })
        : f.pick(x86Kernels);
      const initrdSize = f.u8() % 3 !== 0 ? f.u32() % (96 * MiB) : undefined;
      allowing([BoardError], () => {
        const layout = ramLayout(ramSize);
        const plan = loadKernel({
          kernel: { name: 'kernel', bytes: kernel },
          layout,
          ...(initrdSize !== undefined ? { initrd: { name: 'initrd', bytes: blank(initrdSize) } } : {}),
          ...(append !== '' ? { append } : {}),
        });
        checkPieces(
          plan.writes.map((w) => ({ what: w.what, addr: w.addr, size: w.bytes.length + (w.zeroFill ?? 0) })),
          layout.lowSize,
        );
        expect(plan.entry < layout.lowSize, () => `entry 0x${plan.entry.toString(16)} outside RAM`);
      });
    }
  },
};
