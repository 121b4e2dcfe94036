/**
 * The kvm accelerator: Hypervisor, Vm and memory on /dev/kvm (x86-64 hosts). All logic is
 * here in TypeScript; the native shim only makes system calls.
 *
 * Guest RAM: each backing is a memfd, mapped into this thread as an external ArrayBuffer
 * (`backing.bytes`) whose address goes into the KVM memslots. Not a SharedArrayBuffer: Node
 * cannot wrap foreign memory in one. Another thread that needs the RAM (a device model
 * doing DMA off the vCPU thread) maps the same memfd itself with `mapBacking(fd, size)`: one
 * ArrayBuffer per thread, all on the same pages. Device models the vCPU hits run on the
 * vCPU's thread anyway (DESIGN.md, Threads).
 */
import { threadId } from 'node:worker_threads';
import {
  AcceleratorUnavailableError,
  BusyError,
  ClosedError,
  InvalidArgumentError,
  UnsupportedError,
  hex,
} from '../../api/errors.js';
import type { Exit } from '../../api/exit.js';
import type { EventNotifier, InterruptSink, GsiRoute, IoEvent, IoEventOptions, IrqEvent, IrqEventOptions, MsiMessage } from '../../api/events.js';
import type { AcceleratorHypervisor, AcceleratorVcpu, AcceleratorVm, Capability, SetRoutesOptions, VcpuInit, VmOptions } from '../../api/hypervisor.js';
import { DirtyLog, type DirtyLogOptions, type DirtyLogRange } from '../../api/dirty-log.js';
import { RouteTable } from '../../api/route-table.js';
import type { RouteSpec } from '../../api/routes.js';
import { COALESCED_ZONES_MAX, type CoalescedWrite, type CoalescedZone } from '../../api/coalesced.js';
import { MappedGuestMemory, validateMemoryMap } from '../../api/memory-map.js';
import { ChunkedBacking, PAGE_SIZE, backingChunkBytes, type GuestMemory, type MemoryBacking, type MemoryRegion } from '../../api/memory.js';
import { assertUsable } from '../../api/threads.js';
import { CAP, IOCTL, IOEVENTFD_FLAG, IRQFD_FLAG, IRQ_ROUTING, MEM, OFF, SIZE } from './abi.js';
import { EFD_NONBLOCK, NEG_ERRNO, O_RDWR, apiErrno, errnoName, loadShim, type KvmShim } from '../../sys/native.js';
import { KvmCallError, check } from './errors.js';
import { CONTROL_ADOPTABLE, CONTROL_ALIVE, CONTROL_VM_CLOSED, kickControl, pauseVcpus } from './kick.js';
import { KvmVcpu } from './vcpu.js';

export { KvmCallError, check } from './errors.js';

export const KVM_DEVICE = '/dev/kvm';
/** Where the VMX real-mode helpers live (QEMU's choice): 4 pages just below the IOAPIC/LAPIC hole. */
export const KVM_IDENTITY_MAP_ADDR = 0xfeffc000;
export const KVM_TSS_ADDR = 0xfeffd000;
/** Guest-physical addresses fit a JS number; KVM's limit on x86-64 is the host's (≥ 36 bits). */
const PHYS_BITS = 52;

const CAPABILITY_MAP: readonly (readonly [Capability, number | ((v: number) => number)])[] = [
  ['max-vcpus', CAP.MAX_VCPUS],
  ['readonly-mem', CAP.READONLY_MEM],
  ['immediate-exit', CAP.IMMEDIATE_EXIT],
  ['guest-debug', CAP.SET_GUEST_DEBUG],
  ['ioeventfd', CAP.IOEVENTFD],
  ['irqfd', CAP.IRQFD],
  ['irqfd-resample', CAP.IRQFD_RESAMPLE],
  ['signal-msi', CAP.SIGNAL_MSI],
  ['gsi-routing', CAP.IRQ_ROUTING],
  ['x86-split-irqchip', CAP.SPLIT_IRQCHIP],
  ['x86-irqchip', CAP.IRQCHIP],
];

export class KvmHypervisor implements AcceleratorHypervisor {
  readonly accel = 'kvm' as const;
  readonly arch = 'x86_64' as const;
  readonly fd: number;
  readonly shim: KvmShim;
  readonly vcpuMmapSize: number;
  private readonly caps = new Map<Capability, number>();
  private supportedCpuid: Uint8Array | undefined;
  /** Page of a vCPU's mapping that holds the coalesced MMIO ring; 0 without the capability. */
  coalescedPage = 0;
  private msrIndices: number[] | undefined;
  private closed = false;

  private constructor(shim: KvmShim, fd: number, device: string) {
    this.shim = shim;
    this.fd = fd;
    const version = shim.ioctlInt(fd, IOCTL.GET_API_VERSION, 0);
    if (version !== 12) {
      shim.close(fd);
      throw new AcceleratorUnavailableError(
        version < 0
          ? `${device} is not a KVM device (KVM_GET_API_VERSION: ${errnoName(version)}); ngkvm needs KVM API version 12`
          : `${device} speaks KVM API version ${version}; ngkvm needs version 12`,
        'ENOTSUP',
      );
    }
    this.vcpuMmapSize = check(shim.ioctlInt(fd, IOCTL.GET_VCPU_MMAP_SIZE, 0), 'KVM_GET_VCPU_MMAP_SIZE');
    const ext = (c: number) => Math.max(0, shim.ioctlInt(fd, IOCTL.CHECK_EXTENSION, c));
    this.caps.set('one-reg', 1);
    // A vCPU fd works from any thread of the process: only the run-area mapping and the
    // kick target move with it.
    this.caps.set('vcpu-transfer', 1);
    this.caps.set('max-phys-bits', PHYS_BITS);
    if (ext(CAP.USER_MEMORY) > 0) this.caps.set('dirty-log', 1);
    for (const [name, cap] of CAPABILITY_MAP) {
      const v = typeof cap === 'number' ? ext(cap) : 0;
      if (v > 0) this.caps.set(name, name === 'max-vcpus' || name === 'gsi-routing' ? v : 1);
    }
    // x86 has four debug address registers.
    if (this.caps.has('guest-debug')) this.caps.set('guest-debug-hw-bps', 4);
    // Routes are carried by this accelerator's own run loop (vcpu.ts), whatever the kernel.
    this.caps.set('routes', 1);
    this.coalescedPage = ext(CAP.COALESCED_MMIO);
    if (this.coalescedPage > 0) this.caps.set('coalesced-mmio', COALESCED_ZONES_MAX);
  }

  /**
   * Opens /dev/kvm (`device` is for tests); a missing device or permission is an
   * AcceleratorUnavailableError that names the device and says what to do.
   */
  static open(device = KVM_DEVICE): KvmHypervisor {
    const shim = loadShim();
    const fd = shim.open(device, O_RDWR);
    if (fd < 0) {
      const e = errnoName(fd);
      if (e === 'ENOENT' || e === 'ENODEV' || e === 'ENXIO') {
        throw new AcceleratorUnavailableError(
          `${device} does not exist: this host has no KVM (load kvm_intel or kvm_amd, enable virtualization in the firmware or the outer hypervisor); x86 guests need KVM`,
          'ENODEV',
        );
      }
      if (e === 'EACCES' || e === 'EPERM') {
        throw new AcceleratorUnavailableError(
          `permission denied opening ${device}: add your user to its group (usually \`sudo usermod -aG kvm $USER\`, then log in again) or ask for rw access to it`,
          'EACCES',
        );
      }
      throw new AcceleratorUnavailableError(`cannot open ${device}: ${e}`, apiErrno(fd));
    }
    return new KvmHypervisor(shim, fd, device);
  }

  checkExtension(cap: Capability): number {
    return this.caps.get(cap) ?? 0;
  }

  capabilities(): ReadonlyMap<Capability, number> {
    return this.caps;
  }

  /** `host`: the host CPU's features as KVM can virtualize them (KVM_GET_SUPPORTED_CPUID). */
  targets(): readonly string[] {
    return ['host'];
  }

  /** Raw KVM_CHECK_EXTENSION, for tests and diagnostics. */
  checkKvmExtension(cap: number): number {
    return Math.max(0, this.shim.ioctlInt(this.fd, IOCTL.CHECK_EXTENSION, cap));
  }

  /** struct kvm_cpuid2 with every leaf KVM supports (cached; each vCPU copies and adjusts it). */
  cpuid(): Uint8Array {
    if (this.supportedCpuid !== undefined) return this.supportedCpuid;
    for (let nent = 128; nent <= 4096; nent *= 2) {
      const buf = new Uint8Array(SIZE.cpuid2 + nent * SIZE.cpuidEntry2);
      new DataView(buf.buffer).setUint32(OFF.cpuid2.nent, nent, true);
      // UNCHECKED: the buffer has room for the `nent` entries the header announces.
      const r = this.shim.ioctlUnchecked(this.fd, IOCTL.GET_SUPPORTED_CPUID, buf);
      if (r === NEG_ERRNO.E2BIG) continue;
      check(r, 'KVM_GET_SUPPORTED_CPUID');
      const n = new DataView(buf.buffer).getUint32(OFF.cpuid2.nent, true);
      this.supportedCpuid = buf.slice(0, SIZE.cpuid2 + n * SIZE.cpuidEntry2);
      return this.supportedCpuid;
    }
    throw new UnsupportedError('KVM_GET_SUPPORTED_CPUID reports more than 4096 leaves');
  }

  /** MSR indices KVM saves and restores (KVM_GET_MSR_INDEX_LIST). */
  msrIndexList(): readonly number[] {
    if (this.msrIndices !== undefined) return this.msrIndices;
    const probe = new Uint32Array(1);
    // UNCHECKED: nmsrs = 0, so the kernel writes only the count (E2BIG) into the 4 bytes.
    this.shim.ioctlUnchecked(this.fd, IOCTL.GET_MSR_INDEX_LIST, probe);
    const n = probe[0]!;
    const list = new Uint32Array(1 + n);
    list[0] = n;
    // UNCHECKED: room for the n indices announced in the header.
    check(this.shim.ioctlUnchecked(this.fd, IOCTL.GET_MSR_INDEX_LIST, list), 'KVM_GET_MSR_INDEX_LIST');
    this.msrIndices = [...list.subarray(1, 1 + list[0]!)];
    return this.msrIndices;
  }

  createVm(options: VmOptions = {}): AcceleratorVm {
    return new KvmVm(this, options);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.shim.close(this.fd);
  }
}

let nextBackingId = 1;

/**
 * Guest RAM: a memfd mapped into this thread in one contiguous range (a KVM memory slot
 * takes one host address), seen from JS in pieces no larger than one typed array can be.
 */
export class KvmBacking extends ChunkedBacking {
  /** The memfd: other threads map the same memory with `mapBacking(fd, size)`. */
  readonly fd: number;
  /** Host virtual address of the mapping in this process (for KVM memslots). */
  readonly hostAddress: bigint;
  /** The mapping's ArrayBuffers, one per piece, as the shim made them (for munmap). */
  readonly buffers: readonly ArrayBuffer[];

  private constructor(id: number, name: string, size: number, fd: number, buffers: readonly ArrayBuffer[], hostAddress: bigint) {
    super(id, name, size, buffers.map((b) => new Uint8Array(b)));
    this.fd = fd;
    this.buffers = buffers;
    this.hostAddress = hostAddress;
  }

  static create(shim: KvmShim, size: number, name: string): KvmBacking {
    const fd = check(shim.memfdCreate(`ngkvm:${name}`, 0), `memfd_create for guest memory "${name}"`);
    const t = shim.ftruncate(fd, size);
    if (t < 0) {
      shim.close(fd);
      throw new KvmCallError(`cannot size guest memory "${name}" to ${hex(size)} bytes`, t);
    }
    const buffers = mapPieces(shim, fd, size, `guest memory "${name}"`, () => shim.close(fd));
    const first = buffers[0];
    if (first === undefined) throw new KvmCallError(`mapping guest memory "${name}" gave no buffer`, -5 /* EIO */);
    return new KvmBacking(nextBackingId++, name, size, fd, buffers, shim.bufferAddress(first));
  }
}

/** mmaps `size` bytes of `fd` in one range, as pieces of `backingChunkBytes(size)`; `cleanup` runs on failure. */
function mapPieces(shim: KvmShim, fd: number, size: number, what: string, cleanup: () => void): ArrayBuffer[] {
  const r = shim.mmap(fd, size, 0, backingChunkBytes(size));
  if (typeof r === 'number') {
    cleanup();
    throw new KvmCallError(`cannot map ${hex(size)} bytes of ${what}`, r);
  }
  return r;
}

/**
 * Maps a backing's memfd (received from the VM's thread) into the calling thread: the same
 * pieces as the backing's `chunks` there (one for a backing of at most MAX_VIEW_BYTES).
 */
export function mapBacking(fd: number, size: number): Uint8Array[] {
  return mapPieces(loadShim(), fd, size, `guest memory fd ${fd}`, () => {}).map((b) => new Uint8Array(b));
}

interface Slot {
  readonly slot: number;
  readonly region: MemoryRegion;
  readonly flags: number;
}

function slotKey(r: MemoryRegion): string {
  return `${r.guestAddr}:${r.size}:${r.backing.id}:${r.offset}:${r.readOnly === true ? 1 : 0}:${r.logDirty === true ? 1 : 0}`;
}

/** An eventfd as an EventNotifier. */
export class EventFd implements EventNotifier {
  readonly fd: number;
  private readonly shim: KvmShim;
  private closed = false;

  constructor(shim: KvmShim, what: string) {
    this.shim = shim;
    this.fd = check(shim.eventfd(0, EFD_NONBLOCK), `eventfd for ${what}`);
  }

  read(): number {
    if (this.closed) throw new ClosedError(`eventfd ${this.fd} is closed`);
    const r = this.shim.eventfdRead(this.fd);
    if (r === NEG_ERRNO.EAGAIN) return 0;
    return check(r, `read from eventfd ${this.fd}`);
  }

  wait(timeoutMs = -1): boolean {
    if (this.closed) throw new ClosedError(`eventfd ${this.fd} is closed`);
    const r = this.shim.pollIn(this.fd, timeoutMs);
    if (r === NEG_ERRNO.EINTR) return false; // a kick
    return check(r, `poll on eventfd ${this.fd}`) === 1;
  }

  signal(): void {
    if (this.closed) throw new ClosedError(`eventfd ${this.fd} is closed`);
    check(this.shim.eventfdWrite(this.fd, 1), `write to eventfd ${this.fd}`);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.shim.close(this.fd);
  }
}

export class KvmVm implements AcceleratorVm {
  readonly hypervisor: KvmHypervisor;
  readonly name: string;
  readonly memory: GuestMemory;
  readonly fd: number;
  readonly shim: KvmShim;
  readonly ownerThread = threadId;
  private readonly guestMemory: MappedGuestMemory;
  private readonly backings = new Map<number, KvmBacking>();
  private regions: MemoryRegion[] = [];
  private slots = new Map<string, Slot>();
  private freeSlots: number[] = [];
  private nextSlot = 0;
  /** The VMM-side dirty log (api/dirty-log.ts), per backing page, so moved or removed regions keep their bits. */
  private readonly dirty = new DirtyLog();
  private readonly vcpuList: KvmVcpu[] = [];
  readonly routeTable = new RouteTable();
  /** Control blocks of the VM's vCPUs, including those transferred to other threads. */
  private readonly vcpuControls = new Set<SharedArrayBuffer>();
  private readonly events = new Set<{ close(): void }>();
  /** Set by enableCap('x86-split-irqchip'): the vCPUs get an in-kernel local APIC. */
  irqchip: 'none' | 'split' | 'full' = 'none';
  private closed = false;

  constructor(hv: KvmHypervisor, options: VmOptions) {
    this.hypervisor = hv;
    this.shim = hv.shim;
    this.name = options.name ?? 'vm';
    this.fd = check(this.shim.ioctlInt(hv.fd, IOCTL.CREATE_VM, 0), `KVM_CREATE_VM for VM "${this.name}"`);
    // VMX without unrestricted guest runs real mode through a TSS and an identity map that
    // live in guest-physical memory; place them where QEMU does so boards can avoid them.
    // Other implementations (SVM, PVM) accept and ignore these.
    const tss = this.shim.ioctlInt(this.fd, IOCTL.SET_TSS_ADDR, KVM_TSS_ADDR);
    if (tss < 0 && errnoName(tss) !== 'ENOTTY') check(tss, 'KVM_SET_TSS_ADDR');
    const idmap = new BigUint64Array([BigInt(KVM_IDENTITY_MAP_ADDR)]);
    const im = this.shim.ioctl(this.fd, IOCTL.SET_IDENTITY_MAP_ADDR, idmap);
    if (im < 0 && errnoName(im) !== 'ENOTTY') check(im, 'KVM_SET_IDENTITY_MAP_ADDR');
    this.guestMemory = new MappedGuestMemory((region, offset, length) => this.hostWrote(region, offset, length));
    this.memory = this.guestMemory;
  }

  live(): void {
    assertUsable(this.closed, this.ownerThread, `VM "${this.name}"`);
  }

  createMemory(size: number, options: { readonly name?: string } = {}): MemoryBacking {
    this.live();
    // The size (a positive page multiple) is checked in the API's front (api/checked.ts).
    const b = KvmBacking.create(this.shim, size, options.name ?? `mem${nextBackingId}`);
    this.backings.set(b.id, b);
    return b;
  }

  private hostWrote(region: MemoryRegion, offset: number, length: number): void {
    this.dirty.markBytes(region, offset, length);
  }

  /** Folds KVM's dirty bitmap of a slot into the VMM-side log (KVM_GET_DIRTY_LOG also clears KVM's). */
  private harvest(s: Slot): void {
    if ((s.flags & MEM.LOG_DIRTY_PAGES) === 0) return;
    const pages = s.region.size / PAGE_SIZE;
    // KVM writes whole 64-bit words of bitmap.
    const kbm = new BigUint64Array(Math.ceil(pages / 64));
    const arg = new DataView(new ArrayBuffer(SIZE.dirtyLog));
    arg.setUint32(OFF.dirtyLog.slot, s.slot, true);
    arg.setBigUint64(OFF.dirtyLog.dirtyBitmap, this.shim.bufferAddress(kbm), true);
    // UNCHECKED: the pointer is to `kbm`, sized for the slot's pages rounded up to 64 bits, alive across the call.
    check(this.shim.ioctlUnchecked(this.fd, IOCTL.GET_DIRTY_LOG, arg), `KVM_GET_DIRTY_LOG for slot ${s.slot}`);
    this.dirty.mergeWords(s.region.backing, s.region.offset / PAGE_SIZE, new Uint32Array(kbm.buffer));
  }

  /** The slot a region of the map in force has. */
  private slotOf(r: MemoryRegion): Slot | undefined {
    return this.slots.get(slotKey(r));
  }

  private setSlot(slot: number, flags: number, region: MemoryRegion | null): number {
    const arg = new DataView(new ArrayBuffer(SIZE.userspaceMemoryRegion));
    arg.setUint32(OFF.memoryRegion.slot, slot, true);
    arg.setUint32(OFF.memoryRegion.flags, flags, true);
    if (region !== null) {
      const b = region.backing as KvmBacking;
      arg.setBigUint64(OFF.memoryRegion.guestPhysAddr, BigInt(region.guestAddr), true);
      arg.setBigUint64(OFF.memoryRegion.memorySize, BigInt(region.size), true);
      arg.setBigUint64(OFF.memoryRegion.userspaceAddr, b.hostAddress + BigInt(region.offset), true);
    }
    // UNCHECKED (pointer inside): the host address is that of a live mapping owned by this VM,
    // window checked against the backing's size by validateMemoryMap.
    return this.shim.ioctlUnchecked(this.fd, IOCTL.SET_USER_MEMORY_REGION, arg);
  }

  /**
   * Replaces the map by diffing it against the slots in force: unchanged regions keep their
   * slots (and KVM's dirty bits), removed or changed ones have their dirty bits harvested
   * into the VMM-side log before the slot goes, new ones get slots. On a failure half way,
   * the old slots are put back.
   *
   * Atomic for the guest (seed 001): KVM changes one slot per call, and a region that changes
   * in place is a delete and then an add, so a vCPU running meanwhile could find a hole
   * where both maps have RAM. Every vCPU of the VM is therefore stopped first and let go
   * after the last slot changed — those on this thread are between runs anyway; those a
   * worker adopted (Vcpu.transfer) are kicked out of KVM_RUN and wait (kick.ts pauseVcpus).
   */
  setMemoryMap(regions: readonly MemoryRegion[]): void {
    this.live();
    this.setMemoryMapUnchecked(regions, true);
  }

  private setMemoryMapUnchecked(regions: readonly MemoryRegion[], checkRoutes: boolean): void {
    const sorted = validateMemoryMap(regions, { ownsBacking: (b) => this.backings.get(b.id) === b, maxPhysBits: PHYS_BITS });
    if (checkRoutes) RouteTable.validate(this.routeTable.list(), sorted, PHYS_BITS);
    this.routeTable.flushAll();
    if (sorted.some((r) => r.readOnly === true) && this.hypervisor.checkExtension('readonly-mem') === 0) {
      throw new UnsupportedError('read-only regions need KVM_CAP_READONLY_MEM, which this host does not have');
    }
    const wanted = new Map(sorted.map((r) => [slotKey(r), { ...r }]));
    const removed = [...this.slots.entries()].filter(([k]) => !wanted.has(k));
    const added = [...wanted.entries()].filter(([k]) => !this.slots.has(k));
    const done: (() => void)[] = [];
    const resume = removed.length > 0 || added.length > 0 ? pauseVcpus(this.liveControls()) : () => {};
    try {
      for (const [key, s] of removed) {
        this.harvest(s);
        check(this.setSlot(s.slot, 0, null), `deleting memory slot ${s.slot} at ${hex(s.region.guestAddr)}`);
        this.slots.delete(key);
        this.freeSlots.push(s.slot);
        done.push(() => {
          this.setSlot(s.slot, s.flags, s.region);
          this.slots.set(key, s);
          this.freeSlots.splice(this.freeSlots.indexOf(s.slot), 1);
        });
      }
      for (const [key, r] of added) {
        const slot = this.freeSlots.pop() ?? this.nextSlot++;
        const flags = (r.logDirty === true ? MEM.LOG_DIRTY_PAGES : 0) | (r.readOnly === true ? MEM.READONLY : 0);
        const res = this.setSlot(slot, flags, r);
        if (res < 0) {
          this.freeSlots.push(slot);
          throw new KvmCallError(`cannot map ${r.name ?? 'region'} at ${hex(r.guestAddr)} (${hex(r.size)} bytes) into the guest`, res);
        }
        this.slots.set(key, { slot, region: r, flags });
        done.push(() => {
          this.setSlot(slot, 0, null);
          this.slots.delete(key);
          this.freeSlots.push(slot);
        });
      }
    } catch (e) {
      for (const undo of done.reverse()) undo();
      throw e;
    } finally {
      resume();
    }
    this.regions = sorted.map((r) => wanted.get(slotKey(r))!);
    for (const r of this.regions) if (r.logDirty === true) this.dirty.track(r.backing);
    this.guestMemory.setRegions(this.regions);
  }

  memoryMap(): readonly MemoryRegion[] {
    return this.regions;
  }

  /**
   * Routes are carried by the run loop of the vCPUs on this thread (vcpu.ts): a vCPU another
   * thread adopted cannot call the endpoints (JS objects of this thread), and its routed
   * accesses exit to that thread's VMM as before. With a memory map, the map changes first
   * (it can fail, and then nothing changed) and the routes right after, before any vCPU of
   * this thread runs again.
   */
  setRoutes(routes: readonly RouteSpec[], options: SetRoutesOptions = {}): void {
    this.live();
    const map = options.memoryMap;
    const sorted = map === undefined ? this.regions : validateMemoryMap(map, { ownsBacking: (b) => this.backings.get(b.id) === b, maxPhysBits: PHYS_BITS });
    RouteTable.validate(routes, sorted, PHYS_BITS);
    this.routeTable.flushAll();
    if (map !== undefined) this.setMemoryMapUnchecked(map, false);
    this.routeTable.replace(routes);
  }

  routes(): readonly RouteSpec[] {
    return this.routeTable.list();
  }

  flushRoutes(): void {
    if (this.routeTable.hasQueued) this.routeTable.flushAll();
  }

  private coalescedIoctl(zone: CoalescedZone, register: boolean): void {
    const page = this.hypervisor.coalescedPage;
    if (page === 0) throw new UnsupportedError('coalesced MMIO needs KVM_CAP_COALESCED_MMIO, which this host does not have');
    if (zone.space === 'pio' && this.hypervisor.checkKvmExtension(CAP.COALESCED_PIO) === 0) {
      throw new UnsupportedError('coalesced port I/O needs KVM_CAP_COALESCED_PIO, which this host does not have');
    }
    // struct kvm_coalesced_mmio_zone { __u64 addr; __u32 size; __u32 pio; }
    const arg = new DataView(new ArrayBuffer(16));
    arg.setBigUint64(0, BigInt(zone.addr), true);
    arg.setUint32(8, zone.size, true);
    arg.setUint32(12, zone.space === 'pio' ? 1 : 0, true);
    const what = `${register ? 'KVM_REGISTER' : 'KVM_UNREGISTER'}_COALESCED_MMIO for [${hex(zone.addr)}, ${hex(zone.addr + zone.size)})`;
    check(this.shim.ioctl(this.fd, register ? IOCTL.REGISTER_COALESCED_MMIO : IOCTL.UNREGISTER_COALESCED_MMIO, arg), what);
  }

  registerCoalescedMmio(zone: CoalescedZone): void {
    this.live();
    this.coalescedIoctl(zone, true);
  }

  unregisterCoalescedMmio(zone: CoalescedZone): void {
    this.live();
    this.coalescedIoctl(zone, false);
  }

  /**
   * The kernel's ring is one per VM, visible in every vCPU's mapping: read through the first
   * vCPU on this thread (the ring is empty while the VM has no vCPU).
   */
  drainCoalescedMmio(visit: (write: CoalescedWrite) => void): number {
    this.live();
    const page = this.hypervisor.coalescedPage;
    const v = this.vcpuList[0];
    if (page === 0 || v === undefined) return 0;
    return v.drainCoalescedRing(page, visit);
  }

  getDirtyLog(range: DirtyLogRange, options?: DirtyLogOptions): number[] {
    this.live();
    // KVM keeps its own bitmap per slot: fold it in (KVM_GET_DIRTY_LOG, the whole slot) before
    // the shared log is read. KVM write-protects what it reports, so nothing to re-arm.
    return this.dirty.query(this.regions, range, options, {
      harvest: (r) => {
        const s = this.slotOf(r);
        if (s !== undefined) this.harvest(s);
      },
    });
  }

  createVcpu(id: number, init: VcpuInit): AcceleratorVcpu {
    this.live();
    const v = KvmVcpu.create(this, id, init);
    this.vcpuList.push(v);
    this.vcpuControls.add(v.handle().control);
    return v;
  }

  vcpus(): readonly AcceleratorVcpu[] {
    return this.vcpuList;
  }

  /**
   * Forgets a closed vCPU; a transferred one leaves `vcpus()` but keeps its place among the
   * vCPUs a memory-map change stops (it runs on, on another thread).
   */
  vcpuClosed(v: KvmVcpu, how: 'closed' | 'transferred'): void {
    const i = this.vcpuList.indexOf(v);
    if (i >= 0) this.vcpuList.splice(i, 1);
    if (how === 'closed') this.vcpuControls.delete(v.handle().control);
  }

  /** The control blocks of every live vCPU of this VM, here or adopted by another thread. */
  private liveControls(): SharedArrayBuffer[] {
    for (const c of [...this.vcpuControls]) {
      const w = new Int32Array(c);
      // Adopted elsewhere and closed there: not alive, not waiting for adoption.
      if (Atomics.load(w, CONTROL_ALIVE) === 0 && Atomics.load(w, CONTROL_ADOPTABLE) === 0) this.vcpuControls.delete(c);
    }
    return [...this.vcpuControls];
  }

  enableCap(cap: string, args: readonly number[] = []): void {
    this.live();
    if (cap === 'x86-split-irqchip') {
      if (this.hypervisor.checkExtension('x86-split-irqchip') === 0) throw new UnsupportedError('this host has no KVM_CAP_SPLIT_IRQCHIP');
      if (this.vcpuList.length > 0) throw new BusyError('x86-split-irqchip must be enabled before the first vCPU is created');
      if (this.irqchip !== 'none') throw new BusyError('the irqchip is already enabled');
      const pins = args[0] ?? 24;
      if (!Number.isInteger(pins) || pins < 0 || pins > 256) throw new InvalidArgumentError(`x86-split-irqchip: ${String(pins)} IOAPIC routes is not in 0..256`);
      this.kvmEnableCap(CAP.SPLIT_IRQCHIP, [pins], 'KVM_CAP_SPLIT_IRQCHIP');
      this.irqchip = 'split';
      return;
    }
    if (cap === 'x86-irqchip') {
      if (this.hypervisor.checkExtension('x86-irqchip') === 0) throw new UnsupportedError('this host has no KVM_CAP_IRQCHIP');
      if (this.vcpuList.length > 0) throw new BusyError('x86-irqchip must be enabled before the first vCPU is created');
      if (this.irqchip !== 'none') throw new BusyError('the irqchip is already enabled');
      check(this.shim.ioctlInt(this.fd, IOCTL.CREATE_IRQCHIP, 0), 'KVM_CREATE_IRQCHIP');
      this.irqchip = 'full';
      return;
    }
    throw new UnsupportedError(`unknown VM capability "${cap}" for the kvm accelerator; known: x86-split-irqchip, x86-irqchip`);
  }

  kvmEnableCap(cap: number, args: readonly number[], what: string, fd = this.fd): void {
    const arg = new DataView(new ArrayBuffer(SIZE.enableCap));
    arg.setUint32(OFF.enableCap.cap, cap, true);
    args.forEach((a, i) => arg.setBigUint64(OFF.enableCap.args + 8 * i, BigInt(a), true));
    check(this.shim.ioctl(fd, IOCTL.ENABLE_CAP, arg), `KVM_ENABLE_CAP ${what}`);
  }

  private requireCap(cap: Capability, what: string): void {
    if (this.hypervisor.checkExtension(cap) === 0) throw new UnsupportedError(`${what} needs capability "${cap}", which this host's KVM does not have`);
  }

  ioEvent(options: IoEventOptions): IoEvent {
    this.live();
    this.requireCap('ioeventfd', 'ioEvent');
    const { addr, size, space, datamatch } = options ?? ({} as IoEventOptions);
    if (space !== 'pio' && space !== 'mmio') throw new InvalidArgumentError(`ioEvent space ${JSON.stringify(space)} must be "pio" or "mmio"`);
    if (![0, 1, 2, 4, 8].includes(size)) throw new InvalidArgumentError(`ioEvent size ${String(size)} must be 0, 1, 2, 4 or 8`);
    if (size === 0 && (space === 'pio' || datamatch !== undefined)) throw new InvalidArgumentError('ioEvent size 0 (any width) is for mmio without datamatch');
    const limit = space === 'pio' ? 0x10000 : 2 ** PHYS_BITS;
    if (!Number.isSafeInteger(addr) || addr < 0 || addr + Math.max(size, 1) > limit) throw new InvalidArgumentError(`ioEvent address ${String(addr)} is outside the ${space} space`);
    if (datamatch !== undefined && (typeof datamatch !== 'bigint' || datamatch < 0n || datamatch >= 1n << BigInt(size * 8))) {
      throw new InvalidArgumentError(`ioEvent datamatch must be a bigint that fits ${size} bytes`);
    }
    const notifier = new EventFd(this.shim, `ioEvent at ${space} ${hex(addr)}`);
    const arg = new DataView(new ArrayBuffer(SIZE.ioeventfd));
    const flags = (space === 'pio' ? IOEVENTFD_FLAG.PIO : 0) | (datamatch !== undefined ? IOEVENTFD_FLAG.DATAMATCH : 0);
    arg.setBigUint64(OFF.ioeventfd.datamatch, datamatch ?? 0n, true);
    arg.setBigUint64(OFF.ioeventfd.addr, BigInt(addr), true);
    arg.setUint32(OFF.ioeventfd.len, size, true);
    arg.setInt32(OFF.ioeventfd.fd, notifier.fd, true);
    arg.setUint32(OFF.ioeventfd.flags, flags, true);
    const r = this.shim.ioctl(this.fd, IOCTL.IOEVENTFD, arg);
    if (r < 0) {
      notifier.close();
      throw new KvmCallError(`KVM_IOEVENTFD at ${space} ${hex(addr)} size ${size}`, r);
    }
    let open = true;
    const event: IoEvent = {
      options: { ...options },
      notifier,
      close: () => {
        if (!open) return;
        open = false;
        this.events.delete(event);
        if (!this.closed) {
          arg.setUint32(OFF.ioeventfd.flags, flags | IOEVENTFD_FLAG.DEASSIGN, true);
          this.shim.ioctl(this.fd, IOCTL.IOEVENTFD, arg);
        }
        notifier.close();
      },
    };
    this.events.add(event);
    return event;
  }

  irqEvent(options: IrqEventOptions): IrqEvent {
    this.live();
    this.requireCap('irqfd', 'irqEvent');
    const { gsi, resample = false } = options ?? ({} as IrqEventOptions);
    if (!Number.isInteger(gsi) || gsi < 0 || gsi >= this.hypervisor.checkExtension('gsi-routing')) {
      throw new InvalidArgumentError(`irqEvent GSI ${String(gsi)} is outside 0..${this.hypervisor.checkExtension('gsi-routing') - 1}`);
    }
    if (resample) this.requireCap('irqfd-resample', 'irqEvent({ resample: true })');
    if (this.irqchip === 'none') throw new UnsupportedError('irqEvent needs an in-kernel interrupt controller: vm.enableCap("x86-split-irqchip", [24]) (or "x86-irqchip") first');
    if (resample && this.irqchip === 'split') {
      // KVM's resampler hangs off the in-kernel IOAPIC's EOI; with the split irqchip the
      // IOAPIC is the VMM's, which sees the EOI as an `ioapic-eoi` exit and re-raises itself.
      throw new UnsupportedError('irqEvent({ resample: true }) needs the in-kernel IOAPIC (x86-irqchip); with x86-split-irqchip, handle level-triggered lines in the VMM\'s IOAPIC on ioapic-eoi exits');
    }
    const trigger = new EventFd(this.shim, `irqEvent GSI ${gsi}`);
    const resampler = resample ? new EventFd(this.shim, `irqEvent GSI ${gsi} resample`) : null;
    const arg = new DataView(new ArrayBuffer(SIZE.irqfd));
    arg.setUint32(OFF.irqfd.fd, trigger.fd, true);
    arg.setUint32(OFF.irqfd.gsi, gsi, true);
    arg.setUint32(OFF.irqfd.flags, resample ? IRQFD_FLAG.RESAMPLE : 0, true);
    arg.setUint32(OFF.irqfd.resamplefd, resampler?.fd ?? 0, true);
    const r = this.shim.ioctl(this.fd, IOCTL.IRQFD, arg);
    if (r < 0) {
      trigger.close();
      resampler?.close();
      throw new KvmCallError(`KVM_IRQFD for GSI ${gsi}${resample ? ' (resample)' : ''}`, r);
    }
    let open = true;
    const event: IrqEvent = {
      gsi,
      trigger,
      resample: resampler,
      close: () => {
        if (!open) return;
        open = false;
        this.events.delete(event);
        if (!this.closed) {
          arg.setUint32(OFF.irqfd.flags, IRQFD_FLAG.DEASSIGN, true);
          this.shim.ioctl(this.fd, IOCTL.IRQFD, arg);
        }
        trigger.close();
        resampler?.close();
      },
    };
    this.events.add(event);
    return event;
  }

  setInterruptSink(_sink: InterruptSink | null): void {
    this.live();
    throw new UnsupportedError('the kvm accelerator delivers irqEvents and MSIs to its own interrupt controllers; it takes no interrupt sink');
  }

  signalMsi(msi: MsiMessage): boolean {
    this.live();
    this.requireCap('signal-msi', 'signalMsi');
    if (this.irqchip === 'none') throw new UnsupportedError('signalMsi needs an in-kernel local APIC: vm.enableCap("x86-split-irqchip", [24]) first');
    const arg = new DataView(new ArrayBuffer(SIZE.msi));
    arg.setUint32(OFF.msi.addressLo, Number(BigInt.asUintN(32, msi.address)), true);
    arg.setUint32(OFF.msi.addressHi, Number(BigInt.asUintN(32, msi.address >> 32n)), true);
    arg.setUint32(OFF.msi.data, msi.data >>> 0, true);
    return check(this.shim.ioctl(this.fd, IOCTL.SIGNAL_MSI, arg), `KVM_SIGNAL_MSI address ${hex(msi.address)} data ${hex(msi.data)}`) > 0;
  }

  setGsiRouting(routes: readonly GsiRoute[]): void {
    this.live();
    this.requireCap('gsi-routing', 'setGsiRouting');
    const max = this.hypervisor.checkExtension('gsi-routing');
    if (!Array.isArray(routes) || routes.length > max) throw new InvalidArgumentError(`setGsiRouting takes an array of at most ${max} routes`);
    const buf = new DataView(new ArrayBuffer(SIZE.irqRouting + routes.length * SIZE.irqRoutingEntry));
    buf.setUint32(OFF.irqRouting.nr, routes.length, true);
    routes.forEach((r, i) => {
      const o = OFF.irqRouting.entries + i * SIZE.irqRoutingEntry;
      const u = o + OFF.irqRoutingEntry.u;
      if (!Number.isInteger(r.gsi) || r.gsi < 0 || r.gsi >= max) throw new InvalidArgumentError(`route ${i}: GSI ${String(r.gsi)} is outside 0..${max - 1}`);
      buf.setUint32(o + OFF.irqRoutingEntry.gsi, r.gsi, true);
      if (r.kind === 'msi') {
        buf.setUint32(o + OFF.irqRoutingEntry.type, IRQ_ROUTING.MSI, true);
        buf.setUint32(u, Number(BigInt.asUintN(32, r.address)), true);
        buf.setUint32(u + 4, Number(BigInt.asUintN(32, r.address >> 32n)), true);
        buf.setUint32(u + 8, r.data >>> 0, true);
      } else if (r.kind === 'irqchip') {
        buf.setUint32(o + OFF.irqRoutingEntry.type, IRQ_ROUTING.IRQCHIP, true);
        buf.setUint32(u, r.irqchip, true);
        buf.setUint32(u + 4, r.pin, true);
      } else {
        throw new InvalidArgumentError(`route ${i}: kind ${JSON.stringify((r as { kind: unknown }).kind)} must be "msi" or "irqchip"`);
      }
    });
    // UNCHECKED: the buffer holds the header and exactly `nr` entries.
    check(this.shim.ioctlUnchecked(this.fd, IOCTL.SET_GSI_ROUTING, buf), `KVM_SET_GSI_ROUTING (${routes.length} routes)`);
  }

  runVcpus(): { readonly vcpu: AcceleratorVcpu; readonly exit: Exit } {
    throw new UnsupportedError('the kvm accelerator runs each vCPU on its own thread with vcpu.run(); it has no cooperative-vcpus');
  }

  /**
   * Closes the vCPUs, the events and the guest memory too. A vCPU another thread adopted is
   * told through its control block: its next run() is a ClosedError.
   */
  close(): void {
    if (this.closed) return;
    this.routeTable.flushAll();
    for (const v of [...this.vcpuList]) v.close();
    for (const c of this.liveControls()) {
      Atomics.store(new Int32Array(c), CONTROL_VM_CLOSED, 1);
      kickControl(c);
    }
    for (const e of [...this.events]) e.close();
    this.guestMemory.close();
    this.closed = true;
    this.shim.close(this.fd);
    for (const b of this.backings.values()) {
      this.shim.munmap(b.buffers);
      this.shim.close(b.fd);
    }
    this.backings.clear();
  }
}
