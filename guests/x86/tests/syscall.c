/*
 * syscall: the fast system call from CPL3 in long mode.  syscall enters
 * the kernel at LSTAR with CS from STAR (CPL0) and the user RIP/RFLAGS in
 * RCX/R11; sysretq goes back to CPL3.  The handler reports the privilege
 * level it ran at, the user side the one it came back to.
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

int main(struct hvm_start_info *si);
int main(struct hvm_start_info *si)
{
	cpu_init();
	long r;
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	/* STAR: kernel CS 0x08 (SS 0x10); sysret CS = 0x10+16 | 3 = 0x23, SS = 0x10+8 | 3 = 0x1b. */
	wrmsr(MSR_STAR, ((uint64_t)0x10 << 48) | ((uint64_t)SEL_KCODE << 32));
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	wrmsr(MSR_FMASK, 0x200);
	r = run_user(user_syscall, 14);
	printf("syscall: result %ld, handler at CPL %lu, back at CPL %ld\n", r / 10, syscall_cpl, r % 10);

	if (r == -1 && last_user_fault.faulted)
		printf("syscall round trip faulted: vector %lu error %lx\n", last_user_fault.vector, last_user_fault.error);
	r = run_user(user_syscall, 5);
	printf("again: result %ld\n", r / 10);
	return 0;
}
