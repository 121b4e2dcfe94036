/*
 * Compares into every CR field, the CR logical instructions, mcrf,
 * mcrxr, mtcrf/mfcr, mtocrf/mfocrf and isel.
 */
#include "alu.h"

struct crt_res {
	uint32_t d, cr, xer;
};
typedef struct crt_res (*crt_fn)(uint32_t a, uint32_t b, uint32_t cr,
				 uint32_t xer);

/* Like ALU_DEF but with the incoming CR chosen by the caller. */
#define CRT_DEF(fn, text)						\
static struct crt_res fn(uint32_t a, uint32_t b, uint32_t cr, uint32_t x) \
{									\
	struct crt_res r;						\
	__asm__ __volatile__(						\
		"mtxer %[x]\n\t"					\
		"mtcrf 0xff,%[ci]\n\t"					\
		"li %[d],-1\n\t"					\
		text "\n\t"						\
		"mfxer %[xo]\n\t"					\
		"mfcr %[c]"						\
		: [d] "=&b"(r.d), [xo] "=&r"(r.xer), [c] "=&r"(r.cr)	\
		: [a] "b"(a), [b] "b"(b), [x] "r"(x), [ci] "r"(cr)	\
		: "cr0", "cr1", "cr2", "cr3", "cr4", "cr5", "cr6", "cr7", \
		  "xer");						\
	return r;							\
}

struct crt_op {
	const char *name;
	crt_fn fn;
};
#define E(n) { #n, n }
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- compares --------------------------------------------------------- */
CRT_DEF(cmpw0, "cmpw 0,%[a],%[b]")
CRT_DEF(cmpw3, "cmpw 3,%[a],%[b]")
CRT_DEF(cmpw7, "cmpw 7,%[a],%[b]")
CRT_DEF(cmplw0, "cmplw 0,%[a],%[b]")
CRT_DEF(cmplw5, "cmplw 5,%[a],%[b]")
CRT_DEF(cmp_l0, "cmp 1,0,%[a],%[b]")
CRT_DEF(cmpl_l0, "cmpl 6,0,%[a],%[b]")
static const struct crt_op cmps[] = {
	E(cmpw0), E(cmpw3), E(cmpw7), E(cmplw0), E(cmplw5), E(cmp_l0),
	E(cmpl_l0),
};
CRT_DEF(cmpwi_m1, "cmpwi 2,%[a],-1")
CRT_DEF(cmpwi_0, "cmpwi 0,%[a],0")
CRT_DEF(cmpwi_7fff, "cmpwi 4,%[a],0x7fff")
CRT_DEF(cmpwi_m8000, "cmpwi 7,%[a],-0x8000")
CRT_DEF(cmplwi_0, "cmplwi 1,%[a],0")
CRT_DEF(cmplwi_1, "cmplwi 0,%[a],1")
CRT_DEF(cmplwi_ffff, "cmplwi 6,%[a],0xffff")
static const struct crt_op cmpis[] = {
	E(cmpwi_m1), E(cmpwi_0), E(cmpwi_7fff), E(cmpwi_m8000), E(cmplwi_0),
	E(cmplwi_1), E(cmplwi_ffff),
};

/* ---- CR logical: D = 31 (cr7.so), A = 5 (cr1.gt), B = 10 (cr2.eq) ----- */
CRT_DEF(crand_, "crand 31,5,10")
CRT_DEF(cror_, "cror 31,5,10")
CRT_DEF(crxor_, "crxor 31,5,10")
CRT_DEF(crnand_, "crnand 31,5,10")
CRT_DEF(crnor_, "crnor 31,5,10")
CRT_DEF(creqv_, "creqv 31,5,10")
CRT_DEF(crandc_, "crandc 31,5,10")
CRT_DEF(crorc_, "crorc 31,5,10")
CRT_DEF(crclr_, "crxor 5,5,5")
CRT_DEF(crset_, "creqv 12,12,12")
CRT_DEF(crsame_, "cror 0,0,31")
static const struct crt_op crls[] = {
	E(crand_), E(cror_), E(crxor_), E(crnand_), E(crnor_), E(creqv_),
	E(crandc_), E(crorc_),
};
static const struct crt_op crmisc[] = { E(crclr_), E(crset_), E(crsame_) };

/* ---- field moves ------------------------------------------------------ */
CRT_DEF(mcrf_71, "mcrf 7,1")
CRT_DEF(mcrf_00, "mcrf 0,0")
CRT_DEF(mcrf_36, "mcrf 3,6")
CRT_DEF(mcrxr_0, "mcrxr 0")
CRT_DEF(mcrxr_5, "mcrxr 5")
CRT_DEF(mtcrf_00, "mtcrf 0x00,%[a]")
CRT_DEF(mtcrf_01, "mtcrf 0x01,%[a]")
CRT_DEF(mtcrf_80, "mtcrf 0x80,%[a]")
CRT_DEF(mtcrf_5a, "mtcrf 0x5a,%[a]")
CRT_DEF(mtcrf_ff, "mtcrf 0xff,%[a]")
CRT_DEF(mtocrf_20, "mtocrf 0x20,%[a]")
CRT_DEF(mtocrf_01, "mtocrf 0x01,%[a]")
CRT_DEF(mfcr_, "mfcr %[d]")
/* mfocrf leaves the other fields of rD undefined: callers mask them. */
CRT_DEF(mfocrf_80, "mfocrf %[d],0x80")
CRT_DEF(mfocrf_10, "mfocrf %[d],0x10")
CRT_DEF(mfocrf_01, "mfocrf %[d],0x01")
static const struct crt_op moves[] = {
	E(mcrf_71), E(mcrf_00), E(mcrf_36), E(mcrxr_0), E(mcrxr_5),
	E(mtcrf_00), E(mtcrf_01), E(mtcrf_80), E(mtcrf_5a), E(mtcrf_ff),
	E(mtocrf_20), E(mtocrf_01), E(mfcr_),
};
static const struct {
	const char *name;
	crt_fn fn;
	uint32_t mask;
} mfocrfs[] = {
	{ "mfocrf_80", mfocrf_80, 0xf0000000 },
	{ "mfocrf_10", mfocrf_10, 0x000f0000 },
	{ "mfocrf_01", mfocrf_01, 0x0000000f },
};

/* ---- isel ------------------------------------------------------------- */
CRT_DEF(isel_lt, "isel %[d],%[a],%[b],0")
CRT_DEF(isel_eq, "isel %[d],%[a],%[b],2")
CRT_DEF(isel_so7, "isel %[d],%[a],%[b],31")
CRT_DEF(isel_r0, "isel %[d],0,%[b],17")		/* rA = 0 selects 0 */
static const struct crt_op isels[] = {
	E(isel_lt), E(isel_eq), E(isel_so7), E(isel_r0),
};

static const uint32_t cvals[] = {
	0x00000000, 0x00000001, 0x00007fff, 0x00008000, 0x0000ffff,
	0x7fffffff, 0x80000000, 0xffff8000, 0xffffffff,
};

static void show(const char *name, uint32_t a, uint32_t b, uint32_t cr,
		 uint32_t x, struct crt_res r)
{
	printf("%-11s a=%08x b=%08x cr=%08x x=%08x -> cr=%08x x=%08x\n", name,
	       a, b, cr, x, r.cr, r.xer);
}

int main(void)
{
	printf("== compare (%s)\n", CPU_NAME);

	/* Compares: LT/GT/EQ from the operands, SO copied from XER. */
	for (unsigned o = 0; o < N(cmps); o++)
		for (unsigned i = 0; i < N(cvals); i++)
			for (unsigned j = 0; j < N(cvals); j++) {
				uint32_t x = ((i + j) & 1) ? XER_SO : 0;
				show(cmps[o].name, cvals[i], cvals[j], 0x12345678,
				     x, cmps[o].fn(cvals[i], cvals[j], 0x12345678, x));
			}
	for (unsigned o = 0; o < N(cmpis); o++)
		for (unsigned i = 0; i < N(cvals); i++)
			for (unsigned x = 0; x < 2; x++)
				show(cmpis[o].name, cvals[i], 0, 0xffffffff,
				     x ? XER_SO : 0,
				     cmpis[o].fn(cvals[i], 0, 0xffffffff,
						 x ? XER_SO : 0));

	/* CR logical over all input combinations of A, B and old D. */
	for (unsigned o = 0; o < N(crls); o++)
		for (unsigned v = 0; v < 8; v++) {
			uint32_t cr = 0x10101010 |
				      ((v & 4) ? 0x80000000u >> 5 : 0) |
				      ((v & 2) ? 0x80000000u >> 10 : 0) |
				      ((v & 1) ? 0x80000000u >> 31 : 0);
			show(crls[o].name, 0, 0, cr, 0, crls[o].fn(0, 0, cr, 0));
		}
	for (unsigned o = 0; o < N(crmisc); o++) {
		show(crmisc[o].name, 0, 0, 0x04000001, 0,
		     crmisc[o].fn(0, 0, 0x04000001, 0));
		show(crmisc[o].name, 0, 0, 0x7ffffffe, 0,
		     crmisc[o].fn(0, 0, 0x7ffffffe, 0));
	}

	/* Field moves. */
	static const uint32_t xs[] = { 0, XER_SO | XER_CA, XER_OV };
	for (unsigned o = 0; o < N(moves); o++)
		for (unsigned k = 0; k < N(xs); k++) {
			struct crt_res r = moves[o].fn(0x9abcdef0, 0, 0x12345678,
						       xs[k]);
			show(moves[o].name, 0x9abcdef0, 0, 0x12345678, xs[k], r);
			if (o == N(moves) - 1)
				printf("  mfcr -> %08x\n", r.d);
		}
	for (unsigned o = 0; o < N(mfocrfs); o++) {
		struct crt_res r = mfocrfs[o].fn(0, 0, 0x12345678, 0);
		printf("%-11s cr=12345678 -> field %08x\n", mfocrfs[o].name,
		       r.d & mfocrfs[o].mask);
	}

	/* isel: rA (or 0) when the CR bit is set, else rB. */
	static const uint32_t crs[] = { 0x00000000, 0x80000000, 0x20000000,
					0x00000001, 0x00004000, 0xffffffff };
	for (unsigned o = 0; o < N(isels); o++)
		for (unsigned k = 0; k < N(crs); k++) {
			struct crt_res r = isels[o].fn(0x11111111, 0x22222222,
						       crs[k], 0);
			printf("%-11s cr=%08x -> %08x cr=%08x\n", isels[o].name,
			       crs[k], r.d, r.cr);
		}
	printf("== end\n");
	return 0;
}
