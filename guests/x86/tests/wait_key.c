/*
 * wait_key: a guest that stops at a stable point for the monitor tests
 * (test/guests/monitor-x86.test.ts): it fills a buffer with a known
 * pattern, prints where the buffer is, then waits for a byte on COM1
 * (polling the line status register, so the machine sits in one loop and
 * memory does not change while a monitor looks at it).  The byte it
 * receives becomes its exit code.
 */
#include "x86.h"

uint8_t monitor_pattern[64] __attribute__((aligned(16)));

int main(struct hvm_start_info *si);
int main(struct hvm_start_info *si)
{
	for (unsigned i = 0; i < sizeof monitor_pattern; i++)
		monitor_pattern[i] = (uint8_t)(0xa0 + i);
	/* 32 bits of text, to check character and little-endian dumps alike. */
	memcpy(monitor_pattern + 48, "ngkvm x86 dump!\n", 16);
	printf("pattern at %lx\n", (uint64_t)monitor_pattern);
	printf("waiting for a key\n");
	while (!(inb(COM1 + 5) & 1))
		;
	uint8_t key = inb(COM1);
	printf("got %x\n", key);
	return key & 0x7f;
}
