/*
 * Data and instruction TLB error interrupts (IVOR13/14): SRR0, DEAR and
 * ESR[ST] for data misses, and the MAS registers the core preloads for the
 * miss handler (Linux depends on them).  Only the deterministic fields are
 * printed: MAS0[TLBSEL] (ESEL/NV are the replacement victim, whose policy
 * differs between QEMU and hardware), MAS1, MAS2, MAS6, and MAS3/MAS7.
 * Handlers then either install a translation from the preloaded MAS and
 * retry (the Linux flow) or return to the caller.
 */
#include "test.h"

#define MISS_EA   0x30000000u	/* never mapped by anything else */
static uint8_t page[4096] __attribute__((aligned(4096)));
static uint32_t code_page[1024] __attribute__((aligned(4096)));

static int refill;	/* 1: install a TLB0 entry and retry */

static void print_mas(volatile struct exc_frame *f)
{
	printf("    mas0.tlbsel %u mas1 %08x mas2 %08x mas3 %08x mas6 %08x"
	       " mas7 %08x\n", (f->mas0 & MAS0_TLBSEL_MASK) >> 28, f->mas1,
	       f->mas2, f->mas3, f->mas6, f->mas7);
}

/* Complete the preloaded MAS with a mapping of EA's page to `page` (data)
 * or `code_page` (instructions) and retry. */
static void miss_hook(struct exc_frame *f)
{
	exc_record(f);
	if (!refill) {
		if (f->vec == IVOR_ITLB) {	/* fetch miss: return */
			f->pc = f->lr;
			f->gpr[3] = 0xdead;
		} else {
			f->pc += 4;
		}
		return;
	}
	uint32_t target = f->vec == IVOR_ITLB ? (uint32_t)code_page
					      : (uint32_t)page;
	/* Fixed way 1 instead of the preloaded victim: keeps the TLB
	 * contents identical on every implementation. */
	mtspr(SPR_MAS0, MAS0_TLBSEL(0) | MAS0_ESEL(1));
	mtspr(SPR_MAS1, f->mas1 | MAS1_TSIZE(TSIZE_4K));
	mtspr(SPR_MAS2, f->mas2);
	mtspr(SPR_MAS3, target | MAS3_ALL);
	mtspr(SPR_MAS7, 0);
	__asm__ __volatile__("msync; tlbwe; isync" ::: "memory");
}

PROBE(p_load, "", "lwz 3,0x44(3)")
PROBE(p_store, "", "stw 3,0x48(3)")
PROBE(p_dcbz, "", "dcbz 0,3")
PROBE(p_stb, "li 4,0x7ff", "stbx 4,3,4")

static void data_miss(const char *what, uint32_t (*fn)(uint32_t),
		      uint32_t ea, uint32_t msr)
{
	exc_clear();
	uint32_t at = msr ? call_with_msr(fn, ea, msr) : fn(ea);
	printf("%s EA %08x msr %08x:", what, ea, msr);
	if (!exc_count) {
		print(" no interrupt\n");
		return;
	}
	/* For dcbz, DEAR may hold the EA or the block address (QEMU: EA on
	 * e500v2, block on e500mc): print it rounded down to 64 bytes. */
	uint32_t dear = fn == p_dcbz ? exc_last.dear & ~63u : exc_last.dear;
	printf(" %u interrupt(s) ivor %u srr0 %s srr1 %08x esr %08x dear %08x\n",
	       exc_count, exc_last.vec, rel_pc(exc_last.pc, at),
	       exc_last.msr, exc_last.esr, dear);
	print_mas(&exc_last);
}

static void fetch_miss(const char *what, uint32_t ea, uint32_t msr)
{
	uint32_t (*fn)(uint32_t) = (uint32_t (*)(uint32_t))ea;
	exc_clear();
	uint32_t r = msr ? call_with_msr(fn, 0, msr) : fn(0);
	printf("%s EA %08x msr %08x: returned %x", what, ea, msr, r);
	if (!exc_count) {
		print(", no interrupt\n");
		return;
	}
	printf(", %u interrupt(s) ivor %u srr0 EA%+d srr1 %08x\n", exc_count,
	       exc_last.vec, (int)(exc_last.pc - ea), exc_last.msr);
	print_mas(&exc_last);
}

/* Map the code and stack in AS1 too, so call_with_msr can use IS/DS. */
static void map_as1(void)
{
	tlb1_map(5, 0, 0, TSIZE_64M, 0, MAS3_ALL, 0, 1, 0);
}

int main(void)
{
	printf("== exc_tlbmiss (%s)\n", CPU_NAME);
	exc_set_hook(IVOR_DTLB, miss_hook);
	exc_set_hook(IVOR_ITLB, miss_hook);
	code_page[0x10] = 0x38600063;	/* li r3,99 */
	code_page[0x11] = 0x4e800020;	/* blr */
	__asm__ __volatile__("dcbst 0,%0\n\tmsync\n\ticbi 0,%0\n\tisync"
			     : : "r"(&code_page[0x10]) : "memory");
	map_as1();

	/* 1. Miss, skip the access. */
	refill = 0;
	data_miss("load", p_load, MISS_EA + 0x123, 0);
	data_miss("store", p_store, MISS_EA + 0x1000, 0);
	data_miss("stbx", p_stb, MISS_EA + 0x2000, 0);
	data_miss("dcbz", p_dcbz, MISS_EA + 0x3020, 0);
	data_miss("user load", p_load, MISS_EA + 0x4000, MSR_PR);
	data_miss("AS1 load", p_load, MISS_EA + 0x5000, MSR_IS | MSR_DS);
	data_miss("AS1 user store", p_store, MISS_EA + 0x6000,
		  MSR_PR | MSR_IS | MSR_DS);
	fetch_miss("fetch", MISS_EA + 0x7040, 0);
	fetch_miss("user fetch", MISS_EA + 0x8040, MSR_PR);
	fetch_miss("AS1 fetch", MISS_EA + 0x9040, MSR_IS | MSR_DS);

	/* 2. MAS4 supplies the defaults; PID goes to MAS1[TID]/MAS6. */
	mtspr(SPR_PID, 5);
	mtspr(SPR_MAS4, MAS4_TLBSELD(1) | MAS4_TSIZED(TSIZE_16K) |
			MAS2_I | MAS2_G);
	data_miss("pid 5, mas4 tlb1/16K/IG", p_load, MISS_EA + 0xa000, 0);
	fetch_miss("pid 5, mas4 tlb1/16K/IG", MISS_EA + 0xb040, 0);
#ifdef CPU_E500V2
	/* MAS4[TIDSELD] (e500v2 only; e500mc has a single PID). */
	mtspr(SPR_MAS4, MAS4_TIDSELD(3) | MAS4_TSIZED(TSIZE_4K) | MAS2_M);
	data_miss("pid 5, mas4 tidseld=3 (TID 0)", p_load, MISS_EA + 0xc000, 0);
	mtspr(SPR_PID1, 6);
	mtspr(SPR_PID2, 7);
	mtspr(SPR_MAS4, MAS4_TIDSELD(1));
	data_miss("pid1 6, mas4 tidseld=1", p_load, MISS_EA + 0xd000, 0);
	mtspr(SPR_MAS4, MAS4_TIDSELD(2));
	data_miss("pid2 7, mas4 tidseld=2", p_load, MISS_EA + 0xe000, 0);
	mtspr(SPR_PID1, 0);
	mtspr(SPR_PID2, 0);
#endif
	mtspr(SPR_MAS4, 0);
	mtspr(SPR_PID, 0);

	/* 3. Refill from the preloaded MAS and retry: one interrupt, then
	 * the access goes through the new TLB0 entry. */
	refill = 1;
	for (int i = 0; i < 16; i++)
		((volatile uint8_t *)page)[0x40 + i] = (uint8_t)(0xc0 + i);
	exc_clear();
	uint32_t v = *(volatile uint32_t *)(MISS_EA + 0xf044);
	printf("refill load: %u interrupt(s), value %08x\n", exc_count, v);
	exc_clear();
	*(volatile uint32_t *)(MISS_EA + 0xf048) = 0x600df00d;
	printf("store through refilled entry: %u interrupt(s), page %08x\n",
	       exc_count, *(volatile uint32_t *)(page + 0x48));
	exc_clear();
	uint32_t r = ((uint32_t (*)(void))(MISS_EA + 0x10040))();
	printf("refill fetch: %u interrupt(s), returned %u\n", exc_count, r);

	tlb_ivax(4);	/* all of TLB0 */
	tlb1_unmap(5);
	printf("== end\n");
	return 0;
}
