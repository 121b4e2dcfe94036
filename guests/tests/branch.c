/*
 * Branches: b/bl/ba/bla, bc/bca/bcl with every BO class (CTR decrement,
 * CTR = 0 / != 0, condition true/false/ignored, hint bits), bclr/bcctr
 * with and without LK (LK writes LR after the target is read), bdnz
 * loops, and branches to absolute addresses (code copied to 0x7E00).
 */
#include "test.h"

/*
 * One conditional branch with a given BO on BI = 2 (cr0.eq); reports
 * whether it was taken and the CTR after it.  The branches are emitted as
 * .long because the assemblers reject some hint-bit (y/at) combinations
 * in -me500 or -me500mc mode, while every core must accept them.
 *   bc    BO,2,.+8 = 0x40020008 | BO << 21
 *   bclr  BO,2     = 0x4c020020 | BO << 21
 *   bcctr BO,2     = 0x4c020420 | BO << 21
 */
#define BC_DEF(bo)							\
static uint32_t bc_##bo(uint32_t cr, uint32_t *ctr)			\
{									\
	uint32_t t, c = *ctr;						\
	__asm__ __volatile__("mtcrf 0xff,%[cr]\n\tmtctr %[c]\n\t"	\
			     "li %[t],0\n\t"				\
			     ".long 0x40020008 | (" #bo " << 21)\n\t"	\
			     "b 2f\n"					\
			     "1:\tli %[t],1\n"				\
			     "2:\tmfctr %[c]"				\
			     : [t] "=&r"(t), [c] "+r"(c)		\
			     : [cr] "r"(cr) : "ctr", "cr0", "cr1", "cr2", \
			       "cr3", "cr4", "cr5", "cr6", "cr7");	\
	*ctr = c;							\
	return t;							\
}

/* Same through bclr (target from LR). */
#define BCLR_DEF(bo)							\
static uint32_t bclr_##bo(uint32_t cr, uint32_t *ctr)			\
{									\
	uint32_t t, c = *ctr, tmp;					\
	__asm__ __volatile__("mtcrf 0xff,%[cr]\n\tmtctr %[c]\n\t"	\
			     "li %[t],0\n\t"				\
			     "lis %[tmp],1f@ha\n\t"			\
			     "addi %[tmp],%[tmp],1f@l\n\t"		\
			     "mtlr %[tmp]\n\t"				\
			     ".long 0x4c020020 | (" #bo " << 21)\n\t"	\
			     "b 2f\n"					\
			     "1:\tli %[t],1\n"				\
			     "2:\tmfctr %[c]"				\
			     : [t] "=&r"(t), [c] "+r"(c), [tmp] "=&b"(tmp) \
			     : [cr] "r"(cr) : "ctr", "lr", "cr0", "cr1",	\
			       "cr2", "cr3", "cr4", "cr5", "cr6", "cr7");	\
	*ctr = c;							\
	return t;							\
}

/* bcctr: only BO values that do not decrement CTR are valid. */
#define BCCTR_DEF(bo)							\
static uint32_t bcctr_##bo(uint32_t cr, uint32_t *ctr)			\
{									\
	uint32_t t, tmp;						\
	__asm__ __volatile__("mtcrf 0xff,%[cr]\n\t"			\
			     "li %[t],0\n\t"				\
			     "lis %[tmp],1f@ha\n\t"			\
			     "addi %[tmp],%[tmp],1f@l\n\t"		\
			     "mtctr %[tmp]\n\t"				\
			     ".long 0x4c020420 | (" #bo " << 21)\n\t"	\
			     "b 2f\n"					\
			     "1:\tli %[t],1\n"				\
			     "2:"					\
			     : [t] "=&r"(t), [tmp] "=&b"(tmp)		\
			     : [cr] "r"(cr) : "ctr", "cr0", "cr1", "cr2", \
			       "cr3", "cr4", "cr5", "cr6", "cr7");	\
	(void)ctr;							\
	return t;							\
}

/* Every BO class, with and without the hint bits (which must not change
 * the outcome). */
#define BO_LIST(X) X(0) X(1) X(2) X(3) X(4) X(5) X(8) X(10) X(12) X(13) \
	X(16) X(17) X(18) X(19) X(20) X(24) X(25)
#define BOCTR_LIST(X) X(4) X(5) X(12) X(13) X(20)

BO_LIST(BC_DEF)
BO_LIST(BCLR_DEF)
BOCTR_LIST(BCCTR_DEF)

typedef uint32_t (*br_fn)(uint32_t cr, uint32_t *ctr);
#define ENTRY(bo) { bo, bc_##bo },
#define ENTRY_LR(bo) { bo, bclr_##bo },
#define ENTRY_CTR(bo) { bo, bcctr_##bo },
static const struct { unsigned bo; br_fn fn; }
	bcs[] = { BO_LIST(ENTRY) }, bclrs[] = { BO_LIST(ENTRY_LR) },
	bcctrs[] = { BOCTR_LIST(ENTRY_CTR) };
#define N(x) (sizeof(x) / sizeof((x)[0]))

static void matrix(const char *name, unsigned bo, br_fn fn)
{
	static const uint32_t ctrs[] = { 1, 2, 0 };
	printf("%-5s BO=%2u:", name, bo);
	for (unsigned eq = 0; eq < 2; eq++)
		for (unsigned k = 0; k < N(ctrs); k++) {
			uint32_t ctr = ctrs[k];
			uint32_t t = fn(eq ? 0x20000000 : 0xd0000000, &ctr);
			printf(" [eq=%u ctr=%u: %s %08x]", eq, ctrs[k],
			       t ? "T" : "n", ctr);
		}
	print("\n");
}

/* Code for the absolute-address branches, copied to LOW_CODE. */
#define LOW_CODE 0x7E00
static const uint32_t low_code[] = {
	0x38600077,	/* 0x00: li r3,0x77 */
	0x4e800020,	/* 0x04: blr */
	0x38600066,	/* 0x08: li r3,0x66 */
	0x4e800420,	/* 0x0c: bctr */
	0x7c6802a6,	/* 0x10: mflr r3 */
	0x4e800420,	/* 0x14: bctr */
};

static void install_low_code(void)
{
	volatile uint32_t *p = (volatile uint32_t *)LOW_CODE;
	for (unsigned i = 0; i < N(low_code); i++)
		p[i] = low_code[i];
	for (unsigned i = 0; i < sizeof(low_code); i += 4)
		__asm__ __volatile__("dcbst 0,%0\n\tmsync\n\ticbi 0,%0"
				     : : "r"(LOW_CODE + i) : "memory");
	isync();
}

static uint32_t leaf_lr(void) __attribute__((noinline));
static uint32_t leaf_lr(void)
{
	uint32_t lr;
	__asm__ __volatile__("mflr %0" : "=r"(lr));
	return lr;
}

int main(void)
{
	printf("== branch (%s)\n", CPU_NAME);

	for (unsigned i = 0; i < N(bcs); i++)
		matrix("bc", bcs[i].bo, bcs[i].fn);
	for (unsigned i = 0; i < N(bclrs); i++)
		matrix("bclr", bclrs[i].bo, bclrs[i].fn);
	for (unsigned i = 0; i < N(bcctrs); i++)
		matrix("bcctr", bcctrs[i].bo, bcctrs[i].fn);

	/* bl: LR = address of the next instruction. */
	{
		uint32_t lr, next;
		__asm__ __volatile__("bl leaf_lr_asm\n"
				     "1:\tmr %0,3\n\t"
				     "lis %1,1b@ha\n\taddi %1,%1,1b@l\n\t"
				     "b 2f\n"
				     "leaf_lr_asm:\tmflr 3\n\tblr\n"
				     "2:"
				     : "=r"(lr), "=b"(next) : : "r3", "lr");
		printf("bl: LR - next = %d\n", (int)(lr - next));
		printf("bl (C call): LR is %s\n",
		       leaf_lr() != 0 ? "non-zero" : "zero");
	}

	/* bclrl/bcctrl: branch to the old LR/CTR, then LR = next insn. */
	{
		uint32_t lr1, next1, lr2, next2;
		__asm__ __volatile__("lis 3,1f@ha\n\taddi 3,3,1f@l\n\tmtlr 3\n\t"
				     "blrl\n"
				     "1:\tmflr %0\n\t"
				     "lis %1,1b@ha\n\taddi %1,%1,1b@l"
				     : "=r"(lr1), "=b"(next1) : : "r3", "lr");
		__asm__ __volatile__("lis 3,1f@ha\n\taddi 3,3,1f@l\n\tmtctr 3\n\t"
				     "bctrl\n"
				     "1:\tmflr %0\n\t"
				     "lis %1,1b@ha\n\taddi %1,%1,1b@l"
				     : "=r"(lr2), "=b"(next2) : : "r3", "lr",
				       "ctr");
		printf("blrl: LR - next = %d; bctrl: LR - next = %d\n",
		       (int)(lr1 - next1), (int)(lr2 - next2));
	}

	/* bdnz loop counts. */
	static const uint32_t counts[] = { 1, 2, 7, 100 };
	for (unsigned i = 0; i < N(counts); i++) {
		uint32_t n = 0, c = counts[i];
		__asm__ __volatile__("mtctr %1\n"
				     "1:\taddi %0,%0,1\n\tbdnz 1b"
				     : "+r"(n) : "r"(c) : "ctr");
		printf("bdnz from %u: %u iterations\n", counts[i], n);
	}

	/* Absolute branches into low memory. */
	install_low_code();
	{
		uint32_t r3, lr, ret;
		__asm__ __volatile__("bla 0x7E00\n"
				     "1:\tmr %0,3"
				     : "=r"(r3) : : "r3", "lr");
		printf("bla 0x7E00: r3=%08x\n", r3);
		__asm__ __volatile__("lis 3,1f@ha\n\taddi 3,3,1f@l\n\tmtctr 3\n\t"
				     "li 3,0\n\t"
				     "ba 0x7E08\n"
				     "1:\tmr %0,3"
				     : "=r"(r3) : : "r3", "ctr");
		printf("ba 0x7E08: r3=%08x\n", r3);
		__asm__ __volatile__("lis 3,1f@ha\n\taddi 3,3,1f@l\n\tmtctr 3\n\t"
				     "crset 2\n\t"
				     "bcla 12,2,0x7E10\n"
				     "1:\tmr %0,3\n\t"
				     "lis %1,1b@ha\n\taddi %1,%1,1b@l"
				     : "=r"(lr), "=b"(ret) : : "r3", "ctr", "lr",
				       "cr0");
		printf("bcla 12,eq,0x7E10: LR - next = %d\n", (int)(lr - ret));
		__asm__ __volatile__("li 3,0\n\tcrclr 2\n\t"
				     "bcla 12,2,0x7E00\n\t"
				     "mr %0,3"
				     : "=r"(r3) : : "r3", "lr", "cr0");
		printf("bcla 12,eq not taken: r3=%08x\n", r3);
	}
	printf("== end\n");
	return 0;
}
