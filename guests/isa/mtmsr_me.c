/*
 * ISA-only: mtmsr and MSR[ME].
 *
 * Power ISA 2.06 Book III-E, mtmsr: "MSR <- (RS)" for every defined bit,
 * ME included (only an interrupt or rfmci changes it otherwise).
 *
 * QEMU 7.2 never changes ME with mtmsr.  Not compared with QEMU.
 */
#include "test.h"

int main(void)
{
	printf("== mtmsr_me\n");
	mtmsr(MSR_ME);
	uint32_t a = mfmsr();
	mtmsr(MSR_ME | MSR_EE);
	uint32_t b = mfmsr();
	mtmsr(0);
	uint32_t c = mfmsr();
	printf("mtmsr ME -> %08x, ME|EE -> %08x, 0 -> %08x\n", a, b, c);
	printf("== end\n");
	return 0;
}
