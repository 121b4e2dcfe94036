#include "test.h"

static exc_hook_t hooks[IVOR_COUNT];
volatile struct exc_frame exc_last;
volatile unsigned exc_count;

/* Filled in by call_with_msr (crt0.S). */
uint32_t cwm_saved_sp, cwm_saved_msr, cwm_active;
extern char cwm_resume[], cwm_trampoline[];

/* Nesting depth per class: a handler that faults would otherwise silently
 * overwrite the frame it is running on. */
static unsigned depth[4];

static unsigned vec_class(unsigned v)
{
	switch (v) {
	case IVOR_CRITICAL:
	case IVOR_WDT:
	case IVOR_CDOORBELL:
		return 1;
	case IVOR_DEBUG:
		return 2;
	case IVOR_MCHECK:
		return 3;
	default:
		return 0;
	}
}

exc_hook_t exc_set_hook(unsigned ivor, exc_hook_t hook)
{
	exc_hook_t old = 0;
	if (ivor < IVOR_COUNT) {
		old = hooks[ivor];
		hooks[ivor] = hook;
	}
	return old;
}

void exc_clear(void)
{
	exc_count = 0;
	memset((void *)&exc_last, 0, sizeof(exc_last));
	exc_last.vec = ~0u;
}

void exc_record(struct exc_frame *f)
{
	memcpy((void *)&exc_last, f, sizeof(*f));
	exc_count++;
}

void exc_record_skip(struct exc_frame *f)
{
	exc_record(f);
	f->pc += 4;
}

static void unexpected(struct exc_frame *f, const char *why)
{
	printf("UNEXPECTED %s: ivor=%u pc=%08x msr=%08x esr=%08x dear=%08x"
	       " lr=%08x\n", why, f->vec, f->pc, f->msr & ~SRR1_QEMU_JUNK,
	       f->esr, f->dear, f->lr);
	reset();
}

void exc_dispatch(struct exc_frame *f)
{
	unsigned cls = vec_class(f->vec);

	if (depth[cls]++ != 0)
		unexpected(f, "nested interrupt");

	if (f->vec == IVOR_SYSCALL && f->gpr[0] == SC_RETURN_MAGIC &&
	    cwm_active && f->pc == (uint32_t)cwm_trampoline + 8) {
		/* End of call_with_msr(): back to the caller's context. */
		cwm_active = 0;
		f->pc = (uint32_t)cwm_resume;
		f->msr = cwm_saved_msr;
		f->gpr[1] = cwm_saved_sp;
	} else if (f->vec < IVOR_COUNT && hooks[f->vec]) {
		hooks[f->vec](f);
	} else {
		unexpected(f, "interrupt");
	}
	depth[cls]--;
}
