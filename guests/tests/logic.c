/*
 * Logical instructions, sign extension and cntlzw, with and without Rc.
 * With Rc, CR0[SO] must be a copy of XER[SO], so each is run with SO
 * clear and set.
 */
#include "alu.h"

#define FORMS(op)							\
	ALU_DEF(op##_, #op " %[d],%[a],%[b]")				\
	ALU_DEF(op##_r, #op ". %[d],%[a],%[b]")
#define FORMS1(op)							\
	ALU_DEF(op##_, #op " %[d],%[a]")				\
	ALU_DEF(op##_r, #op ". %[d],%[a]")
#define OPS(op) { #op, op##_ }, { #op ".", op##_r }

FORMS(and) FORMS(andc) FORMS(or) FORMS(orc) FORMS(xor) FORMS(nand)
FORMS(nor) FORMS(eqv) FORMS1(extsb) FORMS1(extsh) FORMS1(cntlzw)

static const struct alu_op two[] = {
	OPS(and), OPS(andc), OPS(or), OPS(orc), OPS(xor), OPS(nand),
	OPS(nor), OPS(eqv),
};
static const struct alu_op one[] = { OPS(extsb), OPS(extsh), OPS(cntlzw) };

ALU_DEF(andi_, "andi. %[d],%[a],0x8001")
ALU_DEF(andis_, "andis. %[d],%[a],0x8001")
ALU_DEF(andi0_, "andi. %[d],%[a],0")
ALU_DEF(ori_, "ori %[d],%[a],0x8001")
ALU_DEF(oris_, "oris %[d],%[a],0x8001")
ALU_DEF(xori_, "xori %[d],%[a],0xffff")
ALU_DEF(xoris_, "xoris %[d],%[a],0xffff")
static const struct alu_op imm[] = {
	{ "andi.", andi_ }, { "andis.", andis_ }, { "andi.0", andi0_ },
	{ "ori", ori_ }, { "oris", oris_ }, { "xori", xori_ },
	{ "xoris", xoris_ },
};

static const uint32_t more[] = {
	0x00000080, 0x0000007f, 0x0000ff80, 0x00008000, 0x00010000,
	0x000000ff, 0x40000000, 0x0f0f0f0f,
};

#define N(a) (sizeof(a) / sizeof((a)[0]))
static const uint32_t xers[] = { 0, XER_SO };

int main(void)
{
	printf("== logic (%s)\n", CPU_NAME);
	for (unsigned o = 0; o < N(two); o++)
		for (unsigned i = 0; i < ALU_NVALS; i++)
			for (unsigned j = 0; j < ALU_NVALS; j += 2)
				for (unsigned x = 0; x < N(xers); x++) {
					if (!(o & 1) && x)
						continue;
					uint32_t a = alu_vals[i], b = alu_vals[j];
					alu_print(two[o].name, a, b, xers[x],
						  two[o].fn(a, b, xers[x]));
				}
	for (unsigned o = 0; o < N(one); o++) {
		for (unsigned i = 0; i < ALU_NVALS + N(more); i++) {
			uint32_t a = i < ALU_NVALS ? alu_vals[i]
						   : more[i - ALU_NVALS];
			for (unsigned x = 0; x < N(xers); x++)
				alu_print(one[o].name, a, 0, xers[x],
					  one[o].fn(a, 0, xers[x]));
		}
	}
	for (unsigned o = 0; o < N(imm); o++)
		for (unsigned i = 0; i < ALU_NVALS; i++)
			for (unsigned x = 0; x < N(xers); x++)
				alu_print(imm[o].name, alu_vals[i], 0, xers[x],
					  imm[o].fn(alu_vals[i], 0, xers[x]));
	printf("== end\n");
	return 0;
}
