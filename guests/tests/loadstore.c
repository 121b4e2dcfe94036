/*
 * Loads and stores: every width, sign/zero extension, D/X and update
 * forms, rA = 0, byte-reversed forms, lmw/stmw, misaligned accesses inside
 * a line, across cache lines and across a page boundary where the two
 * pages map to unrelated physical pages.
 */
#include "test.h"

struct ls_res {
	uint32_t d, a;
};
typedef struct ls_res (*ls_fn)(uint32_t a, uint32_t b, uint32_t v);

/* %[d] data, %[a] base (updated by update forms), %[b] index. */
#define LS_DEF(fn, text)						\
static struct ls_res fn(uint32_t a, uint32_t b, uint32_t v)		\
{									\
	uint32_t d = v;							\
	__asm__ __volatile__(text					\
		: [d] "+&r"(d), [a] "+&b"(a) : [b] "r"(b) : "memory");	\
	return (struct ls_res){ d, a };					\
}

LS_DEF(lbz_, "lbz %[d],1(%[a])")
LS_DEF(lbzu_, "lbzu %[d],1(%[a])")
LS_DEF(lbzx_, "lbzx %[d],%[a],%[b]")
LS_DEF(lbzux_, "lbzux %[d],%[a],%[b]")
LS_DEF(lhz_, "lhz %[d],-2(%[a])")
LS_DEF(lhzu_, "lhzu %[d],2(%[a])")
LS_DEF(lhzx_, "lhzx %[d],%[a],%[b]")
LS_DEF(lhzux_, "lhzux %[d],%[a],%[b]")
LS_DEF(lha_, "lha %[d],2(%[a])")
LS_DEF(lhau_, "lhau %[d],-2(%[a])")
LS_DEF(lhax_, "lhax %[d],%[a],%[b]")
LS_DEF(lhaux_, "lhaux %[d],%[a],%[b]")
LS_DEF(lwz_, "lwz %[d],4(%[a])")
LS_DEF(lwzu_, "lwzu %[d],-4(%[a])")
LS_DEF(lwzx_, "lwzx %[d],%[a],%[b]")
LS_DEF(lwzux_, "lwzux %[d],%[a],%[b]")
LS_DEF(lhbrx_, "lhbrx %[d],%[a],%[b]")
LS_DEF(lwbrx_, "lwbrx %[d],%[a],%[b]")
LS_DEF(stb_, "stb %[d],1(%[a])")
LS_DEF(stbu_, "stbu %[d],1(%[a])")
LS_DEF(stbx_, "stbx %[d],%[a],%[b]")
LS_DEF(stbux_, "stbux %[d],%[a],%[b]")
LS_DEF(sth_, "sth %[d],-2(%[a])")
LS_DEF(sthu_, "sthu %[d],2(%[a])")
LS_DEF(sthx_, "sthx %[d],%[a],%[b]")
LS_DEF(sthux_, "sthux %[d],%[a],%[b]")
LS_DEF(stw_, "stw %[d],4(%[a])")
LS_DEF(stwu_, "stwu %[d],-4(%[a])")
LS_DEF(stwx_, "stwx %[d],%[a],%[b]")
LS_DEF(stwux_, "stwux %[d],%[a],%[b]")
LS_DEF(sthbrx_, "sthbrx %[d],%[a],%[b]")
LS_DEF(stwbrx_, "stwbrx %[d],%[a],%[b]")

#define E(n) { #n, n }
#define N(x) (sizeof(x) / sizeof((x)[0]))
static const struct {
	const char *name;
	ls_fn fn;
} loads[] = {
	E(lbz_), E(lbzu_), E(lbzx_), E(lbzux_), E(lhz_), E(lhzu_), E(lhzx_),
	E(lhzux_), E(lha_), E(lhau_), E(lhax_), E(lhaux_), E(lwz_), E(lwzu_),
	E(lwzx_), E(lwzux_), E(lhbrx_), E(lwbrx_),
}, stores[] = {
	E(stb_), E(stbu_), E(stbx_), E(stbux_), E(sth_), E(sthu_), E(sthx_),
	E(sthux_), E(stw_), E(stwu_), E(stwx_), E(stwux_), E(sthbrx_),
	E(stwbrx_),
};

static uint8_t buf[256] __attribute__((aligned(64)));

static void fill(volatile uint8_t *p, unsigned n, uint8_t seed)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 0x25);
}

static void dump(const char *label, volatile uint8_t *p, unsigned n)
{
	print(label);
	for (unsigned i = 0; i < n; i++)
		printf(" %02x", p[i]);
	print("\n");
}

/* Two 4 KiB pages at consecutive EAs backed by distant physical pages,
 * in reverse order, so a straddling access must split its translation. */
#define SPLIT_EA 0x10000000u
static uint8_t phys_pages[3 * 4096] __attribute__((aligned(4096)));

int main(void)
{
	printf("== loadstore (%s)\n", CPU_NAME);
	uint32_t base = (uint32_t)buf;

	/* rA = buf+60..63 and rB = 4: indexed forms access buf+64..67, the
	 * D forms rA+disp.  "rA+n" is how far an update form moved rA. */
	static const int offs[] = { 64, 65, 66, 67 };
	for (unsigned o = 0; o < N(loads); o++)
		for (unsigned k = 0; k < N(offs); k++) {
			fill(buf, sizeof(buf), 0x80);
			struct ls_res r = loads[o].fn(base + offs[k] - 4, 4,
						      0xdeadbeef);
			printf("%-7s rA=buf+%d -> %08x rA%+d\n", loads[o].name,
			       offs[k] - 4, r.d, (int)(r.a - base) - offs[k] + 4);
		}

	for (unsigned o = 0; o < N(stores); o++)
		for (unsigned k = 0; k < N(offs); k++) {
			fill(buf, sizeof(buf), 0x11);
			struct ls_res r = stores[o].fn(base + offs[k] - 4, 4,
						       0xa1b2c3d4);
			printf("%-7s rA=buf+%d rA%+d:", stores[o].name,
			       offs[k] - 4, (int)(r.a - base) - offs[k] + 4);
			dump("", buf + offs[k] - 10, 20);	/* from rA-6 */
		}

	/* rA = 0 means "no base": absolute low addresses. */
	*(volatile uint32_t *)0x7E00 = 0x600dcafe;
	{
		uint32_t d1, d2, d3;
		uint32_t idx = 0x7E02;
		__asm__ __volatile__("lwz %0,0x7E00(0)\n\tlhzx %1,0,%3\n\t"
				     "lbz %2,0x7E03(0)"
				     : "=&r"(d1), "=&r"(d2), "=&r"(d3)
				     : "r"(idx) : "memory");
		printf("rA=0: lwz %08x lhzx %08x lbz %08x\n", d1, d2, d3);
	}

	/* lmw/stmw (word aligned: misaligned forms trap on real e500). */
	{
		uint32_t w[4];
		fill(buf, sizeof(buf), 0x42);
		__asm__ __volatile__("lmw 28,16(%4)\n\tmr %0,28\n\tmr %1,29\n\t"
				     "mr %2,30\n\tmr %3,31"
				     : "=&r"(w[0]), "=&r"(w[1]), "=&r"(w[2]),
				       "=&r"(w[3])
				     : "b"(buf) : "r28", "r29", "r30", "r31",
				       "memory");
		printf("lmw 28: %08x %08x %08x %08x\n", w[0], w[1], w[2], w[3]);
		fill(buf, sizeof(buf), 0);
		__asm__ __volatile__("lis 27,0x1111\n\tlis 28,0x2222\n\t"
				     "lis 29,0x3333\n\tlis 30,0x4444\n\t"
				     "lis 31,0x5555\n\tori 31,31,0x6666\n\t"
				     "stmw 27,8(%0)"
				     : : "b"(buf) : "r27", "r28", "r29", "r30",
				       "r31", "memory");
		dump("stmw 27:", buf + 4, 28);
	}

	/* Misaligned accesses across words, 32/64-byte lines, 4 KiB. */
	static const unsigned mis[] = { 1, 2, 3, 29, 30, 31, 61, 62, 63 };
	for (unsigned k = 0; k < N(mis); k++) {
		fill(buf, sizeof(buf), 0x01);
		uint32_t a = base + 64 + mis[k];
		struct ls_res h = lhzx_(a, 0, 0), s = lhax_(a, 0, 0),
			      w = lwzx_(a, 0, 0), hb = lhbrx_(a, 0, 0),
			      wb = lwbrx_(a, 0, 0);
		printf("mis +%u: lhz %08x lha %08x lwz %08x lhbrx %08x lwbrx %08x\n",
		       mis[k], h.d, s.d, w.d, hb.d, wb.d);
		stwx_(a, 0, 0xcafef00d);
		sthx_(a + 8, 0, 0xbeef);
		stwbrx_(a + 12, 0, 0x01020304);
		dump("   stores:", buf + 64 + mis[k] - 1, 19);
	}

	/* EA page SPLIT_EA -> phys_pages[2], SPLIT_EA+4K -> phys_pages[0]. */
	uint32_t pp = (uint32_t)phys_pages;
	tlb0_map(0, SPLIT_EA, pp + 2 * 4096, 0, MAS3_SR | MAS3_SW, 0, 0);
	tlb0_map(1, SPLIT_EA + 4096, pp, 0, MAS3_SR | MAS3_SW, 0, 0);
	fill(phys_pages, sizeof(phys_pages), 0x30);
	for (unsigned k = 1; k <= 3; k++) {
		uint32_t a = SPLIT_EA + 4096 - k;
		struct ls_res w = lwzx_(a, 0, 0), h = lhzx_(a, 0, 0),
			      wb = lwbrx_(a, 0, 0);
		printf("page split -%u: lwz %08x lhz %08x lwbrx %08x\n", k, w.d,
		       h.d, wb.d);
	}
	stwx_(SPLIT_EA + 4096 - 3, 0, 0x99887766);
	sthx_(SPLIT_EA + 4096 - 9, 0, 0x5544);
	dump("split store, phys page 2 end:", phys_pages + 3 * 4096 - 10, 10);
	dump("split store, phys page 0 start:", phys_pages, 4);
	dump("phys page 1 start (untouched):", phys_pages + 4096, 4);
	tlb0_unmap(0, SPLIT_EA);
	tlb0_unmap(1, SPLIT_EA + 4096);

	printf("== end\n");
	return 0;
}
