/*
 * virtio_blk: a virtio-blk disk on virtio-mmio (modern interface).
 *
 * The device is found from the kernel command line (virtio_mmio.device=,
 * lib/virtio.h), or by probing.  The test gives a raw image of 8 sectors whose byte at offset o is
 * (o * 7 + (o >> 9) * 13 + 1) & 0xff (tests/virtio_blk.devices).  The
 * guest finds the device, negotiates VIRTIO_F_VERSION_1 (and FLUSH),
 * prints the capacity, reads sectors 0..3 in one request and prints the
 * FNV-1a checksum of each, writes sector 5 with a text pattern, reads it
 * back, flushes, and reads past the end (an IOERR).  The test checks the
 * image on the host afterwards.
 */
#include "x86.h"
#include "virtio.h"

#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_T_IN    0
#define VIRTIO_BLK_T_OUT   1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

struct blk_req_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

static struct virtq vq __attribute__((aligned(4096)));
static struct blk_req_hdr hdr;
static uint8_t data[4 * 512] __attribute__((aligned(512)));
static volatile uint8_t status;
static struct virtio_dev dev;

/* One request: header, optional data, status; returns the status byte (0xff: no answer). */
static unsigned blk_request(uint32_t type, uint64_t sector, void *buf, uint32_t len, uint32_t *used_len)
{
	hdr.type = type;
	hdr.reserved = 0;
	hdr.sector = sector;
	status = 0xff;
	struct vbuf b[3];
	unsigned n = 0;
	b[n++] = (struct vbuf){ &hdr, sizeof(hdr), 0 };
	if (len)
		b[n++] = (struct vbuf){ buf, len, type == VIRTIO_BLK_T_IN };
	b[n++] = (struct vbuf){ (const void *)&status, 1, 1 };
	virtq_post(&dev, &vq, 0, b, n, 1);
	struct vring_used_elem e;
	if (!virtq_wait(&dev, &vq, &e, 10000000ul)) {
		printf("blk: no answer to request type %u\n", type);
		return 0xff;
	}
	if (used_len)
		*used_len = e.len;
	return status;
}

int main(struct hvm_start_info *si);
int main(struct hvm_start_info *si)
{
	if (!virtio_find(&dev, (const char *)si->cmdline_paddr, VIRTIO_ID_BLK, 0)) {
		printf("blk: no virtio-blk device found\n");
		return 1;
	}
	virtio_print_where("blk", &dev);
	printf("blk: virtio-mmio version %u, device id %u\n", vreg_read(&dev, VMMIO_VERSION), vreg_read(&dev, VMMIO_DEVICE_ID));
	int r = virtio_init(&dev, 1ull << VIRTIO_BLK_F_FLUSH);
	if (r) {
		printf("blk: init failed at step %d\n", -r);
		return 2;
	}
	printf("blk: features VERSION_1 %u FLUSH %u\n", (unsigned)(dev.features >> VIRTIO_F_VERSION_1) & 1,
	       (unsigned)(dev.features >> VIRTIO_BLK_F_FLUSH) & 1);
	r = virtq_setup(&dev, &vq, 0);
	if (r) {
		printf("blk: queue setup failed at step %d\n", -r);
		return 3;
	}
	virtio_driver_ok(&dev);
	uint32_t gen = vreg_read(&dev, VMMIO_CONFIG_GEN);
	uint64_t capacity = mmio_read32(dev.base + VMMIO_CONFIG) | ((uint64_t)mmio_read32(dev.base + VMMIO_CONFIG + 4) << 32);
	if (vreg_read(&dev, VMMIO_CONFIG_GEN) != gen)
		printf("blk: config changed while read\n");
	printf("blk: capacity %lu sectors\n", capacity);

	/* Read sectors 0..3 in one request. */
	memset(data, 0, sizeof(data));
	uint32_t len = 0;
	unsigned st = blk_request(VIRTIO_BLK_T_IN, 0, data, sizeof(data), &len);
	printf("blk: read sectors 0-3: status %u, %u bytes written by the device\n", st, len);
	printf("blk: InterruptStatus %u when the buffer was used, acknowledged, now %u\n", dev.last_isr,
	       vreg_read(&dev, VMMIO_INT_STATUS));
	for (unsigned s = 0; s < 4; s++)
		printf("  sector %u: fnv1a %08x, bytes %02x %02x %02x %02x\n", s, fnv1a(data + 512 * s, 512),
		       data[512 * s], data[512 * s + 1], data[512 * s + 2], data[512 * s + 511]);

	/* Write sector 5, read it back. */
	static const char text[] = "ngkvm virtio-blk guest wrote sector 5";
	for (unsigned i = 0; i < 512; i++)
		data[i] = i < sizeof(text) - 1 ? (uint8_t)text[i] : (uint8_t)(0xa5 ^ i);
	uint32_t want = fnv1a(data, 512);
	st = blk_request(VIRTIO_BLK_T_OUT, 5, data, 512, 0);
	printf("blk: write sector 5: status %u, fnv1a %08x\n", st, want);
	memset(data, 0, 512);
	st = blk_request(VIRTIO_BLK_T_IN, 5, data, 512, 0);
	printf("blk: read back sector 5: status %u, fnv1a %08x, %s\n", st, fnv1a(data, 512),
	       fnv1a(data, 512) == want ? "matches" : "DIFFERS");

	st = blk_request(VIRTIO_BLK_T_FLUSH, 0, 0, 0, 0);
	printf("blk: flush: status %u\n", st);

	/* Past the end: sector `capacity` does not exist. */
	st = blk_request(VIRTIO_BLK_T_IN, capacity, data, 512, 0);
	printf("blk: read sector %lu (past the end): status %s\n", capacity,
	       st == VIRTIO_BLK_S_IOERR ? "IOERR" : st == VIRTIO_BLK_S_OK ? "OK" : "other");

	vreg_write(&dev, VMMIO_STATUS, 0);
	printf("blk: reset, status %u\n", vreg_read(&dev, VMMIO_STATUS));
	return 0;
}
