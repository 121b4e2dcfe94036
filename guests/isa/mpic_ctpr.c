/*
 * Board-only (not ISA, but also not compared with QEMU): the MPIC's
 * current task priority.
 *
 * OpenPIC / Freescale MPIC (MPC8544E reference manual, "Processor Current
 * Task Priority Register"): a pending interrupt is signalled to the core
 * only if its priority is greater than CTPR; lowering CTPR later lets it
 * through.
 *
 * QEMU 7.2 raises the core's interrupt line anyway, IACK then returns the
 * spurious vector ("openpic_iack: bad raised IRQ") and the lower-priority
 * source is lost.
 */
#include "test.h"

#define MPIC(off) (MPIC_VA + (off))

static volatile uint32_t got[8];
static volatile unsigned n;

static void hook(struct exc_frame *f)
{
	exc_record(f);
	uint32_t v = mmio_read32(MPIC(0xa0));
	if (n < 8)
		got[n++] = v;
	if (v != 0xffff)
		mmio_write32(MPIC(0xb0), 0);
}

static void window(const char *what)
{
	n = 0;
	mtmsr(MSR_EE);
	for (volatile int i = 0; i < 2000; i++)
		;
	mtmsr(0);
	printf("%-22s:", what);
	for (unsigned i = 0; i < n; i++)
		printf(" %04x", got[i]);
	print(n ? "\n" : " none\n");
}

int main(void)
{
	printf("== mpic_ctpr\n");
	exc_set_hook(IVOR_EXTERNAL, hook);
	mmio_write32(MPIC(0x1020), 0x80000000);
	for (int i = 0; i < 1000 && (mmio_read32(MPIC(0x1020)) >> 31); i++)
		;
	mmio_write32(MPIC(0x1020), 0x20000000);
	mmio_write32(MPIC(0x10a0), (5 << 16) | 0x10);	/* IPI0 prio 5 */
	mmio_write32(MPIC(0x10b0), (9 << 16) | 0x11);	/* IPI1 prio 9 */
	mmio_write32(MPIC(0x80), 7);			/* CTPR */
	mmio_write32(MPIC(0x40), 1);
	mmio_write32(MPIC(0x50), 1);
	window("both sent, CTPR 7");
	mmio_write32(MPIC(0x80), 0);
	window("CTPR lowered to 0");
	mmio_write32(MPIC(0x80), 5);
	mmio_write32(MPIC(0x40), 1);
	window("IPI0, CTPR 5 (equal)");
	mmio_write32(MPIC(0x80), 4);
	window("CTPR lowered to 4");
	printf("== end\n");
	return 0;
}
