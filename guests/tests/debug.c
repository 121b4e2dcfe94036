/*
 * Book E debug facility, instruction-complete events: with DBCR0[IDM|ICMP]
 * and MSR[DE], every completed instruction takes the debug interrupt with
 * xSRR0 at the next instruction and DBSR[ICMP] set.  (QEMU 7.2 implements
 * this event only; isa/debug_events covers the others.)
 */
#include "test.h"

#define DBCR0_IDM  0x40000000
#define DBCR0_ICMP 0x08000000

static volatile unsigned n;
static volatile uint32_t pcs[8], dbsr[8];

static void hook(struct exc_frame *f)
{
	if (n < 8) {
		pcs[n] = f->pc;
		dbsr[n] = mfspr(SPR_DBSR);
	}
	n++;
	mtspr(SPR_DBSR, 0xffffffff);
	if (n >= 3)
		mtspr(SPR_DBCR0, 0);	/* stop after three steps */
}

int main(void)
{
	printf("== debug (%s)\n", CPU_NAME);
	exc_set_hook(IVOR_DEBUG, hook);
	mtspr(SPR_DBSR, 0xffffffff);
	mtspr(SPR_DBCR0, DBCR0_IDM | DBCR0_ICMP);
	uint32_t at;
	__asm__ __volatile__("lis %0,1f@ha\n\taddi %0,%0,1f@l\n\t"
			     "mfmsr 3\n\tori 3,3,0x200\n\tmtmsr 3\n"
			     "1:\tnop\n\tnop\n\tnop\n\tnop\n\tnop\n\t"
			     "mfmsr 3\n\trlwinm 3,3,0,23,21\n\tmtmsr 3"
			     : "=&b"(at) : : "r3", "memory");
	mtspr(SPR_DBCR0, 0);
	printf("steps %u\n", n);
	for (unsigned i = 0; i < n && i < 8; i++)
		printf("  xsrr0 %+d dbsr %08x\n", (int)(pcs[i] - at), dbsr[i]);
	printf("== end\n");
	return 0;
}
