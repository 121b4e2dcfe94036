/* run_case(struct spe_case *c): runs one stub (see ops.h, main.c).
 *
 * struct spe_case: 0 a, 8 b, 16 d, 24 acc (64-bit images, high word first),
 * 32 spefscr, 36 cr, 40 stub, 44 flags (bit 0: clear MSR[SPE] for the stub).
 * ACC is set with evmra and read back with evmwumiaa on zero operands
 * (ACC + 0), the only accumulator moves QEMU implements.  CR2-CR4 belong to
 * the caller (SysV ABI) and are restored. */
	.text
	.globl run_case
	.globl run_case_resume
run_case:
	stwu	%r1,-32(%r1)
	mflr	%r0
	stw	%r0,36(%r1)
	stw	%r31,28(%r1)
	mfcr	%r0
	stw	%r0,24(%r1)
	mr	%r31,%r3
	evldd	%r8,24(%r31)
	evmra	%r8,%r8
	evldd	%r6,0(%r31)
	evldd	%r7,8(%r31)
	evldd	%r5,16(%r31)
	lwz	%r0,40(%r31)
	mtctr	%r0
	lwz	%r0,32(%r31)
	mtspr	512,%r0
	lwz	%r0,44(%r31)
	andi.	%r0,%r0,1
	beq	1f
	mfmsr	%r0
	rlwinm	%r0,%r0,0,7,5
	mtmsr	%r0
	isync
1:	lwz	%r0,36(%r31)
	mtcr	%r0
	bctrl
run_case_resume:
	mfcr	%r0
	stw	%r0,36(%r31)
	mfmsr	%r0
	oris	%r0,%r0,0x0200
	mtmsr	%r0
	isync
	mfspr	%r0,512
	stw	%r0,32(%r31)
	evstdd	%r5,16(%r31)
	evxor	%r9,%r9,%r9
	evmwumiaa %r9,%r9,%r9
	evstdd	%r9,24(%r31)
	lwz	%r0,24(%r1)
	mtcrf	0x38,%r0
	lwz	%r31,28(%r1)
	lwz	%r0,36(%r1)
	mtlr	%r0
	addi	%r1,%r1,32
	blr

	.section .note.GNU-stack,"",@progbits
