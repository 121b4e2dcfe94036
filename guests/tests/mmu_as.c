/*
 * Address spaces: one EA mapped to different pages in AS0 (TS = 0) and
 * AS1 (TS = 1).  Data accesses use MSR[DS], fetches MSR[IS], independently
 * (code may run in AS0 while data goes to AS1), entered with rfi
 * (call_with_msr).  A page mapped only in AS1 misses from AS0.
 */
#include "test.h"

#define X 0x64000000u	/* AS0 -> page 0, AS1 -> page 1 (data) */
#define C 0x64001000u	/* AS0 -> code "li r3,10", AS1 -> "li r3,11" */
#define Y 0x64002000u	/* only in AS1 */

static uint32_t pages[4][1024] __attribute__((aligned(4096)));

int main(void)
{
	printf("== mmu_as (%s)\n", CPU_NAME);
	pages[0][0] = 0xa5000000;
	pages[1][0] = 0xa5000001;
	probe_put_code(pages[2], 10);
	probe_put_code(pages[3], 11);

	/* Identity map of RAM in AS1 as well, so code/stack work there. */
	tlb1_map(5, 0, 0, TSIZE_64M, 0, MAS3_ALL, 0, 1, 0);
	tlb1_map(6, X, (uint32_t)pages[0], TSIZE_4K, 0, MAS3_ALL, 0, 0, 0);
	tlb1_map(7, X, (uint32_t)pages[1], TSIZE_4K, 0, MAS3_ALL, 0, 1, 0);
	tlb1_map(8, C, (uint32_t)pages[2], TSIZE_4K, 0, MAS3_ALL, 0, 0, 0);
	tlb1_map(9, C, (uint32_t)pages[3], TSIZE_4K, 0, MAS3_ALL, 0, 1, 0);
	tlb1_map(10, Y, (uint32_t)pages[1], TSIZE_4K, 0, MAS3_ALL, 0, 1, 0);

	static const struct {
		const char *name;
		uint32_t msr;
	} modes[] = {
		{ "sup IS=0 DS=0", 0 }, { "sup IS=0 DS=1", MSR_DS },
		{ "sup IS=1 DS=0", MSR_IS }, { "sup IS=1 DS=1", MSR_IS | MSR_DS },
		{ "usr IS=0 DS=0", MSR_PR }, { "usr IS=1 DS=1",
					       MSR_PR | MSR_IS | MSR_DS },
	};
	for (unsigned i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		uint32_t v = 0, r = 0, y = 0;
		/* (probe_read32 from supervisor with msr 0 runs in place) */
		uint32_t msr = modes[i].msr ? modes[i].msr : 0;
		unsigned ev = probe_read32(X, msr, &v);
		unsigned ex = probe_exec(C, msr, &r);
		unsigned ey = probe_read32(Y, msr, &y);
		printf("%s: X %c %08x, exec C %c %u, Y %c\n", modes[i].name,
		       probe_mark(ev, 'r'), v, probe_mark(ex, 'x'), r,
		       probe_mark(ey, 'r'));
	}

	/* Writes go to the AS selected by DS. */
	probe_write32(X + 4, MSR_DS, 0x11111111);
	probe_write32(X + 4, 0, 0x22222222);
	printf("AS1 write -> page1 %08x, AS0 write -> page0 %08x\n",
	       pages[1][1], pages[0][1]);

	for (unsigned e = 5; e <= 10; e++)
		tlb1_unmap(e);
	printf("== end\n");
	return 0;
}
