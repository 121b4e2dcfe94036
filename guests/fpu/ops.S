/* One 32-byte stub per operation slot (see ops.h) plus the case runner. */
#include "ops.h"

#define STUB(slot, ...)  .org (slot) * OP_STUB_BYTES ; __VA_ARGS__ ; blr

	.section .text.ops,"ax"
	.balign 4096
	.globl optable
optable:
STUB(OP_FADD,    fadd.    4,1,2)
STUB(OP_FADDS,   fadds.   4,1,2)
STUB(OP_FSUB,    fsub.    4,1,2)
STUB(OP_FSUBS,   fsubs.   4,1,2)
STUB(OP_FMUL,    fmul.    4,1,3)
STUB(OP_FMULS,   fmuls.   4,1,3)
STUB(OP_FDIV,    fdiv.    4,1,2)
STUB(OP_FDIVS,   fdivs.   4,1,2)
STUB(OP_FMADD,   fmadd.   4,1,3,2)
STUB(OP_FMADDS,  fmadds.  4,1,3,2)
STUB(OP_FMSUB,   fmsub.   4,1,3,2)
STUB(OP_FMSUBS,  fmsubs.  4,1,3,2)
STUB(OP_FNMADD,  fnmadd.  4,1,3,2)
STUB(OP_FNMADDS, fnmadds. 4,1,3,2)
STUB(OP_FNMSUB,  fnmsub.  4,1,3,2)
STUB(OP_FNMSUBS, fnmsubs. 4,1,3,2)
STUB(OP_FSEL,    fsel.    4,1,3,2)
STUB(OP_FRES,    fres.    4,2)
STUB(OP_FRSQRTE, frsqrte. 4,2)
STUB(OP_FRSP,    frsp.    4,2)
STUB(OP_FCTIW,   fctiw.   4,2)
STUB(OP_FCTIWZ,  fctiwz.  4,2)
STUB(OP_FNEG,    fneg.    4,2)
STUB(OP_FABS,    fabs.    4,2)
STUB(OP_FNABS,   fnabs.   4,2)
STUB(OP_FMR,     fmr.     4,2)
STUB(OP_FCMPU,   fcmpu    2,1,2)
STUB(OP_FCMPO,   fcmpo    2,1,2)
STUB(OP_LFS,     lfs      4,40(3))
STUB(OP_STFS,    stfs     2,20(4))
STUB(OP_STFIWX,  li 0,20 ; stfiwx 2,4,0)
STUB(OP_MFFS,    mffs.    4)
STUB(OP_FADD_NR,   fadd   4,1,2)
STUB(OP_FMADDS_NR, fmadds 4,1,3,2)
STUB(OP_FCTIW_NR,  fctiw  4,2)
STUB(OP_FRSP_NR,   frsp   4,2)
STUB(OP_FDIV_NR,   fdiv   4,1,2)
STUB(OP_MTFSF_NR,  mtfsf  0xff,1)
STUB(OP_NOP,       nop)
STUB(OP_MTMSR_FE,  mfmsr 0 ; ori 0,0,0x900 ; mtmsr 0 ; isync)
/* Encodings spelled out where gas (-me500mc) refuses the mnemonic. */
STUB(OP_P_FSQRT,    .long 0xfc80102c)        /* fsqrt 4,2 */
STUB(OP_P_FSQRTS,   .long 0xec80102c)        /* fsqrts 4,2 */
STUB(OP_P_FRE,      .long 0xfc801030)        /* fre 4,2 */
STUB(OP_P_FRSQRTES, .long 0xec801034)        /* frsqrtes 4,2 */
STUB(OP_P_FCFID,    .long 0xfc80169c)        /* fcfid 4,2 */
STUB(OP_P_FCTID,    .long 0xfc80165c)        /* fctid 4,2 */
STUB(OP_P_FRIN,     .long 0xfc801310)        /* frin 4,2 */
STUB(OP_P_FCPSGN,   .long 0xfc811010)        /* fcpsgn 4,1,2 */
STUB(OP_P_MTFSF_L,  .long 0xfe000d8f)        /* mtfsf. 0,1,L=1,W=0 */
STUB(OP_P_MTFSF_W,  .long 0xfc030d8f)        /* mtfsf. 1,1,L=0,W=1 */
STUB(OP_P_MTFSFI_W, .long 0xff81f10d)        /* mtfsfi. 7,15,W=1 */
STUB(OP_P_LFIWAX,   li 0,40 ; .long 0x7c8306ae) /* lfiwax 4,3,0 */
STUB(OP_P_FCTIWU,   .long 0xfc80111c)        /* fctiwu 4,2 */
STUB(OP_P_FTDIV,    .long 0xfd011100)        /* ftdiv cr2,1,2 */
STUB(OP_P_FMRGEW,   .long 0xfc81178c)        /* fmrgew 4,1,2 */

	.irp bfa,0,1,2,3,4,5,6,7
	.org (OP_MCRFS_BASE + \bfa) * OP_STUB_BYTES
	mcrfs	2,\bfa
	blr
	.endr

	.irp bf,0,1,2,3,4,5,6,7
	.irp u,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	.org (OP_MTFSFI_BASE + \bf * 16 + \u) * OP_STUB_BYTES
	mtfsfi.	\bf,\u
	blr
	.endr
	.endr

	.irp bt,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.org (OP_MTFSB0_BASE + \bt) * OP_STUB_BYTES
	mtfsb0.	\bt
	blr
	.endr
	.irp bt,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.org (OP_MTFSB1_BASE + \bt) * OP_STUB_BYTES
	mtfsb1.	\bt
	blr
	.endr

	.set flm,0
	.rept 256
	.org (OP_MTFSF_BASE + flm) * OP_STUB_BYTES
	mtfsf.	flm,1
	blr
	.set flm,flm+1
	.endr
	.org OP_COUNT * OP_STUB_BYTES

/* void run_case(const uint32_t *in, uint32_t *out, unsigned slot, unsigned msr_or)
 * in:  +0 A, +8 B, +16 C, +24 target sentinel, +32 (double whose low word is
 *      the initial FPSCR), +40 32-bit memory operand for loads
 * out: +0 target after, +8 mffs after, +16 CR after, +20 32-bit store slot
 * FPSCR is set with mtfsf 0xff while MSR[FE0|FE1]=0; msr_or is ORed into
 * the MSR just around the stub.  A program interrupt resumes at
 * run_case_resume (trap_rec.resume), which the C side arms. */
	.text
	.globl run_case
	.globl run_case_resume
run_case:
	stwu	%r1,-32(%r1)
	mflr	%r0
	stw	%r0,36(%r1)
	mfcr	%r12
	stw	%r12,8(%r1)
	lfd	%f0,32(%r3)
	mtfsf	0xff,%f0
	lfd	%f1,0(%r3)
	lfd	%f2,8(%r3)
	lfd	%f3,16(%r3)
	lfd	%f4,24(%r3)
	lis	%r7,optable@ha
	addi	%r7,%r7,optable@l
	slwi	%r5,%r5,5
	add	%r7,%r7,%r5
	mtctr	%r7
	mfmsr	%r9
	or	%r10,%r9,%r6
	li	%r0,0
	mtcrf	0xff,%r0
	mtmsr	%r10
	isync
	bctrl
run_case_resume:
	mtmsr	%r9
	isync
	mfcr	%r7
	mffs	%f5
	stfd	%f4,0(%r4)
	stfd	%f5,8(%r4)
	stw	%r7,16(%r4)
	lwz	%r12,8(%r1)
	mtcrf	0xff,%r12
	lwz	%r0,36(%r1)
	mtlr	%r0
	addi	%r1,%r1,32
	blr

	.section .note.GNU-stack,"",@progbits
