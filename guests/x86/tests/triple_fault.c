/*
 * triple_fault: an exception with no usable IDT (limit 0) becomes a
 * double fault, then a triple fault, which resets a PC.  With -no-reboot
 * the run ends there with status 0, the way QEMU ends it; nothing after
 * the ud2 may print.
 */
#include "x86.h"

int main(struct hvm_start_info *si);
int main(struct hvm_start_info *si)
{
	printf("loading an empty IDT and raising #UD\n");
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = { 0, 0 };
	__asm__ volatile("lidt %0; ud2" : : "m"(idtr));
	printf("still running after a triple fault\n");
	return 1;
}
