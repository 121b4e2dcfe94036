/*
 * Decrementer: TSR[DIS] on expiry and its write-1-to-clear, the interrupt
 * gated by TCR[DIE] and MSR[EE] (taken right after the wrteei that
 * enables it), one-shot vs auto-reload from DECAR (counted exactly N
 * times: the handler stops it).  DEC itself is never read: QEMU 7.2 as
 * packaged by Debian returns 0 while it counts and a negative count after
 * expiry (see isa/dec_read.c).  DECAR is write-only (QEMU faults a read).
 */
#include "test.h"

static volatile unsigned ticks, stop_after;

static void dec_hook(struct exc_frame *f)
{
	exc_record(f);
	ticks++;
	mtspr(SPR_TSR, TSR_DIS);
	if (ticks >= stop_after)
		mtspr(SPR_TCR, 0);
}

/* Spin until cond or ~1 s of timebase (generous: hosts under load are slow); returns cond. */
#define WAIT(cond) ({							\
	uint64_t t0_ = read_tb();					\
	while (!(cond) && read_tb() - t0_ < 400000000)			\
		;							\
	(cond);								\
})

static const char *yn(int c) { return c ? "yes" : "NO"; }

int main(void)
{
	printf("== dec (%s)\n", CPU_NAME);
	exc_set_hook(IVOR_DEC, dec_hook);
	mtspr(SPR_TCR, 0);
	mtspr(SPR_TSR, 0xffffffff);

	/* Expiry sets TSR[DIS]; nothing is taken with DIE = 0. */
	printf("tsr before: %08x\n", mfspr(SPR_TSR));
	mtspr(SPR_DEC, 4000);
	printf("DIS set on expiry: %s\n", yn(WAIT(mfspr(SPR_TSR) & TSR_DIS)));
	mtspr(SPR_TSR, 0);
	printf("tsr after writing 0: %08x\n", mfspr(SPR_TSR));
	mtspr(SPR_TSR, TSR_DIS);
	printf("tsr after writing DIS: %08x\n", mfspr(SPR_TSR));

	/* Pending DIS + DIE, EE off: waits; wrteei 1 takes it at once. */
	stop_after = 1;
	mtspr(SPR_DEC, 4000);
	WAIT(mfspr(SPR_TSR) & TSR_DIS);
	mtspr(SPR_TCR, TCR_DIE);
	for (volatile int i = 0; i < 1000; i++)
		;
	printf("EE=0: %u interrupts\n", ticks);
	uint32_t at;
	__asm__ __volatile__("lis %0,1f@ha\n\taddi %0,%0,1f@l\n\t"
			     "wrteei 1\n"
			     "1:\twrteei 0"
			     : "=&b"(at) : : "memory");
	printf("after wrteei 1: %u interrupt, srr0 %s, srr1 %08x, tsr %08x\n",
	       ticks, exc_last.pc == at ? "next insn" : "WRONG", exc_last.msr,
	       mfspr(SPR_TSR));

	/* DIE off, EE on: DIS alone does nothing. */
	ticks = 0;
	mtspr(SPR_TCR, 0);
	mtspr(SPR_DEC, 4000);
	WAIT(mfspr(SPR_TSR) & TSR_DIS);
	mtmsr(MSR_EE);
	for (volatile int i = 0; i < 1000; i++)
		;
	printf("DIE=0 EE=1: %u interrupts\n", ticks);
	mtspr(SPR_TCR, TCR_DIE);	/* now it is taken */
	WAIT(ticks == 1);
	mtmsr(0);
	printf("then DIE=1: %u interrupt, srr1 %08x\n", ticks, exc_last.msr);

	/* One-shot: exactly one interrupt without ARE. */
	ticks = 0;
	stop_after = 1000;
	mtspr(SPR_TSR, TSR_DIS);
	mtspr(SPR_TCR, TCR_DIE);
	mtspr(SPR_DEC, 40000);
	mtmsr(MSR_EE);
	WAIT(ticks >= 1);
	for (volatile int i = 0; i < 100000; i++)
		;
	mtmsr(0);
	mtspr(SPR_TCR, 0);
	printf("one-shot: %u interrupt(s)\n", ticks);

	/* Auto-reload: DECAR = 100 us, stop inside the 7th interrupt. */
	ticks = 0;
	stop_after = 7;
	mtspr(SPR_DECAR, 40000);
	mtspr(SPR_TSR, TSR_DIS);
	mtspr(SPR_TCR, TCR_DIE | TCR_ARE);
	mtspr(SPR_DEC, 40000);
	mtmsr(MSR_EE);
	int done = WAIT(ticks >= 7);
	for (volatile int i = 0; i < 100000; i++)
		;
	mtmsr(0);
	printf("auto-reload: %u interrupts (reached 7: %s), tcr %08x\n", ticks,
	       yn(done), mfspr(SPR_TCR));

	mtspr(SPR_DEC, 0x7fffffff);
	mtspr(SPR_TSR, TSR_DIS);
	printf("== end\n");
	return 0;
}
