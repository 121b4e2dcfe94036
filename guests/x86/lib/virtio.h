/*
 * A minimal virtio-mmio (version 2, "modern") driver for the x86 test
 * guests: find transports (kernel command line, else the fixed microvm
 * addresses), negotiate VIRTIO_F_VERSION_1, set up split
 * virtqueues in guest RAM (identity-mapped: physical = virtual), post
 * descriptor chains, notify, poll the used ring.  Polled, one request in
 * flight per queue at a time; the used-buffer interrupt is acknowledged
 * through InterruptStatus/InterruptACK but not taken (the IOAPIC pin stays
 * masked).
 *
 * Header-only (static inline) so that guests which do not include it are
 * linked exactly as before.
 */
#ifndef X86_VIRTIO_H
#define X86_VIRTIO_H

#include "x86.h"

/* QEMU 7.2 microvm: transports of 512 bytes from 0xfeb00000.  Without ACPI
 * (and on ngkvm) there are 8; with ACPI and the second IOAPIC, 24. */
#define VIRTIO_MMIO_BASE 0xfeb00000ull
#define VIRTIO_MMIO_STRIDE 0x200
#define VIRTIO_MMIO_SLOTS 24

#define VMMIO_MAGIC        0x000
#define VMMIO_VERSION      0x004
#define VMMIO_DEVICE_ID    0x008
#define VMMIO_VENDOR_ID    0x00c
#define VMMIO_DEV_FEAT     0x010
#define VMMIO_DEV_FEAT_SEL 0x014
#define VMMIO_DRV_FEAT     0x020
#define VMMIO_DRV_FEAT_SEL 0x024
#define VMMIO_QUEUE_SEL    0x030
#define VMMIO_QUEUE_NUM_MAX 0x034
#define VMMIO_QUEUE_NUM    0x038
#define VMMIO_QUEUE_READY  0x044
#define VMMIO_QUEUE_NOTIFY 0x050
#define VMMIO_INT_STATUS   0x060
#define VMMIO_INT_ACK      0x064
#define VMMIO_STATUS       0x070
#define VMMIO_QUEUE_DESC   0x080
#define VMMIO_QUEUE_AVAIL  0x090
#define VMMIO_QUEUE_USED   0x0a0
#define VMMIO_CONFIG_GEN   0x0fc
#define VMMIO_CONFIG       0x100

#define VIRTIO_MAGIC 0x74726976u /* "virt" */

#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLK 2
#define VIRTIO_ID_RNG 4

#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER      2
#define VIRTIO_STATUS_DRIVER_OK   4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_FAILED      0x80

#define VIRTIO_F_VERSION_1 32

#define VRING_DESC_F_NEXT  1
#define VRING_DESC_F_WRITE 2

#define VQ_SIZE 8

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};
struct vring_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[VQ_SIZE];
	uint16_t used_event;
};
struct vring_used_elem {
	uint32_t id;
	uint32_t len;
};
struct vring_used {
	uint16_t flags;
	uint16_t idx;
	struct vring_used_elem ring[VQ_SIZE];
	uint16_t avail_event;
};

/* One split virtqueue: each part on a page of its own. */
struct virtq {
	struct vring_desc desc[VQ_SIZE] __attribute__((aligned(4096)));
	struct vring_avail avail __attribute__((aligned(4096)));
	struct vring_used used __attribute__((aligned(4096)));
	uint16_t index;     /* queue number on the device */
	uint16_t last_used; /* used.idx the driver has consumed up to */
	uint16_t size;
};


struct virtio_dev {
	uint64_t base;
	uint32_t irq;       /* from the command line; 0 when found by probing */
	int from_cmdline;
	uint32_t device_id;
	uint64_t features;  /* negotiated */
	uint32_t last_isr;  /* InterruptStatus when the last used buffer was seen */
};

static inline void vbarrier(void) { __asm__ volatile("mfence" ::: "memory"); }

static inline uint32_t vreg_read(const struct virtio_dev *d, unsigned reg) { return mmio_read32(d->base + reg); }
static inline void vreg_write(const struct virtio_dev *d, unsigned reg, uint32_t v) { mmio_write32(d->base + reg, v); }


static inline int vstarts(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return 0;
	return 1;
}

/* A number in C syntax (decimal or 0x hex) with an optional K/M/G suffix; *end after it. */
static inline uint64_t vparse_num(const char *s, const char **end)
{
	uint64_t v = 0;
	unsigned base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (;; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			break;
		v = v * base + d;
	}
	if (*s == 'K' || *s == 'k')
		v <<= 10, s++;
	else if (*s == 'M' || *s == 'm')
		v <<= 20, s++;
	else if (*s == 'G' || *s == 'g')
		v <<= 30, s++;
	*end = s;
	return v;
}

/*
 * The n-th device of type `id`, in the order Linux would register them:
 * the kernel command line's virtio_mmio.device=SIZE@ADDR:IRQ entries (as
 * ngkvm and QEMU's microvm without ACPI announce them), else, when the
 * line names none (QEMU's microvm with ACPI describes them in the DSDT
 * instead), the transports at their fixed microvm addresses from the
 * lowest up.  Unused transports read DeviceID 0.  1 when found.
 */
static inline int virtio_find(struct virtio_dev *d, const char *cmdline, uint32_t id, unsigned nth)
{
	int listed = 0;
	for (const char *p = cmdline; p && *p; p++) {
		if ((p != cmdline && p[-1] != ' ') || !vstarts(p, "virtio_mmio.device="))
			continue;
		const char *q = p + 19;
		uint64_t size = vparse_num(q, &q);
		if (*q++ != '@')
			continue;
		uint64_t base = vparse_num(q, &q);
		if (*q++ != ':')
			continue;
		uint64_t irq = vparse_num(q, &q);
		listed = 1;
		if (size < 0x100 || mmio_read32(base + VMMIO_MAGIC) != VIRTIO_MAGIC || mmio_read32(base + VMMIO_DEVICE_ID) != id)
			continue;
		if (nth-- > 0)
			continue;
		*d = (struct virtio_dev){ .base = base, .irq = (uint32_t)irq, .from_cmdline = 1, .device_id = id };
		return 1;
	}
	if (listed)
		return 0;
	for (unsigned s = 0; s < VIRTIO_MMIO_SLOTS; s++) {
		uint64_t base = VIRTIO_MMIO_BASE + (uint64_t)s * VIRTIO_MMIO_STRIDE;
		if (mmio_read32(base + VMMIO_MAGIC) != VIRTIO_MAGIC || mmio_read32(base + VMMIO_DEVICE_ID) != id)
			continue;
		if (nth-- > 0)
			continue;
		*d = (struct virtio_dev){ .base = base, .device_id = id };
		return 1;
	}
	return 0;
}

/* Where a device was found, for the transcript. */
static inline void virtio_print_where(const char *who, const struct virtio_dev *d)
{
	if (d->from_cmdline)
		printf("%s: virtio_mmio.device at 0x%lx, IRQ %u (kernel command line)\n", who, d->base, d->irq);
	else
		printf("%s: virtio-mmio transport found by probing the microvm addresses\n", who);
}

/*
 * Reset, ACKNOWLEDGE, DRIVER, feature negotiation: the driver takes
 * VIRTIO_F_VERSION_1 plus whatever of `wanted` the device offers, then
 * checks that FEATURES_OK stuck.  Returns 0 on success, a negative step
 * number on failure (the caller prints it).
 */
static inline int virtio_init(struct virtio_dev *d, uint64_t wanted)
{
	if (vreg_read(d, VMMIO_VERSION) != 2)
		return -1;
	vreg_write(d, VMMIO_STATUS, 0);
	if (vreg_read(d, VMMIO_STATUS) != 0)
		return -2;
	vreg_write(d, VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	vreg_write(d, VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	uint64_t offered = 0;
	for (unsigned sel = 0; sel < 2; sel++) {
		vreg_write(d, VMMIO_DEV_FEAT_SEL, sel);
		offered |= (uint64_t)vreg_read(d, VMMIO_DEV_FEAT) << (32 * sel);
	}
	if (!(offered & (1ull << VIRTIO_F_VERSION_1)))
		return -3;
	uint64_t take = offered & (wanted | (1ull << VIRTIO_F_VERSION_1));
	for (unsigned sel = 0; sel < 2; sel++) {
		vreg_write(d, VMMIO_DRV_FEAT_SEL, sel);
		vreg_write(d, VMMIO_DRV_FEAT, (uint32_t)(take >> (32 * sel)));
	}
	vreg_write(d, VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	if (!(vreg_read(d, VMMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK)) {
		vreg_write(d, VMMIO_STATUS, VIRTIO_STATUS_FAILED);
		return -4;
	}
	d->features = take;
	return 0;
}

/* Queue setup (after FEATURES_OK, before DRIVER_OK).  0 or a negative step. */
static inline int virtq_setup(struct virtio_dev *d, struct virtq *q, uint16_t index)
{
	memset(q, 0, sizeof(*q));
	q->index = index;
	vreg_write(d, VMMIO_QUEUE_SEL, index);
	if (vreg_read(d, VMMIO_QUEUE_READY) != 0)
		return -1;
	uint32_t max = vreg_read(d, VMMIO_QUEUE_NUM_MAX);
	if (max == 0)
		return -2;
	q->size = max < VQ_SIZE ? (uint16_t)max : VQ_SIZE;
	vreg_write(d, VMMIO_QUEUE_NUM, q->size);
	uint64_t desc = (uint64_t)q->desc, avail = (uint64_t)&q->avail, used = (uint64_t)&q->used;
	vreg_write(d, VMMIO_QUEUE_DESC, (uint32_t)desc);
	vreg_write(d, VMMIO_QUEUE_DESC + 4, (uint32_t)(desc >> 32));
	vreg_write(d, VMMIO_QUEUE_AVAIL, (uint32_t)avail);
	vreg_write(d, VMMIO_QUEUE_AVAIL + 4, (uint32_t)(avail >> 32));
	vreg_write(d, VMMIO_QUEUE_USED, (uint32_t)used);
	vreg_write(d, VMMIO_QUEUE_USED + 4, (uint32_t)(used >> 32));
	vreg_write(d, VMMIO_QUEUE_READY, 1);
	if (vreg_read(d, VMMIO_QUEUE_READY) != 1)
		return -3;
	return 0;
}

static inline void virtio_driver_ok(struct virtio_dev *d)
{
	vreg_write(d, VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
	                            VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
}

/* A buffer of a chain: address, length, device-writable or not. */
struct vbuf {
	const void *addr;
	uint32_t len;
	int write;
};

/*
 * Post a chain of n buffers starting at descriptor `head` (the caller
 * keeps chains from overlapping), make it available, and notify unless
 * `notify` is 0.
 */
static inline void virtq_post(struct virtio_dev *d, struct virtq *q, uint16_t head,
                              const struct vbuf *b, unsigned n, int notify)
{
	for (unsigned i = 0; i < n; i++) {
		uint16_t k = (uint16_t)((head + i) % q->size);
		q->desc[k].addr = (uint64_t)b[i].addr;
		q->desc[k].len = b[i].len;
		q->desc[k].flags = (uint16_t)((b[i].write ? VRING_DESC_F_WRITE : 0) | (i + 1 < n ? VRING_DESC_F_NEXT : 0));
		q->desc[k].next = (uint16_t)((head + i + 1) % q->size);
	}
	q->avail.ring[q->avail.idx % q->size] = head;
	vbarrier(); /* descriptors and ring entry before the index */
	q->avail.idx++;
	vbarrier(); /* the index before the notification */
	if (notify)
		vreg_write(d, VMMIO_QUEUE_NOTIFY, q->index);
}

/*
 * Wait for the next used element, polling the used ring.  Each round also
 * reads InterruptStatus, an MMIO access, so the VMM gets a chance to run
 * its device while the vCPU waits.  Once the element is there,
 * InterruptStatus is read again (the device sets it with the used index,
 * before the next access completes), kept in d->last_isr and
 * acknowledged.  Returns 1 and the element, or 0 after `rounds` rounds.
 */
static inline int virtq_wait(struct virtio_dev *d, struct virtq *q, struct vring_used_elem *out, unsigned long rounds)
{
	for (unsigned long r = 0; r < rounds; r++) {
		(void)vreg_read(d, VMMIO_INT_STATUS);
		vbarrier();
		if (*(volatile uint16_t *)&q->used.idx != q->last_used) {
			vbarrier();
			*out = q->used.ring[q->last_used % q->size];
			q->last_used++;
			d->last_isr = vreg_read(d, VMMIO_INT_STATUS);
			if (d->last_isr)
				vreg_write(d, VMMIO_INT_ACK, d->last_isr);
			return 1;
		}
		__asm__ volatile("pause");
	}
	return 0;
}

/* FNV-1a, 32 bits: the checksums the guests print (test/guests computes the same). */
static inline uint32_t fnv1a(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t h = 0x811c9dc5u;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x01000193u;
	}
	return h;
}

#endif
