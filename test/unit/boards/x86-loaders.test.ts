import assert from 'node:assert/strict';
import { test } from 'node:test';
import { x86Control, x86Dtable, x86Gpr, x86Segment } from '../../../src/api/x86-registers.js';
import { BoardError } from '../../../src/boards/errors.js';
import { cpuStateRegisters, encodeDescriptor, FLAT_CODE32, FLAT_CODE64, FLAT_DATA } from '../../../src/boards/x86-microvm/boot-state.js';
import { loadBzImage, parseSetupHeader } from '../../../src/boards/x86-microvm/bzimage.js';
import { e820Map, ramLayout, type BootWrite } from '../../../src/boards/x86-microvm/layout.js';
import { loadKernel } from '../../../src/boards/x86-microvm/loader.js';
import { HVM_START_MAGIC, loadPvh } from '../../../src/boards/x86-microvm/pvh.js';
import { makeBzImage, makeX86Elf } from './support/x86-images.js';

const MiB = 0x100000;

/** Guest memory as the plan leaves it: a sparse byte map over the writes. */
function memoryOf(writes: readonly BootWrite[], size: number): DataView {
  const mem = new Uint8Array(size);
  for (const w of writes) {
    mem.set(w.bytes, w.addr);
    mem.fill(0, w.addr + w.bytes.length, w.addr + w.bytes.length + (w.zeroFill ?? 0));
  }
  return new DataView(mem.buffer);
}

const code = new Uint8Array([0xf4, 0xeb, 0xfd, 0x90]);
const pvhKernel = (extra: Partial<Parameters<typeof makeX86Elf>[0]> = {}) => ({
  name: 'k.elf',
  bytes: makeX86Elf({ segments: [{ paddr: MiB, data: code, memsz: 0x2000 }], pvhEntry: MiB + 1, ...extra }),
});

test('descriptor encoding: flat 32-bit code/data and 64-bit code as the well-known GDT values', () => {
  assert.equal(encodeDescriptor(FLAT_CODE32), 0x00cf9b000000ffffn);
  assert.equal(encodeDescriptor(FLAT_DATA), 0x00cf93000000ffffn);
  assert.equal(encodeDescriptor(FLAT_CODE64), 0x00af9b000000ffffn);
});

test('RAM layout: below the 3 GiB hole, the rest at 4 GiB; the e820 map leaves out the legacy hole', () => {
  assert.deepEqual(ramLayout(128 * MiB), { lowSize: 128 * MiB, highSize: 0 });
  assert.deepEqual(ramLayout(4096 * MiB), { lowSize: 3072 * MiB, highSize: 1024 * MiB });
  assert.deepEqual(
    e820Map(ramLayout(4096 * MiB)).filter((e) => e.type === 1).map((e) => [e.addr, e.size]),
    [
      [0, 0x9fc00],
      [MiB, 3072 * MiB - MiB],
      [4096 * MiB, 1024 * MiB],
    ],
  );
  assert.throws(() => ramLayout(MiB), (e: unknown) => e instanceof BoardError && e.code === 'ERR_RAM_SIZE' && /at least 2 MiB/.test(e.message));
  assert.throws(() => ramLayout(64 * MiB + 1), /4 KiB pages/);
});

test('PVH: segments loaded with BSS zeroed, start info with magic, version, cmdline, memmap and the initrd module', () => {
  const layout = ramLayout(64 * MiB);
  const initrd = { name: 'rd', bytes: new TextEncoder().encode('initrd bytes') };
  const plan = loadPvh({ kernel: pvhKernel(), layout, initrd, append: 'console=ttyS0 x=1' });
  assert.equal(plan.entry, MiB + 1);
  const m = memoryOf(plan.writes, 64 * MiB);
  assert.deepEqual([m.getUint8(MiB), m.getUint8(MiB + 3)], [0xf4, 0x90]);
  const si = Number(plan.cpu.gprs.rbx);
  assert.equal(m.getUint32(si, true), HVM_START_MAGIC);
  assert.equal(m.getUint32(si + 4, true), 1);
  const cmd = Number(m.getBigUint64(si + 24, true));
  const text = new TextDecoder().decode(new Uint8Array(m.buffer, cmd, 17));
  assert.equal(text, 'console=ttyS0 x=1');
  assert.equal(m.getUint8(cmd + 17), 0, 'NUL-terminated');
  assert.equal(m.getUint32(si + 12, true), 1);
  const mod = Number(m.getBigUint64(si + 16, true));
  const modAddr = Number(m.getBigUint64(mod, true));
  assert.equal(Number(m.getBigUint64(mod + 8, true)), initrd.bytes.length);
  assert.equal(modAddr % 4096, 0);
  assert.ok(modAddr + initrd.bytes.length <= 64 * MiB && modAddr >= MiB + 0x2000);
  assert.equal(new TextDecoder().decode(new Uint8Array(m.buffer, modAddr, initrd.bytes.length)), 'initrd bytes');
  const mm = Number(m.getBigUint64(si + 40, true));
  const n = m.getUint32(si + 48, true);
  const ram = [];
  for (let i = 0; i < n; i++) if (m.getUint32(mm + 24 * i + 16, true) === 1) ram.push([Number(m.getBigUint64(mm + 24 * i, true)), Number(m.getBigUint64(mm + 24 * i + 8, true))]);
  assert.deepEqual(ram, [
    [0, 0x9fc00],
    [MiB, 63 * MiB],
  ]);
});

test('PVH entry state: 32-bit protected mode, flat segments from a GDT in memory, paging off, EFLAGS 2', () => {
  const plan = loadPvh({ kernel: pvhKernel({ noteSize: 4 }), layout: ramLayout(16 * MiB) });
  const c = plan.cpu;
  assert.equal(c.cr0 & 0x80000001n, 1n);
  assert.equal(c.efer, 0n);
  assert.equal(c.gprs.rflags, 2n);
  assert.equal(c.gprs.rip, BigInt(MiB + 1));
  const m = memoryOf(plan.writes, 16 * MiB);
  for (const seg of [c.segments.cs, c.segments.ds, c.segments.es, c.segments.ss]) {
    assert.equal(seg.base, 0);
    assert.equal(seg.limit, 0xffffffff);
    assert.ok(seg.selector + 7 <= c.gdt.limit);
    assert.equal(m.getBigUint64(c.gdt.base + seg.selector, true), encodeDescriptor(seg), 'the GDT holds what the hidden part says');
  }
  assert.equal(c.segments.cs.attributes & 0x6000, 0x4000, 'CS is 32-bit (D=1, L=0)');
  assert.deepEqual([c.segments.tr.base, c.segments.tr.limit], [0, 0x67]);
  const regs = new Map(cpuStateRegisters(c));
  assert.equal(regs.get(x86Gpr('rbx')), c.gprs.rbx);
  assert.equal(regs.get(x86Segment('cs', 'selector')), BigInt(c.segments.cs.selector));
  assert.equal(regs.get(x86Dtable('gdt', 'limit')), BigInt(c.gdt.limit));
  assert.equal(regs.get(x86Control('cr0')), c.cr0);
});

test('PVH: a kernel linked at a high virtual address (vmlinux) loads by physical address and enters at the note', () => {
  const kernel = {
    name: 'vmlinux',
    bytes: makeX86Elf({ segments: [{ paddr: 16 * MiB, vaddr: 0xffffffff81000000n, data: code }], entry: 0xffffffff81000000n, pvhEntry: 16 * MiB + 0x40, noteSize: 4 }),
  };
  const plan = loadKernel({ kernel, layout: ramLayout(64 * MiB) });
  assert.equal(plan.protocol, 'pvh');
  assert.equal(plan.entry, 16 * MiB + 0x40);
  assert.equal(memoryOf(plan.writes, 64 * MiB).getUint8(16 * MiB), 0xf4);
});

test('PVH errors: no note, foreign machine, segment outside RAM, below 1 MiB, command line too long', () => {
  const layout = ramLayout(16 * MiB);
  const noNote = { name: 'plain.elf', bytes: makeX86Elf({ segments: [{ paddr: MiB, data: code }] }) };
  assert.throws(() => loadKernel({ kernel: noNote, layout }), /without a Xen PVH entry note/);
  assert.throws(() => loadPvh({ kernel: pvhKernel({ machine: 20 }), layout }), (e: unknown) => e instanceof BoardError && e.code === 'ERR_IMAGE_ARCH');
  const big = { name: 'big.elf', bytes: makeX86Elf({ segments: [{ paddr: MiB, data: code, memsz: 32 * MiB }], pvhEntry: MiB }) };
  assert.throws(() => loadPvh({ kernel: big, layout }), /larger -m/);
  const low = { name: 'low.elf', bytes: makeX86Elf({ segments: [{ paddr: 0x8000, data: code }], pvhEntry: 0x8000 }) };
  assert.throws(() => loadPvh({ kernel: low, layout }), /boot structures/);
  assert.throws(() => loadPvh({ kernel: pvhKernel(), layout, append: 'x'.repeat(70000) }), /command line/);
  assert.throws(() => loadPvh({ kernel: pvhKernel(), layout, initrd: { name: 'huge', bytes: new Uint8Array(16 * MiB) } }), /huge .* does not fit/);
});

test('a PVH entry point outside RAM is an image error at load time, not a failure of the first fetch', () => {
  const layout = ramLayout(16 * MiB);
  for (const entry of [16 * MiB, 0x7000_0000, 0xffff_fff0]) {
    assert.throws(
      () => loadKernel({ kernel: pvhKernel({ pvhEntry: entry }), layout }),
      (e: unknown) =>
        e instanceof BoardError && e.code === 'ERR_IMAGE_FORMAT' && e.message === `k.elf: PVH entry point 0x${entry.toString(16)} is outside RAM (0 to 0x1000000) and outside the kernel's segments`,
    );
  }
  assert.equal(loadKernel({ kernel: pvhKernel({ pvhEntry: 16 * MiB - 4 }), layout }).entry, 16 * MiB - 4, 'the last bytes of RAM are RAM');
});

test('neither PVH ELF nor bzImage: a clear message', () => {
  const layout = ramLayout(16 * MiB);
  assert.throws(
    () => loadKernel({ kernel: { name: 'random.bin', bytes: new Uint8Array(4096).fill(0x90) }, layout }),
    (e: unknown) => e instanceof BoardError && e.code === 'ERR_IMAGE_FORMAT' && /neither a PVH ELF kernel nor a Linux bzImage/.test(e.message),
  );
});

test('bzImage: protected-mode kernel at 1 MiB, zero page with header, loader type, cmdline, initrd and e820', () => {
  const payload = new Uint8Array(0x3000).map((_, i) => (i * 7) & 0xff);
  const kernel = { name: 'bzImage', bytes: makeBzImage({ payload, setupSects: 0 }) };
  const layout = ramLayout(64 * MiB);
  const initrd = { name: 'initrd', bytes: new Uint8Array(0x1800).fill(0xa5) };
  const plan = loadKernel({ kernel, layout, initrd, append: 'console=ttyS0' });
  assert.equal(plan.protocol, 'linux');
  const m = memoryOf(plan.writes, 64 * MiB);
  assert.deepEqual(new Uint8Array(m.buffer, MiB, payload.length), payload, 'setup_sects 0 means 4: payload from byte 2560');
  const zp = Number(plan.cpu.gprs.rsi);
  assert.equal(m.getUint32(zp + 0x202, true), 0x53726448, 'setup header copied');
  assert.equal(m.getUint16(zp + 0x206, true), 0x020f);
  assert.equal(m.getUint8(zp + 0x210), 0xff);
  assert.equal(m.getUint8(zp + 0x211) & 0x81, 0x81);
  const cmd = m.getUint32(zp + 0x228, true);
  assert.equal(new TextDecoder().decode(new Uint8Array(m.buffer, cmd, 14)), 'console=ttyS0\0');
  const rd = m.getUint32(zp + 0x218, true);
  assert.equal(m.getUint32(zp + 0x21c, true), 0x1800);
  assert.equal(rd % 4096, 0);
  assert.ok(rd >= MiB + 0x200000 && rd + 0x1800 <= 64 * MiB, 'initrd above init_size, inside RAM');
  assert.equal(m.getUint8(rd), 0xa5);
  const n = m.getUint8(zp + 0x1e8);
  const e820 = Array.from({ length: n }, (_, i) => [Number(m.getBigUint64(zp + 0x2d0 + 20 * i, true)), Number(m.getBigUint64(zp + 0x2d0 + 20 * i + 8, true)), m.getUint32(zp + 0x2d0 + 20 * i + 16, true)]);
  assert.deepEqual(e820.filter((e) => e[2] === 1), [
    [0, 0x9fc00, 1],
    [MiB, 63 * MiB, 1],
  ]);
});

test('bzImage entry state: long mode at startup_64 with identity-mapped page tables and __BOOT_CS/__BOOT_DS', () => {
  const plan = loadBzImage({ kernel: { name: 'bz', bytes: makeBzImage() }, layout: ramLayout(32 * MiB) });
  const c = plan.cpu;
  assert.equal(c.gprs.rip, BigInt(MiB + 0x200));
  assert.equal(c.efer & 0x500n, 0x500n);
  assert.equal(c.cr0 & 0x80000001n, 0x80000001n);
  assert.equal(c.cr4 & 0x20n, 0x20n);
  assert.equal(c.segments.cs.selector, 0x10);
  assert.equal(c.segments.ds.selector, 0x18);
  assert.equal(c.segments.cs.attributes & 0x6000, 0x2000, 'CS is 64-bit (L=1, D=0)');
  const m = memoryOf(plan.writes, 32 * MiB);
  // Walk the page tables for a few addresses: each must map to itself.
  const walk = (va: number): number => {
    const pml4 = Number(c.cr3);
    const pdpt = Number(m.getBigUint64(pml4 + 8 * Math.floor(va / 2 ** 39), true) & ~0xfffn);
    const pdpte = m.getBigUint64(pdpt + 8 * (Math.floor(va / 2 ** 30) % 512), true);
    const pd = Number(pdpte & ~0xfffn);
    const pde = m.getBigUint64(pd + 8 * (Math.floor(va / 2 ** 21) % 512), true);
    assert.equal(pde & 0x83n, 0x83n, `2 MiB page present and writable for 0x${va.toString(16)}`);
    return Number(pde & ~0x1fffffn) + (va % 2 ** 21);
  };
  for (const va of [0, 0x7000, MiB + 0x200, 0x3fff_f123, 0xfee0_0000]) assert.equal(walk(va), va);
});

test('bzImage errors: old protocol, no 64-bit entry, zImage, truncated, too little RAM, command line over cmdline_size', () => {
  const layout = ramLayout(32 * MiB);
  const load = (o: Parameters<typeof makeBzImage>[0], extra: { append?: string } = {}) => loadBzImage({ kernel: { name: 'bz', bytes: makeBzImage(o) }, layout, ...extra });
  assert.throws(() => load({ version: 0x020b }), /2\.11 is too old; the 64-bit entry needs 2\.12/);
  assert.throws(() => load({ xloadflags: 0 }), /no 64-bit entry point/);
  assert.throws(() => load({ loadflags: 0 }), /zImage/);
  assert.throws(() => load({ initSize: 64 * MiB }), (e: unknown) => e instanceof BoardError && e.code === 'ERR_RAM_SIZE');
  assert.throws(() => load({ cmdlineSize: 10 }, { append: 'console=ttyS0' }), /at most 10/);
  assert.throws(() => parseSetupHeader(makeBzImage().subarray(0, 0x240), 'bz'), /truncated setup header/);
  assert.throws(() => parseSetupHeader(makeBzImage({ setupSects: 60 }).subarray(0, 0x1000), 'bz'), /truncated bzImage/);
});

test('bzImage whose protected-mode kernel does not reach startup_64 (offset 0x200) is refused', () => {
  const layout = ramLayout(32 * MiB);
  for (const n of [1, 0x100, 0x200]) {
    assert.throws(
      () => loadKernel({ kernel: { name: 'bz', bytes: makeBzImage({ payload: new Uint8Array(n) }) }, layout }),
      (e: unknown) =>
        e instanceof BoardError &&
        e.code === 'ERR_IMAGE_FORMAT' &&
        e.message === `bz: truncated bzImage: the protected-mode kernel after the 2560-byte setup is ${n} bytes, and its 64-bit entry is at offset 0x200`,
    );
  }
  assert.equal(loadKernel({ kernel: { name: 'bz', bytes: makeBzImage({ payload: new Uint8Array(0x201) }) }, layout }).entry, MiB + 0x200);
});
