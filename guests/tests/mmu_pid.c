/*
 * Process IDs: an entry with TID 0 matches whatever PID is; others only
 * when TID equals the PID (on e500v2 also PID1 or PID2).  The same EA is
 * mapped twice, for TID 5 and TID 6, to different pages, and PID selects
 * which one is used.  No combination makes two entries match at once.
 */
#include "test.h"

#define P 0x63000000u	/* TID 5 -> page 5, TID 6 -> page 6 */
#define Q 0x63001000u	/* TID 0 -> page 0 */
#define PA(n) (0x03000000u + ((n) << 12))

static void show(const char *what)
{
	uint32_t vp, vq;
	unsigned ep = probe_read32(P, 0, &vp), eq = probe_read32(Q, 0, &vq);
	printf("%s P: %s  Q: %s\n", what,
	       ep ? "miss" : vp == 5 ? "page5" : vp == 6 ? "page6" : "???",
	       eq ? "miss" : vq == 0 ? "page0" : "???");
}

int main(void)
{
	printf("== mmu_pid (%s)\n", CPU_NAME);
	for (unsigned n = 0; n < 8; n++)
		*(volatile uint32_t *)PA(n) = n;
	tlb_ivax(4);
	tlb_write(MAS0_TLBSEL(0) | MAS0_ESEL(0),
		  MAS1_V | MAS1_TID(5) | MAS1_TSIZE(1), P, PA(5) | MAS3_SR, 0);
	tlb_write(MAS0_TLBSEL(0) | MAS0_ESEL(1),
		  MAS1_V | MAS1_TID(6) | MAS1_TSIZE(1), P, PA(6) | MAS3_SR, 0);
	tlb_write(MAS0_TLBSEL(0) | MAS0_ESEL(0), MAS1_V | MAS1_TSIZE(1), Q,
		  PA(0) | MAS3_SR, 0);

	static const unsigned pids[] = { 0, 5, 6, 7, 0xff };
	for (unsigned i = 0; i < sizeof(pids) / sizeof(pids[0]); i++) {
		mtspr(SPR_PID, pids[i]);
		isync();
		printf("PID %02x (reads %08x): ", pids[i], mfspr(SPR_PID));
		show("");
	}
	mtspr(SPR_PID, 0);

	/* The same for TLB1 entries. */
	tlb_ivax(4);
	tlb1_map(6, P, PA(5), TSIZE_4K, 0, MAS3_SR, 5, 0, 0);
	tlb1_map(7, P, PA(6), TSIZE_4K, 0, MAS3_SR, 6, 0, 0);
	tlb1_map(8, Q, PA(0), TSIZE_4K, 0, MAS3_SR, 0, 0, 0);
	mtspr(SPR_PID, 6);
	isync();
	show("TLB1, PID 6:");
	mtspr(SPR_PID, 5);
	isync();
	show("TLB1, PID 5:");
	mtspr(SPR_PID, 9);
	isync();
	show("TLB1, PID 9:");

#ifdef CPU_E500V2
	/* PID1 and PID2 take part in matching too (a zero never matches
	 * anything but TID 0 entries, which match anyway). */
	mtspr(SPR_PID, 0);
	mtspr(SPR_PID1, 6);
	isync();
	show("PID 0 PID1 6:");
	mtspr(SPR_PID1, 0);
	mtspr(SPR_PID2, 5);
	isync();
	show("PID 0 PID2 5:");
	mtspr(SPR_PID, 9);
	mtspr(SPR_PID1, 8);
	isync();
	show("PID 9 PID1 8 PID2 5:");
	printf("pid1 %08x pid2 %08x\n", mfspr(SPR_PID1), mfspr(SPR_PID2));
	mtspr(SPR_PID1, 0);
	mtspr(SPR_PID2, 0);
#endif
	mtspr(SPR_PID, 0);
	isync();
	tlb1_unmap(6);
	tlb1_unmap(7);
	tlb1_unmap(8);
	printf("== end\n");
	return 0;
}
