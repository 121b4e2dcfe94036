/*
 * ISA-only: the MSR on entry to a base-class interrupt.
 *
 * Power ISA 2.06 Book III-E, 7.6 "Interrupt Definitions" (MSR settings
 * table): for base-class interrupts (SRR0/SRR1: system call, program,
 * DSI, ...) MSR[CE], MSR[ME] and MSR[DE] are unchanged and the other bits
 * (EE, PR, FP, IS, DS, ...) are cleared.
 *
 * QEMU 7.2 clears everything but ME, so the handler would see CE and DE
 * cleared; this guest is not compared with QEMU.
 */
#include "test.h"

static volatile uint32_t in_handler;

static void hook(struct exc_frame *f)
{
	exc_record(f);
	in_handler = mfmsr();
	if (f->vec != IVOR_SYSCALL)
		f->pc += 4;
}

int main(void)
{
	printf("== intr_msr\n");
	exc_set_hook(IVOR_SYSCALL, hook);
	exc_set_hook(IVOR_PROGRAM, hook);

	static const uint32_t msrs[] = { MSR_CE, MSR_DE, MSR_CE | MSR_DE,
					 MSR_CE | MSR_DE | MSR_EE };
	for (unsigned i = 0; i < 4; i++) {
		mtmsr(msrs[i]);
		__asm__ __volatile__("sc");
		uint32_t sc_msr = in_handler, sc_srr1 = exc_last.msr;
		mtmsr(msrs[i]);
		__asm__ __volatile__("trap");
		mtmsr(0);
		printf("msr %08x: sc handler msr %08x srr1 %08x, trap handler"
		       " msr %08x\n", msrs[i], sc_msr, sc_srr1, in_handler);
	}
	printf("== end\n");
	return 0;
}
