/**
 * QEMU-compatible `ppce500` machine: RAM at 0, the CCSR window at 0xF_E000_0000 with the
 * devices QEMU 7.2's hw/ppc/e500.c puts there (MPIC, ns16550 UARTs, the I2C controller with a
 * DS1338 RTC, the global utilities block, the PCI host bridge, the GPIO block whose pin 0
 * powers the machine off), and QEMU's boot conventions (where images and the device tree go,
 * the boot CPU's registers and TLB1[0] identity mapping).
 *
 * Built only on the hypervisor API, so it runs on any accelerator providing e500 vCPUs.
 */
import { hostLogLine } from '../../api/host-env.js';
import { BOOKE_TLB_ENTRY_BYTES, MMU_FSL_BOOKE_HV, MMU_FSL_BOOKE_NOHV, type BookeTlbConfig } from '../../api/booke.js';
import { BookeTlbView } from '../../api/booke-tlb-view.js';
import type { IrqEvent } from '../../api/events.js';
import type { Exit } from '../../api/exit.js';
import type { Hypervisor, Vcpu, Vm } from '../../api/hypervisor.js';
import { gpa, type MemoryBacking } from '../../api/memory.js';
import { REG_ARCH_PPC, regId, type RegisterId } from '../../api/registers.js';
import { MmioBus, type Logger } from '../../devices/bus.js';
import { wallClockFrom, type DeviceClock, type WallClock } from '../../devices/clock.js';
import { Ds1338 } from '../../devices/i2c/ds1338.js';
import { I2cBus } from '../../devices/i2c/i2c-bus.js';
import { MpcI2c } from '../../devices/i2c/mpc-i2c.js';
import { Mpc8544Guts } from '../../devices/mpc8544-guts.js';
import { Mpc8xxxGpio } from '../../devices/mpc8xxx-gpio.js';
import { OpenPic } from '../../devices/mpic/openpic.js';
import { FSL_PCI_HOST_SIZE, FslPciHost } from '../../devices/pci/fsl-pci-host.js';
import { Uart16550, type SerialBackend } from '../../devices/uart16550.js';
import { DmaError, guestMemoryDma, type GuestDma } from '../../devices/virtio/dma.js';
import { MODERN_BAR, NOTIFY_OFFSET, VirtioPciTransport, virtioMsixVectors, virtioPciFunctionSpec } from '../../devices/virtio/pci-transport.js';
import { DmaWindowTable, PciProxyFunction } from '../../devices/remote/pci-proxy.js';
import type { Board, BoardEvent, BootImage, MigratableBoard, VirtioAttachment } from '../board.js';
import type { DeviceState } from '../../devices/state.js';
import { VcpuStateSection } from '../vcpu-state.js';
import { BoardError } from '../errors.js';
import { FdtError } from '../fdt/fdt-error.js';
import { loadPpcPayload, type BootPayload, type PayloadSegment } from './payload.js';
import type { RouteEndpoint } from '../../api/routes.js';
import { kernelFamilyWarning } from './kernel-family.js';
import {
  buildPpce500DeviceTree,
  GPIO_IRQ,
  GPIO_OFFSET,
  GPIO_SIZE,
  I2C_IRQ,
  I2C_OFFSET,
  I2C_SIZE,
  placePpce500BootImages,
  POWER_OFF_GPIO_PIN,
  PPCE500_DTB_TOTAL_SIZE,
  PPCE500_MAX_CPUS,
  RTC_I2C_ADDRESS,
} from './device-tree.js';
import { SPIN_MAP_SIZE, SPIN_TABLE_BASE, SPIN_TABLE_SIZE, SpinTable, type SpinRelease } from './spin-table.js';

export const MiB = 0x100000;
export const CCSR_BASE = 0xf_e000_0000;
export const CCSR_SIZE = 0x10_0000;
export const UART0_OFFSET = 0x4500;
export const UART1_OFFSET = 0x4600;
export const GUTS_OFFSET = 0xe_0000;
export const MPIC_OFFSET = 0x4_0000;
export const MPIC_SIZE = 0x4_0000;
export const PCI_HOST_OFFSET = 0x8000;
/** MPIC source of the UARTs (both share it, as on QEMU's board). */
export const UART_IRQ = 42;
/** The RTC's calendar when the VMM gives the board no wall clock: 2000-01-01 00:00:00 UTC. */
const DEFAULT_RTC_START_MS = Date.UTC(2000, 0, 1);
/** QEMU rounds RAM down to this granule. */
export const RAM_ALIGN = 64 * MiB;
/** QEMU refuses to boot unless the device tree and this much room after it fit in RAM. */
const DTB_MAX_SIZE = 8 * MiB;
const EPAPR_MAGIC = 0x45504150;
/** QEMU's initial stack pointer (firmware ignores it). */
const BOOT_R1 = 16 * MiB - 8;
/** Memory coherence required: QEMU sets it in the secondary CPUs' boot mapping. */
const MAS2_M = 0x4;

export interface Ppce500Config {
  /** CPU model as QEMU names it (`e500v2_v30`, `e500mc`, …). */
  readonly cpu: string;
  readonly ramSize: number;
  /** Number of CPUs (QEMU's -smp), 1 to 32; CPUs other than 0 wait in the spin table. */
  readonly cpus?: number;
  readonly bios?: BootImage;
  readonly kernel?: BootImage;
  readonly initrd?: BootImage;
  readonly append?: string;
  /**
   * Up to two serial ports (UART0 at CCSR+0x4500, UART1 at +0x4600). With none, the board
   * has no UART at all, as QEMU's board with `-serial none`.
   */
  readonly serials: readonly SerialBackend[];
  /**
   * UART1 served by a device outside the VMM (a device route, docs/device-routes.md): its
   * registers go to this endpoint without an exit; the serial backend given for UART1 is
   * not used. Needs the accelerator's `routes` capability.
   */
  readonly remoteUart1?: RouteEndpoint;
  readonly log?: Logger;
  /** Device time (MPIC global timers); the VMM runs its queue. */
  readonly clock?: DeviceClock;
  /**
   * Calendar time for the DS1338 RTC (QEMU: the host's UTC time). Without it the RTC starts
   * at 2000-01-01 00:00:00 UTC and runs on `clock` (stands still without one).
   */
  readonly wallClock?: WallClock;
  /**
   * Virtio devices, presented as modern virtio-pci functions in PCI slots 1, 2, … in this
   * order (as QEMU numbers -device functions on ppce500).
   */
  readonly virtio?: readonly (VirtioAttachment | RemoteVirtioAttachment)[];
}

/** First PCI slot for devices (QEMU's ppce500 pci_first_slot). */
export const PCI_FIRST_SLOT = 1;
/** MPIC source of PCI INTA of slot 0 (the interrupt-map: 1 + (slot + pin − 1) mod 4). */
const PCI_INTX_FIRST_IRQ = 1;

const ppcReg = (set: number, n: number): RegisterId => regId(REG_ARCH_PPC, 4, set, n);
const REG = {
  pc: ppcReg(2, 0),
  msr: ppcReg(2, 1),
  gpr: (n: number) => ppcReg(1, n),
  pir: ppcReg(3, 286),
  pvr: ppcReg(3, 287),
} as const;

export class Ppce500Board implements Board {
  readonly vm: Vm;
  readonly vcpus: readonly Vcpu[];
  readonly bus: MmioBus;
  readonly uarts: readonly Uart16550[];
  readonly mpic: OpenPic;
  readonly pciHost: FslPciHost;
  readonly i2c: MpcI2c;
  readonly i2cBus: I2cBus;
  readonly rtc: Ds1338;
  readonly gpio: Mpc8xxxGpio;
  /** The virtio-pci functions, in slot order. */
  readonly virtio: readonly VirtioPciTransport[];
  /** Virtio-pci functions served by device processes (proxies on the bus), in slot order. */
  readonly remoteVirtio: readonly PciProxyFunction[];
  /**
   * The host bridge's inbound windows in shared memory, kept current, for whoever serves the
   * device processes' DMA (absent without remote virtio devices).
   */
  readonly dmaWindows: DmaWindowTable | undefined;
  /** Bus masters' DMA: through the host bridge's inbound windows to RAM. */
  private readonly pciDma: GuestDma;
  readonly config: Ppce500Config;
  readonly ram: MemoryBacking;
  readonly ramSize: number;
  private readonly family: 'e500v2' | 'e500mc';
  private readonly tlb0Entries = 512;
  private readonly payload: BootPayload;
  /** Each vCPU's TLB, shared with the accelerator; reset, spin-table release and the monitor use it. */
  readonly tlbs: BookeTlbView[] = [];
  private readonly spinTable: SpinTable;
  private resetRequested = false;
  private powerOffRequested = false;
  /** Where the boot images and device tree were placed (for diagnostics and tests). */
  readonly placement: { readonly entry: number; readonly dtbAddress: number; readonly mapSize: number };

  private constructor(hv: Hypervisor, config: Ppce500Config) {
    this.config = config;
    const log = config.log ?? hostLogLine;
    if (config.serials.length > 2) {
      throw new BoardError('ERR_BOARD_OPTION', `ppce500 has at most two serial ports, not ${config.serials.length}`);
    }
    const cpuCount = config.cpus ?? 1;
    if (!Number.isInteger(cpuCount) || cpuCount < 1 || cpuCount > PPCE500_MAX_CPUS) {
      throw new BoardError('ERR_BOARD_OPTION', `ppce500 takes 1 to ${PPCE500_MAX_CPUS} CPUs (as QEMU's board); got ${String(cpuCount)}`);
    }
    this.ramSize = checkRamSize(config.ramSize);
    const payloadImage = config.bios ?? config.kernel;
    if (payloadImage === undefined) {
      throw new BoardError('ERR_BOARD_OPTION', 'ppce500 needs firmware (--bios FILE.elf) or a kernel (--kernel FILE.elf) to run');
    }
    if (config.initrd !== undefined && config.kernel === undefined) {
      throw new BoardError('ERR_BOARD_OPTION', '--initrd needs --kernel (as with QEMU)');
    }
    this.payload = loadPpcPayload(payloadImage);

    this.vm = hv.createVm({ name: 'ppce500' });
    this.ram = this.vm.createMemory(this.ramSize, { name: 'ram' });
    // Logged from the start, so a snapshot knows which pages were never written (still zero)
    // without reading them; a page stays logged once dirty, so this costs the guest nothing
    // until a migration harvests the log.
    this.vm.setMemoryMap([{ guestAddr: gpa(0), size: this.ramSize, backing: this.ram, offset: 0, name: 'ram', logDirty: true }]);
    this.vcpus = Array.from({ length: cpuCount }, (_, id) => this.vm.createVcpu(id, { target: config.cpu }));
    const vcpu = this.vcpus[0]!;
    this.family = config.cpu === 'e500mc' ? 'e500mc' : 'e500v2';
    this.vcpus.forEach((v, id) => this.configureTlb(v, id));
    if (config.bios === undefined) {
      const warning = kernelFamilyWarning(this.payload.name, this.payload.segments, Number(vcpu.getRegister(REG.pvr)));
      if (warning !== undefined) log(`ngkvm: warning: ${warning}`);
    }

    this.bus = new MmioBus(log);
    const vcpus = this.vcpus;
    this.mpic = new OpenPic(vcpus.length, {
      setInt: (cpu, level) => vcpus[cpu]?.setInterruptLine('external', level),
      setCint: (cpu, level) => vcpus[cpu]?.setInterruptLine('critical', level),
      // In proxy mode the cores take the vector from SPR EPR, acknowledged at delivery.
      setProxyMode: (on) => vcpus.forEach((v) => v.enableCap('ppc-epr', [on ? 1 : 0])),
    }, { ...(config.clock !== undefined ? { clock: config.clock } : {}), log });
    this.bus.map(CCSR_BASE + MPIC_OFFSET, MPIC_SIZE, this.mpic);
    this.pciHost = new FslPciHost({ cpu: this.bus, ccsrBase: CCSR_BASE, memory: this.vm.memory, log });
    this.bus.map(CCSR_BASE + PCI_HOST_OFFSET, FSL_PCI_HOST_SIZE, this.pciHost);
    const host = this.pciHost;
    this.pciDma = guestMemoryDma(this.vm.memory, (addr, length) => host.dmaTranslate(addr, length));
    const attached = this.attachVirtio(config.virtio ?? [], log);
    this.virtio = attached.local;
    this.remoteVirtio = attached.remote;
    if (this.remoteVirtio.length > 0) {
      const table = new DmaWindowTable();
      this.dmaWindows = table;
      this.pciHost.onInboundChange = () => table.publish(this.pciHost.inboundWindows());
      table.publish(this.pciHost.inboundWindows());
    } else {
      this.dmaWindows = undefined;
    }
    const remote = config.remoteUart1 !== undefined && config.serials.length === 2;
    // irqEvents and MSIs of devices outside the VMM (device routes) reach this MPIC. A UART1
    // in a device process raises its line through an irqEvent resampled at EOI (its level
    // never passes through this thread); it shares source 42 with UART0, so what the
    // accelerator drives on that source is ORed with UART0's output.
    if (remote && this.vm.hypervisor.checkExtension('irqfd-resample') === 0) {
      throw new BoardError('ERR_BOARD_OPTION', `UART1 in a device process raises its interrupt through an irqEvent with resample, which the ${this.vm.hypervisor.accel} accelerator does not have`);
    }
    if (this.vm.hypervisor.checkExtension('interrupt-sink') > 0) {
      const mpic = this.mpic;
      this.vm.setInterruptSink({
        setIrq: (gsi, level) => (gsi === UART_IRQ ? this.setRemoteUartIrq(level) : mpic.setIrq(gsi, level)),
        msi: (msi) => mpic.msi(msi),
        onEoi: (listener) => mpic.onEoi(listener),
      });
      if (remote && this.vm.hypervisor.checkExtension('irqfd-resample') > 0) this.remoteUart1Irq = this.vm.irqEvent({ gsi: UART_IRQ, resample: true });
    }
    const uarts = config.serials.slice(0, remote ? 1 : 2).map((backend, i) => new Uart16550(`uart${i}`, backend));
    this.uarts = uarts;
    uarts.forEach((u, i) => this.bus.map(CCSR_BASE + (i === 0 ? UART0_OFFSET : UART1_OFFSET), 8, u));
    if (remote) this.vm.addRoute({ space: 'mmio', base: CCSR_BASE + UART1_OFFSET, size: 8, endpoint: config.remoteUart1!, name: 'uart1' });
    // Both UARTs drive the same MPIC source: the line is the OR of their outputs.
    const uartLine = (): void => this.mpic.setLine(UART_IRQ, this.remoteUartIrq || uarts.some((x) => x.irq));
    this.updateUartLine = uartLine;
    for (const u of uarts) u.onIrq = uartLine;
    this.i2cBus = new I2cBus();
    this.rtc = new Ds1338(config.wallClock ?? wallClockFrom(DEFAULT_RTC_START_MS, config.clock ?? { nowNs: () => 0 }));
    this.i2cBus.attach(RTC_I2C_ADDRESS, this.rtc);
    this.i2c = new MpcI2c(this.i2cBus, { log });
    this.i2c.onIrq = (level) => this.mpic.setLine(I2C_IRQ, level);
    // QEMU maps 0x14 bytes (as the device tree says), so DFSRR at 0x14 is not reachable.
    this.bus.map(CCSR_BASE + I2C_OFFSET, I2C_SIZE, this.i2c);
    this.bus.map(
      CCSR_BASE + GUTS_OFFSET,
      0x1000,
      new Mpc8544Guts({
        pvr: () => Number(vcpu.getRegister(REG.pvr)),
        svr: 0,
        requestReset: () => {
          this.resetRequested = true;
        },
        log,
      }),
    );
    this.spinTable = new SpinTable(cpuCount, (r) => this.releaseSecondary(r));
    this.bus.map(SPIN_TABLE_BASE, SPIN_TABLE_SIZE, this.spinTable);
    this.gpio = new Mpc8xxxGpio({ log });
    this.gpio.onIrq = (level) => this.mpic.setLine(GPIO_IRQ, level);
    // As QEMU's e500.c: the pin going high asks for a shutdown (QEMU then exits with status 0).
    this.gpio.onOutput = (pin, level) => {
      if (pin === POWER_OFF_GPIO_PIN && level) this.powerOffRequested = true;
    };
    this.bus.map(CCSR_BASE + GPIO_OFFSET, GPIO_SIZE, this.gpio);
    this.placement = this.loadImages();
    this.holdSecondaries();
  }

  static create(hv: Hypervisor, config: Ppce500Config): Ppce500Board {
    if (hv.arch !== 'ppc') {
      throw new BoardError('ERR_BOARD_OPTION', `ppce500 needs PowerPC vCPUs; the ${hv.accel} accelerator provides ${hv.arch}`);
    }
    return new Ppce500Board(hv, config);
  }

  /** Handles one exit of `vcpu`; MMIO goes to the devices. */
  handleExit(vcpu: Vcpu, exit: Exit): BoardEvent {
    switch (exit.kind) {
      case 'mmio':
        this.mpic.currentCpu = vcpu.id;
        this.bus.handle(exit);
        break;
      case 'epr':
        exit.epr = this.mpic.acknowledge(vcpu.id);
        break;
      case 'dcr':
        // No DCR devices on this board: reads return 0, writes are dropped.
        if (!exit.isWrite) exit.data = 0;
        break;
      case 'system-event':
        if (exit.event === 'reset') this.resetRequested = true;
        break;
      case 'shutdown':
        // A checkstop: nothing on this board brings the core back.
        return { kind: 'exit', code: 1, reason: `the vCPU stopped: ${exit.reason}` };
      default:
        break;
    }
    if (this.powerOffRequested) {
      this.powerOffRequested = false;
      return { kind: 'exit', code: 0, reason: 'power off requested by the guest' };
    }
    if (this.resetRequested) {
      this.resetRequested = false;
      return 'reset';
    }
    return 'none';
  }

  private remoteUartIrq = false;
  private updateUartLine: () => void = () => {};
  /**
   * The irqEvent a UART1 in a device process raises (level, resampled at EOI): the VMM hands
   * its notifiers to whatever reads the device's event channel.
   */
  remoteUart1Irq: IrqEvent | undefined;

  /** The accelerator's input for UART1's MPIC source (a remote UART1's irqEvent). */
  private setRemoteUartIrq(level: boolean): void {
    this.remoteUartIrq = level;
    this.updateUartLine();
  }

  /** Snapshots and migration: RAM at 0, the vCPUs (registers, TLB) and every device's section. */
  get migration(): MigratableBoard {
    return {
      describe: () => ({ machine: 'ppce500', cpu: this.config.cpu, cpus: this.vcpus.length, ramSize: this.ramSize }),
      ram: this.ram,
      ramGuestAddr: 0,
      ramLoggedFromStart: true,
      stateSections: () => this.stateSections(),
    };
  }

  private stateSections(): DeviceState[] {
    if (this.config.remoteUart1 !== undefined && this.config.serials.length === 2) {
      throw new BoardError('ERR_BOARD_OPTION', 'UART1 is served by a device process (--device uart1,socket=…), whose state this VMM cannot save: snapshots and migration need every device in the VMM');
    }
    if (this.remoteVirtio.length > 0) {
      throw new BoardError('ERR_BOARD_OPTION', `${this.remoteVirtio.map((p) => p.function.name).join(', ')} ${this.remoteVirtio.length === 1 ? 'is' : 'are'} served by a device process (-device …,socket=…), whose state this VMM cannot save: snapshots and migration need every device in the VMM`);
    }
    return [
      ...this.vcpus.map((v) => new VcpuStateSection(v, this.tlbs[v.id])),
      this.mpic,
      ...this.uarts,
      this.i2c,
      this.i2cBus,
      this.rtc,
      this.gpio,
      this.spinTable,
      this.pciHost,
      // After the bus: a transport checks its INTx line against the restored MSI-X enable.
      this.pciHost.pci,
      ...this.virtio,
    ];
  }

  /** Console or network input arrived: let the UARTs and virtio devices take it. */
  pollInput(): void {
    for (const u of this.uarts) u.pollInput();
    for (const v of this.virtio) v.core.poll();
  }

  /**
   * Each device as a virtio-pci function on the bus. DMA goes through the host bridge's
   * inbound windows (what Linux's fsl_pci programs) to RAM; MSI-X messages are bus-master
   * writes, which reach the MPIC's MSIIR through the host bridge's BAR0 (the CCSR on the PCI
   * side) as fsl_msi addresses them; INTx pins follow the device tree's interrupt-map.
   */
  private attachVirtio(devices: readonly (VirtioAttachment | RemoteVirtioAttachment)[], log: Logger): { local: VirtioPciTransport[]; remote: PciProxyFunction[] } {
    const host = this.pciHost;
    const dma = this.pciDma;
    const lines = new Map<number, Set<string>>();
    host.pci.onIntx = (slot, pin, level) => {
      const irq = PCI_INTX_FIRST_IRQ + ((slot + pin - 1) % 4);
      const set = lines.get(irq) ?? new Set<string>();
      lines.set(irq, set);
      if (level) set.add(`${slot}.${pin}`);
      else set.delete(`${slot}.${pin}`);
      this.mpic.setLine(irq, set.size > 0);
    };
    const local: VirtioPciTransport[] = [];
    const remote: PciProxyFunction[] = [];
    devices.forEach((a, i) => {
      const slot = PCI_FIRST_SLOT + i;
      const name = `${a.name} 00:${slot.toString(16).padStart(2, '0')}.0`;
      if ('endpoint' in a) {
        // The device process's transport answers configuration reads, so the guest sees its
        // MSI-X table size; this copy's only decodes the BARs.
        const spec = virtioPciFunctionSpec({ name, virtioId: a.virtioId, vectors: 2, msixTarget: PLACEHOLDER, modernTarget: PLACEHOLDER });
        const proxy = new PciProxyFunction(spec, a.endpoint, { posted: (bar, offset) => bar === MODERN_BAR && offset >= NOTIFY_OFFSET });
        host.pci.attach(slot, 0, proxy.function);
        remote.push(proxy);
        return;
      }
      const t = new VirtioPciTransport({
        device: a.device,
        name,
        stateId: `virtio-pci-${slot}`,
        dma,
        vectors: virtioMsixVectors(a.device),
        msiSend: (address, data) => this.busMasterWrite(address, data),
        log,
      });
      host.pci.attach(slot, 0, t.function);
      local.push(t);
    });
    return { local, remote };
  }

  /**
   * A DMA write of a PCI function in a device process: the in-process path (the host
   * bridge's inbound translation, RAM only, dirty-logged, the accelerator's code cache told).
   * Returns why it was refused, if it was.
   */
  remoteDmaWrite(addr: number, data: Uint8Array): string | undefined {
    try {
      this.pciDma.write(addr, data);
      return undefined;
    } catch (e) {
      if (e instanceof DmaError) return e.message;
      throw e;
    }
  }

  /** A PCI function's MSI: its bus-master write through the host bridge (to the MPIC's MSIIR). */
  busMasterWrite(address: number, data: number): void {
    this.pciHost.masterAccess(address, true, Uint8Array.of(data & 0xff, (data >>> 8) & 0xff, (data >>> 16) & 0xff, data >>> 24));
  }

  /** System reset as QEMU does it: devices and CPUs reset, images and device tree rewritten. */
  reset(): void {
    this.mpic.reset();
    this.pciHost.reset();
    for (const v of this.virtio) v.reset();
    for (const p of this.remoteVirtio) p.reset();
    for (const u of this.uarts) u.reset();
    // A UART1 in a device process is reset over its route (Reset/ResetAck).
    this.config.remoteUart1?.reset?.();
    this.remoteUartIrq = false;
    this.i2c.reset();
    this.rtc.reset();
    this.gpio.reset();
    this.powerOffRequested = false;
    this.spinTable.reset();
    for (const v of this.vcpus) {
      v.reset();
      const tlb = this.tlbs[v.id]!;
      tlb.invalidateAll();
      tlb.sync(v);
    }
    this.loadImages();
    this.holdSecondaries();
  }

  /** Secondary CPUs start stopped with PIR = index, until the spin table releases them. */
  private holdSecondaries(): void {
    for (const v of this.vcpus) {
      v.setRegisters([[REG.pir, BigInt(v.id)]]);
      if (v.id !== 0) v.setMpState('stopped');
    }
  }

  /**
   * Software wrote an even start address into a CPU's spin-table slot: start that CPU with
   * the ePAPR entry state QEMU gives it, a 64 MiB mapping of the window holding the address.
   */
  private releaseSecondary(r: SpinRelease): number {
    const v = this.vcpus[r.cpu]!;
    const size = BigInt(SPIN_MAP_SIZE);
    const base = r.addr & ~(size - 1n);
    const tlb = this.tlbs[r.cpu]!;
    tlb.write(1, 1, 0, { mas8: 0, mas1: (0x80000000 | (8 << 8)) >>> 0, mas2: MAS2_M, mas7_3: (base & 0xf_ffff_f000n) | 0x3fn });
    tlb.sync(v);
    v.setRegisters([
      [REG.pc, r.addr & (size - 1n)],
      [REG.gpr(3), r.r3 & 0xffff_ffffn],
      [REG.gpr(4), 0n],
      [REG.gpr(5), 0n],
      [REG.gpr(6), 0n],
      [REG.gpr(7), size],
      [REG.gpr(8), 0n],
      [REG.gpr(9), 0n],
    ]);
    v.setMpState('runnable');
    return Number(v.getRegister(REG.pir));
  }

  /** Each vCPU gets its own shared TLB array, configured like KVM_CAP_SW_TLB. */
  private configureTlb(vcpu: Vcpu, id: number): void {
    const n0 = this.tlb0Entries;
    const n1 = this.family === 'e500mc' ? 64 : 16;
    const bytes = (n0 + n1) * BOOKE_TLB_ENTRY_BYTES;
    const config: BookeTlbConfig = {
      mmuType: this.family === 'e500mc' ? MMU_FSL_BOOKE_HV : MMU_FSL_BOOKE_NOHV,
      params: { tlbSizes: [n0, n1, 0, 0], tlbWays: [4, n1, 0, 0] },
      array: new ArrayBuffer(bytes),
      arrayLength: bytes,
    };
    vcpu.configTlb(config);
    this.tlbs[id] = new BookeTlbView(config);
  }

  private loadImages(): { entry: number; dtbAddress: number; mapSize: number } {
    const cfg = this.config;
    const plan = planPpce500Images({
      ramSize: this.ramSize,
      cpuCount: this.vcpus.length,
      family: this.family,
      serialCount: this.config.serials.length as 0 | 1 | 2,
      payload: this.payload,
      firmware: cfg.bios !== undefined,
      ...(cfg.kernel !== undefined ? { kernel: cfg.kernel } : {}),
      ...(cfg.initrd !== undefined ? { initrd: cfg.initrd } : {}),
      ...(cfg.append !== undefined ? { append: cfg.append } : {}),
    });
    const mem = this.vm.memory;
    for (const seg of plan.segments) {
      mem.write(gpa(seg.paddr), seg.data);
      if (seg.memsz > seg.data.length) mem.fill(gpa(seg.paddr + seg.data.length), seg.memsz - seg.data.length, 0);
    }
    for (const raw of plan.raws) mem.write(gpa(raw.addr), raw.bytes);
    mem.write(gpa(plan.dtbAddress), plan.dtb);
    const mapSize = this.bootCpuState(plan.entry, plan.dtbAddress, plan.dtbAddress + plan.dtbSize);
    return { entry: plan.entry, dtbAddress: plan.dtbAddress, mapSize };
  }

  /**
   * The boot CPU's state at the first instruction, as QEMU sets it: ePAPR registers and a
   * TLB1[0] identity mapping from 0 that covers the device tree.
   */
  private bootCpuState(entry: number, dtbAddress: number, dtbEnd: number): number {
    const vcpu = this.vcpus[0]!;
    // TSIZE in QEMU's 1 KiB << t terms, rounded up to an even t (4^n KiB pages).
    let t = Math.floor(Math.log2(dtbEnd / 1024)) + 1;
    if (t % 2 !== 0) t++;
    const mapSize = 1024 * 2 ** t;
    const tlb = this.tlbs[0]!;
    tlb.write(1, 0, 0, { mas8: 0, mas1: (0x80000000 | ((t / 2) << 8)) >>> 0, mas2: 0, mas7_3: 0x3fn });
    tlb.sync(vcpu);
    const regs: [RegisterId, bigint][] = [
      [REG.pc, BigInt(entry >>> 0)],
      [REG.msr, 0n],
      [REG.gpr(1), BigInt(BOOT_R1)],
      [REG.gpr(3), BigInt(dtbAddress)],
      [REG.gpr(4), 0n],
      [REG.gpr(5), 0n],
      [REG.gpr(6), BigInt(EPAPR_MAGIC)],
      [REG.gpr(7), BigInt(mapSize)],
      [REG.gpr(8), 0n],
      [REG.gpr(9), 0n],
      [REG.pir, 0n],
    ];
    vcpu.setRegisters(regs);
    return mapSize;
  }
}

/**
 * A virtio-pci device served by a device process (docs/device-routes.md): the board puts a
 * proxy function in its slot whose BARs and configuration space go over `endpoint`.
 */
export interface RemoteVirtioAttachment {
  readonly name: string;
  /** The virtio device ID (VIRTIO_ID). */
  readonly virtioId: number;
  /** Must not throw RouteInterrupted: it is called inside exits. */
  readonly endpoint: RouteEndpoint;
}

/** BAR targets of a proxy's spec: replaced by the proxy's forwarders. */
const PLACEHOLDER = { name: 'placeholder', kind: 'window', access: () => {} } as const;

/** RAM sizes QEMU's ppce500 accepts: positive multiples of 64 MiB, below the PCI window. */
function checkRamSize(size: number): number {
  if (!Number.isSafeInteger(size) || size <= 0) {
    throw new BoardError('ERR_RAM_SIZE', `RAM size ${String(size)} is not a positive number of bytes`);
  }
  if (size % RAM_ALIGN !== 0) {
    throw new BoardError('ERR_RAM_SIZE', `ppce500 RAM must be a multiple of 64 MiB (as QEMU requires); got ${formatSize(size)}`);
  }
  if (size > 0xc_0000_0000) {
    throw new BoardError('ERR_RAM_SIZE', `ppce500 RAM must end below the PCI window at 0xC_0000_0000 (at most 48 GiB); got ${formatSize(size)}`);
  }
  return size;
}

function formatSize(bytes: number): string {
  return bytes % MiB === 0 ? `${bytes / MiB} MiB` : `${bytes} bytes`;
}

/** What planPpce500Images needs: the board's shape and the images as the VMM read them. */
export interface Ppce500ImageParams {
  readonly ramSize: number;
  readonly cpuCount: number;
  readonly family: 'e500v2' | 'e500mc';
  readonly serialCount: 0 | 1 | 2;
  /** What runs first (the firmware, or the kernel itself), parsed by loadPpcPayload. */
  readonly payload: BootPayload;
  /** The payload is firmware (--bios); a kernel is then copied as it is, for the firmware to boot. */
  readonly firmware: boolean;
  readonly kernel?: BootImage;
  readonly initrd?: BootImage;
  readonly append?: string;
  /** /chosen/rng-seed (fresh random bytes when absent). */
  readonly rngSeed?: Uint8Array;
}

/** Where every boot image and the device tree go, and where the boot CPU starts. */
export interface Ppce500ImagePlan {
  readonly segments: readonly PayloadSegment[];
  /** Files copied as they are (a kernel for the firmware, the initrd). */
  readonly raws: readonly { readonly addr: number; readonly bytes: Uint8Array }[];
  readonly dtbAddress: number;
  readonly dtb: Uint8Array;
  /** Bytes the device tree occupies (its totalsize, more than the blob's content). */
  readonly dtbSize: number;
  readonly entry: number;
}

/**
 * QEMU's placement of a ppce500 machine's boot images, without a VM: every image must lie in
 * RAM, then the device tree is built for where the kernel and initrd went. Throws BoardError
 * only (the VMM's tests and fuzzer call it directly with hostile sizes and addresses).
 */
export function planPpce500Images(p: Ppce500ImageParams): Ppce500ImagePlan {
  const payload = p.payload;
  const ramSize = p.ramSize;
  for (const seg of payload.segments) {
    if (seg.paddr + seg.memsz > ramSize) {
      throw new BoardError(
        'ERR_IMAGE_PLACEMENT',
        `${payload.name}: ${payload.format === 'elf' ? 'segment' : 'image'} at 0x${seg.paddr.toString(16)} (0x${seg.memsz.toString(16)} bytes) is outside the ${ramSize / MiB} MiB of RAM; ` +
          `QEMU's ppce500 loads ${p.firmware ? 'firmware' : 'the kernel'} into RAM${seg.paddr >= ramSize && seg.paddr >= 0xf000_0000 ? ' (an image linked for flash at the top of the address space is firmware for another board)' : ', so a larger -m may help'}`,
      );
    }
  }
  const place = placePpce500BootImages({
    payloadAddress: payload.address,
    payloadSize: payload.size,
    kernelIsPayload: !p.firmware,
    ...(p.firmware && p.kernel !== undefined ? { kernelFileSize: p.kernel.bytes.length } : {}),
    ...(p.initrd !== undefined ? { initrdSize: p.initrd.bytes.length } : {}),
  });
  if (place.dtbAddress + DTB_MAX_SIZE > ramSize) {
    throw new BoardError(
      'ERR_RAM_SIZE',
      `not enough memory for the device tree: the ${p.firmware ? 'firmware' : 'kernel'} ends near 0x${(payload.address + payload.size).toString(16)}, ` +
        `so the device tree goes to 0x${place.dtbAddress.toString(16)} and needs RAM up to 0x${(place.dtbAddress + DTB_MAX_SIZE).toString(16)}; use a larger -m`,
    );
  }
  const raws: { addr: number; bytes: Uint8Array }[] = [];
  const raw = (img: BootImage, addr: number): void => {
    if (addr + img.bytes.length > ramSize) {
      throw new BoardError('ERR_IMAGE_PLACEMENT', `${img.name} (${img.bytes.length} bytes at 0x${addr.toString(16)}) does not fit in RAM`);
    }
    // QEMU puts the device tree 24 MiB after the payload whatever follows it there, so a large
    // kernel or an initrd placed right after it can reach the tree; QEMU then refuses to start
    // (overlapping ROM regions), and so does this board (found by the initrd fuzz target).
    const dtbEnd = place.dtbAddress + PPCE500_DTB_TOTAL_SIZE;
    if (addr < dtbEnd && place.dtbAddress < addr + img.bytes.length) {
      throw new BoardError(
        'ERR_IMAGE_PLACEMENT',
        `${img.name} (${img.bytes.length} bytes at 0x${addr.toString(16)}) would overlap the device tree at 0x${place.dtbAddress.toString(16)}, ` +
          `which goes 24 MiB after the ${p.firmware ? 'firmware' : 'kernel'}; QEMU refuses these images too`,
      );
    }
    raws.push({ addr, bytes: img.bytes });
  };
  if (p.firmware && p.kernel !== undefined && place.bootKernel !== undefined) raw(p.kernel, place.bootKernel.address);
  if (p.initrd !== undefined && place.initrd !== undefined) raw(p.initrd, place.initrd.start);
  let dt: ReturnType<typeof buildPpce500DeviceTree>;
  try {
    dt = buildPpce500DeviceTree({
      ramSize,
      cpuCount: p.cpuCount,
      cpuModel: p.family,
      serialCount: p.serialCount,
      ...(p.append !== undefined ? { bootargs: p.append } : {}),
      ...(place.initrd !== undefined ? { initrd: place.initrd } : {}),
      ...(place.bootKernel !== undefined ? { bootKernel: place.bootKernel } : {}),
      ...(p.rngSeed !== undefined ? { rngSeed: p.rngSeed } : {}),
    });
  } catch (err) {
    // Only the command line is long enough to overflow the tree's fixed size.
    if (!(err instanceof FdtError) || err.code !== 'size-exceeded') throw err;
    throw new BoardError(
      'ERR_BOARD_OPTION',
      `the kernel command line (${new TextEncoder().encode(p.append ?? '').length} bytes) does not fit in the ${PPCE500_DTB_TOTAL_SIZE / MiB} MiB device tree`,
      { cause: err },
    );
  }
  return { segments: payload.segments, raws, dtbAddress: place.dtbAddress, dtb: dt.blob, dtbSize: dt.size, entry: payload.entry };
}
