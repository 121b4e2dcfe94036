/*
 * Interrupt entry stubs and the CPL3 round trip.
 *
 * Every vector gets a stub that makes the frame uniform (a zero error
 * code where the CPU pushes none), pushes the vector number and the
 * general registers, and calls trap_dispatch(frame).  The layout matches
 * struct trap_frame in x86.h.
 */
#include "asm.h"

	.text
	.code64

/* Vectors where the CPU pushes an error code. */
#define HAS_ERR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

	.p2align 4
	.globl trap_stubs
trap_stubs:
	vector = 0
	.rept 256
	.p2align 4
	.if !HAS_ERR(vector)
	pushq $0
	.endif
	pushq $vector
	jmp trap_common
	vector = vector + 1
	.endr

trap_common:
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %rdi
	call trap_dispatch
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp
	iretq

/*
 * long run_user_asm(long (*fn)(long), long arg, void *user_stack_top, long rflags)
 *
 * Runs fn(arg) at CPL3 with the given RFLAGS and returns what it returned.  The user side ends
 * with int3, whose gate has DPL 3 (the only kind of gate PVM lets CPL3
 * code through); the #BP handler then calls user_return(), which drops
 * the trap frame and resumes here on the saved kernel stack.
 */
	.globl run_user_asm
run_user_asm:
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, kernel_resume_rsp
	pushq $SEL_UDATA
	pushq %rdx
	pushq %rcx
	pushq $SEL_UCODE
	pushq $user_trampoline
	movq %rdi, %rax
	movq %rsi, %rdi
	movq %rax, %rsi
	xorl %eax, %eax
	xorl %ebx, %ebx
	xorl %ebp, %ebp
	iretq

	.globl user_trampoline
user_trampoline:
	call *%rsi
	.globl user_int3
user_int3:
	int3
	ud2

/* void user_return(long value): back to run_user_asm's caller. */
	.globl user_return
user_return:
	movq kernel_resume_rsp, %rsp
	movq %rdi, %rax
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	ret

	.bss
	.p2align 3
kernel_resume_rsp:
	.quad 0
