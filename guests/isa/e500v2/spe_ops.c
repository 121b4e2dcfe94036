/*
 * ISA-only (e500v2): SPE instructions QEMU 7.2 gets wrong.
 *
 * Signal Processing Engine APU (SPE PEM / e500 core reference manual):
 *   evslw/evsrwu/evsrws/evrlw shift or rotate each word of rA by the low
 *   6 (rotate: 5) bits of the matching word of rB (shifts of 32..63 give
 *   0, or the sign for evsrws); evslwi by an immediate; evmwlumi puts the
 *   low 32 bits of each unsigned word product in the matching word of rD.
 * QEMU 7.2 returns garbage for the variable shifts/rotates and treats
 * evmwlumi as illegal.  Not compared with QEMU.
 */
#include "test.h"

#define EV2(name, insn)							\
static uint64_t name(uint64_t a, uint64_t b)				\
{									\
	uint32_t hi, lo;						\
	__asm__ __volatile__(						\
		"evmergelo 6,%[ah],%[al]\n\t"				\
		"evmergelo 7,%[bh],%[bl]\n\t"				\
		insn "\n\t"						\
		"evmergehi %[hi],8,8\n\t"				\
		"mr %[lo],8"						\
		: [hi] "=&r"(hi), [lo] "=&r"(lo)			\
		: [ah] "r"((uint32_t)(a >> 32)), [al] "r"((uint32_t)a),	\
		  [bh] "r"((uint32_t)(b >> 32)), [bl] "r"((uint32_t)b)	\
		: "r6", "r7", "r8");					\
	return ((uint64_t)hi << 32) | lo;				\
}

EV2(ev_slw, "evslw 8,6,7")
EV2(ev_srwu, "evsrwu 8,6,7")
EV2(ev_srws, "evsrws 8,6,7")
EV2(ev_rlw, "evrlw 8,6,7")
EV2(ev_slwi, "evslwi 8,6,3")
EV2(ev_mwlumi, "evmwlumi 8,6,7")

static const struct {
	const char *name;
	uint64_t (*fn)(uint64_t, uint64_t);
	uint64_t a, b;
} ops[] = {
	{ "evslw", ev_slw, 0x0000000180000001ull, 0x0000001f00000004ull },
	{ "evslw >=32", ev_slw, 0xffffffff12345678ull, 0x000000200000003full },
	{ "evsrwu", ev_srwu, 0x80000000ffffffffull, 0x0000001f00000004ull },
	{ "evsrws", ev_srws, 0x800000007fffffffull, 0x0000001f00000004ull },
	{ "evsrws >=32", ev_srws, 0x800000007fffffffull, 0x0000002000000030ull },
	{ "evrlw", ev_rlw, 0x8000000112345678ull, 0x0000000100000008ull },
	{ "evslwi 3", ev_slwi, 0x0000000180000001ull, 0 },
	{ "evmwlumi", ev_mwlumi, 0x0000000300010000ull, 0x0000000500010001ull },
};

int main(void)
{
	printf("== spe_ops\n");
	exc_set_hook(IVOR_PROGRAM, exc_record_skip);
	mtmsr(MSR_SPE);
	for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		exc_clear();
		uint64_t r = ops[i].fn(ops[i].a, ops[i].b);
		printf("%-12s %016llx %016llx -> ", ops[i].name, ops[i].a,
		       ops[i].b);
		if (exc_count)
			printf("program interrupt esr %08x\n", exc_last.esr);
		else
			printf("%016llx\n", r);
	}
	mtmsr(0);
	printf("== end\n");
	return 0;
}
