/*
 * Special purpose registers: SPRGs (and their user read-only aliases),
 * USPRG0, PVR/PIR, save/restore registers, L1CSR cache-enable handshake,
 * MSR access (mfmsr/mtmsr/wrtee/wrteei), and which instructions are
 * privileged: from user mode each must raise a program interrupt with
 * ESR[PPR] and SRR0 at the instruction, while user-accessible SPRs work.
 */
#include "test.h"

static void sprg_rw(void)
{
	mtspr(SPR_SPRG0, 0x10000001);
	mtspr(SPR_SPRG1, 0x20000002);
	mtspr(SPR_SPRG2, 0x30000003);
	mtspr(SPR_SPRG3, 0x40000004);
	mtspr(SPR_SPRG4, 0x50000005);
	mtspr(SPR_SPRG5, 0x60000006);
	mtspr(SPR_SPRG6, 0x70000007);
	mtspr(SPR_SPRG7, 0x80000008);
	mtspr(SPR_USPRG0, 0x90000009);
	printf("sprg0-7: %08x %08x %08x %08x %08x %08x %08x %08x\n",
	       mfspr(SPR_SPRG0), mfspr(SPR_SPRG1), mfspr(SPR_SPRG2),
	       mfspr(SPR_SPRG3), mfspr(SPR_SPRG4), mfspr(SPR_SPRG5),
	       mfspr(SPR_SPRG6), mfspr(SPR_SPRG7));
	printf("sprg3-7 via 259-263: %08x %08x %08x %08x %08x\n",
	       mfspr(SPR_SPRG3_RO), mfspr(SPR_SPRG4_RO), mfspr(SPR_SPRG5_RO),
	       mfspr(SPR_SPRG6_RO), mfspr(SPR_SPRG7_RO));
	printf("usprg0: %08x\n", mfspr(SPR_USPRG0));
#ifdef CPU_E500MC
	mtspr(SPR_SPRG8, 0xa000000a);
	mtspr(SPR_SPRG9, 0xb000000b);
	printf("sprg8-9: %08x %08x\n", mfspr(SPR_SPRG8), mfspr(SPR_SPRG9));
#endif
}

static void save_restore_rw(void)
{
	mtspr(SPR_SRR0, 0x01234568);
	mtspr(SPR_SRR1, 0x00029230);
	mtspr(SPR_CSRR0, 0x0abcdef0);
	mtspr(SPR_CSRR1, 0x00000230);
	mtspr(SPR_MCSRR0, 0x0fedcba8);
	mtspr(SPR_MCSRR1, 0x00008000);
	mtspr(SPR_DEAR, 0xdeadbeef);
	mtspr(SPR_ESR, ESR_ST);
	printf("srr0/1 %08x %08x csrr0/1 %08x %08x mcsrr0/1 %08x %08x\n",
	       mfspr(SPR_SRR0), mfspr(SPR_SRR1), mfspr(SPR_CSRR0),
	       mfspr(SPR_CSRR1), mfspr(SPR_MCSRR0), mfspr(SPR_MCSRR1));
#ifdef CPU_E500MC
	mtspr(SPR_DSRR0, 0x00c0ffee);
	mtspr(SPR_DSRR1, 0x00001000);
	printf("dsrr0/1 %08x %08x\n", mfspr(SPR_DSRR0), mfspr(SPR_DSRR1));
#endif
	printf("dear %08x esr %08x\n", mfspr(SPR_DEAR), mfspr(SPR_ESR));
	mtspr(SPR_ESR, 0);
	printf("ivpr %08x ivor0 %08x ivor6 %08x ivor15 %08x\n", mfspr(SPR_IVPR),
	       mfspr(400), mfspr(406), mfspr(415));
}

static void msr_ops(void)
{
	/* ME is left alone: QEMU's mtmsr never changes it. */
	static const uint32_t vals[] = { 0, MSR_EE, MSR_CE | MSR_DE,
					 MSR_EE | MSR_CE | MSR_DE };
	for (unsigned i = 0; i < 4; i++) {
		mtmsr(vals[i]);
		uint32_t m = mfmsr();
		mtmsr(0);
		printf("mtmsr %08x -> %08x\n", vals[i], m);
	}
	uint32_t m1, m2, m3, m4;
	__asm__ __volatile__("wrteei 1\n\tmfmsr %0\n\twrteei 0\n\tmfmsr %1"
			     : "=r"(m1), "=r"(m2));
	uint32_t on = MSR_EE, off = ~MSR_EE;
	__asm__ __volatile__("wrtee %2\n\tmfmsr %0\n\twrtee %3\n\tmfmsr %1"
			     : "=&r"(m3), "=&r"(m4) : "r"(on), "r"(off));
	printf("wrteei 1 -> %08x, wrteei 0 -> %08x\n", m1, m2);
	printf("wrtee EE -> %08x, wrtee ~EE -> %08x\n", m3, m4);
}

static void cache_csr(void)
{
	/* Flash invalidate (CFI) and lock-clear (CLFC) read back as 0 once
	 * done; CE sticks. */
	mtspr(SPR_L1CSR0, 0x2);
	uint32_t a = mfspr(SPR_L1CSR0);
	mtspr(SPR_L1CSR0, 0x1);
	uint32_t b = mfspr(SPR_L1CSR0);
	mtspr(SPR_L1CSR1, 0x102);
	uint32_t c = mfspr(SPR_L1CSR1);
	mtspr(SPR_L1CSR1, 0x1);
	uint32_t d = mfspr(SPR_L1CSR1);
	printf("l1csr0: cfi -> %08x, ce -> %08x; l1csr1: cfi|clfc -> %08x,"
	       " ce -> %08x\n", a, b, c, d);
	printf("l1cfg0 %08x l1cfg1 %08x\n", mfspr(SPR_L1CFG0),
	       mfspr(SPR_L1CFG1));
}

/* ---- user mode ---------------------------------------------------------
 * Each probe runs one instruction and returns its address (see PROBE). */
PROBE(u_mfsprg0, "", "mfspr 3,272")
PROBE(u_mtsprg0, "", "mtspr 272,3")
PROBE(u_mfsprg4_ro, "", "mfspr 3,260")
PROBE(u_mfsprg3_ro, "", "mfspr 3,259")
PROBE(u_mfusprg0, "", "mfspr 3,256")
PROBE(u_mtusprg0, "", "mtspr 256,3")
PROBE(u_mfsrr0, "", "mfspr 3,26")
PROBE(u_mtsrr1, "", "mtspr 27,3")
PROBE(u_mfpvr, "", "mfspr 3,287")
PROBE(u_mfpir, "", "mfspr 3,286")
PROBE(u_mfesr, "", "mfspr 3,62")
PROBE(u_mtdec, "", "mtspr 22,3")
PROBE(u_mftbl, "", "mfspr 3,268")
PROBE(u_mftbu, "", "mfspr 3,269")
PROBE(u_mttbl, "", "mtspr 284,3")
PROBE(u_mfxer, "", "mfspr 3,1")
PROBE(u_mfmas0, "", "mfspr 3,624")
PROBE(u_mfmsr, "", "mfmsr 3")
PROBE(u_mtmsr, "li 3,0", "mtmsr 3")
PROBE(u_wrtee, "", "wrtee 3")
PROBE(u_wrteei, "", "wrteei 0")
PROBE(u_rfi, "", "rfi")
PROBE(u_rfci, "", "rfci")
PROBE(u_tlbwe, "", "tlbwe")
PROBE(u_tlbre, "", "tlbre")
PROBE(u_tlbsx, "li 4,0", "tlbsx 0,4")
PROBE(u_tlbivax, "li 4,0", "tlbivax 0,4")
PROBE(u_tlbsync, "", "tlbsync")
PROBE(u_dcbi, "", "dcbi 0,1")
#ifdef CPU_E500MC
PROBE(u_msgsnd, "li 4,0", ".long 0x7c00219c")		/* msgsnd r4 */
PROBE(u_msgclr, "li 4,0", ".long 0x7c0021dc")		/* msgclr r4 */
PROBE(u_mftb, "", ".long 0x7c6c42e6")			/* mftb r3 */
#endif

static const struct {
	const char *name;
	uint32_t (*fn)(uint32_t);
} user_ops[] = {
	{ "mfspr sprg0", u_mfsprg0 }, { "mtspr sprg0", u_mtsprg0 },
	{ "mfspr sprg4-ro", u_mfsprg4_ro }, { "mfspr sprg3-ro", u_mfsprg3_ro },
	{ "mfspr usprg0", u_mfusprg0 }, { "mtspr usprg0", u_mtusprg0 },
	{ "mfspr srr0", u_mfsrr0 }, { "mtspr srr1", u_mtsrr1 },
	{ "mfspr pvr", u_mfpvr }, { "mfspr pir", u_mfpir },
	{ "mfspr esr", u_mfesr }, { "mtspr dec", u_mtdec },
	{ "mfspr tbl", u_mftbl }, { "mfspr tbu", u_mftbu },
	{ "mtspr tbl(284)", u_mttbl }, { "mfspr xer", u_mfxer },
	{ "mfspr mas0", u_mfmas0 }, { "mfmsr", u_mfmsr }, { "mtmsr", u_mtmsr },
	{ "wrtee", u_wrtee }, { "wrteei", u_wrteei }, { "rfi", u_rfi },
	{ "rfci", u_rfci }, { "tlbwe", u_tlbwe }, { "tlbre", u_tlbre },
	{ "tlbsx", u_tlbsx }, { "tlbivax", u_tlbivax }, { "tlbsync", u_tlbsync },
	{ "dcbi", u_dcbi },
#ifdef CPU_E500MC
	{ "msgsnd", u_msgsnd }, { "msgclr", u_msgclr }, { "mftb", u_mftb },
#endif
};

static volatile uint32_t user_seen[6];

static uint32_t user_reads(uint32_t arg)
{
	user_seen[0] = mfspr(SPR_SPRG3_RO);
	user_seen[1] = mfspr(SPR_SPRG4_RO);
	user_seen[2] = mfspr(SPR_SPRG5_RO);
	user_seen[3] = mfspr(SPR_SPRG6_RO);
	user_seen[4] = mfspr(SPR_SPRG7_RO);
	user_seen[5] = mfspr(SPR_USPRG0);
	mtspr(SPR_USPRG0, arg);
	return 0;
}

int main(void)
{
	printf("== spr (%s)\n", CPU_NAME);
	printf("pvr %08x pir %08x\n", mfspr(SPR_PVR), mfspr(SPR_PIR));
	sprg_rw();
	save_restore_rw();
	msr_ops();
	cache_csr();

	exc_set_hook(IVOR_PROGRAM, exc_record_skip);
	for (unsigned i = 0; i < sizeof(user_ops) / sizeof(user_ops[0]); i++) {
		exc_clear();
		uint32_t at = call_with_msr(user_ops[i].fn, 0, MSR_PR);
		if (exc_count == 0) {
			printf("user %-15s: no interrupt\n", user_ops[i].name);
			continue;
		}
		printf("user %-15s: ivor %u esr %08x srr0 %s srr1 %08x\n",
		       user_ops[i].name, exc_last.vec, exc_last.esr,
		       exc_last.pc == at ? "=insn" : "WRONG",
		       exc_last.msr & ~SRR1_QEMU_JUNK);
	}
	/* Values seen from user mode through the aliases. */
	call_with_msr(user_reads, 0x5a5a5a5a, MSR_PR);
	printf("user sprg3-7 %08x %08x %08x %08x %08x usprg0 %08x -> %08x\n",
	       user_seen[0], user_seen[1], user_seen[2], user_seen[3],
	       user_seen[4], user_seen[5], mfspr(SPR_USPRG0));
	printf("== end\n");
	return 0;
}
