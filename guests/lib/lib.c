#include "test.h"

uint32_t boot_dtb;

int main(void);

void lib_start(uint32_t dtb)
{
	boot_dtb = dtb;
	exc_clear();
	main();
	reset();
}

void reset(void)
{
	/* RSTCR bit 0x2 = HRESET_REQ: QEMU resets the system (and exits
	 * with -no-reboot). */
	mmio_write32(GUTS_RSTCR_VA, 2);
	for (;;)
		;
}

/* The compiler may emit calls to these even with -ffreestanding. */
void *memset(void *d, int c, size_t n)
{
	volatile uint8_t *p = d;	/* volatile: stop gcc turning this
					 * loop back into a memset call */
	while (n--)
		*p++ = (uint8_t)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	volatile uint8_t *dp = d;
	const uint8_t *sp = s;
	while (n--)
		*dp++ = *sp++;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x < *y ? -1 : 1;
	return 0;
}
