/*
 * Register numbers, bit masks and tiny inline helpers for the e500v2 and
 * e500mc cores.  Masks are 32-bit values (LSB = 0x1), not IBM bit numbers,
 * so they can be compared with what the test prints.
 *
 * Usable from C and from assembler (only the #defines are visible there).
 */
#ifndef PPC_H
#define PPC_H

/* ---- SPR numbers ------------------------------------------------------ */
#define SPR_XER      1
#define SPR_LR       8
#define SPR_CTR      9
#define SPR_DEC      22
#define SPR_SRR0     26
#define SPR_SRR1     27
#define SPR_PID      48
#define SPR_DECAR    54
#define SPR_CSRR0    58
#define SPR_CSRR1    59
#define SPR_DEAR     61
#define SPR_ESR      62
#define SPR_IVPR     63
#define SPR_USPRG0   256
#define SPR_SPRG3_RO 259	/* user-readable aliases of SPRG3..7 */
#define SPR_SPRG4_RO 260
#define SPR_SPRG5_RO 261
#define SPR_SPRG6_RO 262
#define SPR_SPRG7_RO 263
#define SPR_TBL_R    268
#define SPR_TBU_R    269
#define SPR_SPRG0    272
#define SPR_SPRG1    273
#define SPR_SPRG2    274
#define SPR_SPRG3    275
#define SPR_SPRG4    276
#define SPR_SPRG5    277
#define SPR_SPRG6    278
#define SPR_SPRG7    279
#define SPR_TBL_W    284
#define SPR_TBU_W    285
#define SPR_PIR      286
#define SPR_PVR      287
#define SPR_DBSR     304
#define SPR_DBCR0    308
#define SPR_IAC1     312
#define SPR_IAC2     313
#define SPR_DAC1     316
#define SPR_DAC2     317
#define SPR_TSR      336
#define SPR_TCR      340
#define SPR_IVOR(n)  ((n) < 16 ? 400 + (n) : 528 + (n) - 32)
#define SPR_SPEFSCR  512
#define SPR_L1CFG0   515
#define SPR_L1CFG1   516
#define SPR_MCSRR0   570
#define SPR_MCSRR1   571
#define SPR_MCSR     572
#define SPR_DSRR0    574
#define SPR_DSRR1    575
#define SPR_SPRG8    604
#define SPR_SPRG9    605
#define SPR_MAS0     624
#define SPR_MAS1     625
#define SPR_MAS2     626
#define SPR_MAS3     627
#define SPR_MAS4     628
#define SPR_MAS6     630
#define SPR_PID1     633
#define SPR_PID2     634
#define SPR_TLB0CFG  688
#define SPR_TLB1CFG  689
#define SPR_MAS7     944
#define SPR_HID0     1008
#define SPR_HID1     1009
#define SPR_L1CSR0   1010
#define SPR_L1CSR1   1011
#define SPR_MMUCSR0  1012
#define SPR_MMUCFG   1015
#define SPR_SVR      1023

/* ---- MSR -------------------------------------------------------------- */
#define MSR_SPE  0x02000000
#define MSR_WE   0x00040000
#define MSR_CE   0x00020000
#define MSR_EE   0x00008000
#define MSR_PR   0x00004000
#define MSR_FP   0x00002000
#define MSR_ME   0x00001000
#define MSR_DE   0x00000200
#define MSR_IS   0x00000020
#define MSR_DS   0x00000010
/* Bits QEMU 7.2 leaves in SRR1 after a program interrupt (reason codes in
 * bits that are WE/CE/reserved on Book E): never print them. */
#define SRR1_QEMU_JUNK 0x001E0000

/* ---- ESR -------------------------------------------------------------- */
#define ESR_PIL  0x08000000
#define ESR_PPR  0x04000000
#define ESR_PTR  0x02000000
#define ESR_FP   0x01000000
#define ESR_ST   0x00800000
#define ESR_DLK  0x00200000
#define ESR_ILK  0x00100000
#define ESR_AP   0x00080000
#define ESR_PUO  0x00040000
#define ESR_BO   0x00020000
#define ESR_SPV  0x00000080

/* ---- timers ----------------------------------------------------------- */
#define TCR_WP_MASK  0xC0000000
#define TCR_WRC_MASK 0x30000000
#define TCR_WIE      0x08000000
#define TCR_DIE      0x04000000
#define TCR_FP_MASK  0x03000000
#define TCR_FIE      0x00800000
#define TCR_ARE      0x00400000
#define TSR_ENW      0x80000000
#define TSR_WIS      0x40000000
#define TSR_WRS      0x30000000
#define TSR_DIS      0x08000000
#define TSR_FIS      0x04000000

#define HID0_TBEN          0x00004000
#define HID0_EN_MAS7_UPDATE 0x00000080

/* ---- MMU assist registers --------------------------------------------- */
#define MAS0_TLBSEL(n) ((n) << 28)
#define MAS0_TLBSEL_MASK 0x30000000
#define MAS0_ESEL(n)   ((n) << 16)
#define MAS0_ESEL_MASK 0x0FFF0000
#define MAS0_NV_MASK   0x00000FFF
#define MAS1_V         0x80000000
#define MAS1_IPROT     0x40000000
#define MAS1_TID(n)    ((n) << 16)
#define MAS1_TID_MASK  0x3FFF0000
#define MAS1_TS        0x00001000
#define MAS1_TSIZE(n)  ((n) << 8)	/* page = 4^n KiB */
#define MAS1_TSIZE_MASK 0x00000F00
#define MAS2_W 0x10
#define MAS2_I 0x08
#define MAS2_M 0x04
#define MAS2_G 0x02
#define MAS2_E 0x01
#define MAS3_UX 0x20
#define MAS3_SX 0x10
#define MAS3_UW 0x08
#define MAS3_SW 0x04
#define MAS3_UR 0x02
#define MAS3_SR 0x01
#define MAS3_ALL 0x3F
#define MAS4_TLBSELD(n) ((n) << 28)
#define MAS4_TIDSELD(n) ((n) << 16)
#define MAS4_TSIZED(n)  ((n) << 8)
#define MAS6_SPID(n)   ((n) << 16)
#define MAS6_SAS       0x00000001

#define TSIZE_4K   1
#define TSIZE_16K  2
#define TSIZE_64K  3
#define TSIZE_256K 4
#define TSIZE_1M   5
#define TSIZE_4M   6
#define TSIZE_16M  7
#define TSIZE_64M  8
#define TSIZE_256M 9

/* ---- interrupt vector numbers (IVOR index) ---------------------------- */
#define IVOR_CRITICAL   0
#define IVOR_MCHECK     1
#define IVOR_DSI        2
#define IVOR_ISI        3
#define IVOR_EXTERNAL   4
#define IVOR_ALIGN      5
#define IVOR_PROGRAM    6
#define IVOR_FPUNAVAIL  7
#define IVOR_SYSCALL    8
#define IVOR_APUNAVAIL  9
#define IVOR_DEC        10
#define IVOR_FIT        11
#define IVOR_WDT        12
#define IVOR_DTLB       13
#define IVOR_ITLB       14
#define IVOR_DEBUG      15
#define IVOR_SPEUNAVAIL 32	/* e500v2 */
#define IVOR_EFPDATA    33	/* e500v2 */
#define IVOR_EFPROUND   34	/* e500v2 */
#define IVOR_PERFMON    35
#define IVOR_DOORBELL   36	/* e500mc */
#define IVOR_CDOORBELL  37	/* e500mc */
#define IVOR_COUNT      42

/* ---- board ------------------------------------------------------------ */
/* crt0 maps the 1 MiB CCSR block (PA 0xF_E000_0000) at this EA. */
#define CCSR_VA      0xE0000000
#define UART0_VA     (CCSR_VA + 0x4500)
#define GUTS_RSTCR_VA (CCSR_VA + 0xE00B0)
#define MPIC_VA      (CCSR_VA + 0x40000)
#define CCSR_PA_HI   0xF
#define CCSR_PA_LO   0xE0000000

/* TLB1 entries owned by crt0 (IPROT, tests must not reuse them). */
#define TLB1_ESEL_RAM  0
#define TLB1_ESEL_CCSR 1

/* Opcodes the assembler (or its -me500 mode) refuses. */
#define INSN_RFDI    0x4c00004e
#define INSN_RFMCI   0x4c00004c
#define INSN_WAIT    0x7c00007c
#define INSN_MSGSND(rb)  (0x7c00019c | ((rb) << 11))
#define INSN_MSGCLR(rb)  (0x7c0001dc | ((rb) << 11))
#define INSN_TLBILX(t, ra, rb) (0x7c000024 | ((t) << 21) | ((ra) << 16) | ((rb) << 11))
#define INSN_MFTB(rd)    (0x7c0c42e6 | ((rd) << 21))
#define INSN_MFTBU(rd)   (0x7c0d42e6 | ((rd) << 21))

#ifndef __ASSEMBLER__
#include <stdint.h>

#define STR_(x) #x
#define STR(x) STR_(x)

/* The SPR number must be a compile-time constant ("n" operand). */
#define mfspr(n) ({ uint32_t v_; \
	__asm__ __volatile__("mfspr %0,%1" : "=r"(v_) : "n"(n)); v_; })
#define mtspr(n, v) __asm__ __volatile__("mtspr %0,%1" \
	: : "n"(n), "r"((uint32_t)(v)) : "memory")

static inline uint32_t mfmsr(void)
{
	uint32_t v;
	__asm__ __volatile__("mfmsr %0" : "=r"(v));
	return v;
}

static inline void mtmsr(uint32_t v)
{
	__asm__ __volatile__("mtmsr %0; isync" : : "r"(v) : "memory");
}

static inline void isync(void) { __asm__ __volatile__("isync" ::: "memory"); }
static inline void msync(void) { __asm__ __volatile__("msync" ::: "memory"); }

static inline uint32_t mfcr(void)
{
	uint32_t v;
	__asm__ __volatile__("mfcr %0" : "=r"(v));
	return v;
}

static inline uint32_t mfxer(void)
{
	uint32_t v;
	__asm__ __volatile__("mfxer %0" : "=r"(v));
	return v;
}

static inline void mtxer(uint32_t v)
{
	__asm__ __volatile__("mtxer %0" : : "r"(v));
}

/* Timebase through mfspr 268/269 (mftb is illegal on e500v2). */
static inline uint64_t read_tb(void)
{
	uint32_t hi, lo, hi2;
	do {
		hi = mfspr(SPR_TBU_R);
		lo = mfspr(SPR_TBL_R);
		hi2 = mfspr(SPR_TBU_R);
	} while (hi != hi2);
	return ((uint64_t)hi << 32) | lo;
}

static inline void mmio_write32(uint32_t addr, uint32_t v)
{
	*(volatile uint32_t *)addr = v;
	msync();
}

static inline uint32_t mmio_read32(uint32_t addr)
{
	uint32_t v = *(volatile uint32_t *)addr;
	msync();
	return v;
}
#endif /* !__ASSEMBLER__ */
#endif
