/**
 * Differential test: for a matrix of QEMU command lines, the device tree QEMU
 * 7.2 generates for -M ppce500 must equal buildPpce500DeviceTree()'s output in
 * structure (node order, property order, values; rng-seed excluded), in the
 * header, and in every byte that carries meaning (string offsets included).
 * Every run asks QEMU afresh; nothing is cached.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { diffFdtTrees, findNode, parseFdt } from '../../../src/boards/fdt/index.js';
import {
  buildPpce500DeviceTree,
  placePpce500BootImages,
  PPCE500_FIRST_PHANDLE_AT_BOOT,
  PPCE500_FIRST_PHANDLE_IN_DUMPDTB,
  PPCE500_RNG_SEED_SIZE,
  type Ppce500BootImages,
  type Ppce500CpuModel,
} from '../../../src/boards/ppce500/device-tree.js';
import { firstDifference, meaningfulBytes } from './support/blob-bytes.js';
import { elfLoadExtent, makeDummyElf } from './support/dummy-elf.js';
import { dumpQemuDtb, mapWithLimit, qemuVersion, readGuestDtb } from './support/qemu.js';

const UBOOT_ELF = '/usr/lib/u-boot/qemu-ppce500/uboot.elf';
const MiB = 0x10_0000;

type BootMode = 'bios' | 'kernel' | 'bios+kernel' | 'bios+kernel+initrd' | 'kernel+initrd' | 'uboot';
const BOOT_MODES: readonly BootMode[] = ['bios', 'kernel', 'bios+kernel', 'bios+kernel+initrd', 'kernel+initrd'];

interface QemuCase {
  readonly ramMiB: number;
  readonly cpus: number;
  readonly cpuModel: Ppce500CpuModel;
  readonly serials: 0 | 1 | 2;
  readonly boot: BootMode;
  readonly append?: string;
  /** Read the blob from guest RAM after QEMU's reset instead of using dumpdtb. */
  readonly guestView?: boolean;
}

function caseName(c: QemuCase): string {
  const append = c.append === undefined ? '' : ` -append ${JSON.stringify(c.append)}`;
  const view = c.guestView ? ' [guest RAM at boot]' : '';
  return `-m ${c.ramMiB} -smp ${c.cpus} -cpu ${c.cpuModel} serials=${c.serials} ${c.boot}${append}${view}`;
}

function buildCases(haveUboot: boolean): QemuCase[] {
  const cases: QemuCase[] = [];
  for (const ramMiB of [128, 256, 1024]) {
    for (let cpus = 1; cpus <= 4; cpus++) {
      for (const cpuModel of ['e500v2', 'e500mc'] as const) {
        for (const serials of [1, 2] as const) {
          const boot = BOOT_MODES[cases.length % BOOT_MODES.length]!;
          // -append is only accepted with -kernel; alternate it on and off.
          const withAppend = boot.includes('kernel') && Math.floor(cases.length / BOOT_MODES.length) % 2 === 0;
          cases.push({ ramMiB, cpus, cpuModel, serials, boot, ...(withAppend ? { append: 'console=ttyS0,115200 root=/dev/ram' } : {}) });
        }
      }
    }
  }
  cases.push(
    { ramMiB: 256, cpus: 1, cpuModel: 'e500v2', serials: 0, boot: 'bios' },
    { ramMiB: 512, cpus: 8, cpuModel: 'e500mc', serials: 2, boot: 'bios+kernel+initrd', append: 'quiet "quoted words" ünïcödé \\ end' },
    { ramMiB: 256, cpus: 32, cpuModel: 'e500v2', serials: 1, boot: 'kernel' },
    { ramMiB: 4096, cpus: 2, cpuModel: 'e500v2', serials: 1, boot: 'bios+kernel' },
    { ramMiB: 256, cpus: 2, cpuModel: 'e500v2', serials: 1, boot: 'bios', guestView: true },
    { ramMiB: 128, cpus: 1, cpuModel: 'e500mc', serials: 2, boot: 'kernel+initrd', append: 'x', guestView: true },
  );
  if (haveUboot) cases.push({ ramMiB: 256, cpus: 1, cpuModel: 'e500v2', serials: 1, boot: 'uboot' });
  return cases;
}

interface Images {
  readonly bios: string;
  readonly kernelElf: string;
  readonly highKernelElf: string;
  readonly kernelRaw: string;
  readonly initrd: string;
  readonly sizes: Map<string, number>;
  readonly extents: Map<string, { address: number; size: number }>;
}

async function writeImages(dir: string): Promise<Images> {
  const images = {
    // Shaped like Debian's U-Boot: one segment at 15 MiB with a large bss.
    bios: makeDummyElf([{ physicalAddress: 0xf0_0000, memorySize: 0x6_5e74 }]),
    // Two segments with a gap: QEMU counts the sum of memsz, not the span.
    kernelElf: makeDummyElf([
      { physicalAddress: 0, memorySize: 0x1000 },
      { physicalAddress: 0x10_0000, memorySize: 0x2345 },
    ]),
    // Ends above 32 MiB so the initrd moves away from its usual 64 MiB.
    highKernelElf: makeDummyElf([{ physicalAddress: 0x200_0000, memorySize: 0x110_0000 }]),
    kernelRaw: new Uint8Array(1_234_567).fill(0x4b),
    initrd: new Uint8Array(777_777).fill(0x1d),
  };
  const paths: Record<string, string> = {};
  const sizes = new Map<string, number>();
  const extents = new Map<string, { address: number; size: number }>();
  for (const [name, bytes] of Object.entries(images)) {
    const path = join(dir, name);
    await writeFile(path, bytes);
    paths[name] = path;
    sizes.set(path, bytes.length);
    if (name.endsWith('Elf') || name === 'bios') extents.set(path, elfLoadExtent(bytes));
  }
  if (existsSync(UBOOT_ELF)) extents.set(UBOOT_ELF, elfLoadExtent(new Uint8Array(await readFile(UBOOT_ELF))));
  return { bios: paths.bios!, kernelElf: paths.kernelElf!, highKernelElf: paths.highKernelElf!, kernelRaw: paths.kernelRaw!, initrd: paths.initrd!, sizes, extents };
}

/** QEMU options for a case, and what QEMU is expected to have loaded where. */
function bootSetup(c: QemuCase, images: Images): { options: string[]; placement: ReturnType<typeof placePpce500BootImages> } {
  const payload = (path: string): Pick<Ppce500BootImages, 'payloadAddress' | 'payloadSize'> => {
    const extent = images.extents.get(path)!;
    return { payloadAddress: extent.address, payloadSize: extent.size };
  };
  const size = (path: string): number => images.sizes.get(path)!;
  let options: string[];
  let input: Ppce500BootImages;
  switch (c.boot) {
    case 'bios':
      options = ['-bios', images.bios];
      input = { ...payload(images.bios), kernelIsPayload: false };
      break;
    case 'uboot':
      options = ['-bios', UBOOT_ELF];
      input = { ...payload(UBOOT_ELF), kernelIsPayload: false };
      break;
    case 'kernel':
      options = ['-kernel', images.kernelElf];
      input = { ...payload(images.kernelElf), kernelIsPayload: true };
      break;
    case 'bios+kernel':
      options = ['-bios', images.bios, '-kernel', images.kernelRaw];
      input = { ...payload(images.bios), kernelIsPayload: false, kernelFileSize: size(images.kernelRaw) };
      break;
    case 'bios+kernel+initrd':
      options = ['-bios', images.bios, '-kernel', images.kernelRaw, '-initrd', images.initrd];
      input = { ...payload(images.bios), kernelIsPayload: false, kernelFileSize: size(images.kernelRaw), initrdSize: size(images.initrd) };
      break;
    case 'kernel+initrd':
      options = ['-kernel', images.highKernelElf, '-initrd', images.initrd];
      input = { ...payload(images.highKernelElf), kernelIsPayload: true, initrdSize: size(images.initrd) };
      break;
  }
  const serial = c.serials === 0 ? ['-serial', 'none'] : Array.from({ length: c.serials }, () => ['-serial', 'null']).flat();
  options = [
    '-m', String(c.ramMiB), '-smp', String(c.cpus), '-cpu', c.cpuModel, ...serial, ...options,
    ...(c.append === undefined ? [] : ['-append', c.append]),
  ];
  return { options, placement: placePpce500BootImages(input) };
}

const version = qemuVersion();
const skip = version === undefined ? `qemu-system-ppc is not installed (or does not run): differential test against QEMU skipped` : false;

test(`ppce500 device tree matches QEMU (${version ?? 'no QEMU'})`, { skip }, async (t) => {
  const workDir = await mkdtemp(join(tmpdir(), 'ngkvm-fdt-diff-'));
  t.after(() => rm(workDir, { recursive: true, force: true }));
  const images = await writeImages(workDir);
  const cases = buildCases(existsSync(UBOOT_ELF));

  const results = await mapWithLimit(cases, Math.min(8, availableParallelism()), async (c) => {
    const { options, placement } = bootSetup(c, images);
    const name = `case${cases.indexOf(c)}`;
    try {
      const blob = c.guestView ? await readGuestDtb(options, placement.dtbAddress, workDir, name) : await dumpQemuDtb(options, workDir, name);
      return { blob, placement };
    } catch (error) {
      return { error: error as Error, placement };
    }
  });

  for (const [index, c] of cases.entries()) {
    await t.test(caseName(c), () => {
      const result = results[index]!;
      if ('error' in result) throw result.error;
      const qemu = parseFdt(result.blob);
      const ours = buildPpce500DeviceTree({
        ramSize: c.ramMiB * MiB,
        cpuCount: c.cpus,
        cpuModel: c.cpuModel,
        serialCount: c.serials,
        ...(c.append !== undefined ? { bootargs: c.append } : {}),
        ...(result.placement.initrd !== undefined ? { initrd: result.placement.initrd } : {}),
        ...(result.placement.bootKernel !== undefined ? { bootKernel: result.placement.bootKernel } : {}),
        firstPhandle: c.guestView ? PPCE500_FIRST_PHANDLE_AT_BOOT : PPCE500_FIRST_PHANDLE_IN_DUMPDTB,
      });
      const parsedOurs = parseFdt(ours.blob);

      const differences = diffFdtTrees(qemu, parsedOurs, { ignoreProperty: (path, name) => path === '/chosen' && name === 'rng-seed' });
      assert.deepEqual(differences, [], `trees differ:\n${differences.join('\n')}`);
      assert.deepEqual(parsedOurs.header, qemu.header);
      assert.equal(ours.size, qemu.header.totalSize);
      assert.equal(findNode(qemu.root, '/chosen')!.properties.find((p) => p.name === 'rng-seed')!.value.length, PPCE500_RNG_SEED_SIZE);

      const ignored = new Set(['rng-seed']);
      const at = firstDifference(meaningfulBytes(result.blob, ignored), meaningfulBytes(ours.blob, ignored));
      assert.equal(at, undefined, `blobs differ at byte 0x${at?.toString(16)}`);
    });
  }
});
