/*
 * Rotates and shifts: rlwinm/rlwnm/rlwimi (incl. wrapping masks, MB > ME),
 * slw/srw with shift amounts 0..63 (bit 0x20 clears the result), and the
 * algebraic shifts sraw/srawi whose CA is set only for a negative source
 * that loses 1 bits.  Rc forms with XER[SO] clear and set.
 */
#include "alu.h"

#define FORMS(op)							\
	ALU_DEF(op##_, #op " %[d],%[a],%[b]")				\
	ALU_DEF(op##_r, #op ". %[d],%[a],%[b]")
#define OPS(op) { #op, op##_ }, { #op ".", op##_r }

FORMS(slw) FORMS(srw) FORMS(sraw)
static const struct alu_op shifts[] = { OPS(slw), OPS(srw), OPS(sraw) };

#define RLWINM(sh, mb, me) ALU_DEF(rlwinm_##sh##_##mb##_##me,		\
	"rlwinm %[d],%[a]," #sh "," #mb "," #me)
#define RLWINMR(sh, mb, me) ALU_DEF(rlwinmr_##sh##_##mb##_##me,	\
	"rlwinm. %[d],%[a]," #sh "," #mb "," #me)
#define RLWNM(mb, me) ALU_DEF(rlwnm_##mb##_##me,			\
	"rlwnm %[d],%[a],%[b]," #mb "," #me)
#define RLWIMI(sh, mb, me) ALU_DEF(rlwimi_##sh##_##mb##_##me,		\
	"mr %[d],%[b]\n\trlwimi %[d],%[a]," #sh "," #mb "," #me)
#define SRAWI(sh) ALU_DEF(srawi_##sh, "srawi %[d],%[a]," #sh)		\
	ALU_DEF(srawir_##sh, "srawi. %[d],%[a]," #sh)

RLWINM(0, 0, 31) RLWINM(8, 0, 31) RLWINM(31, 31, 31) RLWINM(4, 24, 31)
RLWINM(0, 16, 15) RLWINM(16, 24, 7) RLWINM(1, 0, 30) RLWINM(28, 4, 31)
RLWINMR(0, 0, 0) RLWINMR(0, 31, 31) RLWINMR(5, 8, 3)
RLWNM(0, 31) RLWNM(8, 23) RLWNM(28, 3)
RLWIMI(0, 0, 31) RLWIMI(8, 16, 23) RLWIMI(24, 28, 3) RLWIMI(31, 5, 5)
SRAWI(0) SRAWI(1) SRAWI(4) SRAWI(31)

#define E(n) { #n, n }
static const struct alu_op rots[] = {
	E(rlwinm_0_0_31), E(rlwinm_8_0_31), E(rlwinm_31_31_31),
	E(rlwinm_4_24_31), E(rlwinm_0_16_15), E(rlwinm_16_24_7),
	E(rlwinm_1_0_30), E(rlwinm_28_4_31), E(rlwinmr_0_0_0),
	E(rlwinmr_0_31_31), E(rlwinmr_5_8_3),
	E(rlwimi_0_0_31), E(rlwimi_8_16_23), E(rlwimi_24_28_3),
	E(rlwimi_31_5_5),
	E(srawi_0), E(srawir_0), E(srawi_1), E(srawir_1), E(srawi_4),
	E(srawir_4), E(srawi_31), E(srawir_31),
};
static const struct alu_op rotvar[] = {
	E(rlwnm_0_31), E(rlwnm_8_23), E(rlwnm_28_3),
};

#define N(a) (sizeof(a) / sizeof((a)[0]))
static const uint32_t xers[] = { 0, XER_SO | XER_CA };
static const uint32_t srcs[] = {
	0x00000000, 0x00000001, 0x80000000, 0x80000001, 0xffffffff,
	0x7fffffff, 0x12345678, 0xf0000001,
};
static const uint32_t amounts[] = {
	0, 1, 4, 15, 16, 31, 32, 33, 47, 63, 64, 0xffffffe1, 0x12345,
};

int main(void)
{
	printf("== rotate (%s)\n", CPU_NAME);
	for (unsigned o = 0; o < N(rots); o++)
		for (unsigned i = 0; i < N(srcs); i++)
			for (unsigned x = 0; x < N(xers); x++) {
				/* rlwimi inserts into a second source */
				uint32_t b = 0xa5a5a5a5;
				alu_print(rots[o].name, srcs[i], b, xers[x],
					  rots[o].fn(srcs[i], b, xers[x]));
			}
	for (unsigned o = 0; o < N(rotvar); o++)
		for (unsigned i = 0; i < N(srcs); i++)
			for (unsigned k = 0; k < N(amounts); k += 2)
				alu_print(rotvar[o].name, srcs[i], amounts[k], 0,
					  rotvar[o].fn(srcs[i], amounts[k], 0));
	for (unsigned o = 0; o < N(shifts); o++)
		for (unsigned i = 0; i < N(srcs); i++)
			for (unsigned k = 0; k < N(amounts); k++)
				for (unsigned x = 0; x < N(xers); x++) {
					if (!(o & 1) && x)
						continue;
					alu_print(shifts[o].name, srcs[i],
						  amounts[k], xers[x],
						  shifts[o].fn(srcs[i], amounts[k],
							       xers[x]));
				}
	printf("== end\n");
	return 0;
}
