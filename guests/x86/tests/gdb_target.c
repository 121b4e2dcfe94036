/*
 * gdb_target: a guest for the gdb stub's sessions (test/guests/gdb-x86.test.ts).
 * It calls gdb_break_here() (a breakpoint target that is not inlined) and
 * then prints gdb_patch, so a debugger that stopped at the marker and wrote
 * the variable changes what the guest prints.  main returns 0x15, so the
 * run ends with status (0x15 << 1) | 1 = 43.
 */
#include "x86.h"

volatile uint32_t gdb_patch = 0x12345678;
volatile uint32_t gdb_counter;

void gdb_break_here(void);
__attribute__((noinline)) void gdb_break_here(void)
{
	/* Something to single-step over that the debugger can see change. */
	gdb_counter = gdb_counter + 1;
	__asm__ volatile("" ::: "memory");
}

int main(struct hvm_start_info *si);
int main(struct hvm_start_info *si)
{
	printf("gdb_target: before the marker\n");
	gdb_break_here();
	printf("gdb_patch = %x\n", gdb_patch);
	printf("gdb_counter = %u\n", gdb_counter);
	return 0x15;
}
