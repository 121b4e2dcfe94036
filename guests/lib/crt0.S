/*
 * Start-up code and interrupt stubs for the bare-metal test guests.
 *
 * Boot state (QEMU's ppce500 and ngkvm): MSR = 0, r3 = device tree,
 * TLB1[0] = identity map of [0, 64 MiB) in AS0, nothing else mapped.
 */
#include "ppc.h"
#include "exc.h"

/* ------------------------------------------------------------------------
 * Vector table.  IVPR holds the upper 16 bits of every vector, so this
 * section is placed on a 64 KiB boundary by the linker script, and IVORn
 * is n * 0x40: one 64-byte slot per interrupt.
 * --------------------------------------------------------------------- */
	.section .text.vectors, "ax"
	.globl __vectors
__vectors:

/* A slot saves r1 in its class's scratch word, switches to the class's
 * interrupt stack, frees r3 to carry the IVOR number and jumps to the
 * common code of the class. */
.macro STUB n, scr, stacktop, common
	.org \n * 0x40
	stw	%r1, \scr(0)
	lis	%r1, (\stacktop - F_SIZE)@ha
	addi	%r1, %r1, (\stacktop - F_SIZE)@l
	stw	%r3, F_GPR(3)(%r1)
	li	%r3, \n
	b	\common
.endm

.macro BASE n
	STUB \n, SCR_BASE, exc_stack_base_top, exc_common_base
.endm
.macro CRIT n
	STUB \n, SCR_CRIT, exc_stack_crit_top, exc_common_crit
.endm

	CRIT 0		/* critical input */
	STUB 1, SCR_MC, exc_stack_mc_top, exc_common_mc
	BASE 2
	BASE 3
	BASE 4
	BASE 5
	BASE 6
	BASE 7
	BASE 8
	BASE 9
	BASE 10
	BASE 11
	CRIT 12		/* watchdog */
	BASE 13
	BASE 14
#ifdef CPU_E500MC
	STUB 15, SCR_DBG, exc_stack_dbg_top, exc_common_dbg
#else
	/* e500v2 takes debug interrupts through CSRR unless HID0[DAPUEN]. */
	STUB 15, SCR_DBG, exc_stack_dbg_top, exc_common_dbg_csrr
#endif
	BASE 16
	BASE 17
	BASE 18
	BASE 19
	BASE 20
	BASE 21
	BASE 22
	BASE 23
	BASE 24
	BASE 25
	BASE 26
	BASE 27
	BASE 28
	BASE 29
	BASE 30
	BASE 31
	BASE 32
	BASE 33
	BASE 34
	BASE 35
	BASE 36
	CRIT 37		/* critical doorbell (e500mc) */
	BASE 38
	BASE 39
	BASE 40
	BASE 41

/* Common part of every class: finish saving state, snapshot the status
 * registers, call exc_dispatch(frame), restore from the (possibly edited)
 * frame and return with the class's own return instruction. */
.macro COMMON name, scr, srr0, srr1, ret
	.globl \name
\name:
	stw	%r0, F_GPR(0)(%r1)
	stw	%r2, F_GPR(2)(%r1)
	stmw	%r4, F_GPR(4)(%r1)
	lwz	%r0, \scr(0)
	stw	%r0, F_GPR(1)(%r1)
	mfcr	%r0
	stw	%r0, F_CR(%r1)
	mflr	%r0
	stw	%r0, F_LR(%r1)
	mfctr	%r0
	stw	%r0, F_CTR(%r1)
	mfxer	%r0
	stw	%r0, F_XER(%r1)
	mfspr	%r0, \srr0
	stw	%r0, F_PC(%r1)
	mfspr	%r0, \srr1
	stw	%r0, F_MSR(%r1)
	mfspr	%r0, SPR_ESR
	stw	%r0, F_ESR(%r1)
	mfspr	%r0, SPR_DEAR
	stw	%r0, F_DEAR(%r1)
	mfspr	%r0, SPR_MAS0
	stw	%r0, F_MAS0(%r1)
	mfspr	%r0, SPR_MAS1
	stw	%r0, F_MAS1(%r1)
	mfspr	%r0, SPR_MAS2
	stw	%r0, F_MAS2(%r1)
	mfspr	%r0, SPR_MAS3
	stw	%r0, F_MAS3(%r1)
	mfspr	%r0, SPR_MAS6
	stw	%r0, F_MAS6(%r1)
	mfspr	%r0, SPR_MAS7
	stw	%r0, F_MAS7(%r1)
	stw	%r3, F_VEC(%r1)

	mr	%r3, %r1
	li	%r0, 0
	stwu	%r0, -16(%r1)		/* ABI frame with a null back chain */
	bl	exc_dispatch
	addi	%r1, %r1, 16

	lwz	%r0, F_PC(%r1)
	mtspr	\srr0, %r0
	lwz	%r0, F_MSR(%r1)
	mtspr	\srr1, %r0
	lwz	%r0, F_CR(%r1)
	mtcr	%r0
	lwz	%r0, F_LR(%r1)
	mtlr	%r0
	lwz	%r0, F_CTR(%r1)
	mtctr	%r0
	lwz	%r0, F_XER(%r1)
	mtxer	%r0
	lwz	%r0, F_GPR(0)(%r1)
	lwz	%r2, F_GPR(2)(%r1)
	lmw	%r3, F_GPR(3)(%r1)
	lwz	%r1, F_GPR(1)(%r1)
	\ret
.endm

/* The assembler's -me500 mode lacks these two. */
.macro RFMCI
	.long INSN_RFMCI
.endm
.macro RFDI
	.long INSN_RFDI
.endm

	.text
	COMMON exc_common_base, SCR_BASE, SPR_SRR0, SPR_SRR1, rfi
	COMMON exc_common_crit, SCR_CRIT, SPR_CSRR0, SPR_CSRR1, rfci
	COMMON exc_common_mc, SCR_MC, SPR_MCSRR0, SPR_MCSRR1, RFMCI
#ifdef CPU_E500MC
	COMMON exc_common_dbg, SCR_DBG, SPR_DSRR0, SPR_DSRR1, RFDI
#else
	COMMON exc_common_dbg_csrr, SCR_DBG, SPR_CSRR0, SPR_CSRR1, rfci
#endif

/* ------------------------------------------------------------------------
 * Entry point.
 * --------------------------------------------------------------------- */
	.section .text.start, "ax"
	.globl _start
_start:
	mr	%r31, %r3		/* device tree address */

	/* Zero .bss (word-aligned bounds from the linker script).  The
	 * stacks live there too, so this runs before anything uses them. */
	lis	%r4, __bss_start@ha
	addi	%r4, %r4, __bss_start@l
	lis	%r5, __bss_end@ha
	addi	%r5, %r5, __bss_end@l
	li	%r0, 0
1:	cmplw	%r4, %r5
	bge	2f
	stw	%r0, 0(%r4)
	addi	%r4, %r4, 4
	b	1b
2:
	lis	%r1, main_stack_top@ha
	addi	%r1, %r1, main_stack_top@l
	li	%r0, 0
	stwu	%r0, -16(%r1)

	/* Interrupt vectors. */
	lis	%r4, __vectors@h
	mtspr	SPR_IVPR, %r4
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	li	%r4, \n * 0x40
	mtspr	400 + \n, %r4
	.endr
#ifdef CPU_E500MC
	.irp n, 35,36,37		/* SPRs 531..533 */
	li	%r4, \n * 0x40
	mtspr	531 + \n - 35, %r4
	.endr
#else
	.irp n, 32,33,34,35		/* SPRs 528..531 */
	li	%r4, \n * 0x40
	mtspr	528 + \n - 32, %r4
	.endr
#endif

	/* Real cores need TBEN for the timebase to run (QEMU ignores it);
	 * e500v2 only reports MAS7 from tlbre/tlbsx with EN_MAS7_UPDATE. */
	mfspr	%r4, SPR_HID0
	ori	%r4, %r4, HID0_TBEN
#ifndef CPU_E500MC
	ori	%r4, %r4, HID0_EN_MAS7_UPDATE
#endif
	mtspr	SPR_HID0, %r4
	isync

	/* TLB1[0]: rewrite the boot identity map of [0, 64 MiB) with IPROT
	 * so that TLB invalidation tests cannot unmap the test program. */
	lis	%r4, (MAS0_TLBSEL(1) | MAS0_ESEL(TLB1_ESEL_RAM))@h
	mtspr	SPR_MAS0, %r4
	lis	%r4, (MAS1_V | MAS1_IPROT)@h
	ori	%r4, %r4, MAS1_TSIZE(TSIZE_64M)
	mtspr	SPR_MAS1, %r4
	li	%r4, 0
	mtspr	SPR_MAS2, %r4
	mtspr	SPR_MAS7, %r4
	li	%r4, MAS3_ALL
	mtspr	SPR_MAS3, %r4
	msync
	tlbwe
	isync

	/* TLB1[1]: CCSR (PA 0xF_E000_0000, 1 MiB) at EA CCSR_VA, I|G,
	 * supervisor read/write, IPROT. */
	lis	%r4, (MAS0_TLBSEL(1) | MAS0_ESEL(TLB1_ESEL_CCSR))@h
	mtspr	SPR_MAS0, %r4
	lis	%r4, (MAS1_V | MAS1_IPROT)@h
	ori	%r4, %r4, MAS1_TSIZE(TSIZE_1M)
	mtspr	SPR_MAS1, %r4
	lis	%r4, CCSR_VA@h
	ori	%r4, %r4, MAS2_I | MAS2_G
	mtspr	SPR_MAS2, %r4
	lis	%r4, CCSR_PA_LO@h
	ori	%r4, %r4, MAS3_SW | MAS3_SR
	mtspr	SPR_MAS3, %r4
	li	%r4, CCSR_PA_HI
	mtspr	SPR_MAS7, %r4
	msync
	tlbwe
	isync

	mr	%r3, %r31
	bl	lib_start		/* never returns */
3:	b	3b

/* ------------------------------------------------------------------------
 * call_with_msr(fn, arg, msr): see exc.h.
 * --------------------------------------------------------------------- */
	.text
	.globl call_with_msr
call_with_msr:
	stwu	%r1, -96(%r1)
	mflr	%r0
	stw	%r0, 100(%r1)
	mfcr	%r0
	stw	%r0, 8(%r1)
	stmw	%r14, 16(%r1)		/* r14..r31 -> 16..87 */
	lis	%r6, cwm_saved_sp@ha
	stw	%r1, cwm_saved_sp@l(%r6)
	mfmsr	%r0
	lis	%r6, cwm_saved_msr@ha
	stw	%r0, cwm_saved_msr@l(%r6)
	li	%r0, 1
	lis	%r6, cwm_active@ha
	stw	%r0, cwm_active@l(%r6)
	mtsrr0	%r3
	mtsrr1	%r5
	mr	%r3, %r4
	lis	%r7, cwm_trampoline@ha
	addi	%r7, %r7, cwm_trampoline@l
	mtlr	%r7
	lis	%r1, (user_stack + USER_STACK_SIZE - 16)@ha
	addi	%r1, %r1, (user_stack + USER_STACK_SIZE - 16)@l
	li	%r0, 0
	stw	%r0, 0(%r1)
	rfi

	.globl cwm_trampoline
cwm_trampoline:
	li	%r0, SC_RETURN_MAGIC
	sc
4:	b	4b

/* exc_dispatch() resumes here (supervisor, original MSR) with r1 = the
 * frame built above and r3 = fn's return value. */
	.globl cwm_resume
cwm_resume:
	lmw	%r14, 16(%r1)
	lwz	%r0, 8(%r1)
	mtcr	%r0
	lwz	%r0, 100(%r1)
	mtlr	%r0
	addi	%r1, %r1, 96
	blr

/* ------------------------------------------------------------------------
 * Stacks.
 * --------------------------------------------------------------------- */
	.section .bss.stacks, "aw", @nobits
	.balign 16
	.space 32768
	.globl main_stack_top
main_stack_top:
	.space 16384
exc_stack_base_top:
	.space 8192
exc_stack_crit_top:
	.space 4096
exc_stack_dbg_top:
	.space 4096
exc_stack_mc_top:
	.balign 4096
	.globl user_stack
user_stack:
	.space USER_STACK_SIZE

	.section .note.GNU-stack, "", @progbits
