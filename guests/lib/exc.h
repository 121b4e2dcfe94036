/*
 * Interrupt handling for test programs.
 *
 * Every IVOR points at a small stub in crt0.S that saves the full register
 * state into a struct exc_frame (on a per-class interrupt stack, so user
 * code with a strange r1 cannot break it), snapshots the registers a test
 * wants to look at (ESR, DEAR, MAS0-3/6/7 as they were when the interrupt
 * was taken) and calls exc_dispatch().  A test installs a C hook per IVOR;
 * the hook may edit the frame (gpr[], pc, msr) and the stub resumes from it
 * with the matching return instruction (rfi / rfci / rfdi / rfmci).
 * A vector with no hook prints an "UNEXPECTED" line and resets, so a stray
 * interrupt shows up as a difference in the output instead of a hang.
 */
#ifndef EXC_H
#define EXC_H

/* Frame layout (byte offsets), shared with crt0.S. */
#define F_GPR(n)  ((n) * 4)
#define F_CR      0x80
#define F_LR      0x84
#define F_CTR     0x88
#define F_XER     0x8C
#define F_PC      0x90	/* xSRR0 */
#define F_MSR     0x94	/* xSRR1 */
#define F_ESR     0x98
#define F_DEAR    0x9C
#define F_MAS0    0xA0
#define F_MAS1    0xA4
#define F_MAS2    0xA8
#define F_MAS3    0xAC
#define F_MAS6    0xB0
#define F_MAS7    0xB4
#define F_VEC     0xB8
#define F_SIZE    0xC0

/* Low-memory scratch words (reachable with a 16-bit absolute address, so
 * the stubs need no free register to find them).  One per interrupt class
 * so a critical interrupt can nest inside a base-class handler. */
#define SCR_BASE  0x7F00
#define SCR_CRIT  0x7F04
#define SCR_DBG   0x7F08
#define SCR_MC    0x7F0C

/* r0 value that, together with `sc`, ends call_with_msr(). */
#define SC_RETURN_MAGIC 0x5CA1

/* Size of the stack call_with_msr() runs fn on (4 KiB aligned). */
#define USER_STACK_SIZE 8192

#ifndef __ASSEMBLER__
#include <stdint.h>

struct exc_frame {
	uint32_t gpr[32];
	uint32_t cr, lr, ctr, xer;
	uint32_t pc, msr;		/* saved xSRR0 / xSRR1 */
	uint32_t esr, dear;
	uint32_t mas0, mas1, mas2, mas3, mas6, mas7;
	uint32_t vec;			/* IVOR number */
	uint32_t pad;
};

typedef void (*exc_hook_t)(struct exc_frame *f);

/* Install (or with NULL remove) the hook for one IVOR; exc_set_hook
 * returns the previous hook. */
exc_hook_t exc_set_hook(unsigned ivor, exc_hook_t hook);

/* Ready-made hook: copy the frame into exc_last, count it in exc_count,
 * and resume at the next instruction (pc += 4). */
void exc_record_skip(struct exc_frame *f);
/* Record only, leaving the frame as it is: a fault re-executes the
 * instruction (for hooks that fix the cause), while for sc and
 * asynchronous interrupts SRR0 already points past the instruction. */
void exc_record(struct exc_frame *f);

extern volatile struct exc_frame exc_last;
extern volatile unsigned exc_count;

/* Clear exc_last / exc_count before provoking an interrupt. */
void exc_clear(void);

/*
 * Run fn(arg) with MSR = msr (e.g. MSR_PR for user mode, MSR_IS|MSR_DS for
 * address space 1) on a private stack, and return its result.  Entry is by
 * rfi; the function returns into a trampoline that does `sc` with
 * r0 = SC_RETURN_MAGIC, which exc_dispatch() turns into a return to the
 * caller in the original supervisor context.  The code, data and stack
 * must be mapped (with the needed permissions) in the chosen address space.
 */
uint32_t call_with_msr(uint32_t (*fn)(uint32_t), uint32_t arg, uint32_t msr);

/* Stack for call_with_msr (exported so tests can map it). */
extern uint8_t user_stack[];

/* Called by crt0.S only. */
void exc_dispatch(struct exc_frame *f);
#endif
#endif
