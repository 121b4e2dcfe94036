/**
 * The device tree QEMU 7.2 builds for `-M ppce500` (hw/ppc/e500.c), reproduced
 * byte for byte apart from the random rng-seed.
 *
 * QEMU edits the tree with libfdt's read-write API, which puts every new
 * property first in its node and every new subnode first among its siblings;
 * and the strings block lists names in first-use order. The code below
 * therefore creates things in QEMU's order with a 'prepend' builder: the
 * resulting node/property order reads reversed compared with this source.
 *
 * Phandles: QEMU's allocator is a process-wide counter starting at 0x8000 and
 * each tree takes three (MPIC, MSI, GPIO). QEMU builds a throw-away tree at
 * machine init to learn its size (0x8000..2), the one `-machine dumpdtb`
 * writes (0x8003..5), then another one at every system reset; the first reset
 * happens before the guest runs, so the guest boots with 0x8006..8, and each
 * later reset (e.g. guest `reset`) adds 3. Nothing should depend on the
 * values, but tests comparing against QEMU must use the matching base.
 *
 * Where QEMU 7.2 places the images the tree points at (ppce500_init), all
 * values in bytes, "payload" = what runs first: U-Boot with -bios, else the
 * -kernel image; its address/size are what QEMU's loader returns: for an ELF
 * the lowest PT_LOAD p_paddr and the SUM of the PT_LOAD p_memsz (not end -
 * start, and bss included):
 *   base = max(payloadAddress + payloadSize, 32 MiB)
 *   -kernel with -bios: copied raw to `base`; base += kernel file size
 *   qemu,boot-kernel = <address size> (two u64) =
 *       -kernel with -bios: (raw kernel address, file size)
 *       -kernel without -bios: (payloadAddress, payloadSize)
 *       no -kernel: property absent
 *   initrd start = (base + 32 MiB) & ~(16 MiB - 1), end = start + file size
 *       (32-bit cells; QEMU only accepts -initrd together with -kernel)
 *   dtb address = (payloadAddress + payloadSize + 24 MiB) & ~(1 MiB - 1);
 *       QEMU refuses to start unless dtb address + 8 MiB <= RAM size.
 * placePpce500BootImages() implements these formulas.
 */
import { FdtBuilder, type FdtNodeBuilder } from '../fdt/builder.js';
import type { FdtTree } from '../fdt/tree.js';
import { SPIN_SLOT_SIZE, SPIN_TABLE_BASE } from './spin-table.js';
import type { Ppce500CpuModel, Ppce500DeviceTreeParams } from './device-tree-params.js';

export type { Ppce500CpuModel, Ppce500DeviceTreeParams } from './device-tree-params.js';

/** QEMU hands the guest a blob padded to this totalsize (free space for firmware edits). */
export const PPCE500_DTB_TOTAL_SIZE = 0x10_0000;
export const PPCE500_RNG_SEED_SIZE = 32;
/** MPIC phandle in the tree the guest sees after QEMU's first system reset. */
export const PPCE500_FIRST_PHANDLE_AT_BOOT = 0x8006;
/** MPIC phandle in the tree written by `-machine dumpdtb=`. */
export const PPCE500_FIRST_PHANDLE_IN_DUMPDTB = 0x8003;
/** Phandles each regeneration of the tree consumes. */
export const PPCE500_PHANDLES_PER_TREE = 3;
export const PPCE500_MAX_CPUS = 32;

export interface Ppce500DeviceTree {
  /** The DTB, exactly `size` bytes (header totalsize). */
  readonly blob: Uint8Array;
  /** PPCE500_DTB_TOTAL_SIZE: what QEMU copies to RAM and uses to size the boot TLB entry. */
  readonly size: number;
  readonly tree: FdtTree;
}

const MiB = 0x10_0000;
const CCSR_BASE = 0xf_e000_0000;
const CCSR_SIZE = 0x10_0000;
const PLATFORM_BUS_BASE = 0xf_0000_0000;
const PLATFORM_BUS_SIZE = 0x800_0000;
const PCI_REGS_BASE = CCSR_BASE + 0x8000;
const PCI_MEM_BUS_ADDRESS = 0xe000_0000;
const PCI_MEM_CPU_ADDRESS = 0xc_0000_0000;
const PCI_MEM_SIZE = 0x2000_0000;
const PCI_IO_CPU_ADDRESS = 0xf_e100_0000;
const PCI_IO_SIZE = 0x1_0000;
const PCI_CLOCK_HZ = 66_666_666;
const PCI_FIRST_SLOT = 1;
const PCI_SLOTS = 31;
const CPU_CLOCK_HZ = 400_000_000;
const TIMEBASE_HZ = 400_000_000;
const PLATFORM_CLOCK_HZ = 400_000_000;
const L1_CACHE_SIZE = 0x8000;
const CACHE_LINE_SIZE: Record<Ppce500CpuModel, number> = { e500v2: 32, e500mc: 64 };

// CCSR-relative register blocks and MPIC interrupt numbers.
const MPIC_OFFSET = 0x4_0000;
const MPIC_SIZE = 0x4_0000;
const SERIAL_OFFSETS = [0x4500, 0x4600] as const;
const SERIAL_SIZE = 0x100;
const SERIAL_IRQ = 42;
export const I2C_OFFSET = 0x3000;
export const I2C_SIZE = 0x14;
export const I2C_IRQ = 43;
export const RTC_I2C_ADDRESS = 0x68;
const GUTS_OFFSET = 0xe_0000;
const GUTS_SIZE = 0x1000;
const MSI_OFFSET = 0x4_1600;
const MSI_SIZE = 0x200;
const MSI_FIRST_IRQ = 0xe0;
const MSI_GROUPS = 8;
export const GPIO_OFFSET = 0xf_f000;
export const GPIO_SIZE = 0x1000;
export const GPIO_IRQ = 47;
/** GPIO pin wired to power-off (QEMU's e500.c: output 0 of the GPIO block). */
export const POWER_OFF_GPIO_PIN = 0;
const PCI_ERROR_IRQ = 24;
/** Second interrupt cell for the MPIC: 2 = level, active high; 0 = edge (MSI). */
const IRQ_LEVEL_HIGH = 2;

const hex = (n: number): string => n.toString(16);
const high32 = (n: number): number => Math.floor(n / 0x1_0000_0000);
const low32 = (n: number): number => n % 0x1_0000_0000;

export function buildPpce500DeviceTree(params: Ppce500DeviceTreeParams): Ppce500DeviceTree {
  const rngSeed = params.rngSeed ?? globalThis.crypto.getRandomValues(new Uint8Array(PPCE500_RNG_SEED_SIZE));
  checkParams(params, rngSeed);

  const fdt = new FdtBuilder({ placement: 'prepend', firstPhandle: params.firstPhandle ?? PPCE500_FIRST_PHANDLE_AT_BOOT });
  const root = fdt.root;
  root.setU32('#address-cells', 2).setU32('#size-cells', 2);
  root.addNode('memory').setString('device_type', 'memory').setU64s('reg', [0, params.ramSize]);
  const chosen = addChosen(root, params, rngSeed);
  addCpus(root, params);
  const aliases = root.addNode('aliases');

  const socPath = `/soc@${hex(CCSR_BASE)}`;
  const soc = root
    .addNode(socPath.slice(1))
    .setString('device_type', 'soc')
    .setStrings('compatible', ['fsl,mpc8544-immr', 'simple-bus'])
    .setU32('#address-cells', 1)
    .setU32('#size-cells', 1)
    .setCells('ranges', [0, high32(CCSR_BASE), low32(CCSR_BASE), CCSR_SIZE])
    .setU32('bus-frequency', 0);
  const mpic = addMpic(soc);

  addSerialPorts(soc, socPath, aliases, chosen, mpic, params.serialCount);
  addI2cWithRtc(soc, socPath, aliases, mpic);
  soc
    .addNode(`global-utilities@${hex(GUTS_OFFSET)}`)
    .setString('compatible', 'fsl,mpc8544-guts')
    .setCells('reg', [GUTS_OFFSET, GUTS_SIZE])
    .setEmpty('fsl,has-rstcr');
  const msi = addMsi(soc, mpic);
  addPci(root, aliases, mpic, msi);
  addGpioAndPowerOff(soc, mpic);
  root
    .addNode(`platform@${hex(PLATFORM_BUS_BASE)}`)
    .setStrings('compatible', ['qemu,platform', 'simple-bus'])
    .setU32('#size-cells', 1)
    .setU32('#address-cells', 1)
    .setCells('ranges', [0, high32(PLATFORM_BUS_BASE), low32(PLATFORM_BUS_BASE), PLATFORM_BUS_SIZE])
    .setU32('interrupt-parent', mpic);
  // QEMU passes these with sizeof(), i.e. as one NUL-terminated string each.
  root.setString('model', 'QEMU ppce500').setString('compatible', 'fsl,qemu-e500');

  return { blob: fdt.toBlob({ totalSize: PPCE500_DTB_TOTAL_SIZE }), size: PPCE500_DTB_TOTAL_SIZE, tree: fdt.toTree() };
}

function checkParams(params: Ppce500DeviceTreeParams, rngSeed: Uint8Array): void {
  const fail = (message: string): never => {
    throw new RangeError(`ppce500 device tree: ${message}`);
  };
  if (!Number.isSafeInteger(params.ramSize) || params.ramSize <= 0) fail(`RAM size ${params.ramSize} is not a positive integer`);
  if (!Number.isInteger(params.cpuCount) || params.cpuCount < 1 || params.cpuCount > PPCE500_MAX_CPUS) {
    fail(`CPU count ${params.cpuCount} is outside 1..${PPCE500_MAX_CPUS}`);
  }
  if (!Object.hasOwn(CACHE_LINE_SIZE, params.cpuModel)) fail(`unknown CPU model ${String(params.cpuModel)}`);
  if (![0, 1, 2].includes(params.serialCount)) fail(`serial count ${params.serialCount} is not 0, 1 or 2`);
  if (rngSeed.length !== PPCE500_RNG_SEED_SIZE) fail(`rng-seed must be ${PPCE500_RNG_SEED_SIZE} bytes, got ${rngSeed.length}`);
}

function addChosen(root: FdtNodeBuilder, params: Ppce500DeviceTreeParams, rngSeed: Uint8Array): FdtNodeBuilder {
  const chosen = root.addNode('chosen');
  if (params.initrd) {
    // 32-bit cells: QEMU truncates larger addresses the same way.
    chosen.setU32('linux,initrd-start', low32(params.initrd.start)).setU32('linux,initrd-end', low32(params.initrd.end));
  }
  if (params.bootKernel) {
    const { address, size } = params.bootKernel;
    chosen.setCells('qemu,boot-kernel', [high32(address), low32(address), high32(size), low32(size)]);
  }
  return chosen.setString('bootargs', params.bootargs ?? '').setBytes('rng-seed', rngSeed);
}

function addCpus(root: FdtNodeBuilder, params: Ppce500DeviceTreeParams): void {
  const cpus = root.addNode('cpus').setU32('#address-cells', 1).setU32('#size-cells', 0);
  const lineSize = CACHE_LINE_SIZE[params.cpuModel];
  // Highest index first, so that the boot CPU ends up as the first cpu node.
  for (let index = params.cpuCount - 1; index >= 0; index--) {
    const cpu = cpus
      .addNode(`PowerPC,8544@${hex(index)}`)
      .setU32('clock-frequency', CPU_CLOCK_HZ)
      .setU32('timebase-frequency', TIMEBASE_HZ)
      .setString('device_type', 'cpu')
      .setU32('reg', index)
      .setU32('d-cache-line-size', lineSize)
      .setU32('i-cache-line-size', lineSize)
      .setU32('d-cache-size', L1_CACHE_SIZE)
      .setU32('i-cache-size', L1_CACHE_SIZE)
      .setU32('bus-frequency', 0);
    if (index === 0) {
      cpu.setString('status', 'okay');
    } else {
      cpu
        .setString('status', 'disabled')
        .setString('enable-method', 'spin-table')
        .setU64('cpu-release-addr', SPIN_TABLE_BASE + SPIN_SLOT_SIZE * index);
    }
  }
}

/** Returns the MPIC phandle. */
function addMpic(soc: FdtNodeBuilder): number {
  const mpic = soc
    .addNode(`pic@${hex(MPIC_OFFSET)}`)
    .setString('device_type', 'open-pic')
    .setString('compatible', 'fsl,mpic')
    .setCells('reg', [MPIC_OFFSET, MPIC_SIZE])
    .setU32('#address-cells', 0)
    .setU32('#interrupt-cells', 2);
  const handle = mpic.assignPhandle({ linuxPhandle: true });
  mpic.setEmpty('interrupt-controller');
  return handle;
}

function addSerialPorts(
  soc: FdtNodeBuilder,
  socPath: string,
  aliases: FdtNodeBuilder,
  chosen: FdtNodeBuilder,
  mpic: number,
  count: number,
): void {
  // The second UART is created first so that serial@4500 ends up first in the
  // tree, where Linux looks for its console.
  for (let index = count - 1; index >= 0; index--) {
    const offset = SERIAL_OFFSETS[index]!;
    const name = `serial@${hex(offset)}`;
    soc
      .addNode(name)
      .setString('device_type', 'serial')
      .setString('compatible', 'ns16550')
      .setCells('reg', [offset, SERIAL_SIZE])
      .setU32('cell-index', index)
      .setU32('clock-frequency', PLATFORM_CLOCK_HZ)
      .setCells('interrupts', [SERIAL_IRQ, IRQ_LEVEL_HIGH])
      .setU32('interrupt-parent', mpic);
    const path = `${socPath}/${name}`;
    aliases.setString(`serial${index}`, path);
    // linux,stdout-path is the deprecated name older firmware still reads.
    if (index === 0) chosen.setString('linux,stdout-path', path).setString('stdout-path', path);
  }
}

function addI2cWithRtc(soc: FdtNodeBuilder, socPath: string, aliases: FdtNodeBuilder, mpic: number): void {
  const i2cName = `i2c@${hex(I2C_OFFSET)}`;
  const i2c = soc
    .addNode(i2cName)
    .setString('device_type', 'i2c')
    .setString('compatible', 'fsl-i2c')
    .setCells('reg', [I2C_OFFSET, I2C_SIZE])
    .setU32('cell-index', 0)
    .setCells('interrupts', [I2C_IRQ, IRQ_LEVEL_HIGH])
    .setU32('interrupt-parent', mpic);
  aliases.setString('i2c', `${socPath}/${i2cName}`);
  const rtcName = `rtc@${hex(RTC_I2C_ADDRESS)}`;
  i2c.addNode(rtcName).setString('compatible', 'pericom,pt7c4338').setU32('reg', RTC_I2C_ADDRESS);
  // QEMU names the i2c node through its alias here, and stores that relative path.
  aliases.setString('rtc', `i2c/${rtcName}`);
}

/** Returns the MSI phandle. */
function addMsi(soc: FdtNodeBuilder, mpic: number): number {
  const interrupts: number[] = [];
  for (let group = 0; group < MSI_GROUPS; group++) interrupts.push(MSI_FIRST_IRQ + group, 0);
  const msi = soc
    .addNode(`msi@${hex(MSI_OFFSET)}`)
    .setString('compatible', 'fsl,mpic-msi')
    .setCells('reg', [MSI_OFFSET, MSI_SIZE])
    .setCells('msi-available-ranges', [0, 0x100])
    .setU32('interrupt-parent', mpic)
    .setCells('interrupts', interrupts);
  return msi.assignPhandle({ linuxPhandle: true });
}

function addPci(root: FdtNodeBuilder, aliases: FdtNodeBuilder, mpic: number, msi: number): void {
  const name = `pci@${hex(PCI_REGS_BASE)}`;
  root
    .addNode(name)
    .setU32('cell-index', 0)
    .setString('compatible', 'fsl,mpc8540-pci')
    .setString('device_type', 'pci')
    .setCells('interrupt-map-mask', [0xf800, 0, 0, 7])
    .setCells('interrupt-map', pciInterruptMap(mpic))
    .setU32('interrupt-parent', mpic)
    .setCells('interrupts', [PCI_ERROR_IRQ, IRQ_LEVEL_HIGH])
    .setCells('bus-range', [0, 255])
    .setU32('fsl,msi', msi)
    .setCells('ranges', [
      0x0200_0000, 0, PCI_MEM_BUS_ADDRESS, high32(PCI_MEM_CPU_ADDRESS), low32(PCI_MEM_CPU_ADDRESS), 0, PCI_MEM_SIZE,
      0x0100_0000, 0, 0, high32(PCI_IO_CPU_ADDRESS), low32(PCI_IO_CPU_ADDRESS), 0, PCI_IO_SIZE,
    ])
    .setCells('reg', [high32(PCI_REGS_BASE), low32(PCI_REGS_BASE), 0, 0x1000])
    .setU32('clock-frequency', PCI_CLOCK_HZ)
    .setU32('#interrupt-cells', 1)
    .setU32('#size-cells', 2)
    .setU32('#address-cells', 3);
  aliases.setString('pci0', `/${name}`);
}

/** Slot s, pin p (1 = INTA) → MPIC source 1 + (s + p - 1) % 4, level. */
function pciInterruptMap(mpic: number): number[] {
  const map: number[] = [];
  for (let slot = PCI_FIRST_SLOT; slot < PCI_FIRST_SLOT + PCI_SLOTS; slot++) {
    for (let pin = 1; pin <= 4; pin++) {
      map.push(slot << 11, 0, 0, pin, mpic, 1 + ((slot + pin - 1) % 4), 1);
    }
  }
  return map;
}

function addGpioAndPowerOff(soc: FdtNodeBuilder, mpic: number): void {
  const gpio = soc
    .addNode(`gpio@${hex(GPIO_OFFSET)}`)
    .setString('compatible', 'fsl,qoriq-gpio')
    .setCells('reg', [GPIO_OFFSET, GPIO_SIZE])
    .setCells('interrupts', [GPIO_IRQ, IRQ_LEVEL_HIGH])
    .setU32('interrupt-parent', mpic)
    .setU32('#gpio-cells', 2)
    .setEmpty('gpio-controller');
  const handle = gpio.assignPhandle({ linuxPhandle: true });
  // The pin driven high powers the machine off (flags 0: active high).
  soc.addNode('power-off').setString('compatible', 'gpio-poweroff').setCells('gpios', [handle, POWER_OFF_GPIO_PIN, 0]);
}

export interface Ppce500BootImages {
  /** Lowest load address of the payload (U-Boot with -bios, else the -kernel image). */
  readonly payloadAddress: number;
  /** Payload size as QEMU's loader counts it: for an ELF, the sum of the PT_LOAD p_memsz. */
  readonly payloadSize: number;
  /** True when -kernel is given without -bios, so the kernel itself is the payload. */
  readonly kernelIsPayload: boolean;
  /** Size of the -kernel file, when U-Boot is the payload and QEMU copies the kernel raw. */
  readonly kernelFileSize?: number;
  /** Size of the -initrd file. */
  readonly initrdSize?: number;
}

export interface Ppce500BootPlacement {
  /** Guest-physical address of the DTB (also r3 at entry). */
  readonly dtbAddress: number;
  /** Where the kernel lies: the value of qemu,boot-kernel. Absent without -kernel. */
  readonly bootKernel?: { readonly address: number; readonly size: number };
  /** linux,initrd-start/end (end exclusive). Absent without -initrd. */
  readonly initrd?: { readonly start: number; readonly end: number };
}

/** QEMU 7.2's placement of kernel, initrd and DTB (formulas in the header comment). */
export function placePpce500BootImages(images: Ppce500BootImages): Ppce500BootPlacement {
  const payloadEnd = images.payloadAddress + images.payloadSize;
  let base = Math.max(payloadEnd, 32 * MiB);
  let bootKernel: Ppce500BootPlacement['bootKernel'];
  if (images.kernelIsPayload) {
    bootKernel = { address: images.payloadAddress, size: images.payloadSize };
  } else if (images.kernelFileSize !== undefined) {
    bootKernel = { address: base, size: images.kernelFileSize };
    base += images.kernelFileSize;
  }
  let initrd: Ppce500BootPlacement['initrd'];
  if (images.initrdSize !== undefined) {
    const start = alignDown(base + 32 * MiB, 16 * MiB);
    initrd = { start, end: start + images.initrdSize };
  }
  return {
    dtbAddress: alignDown(payloadEnd + 24 * MiB, MiB),
    ...(bootKernel !== undefined ? { bootKernel } : {}),
    ...(initrd !== undefined ? { initrd } : {}),
  };
}

function alignDown(value: number, alignment: number): number {
  return value - (value % alignment);
}
