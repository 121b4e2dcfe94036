/*
 * Invalid instruction forms: encodings of real instructions with the Rc
 * bit or another reserved field set.  Each is executed in supervisor mode
 * with operands that make it harmless if it does run (EAs point at a
 * scratch buffer, MSR writes write back the current MSR, returns from
 * interrupt return to the next instruction, TLB writes write an invalid
 * entry into an unused slot), and the line says whether it raised an
 * interrupt, which (an invalid form is an illegal-instruction program
 * interrupt: ESR[PIL], SRR0 at the instruction) or ran.  A few forms with
 * defined results (mfocrf, mtocrf) also print what they computed.
 */
#include "test.h"

#define STR_(x) #x
#define STR(x) STR_(x)
#define WORD(x) ".long " STR(x)

/* Encodings as assembler expressions (fields as in the ISA's X/XO/A/D forms). */
#define XF(po, xo, d, a, b, rc) \
	(((po) << 26) | ((d) << 21) | ((a) << 16) | ((b) << 11) | ((xo) << 1) | (rc))
#define X31(xo, d, a, b, rc) XF(31, xo, d, a, b, rc)
#define X19(xo, d, a, b, rc) XF(19, xo, d, a, b, rc)
#define DF(po, d, a, imm) (((po) << 26) | ((d) << 21) | ((a) << 16) | (imm))
/* SPR number split into its two 5-bit halves as mfspr/mtspr encode it. */
#define SPRF(n) ((((n) & 31) << 16) | ((((n) >> 5) & 31) << 11))

/* Unused TLB1 slot for tlbwe and an unused PID for tlbilx. */
#define SPARE_ESEL (TLB1_ENTRIES - 1)
#define SPARE_PID 0x55

static uint8_t buf[256] __attribute__((aligned(64)));

/*
 * FORM(name, setup, insn): `uint32_t name(uint32_t ea)` runs `setup`, then
 * `insn` at local label 1 (label 2 follows it), and returns the address of
 * label 1.  r3 = ea (the scratch buffer), r4-r6 are free, r0 is cleared
 * (so a stray `sc` is a plain system call).
 */
#define FORM(name, setup, insn)						\
static uint32_t name(uint32_t ea) __attribute__((noinline));		\
static uint32_t name(uint32_t ea)					\
{									\
	register uint32_t r3_ __asm__("r3") = ea;			\
	uint32_t a_;							\
	__asm__ __volatile__("li 0,0\n\t" setup "\n\t"			\
			     "lis %0,1f@ha\n\taddi %0,%0,1f@l\n"	\
			     "1:\t" insn "\n2:"				\
			     : "=&b"(a_), "+r"(r3_)			\
			     : : "r0", "r4", "r5", "r6", "ctr", "cr0", "cr1",	\
			       "cr5", "cr6", "cr7", "xer", "memory");	\
	return a_;							\
}

#define SET_MSR_COPY "mfmsr 4"
/* xSRR0 = label 2 and xSRR1 = MSR, so a return from interrupt lands next. */
#define RET_TO_NEXT(s0, s1) \
	"lis 5,2f@ha\n\taddi 5,5,2f@l\n\tmtspr " STR(s0) ",5\n\t" \
	"mfmsr 5\n\tmtspr " STR(s1) ",5"
#define SPARE_TLBWE \
	"lis 5," STR(MAS0_TLBSEL(1) | MAS0_ESEL(SPARE_ESEL)) "@h\n\t" \
	"mtspr " STR(SPR_MAS0) ",5\n\tli 5,0\n\tmtspr " STR(SPR_MAS1) ",5"

/* ---- moves to and from CR, MSR, SPRs ---- */
FORM(f_mfcr_ok, "", WORD(X31(19, 4, 0, 0, 0)))
FORM(f_mfcr_rc, "", WORD(X31(19, 4, 0, 0, 1)))
FORM(f_mfcr_b11, "", WORD(X31(19, 4, 0, 0, 0) | 0x800))
FORM(f_mtcrf_rc, "mfcr 4", WORD(X31(144, 4, 0, 0, 1) | (0x80 << 12)))
FORM(f_mtcrf_b11, "mfcr 4", WORD(X31(144, 4, 0, 0, 0) | (0x80 << 12) | 0x800))
FORM(f_mcrxr_rc, "", WORD(X31(512, 0, 0, 0, 1)))
FORM(f_mcrxr_ra, "", WORD(X31(512, 0, 3, 0, 0)))
FORM(f_mcrxr_lo, "", WORD(X31(512, 1, 0, 0, 0)))
FORM(f_mcrxr_rb, "", WORD(X31(512, 0, 0, 3, 0)))
FORM(f_mfcr_ra, "", WORD(X31(19, 4, 3, 0, 0)))
FORM(f_mfcr_rb, "", WORD(X31(19, 4, 0, 3, 0)))
FORM(f_mfmsr_rc, "", WORD(X31(83, 4, 0, 0, 1)))
FORM(f_mfmsr_ra, "", WORD(X31(83, 4, 3, 0, 0)))
FORM(f_mfmsr_rb, "", WORD(X31(83, 4, 0, 3, 0)))
FORM(f_mtmsr_rc, SET_MSR_COPY, WORD(X31(146, 4, 0, 0, 1)))
FORM(f_mtmsr_ra, SET_MSR_COPY, WORD(X31(146, 4, 3, 0, 0)))
FORM(f_mtmsr_rb, SET_MSR_COPY, WORD(X31(146, 4, 0, 3, 0)))
FORM(f_mtmsr_l, SET_MSR_COPY, WORD(X31(146, 4, 1, 0, 0)))
FORM(f_wrtee_rc, SET_MSR_COPY, WORD(X31(131, 4, 0, 0, 1)))
FORM(f_wrtee_rb, SET_MSR_COPY, WORD(X31(131, 4, 0, 3, 0)))
FORM(f_wrtee_ra, SET_MSR_COPY, WORD(X31(131, 4, 3, 0, 0)))
FORM(f_wrtee_ra16, SET_MSR_COPY, WORD(X31(131, 4, 16, 0, 0)))
FORM(f_wrtee_b10, SET_MSR_COPY, WORD(X31(131, 4, 0, 0, 0) | 0x400))
FORM(f_wrteei_rc, "", WORD(X31(163, 0, 0, 0, 1)))
FORM(f_wrteei_rb, "", WORD(X31(163, 0, 0, 2, 0)))
FORM(f_wrteei_rd, "", WORD(X31(163, 4, 0, 0, 0)))
FORM(f_mfspr_rc, "", WORD(X31(339, 4, 0, 0, 1) | SPRF(SPR_LR)))
FORM(f_mtspr_rc, "li 4,0", WORD(X31(467, 4, 0, 0, 1) | SPRF(SPR_CTR)))
#ifdef CPU_E500MC
FORM(f_mftb_rc, "", WORD(X31(371, 4, 0, 0, 1) | SPRF(SPR_TBL_R)))
#endif

/* ---- synchronisation, returns, traps, system call ---- */
FORM(f_isync_rc, "", WORD(X19(150, 0, 0, 0, 1)))
FORM(f_isync_rd, "", WORD(X19(150, 1, 0, 0, 0)))
FORM(f_isync_ra, "", WORD(X19(150, 0, 1, 0, 0)))
FORM(f_isync_rb, "", WORD(X19(150, 0, 0, 1, 0)))
FORM(f_sync_rc, "", WORD(X31(598, 0, 0, 0, 1)))
FORM(f_sync_l1, "", WORD(X31(598, 1, 0, 0, 0)))
FORM(f_sync_l2, "", WORD(X31(598, 2, 0, 0, 0)))
FORM(f_sync_l3, "", WORD(X31(598, 3, 0, 0, 0)))
FORM(f_sync_rb, "", WORD(X31(598, 0, 0, 3, 0)))
FORM(f_sync_d4, "", WORD(X31(598, 4, 0, 0, 0)))
FORM(f_sync_d8, "", WORD(X31(598, 8, 0, 0, 0)))
FORM(f_sync_d16, "", WORD(X31(598, 16, 0, 0, 0)))
FORM(f_sync_ra, "", WORD(X31(598, 0, 3, 0, 0)))
FORM(f_mbar_rc, "", WORD(X31(854, 0, 0, 0, 1)))
FORM(f_mbar_mo1, "", WORD(X31(854, 1, 0, 0, 0)))
FORM(f_mbar_ra, "", WORD(X31(854, 0, 3, 0, 0)))
FORM(f_mbar_rb, "", WORD(X31(854, 0, 0, 3, 0)))
FORM(f_tlbsync_rc, "", WORD(X31(566, 0, 0, 0, 1)))
FORM(f_tlbsync_rb, "", WORD(X31(566, 0, 0, 3, 0)))
FORM(f_rfi_rc, RET_TO_NEXT(SPR_SRR0, SPR_SRR1), WORD(X19(50, 0, 0, 0, 1)))
FORM(f_rfi_rb, RET_TO_NEXT(SPR_SRR0, SPR_SRR1), WORD(X19(50, 0, 0, 3, 0)))
FORM(f_rfi_rb16, RET_TO_NEXT(SPR_SRR0, SPR_SRR1), WORD(X19(50, 0, 0, 16, 0)))
FORM(f_rfi_ra, RET_TO_NEXT(SPR_SRR0, SPR_SRR1), WORD(X19(50, 0, 1, 0, 0)))
FORM(f_rfi_rd, RET_TO_NEXT(SPR_SRR0, SPR_SRR1), WORD(X19(50, 1, 0, 0, 0)))
FORM(f_rfci_rc, RET_TO_NEXT(SPR_CSRR0, SPR_CSRR1), WORD(X19(51, 0, 0, 0, 1)))
FORM(f_rfdi_rc, RET_TO_NEXT(SPR_DSRR0, SPR_DSRR1), WORD(X19(39, 0, 0, 0, 1)))
FORM(f_rfmci_rc, RET_TO_NEXT(SPR_MCSRR0, SPR_MCSRR1), WORD(X19(38, 0, 0, 0, 1)))
FORM(f_tw_rc, "", WORD(X31(4, 0, 3, 3, 1)))
FORM(f_sc_rc, "", WORD((17 << 26) | 2 | 1))
FORM(f_sc_rd, "", WORD((17 << 26) | 2 | (1 << 21)))
FORM(f_sc_b2, "", WORD((17 << 26) | 2 | 4))
FORM(f_sc_b4, "", WORD((17 << 26) | 2 | 16))
FORM(f_sc_nob1, "", WORD(17 << 26))
#ifdef CPU_E500MC
FORM(f_wait_rc, "", WORD(X31(62, 0, 0, 0, 1)))
FORM(f_msgsnd_rc, "lis 4,0xf800", WORD(X31(206, 0, 0, 4, 1)))
FORM(f_msgsnd_rd, "lis 4,0xf800", WORD(X31(206, 1, 0, 4, 0)))
FORM(f_msgclr_rc, "lis 4,0xf800", WORD(X31(238, 0, 0, 4, 1)))
#endif

/* ---- cache management (EA = the scratch buffer) ---- */
#define CACHE_D(n, xo, d) FORM(f_##n##_d##d, "", WORD(X31(xo, d, 0, 3, 0)))
#define CACHE_RC(n, xo) FORM(f_##n##_rc, "", WORD(X31(xo, 0, 0, 3, 1)))
#define CACHE(n, xo) CACHE_RC(n, xo) CACHE_D(n, xo, 0) CACHE_D(n, xo, 1) \
	CACHE_D(n, xo, 2) CACHE_D(n, xo, 16)
#define CACHE_LIST(X) X(dcbst, 54) X(dcbf, 86) X(dcbt, 278) X(dcbtst, 246) \
	X(dcba, 758) X(dcbi, 470) X(dcbz, 1014) X(icbi, 982) X(dcbtls, 166)
CACHE_LIST(CACHE)
/*
 * icbt with CT != 0 and the cache-locking instructions QEMU 7.2 does not
 * implement (dcbtstls, dcblc, icbtls, icblc) are left to the ISA-only
 * guests: here only forms that are invalid whatever the implementation.
 */
CACHE_RC(icbt, 22) CACHE_D(icbt, 22, 0)
#define LOCK(n, xo) CACHE_RC(n, xo) CACHE_D(n, xo, 16)
#define LOCK_LIST(X) X(dcbtstls, 134) X(dcblc, 390) X(icbtls, 486) X(icblc, 230)
LOCK_LIST(LOCK)

/* ---- TLB management ---- */
FORM(f_tlbivax_rc, "", WORD(X31(786, 0, 0, 3, 1)))
FORM(f_tlbivax_rd, "", WORD(X31(786, 1, 0, 3, 0)))
FORM(f_tlbre_rc, SPARE_TLBWE, WORD(X31(946, 0, 0, 0, 1)))
FORM(f_tlbre_rb, SPARE_TLBWE, WORD(X31(946, 0, 0, 3, 0)))
FORM(f_tlbwe_rc, SPARE_TLBWE, WORD(X31(978, 0, 0, 0, 1)))
FORM(f_tlbwe_rb, SPARE_TLBWE, WORD(X31(978, 0, 0, 3, 0)))
FORM(f_tlbsx_rc, "", WORD(X31(914, 0, 0, 3, 1)))
FORM(f_tlbsx_rd, "", WORD(X31(914, 1, 0, 3, 0)))
#ifdef CPU_E500MC
#define SPARE_MAS6 "lis 5," STR(SPARE_PID) "\n\tmtspr " STR(SPR_MAS6) ",5"
FORM(f_tlbilx_rc, SPARE_MAS6, WORD(X31(18, 1, 0, 3, 1)))
FORM(f_tlbilx_d4, SPARE_MAS6, WORD(X31(18, 5, 0, 3, 0)))
FORM(f_tlbilx_t2, SPARE_MAS6, WORD(X31(18, 2, 0, 3, 0)))
FORM(f_tlbilx_d9, SPARE_MAS6, WORD(X31(18, 9, 0, 3, 0)))
FORM(f_tlbilx_d17, SPARE_MAS6, WORD(X31(18, 17, 0, 3, 0)))
#endif

/* ---- loads and stores (EA = the scratch buffer; update forms add r5 = 0) ---- */
#define LSX(n, xo) FORM(f_##n##_rc, "", WORD(X31(xo, 4, 0, 3, 1)))
#define LSUX(n, xo) FORM(f_##n##_rc, "mr 6,3\n\tli 5,0", WORD(X31(xo, 4, 6, 5, 1)))
#define LS_LIST(X, U) X(lwzx, 23) X(lbzx, 87) X(lhzx, 279) X(lhax, 343) \
	X(stwx, 151) X(stbx, 215) X(sthx, 407) X(lwbrx, 534) X(lhbrx, 790) \
	X(stwbrx, 662) X(sthbrx, 918) X(lwarx, 20) \
	U(lwzux, 55) U(lbzux, 119) U(lhzux, 311) U(lhaux, 375) \
	U(stwux, 183) U(stbux, 247) U(sthux, 439)
LS_LIST(LSX, LSUX)
FORM(f_stwcx_norc, "", WORD(X31(150, 4, 0, 3, 0)))

/* ---- integer ---- */
FORM(f_isel_rc, "", WORD(X31(15, 4, 3, 3, 1)))
FORM(f_crand_rc, "", WORD(X19(257, 0, 0, 0, 1)))
FORM(f_cror_rc, "", WORD(X19(449, 0, 0, 0, 1)))
FORM(f_mcrf_rc, "", WORD(X19(0, 0, 0, 0, 1)))
FORM(f_mcrf_lo, "", WORD(X19(0, 1, 1, 0, 0)))
FORM(f_mcrf_rb, "", WORD(X19(0, 0, 0, 3, 0)))
FORM(f_cmp_rc, "", WORD(X31(0, 0, 3, 3, 1)))
FORM(f_cmp_l, "", WORD(X31(0, 1, 3, 3, 0)))
FORM(f_cmp_b9, "", WORD(X31(0, 2, 3, 3, 0)))
FORM(f_cmpl_rc, "", WORD(X31(32, 0, 3, 3, 1)))
FORM(f_cmpl_l, "", WORD(X31(32, 1, 3, 3, 0)))
FORM(f_cmpl_b9, "", WORD(X31(32, 2, 3, 3, 0)))
FORM(f_cmpi_l, "", WORD(DF(11, 1, 3, 0)))
FORM(f_cmpi_b9, "", WORD(DF(11, 2, 3, 0)))
FORM(f_cmpli_l, "", WORD(DF(10, 1, 3, 0)))
FORM(f_cmpli_b9, "", WORD(DF(10, 2, 3, 0)))
FORM(f_neg_rb, "", WORD(X31(104, 4, 3, 3, 0)))
FORM(f_addme_rb, "", WORD(X31(234, 4, 3, 3, 0)))
FORM(f_addze_rb, "", WORD(X31(202, 4, 3, 3, 0)))
FORM(f_subfme_rb, "", WORD(X31(232, 4, 3, 3, 0)))
FORM(f_subfze_rb, "", WORD(X31(200, 4, 3, 3, 0)))
FORM(f_mulhw_oe, "", WORD(X31(75 | 512, 4, 3, 3, 0)))
FORM(f_mulhwu_oe, "", WORD(X31(11 | 512, 4, 3, 3, 0)))
FORM(f_extsb_rb, "", WORD(X31(954, 3, 4, 3, 0)))
FORM(f_extsh_rb, "", WORD(X31(922, 3, 4, 3, 0)))
FORM(f_cntlzw_rb, "", WORD(X31(26, 3, 4, 3, 0)))

struct form {
	const char *name;
	uint32_t (*fn)(uint32_t);
};

#ifdef CPU_E500MC
/* Floating point (e500mc), run with MSR[FP] = 1: f0 = result, f1/f2 sources. */
#define FPFORM(name, setup, insn)					\
static uint32_t name(uint32_t ea) __attribute__((noinline));		\
static uint32_t name(uint32_t ea)					\
{									\
	register uint32_t r3_ __asm__("r3") = ea;			\
	uint32_t a_;							\
	__asm__ __volatile__(setup "\n\t"				\
			     "lis %0,1f@ha\n\taddi %0,%0,1f@l\n"	\
			     "1:\t" insn "\n2:"				\
			     : "=&b"(a_), "+r"(r3_)			\
			     : : "r4", "r5", "r6", "fr0", "cr0", "cr1",	\
			       "cr5", "cr6", "cr7", "memory");		\
	return a_;							\
}
#define FA(po, xo, d, a, b, c, rc) \
	(((po) << 26) | ((d) << 21) | ((a) << 16) | ((b) << 11) | ((c) << 6) | ((xo) << 1) | (rc))
FPFORM(p_fadd_c, "", WORD(FA(63, 21, 0, 1, 2, 1, 0)))
FPFORM(p_fsub_c, "", WORD(FA(63, 20, 0, 1, 2, 1, 0)))
FPFORM(p_fdiv_c, "", WORD(FA(63, 18, 0, 1, 2, 1, 0)))
FPFORM(p_fmul_b, "", WORD(FA(63, 25, 0, 1, 1, 2, 0)))
FPFORM(p_fadds_c, "", WORD(FA(59, 21, 0, 1, 2, 1, 0)))
FPFORM(p_fmuls_b, "", WORD(FA(59, 25, 0, 1, 1, 2, 0)))
FPFORM(p_fres_a, "", WORD(FA(59, 24, 0, 1, 2, 0, 0)))
FPFORM(p_fres_c, "", WORD(FA(59, 24, 0, 0, 2, 1, 0)))
FPFORM(p_frsqrte_a, "", WORD(FA(63, 26, 0, 1, 2, 0, 0)))
FPFORM(p_fsel_ok, "", WORD(FA(63, 23, 0, 1, 2, 1, 0)))
FPFORM(p_fmr_a, "", WORD(XF(63, 72, 0, 1, 2, 0)))
FPFORM(p_fneg_a, "", WORD(XF(63, 40, 0, 1, 2, 0)))
FPFORM(p_fabs_a, "", WORD(XF(63, 264, 0, 1, 2, 0)))
FPFORM(p_fnabs_a, "", WORD(XF(63, 136, 0, 1, 2, 0)))
FPFORM(p_frsp_a, "", WORD(XF(63, 12, 0, 1, 2, 0)))
FPFORM(p_fctiw_a, "", WORD(XF(63, 14, 0, 1, 2, 0)))
FPFORM(p_fctiwz_a, "", WORD(XF(63, 15, 0, 1, 2, 0)))
FPFORM(p_fcmpu_rc, "", WORD(XF(63, 0, 0, 1, 2, 1)))
FPFORM(p_fcmpu_lo, "", WORD(XF(63, 0, 1, 1, 2, 0)))
FPFORM(p_fcmpo_rc, "", WORD(XF(63, 32, 0, 1, 2, 1)))
FPFORM(p_mcrfs_rc, "", WORD(XF(63, 64, 0, 4, 0, 1)))
FPFORM(p_mcrfs_lo, "", WORD(XF(63, 64, 1, 4, 0, 0)))
FPFORM(p_mcrfs_rb, "", WORD(XF(63, 64, 0, 4, 3, 0)))
FPFORM(p_mcrfs_alo, "", WORD(XF(63, 64, 0, 5, 0, 0)))
FPFORM(p_mffs_a, "", WORD(XF(63, 583, 0, 1, 0, 0)))
FPFORM(p_mffs_b, "", WORD(XF(63, 583, 0, 0, 1, 0)))
FPFORM(p_mtfsb0_a, "", WORD(XF(63, 70, 31, 1, 0, 0)))
FPFORM(p_mtfsb1_b, "", WORD(XF(63, 38, 31, 0, 1, 0)))
FPFORM(p_mtfsfi_a, "", WORD(XF(63, 134, 28, 1, 0, 0)))
FPFORM(p_mtfsfi_a2, "", WORD(XF(63, 134, 28, 2, 0, 0)))
FPFORM(p_mtfsfi_lo, "", WORD(XF(63, 134, 29, 0, 0, 0)))
FPFORM(p_mtfsfi_b11, "", WORD(XF(63, 134, 28, 0, 0, 0) | 0x800))
FPFORM(p_frsqrte_c, "", WORD(FA(63, 26, 0, 0, 2, 1, 0)))
FPFORM(p_mtfsf_b11, "mffs 0", WORD(XF(63, 711, 0, 0, 0, 0) | (0x01 << 17)) "\n\t" WORD(XF(63, 711, 0, 0, 0, 0) | (0x01 << 17) | 0x800))
FPFORM(p_lfsx_rc, "", WORD(X31(535, 0, 0, 3, 1)))
FPFORM(p_lfdx_rc, "", WORD(X31(599, 0, 0, 3, 1)))
FPFORM(p_stfsx_rc, "", WORD(X31(663, 0, 0, 3, 1)))
FPFORM(p_stfdx_rc, "", WORD(X31(727, 0, 0, 3, 1)))
FPFORM(p_stfiwx_rc, "", WORD(X31(983, 0, 0, 3, 1)))
FPFORM(p_lfdux_rc, "mr 6,3\n\tli 5,0", WORD(X31(631, 0, 6, 5, 1)))

#define PENT(n) { #n, p_##n },
static const struct form fp_forms[] = {
	PENT(fadd_c) PENT(fsub_c) PENT(fdiv_c) PENT(fmul_b) PENT(fadds_c)
	PENT(fmuls_b) PENT(fres_a) PENT(fres_c) PENT(frsqrte_a) PENT(fsel_ok)
	PENT(fmr_a) PENT(fneg_a) PENT(fabs_a) PENT(fnabs_a) PENT(frsp_a)
	PENT(fctiw_a) PENT(fctiwz_a) PENT(fcmpu_rc) PENT(fcmpu_lo) PENT(fcmpo_rc)
	PENT(mcrfs_rc) PENT(mcrfs_lo) PENT(mcrfs_rb) PENT(mcrfs_alo) PENT(mffs_a) PENT(mffs_b)
	PENT(mtfsb0_a) PENT(mtfsb1_b) PENT(mtfsfi_a) PENT(mtfsfi_a2) PENT(mtfsfi_lo) PENT(mtfsfi_b11) PENT(frsqrte_c)
	PENT(mtfsf_b11)
	PENT(lfsx_rc) PENT(lfdx_rc) PENT(stfsx_rc) PENT(stfdx_rc) PENT(stfiwx_rc)
	PENT(lfdux_rc)
};
#endif


#define ENT(n) { #n, f_##n },
#define CACHE_ENT(n, xo) ENT(n##_rc) ENT(n##_d0) ENT(n##_d1) ENT(n##_d2) ENT(n##_d16)
#define LOCK_ENT(n, xo) ENT(n##_rc) ENT(n##_d16)
#define LS_ENT(n, xo) ENT(n##_rc)

static const struct form forms[] = {
	ENT(mfcr_ok) ENT(mfcr_rc) ENT(mfcr_b11) ENT(mtcrf_rc) ENT(mtcrf_b11)
	ENT(mcrxr_rc) ENT(mcrxr_ra) ENT(mcrxr_lo) ENT(mcrxr_rb)
	ENT(mfcr_ra) ENT(mfcr_rb)
	ENT(mfmsr_rc) ENT(mfmsr_ra) ENT(mfmsr_rb)
	ENT(mtmsr_rc) ENT(mtmsr_ra) ENT(mtmsr_rb) ENT(mtmsr_l)
	ENT(wrtee_rc) ENT(wrtee_rb) ENT(wrtee_ra) ENT(wrtee_ra16) ENT(wrtee_b10)
	ENT(wrteei_rc) ENT(wrteei_rb) ENT(wrteei_rd)
	ENT(mfspr_rc) ENT(mtspr_rc)
#ifdef CPU_E500MC
	ENT(mftb_rc)
#endif
	ENT(isync_rc) ENT(isync_rd) ENT(isync_ra) ENT(isync_rb)
	ENT(sync_rc) ENT(sync_l1) ENT(sync_l2) ENT(sync_l3) ENT(sync_rb)
	ENT(sync_d4) ENT(sync_d8) ENT(sync_d16) ENT(sync_ra)
	ENT(mbar_rc) ENT(mbar_mo1) ENT(mbar_ra) ENT(mbar_rb)
	ENT(tlbsync_rc) ENT(tlbsync_rb)
	ENT(rfi_rc) ENT(rfi_rb) ENT(rfi_rb16) ENT(rfi_ra) ENT(rfi_rd)
	ENT(rfci_rc) ENT(rfdi_rc) ENT(rfmci_rc)
	ENT(tw_rc) ENT(sc_rc) ENT(sc_rd) ENT(sc_b2) ENT(sc_b4) ENT(sc_nob1)
#ifdef CPU_E500MC
	ENT(wait_rc) ENT(msgsnd_rc) ENT(msgsnd_rd) ENT(msgclr_rc)
#endif
	CACHE_LIST(CACHE_ENT) ENT(icbt_rc) ENT(icbt_d0) LOCK_LIST(LOCK_ENT)
	ENT(tlbivax_rc) ENT(tlbivax_rd) ENT(tlbre_rc) ENT(tlbre_rb)
	ENT(tlbwe_rc) ENT(tlbwe_rb) ENT(tlbsx_rc) ENT(tlbsx_rd)
#ifdef CPU_E500MC
	ENT(tlbilx_rc) ENT(tlbilx_d4) ENT(tlbilx_t2) ENT(tlbilx_d9) ENT(tlbilx_d17)
#endif
	LS_LIST(LS_ENT, LS_ENT)
	ENT(stwcx_norc)
	ENT(isel_rc) ENT(crand_rc) ENT(cror_rc)
	ENT(mcrf_rc) ENT(mcrf_lo) ENT(mcrf_rb)
	ENT(cmp_rc) ENT(cmp_l) ENT(cmp_b9) ENT(cmpl_rc) ENT(cmpl_l) ENT(cmpl_b9)
	ENT(cmpi_l) ENT(cmpi_b9) ENT(cmpli_l) ENT(cmpli_b9)
	ENT(neg_rb) ENT(addme_rb) ENT(addze_rb) ENT(subfme_rb) ENT(subfze_rb)
	ENT(mulhw_oe) ENT(mulhwu_oe) ENT(extsb_rb) ENT(extsh_rb) ENT(cntlzw_rb)
};

/* mfocrf / mtocrf (bit 11 of the mfcr/mtcrf encoding) with a known CR. */
#define OCRF(name, insn)						\
static uint32_t name(uint32_t cr, uint32_t src) __attribute__((noinline)); \
static uint32_t name(uint32_t cr, uint32_t src)				\
{									\
	uint32_t out;							\
	__asm__ __volatile__("mfcr 6\n\tmtcrf 0xff,%1\n\tmr 4,%2\n\t"	\
			     insn "\n\tmr %0,4\n\t"		\
			     "mtcrf 0xff,6"				\
			     : "=&r"(out) : "r"(cr), "r"(src)		\
			     : "r4", "r5", "r6", "cr0", "cr1", "cr5",	\
			       "cr6", "cr7", "memory");			\
	return out;							\
}
#define OCRF_CR(name, insn)						\
static uint32_t name(uint32_t cr, uint32_t src) __attribute__((noinline)); \
static uint32_t name(uint32_t cr, uint32_t src)				\
{									\
	uint32_t out;							\
	__asm__ __volatile__("mfcr 6\n\tmtcrf 0xff,%1\n\tmr 4,%2\n\t"	\
			     insn "\n\tmfcr %0\n\t"			\
			     "mtcrf 0xff,6"				\
			     : "=&r"(out) : "r"(cr), "r"(src)		\
			     : "r4", "r5", "r6", "cr0", "cr1", "cr5",	\
			       "cr6", "cr7", "memory");			\
	return out;							\
}
#define MFOCRF(fxm) WORD(X31(19, 4, 0, 0, 0) | 0x00100000 | ((fxm) << 12))
#define MTOCRF(fxm) WORD(X31(144, 4, 0, 0, 0) | 0x00100000 | ((fxm) << 12))
OCRF(o_mfocrf_20, MFOCRF(0x20))
OCRF(o_mfocrf_30, MFOCRF(0x30))
OCRF(o_mfocrf_00, MFOCRF(0x00))
OCRF_CR(o_mtocrf_20, MTOCRF(0x20))
OCRF_CR(o_mtocrf_30, MTOCRF(0x30))

static const struct {
	const char *name;
	uint32_t (*fn)(uint32_t, uint32_t);
} ocrf[] = {
	{ "mfocrf 0x20", o_mfocrf_20 }, { "mfocrf 0x30", o_mfocrf_30 },
	{ "mfocrf 0x00", o_mfocrf_00 }, { "mtocrf 0x20", o_mtocrf_20 },
	{ "mtocrf 0x30", o_mtocrf_30 },
};

static void report(const char *name, uint32_t at)
{
	if (!exc_count) {
		printf("%-14s: runs\n", name);
		return;
	}
	if (exc_last.vec == IVOR_PROGRAM && exc_last.pc == at) {
		printf("%-14s: program esr %08x\n", name, exc_last.esr);
		return;
	}
	printf("%-14s: ivor %u srr0 %s esr %08x\n", name, exc_last.vec,
	       rel_pc(exc_last.pc, at), exc_last.esr);
}

int main(void)
{
	printf("== invalid_forms (%s)\n", CPU_NAME);
	exc_set_hook(IVOR_PROGRAM, exc_record_skip);
	exc_set_hook(IVOR_SYSCALL, exc_record);

	for (unsigned i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		exc_clear();
		uint32_t at = forms[i].fn((uint32_t)buf);
		report(forms[i].name, at);
	}
#ifdef CPU_E500MC
	for (unsigned i = 0; i < sizeof(fp_forms) / sizeof(fp_forms[0]); i++) {
		exc_clear();
		uint32_t at = call_with_msr(fp_forms[i].fn, (uint32_t)buf, MSR_FP);
		report(fp_forms[i].name, at);
	}
#endif
	for (unsigned i = 0; i < sizeof(ocrf) / sizeof(ocrf[0]); i++) {
		exc_clear();
		uint32_t v = ocrf[i].fn(0x12345678, 0x9abcdef0);
		printf("%-14s: %s %08x\n", ocrf[i].name,
		       exc_count ? "interrupt" : "value", v);
	}
	printf("== end\n");
	return 0;
}
