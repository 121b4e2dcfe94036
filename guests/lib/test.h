/*
 * Umbrella header for test programs: registers, console, interrupts, TLB.
 *
 * A test is a `int main(void)` that prints labelled, deterministic lines.
 * When main returns, the library requests a system reset through GUTS
 * RSTCR, which ends QEMU (and ngkvm) when run with -no-reboot.
 */
#ifndef TEST_H
#define TEST_H
#include <stdint.h>
#include <stddef.h>
#include "ppc.h"
#include "console.h"
#include "exc.h"
#include "tlb.h"
#include "probe.h"

#if defined(CPU_E500MC)
#define CPU_NAME "e500mc"
#define TLB1_ENTRIES 64
#elif defined(CPU_E500V2)
#define CPU_NAME "e500v2"
#define TLB1_ENTRIES 16
#else
#error "build with -DCPU_E500V2 or -DCPU_E500MC"
#endif

/* Device-tree address the boot loader passed in r3. */
extern uint32_t boot_dtb;

/* Request a system reset (GUTS RSTCR) and wait for it. */
void reset(void) __attribute__((noreturn));

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/*
 * PROBE(name, setup, insn) defines `uint32_t name(uint32_t arg)` which runs
 * the assembler text `setup` and then the single instruction `insn`, and
 * returns the address of that instruction, so a test can compare SRR0
 * with it.  arg arrives in r3; r3-r5 may be used freely by the text.
 * Works in any mode (e.g. through call_with_msr for user mode).
 */
#define PROBE(name, setup, insn)					\
static uint32_t name(uint32_t arg) __attribute__((noinline));		\
static uint32_t name(uint32_t arg)					\
{									\
	register uint32_t r3_ __asm__("r3") = arg;			\
	uint32_t a_;							\
	__asm__ __volatile__(setup "\n\t"				\
			     "lis %0,1f@ha\n\taddi %0,%0,1f@l\n"	\
			     "1:\t" insn				\
			     : "=&b"(a_), "+r"(r3_)			\
			     : : "r4", "r5", "cr0", "xer", "memory");	\
	return a_;							\
}

/* Same with a second argument in r4. */
#define PROBE2(name, setup, insn)					\
static uint32_t name(uint32_t arg, uint32_t arg2) __attribute__((noinline)); \
static uint32_t name(uint32_t arg, uint32_t arg2)			\
{									\
	register uint32_t r3_ __asm__("r3") = arg;			\
	register uint32_t r4_ __asm__("r4") = arg2;			\
	uint32_t a_;							\
	__asm__ __volatile__(setup "\n\t"				\
			     "lis %0,1f@ha\n\taddi %0,%0,1f@l\n"	\
			     "1:\t" insn				\
			     : "=&b"(a_), "+r"(r3_), "+r"(r4_)		\
			     : : "r5", "cr0", "xer", "memory");		\
	return a_;							\
}

/* SRR0 relative to an instruction address, e.g. "insn", "insn+4". */
static inline const char *rel_pc(uint32_t pc, uint32_t insn)
{
	if (pc == insn)
		return "insn";
	if (pc == insn + 4)
		return "insn+4";
	return "ELSEWHERE";
}

#endif
