/*
 * A minimal virtio-mmio (version 2, "modern") driver for the x86 test
 * guests: find transports, negotiate VIRTIO_F_VERSION_1, set up split
 * virtqueues in guest RAM (identity-mapped: physical = virtual), post
 * descriptor chains, notify, poll the used ring.  Polled, one request in
 * flight per queue at a time; interrupts are acknowledged in
 * InterruptStatus/InterruptACK but not taken.
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
	unsigned slot;
	uint32_t device_id;
	uint64_t features; /* negotiated */
};

static inline void vbarrier(void) { __asm__ volatile("mfence" ::: "memory"); }

static inline uint32_t vreg_read(const struct virtio_dev *d, unsigned reg) { return mmio_read32(d->base + reg); }
static inline void vreg_write(const struct virtio_dev *d, unsigned reg, uint32_t v) { mmio_write32(d->base + reg, v); }

/*
 * The n-th transport (counting from the lowest address) with a device of
 * type `id` behind it; 0 when there is none.  Unused transports read
 * DeviceID 0.
 */
static inline int virtio_find(struct virtio_dev *d, uint32_t id, unsigned nth)
{
	for (unsigned s = 0; s < VIRTIO_MMIO_SLOTS; s++) {
		uint64_t base = VIRTIO_MMIO_BASE + (uint64_t)s * VIRTIO_MMIO_STRIDE;
		if (mmio_read32(base + VMMIO_MAGIC) != VIRTIO_MAGIC)
			continue;
		if (mmio_read32(base + VMMIO_DEVICE_ID) != id)
			continue;
		if (nth-- > 0)
			continue;
		d->base = base;
		d->slot = s;
		d->device_id = id;
		d->features = 0;
		return 1;
	}
	return 0;
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
 * Wait for the next used element (polling the used ring; each round also
 * reads InterruptStatus, an MMIO access, so the VMM gets a chance to run
 * its device while the vCPU waits) and acknowledge the used-buffer
 * interrupt.  Returns 1 and the element, or 0 after `rounds` rounds.
 */
static inline int virtq_wait(struct virtio_dev *d, struct virtq *q, struct vring_used_elem *out, unsigned long rounds)
{
	for (unsigned long r = 0; r < rounds; r++) {
		uint32_t isr = vreg_read(d, VMMIO_INT_STATUS);
		if (isr)
			vreg_write(d, VMMIO_INT_ACK, isr);
		vbarrier();
		if (*(volatile uint16_t *)&q->used.idx != q->last_used) {
			vbarrier();
			*out = q->used.ring[q->last_used % q->size];
			q->last_used++;
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
