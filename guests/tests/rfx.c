/*
 * Return-from-interrupt instructions without taking an interrupt: each
 * loads the PC from its save/restore register 0 and the MSR from register
 * 1 (rfi: SRR, rfci: CSRR, rfdi: DSRR, rfmci: MCSRR on e500mc only; QEMU
 * rejects rfmci on e500v2).  The low two bits of the saved PC are
 * ignored.  MSR[ME] is never used: QEMU's mtmsr could not clear it again.
 */
#include "test.h"

#define K_RFI   0
#define K_RFCI  1
#define K_RFDI  2
#define K_RFMCI 3

/* Jump with the chosen instruction to label 1 (plus `low` in the low PC
 * bits) with MSR = msr; returns the MSR seen there and restores MSR = 0. */
static uint32_t rf_to(unsigned kind, uint32_t msr, uint32_t low)
{
	uint32_t m;
	__asm__ __volatile__(
		"lis 5,1f@ha\n\taddi 5,5,1f@l\n\tor 5,5,%[low]\n\t"
		"cmpwi %[k],1\n\tbeq 11f\n\t"
		"cmpwi %[k],2\n\tbeq 12f\n\t"
		"cmpwi %[k],3\n\tbeq 13f\n\t"
		"mtspr 26,5\n\tmtspr 27,%[msr]\n\trfi\n"
		"11:\tmtspr 58,5\n\tmtspr 59,%[msr]\n\trfci\n"
		"12:\tmtspr 574,5\n\tmtspr 575,%[msr]\n\t.long 0x4c00004e\n"
		"13:\tmtspr 570,5\n\tmtspr 571,%[msr]\n\t.long 0x4c00004c\n"
		"1:\tmfmsr %[m]\n\t"
		"li 5,0\n\tmtmsr 5\n\tisync"
		: [m] "=&r"(m)
		: [k] "r"(kind), [msr] "r"(msr), [low] "r"(low)
		: "r5", "cr0", "memory");
	return m;
}

static const char *const names[] = { "rfi", "rfci", "rfdi", "rfmci" };

/* sc hook: note the MSR it came from and continue in supervisor AS0. */
static void back_to_supervisor(struct exc_frame *f)
{
	exc_record(f);
	f->msr = 0;
}

int main(void)
{
	printf("== rfx (%s)\n", CPU_NAME);
#ifdef CPU_E500MC
	const unsigned nkinds = 4;
#else
	const unsigned nkinds = 3;
#endif
	static const uint32_t msrs[] = {
		0, MSR_EE, MSR_CE, MSR_DE, MSR_EE | MSR_CE | MSR_DE,
	};
	for (unsigned k = 0; k < nkinds; k++) {
		printf("%-5s:", names[k]);
		for (unsigned i = 0; i < sizeof(msrs) / sizeof(msrs[0]); i++)
			printf(" %08x->%08x", msrs[i], rf_to(k, msrs[i], 0));
		printf(" | pc|3 -> msr %08x\n", rf_to(k, MSR_CE, 3));
	}

	/* Into user mode and address space 1 (and back via sc). */
	tlb1_map(5, 0, 0, TSIZE_64M, 0, MAS3_ALL, 0, 1, 0);
	exc_set_hook(IVOR_SYSCALL, back_to_supervisor);
	exc_clear();
	__asm__ __volatile__(
		"lis 5,1f@ha\n\taddi 5,5,1f@l\n\tmtsrr0 5\n\t"
		"li 5,0x4030\n\tmtsrr1 5\n\trfi\n"	/* PR|IS|DS */
		"1:\tli 0,0x77\n\tsc"
		: : : "r0", "r5", "memory");
	printf("rfi to PR|IS|DS: %u sc from msr %08x with r0 %x\n", exc_count,
	       exc_last.msr, exc_last.gpr[0]);
	tlb1_unmap(5);
	printf("== end\n");
	return 0;
}
