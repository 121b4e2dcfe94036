/*
 * virtio_rng: entropy from a virtio-rng device on virtio-mmio (modern
 * interface).  Two requests of 32 device-writable bytes each; the content
 * is random, so only the byte counts and that something arrived are
 * printed (all 64 bytes zero has probability 2^-512).  A third request
 * takes the used-buffer interrupt through the IOAPIC pin the command line
 * names.
 */
#include "x86.h"
#include "virtio.h"

static struct virtq vq __attribute__((aligned(4096)));
static uint8_t buf[3][32];
static struct virtio_dev dev;

#define VEC_VIRTIO 0x30
#define REDIR_LO(pin) (0x10 + 2 * (pin))
#define REDIR_HI(pin) (0x11 + 2 * (pin))
#define RTE_MASKED (1u << 16)

static volatile int irqs;
static volatile uint32_t isr_in_handler;

/* The used-buffer interrupt: read and acknowledge InterruptStatus (the line drops), then EOI. */
static void on_virtio(struct trap_frame *f)
{
	uint32_t isr = vreg_read(&dev, VMMIO_INT_STATUS);
	if (irqs++ == 0)
		isr_in_handler = isr;
	vreg_write(&dev, VMMIO_INT_ACK, isr);
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
	if (!virtio_find(&dev, (const char *)si->cmdline_paddr, VIRTIO_ID_RNG, 0)) {
		printf("rng: no virtio-rng device found\n");
		return 1;
	}
	virtio_print_where("rng", &dev);
	printf("rng: virtio-mmio version %u, device id %u\n", vreg_read(&dev, VMMIO_VERSION), vreg_read(&dev, VMMIO_DEVICE_ID));
	int r = virtio_init(&dev, 0);
	if (r) {
		printf("rng: init failed at step %d\n", -r);
		return 2;
	}
	printf("rng: features VERSION_1 %u\n", (unsigned)(dev.features >> VIRTIO_F_VERSION_1) & 1);
	r = virtq_setup(&dev, &vq, 0);
	if (r) {
		printf("rng: queue setup failed at step %d\n", -r);
		return 3;
	}
	virtio_driver_ok(&dev);

	uint32_t total = 0, nonzero = 0;
	for (unsigned i = 0; i < 2; i++) {
		struct vbuf b = { buf[i], sizeof(buf[i]), 1 };
		virtq_post(&dev, &vq, (uint16_t)i, &b, 1, 1);
		struct vring_used_elem e;
		if (!virtq_wait(&dev, &vq, &e, 10000000ul)) {
			printf("rng: request %u: no answer\n", i);
			return 4;
		}
		printf("rng: request %u: descriptor %u, %u bytes, InterruptStatus %u\n", i, e.id, e.len, dev.last_isr);
		total += e.len;
		for (unsigned k = 0; k < e.len && k < sizeof(buf[i]); k++)
			nonzero += buf[i][k] != 0;
	}
	printf("rng: %u bytes in all, %s\n", total, nonzero ? "not all zero" : "ALL ZERO");

	/*
	 * 3. The same request with the device's IOAPIC pin routed (edge, to
	 * APIC 0): the interrupt is taken while a CPL3 loop runs with IF=1
	 * (where PVM injects interrupts, as in irq.c) and its handler
	 * acknowledges InterruptStatus.  Only with an IRQ from the command line.
	 */
	if (!dev.from_cmdline || dev.irq >= 24) {
		printf("rng: no IRQ known, interrupt not tried\n");
	} else {
		cpu_init();
		set_trap_handler(VEC_VIRTIO, on_virtio);
		lapic_write(LAPIC_SVR, 0x1ff);
		ioapic_write(REDIR_HI(dev.irq), 0);
		ioapic_write(REDIR_LO(dev.irq), VEC_VIRTIO);
		struct vbuf b = { buf[2], sizeof(buf[2]), 1 };
		virtq_post(&dev, &vq, 2, &b, 1, 1);
		for (unsigned w = 0; w < 1000 && irqs == 0; w++)
			run_user_irq(spin, 20000);
		ioapic_write(REDIR_LO(dev.irq), RTE_MASKED | VEC_VIRTIO);
		struct vring_used_elem e;
		int used = virtq_wait(&dev, &vq, &e, 10000000ul);
		printf("rng: request 2 with IOAPIC pin %u unmasked: %s, InterruptStatus %u in the handler; %s, %u bytes\n",
		       dev.irq, irqs ? "interrupt taken" : "NO INTERRUPT", isr_in_handler,
		       used ? "buffer used" : "buffer NOT used", used ? e.len : 0);
	}
	vreg_write(&dev, VMMIO_STATUS, 0);
	return 0;
}
