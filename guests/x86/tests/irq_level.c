/*
 * irq_level: a level-triggered IOAPIC pin (the UART's IRQ 4) and the
 * end-of-interrupt path of the split irqchip.  The handler leaves the
 * UART's interrupt pending the first time, so Remote IRR holds the pin
 * until the local APIC's EOI reaches the IOAPIC, which then sends the
 * interrupt again because the line is still high; the second time the
 * handler clears the cause and the line falls.  Interrupts are taken
 * while a CPL3 loop runs with IF=1 (see irq.c).
 */
#include "x86.h"

#define UART_IER (COM1 + 1)
#define UART_IIR (COM1 + 2)
#define IER_THRI 0x02
#define VEC_UART 0x24
#define RTE_LEVEL (1u << 15)
#define RTE_RIRR  (1u << 14)

static volatile int irqs, keep_pending = 1;
static volatile uint32_t rirr[4], iir = 0xff;

static void on_uart(struct trap_frame *f)
{
	if (irqs < 4)
		rirr[irqs] = (ioapic_read(0x18) & RTE_RIRR) ? 1 : 0;
	irqs++;
	if (keep_pending) {
		keep_pending = 0;
	} else {
		iir = inb(UART_IIR);
		outb(UART_IER, 0);
	}
	lapic_write(LAPIC_EOI, 0);
}

static long spin(long n)
{
	for (volatile long i = 0; i < n; i++)
		;
	return 0;
}

int main(struct hvm_start_info *si);
int main(struct hvm_start_info *si)
{
	cpu_init();
	set_trap_handler(VEC_UART, on_uart);
	lapic_write(LAPIC_SVR, 0x1ff);
	ioapic_write(0x19, 0);
	ioapic_write(0x18, RTE_LEVEL | VEC_UART);
	printf("pin 4: level-triggered, %s\n", ioapic_read(0x18) & RTE_RIRR ? "Remote IRR set" : "Remote IRR clear");
	outb(UART_IER, IER_THRI);
	run_user_irq(spin, 20000);
	printf("interrupts: %d\n", irqs);
	for (int i = 0; i < irqs && i < 4; i++)
		printf("  #%d: Remote IRR in the handler %u\n", i + 1, rirr[i]);
	printf("IIR read by the second handler: %x\n", iir);
	printf("after the last EOI: Remote IRR %u\n", ioapic_read(0x18) & RTE_RIRR ? 1 : 0);
	return 0;
}
