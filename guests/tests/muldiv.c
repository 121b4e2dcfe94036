/*
 * Multiply and divide: mullw/mulhw/mulhwu/mulli (with o and . forms) and
 * divw/divwu (with o and . forms).  For a zero divisor and for
 * 0x80000000 / -1 the quotient is undefined by the ISA (QEMU leaves the
 * dividend, hardware differs), so only XER and CR0[SO] are printed then.
 */
#include "alu.h"

#define FORMS4(op)							\
	ALU_DEF(op##_, #op " %[d],%[a],%[b]")				\
	ALU_DEF(op##_r, #op ". %[d],%[a],%[b]")				\
	ALU_DEF(op##_o, #op "o %[d],%[a],%[b]")				\
	ALU_DEF(op##_or, #op "o. %[d],%[a],%[b]")
#define FORMS2(op)							\
	ALU_DEF(op##_, #op " %[d],%[a],%[b]")				\
	ALU_DEF(op##_r, #op ". %[d],%[a],%[b]")

FORMS4(mullw) FORMS2(mulhw) FORMS2(mulhwu) FORMS4(divw) FORMS4(divwu)

#define OPS4(op) { #op, op##_ }, { #op ".", op##_r }, { #op "o", op##_o }, \
		{ #op "o.", op##_or }
#define OPS2(op) { #op, op##_ }, { #op ".", op##_r }

static const struct alu_op muls[] = { OPS4(mullw), OPS2(mulhw), OPS2(mulhwu) };
static const struct alu_op divs[] = { OPS4(divw), OPS4(divwu) };

ALU_DEF(mulli_3, "mulli %[d],%[a],3")
ALU_DEF(mulli_m1, "mulli %[d],%[a],-1")
ALU_DEF(mulli_7fff, "mulli %[d],%[a],0x7fff")
ALU_DEF(mulli_m8000, "mulli %[d],%[a],-0x8000")
static const struct alu_op mullis[] = {
	{ "mulli3", mulli_3 }, { "mulli-1", mulli_m1 },
	{ "mulli7fff", mulli_7fff }, { "mulli-8k", mulli_m8000 },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const uint32_t xers[] = { 0, XER_SO | XER_OV | XER_CA };

static const uint32_t dvals[] = {
	0x00000000, 0x00000001, 0x00000003, 0x00000007, 0x7fffffff,
	0x80000000, 0xfffffffd, 0xffffffff, 0x12345678,
};

int main(void)
{
	printf("== muldiv (%s)\n", CPU_NAME);

	for (unsigned o = 0; o < N(muls); o++)
		for (unsigned i = 0; i < ALU_NVALS; i++)
			for (unsigned j = 0; j < ALU_NVALS; j++)
				for (unsigned x = 0; x < N(xers); x++) {
					/* all forms only on a diagonal sample */
					if ((o & 3) != 3 && o != 5 && o != 7 &&
					    (i + j) % 4 != 0)
						continue;
					uint32_t a = alu_vals[i], b = alu_vals[j];
					alu_print(muls[o].name, a, b, xers[x],
						  muls[o].fn(a, b, xers[x]));
				}

	for (unsigned o = 0; o < N(mullis); o++)
		for (unsigned i = 0; i < ALU_NVALS; i++)
			alu_print(mullis[o].name, alu_vals[i], 0, 0,
				  mullis[o].fn(alu_vals[i], 0, 0));

	for (unsigned o = 0; o < N(divs); o++)
		for (unsigned i = 0; i < N(dvals); i++)
			for (unsigned j = 0; j < N(dvals); j++)
				for (unsigned x = 0; x < N(xers); x++) {
					uint32_t a = dvals[i], b = dvals[j];
					struct alu_res r = divs[o].fn(a, b, xers[x]);
					int sgn = o < 4;
					int undef = b == 0 || (sgn && a == 0x80000000
							       && b == 0xffffffff);
					if (!undef) {
						alu_print(divs[o].name, a, b,
							  xers[x], r);
						continue;
					}
					/* An Rc form sets CR0's LT/GT/EQ from the
					 * undefined result: mask them. */
					uint32_t cr = r.cr;
					for (const char *p = divs[o].name; *p; p++)
						if (*p == '.')
							cr &= 0x1fffffff;
					printf("%-8s %08x %08x x=%08x -> undefined"
					       " x=%08x cr=%08x\n", divs[o].name,
					       a, b, xers[x], r.xer, cr);
				}
	printf("== end\n");
	return 0;
}
