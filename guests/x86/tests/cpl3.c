/*
 * cpl3: long mode, then 64-bit code at CPL3 with paging on.  A ring-3
 * loop does real work (natively fast under PVM, where CPL0 is emulated),
 * and every way back to CPL0 the boot ABI's users rely on is tried: the
 * DPL-3 int3 gate, syscall (entry through LSTAR, back with sysret) and a
 * fault.  Each report names the privilege level the CPU says it was at.
 */
#include "x86.h"

#define MSR_STAR  0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_FMASK 0xc0000084
#define EFER_SCE  0x1

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

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

/* syscall from CPL3: the kernel side (syscall_entry) returns rdi * 3 and the CPL it ran at. */
extern char syscall_entry[];
static volatile uint64_t syscall_cpl = 99;
static long user_syscall(long v)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "D"(v) : "rcx", "r11", "memory");
	return r * 10 + (read_cs() & 3);
}
uint64_t syscall_kernel(uint64_t v, uint64_t cs);
uint64_t syscall_kernel(uint64_t v, uint64_t cs)
{
	syscall_cpl = cs & 3;
	return v * 3;
}
__asm__(
	".text\n"
	".globl syscall_entry\n"
	"syscall_entry:\n"
	/* Only the user's rcx/r11 are live; C may clobber the rest it is allowed to. */
	"	movq %rsp, %r10\n"
	"	movq $syscall_stack_top, %rsp\n"
	"	pushq %r10\n"
	"	pushq %rcx\n"
	"	pushq %r11\n"
	"	movq %cs, %rsi\n"
	"	call syscall_kernel\n"
	"	popq %r11\n"
	"	popq %rcx\n"
	"	popq %rsp\n"
	"	sysretq\n"
	".bss\n"
	".p2align 4\n"
	"	.skip 4096\n"
	"syscall_stack_top:\n"
	".text\n");

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

	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	/* STAR: kernel CS 0x08 (SS 0x10); sysret CS = 0x10+16 | 3 = 0x23, SS = 0x10+8 | 3 = 0x1b. */
	wrmsr(MSR_STAR, ((uint64_t)0x10 << 48) | ((uint64_t)SEL_KCODE << 32));
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	wrmsr(MSR_FMASK, 0x200);
	r = run_user(user_syscall, 14);
	printf("syscall: result %ld, handler at CPL %lu, back at CPL %ld\n", r / 10, syscall_cpl, r % 10);

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
