/*
 * External input through the board's MPIC (OpenPIC at CCSR+0x40000),
 * using inter-processor interrupts sent to CPU 0 itself: delivery needs
 * MSR[EE], is taken right after the wrteei that sets it, IACK returns the
 * vector of the highest-priority pending source (and the spurious vector
 * when none), EOI retires it, a masked source stays pending until
 * unmasked, and in proxy ("coreint") mode the vector arrives in SPR EPR
 * without an IACK read.  CTPR stays 0: raising it above a pending source
 * makes QEMU 7.2 deliver a spurious interrupt and lose the source
 * ("openpic_iack: bad raised IRQ").
 */
#include "test.h"

#define MPIC(off)   (MPIC_VA + (off))
#define GCR         0x1020
#define GCR_RESET   0x80000000
#define GCR_MIXED   0x20000000
#define GCR_PROXY   0x60000000
#define IPIVPR(n)   (0x10a0 + 0x10 * (n))
#define IPIDR(n)    (0x40 + 0x10 * (n))	/* this CPU's dispatch regs */
#define CTPR        0x80
#define IACK        0xa0
#define EOI         0xb0
#define VPR_MSK     0x80000000
#define VPR_A       0x40000000
#define SPR_EPR     702

static volatile uint32_t got[8];
static volatile unsigned ngot;
static int proxy;

static void ext_hook(struct exc_frame *f)
{
	exc_record(f);
	uint32_t v = proxy ? mfspr(SPR_EPR) : mmio_read32(MPIC(IACK));
	if (ngot < 8)
		got[ngot++] = v;
	mmio_write32(MPIC(EOI), 0);
}

static void settle(void)
{
	for (volatile int i = 0; i < 2000; i++)
		;
}

static void report(const char *what)
{
	printf("%-36s:", what);
	if (!ngot)
		print(" none");
	for (unsigned i = 0; i < ngot; i++)
		printf(" %04x", got[i]);
	print("\n");
	ngot = 0;
}

static void window(void)
{
	mtmsr(MSR_EE);
	settle();
	mtmsr(0);
}

int main(void)
{
	printf("== ext_irq (%s)\n", CPU_NAME);
	exc_set_hook(IVOR_EXTERNAL, ext_hook);

	mmio_write32(MPIC(GCR), GCR_RESET);
	for (int i = 0; i < 1000 && (mmio_read32(MPIC(GCR)) & GCR_RESET); i++)
		;
	mmio_write32(MPIC(GCR), GCR_MIXED);
	printf("after reset: ipivpr0 %08x ctpr %08x iack %08x\n",
	       mmio_read32(MPIC(IPIVPR(0))), mmio_read32(MPIC(CTPR)),
	       mmio_read32(MPIC(IACK)));
	mmio_write32(MPIC(EOI), 0);

	/* IPI0: priority 5, vector 0x10; IPI1: priority 9, vector 0x11;
	 * IPI2: priority 3, vector 0x12, masked. */
	mmio_write32(MPIC(IPIVPR(0)), (5 << 16) | 0x10);
	mmio_write32(MPIC(IPIVPR(1)), (9 << 16) | 0x11);
	mmio_write32(MPIC(IPIVPR(2)), VPR_MSK | (3 << 16) | 0x12);
	mmio_write32(MPIC(CTPR), 0);

	mmio_write32(MPIC(IPIDR(0)), 1);
	settle();
	report("IPI0 sent, EE=0");
	uint32_t at;
	__asm__ __volatile__("lis %0,1f@ha\n\taddi %0,%0,1f@l\n\t"
			     "wrteei 1\n"
			     "1:\twrteei 0" : "=&b"(at) : : "memory");
	report("wrteei 1");
	printf("  srr0 %s srr1 %08x\n", exc_last.pc == at ? "next insn" : "WRONG",
	       exc_last.msr);
	window();
	report("again (retired)");

	mmio_write32(MPIC(IPIDR(0)), 1);
	mmio_write32(MPIC(IPIDR(1)), 1);
	window();
	report("IPI0 + IPI1 (prio 5, 9)");

	mmio_write32(MPIC(IPIDR(2)), 1);
	window();
	report("IPI2 masked");
	mmio_write32(MPIC(IPIVPR(2)), (3 << 16) | 0x12);
	window();
	report("IPI2 unmasked");

	/* A second IPI0 to another CPU's bit only (no CPU 1): ignored. */
	mmio_write32(MPIC(IPIDR(0)), 2);
	window();
	report("IPI0 to CPU 1 only");

	printf("iack with nothing pending: %08x\n", mmio_read32(MPIC(IACK)));
	mmio_write32(MPIC(EOI), 0);

	/* Proxy mode: the vector is acknowledged on delivery into EPR. */
	proxy = 1;
	mmio_write32(MPIC(GCR), GCR_PROXY);
	mmio_write32(MPIC(IPIDR(1)), 1);
	mmio_write32(MPIC(IPIDR(0)), 1);
	window();
	report("proxy mode, EPR");
	proxy = 0;

	mmio_write32(MPIC(GCR), GCR_RESET);
	for (int i = 0; i < 1000 && (mmio_read32(MPIC(GCR)) & GCR_RESET); i++)
		;
	printf("== end\n");
	return 0;
}
