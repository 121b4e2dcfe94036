/*
 * ISA-only: the e500 cache-locking instructions.
 *
 * e500 core reference manual (and Power ISA 2.06 category Embedded.Cache
 * Locking): dcbtls, dcbtstls, dcblc, icbtls and icblc are valid in
 * supervisor mode; they only touch cache state, so memory is unchanged.
 *
 * QEMU 7.2 implements only dcbtls; the other four raise an illegal
 * instruction program interrupt.  Not compared with QEMU.
 */
#include "test.h"

static uint8_t area[256] __attribute__((aligned(64)));

#define OP(name, text)							\
static void name(void *p)						\
{									\
	__asm__ __volatile__(text : : "b"(p) : "memory");		\
}
OP(op_dcbtls, "dcbtls 0,0,%0")
OP(op_dcbtstls, "dcbtstls 0,0,%0")
OP(op_dcblc, "dcblc 0,0,%0")
OP(op_icbtls, "icbtls 0,0,%0")
OP(op_icblc, "icblc 0,0,%0")

static const struct {
	const char *name;
	void (*fn)(void *);
} ops[] = {
	{ "dcbtls", op_dcbtls }, { "dcbtstls", op_dcbtstls },
	{ "dcblc", op_dcblc }, { "icbtls", op_icbtls }, { "icblc", op_icblc },
};

int main(void)
{
	printf("== cache_lock\n");
	exc_set_hook(IVOR_PROGRAM, exc_record_skip);
	exc_set_hook(IVOR_DSI, exc_record_skip);
	for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		for (unsigned k = 0; k < sizeof(area); k++)
			area[k] = (uint8_t)k;
		exc_clear();
		ops[i].fn(area + 64);
		int same = 1;
		for (unsigned k = 0; k < sizeof(area); k++)
			if (area[k] != (uint8_t)k)
				same = 0;
		printf("%-9s: %s, memory %s\n", ops[i].name,
		       exc_count ? "FAULTED" : "no fault",
		       same ? "unchanged" : "CHANGED");
	}
	printf("== end\n");
	return 0;
}
