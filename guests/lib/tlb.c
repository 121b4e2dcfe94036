#include "test.h"

void tlb_write(uint32_t mas0, uint32_t mas1, uint32_t mas2, uint32_t mas3,
	       uint32_t mas7)
{
	mtspr(SPR_MAS0, mas0);
	mtspr(SPR_MAS1, mas1);
	mtspr(SPR_MAS2, mas2);
	mtspr(SPR_MAS3, mas3);
	mtspr(SPR_MAS7, mas7);
	__asm__ __volatile__("msync; tlbwe; isync" ::: "memory");
}

static void read_mas(struct tlbe *out)
{
	out->mas0 = mfspr(SPR_MAS0);
	out->mas1 = mfspr(SPR_MAS1);
	out->mas2 = mfspr(SPR_MAS2);
	out->mas3 = mfspr(SPR_MAS3);
	out->mas7 = mfspr(SPR_MAS7);
}

void tlb_read(uint32_t mas0, uint32_t mas2, struct tlbe *out)
{
	mtspr(SPR_MAS0, mas0);
	mtspr(SPR_MAS2, mas2);
	__asm__ __volatile__("tlbre; isync" ::: "memory");
	read_mas(out);
}

int tlb_search(uint32_t ea, uint32_t mas6, struct tlbe *out)
{
	mtspr(SPR_MAS6, mas6);
	__asm__ __volatile__("isync; tlbsx 0,%0; isync" : : "r"(ea) : "memory");
	read_mas(out);
	return (out->mas1 & MAS1_V) != 0;
}

void tlb_ivax(uint32_t ea)
{
	__asm__ __volatile__("msync; tlbivax 0,%0; isync; tlbsync; msync; isync"
			     : : "r"(ea) : "memory");
}

void tlb1_map(unsigned esel, uint32_t ea, uint64_t pa, unsigned tsize,
	      uint32_t wimge, uint32_t perms, unsigned tid, int ts, int iprot)
{
	tlb_write(MAS0_TLBSEL(1) | MAS0_ESEL(esel),
		  MAS1_V | (iprot ? MAS1_IPROT : 0) | MAS1_TID(tid) |
		  (ts ? MAS1_TS : 0) | MAS1_TSIZE(tsize),
		  (ea & 0xFFFFF000) | wimge,
		  ((uint32_t)pa & 0xFFFFF000) | perms,
		  (uint32_t)(pa >> 32));
}

void tlb0_map(unsigned way, uint32_t ea, uint64_t pa, uint32_t wimge,
	      uint32_t perms, unsigned tid, int ts)
{
	tlb_write(MAS0_TLBSEL(0) | MAS0_ESEL(way),
		  MAS1_V | MAS1_TID(tid) | (ts ? MAS1_TS : 0) |
		  MAS1_TSIZE(TSIZE_4K),
		  (ea & 0xFFFFF000) | wimge,
		  ((uint32_t)pa & 0xFFFFF000) | perms,
		  (uint32_t)(pa >> 32));
}

void tlb1_unmap(unsigned esel)
{
	tlb_write(MAS0_TLBSEL(1) | MAS0_ESEL(esel), 0, 0, 0, 0);
}

void tlb0_unmap(unsigned way, uint32_t ea)
{
	tlb_write(MAS0_TLBSEL(0) | MAS0_ESEL(way), 0, ea & 0xFFFFF000, 0, 0);
}

void tlb_print(const char *label, const struct tlbe *e)
{
	printf("%s: mas0 %08x mas1 %08x mas2 %08x mas3 %08x mas7 %08x\n",
	       label, e->mas0 & ~MAS0_NV_MASK, e->mas1, e->mas2, e->mas3,
	       e->mas7);
}
