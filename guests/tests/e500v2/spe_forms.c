/*
 * SPE and embedded floating-point instructions with reserved fields set
 * (e500v2).  Every EVX opcode of the core is run from a RAM buffer with
 * MSR[SPE] = 1 and again with MSR[SPE] = 0, except the loads and stores
 * (all their fields are operands) and the multiply-accumulate and divide
 * forms QEMU 7.2 lacks (src/accel/e500/insn/spe-mul.ts): first as rD = r4,
 * rA = r5, rB = r0, then with single bits of rD, rA and rB flipped.  Each
 * line gives the opcode and one letter per encoding and MSR: R ran, I
 * illegal-instruction program interrupt at the instruction (an invalid form
 * is one whatever MSR[SPE]), U SPE unavailable at the instruction, ?
 * anything else.  The fields an instruction
 * does not use (rB of the one-operand forms, rA of the conversions, the low
 * bits of a compare's crfD) are where an implementation may call the form
 * invalid.
 */
#include "test.h"

static const struct {
	uint16_t xo;
	const char *name;
} ops[] = {
	{ 0x200, "evaddw" }, { 0x202, "evaddiw" }, { 0x204, "evsubw" },
	{ 0x206, "evsubiw" }, { 0x208, "evabs" }, { 0x209, "evneg" },
	{ 0x20a, "evextsb" }, { 0x20b, "evextsh" }, { 0x20c, "evrndw" },
	{ 0x20d, "evcntlzw" }, { 0x20e, "evcntlsw" }, { 0x20f, "brinc" },
	{ 0x211, "evand" }, { 0x212, "evandc" }, { 0x216, "evxor" },
	{ 0x217, "evor" }, { 0x218, "evnor" }, { 0x219, "eveqv" },
	{ 0x21b, "evorc" }, { 0x21e, "evnand" }, { 0x220, "evsrwu" },
	{ 0x221, "evsrws" }, { 0x222, "evsrwiu" }, { 0x223, "evsrwis" },
	{ 0x224, "evslw" }, { 0x226, "evslwi" }, { 0x228, "evrlw" },
	{ 0x229, "evsplati" }, { 0x22a, "evrlwi" }, { 0x22b, "evsplatfi" },
	{ 0x22c, "evmergehi" }, { 0x22d, "evmergelo" }, { 0x22e, "evmergehilo" },
	{ 0x22f, "evmergelohi" }, { 0x230, "evcmpgtu" }, { 0x231, "evcmpgts" },
	{ 0x232, "evcmpltu" }, { 0x233, "evcmplts" }, { 0x234, "evcmpeq" },
	{ 0x278, "evsel" }, { 0x280, "evfsadd" }, { 0x281, "evfssub" },
	{ 0x284, "evfsabs" }, { 0x285, "evfsnabs" }, { 0x286, "evfsneg" },
	{ 0x288, "evfsmul" }, { 0x289, "evfsdiv" }, { 0x28c, "evfscmpgt" },
	{ 0x28d, "evfscmplt" }, { 0x28e, "evfscmpeq" }, { 0x290, "evfscfui" },
	{ 0x291, "evfscfsi" }, { 0x292, "evfscfuf" }, { 0x293, "evfscfsf" },
	{ 0x294, "evfsctui" }, { 0x295, "evfsctsi" }, { 0x296, "evfsctuf" },
	{ 0x297, "evfsctsf" }, { 0x298, "evfsctuiz" }, { 0x29a, "evfsctsiz" },
	{ 0x29c, "evfststgt" }, { 0x29d, "evfststlt" }, { 0x29e, "evfststeq" },
	{ 0x2c0, "efsadd" }, { 0x2c1, "efssub" }, { 0x2c4, "efsabs" },
	{ 0x2c5, "efsnabs" }, { 0x2c6, "efsneg" }, { 0x2c8, "efsmul" },
	{ 0x2c9, "efsdiv" }, { 0x2cc, "efscmpgt" }, { 0x2cd, "efscmplt" },
	{ 0x2ce, "efscmpeq" }, { 0x2cf, "efscfd" }, { 0x2d0, "efscfui" },
	{ 0x2d1, "efscfsi" }, { 0x2d2, "efscfuf" }, { 0x2d3, "efscfsf" },
	{ 0x2d4, "efsctui" }, { 0x2d5, "efsctsi" }, { 0x2d6, "efsctuf" },
	{ 0x2d7, "efsctsf" }, { 0x2d8, "efsctuiz" }, { 0x2da, "efsctsiz" },
	{ 0x2dc, "efststgt" }, { 0x2dd, "efststlt" }, { 0x2de, "efststeq" },
	{ 0x2e0, "efdadd" }, { 0x2e1, "efdsub" }, { 0x2e2, "efdcfuid" },
	{ 0x2e3, "efdcfsid" }, { 0x2e4, "efdabs" }, { 0x2e5, "efdnabs" },
	{ 0x2e6, "efdneg" }, { 0x2e8, "efdmul" }, { 0x2e9, "efddiv" },
	{ 0x2ea, "efdctuidz" }, { 0x2eb, "efdctsidz" }, { 0x2ec, "efdcmpgt" },
	{ 0x2ed, "efdcmplt" }, { 0x2ee, "efdcmpeq" }, { 0x2ef, "efdcfs" },
	{ 0x2f0, "efdcfui" }, { 0x2f1, "efdcfsi" }, { 0x2f2, "efdcfuf" },
	{ 0x2f3, "efdcfsf" }, { 0x2f4, "efdctui" }, { 0x2f5, "efdctsi" },
	{ 0x2f6, "efdctuf" }, { 0x2f7, "efdctsf" }, { 0x2f8, "efdctuiz" },
	{ 0x2fa, "efdctsiz" }, { 0x2fc, "efdtstgt" }, { 0x2fd, "efdtstlt" },
	{ 0x2fe, "efdtsteq" }, { 0x458, "evmwumi" }, { 0x459, "evmwsmi" },
	{ 0x478, "evmwumia" }, { 0x479, "evmwsmia" }, { 0x4c4, "evmra" },
	{ 0x558, "evmwumiaa" }, { 0x559, "evmwsmiaa" },
};

/* Bits flipped in the base encoding: rD 4 -> 5, 6; rA 5 -> 7, 21, 13; rB 0 -> 8, 16, 1. */
static const uint32_t flips[] = {
	0, 0x00200000, 0x00400000, 0x00020000, 0x00100000, 0x00080000,
	0x00004000, 0x00008000, 0x00000800,
};

static uint32_t code[2] __attribute__((aligned(32)));

static char run(uint32_t word, uint32_t msr)
{
	code[0] = word;
	code[1] = 0x4e800020;	/* blr */
	__asm__ __volatile__("dcbst 0,%0\n\tsync\n\ticbi 0,%0\n\tsync\n\tisync"
			     : : "b"(code) : "memory");
	exc_clear();
	call_with_msr((uint32_t (*)(uint32_t))(uintptr_t)code, 0, msr);
	if (!exc_count)
		return 'R';
	if (exc_last.pc != (uint32_t)code)
		return '?';
	if (exc_last.vec == IVOR_PROGRAM && exc_last.esr == ESR_PIL)
		return 'I';
	if (exc_last.vec == IVOR_SPEUNAVAIL && exc_last.esr == ESR_SPV)
		return 'U';
	return '?';
}

int main(void)
{
	printf("== spe_forms (%s)\n", CPU_NAME);
	exc_set_hook(IVOR_PROGRAM, exc_record_skip);
	exc_set_hook(IVOR_SPEUNAVAIL, exc_record_skip);
	exc_set_hook(IVOR_EFPDATA, exc_record_skip);
	exc_set_hook(IVOR_EFPROUND, exc_record);
	for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		uint32_t base = (4u << 26) | (4u << 21) | (5u << 16) | ops[i].xo;
		enum { N = sizeof(flips) / sizeof(flips[0]) };
		char spe[N + 1], nospe[N + 1];
		for (unsigned f = 0; f < N; f++) {
			spe[f] = run(base ^ flips[f], MSR_SPE);
			nospe[f] = run(base ^ flips[f], 0);
		}
		spe[N] = nospe[N] = 0;
		printf("%03x %-13s %s %s\n", ops[i].xo, ops[i].name, spe, nospe);
	}
	printf("== end\n");
	return 0;
}
