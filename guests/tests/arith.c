/*
 * Integer add/subtract family: results, XER[SO/OV/CA] and CR0 for every
 * form (plain, ".", "o", "o.") over edge values, with and without an
 * incoming carry and an incoming (sticky) SO.
 */
#include "alu.h"

#define FORMS(op)							\
	ALU_DEF(op##_, #op " %[d],%[a],%[b]")				\
	ALU_DEF(op##_r, #op ". %[d],%[a],%[b]")				\
	ALU_DEF(op##_o, #op "o %[d],%[a],%[b]")				\
	ALU_DEF(op##_or, #op "o. %[d],%[a],%[b]")
#define FORMS1(op)							\
	ALU_DEF(op##_, #op " %[d],%[a]")				\
	ALU_DEF(op##_r, #op ". %[d],%[a]")				\
	ALU_DEF(op##_o, #op "o %[d],%[a]")				\
	ALU_DEF(op##_or, #op "o. %[d],%[a]")

FORMS(add) FORMS(addc) FORMS(adde) FORMS(subf) FORMS(subfc) FORMS(subfe)
FORMS1(addme) FORMS1(addze) FORMS1(subfme) FORMS1(subfze) FORMS1(neg)

#define OPS(op) { #op, op##_ }, { #op ".", op##_r }, { #op "o", op##_o }, \
		{ #op "o.", op##_or }

static const struct alu_op two[] = {
	OPS(add), OPS(addc), OPS(adde), OPS(subf), OPS(subfc), OPS(subfe),
};
static const struct alu_op one[] = {
	OPS(addme), OPS(addze), OPS(subfme), OPS(subfze), OPS(neg),
};

/* Immediate forms (the immediate is part of the opcode). */
ALU_DEF(addi_m1, "addi %[d],%[a],-1")
ALU_DEF(addi_big, "addi %[d],%[a],0x7fff")
ALU_DEF(addi_r0, "addi %[d],0,-2")	/* rA = 0 means the value 0 */
ALU_DEF(addis_1, "addis %[d],%[a],1")
ALU_DEF(addis_m8000, "addis %[d],%[a],-0x8000")
ALU_DEF(addis_r0, "addis %[d],0,0x1234")
ALU_DEF(addic_1, "addic %[d],%[a],1")
ALU_DEF(addic_m1, "addic %[d],%[a],-1")
ALU_DEF(addicr_1, "addic. %[d],%[a],1")
ALU_DEF(addicr_m1, "addic. %[d],%[a],-1")
ALU_DEF(subfic_0, "subfic %[d],%[a],0")
ALU_DEF(subfic_m1, "subfic %[d],%[a],-1")
ALU_DEF(subfic_100, "subfic %[d],%[a],100")

static const struct alu_op imm[] = {
	{ "addi-1", addi_m1 }, { "addi7fff", addi_big }, { "li-2", addi_r0 },
	{ "addis1", addis_1 }, { "addis-8k", addis_m8000 },
	{ "lis1234", addis_r0 }, { "addic1", addic_1 }, { "addic-1", addic_m1 },
	{ "addic.1", addicr_1 }, { "addic.-1", addicr_m1 },
	{ "subfic0", subfic_0 }, { "subfic-1", subfic_m1 },
	{ "subfic99", subfic_100 },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Incoming XER values: nothing, carry, and everything (SO must stick). */
static const uint32_t xers[] = { 0, XER_CA, XER_SO | XER_OV | XER_CA };

int main(void)
{
	printf("== arith (%s)\n", CPU_NAME);

	/* The "o." form of each op over all value pairs and XER inputs... */
	for (unsigned o = 3; o < N(two); o += 4)
		for (unsigned i = 0; i < ALU_NVALS; i++)
			for (unsigned j = 0; j < ALU_NVALS; j++)
				for (unsigned x = 0; x < N(xers); x++) {
					uint32_t a = alu_vals[i], b = alu_vals[j];
					/* CA only matters to adde/subfe */
					if (x == 1 && o != 11 && o != 23)
						continue;
					alu_print(two[o].name, a, b, xers[x],
						  two[o].fn(a, b, xers[x]));
				}
	for (unsigned o = 3; o < N(one); o += 4)
		for (unsigned i = 0; i < ALU_NVALS; i++)
			for (unsigned x = 0; x < N(xers); x++)
				alu_print(one[o].name, alu_vals[i], 0, xers[x],
					  one[o].fn(alu_vals[i], 0, xers[x]));

	/* ...and every form on a few pairs, to show which of CR0, OV, SO
	 * and CA each form writes. */
	static const uint32_t pa[] = { 0x7fffffff, 0x80000000, 5, 0 };
	static const uint32_t pb[] = { 0x00000001, 0xffffffff, 5, 0 };
	for (unsigned o = 0; o < N(two); o++)
		for (unsigned k = 0; k < N(pa); k++)
			for (unsigned x = 0; x < N(xers); x += 2)
				alu_print(two[o].name, pa[k], pb[k], xers[x],
					  two[o].fn(pa[k], pb[k], xers[x]));
	for (unsigned o = 0; o < N(one); o++)
		for (unsigned k = 0; k < N(pa); k++)
			for (unsigned x = 0; x < N(xers); x += 2)
				alu_print(one[o].name, pa[k], 0, xers[x],
					  one[o].fn(pa[k], 0, xers[x]));

	for (unsigned o = 0; o < N(imm); o++)
		for (unsigned i = 0; i < ALU_NVALS; i++)
			for (unsigned x = 0; x < N(xers); x += 2)
				alu_print(imm[o].name, alu_vals[i], 0, xers[x],
					  imm[o].fn(alu_vals[i], 0, xers[x]));
	printf("== end\n");
	return 0;
}
