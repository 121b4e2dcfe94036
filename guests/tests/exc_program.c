/*
 * System call and program interrupts: sc (SRR0 = next instruction),
 * illegal instructions (ESR[PIL]), privileged instructions from user mode
 * (ESR[PPR]) and traps (ESR[PTR]) for every TO condition, from supervisor
 * and user mode.  SRR1 is printed without the reason bits QEMU leaves in
 * it (SRR1_QEMU_JUNK).
 */
#include "test.h"

PROBE(p_sc, "li 0,0x1234", "sc")
PROBE(p_sc_r0, "li 0,7", "sc")
PROBE(p_ill0, "", ".long 0x00000000")
PROBE(p_ill1, "", ".long 0x04000000")		/* primary opcode 1 */
PROBE(p_ill_22, "", ".long 0x58000000")		/* primary opcode 22 */
PROBE(p_ill_19, "", ".long 0x4c0007fe")	/* opcode 19, XO 1023 */
#ifdef CPU_E500V2
PROBE(p_fadd, "", ".long 0xfc21102a")		/* fadd f1,f1,f2: no FPU */
#endif
PROBE(p_priv_mtsrr0, "", "mtspr 26,3")
PROBE(p_priv_mfmsr, "", "mfmsr 3")
PROBE(p_priv_rfi, "", "rfi")
PROBE(p_trap, "", "trap")
PROBE(p_twi_never, "", "twi 0,3,0")

static const struct {
	const char *name;
	uint32_t (*fn)(uint32_t);
	int user;
} probes[] = {
	{ "sc", p_sc, 0 }, { "sc (r0=7)", p_sc_r0, 0 }, { "sc user", p_sc, 1 },
	{ "illegal 0x00000000", p_ill0, 0 },
	{ "illegal 0x04000000", p_ill1, 0 },
	{ "illegal 0x58000000", p_ill_22, 0 },
	{ "illegal 0x4c0007fe", p_ill_19, 0 },
	{ "illegal 0x00000000 user", p_ill0, 1 },
#ifdef CPU_E500V2
	{ "fadd (no FPU)", p_fadd, 0 },
#endif
	{ "mtspr srr0 user", p_priv_mtsrr0, 1 },
	{ "mfmsr user", p_priv_mfmsr, 1 },
	{ "rfi user", p_priv_rfi, 1 },
	{ "trap", p_trap, 0 }, { "trap user", p_trap, 1 },
	{ "twi 0 (never)", p_twi_never, 0 },
};

/* tw/twi with each TO bit over signed/unsigned orderings. */
#define TW(to) PROBE2(tw_##to, "", "tw " #to ",3,4")
#define TWI(to) PROBE(twi_##to, "", "twi " #to ",3,-2")
#define TO_LIST(X) X(1) X(2) X(4) X(8) X(16) X(12) X(20) X(24) X(31)
TO_LIST(TW)
TO_LIST(TWI)
#define TW_ENT(to) { to, tw_##to, twi_##to },
static const struct {
	unsigned to;
	uint32_t (*tw)(uint32_t, uint32_t);
	uint32_t (*twi)(uint32_t);
} tos[] = { TO_LIST(TW_ENT) };

/* r3, r4 pairs for tw; twi compares r3 with -2. */
static const uint32_t pairs[][2] = {
	{ 1, 2 }, { 2, 1 }, { 5, 5 }, { 0xffffffff, 1 }, { 1, 0xffffffff },
	{ 0xfffffffe, 0xfffffffe },
};

int main(void)
{
	printf("== exc_program (%s)\n", CPU_NAME);
	exc_set_hook(IVOR_PROGRAM, exc_record_skip);
	exc_set_hook(IVOR_SYSCALL, exc_record);	/* SRR0 already next */

	for (unsigned i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		exc_clear();
		uint32_t at = probes[i].user
			? call_with_msr(probes[i].fn, 0, MSR_PR)
			: probes[i].fn(0);
		if (!exc_count) {
			printf("%-24s: no interrupt\n", probes[i].name);
			continue;
		}
		printf("%-24s: ivor %u srr0 %s srr1 %08x", probes[i].name,
		       exc_last.vec, rel_pc(exc_last.pc, at),
		       exc_last.msr & ~SRR1_QEMU_JUNK);
		if (exc_last.vec == IVOR_PROGRAM)
			printf(" esr %08x", exc_last.esr);
		if (exc_last.vec == IVOR_SYSCALL)
			printf(" r0 %08x", exc_last.gpr[0]);
		print("\n");
	}

	for (unsigned t = 0; t < sizeof(tos) / sizeof(tos[0]); t++) {
		printf("tw  TO=%2u:", tos[t].to);
		for (unsigned p = 0; p < sizeof(pairs) / sizeof(pairs[0]); p++) {
			exc_clear();
			uint32_t at = tos[t].tw(pairs[p][0], pairs[p][1]);
			printf(" %s", !exc_count ? "-" :
			       exc_last.esr == ESR_PTR && exc_last.pc == at
			       ? "T" : "?");
		}
		printf("   twi TO=%2u:", tos[t].to);
		for (unsigned p = 0; p < sizeof(pairs) / sizeof(pairs[0]); p++) {
			exc_clear();
			uint32_t at = tos[t].twi(pairs[p][0]);
			printf(" %s", !exc_count ? "-" :
			       exc_last.esr == ESR_PTR && exc_last.pc == at
			       ? "T" : "?");
		}
		print("\n");
	}
	printf("== end\n");
	return 0;
}
