/*
 * Harness for integer instruction tests: run one instruction with chosen
 * inputs, XER and CR, and capture the result register, XER and the whole
 * CR.  CR starts as CR_PRESET so that a form without Rc visibly leaves
 * CR0 alone, and the other seven fields show they were not touched.
 */
#ifndef ALU_H
#define ALU_H
#include "test.h"

#define CR_PRESET 0xF468ACE1u	/* CR0 = 0xF is no Rc result */
#define XER_SO 0x80000000u
#define XER_OV 0x40000000u
#define XER_CA 0x20000000u

struct alu_res {
	uint32_t d, xer, cr;
};

typedef struct alu_res (*alu_fn)(uint32_t a, uint32_t b, uint32_t xer);

struct alu_op {
	const char *name;
	alu_fn fn;
};

/* The asm operands: %[d] result, %[a] and %[b] inputs ("b": never r0, so
 * D-form instructions really read the register). */
#define ALU_DEF(fn, text)						\
static struct alu_res fn(uint32_t a, uint32_t b, uint32_t x)		\
{									\
	struct alu_res r;						\
	__asm__ __volatile__(						\
		"mtxer %[x]\n\t"					\
		"mtcrf 0xff,%[cp]\n\t"					\
		"li %[d],0\n\t"						\
		text "\n\t"						\
		"mfxer %[xo]\n\t"					\
		"mfcr %[c]"						\
		: [d] "=&r"(r.d), [xo] "=&r"(r.xer), [c] "=&r"(r.cr)	\
		: [a] "b"(a), [b] "b"(b), [x] "r"(x), [cp] "r"(CR_PRESET) \
		: "cr0", "cr1", "cr2", "cr3", "cr4", "cr5", "cr6", "cr7", \
		  "xer");						\
	return r;							\
}

/* Edge values every two-operand test walks through. */
static const uint32_t alu_vals[] = {
	0x00000000, 0x00000001, 0x00000002, 0x00007fff, 0x7ffffffe,
	0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff,
	0x12345678,
};
#define ALU_NVALS (sizeof(alu_vals) / sizeof(alu_vals[0]))

static inline void alu_print(const char *name, uint32_t a, uint32_t b,
			     uint32_t xin, struct alu_res r)
{
	printf("%-8s %08x %08x x=%08x -> %08x x=%08x cr=%08x\n", name, a, b,
	       xin, r.d, r.xer, r.cr);
}
#endif
