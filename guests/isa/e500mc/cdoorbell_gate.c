/*
 * ISA-only (e500mc): what gates the critical doorbell.
 *
 * Power ISA 2.06 Book III-E, 7.6.22 "Processor Doorbell Critical
 * Interrupt": taken when a critical doorbell is pending and MSR[CE] = 1
 * (critical class, CSRR0/CSRR1); MSR[EE] does not matter.
 *
 * QEMU 7.2 gates it with MSR[EE] instead: it is taken with EE = 1,
 * CE = 0 and not with CE = 1, EE = 0.  Not compared with QEMU.
 */
#include "test.h"

static volatile unsigned n;

static void hook(struct exc_frame *f)
{
	exc_record(f);
	n++;
}

static void window(uint32_t msr)
{
	mtmsr(msr);
	for (volatile int i = 0; i < 1000; i++)
		;
	mtmsr(0);
}

int main(void)
{
	printf("== cdoorbell_gate\n");
	exc_set_hook(IVOR_CDOORBELL, hook);
	register uint32_t r4 __asm__("r4") = 0x08000000;	/* critical, PIR 0 */
	__asm__ __volatile__(".long 0x7c00219c" : : "r"(r4));	/* msgsnd r4 */
	window(MSR_EE);
	printf("EE=1 CE=0: %u interrupt(s)\n", n);
	window(MSR_CE);
	printf("then CE=1 EE=0: %u interrupt(s), ivor %u csrr1 %08x\n", n,
	       exc_last.vec, exc_last.msr);
	printf("== end\n");
	return 0;
}
