/*
 * cpl3: long mode, then 64-bit code at CPL3 with paging on.  A ring-3
 * loop does real work (natively fast under PVM, where CPL0 is emulated)
 * and comes back through the DPL-3 int3 gate; privileged instructions and
 * supervisor pages fault back to CPL0.  Each report names the privilege
 * level the CPU says it was at.  (syscall/sysret: see syscall.c.)
 */
#include "x86.h"

static uint16_t read_cs(void)
{
	uint16_t cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return cs;
}

/* A xorshift checksum over n steps: enough work that a wrong result shows. */
static long user_loop(long n)
{
	uint64_t x = 0x9e3779b97f4a7c15ull, sum = 0;
	for (long i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		sum += x >> 32;
	}
	return (long)((sum & 0xffffffffffull) << 2 | (read_cs() & 3));
}

/* A privileged instruction at CPL3 must fault (#GP), whatever IOPL says. */
static long user_cli(long v)
{
	__asm__ volatile("cli");
	return v;
}

/* A write to a supervisor-only page from CPL3: #PF with U/S and W/R in the error code. */
static long user_write_kernel_page(long addr)
{
	*(volatile long *)addr = 1;
	return 0;
}

static void report_fault(const char *what)
{
	printf("%s: vector %lu error %lx", what, last_user_fault.vector, last_user_fault.error);
	if (last_user_fault.vector == 14)
		printf(" cr2 %lx", last_user_fault.cr2);
	printf("\n");
}

int main(struct hvm_start_info *si);
int main(struct hvm_start_info *si)
{
	cpu_init();
	printf("long mode: EFER.LMA=%lu CR0.PG=%lu CS.CPL=%u\n", (rdmsr(MSR_EFER) >> 10) & 1,
	       read_cr0() >> 31, read_cs() & 3);

	long r = run_user(user_loop, 1000000);
	printf("ring 3 loop: checksum %lx at CPL %ld\n", r >> 2, r & 3);

	r = run_user(user_cli, 1);
	if (r == -1 && last_user_fault.faulted)
		report_fault("cli at CPL 3");
	else
		printf("cli at CPL 3: no fault\n");

	/* The 2 MiB page at 16 MiB loses its user bit. */
	uint64_t *pde = pde_for(0x1000000);
	*pde &= ~(uint64_t)PTE_U;
	invlpg(0x1000000);
	r = run_user(user_write_kernel_page, 0x1000040);
	if (r == -1 && last_user_fault.faulted)
		report_fault("user write to a kernel page");
	else
		printf("user write to a kernel page: no fault\n");
	*pde |= PTE_U;
	invlpg(0x1000000);

	r = run_user(user_loop, 10);
	printf("ring 3 again: checksum %lx at CPL %ld\n", r >> 2, r & 3);
	return 0;
}
