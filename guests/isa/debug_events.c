/*
 * ISA-only: the Book E debug events QEMU 7.2 does not implement (Power
 * ISA 2.06 Book III-E, "Debug Facilities"; e500 core reference manual,
 * "Debug Support"), all in internal debug mode (DBCR0[IDM]):
 * - IAC: executing the instruction at IACn is a debug event taken before
 *   it executes (xSRR0 = that instruction), DBSR[IACn].
 * - DAC: a store to (or load from) DACn is a debug event taken before the
 *   access (xSRR0 = the instruction), DBSR[DACnW]/[DACnR].
 * - TRAP: with DBCR0[TRAP] a trap whose condition is met is a debug event
 *   instead of a program interrupt, DBSR[TRAP].
 * - With MSR[DE]=0 an event is only recorded (DBSR[IDE] set) and the
 *   interrupt is taken once MSR[DE] becomes 1.
 */
#include "test.h"

#define DBCR0_IDM   0x40000000
#define DBCR0_TRAP  0x01000000
#define DBCR0_IAC1  0x00800000
#define DBCR0_DAC1R 0x00080000
#define DBCR0_DAC1W 0x00040000

static volatile unsigned n;
static volatile uint32_t pc_seen, dbsr_seen;

static void hook(struct exc_frame *f)
{
	n++;
	pc_seen = f->pc;
	dbsr_seen = mfspr(SPR_DBSR);
	mtspr(SPR_DBSR, 0xffffffff);
	mtspr(SPR_DBCR0, 0);
	if ((dbsr_seen & 0x01000000) || (dbsr_seen & 0x000c0000))
		f->pc += 4;	/* skip the trap / the access */
}

static volatile uint32_t cell;

static void report(const char *what, uint32_t at)
{
	printf("%-22s: n=%u xsrr0 %+d dbsr %08x\n", what, n, (int)(pc_seen - at),
	       dbsr_seen);
	n = 0;
	pc_seen = dbsr_seen = 0;
}

int main(void)
{
	uint32_t at;

	printf("== debug_events\n");
	exc_set_hook(IVOR_DEBUG, hook);
	mtmsr(MSR_DE);
	mtspr(SPR_DBSR, 0xffffffff);

	__asm__ __volatile__("lis %0,1f@ha\n\taddi %0,%0,1f@l" : "=&b"(at));
	mtspr(SPR_IAC1, at);
	mtspr(SPR_DBCR0, DBCR0_IDM | DBCR0_IAC1);
	__asm__ __volatile__("1:\tnop\n\tnop" ::: "memory");
	report("iac1", at);

	mtspr(SPR_DAC1, (uint32_t)&cell);
	mtspr(SPR_DBCR0, DBCR0_IDM | DBCR0_DAC1W);
	__asm__ __volatile__("lis %0,1f@ha\n\taddi %0,%0,1f@l\n1:\tstw %0,0(%1)"
			     : "=&b"(at) : "b"(&cell) : "memory");
	printf("store skipped: %s\n", cell == 0 ? "yes" : "no");
	report("dac1 write", at);

	mtspr(SPR_DBCR0, DBCR0_IDM | DBCR0_DAC1R);
	uint32_t v;
	__asm__ __volatile__("lis %0,1f@ha\n\taddi %0,%0,1f@l\n1:\tlwz %1,0(%2)"
			     : "=&b"(at), "=r"(v) : "b"(&cell) : "memory");
	report("dac1 read", at);

	mtspr(SPR_DBCR0, DBCR0_IDM | DBCR0_TRAP);
	__asm__ __volatile__("lis %0,1f@ha\n\taddi %0,%0,1f@l\n1:\ttw 31,0,0"
			     : "=&b"(at) : : "memory");
	report("trap", at);

	/* Imprecise: the event happens with MSR[DE]=0 and is taken once
	 * MSR[DE] is set again. */
	mtmsr(0);
	mtspr(SPR_DBCR0, DBCR0_IDM | DBCR0_DAC1W);
	cell = 1;
	printf("with DE=0: n=%u dbsr %08x\n", n, mfspr(SPR_DBSR) & 0xfffff000);
	mtspr(SPR_DBCR0, 0);
	mtmsr(MSR_DE);
	printf("after DE=1: n=%u dbsr seen %08x\n", n, dbsr_seen);
	mtmsr(0);
	printf("== end\n");
	return 0;
}
