/*
 * Cache and synchronisation instructions.  There is no cache to observe,
 * so what is checked is the architectural effect: dcbz zeroes exactly one
 * aligned block (32 bytes on e500v2, 64 on e500mc); the hint, flush,
 * invalidate and lock instructions neither fault nor change memory; and
 * code modified with the dcbst/msync/icbi/isync sequence runs in its new
 * form (an emulator that caches decoded code must notice).
 */
#include "test.h"

static uint8_t area[512] __attribute__((aligned(128)));
static uint32_t code[8] __attribute__((aligned(64)));

static void fill(void)
{
	for (unsigned i = 0; i < sizeof(area); i++)
		area[i] = 0xAA;
}

static uint32_t sum(void)
{
	uint32_t s = 0;
	for (unsigned i = 0; i < sizeof(area); i++)
		s = s * 31 + area[i];
	return s;
}

static void dcbz_at(unsigned off)
{
	fill();
	__asm__ __volatile__("dcbz 0,%0" : : "r"(area + off) : "memory");
	int first = -1, last = -1, n = 0;
	for (unsigned i = 0; i < sizeof(area); i++)
		if (area[i] == 0) {
			if (first < 0)
				first = (int)i;
			last = (int)i;
			n++;
		}
	printf("dcbz at +%u: %d bytes zeroed, +%d..+%d\n", off, n, first, last);
}

/* Instructions that must be no-ops on RAM we own.  Of the cache-locking
 * APU only dcbtls is here: QEMU 7.2 treats dcbtstls, dcblc, icbtls and
 * icblc as illegal instructions (see isa/cache_lock.c). */
#define NOP_OP(name, text)						\
static void name(void *p)						\
{									\
	__asm__ __volatile__(text : : "b"(p) : "memory");		\
}
NOP_OP(op_dcbf, "dcbf 0,%0")
NOP_OP(op_dcbst, "dcbst 0,%0")
NOP_OP(op_dcbt, "dcbt 0,%0")
NOP_OP(op_dcbtst, "dcbtst 0,%0")
NOP_OP(op_dcba, "dcba 0,%0")
NOP_OP(op_icbi, "icbi 0,%0")
NOP_OP(op_icbt, "icbt 0,0,%0")
NOP_OP(op_dcbtls, "dcbtls 0,0,%0")
NOP_OP(op_dcbf_d, "dcbf %0,%0")
NOP_OP(op_msync, "msync")
NOP_OP(op_mbar, "mbar 0")
NOP_OP(op_mbar1, "mbar 1")
NOP_OP(op_lwsync, "lwsync")
NOP_OP(op_isync, "isync")
NOP_OP(op_sync, "sync")
NOP_OP(op_eieio, "eieio")

static const struct {
	const char *name;
	void (*fn)(void *);
} nops[] = {
	{ "dcbf", op_dcbf }, { "dcbst", op_dcbst }, { "dcbt", op_dcbt },
	{ "dcbtst", op_dcbtst }, { "dcba", op_dcba }, { "icbi", op_icbi },
	{ "icbt", op_icbt }, { "dcbtls", op_dcbtls },
	{ "dcbf rA!=0", op_dcbf_d }, { "msync", op_msync }, { "mbar 0", op_mbar },
	{ "mbar 1", op_mbar1 }, { "lwsync", op_lwsync }, { "isync", op_isync },
	{ "sync", op_sync }, { "eieio", op_eieio },
};

typedef uint32_t (*code_fn)(void);

static uint32_t patch_and_run(uint32_t value)
{
	code[0] = 0x38600000 | (value & 0xffff);	/* li r3,value */
	code[1] = 0x4e800020;				/* blr */
	__asm__ __volatile__("dcbst 0,%0\n\tmsync\n\ticbi 0,%0\n\tisync"
			     : : "r"(code) : "memory");
	return ((code_fn)(uintptr_t)code)();
}

int main(void)
{
	printf("== cache (%s)\n", CPU_NAME);
	dcbz_at(128);
	dcbz_at(128 + 13);
	dcbz_at(128 + 31);
	dcbz_at(128 + 32);
	dcbz_at(128 + 63);
	dcbz_at(256 + 127);

	/* dcbi is privileged but allowed here; it may discard a modified
	 * line on hardware, so it is only checked for not faulting. */
	exc_set_hook(IVOR_PROGRAM, exc_record_skip);
	exc_set_hook(IVOR_DSI, exc_record_skip);
	exc_set_hook(IVOR_ALIGN, exc_record_skip);
	for (unsigned i = 0; i < sizeof(nops) / sizeof(nops[0]); i++) {
		fill();
		area[200] = 0x5c;
		uint32_t before = sum();
		exc_clear();
		nops[i].fn(area + 192);
		printf("%-10s: %s, memory %s", nops[i].name,
		       exc_count ? "FAULTED" : "no fault",
		       sum() == before ? "unchanged" : "CHANGED");
		if (exc_count)
			printf(" ivor %u esr %08x", exc_last.vec, exc_last.esr);
		print("\n");
	}
	exc_clear();
	__asm__ __volatile__("dcbi 0,%0" : : "r"(area + 256) : "memory");
	printf("dcbi (supervisor): %s\n", exc_count ? "FAULTED" : "no fault");

	/* Self-modifying code. */
	uint32_t r1 = patch_and_run(1);
	uint32_t r2 = patch_and_run(2);
	uint32_t r3 = patch_and_run(0x7ff);
	printf("patched code returned %u, %u, %u\n", r1, r2, r3);
	printf("== end\n");
	return 0;
}
