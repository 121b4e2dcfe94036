/*
 * irq: interrupts through the local APIC and the IOAPIC.
 *
 *  1. a self-IPI through the LAPIC's ICR (no IOAPIC involved);
 *  2. the 16550's THR-empty interrupt on IRQ 4, routed by IOAPIC pin 4
 *     as an edge-triggered fixed interrupt to APIC 0;
 *  3. the same with the pin masked: the edge is lost (the 82093AA
 *     ignores edges on masked pins), unmasking delivers nothing, and
 *     the next edge arrives;
 * (Level-triggered pins, Remote IRR and EOI: irq_level.c; waking from
 * hlt: irq_cpl0.c.)
 *
 * The LAPIC sits in the kernel (or QEMU's TCG model), the IOAPIC in the
 * VMM: the level case needs the EOI to travel back to the IOAPIC.
 *
 * Interrupts are taken while a CPL3 loop runs with IF=1: that is where
 * PVM runs the guest natively and injects interrupts (it emulates CPL0
 * code without interrupt windows).  irq_cpl0.c takes them at CPL0.
 */
#include "x86.h"

#define UART_IER (COM1 + 1)
#define UART_IIR (COM1 + 2)
#define UART_MCR (COM1 + 4)
#define IER_THRI 0x02
#define VEC_IPI  0x40
#define VEC_UART 0x24
#define REDIR_LO(pin) (0x10 + 2 * (pin))
#define REDIR_HI(pin) (0x11 + 2 * (pin))
#define RTE_MASKED (1u << 16)

static volatile int ipis, uart_irqs;
static volatile uint32_t last_iir;

static void on_ipi(struct trap_frame *f)
{
	ipis++;
	lapic_write(LAPIC_EOI, 0);
}

static void on_uart(struct trap_frame *f)
{
	uart_irqs++;
	last_iir = inb(UART_IIR);  /* reading IIR acknowledges THR empty */
	outb(UART_IER, 0);
	lapic_write(LAPIC_EOI, 0);
}

static long spin(long n)
{
	for (volatile long i = 0; i < n; i++)
		;
	return 0;
}

/*
 * An interrupt window: a CPL3 loop with interrupts enabled.  Whatever is
 * pending when it starts is delivered at once (and again after each EOI
 * while a level-triggered line stays asserted); the loop only gives the
 * interrupts instructions to land between.
 */
static void window(void)
{
	run_user_irq(spin, 20000);
}

int main(struct hvm_start_info *si);
int main(struct hvm_start_info *si)
{
	cpu_init();
	set_trap_handler(VEC_IPI, on_ipi);
	set_trap_handler(VEC_UART, on_uart);
	lapic_write(LAPIC_SVR, 0x1ff);  /* APIC software-enabled, spurious vector 0xff */
	printf("lapic: id %u, enabled %u\n", lapic_read(LAPIC_ID) >> 24, (lapic_read(LAPIC_SVR) >> 8) & 1);
	uint32_t ver = ioapic_read(1);
	printf("ioapic: id %u, %u pins, version %x\n", ioapic_read(0) >> 24, ((ver >> 16) & 0xff) + 1, ver & 0xff);
	printf("ioapic pin 4 at reset: %s\n", ioapic_read(REDIR_LO(4)) & RTE_MASKED ? "masked" : "unmasked");

	/* 1. Self-IPI: fixed, edge, destination shorthand "self". */
	lapic_write(LAPIC_ICR_HI, 0);
	lapic_write(LAPIC_ICR_LO, (1u << 18) | VEC_IPI);
	window();
	printf("self-IPI: %d interrupt(s)\n", ipis);

	/* 2. UART THR empty -> IOAPIC pin 4 (edge) -> LAPIC. */
	outb(UART_MCR, 0x08);
	ioapic_write(REDIR_HI(4), 0);  /* physical destination APIC 0 */
	ioapic_write(REDIR_LO(4), VEC_UART);
	outb(UART_IER, IER_THRI);
	window();
	printf("edge: %d interrupt(s), IIR %x\n", uart_irqs, last_iir);

	/*
	 * 3. Masked: the edge is lost.  Every step starts with the UART's line
	 * low (IER 0) so that each IER write is one clean rising edge.
	 */
	uart_irqs = 0;
	ioapic_write(REDIR_LO(4), RTE_MASKED | VEC_UART);
	outb(UART_IER, IER_THRI);
	window();
	printf("masked: %d interrupt(s)\n", uart_irqs);
	outb(UART_IER, 0);
	ioapic_write(REDIR_LO(4), VEC_UART);
	window();
	printf("unmasked: %d interrupt(s)\n", uart_irqs);
	outb(UART_IER, IER_THRI);
	window();
	printf("next edge: %d interrupt(s), IIR %x\n", uart_irqs, last_iir);

	return 0;
}
