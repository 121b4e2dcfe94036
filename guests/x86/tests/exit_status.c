/*
 * exit_status: the run's verdict travels through isa-debug-exit: main's
 * return value v is written to port 0xf4 and the VMM exits with status
 * (v << 1) | 1 — 0x21 here, so 67.
 */
#include "x86.h"

int main(struct hvm_start_info *si);
int main(struct hvm_start_info *si)
{
	printf("exiting with 0x21\n");
	return 0x21;
}
