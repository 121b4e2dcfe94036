/*
 * Prints, as JSON, the numbers src/accel/kvm/abi.ts hard-codes: ioctl request codes,
 * capability numbers, struct sizes and field offsets, computed by the compiler from the
 * host's <linux/kvm.h>. test/unit/accel/kvm/abi.test.ts builds and runs it and compares.
 * It never opens /dev/kvm.
 */
#include <linux/kvm.h>
#include <stddef.h>
#include <stdio.h>

static int first = 1;
static void item(const char *name, unsigned long long v) {
  printf("%s\"%s\":%llu", first ? "" : ",\n", name, v);
  first = 0;
}
#define N(x) item(#x, (unsigned long long)(x))
#define SZ(t) item("sizeof " #t, sizeof(struct t))
#define OFF(t, f) item(#t "." #f, offsetof(struct t, f))

int main(void) {
  printf("{");
  N(KVM_GET_API_VERSION); N(KVM_CREATE_VM); N(KVM_GET_MSR_INDEX_LIST); N(KVM_CHECK_EXTENSION);
  N(KVM_GET_VCPU_MMAP_SIZE); N(KVM_GET_SUPPORTED_CPUID);
  N(KVM_CREATE_VCPU); N(KVM_GET_DIRTY_LOG); N(KVM_SET_USER_MEMORY_REGION); N(KVM_SET_TSS_ADDR); N(KVM_CREATE_IRQCHIP);
  N(KVM_SET_IDENTITY_MAP_ADDR); N(KVM_SET_GSI_ROUTING); N(KVM_IRQFD); N(KVM_IOEVENTFD);
  N(KVM_REGISTER_COALESCED_MMIO); N(KVM_UNREGISTER_COALESCED_MMIO);
  N(KVM_SIGNAL_MSI); N(KVM_ENABLE_CAP); N(KVM_CLEAR_DIRTY_LOG);
  N(KVM_RUN); N(KVM_GET_REGS); N(KVM_SET_REGS); N(KVM_GET_SREGS); N(KVM_SET_SREGS);
  N(KVM_TRANSLATE); N(KVM_GET_MSRS); N(KVM_SET_MSRS); N(KVM_SET_CPUID2); N(KVM_GET_FPU);
  N(KVM_SET_FPU); N(KVM_GET_LAPIC); N(KVM_SET_LAPIC); N(KVM_GET_MP_STATE); N(KVM_SET_MP_STATE);
  N(KVM_SET_GUEST_DEBUG); N(KVM_GET_VCPU_EVENTS); N(KVM_SET_VCPU_EVENTS); N(KVM_GET_DEBUGREGS);
  N(KVM_SET_DEBUGREGS); N(KVM_GET_XSAVE); N(KVM_SET_XSAVE); N(KVM_GET_XSAVE2); N(KVM_GET_ONE_REG);
  N(KVM_SET_ONE_REG);
  N(KVM_CAP_IRQCHIP); N(KVM_CAP_NR_VCPUS); N(KVM_CAP_MAX_VCPUS); N(KVM_CAP_NR_MEMSLOTS);
  N(KVM_CAP_SET_GUEST_DEBUG); N(KVM_CAP_IRQ_ROUTING); N(KVM_CAP_IRQFD); N(KVM_CAP_IOEVENTFD);
  N(KVM_CAP_SIGNAL_MSI); N(KVM_CAP_READONLY_MEM); N(KVM_CAP_IRQFD_RESAMPLE); N(KVM_CAP_ONE_REG);
  N(KVM_CAP_DEBUGREGS); N(KVM_CAP_XSAVE); N(KVM_CAP_XSAVE2); N(KVM_CAP_VCPU_EVENTS);
  N(KVM_CAP_SPLIT_IRQCHIP); N(KVM_CAP_IMMEDIATE_EXIT); N(KVM_CAP_USER_MEMORY); N(KVM_CAP_EXT_CPUID);
  N(KVM_CAP_SET_TSS_ADDR); N(KVM_CAP_MP_STATE); N(KVM_CAP_ADJUST_CLOCK); N(KVM_CAP_IOEVENTFD_ANY_LENGTH);
  N(KVM_CAP_COALESCED_MMIO); N(KVM_CAP_COALESCED_PIO);
  N(KVM_EXIT_IO); N(KVM_EXIT_DEBUG); N(KVM_EXIT_HLT); N(KVM_EXIT_MMIO); N(KVM_EXIT_SHUTDOWN);
  N(KVM_EXIT_FAIL_ENTRY); N(KVM_EXIT_INTR); N(KVM_EXIT_INTERNAL_ERROR); N(KVM_EXIT_SYSTEM_EVENT);
  N(KVM_EXIT_IOAPIC_EOI); N(KVM_EXIT_EXCEPTION); N(KVM_EXIT_IRQ_WINDOW_OPEN);
  SZ(kvm_run); OFF(kvm_run, immediate_exit); OFF(kvm_run, exit_reason); OFF(kvm_run, io.direction);
  OFF(kvm_run, io.size); OFF(kvm_run, io.port); OFF(kvm_run, io.count); OFF(kvm_run, io.data_offset);
  OFF(kvm_run, mmio.phys_addr); OFF(kvm_run, mmio.data); OFF(kvm_run, mmio.len); OFF(kvm_run, mmio.is_write);
  OFF(kvm_run, fail_entry.hardware_entry_failure_reason); OFF(kvm_run, fail_entry.cpu);
  OFF(kvm_run, internal.suberror); OFF(kvm_run, internal.ndata); OFF(kvm_run, internal.data);
  OFF(kvm_run, debug.arch.exception); OFF(kvm_run, debug.arch.pc); OFF(kvm_run, debug.arch.dr6);
  OFF(kvm_run, debug.arch.dr7); OFF(kvm_run, system_event.type); OFF(kvm_run, system_event.ndata);
  OFF(kvm_run, eoi.vector);
  SZ(kvm_userspace_memory_region); OFF(kvm_userspace_memory_region, flags);
  OFF(kvm_userspace_memory_region, guest_phys_addr); OFF(kvm_userspace_memory_region, memory_size);
  OFF(kvm_userspace_memory_region, userspace_addr);
  SZ(kvm_regs); OFF(kvm_regs, rip); OFF(kvm_regs, rflags); OFF(kvm_regs, r15);
  SZ(kvm_segment); OFF(kvm_segment, limit); OFF(kvm_segment, selector); OFF(kvm_segment, type);
  OFF(kvm_segment, unusable); SZ(kvm_dtable); OFF(kvm_dtable, limit);
  SZ(kvm_sregs); OFF(kvm_sregs, tr); OFF(kvm_sregs, ldt); OFF(kvm_sregs, gdt); OFF(kvm_sregs, idt);
  OFF(kvm_sregs, cr0); OFF(kvm_sregs, cr8); OFF(kvm_sregs, efer); OFF(kvm_sregs, apic_base);
  OFF(kvm_sregs, interrupt_bitmap);
  SZ(kvm_fpu); OFF(kvm_fpu, fcw); OFF(kvm_fpu, last_opcode); OFF(kvm_fpu, last_ip); OFF(kvm_fpu, xmm);
  OFF(kvm_fpu, mxcsr);
  SZ(kvm_xsave); SZ(kvm_debugregs); OFF(kvm_debugregs, dr6); OFF(kvm_debugregs, dr7); OFF(kvm_debugregs, flags);
  SZ(kvm_vcpu_events); OFF(kvm_vcpu_events, interrupt); OFF(kvm_vcpu_events, nmi); OFF(kvm_vcpu_events, sipi_vector);
  OFF(kvm_vcpu_events, flags); OFF(kvm_vcpu_events, smi); OFF(kvm_vcpu_events, exception_has_payload);
  OFF(kvm_vcpu_events, exception_payload);
  SZ(kvm_lapic_state); SZ(kvm_msrs); SZ(kvm_msr_entry); SZ(kvm_msr_list); SZ(kvm_cpuid2); SZ(kvm_cpuid_entry2);
  OFF(kvm_cpuid_entry2, flags); OFF(kvm_cpuid_entry2, eax); OFF(kvm_cpuid_entry2, edx);
  SZ(kvm_guest_debug); OFF(kvm_guest_debug, arch.debugreg);
  SZ(kvm_enable_cap); OFF(kvm_enable_cap, args); SZ(kvm_dirty_log); OFF(kvm_dirty_log, dirty_bitmap);
  SZ(kvm_ioeventfd); OFF(kvm_ioeventfd, addr); OFF(kvm_ioeventfd, len); OFF(kvm_ioeventfd, fd); OFF(kvm_ioeventfd, flags);
  SZ(kvm_irqfd); OFF(kvm_irqfd, gsi); OFF(kvm_irqfd, flags); OFF(kvm_irqfd, resamplefd);
  SZ(kvm_msi); OFF(kvm_msi, address_hi); OFF(kvm_msi, data); OFF(kvm_msi, flags);
  SZ(kvm_irq_routing); SZ(kvm_irq_routing_entry); OFF(kvm_irq_routing_entry, type); OFF(kvm_irq_routing_entry, u);
  SZ(kvm_translation); OFF(kvm_translation, physical_address); OFF(kvm_translation, valid);
  OFF(kvm_translation, writeable); OFF(kvm_translation, usermode);
  SZ(kvm_one_reg); SZ(kvm_mp_state);
  printf("}\n");
  return 0;
}
