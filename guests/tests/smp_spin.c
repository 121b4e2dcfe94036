/*
 * Secondary CPU start through the ePAPR spin table (runs with -smp 2, see
 * smp_spin.smp).  The table's reset contents, that the boot CPU's slot and
 * the slot of a CPU that does not exist ignore writes, and the state the
 * released CPU starts in: PC from the slot's address, r3 from the slot, r4-r6
 * zero, r7 = 64 MiB, PIR, MSR, and the TLB1[1] mapping of the 64 MiB window
 * holding the start address.  The secondary reports through memory.
 */
#include "test.h"

#define SPIN_VA  0xD0000000u
#define SPIN_PA  0xFEF000000ull
#define SLOT(n)  (SPIN_VA + 0x20u * (n))

struct report {
	volatile uint32_t done;
	uint32_t r3, r4, r5, r6, r7, pir, msr;
	struct tlbe tlb1_1;
	uint32_t stack_ok;
};
static struct report rep;
static uint32_t sec_stack[256] __attribute__((aligned(16)));

void secondary_main(uint32_t r3, uint32_t r4, uint32_t r5, uint32_t r6, uint32_t r7);

/* The released CPU starts here with no stack. */
__asm__(".section .text\n"
	".globl secondary_entry\n"
	"secondary_entry:\n"
	"	lis	%r1, (sec_stack + 1024 - 16)@ha\n"
	"	addi	%r1, %r1, (sec_stack + 1024 - 16)@l\n"
	"	bl	secondary_main\n"
	"1:	b	1b\n");
extern char secondary_entry[];

void secondary_main(uint32_t r3, uint32_t r4, uint32_t r5, uint32_t r6, uint32_t r7)
{
	rep.r3 = r3;
	rep.r4 = r4;
	rep.r5 = r5;
	rep.r6 = r6;
	rep.r7 = r7;
	rep.pir = mfspr(SPR_PIR);
	rep.msr = mfmsr();
	tlb_read(MAS0_TLBSEL(1) | MAS0_ESEL(1), 0, &rep.tlb1_1);
	uint32_t sp;
	__asm__ __volatile__("mr %0,1" : "=r"(sp));
	rep.stack_ok = sp > (uint32_t)sec_stack && sp < (uint32_t)sec_stack + sizeof sec_stack;
	msync();
	rep.done = 1;
	msync();
}

static void show_slot(unsigned n)
{
	printf("slot %u: addr %08x_%08x r3 %08x_%08x pir %08x\n", n,
	       mmio_read32(SLOT(n)), mmio_read32(SLOT(n) + 4),
	       mmio_read32(SLOT(n) + 8), mmio_read32(SLOT(n) + 12),
	       mmio_read32(SLOT(n) + 0x14));
}

int main(void)
{
	printf("== smp_spin (%s)\n", CPU_NAME);
	tlb1_map(6, SPIN_VA, SPIN_PA, TSIZE_4K, MAS2_I | MAS2_G, MAS3_SR | MAS3_SW, 0, 0, 0);
	for (unsigned n = 0; n < 3; n++) show_slot(n);

	/* The boot CPU does not spin: its slot ignores writes.  So does the
	 * slot of CPU 2, which this machine does not have. */
	mmio_write32(SLOT(0) + 4, 0x100);
	mmio_write32(SLOT(2) + 8, 0);
	mmio_write32(SLOT(2) + 12, 0x77);
	mmio_write32(SLOT(2) + 4, 0x100);
	show_slot(0);
	show_slot(2);

	/* Release CPU 1 as Linux does: r3, then the address, low word last. */
	mmio_write32(SLOT(1) + 8, 0);
	mmio_write32(SLOT(1) + 12, 0xc0ffee);
	mmio_write32(SLOT(1) + 0x14, 0x55);
	mmio_write32(SLOT(1), 0);
	printf("still spinning after the high word: %s\n", rep.done ? "no" : "yes");
	mmio_write32(SLOT(1) + 4, (uint32_t)secondary_entry);
	uint64_t start = read_tb();
	while (!rep.done && read_tb() - start < 400000000ull)
		;
	msync();
	if (!rep.done) {
		printf("CPU 1 did not start\n");
		return 0;
	}
	printf("CPU 1 started: r3 %08x r4 %08x r5 %08x r6 %08x r7 %08x\n",
	       rep.r3, rep.r4, rep.r5, rep.r6, rep.r7);
	printf("CPU 1: pir %u msr %08x stack %s\n", rep.pir, rep.msr, rep.stack_ok ? "ok" : "bad");
	tlb_print("CPU 1 TLB1[1]", &rep.tlb1_1);
	show_slot(1);
	return 0;
}
