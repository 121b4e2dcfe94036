/*
 * Floating-point unavailable (e500mc): with MSR[FP] = 0 every FP
 * instruction, loads and stores included, raises IVOR7 with SRR0 at the
 * instruction; with MSR[FP] = 1 they execute.  FP arithmetic itself is
 * covered by the guests in guests/fpu/.
 */
#include "test.h"

/* Two doubles, handled as integers in C so that no FP instruction runs
 * outside the probes (1.5 = 0x3ff8000000000000). */
static uint64_t slot[2] = { 0x3ff8000000000000ull, 0 };

PROBE(p_fadd, "", "fadd 1,1,2")
PROBE(p_fmr, "", "fmr 3,1")
PROBE(p_lfd, "", "lfd 1,0(3)")
PROBE(p_stfd, "", "stfd 1,8(3)")
PROBE(p_mffs, "", "mffs 4")
PROBE(p_mtfsb0, "", "mtfsb0 30")
PROBE(p_fcmpu, "", "fcmpu 1,1,2")

static const struct {
	const char *name;
	uint32_t (*fn)(uint32_t);
} probes[] = {
	{ "lfd", p_lfd }, { "fadd", p_fadd }, { "fmr", p_fmr },
	{ "stfd", p_stfd }, { "mffs", p_mffs }, { "mtfsb0", p_mtfsb0 },
	{ "fcmpu", p_fcmpu },
};

int main(void)
{
	printf("== fpu_unavail (%s)\n", CPU_NAME);
	exc_set_hook(IVOR_FPUNAVAIL, exc_record_skip);
	static const uint32_t msrs[] = { 0, MSR_FP, MSR_PR, MSR_PR | MSR_FP };
	for (unsigned m = 0; m < 4; m++) {
		for (unsigned i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
			exc_clear();
			uint32_t at;
			if (msrs[m] & MSR_PR) {
				at = call_with_msr(probes[i].fn, (uint32_t)slot,
						   msrs[m]);
			} else {
				mtmsr(msrs[m]);
				at = probes[i].fn((uint32_t)slot);
				mtmsr(0);
			}
			printf("msr %08x %-7s:", msrs[m], probes[i].name);
			if (exc_count)
				printf(" ivor %u srr0 %s srr1 %08x\n",
				       exc_last.vec, rel_pc(exc_last.pc, at),
				       exc_last.msr);
			else
				print(" executed\n");
		}
	}
	printf("stfd stored %016llx\n", slot[1]);
	printf("== end\n");
	return 0;
}
