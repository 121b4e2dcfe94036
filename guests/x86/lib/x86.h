/* The x86 guest library: console, ports, MMIO, CPU tables, traps, CPL3. */
#ifndef X86_GUEST_H
#define X86_GUEST_H

#include <stdint.h>
#include <stddef.h>
#include "asm.h"

/* ---- port I/O -------------------------------------------------------- */
static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t inw(uint16_t port) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

/* String forms: `count` items from/to memory, one exit (or one emulation) per rep. */
static inline void outsb(uint16_t port, const void *p, size_t n) { __asm__ volatile("rep outsb" : "+S"(p), "+c"(n) : "d"(port) : "memory"); }
static inline void outsw(uint16_t port, const void *p, size_t n) { __asm__ volatile("rep outsw" : "+S"(p), "+c"(n) : "d"(port) : "memory"); }
static inline void outsl(uint16_t port, const void *p, size_t n) { __asm__ volatile("rep outsl" : "+S"(p), "+c"(n) : "d"(port) : "memory"); }
static inline void insb(uint16_t port, void *p, size_t n) { __asm__ volatile("rep insb" : "+D"(p), "+c"(n) : "d"(port) : "memory"); }
static inline void insw(uint16_t port, void *p, size_t n) { __asm__ volatile("rep insw" : "+D"(p), "+c"(n) : "d"(port) : "memory"); }
static inline void insl(uint16_t port, void *p, size_t n) { __asm__ volatile("rep insl" : "+D"(p), "+c"(n) : "d"(port) : "memory"); }

/* ---- MMIO, control registers, MSRs ------------------------------------ */
static inline uint8_t mmio_read8(uint64_t addr) { return *(volatile uint8_t *)addr; }
static inline uint16_t mmio_read16(uint64_t addr) { return *(volatile uint16_t *)addr; }
static inline uint32_t mmio_read32(uint64_t addr) { return *(volatile uint32_t *)addr; }
static inline uint64_t mmio_read64(uint64_t addr) { return *(volatile uint64_t *)addr; }
static inline void mmio_write8(uint64_t addr, uint8_t v) { *(volatile uint8_t *)addr = v; }
static inline void mmio_write16(uint64_t addr, uint16_t v) { *(volatile uint16_t *)addr = v; }
static inline void mmio_write32(uint64_t addr, uint32_t v) { *(volatile uint32_t *)addr = v; }
static inline void mmio_write64(uint64_t addr, uint64_t v) { *(volatile uint64_t *)addr = v; }
static inline uint64_t read_cr0(void) { uint64_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr2(void) { uint64_t v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr3(void) { uint64_t v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline uint64_t read_cr4(void) { uint64_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}
static inline void invlpg(uint64_t addr) { __asm__ volatile("invlpg (%0)" : : "r"(addr) : "memory"); }
static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
/* sti;hlt back to back: an interrupt already pending still ends the hlt. */
static inline void sti_hlt(void) { __asm__ volatile("sti; hlt" ::: "memory"); }

/* ---- console (16550 at 0x3f8, polled) and the end of the run ---------- */
#define COM1 0x3f8
void putchar_(char c);
void print(const char *s);
void printf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define printf printf_
/* isa-debug-exit at 0xf4: the VMM exits with status (code << 1) | 1. */
void debug_exit(uint32_t code) __attribute__((noreturn));

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
size_t strlen(const char *s);

/* ---- what the loader left (start.S) ---------------------------------- */
extern uint32_t entry_eax, entry_ebx, entry_esi, entry_eflags, entry_cr0, entry_cr4;
extern uint16_t entry_cs, entry_ds, entry_es, entry_ss;
/* sgdt at entry: 16-bit limit, 32-bit base. */
extern struct { uint16_t limit; uint32_t base; } __attribute__((packed)) entry_gdtr;

/* hvm_start_info and friends (Xen public/arch-x86/hvm/start_info.h). */
struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};
struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};
struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};
#define XEN_HVM_START_MAGIC_VALUE 0x336ec578u

/* ---- CPU tables and traps --------------------------------------------- */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};
typedef void (*trap_handler)(struct trap_frame *f);

/* GDT with a TSS, IDT with every vector; #BP gets a DPL 3 gate. */
void cpu_init(void);
void set_trap_handler(unsigned vector, trap_handler h);
/* Unhandled traps print a line and end the run with status 0x7f. */

/* What ended the last run_user call when it did not return normally. */
struct user_fault {
	int faulted;
	uint64_t vector, error, rip, cr2;
};
extern struct user_fault last_user_fault;
/* fn(arg) at CPL3 on a stack of its own; -1 and last_user_fault on a fault. */
long run_user(long (*fn)(long), long arg);
/*
 * The same with interrupts enabled (RFLAGS.IF = 1): external interrupts
 * with a handler are taken and the CPL3 code resumes.  PVM delivers
 * interrupts only while the guest runs natively at CPL3, so this is
 * where guests that must also run there take them.
 */
long run_user_irq(long (*fn)(long), long arg);
extern char user_int3[];

/* ---- local APIC and IOAPIC (xAPIC MMIO, identity-mapped) -------------- */
#define LAPIC_BASE 0xfee00000ull
#define LAPIC_ID   0x020
#define LAPIC_EOI  0x0b0
#define LAPIC_SVR  0x0f0
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define IOAPIC_BASE 0xfec00000ull
static inline uint32_t lapic_read(unsigned reg) { return mmio_read32(LAPIC_BASE + reg); }
static inline void lapic_write(unsigned reg, uint32_t v) { mmio_write32(LAPIC_BASE + reg, v); }
static inline uint32_t ioapic_read(unsigned reg)
{
	mmio_write32(IOAPIC_BASE, reg);
	return mmio_read32(IOAPIC_BASE + 0x10);
}
static inline void ioapic_write(unsigned reg, uint32_t v)
{
	mmio_write32(IOAPIC_BASE, reg);
	mmio_write32(IOAPIC_BASE + 0x10, v);
}

/* 2 MiB page-directory entry that maps `addr` (identity map of start.S). */
uint64_t *pde_for(uint64_t addr);

#endif
