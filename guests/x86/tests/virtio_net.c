/*
 * virtio_net: two virtio-net devices on virtio-mmio (modern interface)
 * joined by a loopback link (tests/virtio_net.devices: one netdev listens
 * on a TCP port, the other connects to it, QEMU's stream framing).
 *
 * The guest finds both devices, negotiates VIRTIO_F_VERSION_1 and MAC,
 * prints each MAC from config space, posts receive buffers on the
 * listening side (MAC ...:01), sends one Ethernet frame from the
 * connecting side (MAC ...:02; its stream exists from start-up, while
 * the listening side accepts when the VMM gets to it) and waits for the
 * frame to arrive on the other device.  The send is retried a few times in
 * case the link is not up yet; only the first arrival is printed.
 */
#include "x86.h"
#include "virtio.h"

#define VIRTIO_NET_F_MAC 5
#define NET_HDR 12 /* struct virtio_net_hdr with num_buffers (VERSION_1) */
#define RXQ 0
#define TXQ 1
#define RX_BUFS 4
#define RX_LEN (NET_HDR + 1514)

struct nic {
	struct virtio_dev dev;
	struct virtq rx __attribute__((aligned(4096)));
	struct virtq tx __attribute__((aligned(4096)));
	uint8_t mac[6];
};

static struct nic nics[2] __attribute__((aligned(4096)));
static uint8_t rxbuf[RX_BUFS][RX_LEN];
static uint8_t txbuf[NET_HDR + 60];
static const char payload[] = "ngkvm virtio-net loopback frame";

static void print_mac(const uint8_t *m)
{
	printf("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static int nic_up(struct nic *n)
{
	int r = virtio_init(&n->dev, 1ull << VIRTIO_NET_F_MAC);
	if (r) {
		printf("net: init failed at step %d\n", -r);
		return -1;
	}
	if (!(n->dev.features & (1ull << VIRTIO_NET_F_MAC))) {
		printf("net: the device offers no MAC\n");
		return -1;
	}
	for (unsigned i = 0; i < 6; i++)
		n->mac[i] = mmio_read8(n->dev.base + VMMIO_CONFIG + i);
	if ((r = virtq_setup(&n->dev, &n->rx, RXQ)) || (r = virtq_setup(&n->dev, &n->tx, TXQ))) {
		printf("net: queue setup failed at step %d\n", -r);
		return -1;
	}
	virtio_driver_ok(&n->dev);
	return 0;
}

int main(struct hvm_start_info *si);
int main(struct hvm_start_info *si)
{
	for (unsigned i = 0; i < 2; i++) {
		if (!virtio_find(&nics[i].dev, (const char *)si->cmdline_paddr, VIRTIO_ID_NET, i)) {
			printf("net: virtio-net device %u not found\n", i);
			return 1;
		}
		if (nic_up(&nics[i]))
			return 2;
	}
	/* Transport order differs between machines; order by MAC instead. */
	struct nic *by_mac[2] = { &nics[0], &nics[1] };
	if (nics[0].mac[5] > nics[1].mac[5]) {
		by_mac[0] = &nics[1];
		by_mac[1] = &nics[0];
	}
	struct nic *rx = by_mac[0], *tx = by_mac[1];
	for (unsigned i = 0; i < 2; i++) {
		struct nic *n = by_mac[i];
		printf("net: device %u: virtio-mmio version %u, features VERSION_1 %u MAC %u, mac ", i,
		       vreg_read(&n->dev, VMMIO_VERSION), (unsigned)(n->dev.features >> VIRTIO_F_VERSION_1) & 1,
		       (unsigned)(n->dev.features >> VIRTIO_NET_F_MAC) & 1);
		print_mac(n->mac);
		printf("\n");
		virtio_print_where(i ? "net: device 1" : "net: device 0", &n->dev);
	}

	for (unsigned i = 0; i < RX_BUFS; i++) {
		struct vbuf b = { rxbuf[i], RX_LEN, 1 };
		virtq_post(&rx->dev, &rx->rx, (uint16_t)i, &b, 1, i + 1 == RX_BUFS);
	}

	/* Broadcast frame from the sender's MAC, local experimental EtherType 0x88b5. */
	memset(txbuf, 0, sizeof(txbuf));
	uint8_t *f = txbuf + NET_HDR;
	memset(f, 0xff, 6);
	memcpy(f + 6, tx->mac, 6);
	f[12] = 0x88;
	f[13] = 0xb5;
	memcpy(f + 14, payload, sizeof(payload));

	struct vring_used_elem e;
	unsigned sent = 0;
	int got = 0;
	for (unsigned attempt = 0; attempt < 10 && !got; attempt++) {
		struct vbuf b = { txbuf, sizeof(txbuf), 0 };
		virtq_post(&tx->dev, &tx->tx, 0, &b, 1, 1);
		if (!virtq_wait(&tx->dev, &tx->tx, &e, 10000000ul)) {
			printf("net: transmit not completed\n");
			return 3;
		}
		if (sent++ == 0)
			printf("net: device 1 sent a %u-byte frame (descriptor %u returned)\n", (unsigned)sizeof(txbuf) - NET_HDR, e.id);
		got = virtq_wait(&rx->dev, &rx->rx, &e, 2000000ul);
	}
	if (!got) {
		printf("net: nothing received\n");
		return 4;
	}
	const uint8_t *r = rxbuf[e.id % RX_BUFS] + NET_HDR;
	unsigned flen = e.len - NET_HDR;
	int same = flen >= 14 + sizeof(payload) && fnv1a(r, 14 + sizeof(payload)) == fnv1a(f, 14 + sizeof(payload));
	printf("net: device 0 received %u bytes (header %u + frame %u), from ", e.len, NET_HDR, flen);
	print_mac(r + 6);
	printf(", type %02x%02x, %s\n", r[12], r[13], same ? "frame matches" : "FRAME DIFFERS");
	printf("net: \"%s\"\n", same ? (const char *)(r + 14) : "");
	for (unsigned i = 0; i < 2; i++)
		vreg_write(&nics[i].dev, VMMIO_STATUS, 0);
	return 0;
}
