/*
 * lwarx/stwcx.: a store-conditional succeeds only while the reservation
 * set by the last lwarx is held; any stwcx. (successful or not) ends it.
 * CR0 = 00 || success || XER[SO].  Cases whose outcome the ISA leaves to
 * the implementation (stwcx. to another address than the reservation,
 * reservation across an interrupt) are not tried.
 */
#include "test.h"

static volatile uint32_t cell[16] __attribute__((aligned(64)));

static uint32_t lwarx(volatile uint32_t *p)
{
	uint32_t v;
	__asm__ __volatile__("lwarx %0,0,%1" : "=r"(v) : "r"(p) : "memory");
	return v;
}

/* Returns CR0 (4 bits) after the store-conditional. */
static uint32_t stwcx(volatile uint32_t *p, uint32_t v)
{
	uint32_t cr;
	__asm__ __volatile__("stwcx. %1,0,%2\n\tmfcr %0"
			     : "=r"(cr) : "r"(v), "r"(p) : "cr0", "memory");
	return cr >> 28;
}

int main(void)
{
	printf("== atomic (%s)\n", CPU_NAME);

	cell[0] = 0x11111111;
	mtxer(0);
	uint32_t v = lwarx(&cell[0]);
	uint32_t c1 = stwcx(&cell[0], 0x22222222);
	printf("lwarx %08x; stwcx. -> cr0=%x mem=%08x\n", v, c1, cell[0]);
	uint32_t c2 = stwcx(&cell[0], 0x33333333);
	printf("second stwcx. -> cr0=%x mem=%08x\n", c2, cell[0]);

	/* No reservation at all: fails, memory untouched. */
	uint32_t c3 = stwcx(&cell[0], 0x44444444);
	printf("stwcx. without reservation -> cr0=%x mem=%08x\n", c3, cell[0]);

	/* CR0[SO] copies XER[SO] on success and on failure. */
	mtxer(0x80000000);
	lwarx(&cell[1]);
	uint32_t c4 = stwcx(&cell[1], 0x55555555);
	uint32_t c5 = stwcx(&cell[1], 0x66666666);
	mtxer(0);
	printf("SO=1: ok cr0=%x, fail cr0=%x, mem=%08x\n", c4, c5, cell[1]);

	/* A newer lwarx replaces the reservation. */
	cell[2] = 2;
	cell[8] = 8;
	lwarx(&cell[2]);
	lwarx(&cell[8]);
	uint32_t c6 = stwcx(&cell[8], 0x88);
	uint32_t c7 = stwcx(&cell[2], 0x22);
	printf("re-reserve: cell8 cr0=%x mem=%08x, cell2 cr0=%x mem=%08x\n", c6,
	       cell[8], c7, cell[2]);

	/* The reservation covers the word, whatever the loaded value:
	 * storing back the same value succeeds. */
	cell[3] = 0x12345678;
	v = lwarx(&cell[3]);
	uint32_t c8 = stwcx(&cell[3], v);
	printf("same value: cr0=%x mem=%08x\n", c8, cell[3]);

	/* The usual atomic increment loop. */
	uint32_t tries = 0;
	cell[4] = 1000;
	for (int i = 0; i < 100; i++) {
		uint32_t old, cr;
		do {
			tries++;
			old = lwarx(&cell[4]);
			cr = stwcx(&cell[4], old + 3);
		} while (!(cr & 2));
	}
	printf("atomic add: %u after %u tries\n", cell[4], tries);
	printf("== end\n");
	return 0;
}
