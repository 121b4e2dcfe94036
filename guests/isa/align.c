/*
 * ISA-only: alignment interrupts the e500 cores raise and QEMU does not.
 *
 * - stwcx. to an address that is not a multiple of 4: Power ISA 2.06
 *   Book II, 4.4.2 (load/store conditional EA must be word aligned) and
 *   Book III-E, 7.6.6 "Alignment Interrupt" -- e500 takes the interrupt.
 * - lmw/stmw with a misaligned EA: e500 core reference manual, alignment
 *   interrupt conditions ("lmw, stmw not word aligned").
 * - dcbz to a page that is caching-inhibited (MAS2[I]) or write-through
 *   (MAS2[W]): e500 core reference manual, dcbz ("alignment interrupt if
 *   the page is W = 1 or I = 1").
 * In every case SRR0 is the instruction and DEAR the EA (ESR is not
 * printed).  Not compared with QEMU.
 */
#include "test.h"

#define WIN 0x20000000u
static uint8_t page[4096] __attribute__((aligned(4096)));

PROBE(p_stwcx, "", "stwcx. 5,0,3")
/* lmw writes r30/r31, which PROBE does not declare as clobbered. */
static uint32_t p_lmw(uint32_t ea) __attribute__((noinline));
static uint32_t p_lmw(uint32_t ea)
{
	uint32_t a;
	__asm__ __volatile__("lis %0,1f@ha\n\taddi %0,%0,1f@l\n"
			     "1:\tlmw 30,0(%1)"
			     : "=&b"(a) : "b"(ea) : "r30", "r31", "memory");
	return a;
}
PROBE(p_stmw, "", "stmw 30,0(3)")
PROBE(p_dcbz, "", "dcbz 0,3")

static void one(const char *what, uint32_t (*fn)(uint32_t), uint32_t ea)
{
	exc_clear();
	uint32_t at = fn(ea);
	printf("%-18s:", what);
	if (exc_count)
		printf(" ivor %u srr0 %s dear WIN+%03x\n", exc_last.vec,
		       rel_pc(exc_last.pc, at), exc_last.dear - WIN);
	else
		print(" no interrupt\n");
}

int main(void)
{
	printf("== align\n");
	exc_set_hook(IVOR_ALIGN, exc_record_skip);
	tlb1_map(6, WIN, (uint32_t)page, TSIZE_4K, 0, MAS3_SR | MAS3_SW, 0, 0, 0);
	one("stwcx. +2", p_stwcx, WIN + 0x102);
	one("lmw +1", p_lmw, WIN + 0x201);
	one("stmw +2", p_stmw, WIN + 0x302);
	one("dcbz normal page", p_dcbz, WIN + 0x400);
	tlb1_map(6, WIN, (uint32_t)page, TSIZE_4K, MAS2_I | MAS2_G,
		 MAS3_SR | MAS3_SW, 0, 0, 0);
	one("dcbz I=1 page", p_dcbz, WIN + 0x440);
	tlb1_map(6, WIN, (uint32_t)page, TSIZE_4K, MAS2_W,
		 MAS3_SR | MAS3_SW, 0, 0, 0);
	one("dcbz W=1 page", p_dcbz, WIN + 0x480);
	tlb1_unmap(6);
	printf("== end\n");
	return 0;
}
