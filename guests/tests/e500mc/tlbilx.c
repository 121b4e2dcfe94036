/*
 * tlbilx (e500mc): T = 0 invalidates every non-IPROT entry of both TLBs,
 * T = 1 those whose TID equals MAS6[SPID], T = 3 the entries translating
 * EA for TID = MAS6[SPID] and TS = MAS6[SAS].  IPROT entries survive.
 *
 * T = 3 is only tried on an EA with a single entry: QEMU 7.2 also drops
 * entries of the other address space (it ignores SAS) and TID 0 entries,
 * where the ISA's reading is less clear.
 */
#include "test.h"

#define E1 0x65000000u
#define E2 0x65001000u
#define E3 0x65002000u		/* one entry: TID 3, TS 0 */

static void tlbilx(unsigned t, uint32_t ea)
{
	register uint32_t r4 __asm__("r4") = ea;
	switch (t) {
	case 0:
		__asm__ __volatile__(".long 0x7c002024\n\tisync"	/* T=0,0,r4 */
				     : : "r"(r4) : "memory");
		break;
	case 1:
		__asm__ __volatile__(".long 0x7c202024\n\tisync"	/* T=1 */
				     : : "r"(r4) : "memory");
		break;
	default:
		__asm__ __volatile__(".long 0x7c602024\n\tisync"	/* T=3 */
				     : : "r"(r4) : "memory");
		break;
	}
}

static void setup(void)
{
	tlb_ivax(4);
	/* TLB0: E1 for TID 0, 3 (TS 0) and 3 (TS 1); E2 for TID 4. */
	tlb_write(MAS0_TLBSEL(0) | MAS0_ESEL(0), MAS1_V | MAS1_TSIZE(1), E1,
		  0x03000000 | MAS3_SR, 0);
	tlb_write(MAS0_TLBSEL(0) | MAS0_ESEL(1),
		  MAS1_V | MAS1_TID(3) | MAS1_TSIZE(1), E1,
		  0x03001000 | MAS3_SR, 0);
	tlb_write(MAS0_TLBSEL(0) | MAS0_ESEL(2),
		  MAS1_V | MAS1_TID(3) | MAS1_TS | MAS1_TSIZE(1), E1,
		  0x03002000 | MAS3_SR, 0);
	tlb_write(MAS0_TLBSEL(0) | MAS0_ESEL(3),
		  MAS1_V | MAS1_TID(4) | MAS1_TSIZE(1), E2,
		  0x03003000 | MAS3_SR, 0);
	tlb_write(MAS0_TLBSEL(0) | MAS0_ESEL(1),
		  MAS1_V | MAS1_TID(3) | MAS1_TSIZE(1), E3,
		  0x03004000 | MAS3_SR, 0);
	/* TLB1: TID 3, TID 0, TID 3 with IPROT. */
	tlb1_map(20, 0x66000000, 0x03100000, TSIZE_4K, 0, MAS3_SR, 3, 0, 0);
	tlb1_map(21, 0x66100000, 0x03200000, TSIZE_4K, 0, MAS3_SR, 0, 0, 0);
	tlb1_map(22, 0x66200000, 0x03300000, TSIZE_4K, 0, MAS3_SR, 3, 0, 1);
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
	printf("%-24s tlb0 e1[tid0,tid3,tid3/ts1]:%u%u%u e2[tid4]:%u"
	       " e3[tid3]:%u  tlb1 20:%u 21:%u 22:%u 0:%u\n", what, v0(0, E1),
	       v0(1, E1), v0(2, E1), v0(3, E2), v0(1, E3), v1(20), v1(21),
	       v1(22), v1(0));
}

int main(void)
{
	printf("== tlbilx (%s)\n", CPU_NAME);
	setup();
	state("after setup");
	tlbilx(0, 0);
	state("T=0");

	setup();
	mtspr(SPR_MAS6, MAS6_SPID(3));
	tlbilx(1, 0);
	state("T=1 spid 3");
	setup();
	mtspr(SPR_MAS6, MAS6_SPID(0));
	tlbilx(1, 0);
	state("T=1 spid 0");

	setup();
	mtspr(SPR_MAS6, MAS6_SPID(3));
	tlbilx(3, E3 + 0x10);
	state("T=3 E3 spid 3");
	setup();
	mtspr(SPR_MAS6, MAS6_SPID(5));
	tlbilx(3, E3);
	state("T=3 E3 spid 5");
	setup();
	mtspr(SPR_MAS6, MAS6_SPID(3));
	tlbilx(3, 0x66000ffc);
	state("T=3 tlb1 20 spid 3");

	mtspr(SPR_MAS6, 0);
	tlb_ivax(4);
	tlb1_unmap(20);
	tlb1_unmap(21);
	tlb_write(MAS0_TLBSEL(1) | MAS0_ESEL(22), 0, 0, 0, 0);
	printf("== end\n");
	return 0;
}
