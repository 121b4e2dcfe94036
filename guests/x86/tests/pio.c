/*
 * pio: port I/O of every width and the string forms, against the one
 * port device both VMMs have with storage behind it: the 16550's scratch
 * register (SCR, 0x3ff) and its neighbours.  The UART decodes one byte
 * per port, so a 2- or 4-byte access is split into byte accesses of
 * consecutive ports (0x3fc MCR, 0x3fd LSR, 0x3fe MSR, 0x3ff SCR): what
 * comes back shows the split as much as the data path.  Ports with no
 * device read as all ones and ignore writes.
 */
#include "x86.h"

#define MCR 0x3fc
#define MSR 0x3fe
#define SCR 0x3ff
/* Nothing decodes this port on either machine. */
#define UNUSED_PORT 0x2f0

int main(struct hvm_start_info *si);
int main(struct hvm_start_info *si)
{
	outb(SCR, 0x5a);
	printf("outb/inb SCR: %x\n", inb(SCR));
	outb(SCR, 0xa5);
	printf("again: %x\n", inb(SCR));

	/* MSR is read-only: the low byte is dropped, the high byte lands in SCR. */
	outw(MSR, 0x3c00);
	printf("outw MSR|SCR <- 3c00: inw %x, inb SCR %x\n", inw(MSR), inb(SCR));

	/* MCR <- 0x08 (OUT2 only: no loopback), LSR/MSR ignore writes, SCR <- 0x77. */
	outl(MCR, 0x77000008);
	printf("outl MCR..SCR <- 77000008: inl %x\n", inl(MCR));

	static const uint8_t bytes[5] = { 0x11, 0x22, 0x33, 0x44, 0x55 };
	outsb(SCR, bytes, 5);
	printf("rep outsb x5: SCR %x\n", inb(SCR));
	uint8_t back[4] = { 0, 0, 0, 0 };
	insb(SCR, back, 4);
	printf("rep insb x4: %x %x %x %x\n", back[0], back[1], back[2], back[3]);

	static const uint16_t words[3] = { 0x0001, 0x0002, 0x6603 };
	outsw(MSR, words, 3);
	uint16_t wback[2] = { 0, 0 };
	insw(MSR, wback, 2);
	printf("rep outsw x3 / insw x2: %x %x\n", wback[0], wback[1]);

	static const uint32_t longs[2] = { 0x12000008, 0x99000008 };
	outsl(MCR, longs, 2);
	uint32_t lback[3] = { 0, 0, 0 };
	insl(MCR, lback, 3);
	printf("rep outsl x2 / insl x3: %x %x %x\n", lback[0], lback[1], lback[2]);

	outb(UNUSED_PORT, 1);
	outw(UNUSED_PORT, 2);
	outl(UNUSED_PORT, 3);
	printf("unused port: inb %x inw %x inl %x\n", inb(UNUSED_PORT), inw(UNUSED_PORT), inl(UNUSED_PORT));
	uint16_t unused[2] = { 0, 0 };
	insw(UNUSED_PORT, unused, 2);
	printf("unused port: rep insw %x %x\n", unused[0], unused[1]);
	return 0;
}
