/**
 * The Linux KVM ABI the kvm accelerator uses, in one place: ioctl request codes, capability
 * and exit numbers, struct sizes and field offsets (x86-64). The native shim knows none of
 * this; it only passes buffers to ioctl(2).
 *
 * Numbers come from <linux/kvm.h> and Documentation/virt/kvm/api.rst. `abiFacts()` lists
 * them under the names a C program prints from the real header
 * (native/abi-dump.c); test/unit/accel/kvm/abi.test.ts compiles that program and compares,
 * so a typo here fails a test instead of corrupting a struct.
 */

const KVMIO = 0xae;
const IOC_NONE = 0;
const IOC_WRITE = 1;
const IOC_READ = 2;

/** asm-generic/ioctl.h: dir in bits 31..30, size in 29..16, type in 15..8, nr in 7..0. */
function ioc(dir: number, nr: number, size: number): number {
  return ((dir << 30) | (size << 16) | (KVMIO << 8) | nr) >>> 0;
}
const io = (nr: number): number => ioc(IOC_NONE, nr, 0);
const ior = (nr: number, size: number): number => ioc(IOC_READ, nr, size);
const iow = (nr: number, size: number): number => ioc(IOC_WRITE, nr, size);
const iowr = (nr: number, size: number): number => ioc(IOC_READ | IOC_WRITE, nr, size);

/** Struct sizes in bytes (the fixed part, for structs with a flexible array). */
export const SIZE = {
  run: 2352,
  userspaceMemoryRegion: 32,
  regs: 144,
  segment: 24,
  dtable: 16,
  sregs: 312,
  fpu: 416,
  xsave: 4096,
  debugregs: 128,
  vcpuEvents: 64,
  lapicState: 1024,
  msrs: 8,
  msrEntry: 16,
  msrList: 4,
  cpuid2: 8,
  cpuidEntry2: 40,
  guestDebug: 72,
  enableCap: 104,
  dirtyLog: 16,
  ioeventfd: 64,
  irqfd: 32,
  msi: 32,
  irqRouting: 8,
  irqRoutingEntry: 48,
  translation: 24,
  oneReg: 16,
  mpState: 4,
} as const;

export const IOCTL = {
  // /dev/kvm
  GET_API_VERSION: io(0x00),
  CREATE_VM: io(0x01),
  GET_MSR_INDEX_LIST: iowr(0x02, SIZE.msrList),
  CHECK_EXTENSION: io(0x03),
  GET_VCPU_MMAP_SIZE: io(0x04),
  GET_SUPPORTED_CPUID: iowr(0x05, SIZE.cpuid2),
  // VM fd
  CREATE_VCPU: io(0x41),
  GET_DIRTY_LOG: iow(0x42, SIZE.dirtyLog),
  SET_USER_MEMORY_REGION: iow(0x46, SIZE.userspaceMemoryRegion),
  SET_TSS_ADDR: io(0x47),
  CREATE_IRQCHIP: io(0x60),
  SET_IDENTITY_MAP_ADDR: iow(0x48, 8),
  SET_GSI_ROUTING: iow(0x6a, SIZE.irqRouting),
  IRQFD: iow(0x76, SIZE.irqfd),
  IOEVENTFD: iow(0x79, SIZE.ioeventfd),
  SIGNAL_MSI: iow(0xa5, SIZE.msi),
  ENABLE_CAP: iow(0xa3, SIZE.enableCap),
  CLEAR_DIRTY_LOG: iowr(0xc0, 24),
  // vCPU fd
  RUN: io(0x80),
  GET_REGS: ior(0x81, SIZE.regs),
  SET_REGS: iow(0x82, SIZE.regs),
  GET_SREGS: ior(0x83, SIZE.sregs),
  SET_SREGS: iow(0x84, SIZE.sregs),
  TRANSLATE: iowr(0x85, SIZE.translation),
  GET_MSRS: iowr(0x88, SIZE.msrs),
  SET_MSRS: iow(0x89, SIZE.msrs),
  SET_CPUID2: iow(0x90, SIZE.cpuid2),
  GET_FPU: ior(0x8c, SIZE.fpu),
  SET_FPU: iow(0x8d, SIZE.fpu),
  GET_LAPIC: ior(0x8e, SIZE.lapicState),
  SET_LAPIC: iow(0x8f, SIZE.lapicState),
  GET_MP_STATE: ior(0x98, SIZE.mpState),
  SET_MP_STATE: iow(0x99, SIZE.mpState),
  SET_GUEST_DEBUG: iow(0x9b, SIZE.guestDebug),
  GET_VCPU_EVENTS: ior(0x9f, SIZE.vcpuEvents),
  SET_VCPU_EVENTS: iow(0xa0, SIZE.vcpuEvents),
  GET_DEBUGREGS: ior(0xa1, SIZE.debugregs),
  SET_DEBUGREGS: iow(0xa2, SIZE.debugregs),
  GET_XSAVE: ior(0xa4, SIZE.xsave),
  SET_XSAVE: iow(0xa5, SIZE.xsave),
  GET_XSAVE2: ior(0xcf, SIZE.xsave),
  GET_ONE_REG: iow(0xab, SIZE.oneReg),
  SET_ONE_REG: iow(0xac, SIZE.oneReg),
} as const;

export const CAP = {
  IRQCHIP: 0,
  USER_MEMORY: 3,
  SET_TSS_ADDR: 4,
  EXT_CPUID: 7,
  NR_VCPUS: 9,
  NR_MEMSLOTS: 10,
  MP_STATE: 14,
  SET_GUEST_DEBUG: 23,
  IRQ_ROUTING: 25,
  IRQFD: 32,
  IOEVENTFD: 36,
  ADJUST_CLOCK: 39,
  VCPU_EVENTS: 41,
  DEBUGREGS: 50,
  XSAVE: 55,
  MAX_VCPUS: 66,
  ONE_REG: 70,
  SIGNAL_MSI: 77,
  READONLY_MEM: 81,
  IRQFD_RESAMPLE: 82,
  SPLIT_IRQCHIP: 121,
  IOEVENTFD_ANY_LENGTH: 122,
  IMMEDIATE_EXIT: 136,
  XSAVE2: 208,
} as const;

export const EXIT = {
  UNKNOWN: 0,
  EXCEPTION: 1,
  IO: 2,
  HYPERCALL: 3,
  DEBUG: 4,
  HLT: 5,
  MMIO: 6,
  IRQ_WINDOW_OPEN: 7,
  SHUTDOWN: 8,
  FAIL_ENTRY: 9,
  INTR: 10,
  INTERNAL_ERROR: 17,
  SYSTEM_EVENT: 24,
  IOAPIC_EOI: 26,
} as const;

/** kvm_run.internal.suberror KVM_INTERNAL_ERROR_EMULATION. */
export const INTERNAL_ERROR_EMULATION = 1;

/** kvm_run.internal.suberror. */
export const INTERNAL_ERROR_NAMES: Readonly<Record<number, string>> = {
  1: 'emulation',
  2: 'simultaneous-exception',
  3: 'delivery-event',
  4: 'unexpected-exit-reason',
};

/** kvm_run.system_event.type. */
export const SYSTEM_EVENT = { SHUTDOWN: 1, RESET: 2, CRASH: 3, WAKEUP: 4, SUSPEND: 5 } as const;

/** Offsets inside struct kvm_run (the shared run area mmap'd from the vCPU fd). */
export const RUN = {
  immediateExit: 1,
  exitReason: 8,
  ioDirection: 32,
  ioSize: 33,
  ioPort: 34,
  ioCount: 36,
  ioDataOffset: 40,
  mmioPhysAddr: 32,
  mmioData: 40,
  mmioLen: 48,
  mmioIsWrite: 52,
  failEntryReason: 32,
  failEntryCpu: 40,
  internalSuberror: 32,
  internalNdata: 36,
  internalData: 40,
  debugException: 32,
  debugPc: 40,
  debugDr6: 48,
  debugDr7: 56,
  systemEventType: 32,
  systemEventNdata: 36,
  eoiVector: 32,
} as const;
export const KVM_EXIT_IO_IN = 0;
export const KVM_EXIT_IO_OUT = 1;

export const MEM = { LOG_DIRTY_PAGES: 1, READONLY: 2 } as const;
export const IOEVENTFD_FLAG = { DATAMATCH: 1, PIO: 2, DEASSIGN: 4 } as const;
export const IRQFD_FLAG = { DEASSIGN: 1, RESAMPLE: 2 } as const;
export const IRQ_ROUTING = { IRQCHIP: 1, MSI: 2 } as const;
export const GUESTDBG = { ENABLE: 0x1, SINGLESTEP: 0x2, USE_SW_BP: 0x10000, USE_HW_BP: 0x20000 } as const;
export const MP_STATE = { RUNNABLE: 0, UNINITIALIZED: 1, INIT_RECEIVED: 2, HALTED: 3, SIPI_RECEIVED: 4 } as const;

/** struct kvm_sregs: eight kvm_segment (cs ds es fs gs ss tr ldt), then the rest. */
/** struct kvm_translation (KVM_TRANSLATE). */
export const TRANSLATION = { linear_address: 0, physical_address: 8, valid: 16, writeable: 17, usermode: 18 } as const;

export const SREGS = {
  segments: ['cs', 'ds', 'es', 'fs', 'gs', 'ss', 'tr', 'ldt'] as const,
  gdt: 192,
  idt: 208,
  cr0: 224,
  cr2: 232,
  cr3: 240,
  cr4: 248,
  cr8: 256,
  efer: 264,
  apicBase: 272,
  interruptBitmap: 280,
} as const;
/** struct kvm_segment field offsets. */
/** struct kvm_dtable: base u64, limit u16. */
export const DTABLE = { base: 0, limit: 8 } as const;
export const SEG = { base: 0, limit: 8, selector: 12, type: 14, present: 15, dpl: 16, db: 17, s: 18, l: 19, g: 20, avl: 21, unusable: 22 } as const;
export const FPU = { fpr: 0, fcw: 128, fsw: 130, ftwx: 132, lastOpcode: 134, lastIp: 136, lastDp: 144, xmm: 152, mxcsr: 408 } as const;
export const DEBUGREGS = { db: 0, dr6: 32, dr7: 40, flags: 48 } as const;

/** Field offsets of the argument structs the accelerator fills in. */
export const OFF = {
  memoryRegion: { slot: 0, flags: 4, guestPhysAddr: 8, memorySize: 16, userspaceAddr: 24 },
  dirtyLog: { slot: 0, dirtyBitmap: 8 },
  enableCap: { cap: 0, args: 8 },
  ioeventfd: { datamatch: 0, addr: 8, len: 16, fd: 20, flags: 24 },
  irqfd: { fd: 0, gsi: 4, flags: 8, resamplefd: 12 },
  msi: { addressLo: 0, addressHi: 4, data: 8, flags: 12 },
  irqRouting: { nr: 0, entries: 8 },
  /** kvm_irq_routing_entry; `u` is the union: msi {address_lo, address_hi, data}, irqchip {irqchip, pin}. */
  irqRoutingEntry: { gsi: 0, type: 4, u: 16 },
  regs: { rip: 128, rflags: 136 },
  vcpuEvents: { flags: 20 },
  msrs: { nmsrs: 0, entries: 8 },
  msrEntry: { index: 0, data: 8 },
  cpuid2: { nent: 0, entries: 8 },
  cpuidEntry2: { function: 0, index: 4, flags: 8, eax: 12, ebx: 16, ecx: 20, edx: 24 },
  guestDebug: { control: 0, debugreg: 8 },
} as const;

/** The numbers above under the names native/abi-dump.c prints them with. */
export function abiFacts(): Record<string, number> {
  const f: Record<string, number> = {};
  for (const [k, v] of Object.entries(IOCTL)) f[`KVM_${k}`] = v;
  for (const [k, v] of Object.entries(CAP)) f[`KVM_CAP_${k}`] = v;
  for (const [k, v] of Object.entries(EXIT)) if (k !== 'UNKNOWN' && k !== 'HYPERCALL') f[`KVM_EXIT_${k}`] = v;
  Object.assign(f, {
    'sizeof kvm_run': SIZE.run,
    'kvm_run.immediate_exit': RUN.immediateExit,
    'kvm_run.exit_reason': RUN.exitReason,
    'kvm_run.io.direction': RUN.ioDirection,
    'kvm_run.io.size': RUN.ioSize,
    'kvm_run.io.port': RUN.ioPort,
    'kvm_run.io.count': RUN.ioCount,
    'kvm_run.io.data_offset': RUN.ioDataOffset,
    'kvm_run.mmio.phys_addr': RUN.mmioPhysAddr,
    'kvm_run.mmio.data': RUN.mmioData,
    'kvm_run.mmio.len': RUN.mmioLen,
    'kvm_run.mmio.is_write': RUN.mmioIsWrite,
    'kvm_run.fail_entry.hardware_entry_failure_reason': RUN.failEntryReason,
    'kvm_run.fail_entry.cpu': RUN.failEntryCpu,
    'kvm_run.internal.suberror': RUN.internalSuberror,
    'kvm_run.internal.ndata': RUN.internalNdata,
    'kvm_run.internal.data': RUN.internalData,
    'kvm_run.debug.arch.exception': RUN.debugException,
    'kvm_run.debug.arch.pc': RUN.debugPc,
    'kvm_run.debug.arch.dr6': RUN.debugDr6,
    'kvm_run.debug.arch.dr7': RUN.debugDr7,
    'kvm_run.system_event.type': RUN.systemEventType,
    'kvm_run.system_event.ndata': RUN.systemEventNdata,
    'kvm_run.eoi.vector': RUN.eoiVector,
    'sizeof kvm_userspace_memory_region': SIZE.userspaceMemoryRegion,
    'kvm_userspace_memory_region.flags': OFF.memoryRegion.flags,
    'kvm_userspace_memory_region.guest_phys_addr': OFF.memoryRegion.guestPhysAddr,
    'kvm_userspace_memory_region.memory_size': OFF.memoryRegion.memorySize,
    'kvm_userspace_memory_region.userspace_addr': OFF.memoryRegion.userspaceAddr,
    'sizeof kvm_regs': SIZE.regs,
    'kvm_regs.rip': OFF.regs.rip,
    'kvm_regs.rflags': OFF.regs.rflags,
    'kvm_regs.r15': 120,
    'sizeof kvm_segment': SIZE.segment,
    'kvm_segment.limit': SEG.limit,
    'kvm_segment.selector': SEG.selector,
    'kvm_segment.type': SEG.type,
    'kvm_segment.unusable': SEG.unusable,
    'sizeof kvm_dtable': SIZE.dtable,
    'kvm_dtable.limit': DTABLE.limit,
    'sizeof kvm_sregs': SIZE.sregs,
    'kvm_sregs.tr': 6 * SIZE.segment,
    'kvm_sregs.ldt': 7 * SIZE.segment,
    'kvm_sregs.gdt': SREGS.gdt,
    'kvm_sregs.idt': SREGS.idt,
    'kvm_sregs.cr0': SREGS.cr0,
    'kvm_sregs.cr8': SREGS.cr8,
    'kvm_sregs.efer': SREGS.efer,
    'kvm_sregs.apic_base': SREGS.apicBase,
    'kvm_sregs.interrupt_bitmap': SREGS.interruptBitmap,
    'sizeof kvm_fpu': SIZE.fpu,
    'kvm_fpu.fcw': FPU.fcw,
    'kvm_fpu.last_opcode': FPU.lastOpcode,
    'kvm_fpu.last_ip': FPU.lastIp,
    'kvm_fpu.xmm': FPU.xmm,
    'kvm_fpu.mxcsr': FPU.mxcsr,
    'sizeof kvm_xsave': SIZE.xsave,
    'sizeof kvm_debugregs': SIZE.debugregs,
    'kvm_debugregs.dr6': DEBUGREGS.dr6,
    'kvm_debugregs.dr7': DEBUGREGS.dr7,
    'kvm_debugregs.flags': DEBUGREGS.flags,
    'sizeof kvm_vcpu_events': SIZE.vcpuEvents,
    'kvm_vcpu_events.interrupt': 8,
    'kvm_vcpu_events.nmi': 12,
    'kvm_vcpu_events.sipi_vector': 16,
    'kvm_vcpu_events.flags': OFF.vcpuEvents.flags,
    'kvm_vcpu_events.smi': 24,
    'kvm_vcpu_events.exception_has_payload': 55,
    'kvm_vcpu_events.exception_payload': 56,
    'sizeof kvm_lapic_state': SIZE.lapicState,
    'sizeof kvm_msrs': SIZE.msrs,
    'sizeof kvm_msr_entry': SIZE.msrEntry,
    'sizeof kvm_msr_list': SIZE.msrList,
    'sizeof kvm_cpuid2': SIZE.cpuid2,
    'sizeof kvm_cpuid_entry2': SIZE.cpuidEntry2,
    'kvm_cpuid_entry2.flags': OFF.cpuidEntry2.flags,
    'kvm_cpuid_entry2.eax': OFF.cpuidEntry2.eax,
    'kvm_cpuid_entry2.edx': OFF.cpuidEntry2.edx,
    'sizeof kvm_guest_debug': SIZE.guestDebug,
    'kvm_guest_debug.arch.debugreg': OFF.guestDebug.debugreg,
    'sizeof kvm_enable_cap': SIZE.enableCap,
    'kvm_enable_cap.args': OFF.enableCap.args,
    'sizeof kvm_dirty_log': SIZE.dirtyLog,
    'kvm_dirty_log.dirty_bitmap': OFF.dirtyLog.dirtyBitmap,
    'sizeof kvm_ioeventfd': SIZE.ioeventfd,
    'kvm_ioeventfd.addr': OFF.ioeventfd.addr,
    'kvm_ioeventfd.len': OFF.ioeventfd.len,
    'kvm_ioeventfd.fd': OFF.ioeventfd.fd,
    'kvm_ioeventfd.flags': OFF.ioeventfd.flags,
    'sizeof kvm_irqfd': SIZE.irqfd,
    'kvm_irqfd.gsi': OFF.irqfd.gsi,
    'kvm_irqfd.flags': OFF.irqfd.flags,
    'kvm_irqfd.resamplefd': OFF.irqfd.resamplefd,
    'sizeof kvm_msi': SIZE.msi,
    'kvm_msi.address_hi': OFF.msi.addressHi,
    'kvm_msi.data': OFF.msi.data,
    'kvm_msi.flags': OFF.msi.flags,
    'sizeof kvm_irq_routing': SIZE.irqRouting,
    'sizeof kvm_irq_routing_entry': SIZE.irqRoutingEntry,
    'kvm_irq_routing_entry.type': OFF.irqRoutingEntry.type,
    'kvm_irq_routing_entry.u': OFF.irqRoutingEntry.u,
    'sizeof kvm_translation': SIZE.translation,
    'kvm_translation.physical_address': TRANSLATION.physical_address,
    'kvm_translation.valid': TRANSLATION.valid,
    'kvm_translation.writeable': TRANSLATION.writeable,
    'kvm_translation.usermode': TRANSLATION.usermode,
    'sizeof kvm_one_reg': SIZE.oneReg,
    'sizeof kvm_mp_state': SIZE.mpState,
  });
  return f;
}
