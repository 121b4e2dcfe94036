/*
 * mmio: loads and stores of every width (1, 2, 4, 8 bytes) to a
 * guest-physical address no RAM or device backs.  Such accesses exit to
 * the VMM as MMIO; both machines drop the writes and read zeros.  RAM
 * around the accesses must be untouched, and the values a load returns
 * must land in the right register whatever the width (a wrong merge of
 * the exit data into RAX shows as stale high bytes).
 */
#include "x86.h"

/* Above RAM (the tests run with 128 MiB) and below every device window. */
#define HOLE 0xc0000000ull

static uint64_t canary[2] = { 0x0123456789abcdefull, 0xfedcba9876543210ull };

int main(struct hvm_start_info *si);
int main(struct hvm_start_info *si)
{
	mmio_write8(HOLE, 0x11);
	mmio_write16(HOLE + 2, 0x2222);
	mmio_write32(HOLE + 4, 0x33333333);
	mmio_write64(HOLE + 8, 0x4444444444444444ull);
	printf("writes done\n");

	/* Start from all ones so a read that fills too few bytes shows. */
	uint64_t v8 = ~0ull, v16 = ~0ull, v32 = ~0ull, v64 = ~0ull;
	__asm__ volatile("movb (%1), %b0" : "+a"(v8) : "r"(HOLE) : "memory");
	__asm__ volatile("movw 2(%1), %w0" : "+a"(v16) : "r"(HOLE) : "memory");
	__asm__ volatile("movl 4(%1), %k0" : "+a"(v32) : "r"(HOLE) : "memory");
	__asm__ volatile("movq 8(%1), %0" : "+a"(v64) : "r"(HOLE) : "memory");
	printf("movb -> rax %lx\n", v8);
	printf("movw -> rax %lx\n", v16);
	printf("movl -> rax %lx (a 32-bit load zero-extends)\n", v32);
	printf("movq -> rax %lx\n", v64);

	/* Zero-/sign-extending loads and an unaligned one. */
	uint64_t zx, sx;
	__asm__ volatile("movzbq 1(%1), %0" : "=r"(zx) : "r"(HOLE) : "memory");
	__asm__ volatile("movswq 6(%1), %0" : "=r"(sx) : "r"(HOLE) : "memory");
	printf("movzb %lx movsw %lx unaligned movl %x\n", zx, sx, mmio_read32(HOLE + 0x101));

	/* A read-modify-write instruction on the hole. */
	__asm__ volatile("addl $5, (%0)" : : "r"(HOLE + 0x40) : "memory");
	printf("after addl: %x\n", mmio_read32(HOLE + 0x40));

	printf("canary %lx %lx\n", canary[0], canary[1]);
	return 0;
}
