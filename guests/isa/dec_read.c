/*
 * ISA-only: reading the decrementer.
 *
 * Power ISA 2.06 Book III-E, 9.3 "Decrementer": DEC decrements at the
 * timebase frequency; "if the Decrementer is decremented from 1 to 0 and
 * TCR[ARE] = 0, the Decrementer stops decrementing" (it then reads 0);
 * with TCR[ARE] = 1 it is reloaded from DECAR.
 *
 * QEMU 7.2 (Debian 7.2+dfsg-7+deb12u18) reads DEC as 0 while it is still
 * counting and as a growing negative number after it expired, so this
 * guest is not compared with QEMU; isa/dec_read.expected is the output
 * the ISA implies.
 */
#include "test.h"

static const char *yn(int c) { return c ? "yes" : "no"; }

/*
 * The time base and DEC follow the host clock, and the host may keep the
 * emulator off the CPU between any two instructions (on a loaded test
 * machine, for milliseconds). So no check below depends on how long two
 * adjacent instructions take: a (DEC, TB) pair is read with DEC on both
 * sides of the TB read and taken again until the two DEC reads are within
 * 4000 ticks (10 us) of each other; a stall only costs a retry.
 */
static void sample(uint32_t *dec, uint64_t *tb)
{
	for (;;) {
		uint32_t d0 = mfspr(SPR_DEC);
		uint64_t t = read_tb();
		uint32_t d1 = mfspr(SPR_DEC);
		if (d0 - d1 < 4000) {
			*dec = d0 - (d0 - d1) / 2;
			*tb = t;
			return;
		}
	}
}

int main(void)
{
	printf("== dec_read\n");
	mtspr(SPR_TCR, 0);
	mtspr(SPR_DEC, 0x7fffffff);
	uint32_t a = mfspr(SPR_DEC), b = mfspr(SPR_DEC);
	printf("counts down: %s\n", yn(b < a && a <= 0x7fffffff));

	/* Below the written value by less than 2^29 ticks (~1.3 s): more
	 * than any stall between the write and the read. */
	mtspr(SPR_DEC, 0x40000000);
	a = mfspr(SPR_DEC);
	printf("reads back at most the written value: %s\n",
	       yn(a <= 0x40000000 && a > 0x20000000));

	/* Rate: within 10% of the timebase over ~0.1 s of timebase. */
	mtspr(SPR_DEC, 0x7fffffff);
	uint32_t d0, d1;
	uint64_t t0, t1;
	sample(&d0, &t0);
	while (read_tb() - t0 < 40000000)
		;
	sample(&d1, &t1);
	uint32_t dd = d0 - d1, dt = (uint32_t)(t1 - t0);
	printf("falls at the timebase rate: %s\n",
	       yn((dd > dt ? dd - dt : dt - dd) < dt / 10));

	/* Expiry without ARE: stops at 0. */
	mtspr(SPR_TSR, TSR_DIS);
	mtspr(SPR_DEC, 4000);
	t0 = read_tb();
	while (!(mfspr(SPR_TSR) & TSR_DIS) && read_tb() - t0 < 40000000)
		;
	for (volatile int i = 0; i < 100000; i++)
		;
	printf("after expiry without ARE: %08x\n", mfspr(SPR_DEC));

	/* With ARE the value after expiry comes from DECAR (never 0 for
	 * long, never above DECAR). */
	mtspr(SPR_DECAR, 100000);
	mtspr(SPR_TCR, TCR_ARE);
	mtspr(SPR_TSR, TSR_DIS);
	mtspr(SPR_DEC, 4000);
	t0 = read_tb();
	while (!(mfspr(SPR_TSR) & TSR_DIS) && read_tb() - t0 < 40000000)
		;
	a = mfspr(SPR_DEC);
	printf("after expiry with ARE, reloaded below DECAR: %s\n",
	       yn(a <= 100000 && a > 0));
	mtspr(SPR_TCR, 0);
	mtspr(SPR_TSR, TSR_DIS);
	printf("== end\n");
	return 0;
}
