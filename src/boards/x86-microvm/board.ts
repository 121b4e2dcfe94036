/**
 * The `x86-microvm` machine, after QEMU's microvm: no PCI, no firmware, no legacy PC
 * devices beyond what a minimal guest needs — RAM from 0 (and from 4 GiB when it does not
 * fit below the 3 GiB device hole), a 16550 on ports 0x3F8-0x3FF wired to IOAPIC pin 4,
 * QEMU's isa-debug-exit on ports 0xF4-0xF7, the IOAPIC at 0xFEC0_0000 and the local APIC
 * the accelerator provides at 0xFEE0_0000. Kernels are PVH ELFs or bzImages, entered
 * directly (no firmware): see pvh.ts and bzimage.ts.
 *
 * Interrupts follow the split-irqchip design: the vCPU's local APIC lives in the
 * accelerator, the IOAPIC here; a pin that fires is signalled as an MSI (`Vm.signalMsi`),
 * and the IOAPIC's redirection entries are mirrored into the GSI routing table so that the
 * accelerator reports EOIs of level-triggered vectors (`ioapic-eoi` exits).
 *
 * Built only on the hypervisor API: any accelerator with x86-64 vCPUs, MSI signalling and
 * an in-accelerator local APIC can run it.
 */
import { hostLogLine } from '../../api/host-env.js';
import type { Exit } from '../../api/exit.js';
import type { Hypervisor, Vcpu, Vm } from '../../api/hypervisor.js';
import { gpa, type MemoryBacking, type MemoryRegion } from '../../api/memory.js';
import { MmioBus, type Logger } from '../../devices/bus.js';
import { PioBus } from '../../devices/pio-bus.js';
import { Uart16550, type SerialBackend } from '../../devices/uart16550.js';
import { IsaDebugExit } from '../../devices/x86/debug-exit.js';
import { IOAPIC_BASE, IOAPIC_PINS, IOAPIC_SIZE, IoApic } from '../../devices/x86/ioapic.js';
import { guestMemoryDma } from '../../devices/virtio/dma.js';
import { VIRTIO_MMIO_SIZE, VirtioMmioTransport } from '../../devices/virtio/mmio-transport.js';
import type { Board, BoardEvent, BootImage, VirtioAttachment } from '../board.js';
import { BoardError } from '../errors.js';
import { cpuStateRegisters } from './boot-state.js';
import { HIGH_RAM_BASE, ramLayout, type RamLayout } from './layout.js';
import { loadKernel } from './loader.js';
import type { BootPlan } from './pvh.js';

export const COM1_PORT = 0x3f8;
export const COM1_IRQ = 4;
export const DEBUG_EXIT_PORT = 0xf4;
export const DEBUG_EXIT_SIZE = 4;
/**
 * virtio-mmio as QEMU 7.2's microvm places it without ACPI (hw/i386/microvm.c): 8
 * transports of 512 bytes from 0xFEB0_0000, transport n on IOAPIC pin 5 + n. Devices take
 * transports from the last one down (QEMU's bus search finds the newest transport first),
 * and the kernel command line gets ` virtio_mmio.device=512@0x…:IRQ` for each, in that order.
 */
export const VIRTIO_MMIO_BASE = 0xfeb0_0000;
export const VIRTIO_MMIO_TRANSPORTS = 8;
export const VIRTIO_MMIO_FIRST_IRQ = 5;

/** QEMU's default -m for x86 machines. */
export const DEFAULT_RAM = 128 * 0x10_0000;

export interface X86MicrovmConfig {
  readonly ramSize: number;
  readonly kernel: BootImage;
  readonly initrd?: BootImage;
  readonly append?: string;
  /** At most one serial port (COM1); none leaves the ports unassigned. */
  readonly serials: readonly SerialBackend[];
  readonly log?: Logger;
  /** Virtio devices on the virtio-mmio transports (at most 8), in command-line order. */
  readonly virtio?: readonly VirtioAttachment[];
}

/** Capabilities the board cannot run without, with what each is for. */
const REQUIRED_CAPS = [
  ['x86-split-irqchip', 'a local APIC in the accelerator with the IOAPIC in the VMM'],
  ['signal-msi', 'delivering the IOAPIC\'s interrupts'],
] as const;

export class X86MicrovmBoard implements Board {
  readonly vm: Vm;
  readonly vcpus: readonly Vcpu[];
  readonly pio: PioBus;
  readonly mmio: MmioBus;
  readonly ioapic: IoApic;
  readonly uart: Uart16550 | undefined;
  readonly debugExit: IsaDebugExit;
  /** The 8 virtio-mmio transports (index = transport number), empty ones included. */
  readonly virtio: readonly VirtioMmioTransport[];
  readonly layout: RamLayout;
  readonly ram: readonly MemoryBacking[];
  private readonly config: X86MicrovmConfig;
  private readonly hasGsiRouting: boolean;
  private pending: BoardEvent = 'none';
  /** How the kernel was entered (for diagnostics and tests). */
  plan: BootPlan;

  private constructor(hv: Hypervisor, config: X86MicrovmConfig) {
    this.config = config;
    const log = config.log ?? hostLogLine;
    if (config.serials.length > 1) throw new BoardError('ERR_BOARD_OPTION', `x86-microvm has one serial port (COM1), not ${config.serials.length}`);
    if ((config.virtio?.length ?? 0) > VIRTIO_MMIO_TRANSPORTS) {
      throw new BoardError('ERR_BOARD_OPTION', `x86-microvm has ${VIRTIO_MMIO_TRANSPORTS} virtio-mmio transports, not ${config.virtio?.length ?? 0}`);
    }
    this.layout = ramLayout(config.ramSize);
    // Parse and place the images before creating anything, so a bad file costs no VM.
    this.plan = this.loadPlan();

    for (const [cap, why] of REQUIRED_CAPS) {
      if (hv.checkExtension(cap) === 0) {
        throw new BoardError('ERR_BOARD_OPTION', `x86-microvm needs the ${cap} capability (${why}); the ${hv.accel} accelerator does not have it`);
      }
    }
    this.hasGsiRouting = hv.checkExtension('gsi-routing') > 0;
    this.vm = hv.createVm({ name: 'x86-microvm' });
    this.vm.enableCap('x86-split-irqchip', [IOAPIC_PINS]);
    const low = this.vm.createMemory(this.layout.lowSize, { name: 'ram-below-4g' });
    const regions: MemoryRegion[] = [{ guestAddr: gpa(0), size: this.layout.lowSize, backing: low, offset: 0, name: 'ram-below-4g' }];
    const ram = [low];
    if (this.layout.highSize > 0) {
      const high = this.vm.createMemory(this.layout.highSize, { name: 'ram-above-4g' });
      regions.push({ guestAddr: gpa(HIGH_RAM_BASE), size: this.layout.highSize, backing: high, offset: 0, name: 'ram-above-4g' });
      ram.push(high);
    }
    this.ram = ram;
    this.vm.setMemoryMap(regions);
    const targets = hv.targets();
    const target = targets.includes('host') ? 'host' : targets[0];
    if (target === undefined) throw new BoardError('ERR_BOARD_OPTION', `the ${hv.accel} accelerator offers no x86 CPU model`);
    this.vcpus = [this.vm.createVcpu(0, { target })];

    const vm = this.vm;
    this.ioapic = new IoApic({ signalMsi: (msg) => void vm.signalMsi(msg) });
    this.ioapic.onRoutesChanged = () => this.syncRoutes();
    this.mmio = new MmioBus(log);
    this.mmio.map(IOAPIC_BASE, IOAPIC_SIZE, this.ioapic);
    this.pio = new PioBus(log);
    const serial = config.serials[0];
    if (serial !== undefined) {
      const uart = new Uart16550('com1', serial);
      uart.onIrq = (level) => this.ioapic.setLine(COM1_IRQ, level);
      this.pio.map(COM1_PORT, 8, uart);
      this.uart = uart;
    }
    this.debugExit = new IsaDebugExit();
    this.debugExit.onExit = (code, value) => {
      this.pending = { kind: 'exit', code, reason: `the guest wrote 0x${value.toString(16)} to isa-debug-exit (exit status ${code})` };
    };
    this.pio.map(DEBUG_EXIT_PORT, DEBUG_EXIT_SIZE, this.debugExit);
    const dma = guestMemoryDma(vm.memory);
    const attached = config.virtio ?? [];
    this.virtio = Array.from({ length: VIRTIO_MMIO_TRANSPORTS }, (_, n) => {
      const a = attached[VIRTIO_MMIO_TRANSPORTS - 1 - n];
      const base = VIRTIO_MMIO_BASE + VIRTIO_MMIO_SIZE * n;
      const t = new VirtioMmioTransport({
        ...(a !== undefined ? { device: a.device } : {}),
        name: `${a?.name ?? 'virtio-mmio'}@0x${base.toString(16)}`,
        dma,
        setIrq: (level) => this.ioapic.setLine(VIRTIO_MMIO_FIRST_IRQ + n, level),
        log,
      });
      this.mmio.map(base, VIRTIO_MMIO_SIZE, t);
      return t;
    });
    this.syncRoutes();
    this.boot();
  }

  static create(hv: Hypervisor, config: X86MicrovmConfig): X86MicrovmBoard {
    if (hv.arch !== 'x86_64') {
      throw new BoardError('ERR_BOARD_OPTION', `x86-microvm needs x86-64 vCPUs; the ${hv.accel} accelerator provides ${hv.arch} (use --accel kvm)`);
    }
    return new X86MicrovmBoard(hv, config);
  }

  handleExit(_vcpu: Vcpu, exit: Exit): BoardEvent {
    switch (exit.kind) {
      case 'pio':
        this.pio.handle(exit);
        break;
      case 'mmio':
        this.mmio.handle(exit);
        break;
      case 'ioapic-eoi':
        this.ioapic.endOfInterrupt(exit.vector);
        break;
      case 'system-event':
        if (exit.event === 'reset') this.pending = 'reset';
        break;
      case 'shutdown':
        // A triple fault: the CPU asserts reset on a PC.
        this.pending = 'reset';
        break;
      default:
        break;
    }
    const ev = this.pending;
    this.pending = 'none';
    return ev;
  }

  pollInput(): void {
    this.uart?.pollInput();
    for (const t of this.virtio) t.poll();
  }

  reset(): void {
    this.ioapic.reset();
    this.uart?.reset();
    for (const t of this.virtio) t.reset();
    this.syncRoutes();
    for (const v of this.vcpus) v.reset();
    // Through vm.memory so the clearing is dirty-tracked like any other VMM write.
    for (const r of this.vm.memoryMap()) this.vm.memory.fill(r.guestAddr, r.size, 0);
    this.plan = this.loadPlan();
    this.boot();
  }

  private loadPlan(): BootPlan {
    const c = this.config;
    const append = virtioCommandLine(c.append, c.virtio?.length ?? 0);
    return loadKernel({
      kernel: c.kernel,
      layout: this.layout,
      ...(c.initrd !== undefined ? { initrd: c.initrd } : {}),
      ...(append !== undefined ? { append } : {}),
    });
  }

  /** Writes the boot plan's images and structures and sets the boot vCPU's registers. */
  private boot(): void {
    const mem = this.vm.memory;
    for (const w of this.plan.writes) {
      mem.write(gpa(w.addr), w.bytes);
      if (w.zeroFill !== undefined && w.zeroFill > 0) mem.fill(gpa(w.addr + w.bytes.length), w.zeroFill, 0);
    }
    this.vcpus[0]!.setRegisters(cpuStateRegisters(this.plan.cpu));
  }

  /**
   * Mirrors the IOAPIC's unmasked entries into GSI routes (GSI = pin). Delivery goes
   * through signalMsi either way; the routes are how an accelerator with a split irqchip
   * learns which vectors are level-triggered IOAPIC vectors whose EOI it must report.
   */
  private syncRoutes(): void {
    if (!this.hasGsiRouting) return;
    this.vm.setGsiRouting(this.ioapic.routes().map((r) => ({ gsi: r.pin, kind: 'msi' as const, address: r.msg.address, data: r.msg.data })));
  }
}

/**
 * The kernel command line with the virtio-mmio devices appended as QEMU's microvm does
 * without ACPI: ` virtio_mmio.device=512@0xADDR:IRQ` per transport holding a device, the
 * first device's (the last transport) first.
 */
export function virtioCommandLine(append: string | undefined, devices: number): string | undefined {
  if (devices === 0) return append;
  let line = append ?? '';
  for (let i = 0; i < devices; i++) {
    const n = VIRTIO_MMIO_TRANSPORTS - 1 - i;
    line += ` virtio_mmio.device=${VIRTIO_MMIO_SIZE}@0x${(VIRTIO_MMIO_BASE + VIRTIO_MMIO_SIZE * n).toString(16)}:${VIRTIO_MMIO_FIRST_IRQ + n}`;
  }
  return line;
}
