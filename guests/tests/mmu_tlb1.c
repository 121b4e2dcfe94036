/*
 * TLB1: tlbre returns what tlbwe wrote (all MAS1/2/3/7 fields incl.
 * IPROT, TID, TS, every page size, WIMGE, U0-U3, permissions, 36-bit
 * RPN, and an entry written with V = 0), and translation through pages of
 * every size from 4 KiB to 256 MiB: the last word of the page maps to the
 * right physical address and the first byte past it misses.
 */
#include "test.h"

#define TOP_ESEL (TLB1_ENTRIES - 1)

static const struct {
	unsigned esel;
	uint32_t mas1, mas2, mas3, mas7;
} ents[] = {
	{ 2, MAS1_V | MAS1_TSIZE(TSIZE_4K), 0x40000000,
	  0x02000000 | MAS3_SR | MAS3_SW, 0 },
	{ 3, MAS1_V | MAS1_IPROT | MAS1_TID(0x12) | MAS1_TS |
	  MAS1_TSIZE(TSIZE_64K), 0x41000000 | MAS2_W | MAS2_M,
	  0x02010000 | 0x3c0 | MAS3_UX | MAS3_UR, 0 },
	{ 4, MAS1_V | MAS1_TSIZE(TSIZE_1M), 0x42000000 | MAS2_I | MAS2_G,
	  0xe0000000 | MAS3_SR | MAS3_SW, 0xf },
	{ 5, MAS1_V | MAS1_TID(0xff) | MAS1_TSIZE(TSIZE_16M),
	  0x43000000 | MAS2_E, 0x05000000 | 0x140 | MAS3_ALL, 0x3 },
	{ 6, MAS1_TSIZE(TSIZE_256M), 0x50000000 | MAS2_I,
	  0x10000000 | MAS3_SX | MAS3_SR, 0x1 },
	{ 7, MAS1_V | MAS1_TS | MAS1_TSIZE(TSIZE_4M), 0x44400000,
	  0x00c00000 | MAS3_UW | MAS3_SW, 0 },
	{ 8, MAS1_V | MAS1_TSIZE(TSIZE_16K), 0x45004000 | MAS2_M,
	  0x0000c000 | 0x280 | MAS3_SR, 0 },
	{ 9, MAS1_V | MAS1_TSIZE(TSIZE_256K), 0x46040000 | MAS2_G,
	  0x00040000 | MAS3_UR | MAS3_SR, 0 },
	{ TOP_ESEL, MAS1_V | MAS1_IPROT | MAS1_TSIZE(TSIZE_64M), 0x48000000,
	  0x04000000 | MAS3_SR, 0 },
};
#define N(x) (sizeof(x) / sizeof((x)[0]))

static void readback(void)
{
	for (unsigned i = 0; i < N(ents); i++)
		tlb_write(MAS0_TLBSEL(1) | MAS0_ESEL(ents[i].esel), ents[i].mas1,
			  ents[i].mas2, ents[i].mas3, ents[i].mas7);
	for (unsigned i = 0; i < N(ents); i++) {
		struct tlbe e;
		tlb_read(MAS0_TLBSEL(1) | MAS0_ESEL(ents[i].esel), 0, &e);
		printf("tlb1[%u] ", ents[i].esel);
		tlb_print("read", &e);
		if (e.mas1 != ents[i].mas1 || e.mas2 != ents[i].mas2 ||
		    e.mas3 != ents[i].mas3 || e.mas7 != ents[i].mas7)
			printf("  (differs from what was written)\n");
	}
	/* The boot-time entries crt0 rewrote. */
	struct tlbe e;
	tlb_read(MAS0_TLBSEL(1) | MAS0_ESEL(0), 0, &e);
	tlb_print("tlb1[0] (crt0 RAM)", &e);
	tlb_read(MAS0_TLBSEL(1) | MAS0_ESEL(1), 0, &e);
	tlb_print("tlb1[1] (crt0 CCSR)", &e);
	for (unsigned i = 0; i < N(ents); i++)
		tlb1_unmap(ents[i].esel);
}

#define EA_BASE 0x40000000u
#define PROBE_EA 0x7ffff000u

static void sizes(void)
{
	for (unsigned n = TSIZE_4K; n <= TSIZE_256M; n++) {
		uint32_t size = 1024u << (2 * n);
		/* 256 MiB pages need a 256 MiB aligned RPN: use RAM at 0. */
		uint32_t pa = n == TSIZE_256M ? 0 : 0x04000000;
		tlb1_map(7, EA_BASE, pa, n, 0, MAS3_SR | MAS3_SW, 0, 0, 0);
		uint32_t marker = 0xc0de0000 | n, v;
		unsigned w = probe_write32(EA_BASE + size - 4, 0, marker);
		unsigned r = probe_read32(EA_BASE + size - 4, 0, &v);
		/* Look at the physical word through an independent 4K map. */
		tlb1_map(8, PROBE_EA, pa + size - 4096, TSIZE_4K, 0,
			 MAS3_SR, 0, 0, 0);
		uint32_t phys = *(volatile uint32_t *)(PROBE_EA + 4092);
		unsigned past = probe_read32(EA_BASE + size, 0, 0);
		/* (EA_BASE - 4 is RAM-mapped by nothing else either) */
		char before = probe_mark(probe_read32(EA_BASE - 4, 0, 0), 'r');
		printf("size %2u (%8x): write %c read %c %s, phys %s, "
		       "past end %c, before start %c\n", n, size,
		       probe_mark(w, 'w'), probe_mark(r, 'r'),
		       v == marker ? "same" : "DIFFERENT",
		       phys == marker ? "same" : "DIFFERENT",
		       probe_mark(past, 'r'), before);
	}
	tlb1_unmap(7);
	tlb1_unmap(8);
}

int main(void)
{
	printf("== mmu_tlb1 (%s)\n", CPU_NAME);
	readback();
	sizes();
	printf("== end\n");
	return 0;
}
