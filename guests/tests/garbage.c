/*
 * Guest garbage in device registers: pseudo-random values, at every word of
 * the PCI controller, the MPIC's global, source and per-CPU blocks, GUTS
 * (except RSTCR, which would reset) and unassigned CCSR holes, plus byte
 * writes.  Nothing may crash or hang; afterwards the identification
 * registers still read as before, the UART still works, and the register
 * state the garbage left behind reads back as QEMU has it.
 */
#include "test.h"

static uint32_t seed = 0x2545f491;

static uint32_t next(void)
{
	seed = seed * 1664525u + 1013904223u;
	return seed;
}

static void spray(uint32_t from, uint32_t to, uint32_t skip_lo, uint32_t skip_hi)
{
	for (uint32_t a = from; a < to; a += 4) {
		if (a >= skip_lo && a < skip_hi)
			continue;
		mmio_write32(CCSR_VA + a, next());
	}
}

/* A checksum of the registers in [from, to).  The MPIC timers' current
 * counts depend on time: their block (0x41100-0x413ff, with QEMU's
 * aliases) is left out. */
static uint32_t sum(uint32_t from, uint32_t to)
{
	uint32_t s = 0;
	for (uint32_t a = from; a < to; a += 4) {
		if (a >= 0x41100 && a < 0x41400)
			continue;
		s = (s << 5 | s >> 27) ^ mmio_read32(CCSR_VA + a);
	}
	return s;
}

int main(void)
{
	printf("== garbage (%s)\n", CPU_NAME);
	uint32_t frr = mmio_read32(CCSR_VA + 0x41000);
	uint32_t pvr = mmio_read32(CCSR_VA + 0xe00a0);

	spray(0x08000, 0x09000, 0, 0);			/* PCI controller */
	spray(0x41000, 0x41800, 0x41020, 0x41024);	/* MPIC global (not GCR) */
	spray(0x50000, 0x52000, 0, 0);			/* MPIC sources */
	spray(0x60000, 0x60100, 0x600a0, 0x600b4);	/* this CPU, not IACK/EOI */
	spray(0xe0000, 0xe0100, 0xe00b0, 0xe00b4);	/* GUTS, not RSTCR */
	spray(0x02000, 0x03000, 0, 0);			/* unassigned (DDR ctrl) */
	spray(0x20000, 0x21000, 0, 0);			/* unassigned (L2) */
	for (uint32_t a = 0x8000; a < 0x8100; a++)
		*(volatile uint8_t *)(CCSR_VA + a) = (uint8_t)next();
	msync();
	printf("frr %s, guts pvr %s\n",
	       mmio_read32(CCSR_VA + 0x41000) == frr ? "same" : "changed",
	       mmio_read32(CCSR_VA + 0xe00a0) == pvr ? "same" : "changed");
	printf("pci ctrl %08x\n", sum(0x08000, 0x09000));
	printf("mpic global %08x\n", sum(0x41000, 0x41800));
	printf("mpic sources %08x\n", sum(0x50000, 0x52000));
	printf("guts %08x\n", sum(0xe0000, 0xe0100));
	printf("holes %08x %08x\n", sum(0x02000, 0x03000), sum(0x20000, 0x21000));
	printf("survived\n");
	return 0;
}
