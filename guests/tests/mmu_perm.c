/*
 * Every combination of the six permission bits (UX SX UW SW UR SR) of a
 * TLB entry, probed with a read, a write and an instruction fetch from
 * supervisor and from user mode.  Expected: supervisor uses SR/SW/SX,
 * user uses UR/UW/UX, each independently ('-' = DSI/ISI).
 */
#include "test.h"

#define WIN 0x20000000u
static uint32_t page[1024] __attribute__((aligned(4096)));

int main(void)
{
	printf("== mmu_perm (%s)\n", CPU_NAME);
	probe_put_code(&page[0x40], 0x77);
	page[0x80] = 0x5a5a5a5a;
	printf("perm UX SX UW SW UR SR : sup rwx  usr rwx\n");
	for (uint32_t p = 0; p < 64; p++) {
		tlb1_map(6, WIN, (uint32_t)page, TSIZE_4K, 0, p, 0, 0, 0);
		char m[2][3];
		for (int u = 0; u < 2; u++) {
			uint32_t msr = u ? MSR_PR : 0, v, r;
			m[u][0] = probe_mark(probe_read32(WIN + 0x200, msr, &v), 'r');
			m[u][1] = probe_mark(probe_write32(WIN + 0x204, msr, p), 'w');
			unsigned x = probe_exec(WIN + 0x100, msr, &r);
			m[u][2] = probe_mark(x, r == 0x77 ? 'x' : '?');
			if (m[u][0] == 'r' && v != 0x5a5a5a5a)
				m[u][0] = '?';
		}
		printf("  %02x  %c  %c  %c  %c  %c  %c  :     %c%c%c      %c%c%c\n",
		       p, p & 0x20 ? '1' : '.', p & 0x10 ? '1' : '.',
		       p & 0x08 ? '1' : '.', p & 0x04 ? '1' : '.',
		       p & 0x02 ? '1' : '.', p & 0x01 ? '1' : '.',
		       m[0][0], m[0][1], m[0][2], m[1][0], m[1][1], m[1][2]);
	}
	printf("last write landed: %08x\n", page[0x81]);
	tlb1_unmap(6);
	printf("== end\n");
	return 0;
}
