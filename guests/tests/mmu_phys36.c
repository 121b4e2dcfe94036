/*
 * 36-bit physical addresses and aliasing.  A second TLB1 entry maps CCSR
 * (PA 0xF_E000_0000, upper bits in MAS7) at another EA: device registers
 * read the same through both (UART LSR, GUTS PVR mirror) and a write
 * through one (UART scratch register) is seen through the other.  Two
 * EAs aliasing one RAM page see each other's stores immediately, of every
 * size, and a store to code through an alias is executed afterwards.
 */
#include "test.h"

#define CCSR2 0x90000000u
#define AL1   0x91000000u
#define AL2   0x92000000u
#define RAMPG 0x03400000u

int main(void)
{
	printf("== mmu_phys36 (%s)\n", CPU_NAME);
	tlb1_map(4, CCSR2, 0xfe0000000ull, TSIZE_1M, MAS2_I | MAS2_G,
		 MAS3_SR | MAS3_SW, 0, 0, 0);
	volatile uint8_t *u1 = (volatile uint8_t *)(CCSR_VA + 0x4500);
	volatile uint8_t *u2 = (volatile uint8_t *)(CCSR2 + 0x4500);
	printf("uart lsr: %02x / %02x\n", u1[5], u2[5]);
	printf("guts pvr mirror: %s / %s\n",
	       mmio_read32(CCSR_VA + 0xe00a0) == mfspr(SPR_PVR) ? "= pvr" : "?",
	       mmio_read32(CCSR2 + 0xe00a0) == mfspr(SPR_PVR) ? "= pvr" : "?");
	u2[7] = 0x5a;
	msync();
	uint8_t a = u1[7];
	u1[7] = 0xa5;
	msync();
	uint8_t b = u2[7];
	u1[7] = 0;
	printf("uart scr: via alias %02x, via primary %02x\n", a, b);
	struct tlbe e;
	tlb_read(MAS0_TLBSEL(1) | MAS0_ESEL(4), 0, &e);
	tlb_print("ccsr alias entry", &e);

	/* Two EAs (TLB0 and TLB1) on one physical RAM page. */
	tlb0_map(0, AL1, RAMPG, 0, MAS3_ALL, 0, 0);
	tlb1_map(5, AL2, RAMPG, TSIZE_4K, 0, MAS3_ALL, 0, 0, 0);
	volatile uint32_t *p1 = (volatile uint32_t *)AL1;
	volatile uint32_t *p2 = (volatile uint32_t *)AL2;
	volatile uint32_t *p0 = (volatile uint32_t *)RAMPG;
	p1[0] = 0x11223344;
	uint32_t r0 = p2[0];
	p2[1] = 0x55667788;
	uint32_t r1 = p1[1];
	((volatile uint8_t *)p2)[1] = 0xee;
	((volatile uint16_t *)p1)[3] = 0xbeef;
	printf("alias: %08x %08x, bytes %08x %08x, identity %08x %08x\n", r0,
	       r1, p1[0], p2[1], p0[0], p0[1]);

	/* Patch code through AL1, run it through AL2. */
	uint32_t r;
	probe_put_code((uint32_t *)(AL1 + 0x100), 1);
	probe_exec(AL2 + 0x100, 0, &r);
	uint32_t first = r;
	p1[0x40] = 0x38600002;		/* li r3,2 */
	__asm__ __volatile__("dcbst 0,%0\n\tmsync\n\ticbi 0,%1\n\tisync"
			     : : "r"(AL1 + 0x100), "r"(AL2 + 0x100) : "memory");
	probe_exec(AL2 + 0x100, 0, &r);
	printf("code via alias: %u then %u\n", first, r);

	tlb1_unmap(4);
	tlb1_unmap(5);
	tlb0_unmap(0, AL1);
	printf("== end\n");
	return 0;
}
