/*
 * MMU configuration registers as the e500 cores report them (PowerPC e500
 * Core Family Reference Manual, 2.12.3-2.12.4; e500mc Core Reference
 * Manual, MMUCFG/TLBnCFG): TLB1 page sizes up to 4 GiB (MAXSIZE 0xB),
 * MMUCFG with 36-bit real addresses, two TLBs and the core's PID layout.
 * QEMU 7.2 reads MMUCFG as 0 and reports MAXSIZE 0xC.
 */
#include "test.h"

int main(void)
{
	printf("== mmu_cfg_real (%s)\n", CPU_NAME);
	uint32_t t1 = mfspr(SPR_TLB1CFG), m = mfspr(SPR_MMUCFG);
	printf("tlb1cfg maxsize %u\n", (t1 >> 16) & 0xf);
	printf("mmucfg rasize %u npids %u pidsize %u ntlbs %u mavn %u\n",
	       (m >> 17) & 0x7f, (m >> 11) & 0xf, ((m >> 6) & 0x1f) + 1,
	       ((m >> 2) & 3) + 1, m & 3);
	printf("== end\n");
	return 0;
}
