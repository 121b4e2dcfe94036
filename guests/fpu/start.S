/* Start-up for the FPU vector generator: runs straight from QEMU's ppce500
 * -bios hand-off (MSR=0, TLB1[0] identity-maps the first 64 MiB). */
#define SPR_SRR0  26
#define SPR_SRR1  27
#define SPR_ESR   62
#define SPR_IVPR  63
#define SPR_SPRG0 272
#define SPR_SPRG1 273
#define SPR_MAS0  624
#define SPR_MAS1  625
#define SPR_MAS2  626
#define SPR_MAS3  627
#define SPR_MAS7  944
#define MSR_FP    0x2000
#define MSR_FE0   0x0800
#define MSR_FE1   0x0100

	.section .text.start,"ax"
	.globl _start
_start:
	lis	%r1,0x00f0
	li	%r0,0
	stwu	%r0,-16(%r1)

	lis	%r3,__bss_start@ha
	addi	%r3,%r3,__bss_start@l
	lis	%r4,__bss_end@ha
	addi	%r4,%r4,__bss_end@l
1:	cmplw	%r3,%r4
	bge	2f
	stw	%r0,0(%r3)
	addi	%r3,%r3,4
	b	1b
2:
	/* CCSR (phys 0xF_E000_0000) at EA 0xE000_0000: TLB1 entry 1, 1 MiB,
	 * cache-inhibited + guarded, supervisor R/W. */
	lis	%r3,0x1001
	mtspr	SPR_MAS0,%r3
	lis	%r3,0xc000
	ori	%r3,%r3,0x0500
	mtspr	SPR_MAS1,%r3
	lis	%r3,0xe000
	ori	%r3,%r3,0x000a
	mtspr	SPR_MAS2,%r3
	lis	%r3,0xe000
	ori	%r3,%r3,0x0005
	mtspr	SPR_MAS3,%r3
	li	%r3,0xf
	mtspr	SPR_MAS7,%r3
	isync
	tlbwe
	isync

	/* Vectors live in this image; IVPR must be 64 KiB aligned. */
	lis	%r3,_start@h
	mtspr	SPR_IVPR,%r3
	li	%r4,(vec_other - _start)
	mtspr	400,%r4
	mtspr	401,%r4
	mtspr	402,%r4
	mtspr	403,%r4
	mtspr	404,%r4
	mtspr	405,%r4
	li	%r5,(vec_program - _start)
	mtspr	406,%r5
	mtspr	407,%r4
	mtspr	408,%r4
	mtspr	409,%r4
	mtspr	410,%r4
	mtspr	411,%r4
	mtspr	412,%r4
	mtspr	413,%r4
	mtspr	414,%r4
	mtspr	415,%r4

	li	%r3,MSR_FP
	mtmsr	%r3
	isync

	bl	main
	bl	guest_exit
3:	b	3b

/* Program interrupt: record SRR0/SRR1/ESR, then resume at trap_rec.resume
 * with MSR[FE0|FE1] cleared so that the resumed code cannot trap again. */
	.balign 16
vec_program:
	mtspr	SPR_SPRG0,%r3
	mtspr	SPR_SPRG1,%r4
	lis	%r3,trap_rec@ha
	addi	%r3,%r3,trap_rec@l
	mfspr	%r4,SPR_SRR0
	stw	%r4,0(%r3)
	mfspr	%r4,SPR_SRR1
	stw	%r4,4(%r3)
	mfspr	%r4,SPR_ESR
	stw	%r4,8(%r3)
	lwz	%r4,12(%r3)
	addi	%r4,%r4,1
	stw	%r4,12(%r3)
	lwz	%r4,16(%r3)
	mtspr	SPR_SRR0,%r4
	mfspr	%r4,SPR_SRR1
	ori	%r4,%r4,(MSR_FE0|MSR_FE1)
	xori	%r4,%r4,(MSR_FE0|MSR_FE1)
	mtspr	SPR_SRR1,%r4
	mfspr	%r4,SPR_SPRG1
	mfspr	%r3,SPR_SPRG0
	rfi

	.balign 16
vec_other:
	mfspr	%r3,SPR_SRR0
	mfspr	%r4,SPR_SRR1
	mfspr	%r5,SPR_ESR
	bl	unexpected_exception
4:	b	4b

	.section .note.GNU-stack,"",@progbits
