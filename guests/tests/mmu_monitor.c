/*
 * A TLB to look at from the monitor.  Writes TLB0 and TLB1 entries with
 * every permission, WIMGE and U0-U3 bit, TS = 1, several TIDs (PID is set
 * to 5), 36-bit physical addresses and page sizes from 4 KiB to 256 MiB,
 * then waits for a line of input with the core halted (MSR[WE] + HID0[DOZE]
 * on e500v2, `wait` on e500mc) until the UART's receive interrupt comes
 * through the MPIC.  test/guests/monitor.test.ts runs "info tlb" and
 * gva2gpa on QEMU and ngkvm while it waits, so the monitor is shown to
 * answer while the vCPU sleeps; as a differential test (with
 * mmu_monitor.input) it prints what tlbre reads back.
 */
#include "test.h"

#define MPIC(off)  (MPIC_VA + (off))
#define GCR        0x1020
#define GCR_MIXED  0x20000000
#define CTPR       0x80
#define IACK       0xa0
#define EOI        0xb0
#define SRC_DR(n)  (0x10010 + 0x20 * (n))
#define SRC_VPR(n) (0x10000 + 0x20 * (n))
#define UART_SRC   42
#define U(r)       (*(volatile uint8_t *)(UART0_VA + (r)))
#define HID0_DOZE  0x00800000

static volatile int got_newline;

/* mtmsr(EE); isync; wait — the window in which an interrupt must skip the wait. */
extern const char wait_window[], wait_window_end[];
__asm__(".text\n"
	"enable_ee_and_wait:\n\t"
	"mtmsr 3\n"
	"wait_window:\n\t"
	"isync\n\t"
	".long 0x7c00007c\n"	/* wait (e500mc) */
	"wait_window_end:\n\t"
	"blr\n");
void enable_ee_and_wait(uint32_t msr);

static void ext_hook(struct exc_frame *f)
{
	if (mmio_read32(MPIC(IACK)) != 0xffff) {
		while (U(5) & 1) {
			char c = (char)U(0);
			if (c == '\n' || c == '\r')
				got_newline = 1;
		}
		mmio_write32(MPIC(EOI), 0);
	}
	/* Return awake: the doze request (MSR[WE]) is not resumed, and an
	 * interrupt taken between enabling EE and `wait` (input that was
	 * already there) skips the `wait`, or the core would sleep with
	 * nothing left to wake it. */
	f->msr &= ~MSR_WE;
	if (f->pc >= (uint32_t)wait_window && f->pc < (uint32_t)wait_window_end)
		f->pc = (uint32_t)wait_window_end;
}

/* Sleeps until a line ends on the console; the core is halted meanwhile. */
static void sleep_until_newline(void)
{
	exc_set_hook(IVOR_EXTERNAL, ext_hook);
	mmio_write32(MPIC(GCR), GCR_MIXED);
	mmio_write32(MPIC(SRC_DR(UART_SRC)), 1);
	mmio_write32(MPIC(SRC_VPR(UART_SRC)), (5 << 16) | 0x42);
	mmio_write32(MPIC(CTPR), 0);
	U(1) = 0x01;		/* received data available */
	while (!got_newline) {
#if defined(CPU_E500MC)
		enable_ee_and_wait(MSR_EE);
#else
		mtspr(SPR_HID0, mfspr(SPR_HID0) | HID0_DOZE);
		mtmsr(MSR_EE | MSR_WE);
#endif
		mtmsr(0);
	}
	U(1) = 0;
}

#define TLB0_WAYS 4

struct t1 {
	unsigned esel;
	uint32_t ea;
	uint64_t pa;
	unsigned tsize;
	uint32_t wimge, mas3;
	unsigned tid;
	int ts, iprot;
};

static const struct t1 tlb1[] = {
	{ 4, 0x90000000u, 0xfe0000000ull, TSIZE_1M, MAS2_I | MAS2_G,
	  MAS3_SR | MAS3_SW, 0, 0, 0 },
	{ 5, 0xa0000000u, 0x340000000ull, TSIZE_16M, MAS2_W | MAS2_E,
	  0x3c0 | MAS3_ALL, 0, 0, 0 },
	{ 6, 0xa1000000u, 0x01000000ull, TSIZE_4K, MAS2_M,
	  MAS3_SX | MAS3_UX, 0, 0, 0 },
	{ 7, 0xa2000000u, 0x02000000ull, TSIZE_64K, MAS2_G,
	  MAS3_SW | MAS3_UW | 0x200, 0, 0, 0 },
	{ 8, 0xa3000000u, 0x03000000ull, TSIZE_256K, 0,
	  MAS3_SR, 0, 1, 0 },
	{ 9, 0xa4000000u, 0x04000000ull, TSIZE_4M, 0,
	  MAS3_SR | MAS3_UR | 0x100 | 0x40, 5, 0, 0 },
	{ 10, 0xa5000000u, 0x05000000ull, TSIZE_1M, MAS2_I,
	  MAS3_SR, 0x7f, 0, 0 },
	{ 11, 0xb0000000u, 0xf00000000ull, TSIZE_256M, MAS2_I | MAS2_G,
	  MAS3_SR | MAS3_SX, 0, 0, 1 },
	{ 12, 0xa8000000u, 0x8000000ull, TSIZE_16K, MAS2_M | MAS2_E,
	  MAS3_UR | MAS3_UW | MAS3_UX | 0x80, 0xff, 1, 0 },
};

struct t0 {
	unsigned way;
	uint32_t ea;
	uint64_t pa;
	unsigned tsize;		/* written as given; TLB0 holds 4 KiB only */
	uint32_t wimge, mas3;
	unsigned tid;
	int ts;
};

static const struct t0 tlb0[] = {
	{ 0, 0xc0001000u, 0x06000000ull, TSIZE_4K,
	  MAS2_W | MAS2_I | MAS2_M | MAS2_G | MAS2_E,
	  MAS3_SR | MAS3_SW | MAS3_SX | 0x200, 0, 0 },
	{ 3, 0xc0001000u, 0x987654000ull, TSIZE_4K, 0,
	  MAS3_UR | MAS3_UW | MAS3_UX | 0x80, 0xff, 1 },
	{ 1, 0xc0002000u, 0x06002000ull, TSIZE_1M, MAS2_M,
	  MAS3_SR, 0, 0 },
	{ 2, 0xc1fff000u, 0x06003000ull, TSIZE_4K, MAS2_G,
	  MAS3_SR | MAS3_UR | 0x3c0, 5, 0 },
	{ 0, 0xc0000000u, 0x06004000ull, TSIZE_4K, 0,
	  MAS3_SX, 0, 0 },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

int main(void)
{
	printf("== mmu_monitor (%s)\n", CPU_NAME);
	for (unsigned i = 0; i < N(tlb1); i++) {
		const struct t1 *e = &tlb1[i];
		tlb1_map(e->esel, e->ea, e->pa, e->tsize, e->wimge, e->mas3,
			 e->tid, e->ts, e->iprot);
	}
	for (unsigned i = 0; i < N(tlb0); i++) {
		const struct t0 *e = &tlb0[i];
		tlb_write(MAS0_TLBSEL(0) | MAS0_ESEL(e->way),
			  MAS1_V | MAS1_TID(e->tid) | (e->ts ? MAS1_TS : 0) |
			  MAS1_TSIZE(e->tsize),
			  (e->ea & 0xFFFFF000) | e->wimge,
			  ((uint32_t)e->pa & 0xFFFFF000) | e->mas3,
			  (uint32_t)(e->pa >> 32));
	}
	mtspr(SPR_PID, 5);
	__asm__ __volatile__("isync");

	struct tlbe r;
	for (unsigned i = 0; i < N(tlb1); i++) {
		tlb_read(MAS0_TLBSEL(1) | MAS0_ESEL(tlb1[i].esel), 0, &r);
		tlb_print("tlb1", &r);
	}
	for (unsigned i = 0; i < N(tlb0); i++) {
		tlb_read(MAS0_TLBSEL(0) | MAS0_ESEL(tlb0[i].way), tlb0[i].ea,
			 &r);
		tlb_print("tlb0", &r);
	}

	printf("== ready: press Enter\n");
	sleep_until_newline();

	mtspr(SPR_PID, 0);
	for (unsigned i = 0; i < N(tlb1); i++)
		tlb1_unmap(tlb1[i].esel);
	for (unsigned i = 0; i < N(tlb0); i++)
		tlb0_unmap(tlb0[i].way, tlb0[i].ea);
	printf("== end\n");
	return 0;
}
