/* Operation slots shared by ops.S (one 32-byte stub per slot) and main.c.
 * Register convention inside a stub: f1=A, f2=B, f3=C, f4=target (pre-loaded
 * with a sentinel), r3=input block, r4=output block. */
#ifndef FPU_OPS_H
#define FPU_OPS_H

#define OP_FADD      0
#define OP_FADDS     1
#define OP_FSUB      2
#define OP_FSUBS     3
#define OP_FMUL      4
#define OP_FMULS     5
#define OP_FDIV      6
#define OP_FDIVS     7
#define OP_FMADD     8
#define OP_FMADDS    9
#define OP_FMSUB     10
#define OP_FMSUBS    11
#define OP_FNMADD    12
#define OP_FNMADDS   13
#define OP_FNMSUB    14
#define OP_FNMSUBS   15
#define OP_FSEL      16
#define OP_FRES      17
#define OP_FRSQRTE   18
#define OP_FRSP      19
#define OP_FCTIW     20
#define OP_FCTIWZ    21
#define OP_FNEG      22
#define OP_FABS      23
#define OP_FNABS     24
#define OP_FMR       25
#define OP_FCMPU     26
#define OP_FCMPO     27
#define OP_LFS       28
#define OP_STFS      29
#define OP_STFIWX    30
#define OP_MFFS      31
/* Rc=0 forms, to show that only CR1 differs. */
#define OP_FADD_NR   32
#define OP_FMADDS_NR 33
#define OP_FCTIW_NR  34
#define OP_FRSP_NR   35
#define OP_FDIV_NR   36
#define OP_MTFSF_NR  37
#define OP_NOP       38
#define OP_MTMSR_FE  39 /* not an FP op: raises MSR[FE0|FE1] itself */
/* Instructions e500mc may not have: run under the trap handler. */
#define OP_P_FSQRT    40
#define OP_P_FSQRTS   41
#define OP_P_FRE      42
#define OP_P_FRSQRTES 43
#define OP_P_FCFID    44
#define OP_P_FCTID    45
#define OP_P_FRIN     46
#define OP_P_FCPSGN   47
#define OP_P_MTFSF_L  48
#define OP_P_MTFSF_W  49
#define OP_P_MTFSFI_W 50
#define OP_P_LFIWAX   51
#define OP_P_FCTIWU   52
#define OP_P_FTDIV    53
#define OP_P_FMRGEW   54
#define OP_P_LAST     54

#define OP_MCRFS_BASE   64  /* + BFA (0..7), target cr2 */
#define OP_MTFSFI_BASE  72  /* + BF*16 + U, Rc=1 */
#define OP_MTFSB0_BASE  200 /* + BT, Rc=1 */
#define OP_MTFSB1_BASE  232 /* + BT, Rc=1 */
#define OP_MTFSF_BASE   264 /* + FLM, Rc=1, FRB=f1 */
#define OP_COUNT        520

#define OP_STUB_BYTES   32

#endif
