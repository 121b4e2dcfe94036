/*
 * Invalidation: tlbivax of one page (TLB0: every way and TID holding it;
 * TLB1: EA | 8) and of a whole array (EA | 4), MMUCSR0 flash invalidation
 * of TLB0 (4) and TLB1 (2), both sparing TLB1 entries with IPROT, and
 * MMUCSR0 reading 0 afterwards.  Only V of invalidated entries is
 * printed (what the other fields read back is not architected).
 */
#include "test.h"

#define A  0x62000000u	/* TLB0, set 0 */
#define A2 0x62080000u	/* same set */
#define B  0x62001000u	/* set 1 */

static void setup(void)
{
	tlb_ivax(4);
	tlb_write(MAS0_TLBSEL(0) | MAS0_ESEL(0), MAS1_V | MAS1_TSIZE(1), A,
		  0x03000000 | MAS3_SR, 0);
	tlb_write(MAS0_TLBSEL(0) | MAS0_ESEL(1),
		  MAS1_V | MAS1_TID(5) | MAS1_TSIZE(1), A2,
		  0x03001000 | MAS3_SR, 0);
	tlb_write(MAS0_TLBSEL(0) | MAS0_ESEL(2),
		  MAS1_V | MAS1_TID(3) | MAS1_TSIZE(1), A,
		  0x03002000 | MAS3_SR, 0);
	tlb_write(MAS0_TLBSEL(0) | MAS0_ESEL(3),
		  MAS1_V | MAS1_TID(4) | MAS1_TS | MAS1_TSIZE(1), A,
		  0x03003000 | MAS3_SR, 0);
	tlb_write(MAS0_TLBSEL(0) | MAS0_ESEL(0), MAS1_V | MAS1_TSIZE(1), B,
		  0x03004000 | MAS3_SR, 0);
	tlb1_map(11, 0x70000000, 0x03100000, TSIZE_1M, 0, MAS3_SR, 0, 0, 0);
	tlb1_map(12, 0x71000000, 0x03200000, TSIZE_1M, 0, MAS3_SR, 0, 0, 1);
	tlb1_map(13, 0x72000000, 0x03300000, TSIZE_4K, 0, MAS3_SR, 0x21, 0, 0);
}

static unsigned v0(unsigned way, uint32_t ea)
{
	struct tlbe e;
	tlb_read(MAS0_TLBSEL(0) | MAS0_ESEL(way), ea, &e);
	return e.mas1 >> 31;
}

static unsigned v1(unsigned esel)
{
	struct tlbe e;
	tlb_read(MAS0_TLBSEL(1) | MAS0_ESEL(esel), 0, &e);
	return e.mas1 >> 31;
}

static void state(const char *what)
{
	/* set 0 ways 0,2,3 hold A (TID 0, 3, 4/TS 1), way 1 holds A2 */
	printf("%-34s tlb0 set0:%u%u%u%u set1:%u  tlb1 11:%u 12:%u 13:%u 0:%u 1:%u",
	       what, v0(0, A), v0(1, A), v0(2, A), v0(3, A), v0(0, B), v1(11),
	       v1(12), v1(13), v1(0), v1(1));
	printf("  mmucsr0 %08x\n", mfspr(SPR_MMUCSR0));
}

static void mmucsr0(uint32_t v)
{
	mtspr(SPR_MMUCSR0, v);
	isync();
	/* The flash-invalidate bit reads 1 until the operation is done. */
	for (int i = 0; i < 1000 && (mfspr(SPR_MMUCSR0) & v); i++)
		;
}

int main(void)
{
	printf("== mmu_inval (%s)\n", CPU_NAME);
	setup();
	state("after setup");
	tlb_ivax(A + 0x123);
	state("tlbivax A (every TID/TS/way)");
	tlb_ivax(0x70080000 | 8);
	state("tlbivax 0x70080000|8 (tlb1 11)");
	tlb_ivax(0x71000000 | 8);
	state("tlbivax 0x71000000|8 (IPROT)");
	tlb_ivax(0x72000000);		/* TLB0 only: 13 stays */
	state("tlbivax 0x72000000 (no TLB1 bit)");
	tlb_ivax(4);
	state("tlbivax 4 (all TLB0)");
	tlb_ivax(0xc);
	state("tlbivax 0xc (all TLB1)");

	setup();
	mmucsr0(4);
	state("MMUCSR0 = 4 (flash TLB0)");
	setup();
	mmucsr0(2);
	state("MMUCSR0 = 2 (flash TLB1)");

	/* Translation really gone / still there. */
	setup();
	tlb_ivax(0xc);
	printf("reads after tlbivax 0xc: 11 %c, 12 %c\n",
	       probe_mark(probe_read32(0x70000000, 0, 0), 'r'),
	       probe_mark(probe_read32(0x71000000, 0, 0), 'r'));

	tlb_ivax(4);
	tlb_write(MAS0_TLBSEL(1) | MAS0_ESEL(12), 0, 0, 0, 0);
	tlb1_unmap(13);
	printf("== end\n");
	return 0;
}
