/*
 * ISA-only: icbt with a cache target other than 0.
 *
 * The e500 core reference manuals define icbt's CT field (0 = the L1
 * instruction cache, 2 = the L2); a touch is a hint, so with no cache
 * model it completes without effect whatever the target.  QEMU 7.2
 * treats every CT other than 0 as a reserved field and raises an
 * illegal-instruction program interrupt.  Not compared with QEMU; the
 * invalid forms both agree on are in tests/invalid_forms.c.
 */
#include "test.h"

static uint8_t area[64] __attribute__((aligned(64)));

#define ICBT(name, ct)							\
static void name(void *p)						\
{									\
	__asm__ __volatile__("icbt " #ct ",0,%0" : : "b"(p) : "memory");	\
}
ICBT(icbt0, 0)
ICBT(icbt2, 2)

static const struct {
	const char *name;
	void (*fn)(void *);
} ops[] = { { "icbt 0", icbt0 }, { "icbt 2", icbt2 } };

int main(void)
{
	printf("== icbt_ct\n");
	exc_set_hook(IVOR_PROGRAM, exc_record_skip);
	for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		exc_clear();
		ops[i].fn(area);
		if (exc_count)
			printf("%s: program esr %08x\n", ops[i].name, exc_last.esr);
		else
			printf("%s: runs\n", ops[i].name);
	}
	printf("== end\n");
	return 0;
}
