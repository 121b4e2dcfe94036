/*
 * Timebase: monotonic reads (mfspr 268/269, and mftb on e500mc), writes
 * through SPRs 284/285 and the carry from TBL into TBU.  Nothing
 * time-dependent is printed, only whether each property held.  (That DEC
 * falls at the TB rate is in isa/dec_read.c: QEMU's DEC reads are wrong.)
 */
#include "test.h"

static const char *yn(int c) { return c ? "yes" : "NO"; }

int main(void)
{
	printf("== timebase (%s)\n", CPU_NAME);

	uint64_t prev = read_tb();
	int mono = 1, moved = 0;
	for (int i = 0; i < 2000; i++) {
		uint64_t t = read_tb();
		if (t < prev)
			mono = 0;
		if (t > prev)
			moved = 1;
		prev = t;
	}
	printf("tb monotonic: %s, advancing: %s\n", yn(mono), yn(moved));

	/* The recommended write sequence: TBL = 0, TBU, then TBL. */
	mtspr(SPR_TBL_W, 0);
	mtspr(SPR_TBU_W, 0x12345678);
	mtspr(SPR_TBL_W, 0x10000000);
	uint32_t hi = mfspr(SPR_TBU_R), lo = mfspr(SPR_TBL_R);
	printf("after write: tbu %08x, tbl in [10000000, 14000000): %s\n", hi,
	       yn(lo >= 0x10000000 && lo < 0x14000000));

	/* Carry: start 40000 ticks (0.1 ms) before TBL wraps. */
	mtspr(SPR_TBL_W, 0);
	mtspr(SPR_TBU_W, 7);
	mtspr(SPR_TBL_W, 0xffffffff - 40000);
	uint32_t spins = 0;
	while (mfspr(SPR_TBU_R) == 7 && ++spins < 100000000)
		;
	hi = mfspr(SPR_TBU_R);
	lo = mfspr(SPR_TBL_R);
	printf("carry: tbu %08x, tbl small: %s\n", hi, yn(lo < 0x40000000));

	/* 64-bit read consistency across the carry. */
	mtspr(SPR_TBL_W, 0);
	mtspr(SPR_TBU_W, 0xfffffffe);
	mtspr(SPR_TBL_W, 0xfffff000);
	prev = read_tb();
	mono = 1;
	for (int i = 0; i < 20000 && (prev >> 32) != 0xffffffff; i++) {
		uint64_t t = read_tb();
		if (t < prev)
			mono = 0;
		prev = t;
	}
	printf("64-bit reads across carry monotonic: %s, tbu now %08x\n",
	       yn(mono), (uint32_t)(prev >> 32));

#ifdef CPU_E500MC
	/* mftb/mftbu (31/371) read the same timebase. */
	uint32_t a = mfspr(SPR_TBL_R), b, c, u;
	__asm__ __volatile__(".long 0x7c6c42e6\n\tmr %0,3\n\t"	/* mftb r3 */
			     ".long 0x7c6d42e6\n\tmr %1,3"	/* mftbu r3 */
			     : "=r"(b), "=r"(u) : : "r3");
	c = mfspr(SPR_TBL_R);
	printf("mftb between two mfspr reads: %s, mftbu = tbu: %s\n",
	       yn(a <= b && b <= c), yn(u == mfspr(SPR_TBU_R)));
#endif
	printf("== end\n");
	return 0;
}
