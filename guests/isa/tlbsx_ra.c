/*
 * tlbsx rA,rB searches for EA = (rA|0) + rB (Power ISA 2.06 Book III-E,
 * tlbsx).  QEMU 7.2 adds the register named by the (unused) RT field
 * instead of rA, so this case only runs as an ISA check.
 */
#include "test.h"

int main(void)
{
	printf("== tlbsx_ra\n");
	tlb1_map(9, 0x68000000, 0x03100000, TSIZE_1M, MAS2_I | MAS2_G,
		 MAS3_SR | MAS3_SW, 0, 0, 0);
	struct tlbe e;
	mtspr(SPR_MAS6, 0);
	uint32_t ra = 0x68000000, rb = 0x00012344;
	__asm__ __volatile__("li 0,0\n\ttlbsx %0,%1\n\tisync" : : "b"(ra), "r"(rb)
			     : "r0", "memory");
	e.mas0 = mfspr(SPR_MAS0);
	e.mas1 = mfspr(SPR_MAS1);
	e.mas2 = mfspr(SPR_MAS2);
	e.mas3 = mfspr(SPR_MAS3);
	e.mas7 = mfspr(SPR_MAS7);
	tlb_print("tlbsx rA+rB", &e);
	tlb1_unmap(9);
	printf("== end\n");
	return 0;
}
