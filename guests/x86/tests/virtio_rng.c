/*
 * virtio_rng: entropy from a virtio-rng device on virtio-mmio (modern
 * interface).  Two requests of 32 device-writable bytes each; the content
 * is random, so only the byte counts and that something arrived are
 * printed (all 64 bytes zero has probability 2^-512).
 */
#include "x86.h"
#include "virtio.h"

static struct virtq vq __attribute__((aligned(4096)));
static uint8_t buf[2][32];
static struct virtio_dev dev;

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
	vreg_write(&dev, VMMIO_STATUS, 0);
	return 0;
}
