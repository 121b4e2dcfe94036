/*
 * The MPIC's registers as QEMU 7.2 models them (FSL MPIC v4.2 at CCSR+0x40000), polled with
 * MSR[EE] = 0: reset values, what undecoded offsets read, write masks of each register kind,
 * byte accesses, shared-message (MSI) interrupts, IACK/EOI with nesting and masking, ILR
 * routing, IPIs through this CPU's registers, GCR reset, and the timer registers that do not
 * depend on time passing.
 *
 * Left out on purpose: anything where QEMU's stale per-CPU state loses a source or gives a
 * spurious vector (see isa/mpic_ctpr), and timer counting (time-dependent).
 */
#include "test.h"

#define MPIC(off)   (MPIC_VA + (off))
#define IVPR(n)     (0x10000 + 0x20 * (n))
#define IDR(n)      (0x10010 + 0x20 * (n))
#define ILR(n)      (0x10018 + 0x20 * (n))
#define IPIVPR(i)   (0x10a0 + 0x10 * (i))
#define IPIDR(i)    (0x40 + 0x10 * (i))
#define CTPR        0x80
#define WHOAMI      0x90
#define IACK        0xa0
#define EOI         0xb0
#define GCR         0x1020
#define SVR         0x10e0
#define TFRR        0x10f0
#define TCCR(t)     (0x1100 + 0x40 * (t))
#define TBCR(t)     (0x1110 + 0x40 * (t))
#define TVPR(t)     (0x1120 + 0x40 * (t))
#define TDR(t)      (0x1130 + 0x40 * (t))
#define MSIR(g)     (0x1600 + 0x10 * (g))
#define MSISR       0x1720
#define MSIIR       0x1740
#define MSK         0x80000000u
#define VPR(p, v)   (((uint32_t)(p) << 16) | (v))

static uint32_t rd(uint32_t off)
{
	return mmio_read32(MPIC(off));
}

static void wr(uint32_t off, uint32_t v)
{
	mmio_write32(MPIC(off), v);
}

static void show(const char *what, uint32_t off)
{
	printf("  %-10s %05x = %08x\n", what, off, rd(off));
}

static void gcr_reset(void)
{
	wr(GCR, 0x80000000);
	for (int i = 0; i < 1000 && (rd(GCR) & 0x80000000); i++)
		;
}

static void iacks(const char *what, int n)
{
	printf("%-34s:", what);
	for (int i = 0; i < n; i++)
		printf(" %04x", rd(IACK));
	print("\n");
}

int main(void)
{
	printf("== mpic (%s)\n", CPU_NAME);
	gcr_reset();

	print("reset values\n");
	show("BRR1", 0x0);
	show("FRR", 0x1000);
	show("GCR", GCR);
	show("VIR", 0x1080);
	show("PIR", 0x1090);
	show("SVR", SVR);
	show("TFRR", TFRR);
	show("IVPR1", IVPR(1));
	show("IVPR42", IVPR(42));
	show("IVPR255", IVPR(255));
	show("IDR42", IDR(42));
	show("ILR42", ILR(42));
	show("IPIVPR0", IPIVPR(0));
	show("TCCR0", TCCR(0));
	show("TBCR0", TBCR(0));
	show("TVPR3", TVPR(3));
	show("TDR3", TDR(3));
	show("CTPR", CTPR);
	show("WHOAMI", WHOAMI);
	show("CPU0 CTPR", 0x20080);
	show("EOI", EOI);
	show("IACK", IACK);

	print("offsets QEMU does not decode\n");
	static const uint32_t odd[] = {
		0x0004, 0x0010, 0x0040, 0x00c0, 0x0ff0, 0x1010, 0x1030, 0x10a4,
		0x1104, 0x1304, 0x1310, 0x1680, 0x1684, 0x1800, 0x2100, 0x2130,
		0x3800, 0x3904, 0x4000, 0x10004, 0x10014, 0x1001c, 0x12000,
		0x20040, 0x20100, 0x21080, 0x3f0fc, 0x3f100,
	};
	for (unsigned i = 0; i < sizeof odd / sizeof odd[0]; i++)
		printf("  %05x = %08x\n", odd[i], rd(odd[i]));

	print("byte and halfword reads of FRR\n");
	volatile uint8_t *b = (volatile uint8_t *)MPIC(0x1000);
	volatile uint16_t *h = (volatile uint16_t *)MPIC(0x1000);
	printf("  bytes %02x %02x %02x %02x halves %04x %04x\n", b[0], b[1], b[2], b[3], h[0], h[1]);

	print("write masks\n");
	static const uint32_t ro[] = { 0x0, 0x1000, 0x1080, 0x1090, WHOAMI };
	for (unsigned i = 0; i < sizeof ro / sizeof ro[0]; i++) {
		wr(ro[i], 0x12345678);
		printf("  %05x <- 12345678: %08x\n", ro[i], rd(ro[i]));
	}
	static const uint32_t all[] = {
		SVR, TFRR, IVPR(1), IVPR(42), IPIVPR(2), TVPR(1), IDR(42), TDR(2),
	};
	for (unsigned i = 0; i < sizeof all / sizeof all[0]; i++) {
		wr(all[i], 0xffffffff);
		printf("  %05x <- ffffffff: %08x\n", all[i], rd(all[i]));
	}
	wr(IVPR(42), 0);
	show("IVPR42<-0", IVPR(42));
	static const uint32_t ilr[] = { 1, 2, 0x101, 0 };
	for (unsigned i = 0; i < sizeof ilr / sizeof ilr[0]; i++) {
		wr(ILR(42), ilr[i]);
		printf("  ILR42 <- %x: %x\n", ilr[i], rd(ILR(42)));
	}
	wr(GCR, 0x40000000);
	show("GCR<-4..", GCR);
	wr(GCR, 0x1fffffff);
	show("GCR<-1f..", GCR);
	gcr_reset();
	wr(GCR, 0x20000000);

	print("shared-message interrupts\n");
	wr(CTPR, 0);
	wr(IVPR(225), VPR(7, 0xe1));
	wr(MSIIR, (1u << 29) | (5u << 24));
	wr(MSIIR, (1u << 29) | (31u << 24) | 0xffffff);
	wr(MSIIR, 7u << 29);
	show("MSISR", MSISR);
	show("IVPR225", IVPR(225));
	iacks("IACK (231 masked)", 2);
	show("MSIR1", MSIR(1));
	show("MSIR1", MSIR(1));
	show("IVPR225", IVPR(225));
	show("MSISR", MSISR);
	show("MSIIR", MSIIR);
	wr(EOI, 0);
	wr(EOI, 0);
	show("MSIR7", MSIR(7));

	print("nesting through IACK\n");
	wr(IVPR(224), VPR(9, 0xe0));
	wr(IVPR(225), VPR(3, 0xe1));
	wr(MSIIR, 0);
	iacks("224 (prio 9) raised", 1);
	rd(MSIR(0));
	wr(MSIIR, 1u << 29);
	iacks("225 (prio 3) while 224 in service", 1);
	rd(MSIR(1));
	iacks("nothing left", 1);
	wr(EOI, 0);
	wr(EOI, 0);
	wr(EOI, 0);

	print("masking a pending source\n");
	wr(MSIIR, 1u << 29);
	wr(IVPR(225), MSK | VPR(3, 0xe1));
	show("IVPR225", IVPR(225));
	iacks("masked", 1);
	wr(IVPR(225), VPR(3, 0xe1));
	show("IVPR225", IVPR(225));
	iacks("unmasked", 1);
	wr(IVPR(225), MSK | VPR(3, 0xe1));
	wr(EOI, 0);
	rd(MSIR(1));
	wr(IVPR(225), VPR(3, 0xe1));
	show("IVPR225", IVPR(225));

	print("routing to the machine-check output (not wired)\n");
	wr(ILR(225), 2);
	wr(MSIIR, 1u << 29);
	show("IVPR225", IVPR(225));
	iacks("IACK", 1);
	rd(MSIR(1));
	wr(ILR(225), 0);

	print("IPIs to this CPU\n");
	wr(IPIVPR(0), VPR(5, 0x50));
	wr(IPIVPR(1), VPR(9, 0x51));
	wr(IPIVPR(2), MSK | VPR(6, 0x52));
	wr(IPIDR(0), 1);
	wr(IPIDR(1), 1);
	wr(IPIDR(2), 1);
	show("IPIVPR0", IPIVPR(0));
	show("IPIVPR2", IPIVPR(2));
	iacks("IPI0, IPI1, IPI2 (masked)", 3);
	wr(EOI, 0);
	wr(EOI, 0);
	wr(IPIVPR(2), VPR(6, 0x52));
	iacks("IPI2 unmasked", 2);
	wr(EOI, 0);
	wr(IPIDR(3), 2);
	wr(IPIVPR(3), VPR(6, 0x53));
	show("IPIVPR3", IPIVPR(3));
	iacks("IPI3 for CPU 1 only", 1);
	wr(IPIDR(3), 0x101);
	iacks("IPI3 for CPU 0 and 8", 2);
	show("IPIVPR3", IPIVPR(3));
	wr(EOI, 0);

	print("GCR reset keeps pending sources, ILR and MSIRs\n");
	wr(ILR(226), 1);
	wr(IVPR(226), MSK | VPR(4, 0xe2));
	wr(MSIIR, 2u << 29);
	wr(IPIVPR(1), MSK | VPR(6, 0x51));
	wr(IPIDR(1), 1);
	wr(IVPR(224), VPR(9, 0xe0));
	wr(MSIIR, 0);
	iacks("224 in service", 1);
	gcr_reset();
	show("ILR226", ILR(226));
	show("MSISR", MSISR);
	show("IVPR226", IVPR(226));
	show("IPIVPR1", IPIVPR(1));
	show("CTPR", CTPR);
	wr(GCR, 0x20000000);
	wr(ILR(226), 0);
	wr(CTPR, 0);
	wr(IVPR(226), VPR(4, 0xe2));
	wr(IPIVPR(1), VPR(6, 0x51));
	show("IPIVPR1", IPIVPR(1));
	iacks("226 and IPI1 unmasked", 2);
	wr(IPIDR(1), 1);
	iacks("IPI1 dispatched again", 1);
	wr(IVPR(224), VPR(9, 0xe0));
	iacks("224 unmasked", 1);
	rd(MSIR(0));
	rd(MSIR(2));
	for (int i = 0; i < 4; i++)
		wr(EOI, 0);

	print("timer registers\n");
	wr(TBCR(0), MSK | 0x1234);
	show("TBCR0", TBCR(0));
	show("TCCR0", TCCR(0));
	wr(TCCR(0), 0x5678);
	show("TCCR0", TCCR(0));
	wr(0x1250, MSK | 0x99);		/* TBCR1 through the repeat at 0x1200 */
	show("TBCR1", TBCR(1));
	wr(0x1230, 0);			/* TDR0 */
	show("TDR0", TDR(0));
	show("1300", 0x1300);
	wr(TBCR(2), 0);			/* count inhibit cleared with a zero base */
	show("TBCR2", TBCR(2));
	show("TCCR2", TCCR(2));
	wr(TBCR(2), 0x100);		/* stays stopped: CI did not change */
	show("TCCR2", TCCR(2));
	gcr_reset();
	show("TBCR0", TBCR(0));
	show("TBCR2", TBCR(2));

	printf("== end\n");
	return 0;
}
