/* Shared by the ops_*.S tables and main.c.
 *
 * A stub runs one instruction with rD=r5, rA=r6, rB=r7 (and r8/r9 free) and
 * returns with blr; run_case (harness.S) loads the operands, ACC, SPEFSCR and
 * CR from a struct spe_case before the stub and stores them back after it.
 * The kind tells main.c which operand set to use and what to print. */
#ifndef SPE_OPS_H
#define SPE_OPS_H

#define K_I1     1   /* integer vector, rA only */
#define K_I2     2   /* integer vector, rA and rB */
#define K_CMP    3   /* integer vector compare: CR field 1 */
#define K_SEL    4   /* evsel: CR varies */
#define K_ACC    5   /* reads/writes ACC */
#define K_BRINC  6   /* brinc: rB is a mask */
#define K_LD     7   /* load: rA = buffer address, rB = index */
#define K_ST     8   /* store: prints the buffer */
#define K_FS1    9   /* single (scalar or vector), one float operand */
#define K_FS2    10  /* single, two float operands */
#define K_FSCMP  11  /* single compare */
#define K_FSCI   12  /* single from integer */
#define K_FSCF   13  /* single from unsigned fraction */
#define K_FSTI   14  /* single to integer / fraction */
#define K_FD1    15  /* double, one operand */
#define K_FD2    16  /* double, two operands */
#define K_FDCMP  17  /* double compare */
#define K_FDCI   18  /* double from integer */
#define K_FDCF   19  /* double from unsigned fraction */
#define K_FDTI   20  /* double to integer / fraction */
#define K_FDCS   21  /* double from single */
#define K_FSCD   22  /* single from double */
#define K_SPEU   23  /* run with MSR[SPE]=0, integer operands */
#define K_SPEU_LD 24 /* run with MSR[SPE]=0, load/store operands */
#define K_SPR    25  /* SPEFSCR round trip */
#define K_FDCI64 26  /* double from 64-bit integer */
#define K_FDTI64 27  /* double to 64-bit integer */
#define K_RAW    28  /* the stub sets up its own operands */
#define K_SPEU_F 29  /* run with MSR[SPE]=0, single-precision operands */
#define NZ       0x10000 /* flag: no zero divisor */

#ifdef __ASSEMBLER__
/* OP name, kind, instruction: one stub plus its optab entry.  Stubs of
 * several instructions are written  OPB name, kind ; insn ; insn ; OPE
 * (gas splits a line at ';' before macro expansion). */
	.macro OPB name:req, kind:req
	.pushsection .rodata.opnames,"a"
1:	.asciz "\name"
	.popsection
	.pushsection .optab,"aw"
	.long 1b, 2f, \kind
	.popsection
	.balign 4
2:
	.endm
	.macro OPE
	blr
	.endm
	.macro OP name:req, kind:req, body:vararg
	OPB \name, \kind
	\body
	OPE
	.endm
#endif

#endif
