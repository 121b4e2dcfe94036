#include "test.h"
#include "probe.h"

/* Shared with the probe body, which may run in user mode or AS1: plain
 * globals in the identity-mapped image (user read/write). */
static volatile uint32_t p_ea, p_val;
static volatile unsigned p_kind, p_vec;

#define K_READ  0
#define K_WRITE 1
#define K_EXEC  2

static void probe_hook(struct exc_frame *f)
{
	p_vec = f->vec;
	if (f->vec == IVOR_ISI || f->vec == IVOR_ITLB)
		f->pc = f->lr;		/* the fetch failed: "return" */
	else
		f->pc += 4;		/* skip the faulting access */
}

static uint32_t probe_body(uint32_t unused)
{
	(void)unused;
	switch (p_kind) {
	case K_READ:
		p_val = *(volatile uint32_t *)p_ea;
		break;
	case K_WRITE:
		*(volatile uint32_t *)p_ea = p_val;
		break;
	default:
		p_val = ((uint32_t (*)(void))p_ea)();
		break;
	}
	return 0;
}

static unsigned run(unsigned kind, uint32_t ea, uint32_t msr)
{
	static const unsigned vecs[] = { IVOR_DSI, IVOR_ISI, IVOR_DTLB,
					 IVOR_ITLB, IVOR_ALIGN };
	exc_hook_t old[5];
	for (unsigned i = 0; i < 5; i++)
		old[i] = exc_set_hook(vecs[i], probe_hook);
	p_kind = kind;
	p_ea = ea;
	p_vec = 0;
	if (msr)
		call_with_msr(probe_body, 0, msr);
	else
		probe_body(0);
	for (unsigned i = 0; i < 5; i++)
		exc_set_hook(vecs[i], old[i]);
	return p_vec;
}

unsigned probe_read32(uint32_t ea, uint32_t msr, uint32_t *val)
{
	p_val = 0xdeadbeef;
	unsigned v = run(K_READ, ea, msr);
	if (val)
		*val = v ? 0xdeadbeef : p_val;
	return v;
}

unsigned probe_write32(uint32_t ea, uint32_t msr, uint32_t val)
{
	p_val = val;
	return run(K_WRITE, ea, msr);
}

unsigned probe_exec(uint32_t ea, uint32_t msr, uint32_t *ret)
{
	p_val = 0xdeadbeef;
	unsigned v = run(K_EXEC, ea, msr);
	if (ret)
		*ret = v ? 0xdeadbeef : p_val;
	return v;
}

char probe_mark(unsigned vec, char letter)
{
	switch (vec) {
	case 0:
		return letter;
	case IVOR_DSI:
	case IVOR_ISI:
		return '-';
	case IVOR_DTLB:
	case IVOR_ITLB:
		return '!';
	default:
		return '?';
	}
}

void probe_put_code(uint32_t *where, uint16_t n)
{
	where[0] = 0x38600000 | n;	/* li r3,n */
	where[1] = 0x4e800020;		/* blr */
	__asm__ __volatile__("dcbst 0,%0\n\tmsync\n\ticbi 0,%0\n\tisync"
			     : : "r"(where) : "memory");
}
