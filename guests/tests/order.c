/*
 * Priority among simultaneously pending base-class asynchronous
 * interrupts: external input (MPIC IPI), decrementer and (e500mc)
 * processor doorbell are made pending with MSR[EE] = 0, then EE is set
 * once.  The ISA orders them external > decrementer > doorbell; every
 * handler clears its own source, so each is taken exactly once.
 * (Critical-class ordering is not tried: QEMU 7.2 checks the external
 * input before critical ones and gates the critical doorbell with EE.)
 */
#include "test.h"

#define MPIC(off) (MPIC_VA + (off))

static volatile uint32_t order[8], detail[8];
static volatile unsigned n;

static void hook(struct exc_frame *f)
{
	uint32_t d = 0;
	switch (f->vec) {
	case IVOR_EXTERNAL:
		d = mmio_read32(MPIC(0xa0));
		mmio_write32(MPIC(0xb0), 0);
		break;
	case IVOR_DEC:
		mtspr(SPR_TSR, TSR_DIS);
		mtspr(SPR_TCR, 0);
		break;
	default:
		break;
	}
	if (n < 8) {
		order[n] = f->vec;
		detail[n++] = d;
	}
}

static void mpic_init(void)
{
	mmio_write32(MPIC(0x1020), 0x80000000);
	for (int i = 0; i < 1000 && (mmio_read32(MPIC(0x1020)) >> 31); i++)
		;
	mmio_write32(MPIC(0x1020), 0x20000000);
	mmio_write32(MPIC(0x10a0), (5 << 16) | 0x10);	/* IPI0 */
	mmio_write32(MPIC(0x80), 0);			/* CTPR */
}

static void make_dec_pending(void)
{
	mtspr(SPR_TSR, TSR_DIS);
	mtspr(SPR_DEC, 2000);
	uint64_t t0 = read_tb();
	while (!(mfspr(SPR_TSR) & TSR_DIS) && read_tb() - t0 < 40000000)
		;
	mtspr(SPR_TCR, TCR_DIE);
}

/* ext: 1 = raise the IPI after the DEC expired, 2 = before. */
static void run(const char *what, int ext, int dec, int dbell)
{
	n = 0;
	if (ext == 2)
		mmio_write32(MPIC(0x40), 1);
	if (dec)
		make_dec_pending();
	if (ext == 1)
		mmio_write32(MPIC(0x40), 1);
#ifdef CPU_E500MC
	if (dbell) {
		register uint32_t r4 __asm__("r4") = 0;	/* doorbell, PIR 0 */
		__asm__ __volatile__(".long 0x7c00219c" : : "r"(r4));
	}
#else
	(void)dbell;
#endif
	for (volatile int i = 0; i < 1000; i++)
		;
	__asm__ __volatile__("wrteei 1");
	for (volatile int i = 0; i < 2000; i++)
		;
	__asm__ __volatile__("wrteei 0");
	printf("%-24s:", what);
	for (unsigned i = 0; i < n; i++)
		printf(" ivor%u", order[i]);
	print("\n");
}

int main(void)
{
	printf("== order (%s)\n", CPU_NAME);
	exc_set_hook(IVOR_EXTERNAL, hook);
	exc_set_hook(IVOR_DEC, hook);
	exc_set_hook(IVOR_DOORBELL, hook);
	mpic_init();

	run("dec, then external", 1, 1, 0);
	run("external, then dec", 2, 1, 0);
#ifdef CPU_E500MC
	run("dec + doorbell", 0, 1, 1);
	run("external + doorbell", 1, 0, 1);
	run("all three", 1, 1, 1);
#endif
	mtspr(SPR_TCR, 0);
	mtspr(SPR_TSR, TSR_DIS);
	printf("== end\n");
	return 0;
}
