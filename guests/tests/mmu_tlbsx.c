/*
 * tlbsx: a hit loads MAS0 (TLBSEL, ESEL) and MAS1-3/MAS7 from the entry,
 * in TLB0 and TLB1, honouring MAS6[SPID] (TID 0 matches any PID) and
 * MAS6[SAS], with EA = (rA|0) + rB.  On a miss MAS1[V] = 0 and MAS1 takes
 * TID/TS from MAS6 and TSIZE from MAS4; MAS0[ESEL/NV] and MAS2 are not
 * printed then (victim selection and EPN differ between implementations).
 */
#include "test.h"

static void setup(void)
{
	tlb_ivax(4);
	/* TLB0 */
	tlb_write(MAS0_TLBSEL(0) | MAS0_ESEL(2), MAS1_V | MAS1_TSIZE(TSIZE_4K),
		  0x61234000 | MAS2_M, 0x03000000 | MAS3_SR | MAS3_UR, 0);
	tlb_write(MAS0_TLBSEL(0) | MAS0_ESEL(1),
		  MAS1_V | MAS1_TID(7) | MAS1_TS | MAS1_TSIZE(TSIZE_4K),
		  0x61235000, 0x03001000 | 0x3c0 | MAS3_ALL, 0);
	/* TLB1 */
	tlb1_map(9, 0x68000000, 0x03100000, TSIZE_1M, MAS2_I | MAS2_G,
		 MAS3_SR | MAS3_SW, 0, 0, 0);
	tlb1_map(10, 0x69000000, 0x100004000ull, TSIZE_16K, 0, MAS3_SR, 9, 1, 1);
}

static void search(const char *what, uint32_t ea, unsigned spid, int sas)
{
	struct tlbe e;
	mtspr(SPR_MAS4, MAS4_TLBSELD(1) | MAS4_TSIZED(TSIZE_64K) | MAS2_W);
	int hit = tlb_search(ea, MAS6_SPID(spid) | (sas ? MAS6_SAS : 0), &e);
	printf("%-28s ea %08x spid %u sas %d: ", what, ea, spid, sas);
	if (hit)
		tlb_print("hit", &e);
	else
		printf("miss: mas0.tlbsel %u mas1 %08x\n",
		       (e.mas0 & MAS0_TLBSEL_MASK) >> 28, e.mas1);
	mtspr(SPR_MAS4, 0);
}

int main(void)
{
	printf("== mmu_tlbsx (%s)\n", CPU_NAME);
	setup();
	search("tlb0 global entry", 0x61234abc, 0, 0);
	search("tlb0 global, other pid", 0x61234000, 5, 0);
	search("tlb0 global, wrong AS", 0x61234ffc, 0, 1);
	search("tlb0 tid 7 as 1", 0x61235010, 7, 1);
	search("tlb0 tid 7, AS 0", 0x61235010, 7, 0);
	search("tlb0 tid 7, pid 6", 0x61235010, 6, 1);
	search("tlb0 tid 7, pid 0", 0x61235010, 0, 1);
	search("tlb1 1M start", 0x68000000, 0, 0);
	search("tlb1 1M end", 0x680fffff, 3, 0);
	search("tlb1 1M past end", 0x68100000, 0, 0);
	search("tlb1 16K tid 9 mas7 1", 0x69003ffc, 9, 1);
	search("tlb1 16K tid 9, pid 0", 0x69003ffc, 0, 1);
	search("boot RAM entry", 0x00100000, 0, 0);
	search("CCSR entry", 0xe0004500, 0, 0);
	search("nothing there", 0x6f000000, 0x2a, 1);

	/* EA = (rA|0) + rB with rA = 0.  A non-zero rA is checked only in
	 * isa/tlbsx_ra: QEMU 7.2 adds the RT field's register (r0) instead. */
	struct tlbe e;
	mtspr(SPR_MAS6, 0);
	uint32_t rb = 0x68012344;
	__asm__ __volatile__("tlbsx 0,%0\n\tisync" : : "r"(rb) : "memory");
	e.mas0 = mfspr(SPR_MAS0);
	e.mas1 = mfspr(SPR_MAS1);
	e.mas2 = mfspr(SPR_MAS2);
	e.mas3 = mfspr(SPR_MAS3);
	e.mas7 = mfspr(SPR_MAS7);
	tlb_print("tlbsx rA+rB", &e);

	tlb_ivax(4);
	tlb1_unmap(9);
	tlb_write(MAS0_TLBSEL(1) | MAS0_ESEL(10), 0, 0, 0, 0);	/* IPROT too */
	printf("== end\n");
	return 0;
}
