/*
 * irq_cpl0: interrupts taken at CPL0, the way a kernel takes them: a
 * short sti window after a LAPIC self-IPI and after the UART's THR-empty
 * interrupt through IOAPIC pin 4, and hlt woken by the UART.  (PVM
 * emulates CPL0 code without injecting interrupts into it, so this guest
 * is for hosts with hardware virtualization; irq.c covers the routing
 * with interrupts taken at CPL3.)
 */
#include "x86.h"

#define UART_IER (COM1 + 1)
#define UART_IIR (COM1 + 2)
#define IER_THRI 0x02
#define VEC_IPI  0x40
#define VEC_UART 0x24

static volatile int ipis, uart_irqs;

static void on_ipi(struct trap_frame *f)
{
	ipis++;
	lapic_write(LAPIC_EOI, 0);
}

static void on_uart(struct trap_frame *f)
{
	uart_irqs++;
	(void)inb(UART_IIR);
	outb(UART_IER, 0);
	lapic_write(LAPIC_EOI, 0);
}

/* An interrupt window of a few instructions: sti's shadow covers the first nop. */
static void window(void)
{
	__asm__ volatile("sti; nop; nop; nop; cli" ::: "memory");
}

int main(struct hvm_start_info *si);
int main(struct hvm_start_info *si)
{
	cpu_init();
	set_trap_handler(VEC_IPI, on_ipi);
	set_trap_handler(VEC_UART, on_uart);
	lapic_write(LAPIC_SVR, 0x1ff);

	lapic_write(LAPIC_ICR_HI, 0);
	lapic_write(LAPIC_ICR_LO, (1u << 18) | VEC_IPI);
	window();
	printf("self-IPI in an sti window: %d interrupt(s)\n", ipis);

	ioapic_write(0x19, 0);
	ioapic_write(0x18, VEC_UART);
	outb(UART_IER, IER_THRI);
	window();
	printf("UART in an sti window: %d interrupt(s)\n", uart_irqs);

	/* sti;hlt: an interrupt that arrives after the hlt began wakes it. */
	uart_irqs = 0;
	outb(UART_IER, IER_THRI);
	sti_hlt();
	cli();
	printf("hlt woken by the UART: %d interrupt(s)\n", uart_irqs);
	return 0;
}
