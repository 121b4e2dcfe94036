/*
 * The second UART (CCSR+0x4600).  QEMU's ppce500 only has it when a second
 * serial port is configured; without it the registers are unassigned and
 * read 0 (LSR without THRE is how the guest tells).  With it, the guest
 * greets on UART1 and echoes each line it receives there in upper case,
 * until a line "q" or a second without input.  UART0 carries the report.
 */
#include "test.h"

#define U1 (CCSR_VA + 0x4600)

static uint8_t rd(unsigned r)
{
	uint8_t v = *(volatile uint8_t *)(U1 + r);
	msync();
	return v;
}

static void wr(unsigned r, uint8_t v)
{
	*(volatile uint8_t *)(U1 + r) = v;
	msync();
}

static void put1(char c)
{
	while (!(rd(5) & 0x20))
		;
	wr(0, (uint8_t)c);
}

static void print1(const char *s)
{
	while (*s)
		put1(*s++);
}

/* Next byte from UART1, or -1 after a second (400 MHz time base) without one. */
static int get1(void)
{
	uint64_t start = read_tb();
	while (!(rd(5) & 0x01))
		if (read_tb() - start > 400000000ull)
			return -1;
	return rd(0);
}

int main(void)
{
	printf("== serial2 (%s)\n", CPU_NAME);
	uint8_t lsr = rd(5);
	printf("UART1 LSR %02x IIR %02x LCR %02x MCR %02x MSR %02x\n", lsr, rd(2), rd(3), rd(4), rd(6));
	if (!(lsr & 0x20)) {
		printf("UART1: absent\n");
		return 0;
	}
	wr(7, 0xa5);
	printf("UART1 scratch %02x, UART0 scratch %02x\n", rd(7), *(volatile uint8_t *)(UART0_VA + 7));
	wr(7, 0);
	print1("hello on UART1\r\n");
	char line[64];
	unsigned len = 0, lines = 0;
	for (;;) {
		int c = get1();
		if (c < 0) {
			printf("UART1: no more input after %u lines\n", lines);
			return 0;
		}
		if (c == '\r')
			continue;
		if (c != '\n') {
			if (len < sizeof line - 1)
				line[len++] = (char)c;
			continue;
		}
		line[len] = 0;
		lines++;
		if (len == 1 && line[0] == 'q') {
			print1("bye\r\n");
			printf("UART1: quit after %u lines\n", lines);
			return 0;
		}
		for (unsigned k = 0; k < len; k++)
			put1(line[k] >= 'a' && line[k] <= 'z' ? line[k] - 32 : line[k]);
		print1("\r\n");
		len = 0;
	}
}
