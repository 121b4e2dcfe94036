/*
 * Demo guest for `npm start`: a banner with the core's PVR, then a line
 * editor that echoes each finished line.  A line holding just "q" resets
 * the machine (which ends QEMU/ngkvm under --no-reboot).  Works both on an
 * interactive terminal (raw mode: Enter sends '\r') and with piped stdin
 * ('\n'); "\r\n" counts as one line end.
 */
#include "test.h"

static const char *core_name(uint32_t pvr)
{
	switch (pvr >> 16) {
	case 0x8020: return "e500v1";
	case 0x8021: return "e500v2";
	case 0x8023: return "e500mc";
	case 0x8024: return "e5500";
	default: return "unknown core";
	}
}

int main(void)
{
	uint32_t pvr = mfspr(SPR_PVR);
	char line[128];
	unsigned len = 0;
	int last_cr = 0;

	printf("\r\nHello from a bare-metal guest on ppce500!\r\n");
	printf("Core: %s, PVR %08x (rev %u.%u), PIR %u\r\n", core_name(pvr),
	       pvr, (pvr >> 4) & 0xF, pvr & 0xF, mfspr(SPR_PIR));
	printf("Type a line and press Enter; a line with just 'q' quits.\r\n");
	print("> ");

	for (;;) {
		int c = getchar_();

		if (c == '\n' && last_cr) {	/* second half of "\r\n" */
			last_cr = 0;
			continue;
		}
		last_cr = (c == '\r');
		if (c == '\r' || c == '\n') {
			line[len] = 0;
			printf("\r\nyou typed: \"%s\" (%u chars)\r\n", line, len);
			if (len == 1 && line[0] == 'q') {
				printf("bye\r\n");
				return 0;
			}
			len = 0;
			print("> ");
		} else if (c == 0x7F || c == 0x08) {	/* backspace */
			if (len) {
				len--;
				print("\b \b");
			}
		} else if (c >= 0x20 && c < 0x7F && len < sizeof(line) - 1) {
			line[len++] = (char)c;
			putchar_((char)c);	/* the terminal is in raw mode */
		}
	}
}
