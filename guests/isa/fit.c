/*
 * ISA-only: the fixed-interval timer.
 *
 * Power ISA 2.06 Book III-E, 9.5 "Fixed-Interval Timer": a FIT exception
 * occurs (TSR[FIS] is set) when the timebase bit selected by TCR[FP]
 * changes from 0 to 1; with TCR[FIE] = 1 and MSR[EE] = 1 it raises the
 * fixed-interval timer interrupt (IVOR11, SRR0/SRR1), which software
 * acknowledges by writing 1 to TSR[FIS].  On e500 the bit number in IBM
 * order is TCR[FPEXT] || TCR[FP] (e500 core reference manual, TCR).
 *
 * QEMU 7.2 never fires the FIT (its timer is only armed while FIS is
 * already set), so this guest is not compared with QEMU.
 */
#include "test.h"

#define TCR_FPEXT(n) ((uint32_t)(n) << 13)
#define TCR_FP(n)    ((uint32_t)(n) << 24)

/* How long to wait for what should take well under a millisecond: ~10 s
 * of time base, so a host that keeps the emulator off the CPU for a while
 * (a loaded test machine) cannot make a wait end before its event. */
#define TIMEOUT 4000000000ull

static volatile unsigned n;

static void fit_hook(struct exc_frame *f)
{
	exc_record(f);
	n++;
	mtspr(SPR_TSR, TSR_FIS);
	if (n == 5)
		mtspr(SPR_TCR, 0);
}

int main(void)
{
	printf("== fit\n");
	exc_set_hook(IVOR_FIT, fit_hook);
	mtspr(SPR_TSR, 0xffffffff);

	/* IBM bit 47 = 0xB<<2 | 3: period 2^17 ticks (~330 us). */
	mtspr(SPR_TCR, TCR_FPEXT(0xb) | TCR_FP(3));
	uint64_t t0 = read_tb();
	while (!(mfspr(SPR_TSR) & TSR_FIS) && read_tb() - t0 < TIMEOUT)
		;
	printf("FIS without FIE: %s, interrupts %u\n",
	       mfspr(SPR_TSR) & TSR_FIS ? "set" : "clear", n);

	mtspr(SPR_TSR, TSR_FIS);
	mtspr(SPR_TCR, TCR_FPEXT(0xb) | TCR_FP(3) | TCR_FIE);
	mtmsr(MSR_EE);
	t0 = read_tb();
	while (n < 5 && read_tb() - t0 < TIMEOUT)
		;
	mtmsr(0);
	printf("with FIE and EE: %u interrupts, srr1 %08x, tcr %08x\n", n,
	       exc_last.msr, mfspr(SPR_TCR));
	mtspr(SPR_TSR, TSR_FIS);
	printf("== end\n");
	return 0;
}
