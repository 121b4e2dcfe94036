/*
 * MMU configuration registers: TLB0CFG/TLB1CFG (geometry: entries,
 * associativity, page sizes, IPROT) and MMUCSR0 reading 0 when idle.
 * MMUCFG is not printed: QEMU 7.2 reads it as 0, unlike the cores; nor is
 * TLB1CFG[MAXSIZE]: QEMU claims 16 GiB pages (12), the cores 4 GiB (11).
 * isa/mmu_cfg_real checks both against the core reference manuals.
 */
#include "test.h"

int main(void)
{
	printf("== mmu_cfg (%s)\n", CPU_NAME);
	uint32_t t0 = mfspr(SPR_TLB0CFG), t1 = mfspr(SPR_TLB1CFG);
	printf("tlb0cfg %08x: assoc %u minsize %u maxsize %u iprot %u"
	       " nentry %u\n", t0, t0 >> 24, (t0 >> 20) & 0xf, (t0 >> 16) & 0xf,
	       (t0 >> 15) & 1, t0 & 0xfff);
	printf("tlb1cfg (maxsize masked) %08x: assoc %u minsize %u iprot %u"
	       " nentry %u\n", t1 & ~0x000f0000u, t1 >> 24, (t1 >> 20) & 0xf,
	       (t1 >> 15) & 1, t1 & 0xfff);
	printf("mmucsr0 %08x\n", mfspr(SPR_MMUCSR0));
	printf("== end\n");
	return 0;
}
