/*
 * TLB0 (4-way set-associative, 128 sets of 4 KiB pages): entries in
 * several sets and all four ways are read back with tlbre (the set comes
 * from MAS2[EPN], the way from MAS0[ESEL]) and all translate at once;
 * rewriting a way replaces exactly that entry; TSIZE and IPROT written to
 * TLB0 read back as 4 KiB and 0.
 */
#include "test.h"

#define EA0 0x60000000u
#define PA0 0x03000000u		/* 48 MiB: also visible through TLB1[0] */

static const unsigned sets[] = { 0, 1, 0x55, 0x7f };
#define NSETS 4

static uint32_t ea_of(unsigned set, unsigned way)
{
	/* EA bits 12..18 pick the set; 128 pages apart = same set. */
	return EA0 + (set << 12) + (way << 19);
}

static uint32_t pa_of(unsigned set_i, unsigned way)
{
	return PA0 + ((set_i * 4 + way) << 12);
}

int main(void)
{
	printf("== mmu_tlb0 (%s)\n", CPU_NAME);
	tlb_ivax(4);			/* start from an empty TLB0 */

	for (unsigned s = 0; s < NSETS; s++)
		for (unsigned w = 0; w < 4; w++) {
			*(volatile uint32_t *)(pa_of(s, w) + 0x10) =
				0xa0000000 | (s << 8) | w;
			tlb_write(MAS0_TLBSEL(0) | MAS0_ESEL(w),
				  MAS1_V | MAS1_TSIZE(TSIZE_4K),
				  ea_of(sets[s], w) | (w == 1 ? MAS2_M : 0),
				  pa_of(s, w) | (w == 2 ? 0x3c0 : 0) |
				  MAS3_SR | MAS3_SW | (w & 1 ? MAS3_UR : 0), 0);
		}
	for (unsigned s = 0; s < NSETS; s++)
		for (unsigned w = 0; w < 4; w++) {
			struct tlbe e;
			tlb_read(MAS0_TLBSEL(0) | MAS0_ESEL(w), ea_of(sets[s], 0), &e);
			printf("set %02x way %u ", sets[s], w);
			tlb_print("read", &e);
		}

	/* Any EA of the set selects it for tlbre. */
	struct tlbe e;
	tlb_read(MAS0_TLBSEL(0) | MAS0_ESEL(3), 0x12355000, &e);
	tlb_print("set 55 way 3 via EA 0x12355000", &e);

	unsigned good = 0;
	for (unsigned s = 0; s < NSETS; s++)
		for (unsigned w = 0; w < 4; w++) {
			uint32_t v;
			if (!probe_read32(ea_of(sets[s], w) + 0x10, 0, &v) &&
			    v == (0xa0000000 | (s << 8) | w))
				good++;
		}
	printf("all 16 entries translate: %u/16\n", good);

	/* Replace way 2 of set 0x55 with another page of the same set. */
	uint32_t newea = ea_of(0x55, 5);
	tlb_write(MAS0_TLBSEL(0) | MAS0_ESEL(2), MAS1_V | MAS1_TSIZE(TSIZE_4K),
		  newea, pa_of(0, 0) | MAS3_SR, 0);
	uint32_t v;
	unsigned old = probe_read32(ea_of(0x55, 2) + 0x10, 0, 0);
	unsigned nw = probe_read32(newea + 0x10, 0, &v);
	unsigned other = probe_read32(ea_of(0x55, 3) + 0x10, 0, 0);
	printf("after replacing way 2: old EA %c, new EA %c (%08x), way 3 %c\n",
	       probe_mark(old, 'r'), probe_mark(nw, 'r'), v,
	       probe_mark(other, 'r'));

	/* TLB0 has only 4 KiB pages and no IPROT. */
	tlb_write(MAS0_TLBSEL(0) | MAS0_ESEL(1),
		  MAS1_V | MAS1_IPROT | MAS1_TSIZE(TSIZE_1M), 0x6a000000,
		  PA0 | MAS3_SR, 0);
	tlb_read(MAS0_TLBSEL(0) | MAS0_ESEL(1), 0x6a000000, &e);
	tlb_print("written with IPROT, 1M", &e);
	unsigned in4k = probe_read32(0x6a000ffc, 0, 0);
	unsigned past = probe_read32(0x6a001000, 0, 0);
	printf("  last word of 4K %c, next page %c\n", probe_mark(in4k, 'r'),
	       probe_mark(past, 'r'));

	tlb_ivax(4);
	tlb_read(MAS0_TLBSEL(0) | MAS0_ESEL(0), ea_of(1, 0), &e);
	printf("after tlbivax all: set 01 way 0 V=%u\n", e.mas1 >> 31);
	printf("== end\n");
	return 0;
}
