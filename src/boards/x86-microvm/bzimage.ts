/**
 * Loading a Linux bzImage through the x86 boot protocol's 64-bit entry
 * (Documentation/arch/x86/boot.rst): the protected-mode kernel at 1 MiB, a zero page
 * (struct boot_params) holding the image's setup header plus what the loader fills in
 * (type_of_loader, command line, initrd, e820 map), identity-mapped page tables for the
 * first 4 GiB, a GDT with __BOOT_CS (0x10) and __BOOT_DS (0x18), and the vCPU in long mode
 * at startup_64 (load address + 0x200) with RSI = the zero page.
 *
 * Offsets used (boot_params / setup header): 0x0C0 ext_ramdisk_image, 0x0C4 ext_ramdisk_size,
 * 0x0C8 ext_cmd_line_ptr, 0x1E8 e820_entries, 0x1F1 setup_sects, 0x1FE boot_flag (0xAA55),
 * 0x201 jump (header length - 0x202 + ...), 0x202 "HdrS", 0x206 version, 0x210
 * type_of_loader, 0x211 loadflags, 0x214 code32_start, 0x218 ramdisk_image, 0x21C
 * ramdisk_size, 0x224 heap_end_ptr, 0x228 cmd_line_ptr, 0x22C initrd_addr_max, 0x236
 * xloadflags, 0x238 cmdline_size, 0x260 init_size, 0x2D0 e820_table (20-byte entries).
 */
import { BoardError } from '../errors.js';
import {
  CR0_ET,
  CR0_PE,
  CR0_PG,
  CR4_PAE,
  EFER_LMA,
  EFER_LME,
  FLAT_CODE64,
  FLAT_DATA,
  NO_LDT,
  RFLAGS_RESET,
  TSS_AT_0,
  buildGdt,
} from './boot-state.js';
import {
  BOOT_GDT_ADDR,
  CMDLINE_ADDR,
  CMDLINE_MAX,
  GiB,
  KERNEL_BASE,
  PAGE_TABLES_ADDR,
  ZERO_PAGE_ADDR,
  e820Map,
  cmdlineBytes,
  placeInitrd,
  type BootWrite,
} from './layout.js';
import type { BootPlan, KernelLoadOptions } from './pvh.js';

const HDRS = 0x5372_6448;
const MIN_VERSION = 0x020c;
const LOADED_HIGH = 0x01;
const CAN_USE_HEAP = 0x80;
const XLF_KERNEL_64 = 0x01;
const E820_MAX = 128;
const ZERO_PAGE_SIZE = 4096;
/** startup_64 sits 0x200 bytes into the protected-mode kernel. */
const STARTUP_64_OFFSET = 0x200;
const SEL_BOOT_CS = 0x10;
const SEL_BOOT_DS = 0x18;
const SEL_TSS = 0x20;

/** Whether `bytes` start like a bzImage (boot sector signature and the HdrS magic). */
export function isBzImage(bytes: Uint8Array): boolean {
  if (bytes.length < 0x206) return false;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return dv.getUint16(0x1fe, true) === 0xaa55 && dv.getUint32(0x202, true) === HDRS;
}

export interface SetupHeader {
  readonly version: number;
  readonly setupSects: number;
  readonly loadflags: number;
  readonly xloadflags: number;
  readonly initrdAddrMax: number;
  readonly cmdlineSize: number;
  readonly initSize: number;
  /** End of the header in the file (0x202 + the jump at 0x201). */
  readonly headerEnd: number;
}

export function parseSetupHeader(bytes: Uint8Array, name: string): SetupHeader {
  if (!isBzImage(bytes)) throw new BoardError('ERR_IMAGE_FORMAT', `${name}: not a bzImage (no 0xAA55 boot flag and "HdrS" setup header)`);
  if (bytes.length < 0x268) throw new BoardError('ERR_IMAGE_FORMAT', `${name}: truncated setup header (${bytes.length} bytes)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint16(0x206, true);
  const verText = `${version >> 8}.${(version & 0xff).toString().padStart(2, '0')}`;
  if (version < MIN_VERSION) {
    throw new BoardError('ERR_IMAGE_FORMAT', `${name}: boot protocol ${verText} is too old; the 64-bit entry needs 2.12 or later (Linux 3.8+)`);
  }
  const loadflags = dv.getUint8(0x211);
  if ((loadflags & LOADED_HIGH) === 0) throw new BoardError('ERR_IMAGE_FORMAT', `${name}: a zImage that loads below 1 MiB; only bzImages are supported`);
  const xloadflags = dv.getUint16(0x236, true);
  if ((xloadflags & XLF_KERNEL_64) === 0) throw new BoardError('ERR_IMAGE_ARCH', `${name}: the kernel has no 64-bit entry point (a 32-bit kernel?); x86-microvm enters kernels in 64-bit mode`);
  const setupSects = dv.getUint8(0x1f1) === 0 ? 4 : dv.getUint8(0x1f1);
  const headerEnd = 0x202 + dv.getUint8(0x201);
  const setupBytes = (setupSects + 1) * 512;
  if (setupBytes >= bytes.length) throw new BoardError('ERR_IMAGE_FORMAT', `${name}: truncated bzImage (${bytes.length} bytes, setup alone is ${setupBytes})`);
  // The 64-bit entry (startup_64) is 0x200 bytes into the protected-mode kernel: it must be there.
  if (bytes.length - setupBytes <= STARTUP_64_OFFSET) {
    throw new BoardError(
      'ERR_IMAGE_FORMAT',
      `${name}: truncated bzImage: the protected-mode kernel after the ${setupBytes}-byte setup is ${bytes.length - setupBytes} bytes, and its 64-bit entry is at offset 0x${STARTUP_64_OFFSET.toString(16)}`,
    );
  }
  return {
    version,
    setupSects,
    loadflags,
    xloadflags,
    initrdAddrMax: dv.getUint32(0x22c, true),
    cmdlineSize: dv.getUint32(0x238, true),
    initSize: dv.getUint32(0x260, true),
    headerEnd: Math.min(headerEnd, 0x290),
  };
}

/** Identity map of the first 4 GiB with 2 MiB pages: PML4, one PDPT, four page directories. */
function identityPageTables(): Uint8Array {
  const out = new Uint8Array(6 * 4096);
  const dv = new DataView(out.buffer);
  const pdpt = PAGE_TABLES_ADDR + 0x1000;
  const pd = PAGE_TABLES_ADDR + 0x2000;
  dv.setBigUint64(0, BigInt(pdpt | 0x3), true);
  for (let i = 0; i < 4; i++) dv.setBigUint64(0x1000 + 8 * i, BigInt((pd + 0x1000 * i) | 0x3), true);
  for (let i = 0; i < 2048; i++) dv.setBigUint64(0x2000 + 8 * i, (BigInt(i) << 21n) | 0x83n, true);
  return out;
}

export function loadBzImage(opts: KernelLoadOptions): BootPlan {
  const { kernel, layout } = opts;
  const bytes = kernel.bytes;
  const hdr = parseSetupHeader(bytes, kernel.name);
  const setupBytes = (hdr.setupSects + 1) * 512;
  const pm = bytes.subarray(setupBytes);
  // The decompressor needs init_size bytes from the load address (it decompresses in place).
  const kernelEnd = KERNEL_BASE + Math.max(hdr.initSize, pm.length);
  if (kernelEnd > layout.lowSize) {
    throw new BoardError(
      'ERR_RAM_SIZE',
      `${kernel.name}: the kernel needs RAM up to 0x${kernelEnd.toString(16)} (init_size ${hdr.initSize} bytes from 1 MiB); use a larger -m`,
    );
  }
  const writes: BootWrite[] = [{ addr: KERNEL_BASE, bytes: pm, what: `${kernel.name} protected-mode kernel` }];

  const zp = new Uint8Array(ZERO_PAGE_SIZE);
  const zv = new DataView(zp.buffer);
  zp.set(bytes.subarray(0x1f1, hdr.headerEnd), 0x1f1);
  zp[0x210] = 0xff; // type_of_loader: an undefined boot loader
  zp[0x211] = hdr.loadflags | CAN_USE_HEAP;
  zv.setUint16(0x224, 0xfe00 - 0x200, true); // heap_end_ptr, as a real-mode setup would see it
  zv.setUint32(0x214, KERNEL_BASE, true); // code32_start

  // cmdline_size exists from protocol 2.06 (always true here); the header value excludes the NUL.
  const cmdline = cmdlineBytes(opts.append, Math.min(CMDLINE_MAX, hdr.cmdlineSize + 1));
  writes.push({ addr: CMDLINE_ADDR, bytes: cmdline, what: 'command line' });
  zv.setUint32(0x228, CMDLINE_ADDR, true);

  if (opts.initrd !== undefined) {
    const size = opts.initrd.bytes.length;
    const addr = placeInitrd(size, layout, kernelEnd, Math.min(hdr.initrdAddrMax + 1, 4 * GiB), opts.initrd.name);
    writes.push({ addr, bytes: opts.initrd.bytes, what: 'initrd' });
    zv.setUint32(0x218, addr, true);
    zv.setUint32(0x21c, size, true);
    zv.setUint32(0x0c0, 0, true);
    zv.setUint32(0x0c4, Math.floor(size / 2 ** 32), true);
  }

  const e820 = e820Map(layout);
  if (e820.length > E820_MAX) throw new BoardError('ERR_BOARD_OPTION', `too many memory ranges for the zero page (${e820.length})`);
  zp[0x1e8] = e820.length;
  e820.forEach((e, i) => {
    const o = 0x2d0 + 20 * i;
    zv.setBigUint64(o, BigInt(e.addr), true);
    zv.setBigUint64(o + 8, BigInt(e.size), true);
    zv.setUint32(o + 16, e.type, true);
  });
  writes.push({ addr: ZERO_PAGE_ADDR, bytes: zp, what: 'zero page' });
  writes.push({ addr: PAGE_TABLES_ADDR, bytes: identityPageTables(), what: 'page tables' });
  const gdt = buildGdt([
    [SEL_BOOT_CS, FLAT_CODE64],
    [SEL_BOOT_DS, FLAT_DATA],
    [SEL_TSS, TSS_AT_0],
  ]);
  writes.push({ addr: BOOT_GDT_ADDR, bytes: gdt, what: 'boot GDT' });

  const entry = KERNEL_BASE + STARTUP_64_OFFSET;
  const data = { selector: SEL_BOOT_DS, ...FLAT_DATA };
  return {
    writes,
    entry,
    protocol: 'linux',
    cpu: {
      gprs: { rip: BigInt(entry), rflags: RFLAGS_RESET, rsi: BigInt(ZERO_PAGE_ADDR), rsp: 0n, rbp: 0n, rdi: 0n, rbx: 0n },
      segments: { cs: { selector: SEL_BOOT_CS, ...FLAT_CODE64 }, ds: data, es: data, ss: data, fs: data, gs: data, tr: { selector: SEL_TSS, ...TSS_AT_0 }, ldt: NO_LDT },
      gdt: { base: BOOT_GDT_ADDR, limit: gdt.length - 1 },
      idt: { base: 0, limit: 0 },
      cr0: CR0_PE | CR0_ET | CR0_PG,
      cr3: BigInt(PAGE_TABLES_ADDR),
      cr4: CR4_PAE,
      efer: EFER_LME | EFER_LMA,
    },
  };
}
