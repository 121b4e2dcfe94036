/*
 * The UART driven by interrupts through the MPIC (source 42, level): a
 * transmit-holding-empty interrupt as soon as it is enabled, receive
 * interrupts for input (uart_irq.input on stdin), IIR identifying the
 * cause, and the line dropping once the cause is serviced.  The handler
 * only queues; main() prints, so the output does not depend on how the
 * input was split across interrupts.
 */
#include "test.h"

#define MPIC(off)  (MPIC_VA + (off))
#define GCR        0x1020
#define GCR_MIXED  0x20000000
#define CTPR       0x80
#define IACK       0xa0
#define EOI        0xb0
#define SRC_VPR(n) (0x10000 + 0x20 * (n))
#define SRC_DR(n)  (0x10010 + 0x20 * (n))
#define UART_SRC   42
#define U(r)       (*(volatile uint8_t *)(UART0_VA + (r)))

static volatile char rx[64];
static volatile unsigned nrx, nthre, nother, nspurious;
static volatile uint32_t last_vec;

static void ext_hook(struct exc_frame *f)
{
	(void)f;
	uint32_t vec = mmio_read32(MPIC(IACK));
	last_vec = vec;
	if (vec == 0xffff) {
		nspurious++;
		return;
	}
	for (;;) {
		uint8_t iir = U(2);
		if (iir & 1)
			break;
		switch (iir & 0x0e) {
		case 0x04:	/* received data available */
		case 0x0c:	/* character timeout */
			while (U(5) & 1) {
				char c = (char)U(0);
				if (nrx < sizeof rx)
					rx[nrx++] = c;
			}
			break;
		case 0x02:	/* THR empty: count it and stop asking */
			nthre++;
			U(1) = U(1) & ~0x02;
			break;
		default:
			nother++;
			(void)U(5);
			(void)U(6);
			break;
		}
	}
	mmio_write32(MPIC(EOI), 0);
}

int main(void)
{
	printf("== uart_irq (%s)\n", CPU_NAME);
	exc_set_hook(IVOR_EXTERNAL, ext_hook);
	mmio_write32(MPIC(GCR), GCR_MIXED);
	mmio_write32(MPIC(SRC_DR(UART_SRC)), 1);
	mmio_write32(MPIC(SRC_VPR(UART_SRC)), (5 << 16) | 0x42);
	mmio_write32(MPIC(CTPR), 0);
	printf("uart vpr %08x iir %02x\n", mmio_read32(MPIC(SRC_VPR(UART_SRC))), U(2));

	/* FIFOs stay off: enabling them clears them, and QEMU's UART has
	 * taken the first input byte already. */
	U(1) = 0x02;		/* THRE interrupt */
	mtmsr(MSR_EE);
	for (volatile int i = 0; i < 1000; i++)
		;
	mtmsr(0);
	printf("THRE interrupts: %u, IER now %02x, vector %04x\n", nthre, U(1), last_vec);

	U(1) = 0x01;		/* received data available */
	mtmsr(MSR_EE);
	uint64_t start = read_tb();
	while (read_tb() - start < 400000000ull) {	/* up to 1 s */
		if (nrx && rx[nrx - 1] == '.')
			break;
	}
	mtmsr(0);
	U(1) = 0;
	rx[nrx < sizeof rx ? nrx : sizeof rx - 1] = 0;
	printf("received %u bytes by interrupt: %s\n", nrx, (const char *)rx);
	printf("other causes %u, spurious %u, source pending after: %s\n", nother, nspurious,
	       (mmio_read32(MPIC(SRC_VPR(UART_SRC))) & 0x40000000) ? "yes" : "no");
	return 0;
}
