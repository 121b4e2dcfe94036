/*
 * exceptions: #DE, #UD, #PF and #GP raised at CPL0 and reported through
 * the guest's own IDT, then the same faults at CPL3.  Each report gives
 * the vector, the error code, whether the saved RIP is the faulting
 * instruction (faults restart, so it must be) and CR2 for #PF.  The
 * handler resumes after the faulting instruction at a label the test
 * set up.
 */
#include "x86.h"

static volatile uint64_t fault_rip, resume_rip;
static volatile int faults;

static void on_fault(struct trap_frame *f)
{
	faults++;
	printf("  vector %lu error %lx rip %s", f->vector, f->error, f->rip == fault_rip ? "at the instruction" : "ELSEWHERE");
	if (f->vector == 14)
		printf(" cr2 %lx", read_cr2());
	printf("\n");
	f->rip = resume_rip;
}

/*
 * FAULT(insn, ...) runs one instruction with fault_rip/resume_rip set to
 * the labels around it; `insn` must fault, so registers it would write
 * keep their values and can be plain inputs.
 */
#define FAULT(insn, ...)                                                     \
	__asm__ volatile("leaq 1f(%%rip), %%r11; movq %%r11, %[f]\n\t"       \
			 "leaq 2f(%%rip), %%r11; movq %%r11, %[r]\n\t"       \
			 "1: " insn "\n\t"                                    \
			 "2:"                                                 \
			 : [f] "=m"(fault_rip), [r] "=m"(resume_rip)          \
			 : __VA_ARGS__                                        \
			 : "r11", "memory")

static long user_div0(long v)
{
	long q;
	__asm__ volatile("xorl %%edx, %%edx; divq %2" : "=a"(q) : "a"(v), "r"(0L) : "rdx");
	return q;
}
static long user_ud2(long v)
{
	__asm__ volatile("ud2");
	return v;
}
static long user_unmapped(long addr)
{
	return *(volatile long *)addr;
}
static long user_noncanonical(long v)
{
	return *(volatile long *)0x8000000000000000ull;
}

static void report_user(const char *what, long (*fn)(long), long arg)
{
	long r = run_user(fn, arg);
	printf("CPL3 %s: ", what);
	if (r != -1 || !last_user_fault.faulted) {
		printf("no fault\n");
		return;
	}
	printf("vector %lu error %lx", last_user_fault.vector, last_user_fault.error);
	if (last_user_fault.vector == 14)
		printf(" cr2 %lx", last_user_fault.cr2);
	printf("\n");
}

int main(struct hvm_start_info *si);
int main(struct hvm_start_info *si)
{
	cpu_init();
	for (unsigned v = 0; v < 32; v++)
		if (v != 3)
			set_trap_handler(v, on_fault);

	/* The 2 MiB page at 1 GiB becomes not present. */
	uint64_t *pde = pde_for(0x40000000);
	*pde &= ~(uint64_t)PTE_P;
	invlpg(0x40000000);

	printf("#DE (divide by zero):\n");
	FAULT("divl %%ecx", "a"(1), "d"(0), "c"(0));
	printf("#UD (ud2):\n");
	FAULT("ud2", "i"(0));
	printf("#PF (read of a not-present page):\n");
	FAULT("movq (%%rcx), %%rax", "a"(0), "c"(0x40000123));
	printf("#PF (write of a not-present page):\n");
	FAULT("movq %%rax, (%%rcx)", "a"(0), "c"(0x40001000));
	printf("#GP (non-canonical address):\n");
	FAULT("movq (%%rcx), %%rax", "a"(0), "c"(0x0000800000000000ull));
	printf("#GP (TSS selector into DS):\n");
	FAULT("movw %%cx, %%ds", "c"(SEL_TSS));
	printf("#GP (selector beyond the GDT limit into ES):\n");
	FAULT("movw %%cx, %%es", "c"(0x80));

	report_user("divide by zero", user_div0, 7);
	report_user("ud2", user_ud2, 0);
	report_user("read of a not-present page", user_unmapped, 0x40000008);
	report_user("non-canonical read", user_noncanonical, 0);
	printf("faults at CPL0: %d\n", faults);
	return 0;
}
