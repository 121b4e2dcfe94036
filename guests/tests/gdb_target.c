/*
 * A guest for the gdb stub's end-to-end test (test/e2e/gdb.test.ts); on its own
 * (QEMU, the differential suite) it just prints its lines.
 *
 * It maps a second virtual alias of the page holding gdb_patch through TLB1
 * (EA 0x50000000 + offset) so a debugger can read and write the variable by an
 * address that only the TLB knows, then calls gdb_break_here() a few times (a
 * breakpoint target with an argument) and prints gdb_patch at gdb_marker():
 * a debugger that changes the variable sees the guest print its value.
 */
#include "test.h"

#define ALIAS_EA   0x50000000u
#define ALIAS_ESEL 5

volatile uint32_t gdb_counter;
volatile uint32_t gdb_patch = 0x11111111;
/* Where gdb_patch is through the alias; a debugger reads it from here. */
volatile uint32_t gdb_alias;

void __attribute__((noinline)) gdb_break_here(unsigned step)
{
	gdb_counter += step;
	__asm__ __volatile__("" ::: "memory");
}

void __attribute__((noinline)) gdb_marker(void)
{
	__asm__ __volatile__("" ::: "memory");
}

int main(void)
{
	printf("== gdb_target (%s)\n", CPU_NAME);
	uint32_t pa = (uint32_t)&gdb_patch; /* RAM is identity-mapped by crt0 */
	tlb1_map(ALIAS_ESEL, ALIAS_EA, pa & ~0xfffu, TSIZE_4K, 0,
		 MAS3_SR | MAS3_SW, 0, 0, 0);
	gdb_alias = ALIAS_EA + (pa & 0xfffu);
	printf("alias %08x reads %08x\n", (unsigned)gdb_alias,
	       (unsigned)*(volatile uint32_t *)gdb_alias);
	for (unsigned i = 1; i <= 3; i++)
		gdb_break_here(i);
	printf("counter %u\n", (unsigned)gdb_counter);
	gdb_marker();
	printf("patch %08x\n", (unsigned)gdb_patch);
	printf("alias %08x\n", (unsigned)*(volatile uint32_t *)gdb_alias);
	tlb1_unmap(ALIAS_ESEL);
	printf("== end\n");
	return 0;
}
