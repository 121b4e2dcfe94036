/*
 * Storage interrupts: DSI for loads/stores without read/write permission
 * (ESR[ST] for stores, DEAR = EA, SRR0 at the instruction), in supervisor
 * and user mode; ISI for fetches without execute permission (SRR0 = the
 * target; ESR is not checked: not meaningful on QEMU); and the alignment
 * interrupt a misaligned lwarx raises (DEAR = EA; ESR is not printed:
 * QEMU does not write it).
 */
#include "test.h"

#define WIN 0x10000000u		/* EA of the test window (one 4 KiB page) */

static uint8_t page[4096] __attribute__((aligned(4096)));
static uint32_t code_page[1024] __attribute__((aligned(4096)));

static void map(uint32_t ea, void *target, uint32_t perms)
{
	tlb1_map(4, ea, (uint32_t)target, TSIZE_4K, 0, perms, 0, 0, 0);
}

PROBE(p_lwz, "", "lwz 5,0x10(3)")
PROBE(p_lbz, "", "lbz 5,0x11(3)")
PROBE(p_stw, "", "stw 3,0x20(3)")
PROBE(p_stb, "", "stb 3,0x21(3)")
PROBE(p_sthbrx, "li 5,0x22", "sthbrx 3,3,5")
PROBE(p_stwu, "mr 5,3", "stwu 3,0x24(5)")
PROBE(p_lwarx, "li 5,0x28", "lwarx 4,3,5")
PROBE(p_stwcx, "li 5,0x28\n\tlwarx 4,3,5", "stwcx. 4,3,5")
PROBE(p_dcbz, "li 5,0x40", "dcbz 3,5")
PROBE(p_stmw, "", "stmw 29,0x30(3)")

static const struct {
	const char *name;
	uint32_t (*fn)(uint32_t);
	uint32_t off;		/* EA - WIN of the access */
	int store;
} accesses[] = {
	{ "lwz", p_lwz, 0x10, 0 }, { "lbz", p_lbz, 0x11, 0 },
	{ "stw", p_stw, 0x20, 1 }, { "stb", p_stb, 0x21, 1 },
	{ "sthbrx", p_sthbrx, 0x22, 1 }, { "stwu", p_stwu, 0x24, 1 },
	{ "lwarx", p_lwarx, 0x28, 0 }, { "stwcx.", p_stwcx, 0x28, 1 },
	{ "dcbz", p_dcbz, 0x40, 1 }, { "stmw", p_stmw, 0x30, 1 },
};

static const struct {
	const char *name;
	uint32_t perms;
} perm_sets[] = {
	{ "SR|SW|UR|UW", MAS3_SR | MAS3_SW | MAS3_UR | MAS3_UW },
	{ "SR|UR", MAS3_SR | MAS3_UR },
	{ "SW|UW", MAS3_SW | MAS3_UW },
	{ "UR|UW", MAS3_UR | MAS3_UW },
	{ "SR|SW", MAS3_SR | MAS3_SW },
	{ "none", 0 },
};

/* stwcx. needs the reservation its lwarx takes; without read permission
 * there is none, and whether a stwcx. without reservation checks
 * permissions is implementation-dependent, so that case is skipped. */
static void run_access(unsigned i, int user, uint32_t perms)
{
	if (accesses[i].fn == p_stwcx &&
	    !(perms & (user ? MAS3_UR : MAS3_SR))) {
		printf("  %-3s %-7s: skipped\n", user ? "usr" : "sup",
		       accesses[i].name);
		return;
	}
	exc_clear();
	uint32_t at = user ? call_with_msr(accesses[i].fn, WIN, MSR_PR)
			   : accesses[i].fn(WIN);
	printf("  %-3s %-7s:", user ? "usr" : "sup", accesses[i].name);
	if (!exc_count) {
		print(" ok\n");
		return;
	}
	printf(" ivor %u srr0 %s srr1 %08x", exc_last.vec,
	       rel_pc(exc_last.pc, at), exc_last.msr);
	if (exc_last.vec == IVOR_DSI) {
		printf(" esr %08x", exc_last.esr);
		/* dcbz may report the block address instead of the EA */
		if (accesses[i].fn != p_dcbz)
			printf(" dear WIN+%03x", exc_last.dear - WIN);
	}
	print("\n");
}

/* ISI: the handler returns to the caller of the unexecutable code. */
static void isi_return(struct exc_frame *f)
{
	exc_record(f);
	f->pc = f->lr;
	f->gpr[3] = 0xdead;
}

static void isi_tests(void)
{
	code_page[0x40] = 0x3860002a;	/* li r3,42 */
	code_page[0x41] = 0x4e800020;	/* blr */
	__asm__ __volatile__("dcbst 0,%0\n\tmsync\n\ticbi 0,%0\n\tisync"
			     : : "r"(&code_page[0x40]) : "memory");
	uint32_t (*fn)(uint32_t) = (uint32_t (*)(uint32_t))(WIN + 0x100);

	exc_set_hook(IVOR_ISI, isi_return);
	static const struct {
		const char *name;
		uint32_t perms;
	} xs[] = {
		{ "SX|UX", MAS3_SX | MAS3_UX | MAS3_SR | MAS3_UR },
		{ "SX", MAS3_SX | MAS3_SR | MAS3_UR },
		{ "UX", MAS3_UX | MAS3_SR | MAS3_UR },
		{ "none", MAS3_SR | MAS3_UR },
	};
	for (unsigned i = 0; i < 4; i++) {
		map(WIN, code_page, xs[i].perms);
		for (int user = 0; user < 2; user++) {
			exc_clear();
			uint32_t r = user ? call_with_msr(fn, 0, MSR_PR) : fn(0);
			printf("exec %-5s %s: returned %x", xs[i].name,
			       user ? "usr" : "sup", r);
			if (exc_count)
				printf(", ivor %u srr0 WIN+%03x srr1 %08x",
				       exc_last.vec, exc_last.pc - WIN,
				       exc_last.msr);
			print("\n");
		}
	}
}

static void align_tests(void)
{
	exc_set_hook(IVOR_ALIGN, exc_record_skip);
	map(WIN, page, MAS3_SR | MAS3_SW);
	static const uint32_t offs[] = { 0x101, 0x102, 0x103, 0x104 };
	for (unsigned i = 0; i < 4; i++) {
		exc_clear();
		uint32_t at = p_lwarx(WIN + offs[i] - 0x28);
		printf("lwarx at WIN+%03x:", offs[i]);
		if (exc_count)
			printf(" ivor %u srr0 %s dear WIN+%03x\n", exc_last.vec,
			       rel_pc(exc_last.pc, at), exc_last.dear - WIN);
		else
			print(" ok\n");
	}
	/* Clear the reservation the aligned case took. */
	uint32_t scratch = 0;
	__asm__ __volatile__("stwcx. %0,0,%1" : : "r"(0), "r"(&scratch)
			     : "cr0", "memory");
}

int main(void)
{
	printf("== exc_storage (%s)\n", CPU_NAME);
	exc_set_hook(IVOR_DSI, exc_record_skip);

	for (unsigned p = 0; p < sizeof(perm_sets) / sizeof(perm_sets[0]); p++) {
		printf("data page %s\n", perm_sets[p].name);
		map(WIN, page, perm_sets[p].perms);
		for (unsigned i = 0; i < sizeof(accesses) / sizeof(accesses[0]); i++)
			for (int user = 0; user < 2; user++)
				run_access(i, user, perm_sets[p].perms);
	}
	isi_tests();
	align_tests();
	tlb1_unmap(4);
	printf("== end\n");
	return 0;
}
