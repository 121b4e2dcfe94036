/*
 * ISA-only: the watchdog timer.
 *
 * Power ISA 2.06 Book III-E, 9.6 "Watchdog Timer": when the timebase bit
 * selected by TCR[WP] (e500: TCR[WPEXT] || TCR[WP]) changes from 0 to 1:
 *   - if TSR[ENW] = 0, ENW is set;
 *   - else if TSR[WIS] = 0, WIS is set, which with TCR[WIE] = 1 and
 *     MSR[CE] = 1 raises the watchdog interrupt (critical class: IVOR12,
 *     CSRR0/CSRR1);
 *   - else (ENW = WIS = 1) TSR[WRS] is loaded from TCR[WRC] and, if WRC
 *     is not 0, a reset is requested.  On e500 (core reference manual,
 *     TCR[WRC]) WRC = 0b10 asserts the core's reset request, which the
 *     ppce500 board turns into a system reset like GUTS RSTCR; under
 *     --no-reboot the run ends there.
 *
 * QEMU 7.2 never runs its watchdog timer (armed only while WIS is already
 * set), so this guest is not compared with QEMU.  The expected output ends
 * with the "waiting" line: anything after it means no reset happened.
 */
#include "test.h"

#define TCR_WP(n)    ((uint32_t)(n) << 30)
#define TCR_WRC(n)   ((uint32_t)(n) << 28)
#define TCR_WPEXT(n) ((uint32_t)(n) << 17)

/* IBM bit 45 = 0xB<<2 | 1: the selected bit rises every 2^19 ticks
 * (~1.3 ms at 400 MHz), slow enough for a slow emulator to keep up. */
#define PERIOD (TCR_WPEXT(0xb) | TCR_WP(1))
/* IBM bit 37 = 0x9<<2 | 1: every 2^27 ticks (~0.34 s). The time base follows the
 * host clock, so a check that must see exactly one expiry uses a period far longer
 * than the host can keep the emulator off the CPU. */
#define SLOW_PERIOD (TCR_WPEXT(0x9) | TCR_WP(1))

static volatile unsigned n;
static volatile uint32_t tsr_seen;

static void wdt_hook(struct exc_frame *f)
{
	exc_record(f);
	if (n++ == 0)
		tsr_seen = mfspr(SPR_TSR);
	mtspr(SPR_TSR, TSR_ENW | TSR_WIS);
	if (n == 3)
		mtspr(SPR_TCR, PERIOD);		/* WIE off */
}

int main(void)
{
	printf("== watchdog\n");
	exc_set_hook(IVOR_WDT, wdt_hook);
	mtspr(SPR_TSR, 0xffffffff);

	/* First expiry only sets ENW. */
	mtspr(SPR_TCR, SLOW_PERIOD);
	uint64_t t0 = read_tb();
	while (!(mfspr(SPR_TSR) & TSR_ENW) && read_tb() - t0 < 1200000000)
		;
	printf("first expiry: tsr %08x\n", mfspr(SPR_TSR) & (TSR_ENW | TSR_WIS));

	/* With WIE and CE: interrupts; the handler re-arms by clearing
	 * ENW and WIS, so each takes two periods. */
	mtspr(SPR_TCR, PERIOD | TCR_WIE);
	mtmsr(MSR_CE);
	t0 = read_tb();
	while (n < 3 && read_tb() - t0 < 40000000)
		;
	mtmsr(0);
	printf("interrupts %u, tsr at first %08x, csrr1 %08x\n", n,
	       tsr_seen & (TSR_ENW | TSR_WIS), exc_last.msr);

	/* Final expiry with WRC = 0b10: reset. */
	mtspr(SPR_TSR, 0xffffffff);
	mtspr(SPR_TCR, PERIOD | TCR_WRC(2));
	printf("waiting for the watchdog reset\n");
	t0 = read_tb();
	while (read_tb() - t0 < 400000000)	/* ~1 s */
		;
	printf("no reset after 1 s, tsr %08x\n", mfspr(SPR_TSR));
	return 0;
}
