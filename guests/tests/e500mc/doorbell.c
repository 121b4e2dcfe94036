/*
 * Processor doorbells (e500mc): msgsnd makes a doorbell (IVOR36, SRR) or
 * critical doorbell (IVOR37, CSRR) pending for the CPU whose PIR matches
 * (or all with BRDCAST); msgclr withdraws it; taking it clears it.
 *
 * Gating: the ISA gates the doorbell with MSR[EE] and the critical
 * doorbell with MSR[CE].  QEMU 7.2 gates both with MSR[EE], so critical
 * doorbells are only checked with CE and EE both 0 or both 1 here; the
 * CE-only/EE-only cases are in isa/e500mc/cdoorbell_gate.c.
 */
#include "test.h"

#define DBELL_TYPE(t)   ((uint32_t)(t) << 27)
#define DBELL_BRDCAST   0x04000000
#define DBELL_PIR(p)    ((uint32_t)(p) & 0x3fff)

static volatile uint32_t order[8];
static volatile unsigned norder;

static void hook(struct exc_frame *f)
{
	exc_record(f);
	if (norder < 8)
		order[norder++] = f->vec;
}

static void msgsnd(uint32_t rb)
{
	register uint32_t r4 __asm__("r4") = rb;
	__asm__ __volatile__(".long 0x7c00219c" : : "r"(r4) : "memory");
}

static void msgclr(uint32_t rb)
{
	register uint32_t r4 __asm__("r4") = rb;
	__asm__ __volatile__(".long 0x7c0021dc" : : "r"(r4) : "memory");
}

static void settle(void)
{
	for (volatile int i = 0; i < 1000; i++)
		;
}

static void report(const char *what)
{
	printf("%-40s:", what);
	if (!norder)
		print(" none");
	for (unsigned i = 0; i < norder; i++)
		printf(" ivor%u", order[i]);
	print("\n");
	norder = 0;
}

/* Enable `msr` for a moment; record what was taken. */
static void open_window(uint32_t msr)
{
	mtmsr(msr);
	settle();
	mtmsr(0);
}

int main(void)
{
	printf("== doorbell (%s)\n", CPU_NAME);
	exc_set_hook(IVOR_DOORBELL, hook);
	exc_set_hook(IVOR_CDOORBELL, hook);

	msgsnd(DBELL_TYPE(0) | DBELL_PIR(0));
	settle();
	report("doorbell, EE=0");
	open_window(MSR_CE);
	report("then CE=1 only");
	open_window(MSR_EE);
	report("then EE=1");
	printf("  srr1 %08x\n", exc_last.msr);
	open_window(MSR_EE);
	report("again EE=1 (was consumed)");

	/* Delivery right after the enabling instruction. */
	msgsnd(DBELL_TYPE(0) | DBELL_PIR(0));
	uint32_t at;
	__asm__ __volatile__("lis %0,1f@ha\n\taddi %0,%0,1f@l\n\t"
			     "wrteei 1\n"
			     "1:\twrteei 0" : "=&b"(at) : : "memory");
	report("doorbell, wrteei 1");
	printf("  srr0 %s\n", exc_last.pc == at ? "next insn" : "WRONG");

	msgsnd(DBELL_TYPE(0) | DBELL_PIR(0));
	msgclr(DBELL_TYPE(0));
	open_window(MSR_EE);
	report("doorbell, msgclr, EE=1");

	msgsnd(DBELL_TYPE(0) | DBELL_PIR(1));
	open_window(MSR_EE);
	report("doorbell to PIR 1, EE=1");
	msgsnd(DBELL_TYPE(0) | DBELL_BRDCAST | DBELL_PIR(5));
	open_window(MSR_EE);
	report("doorbell broadcast, EE=1");
	msgsnd(DBELL_TYPE(0) | DBELL_PIR(0));
	msgsnd(DBELL_TYPE(0) | DBELL_PIR(0));
	open_window(MSR_EE);
	report("two doorbells sent, EE=1");

	/* Critical doorbell. */
	msgsnd(DBELL_TYPE(1) | DBELL_PIR(0));
	settle();
	report("critical doorbell, CE=0 EE=0");
	open_window(MSR_CE | MSR_EE);
	report("then CE=1 EE=1");
	printf("  csrr1 %08x\n", exc_last.msr);
	msgsnd(DBELL_TYPE(1) | DBELL_PIR(0));
	msgclr(DBELL_TYPE(1));
	open_window(MSR_CE | MSR_EE);
	report("critical, msgclr, CE=1 EE=1");

	/* msgclr of one type leaves the other. */
	msgsnd(DBELL_TYPE(0) | DBELL_PIR(0));
	msgclr(DBELL_TYPE(1));
	open_window(MSR_EE);
	report("doorbell, msgclr critical, EE=1");

	/* Both pending: critical first. */
	msgsnd(DBELL_TYPE(0) | DBELL_PIR(0));
	msgsnd(DBELL_TYPE(1) | DBELL_PIR(0));
	open_window(MSR_CE | MSR_EE);
	report("both pending, CE=1 EE=1");

	/* Other message types are ignored. */
	msgsnd(DBELL_TYPE(2) | DBELL_PIR(0));
	msgsnd(DBELL_TYPE(3) | DBELL_PIR(0));
	open_window(MSR_CE | MSR_EE);
	report("types 2 and 3, CE=1 EE=1");
	printf("== end\n");
	return 0;
}
