/*
 * The x86 guest library.  Kept small and free of anything PVM cannot
 * emulate at CPL0 (no x87/SSE, no int $n): every line here runs at CPL0.
 */
#include <stdarg.h>
#include "x86.h"

#define LSR 5
#define LSR_THRE 0x20

void putchar_(char c)
{
	if (c == '\n')
		putchar_('\r');
	while (!(inb(COM1 + LSR) & LSR_THRE))
		;
	outb(COM1, (uint8_t)c);
}

void print(const char *s)
{
	while (*s)
		putchar_(*s++);
}

void *memset(void *d, int c, size_t n)
{
	uint8_t *p = d;
	while (n--)
		*p++ = (uint8_t)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	uint8_t *p = d;
	const uint8_t *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

static void put_padded(const char *s, int len, int width, char pad)
{
	for (int i = len; i < width; i++)
		putchar_(pad);
	for (int i = 0; i < len; i++)
		putchar_(s[i]);
}

/* %[0][width][l|ll](d|u|x|X|c|s|p|%) */
void printf_(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			putchar_(*fmt);
			continue;
		}
		char pad = ' ';
		int width = 0, lng = 0;
		fmt++;
		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l') {
			lng++;
			fmt++;
		}
		char buf[24];
		int n = 0;
		uint64_t v;
		int neg = 0;
		switch (*fmt) {
		case 'd':
			if (lng) {
				int64_t s = va_arg(ap, int64_t);
				neg = s < 0;
				v = neg ? -(uint64_t)s : (uint64_t)s;
			} else {
				int s = va_arg(ap, int);
				neg = s < 0;
				v = neg ? -(uint64_t)(int64_t)s : (uint64_t)s;
			}
			goto decimal;
		case 'u':
			v = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
		decimal:
			do {
				buf[sizeof buf - 1 - n++] = (char)('0' + v % 10);
				v /= 10;
			} while (v);
			if (neg)
				buf[sizeof buf - 1 - n++] = '-';
			put_padded(buf + sizeof buf - n, n, width, pad);
			break;
		case 'p':
			lng = 1;
			pad = '0';
			width = 16;
			/* fall through */
		case 'x':
		case 'X': {
			const char *dig = *fmt == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
			v = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
			do {
				buf[sizeof buf - 1 - n++] = dig[v & 15];
				v >>= 4;
			} while (v);
			put_padded(buf + sizeof buf - n, n, width, pad);
			break;
		}
		case 'c':
			putchar_((char)va_arg(ap, int));
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			put_padded(s, (int)strlen(s), width, ' ');
			break;
		}
		case '%':
			putchar_('%');
			break;
		default:
			putchar_('?');
			break;
		}
	}
	va_end(ap);
}

void debug_exit(uint32_t code)
{
	outl(0xf4, code);
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* ---- CPU tables ------------------------------------------------------- */

struct idt_gate {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, zero;
} __attribute__((packed));

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3, iomap_base;
} __attribute__((packed));

extern uint64_t gdt[];
extern char trap_stubs[];
static struct idt_gate idt[256] __attribute__((aligned(16)));
static struct tss64 tss __attribute__((aligned(16)));
static trap_handler handlers[256];
/* CPL3 -> CPL0 transitions land here (TSS.RSP0), away from the kernel stack run_user returns to. */
static uint8_t trap_stack[8192] __attribute__((aligned(16)));
static uint8_t user_stack[16384] __attribute__((aligned(16)));

static void set_gate(unsigned v, unsigned dpl)
{
	uint64_t a = (uint64_t)(trap_stubs + 16 * v);
	idt[v] = (struct idt_gate){
		.off_lo = (uint16_t)a, .sel = SEL_KCODE, .ist = 0,
		.type = (uint8_t)(0x8e | (dpl << 5)), /* present, 64-bit interrupt gate */
		.off_mid = (uint16_t)(a >> 16), .off_hi = (uint32_t)(a >> 32), .zero = 0,
	};
}

void cpu_init(void)
{
	tss.rsp[0] = (uint64_t)(trap_stack + sizeof trap_stack);
	tss.iomap_base = sizeof tss; /* no I/O bitmap: CPL3 port access faults */
	uint64_t base = (uint64_t)&tss, limit = sizeof tss - 1;
	gdt[5] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
		 (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	gdt[6] = base >> 32;
	__asm__ volatile("ltr %w0" : : "r"(SEL_TSS));
	for (unsigned v = 0; v < 256; v++)
		set_gate(v, v == 3 ? 3 : 0);
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = { sizeof idt - 1, (uint64_t)idt };
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

void set_trap_handler(unsigned vector, trap_handler h)
{
	handlers[vector & 255] = h;
}

struct user_fault last_user_fault;
static int in_user;
long run_user_asm(long (*fn)(long), long arg, void *stack_top, long rflags);
void user_return(long value) __attribute__((noreturn));

static long run_user_flags(long (*fn)(long), long arg, long rflags)
{
	last_user_fault.faulted = 0;
	in_user = 1;
	long r = run_user_asm(fn, arg, user_stack + sizeof user_stack, rflags);
	in_user = 0;
	return r;
}

long run_user(long (*fn)(long), long arg)
{
	return run_user_flags(fn, arg, 0x002);
}

long run_user_irq(long (*fn)(long), long arg)
{
	return run_user_flags(fn, arg, 0x202);
}

void trap_dispatch(struct trap_frame *f);
void trap_dispatch(struct trap_frame *f)
{
	/* External interrupts (vectors 32 and up) taken at CPL3 are serviced and resumed. */
	if (in_user && (f->cs & 3) == 3 && !(f->vector >= 32 && handlers[f->vector])) {
		in_user = 0;
		if (f->vector == 3 && f->rip == (uint64_t)user_int3 + 1)
			user_return((long)f->rax);
		last_user_fault = (struct user_fault){ 1, f->vector, f->error, f->rip, read_cr2() };
		user_return(-1);
	}
	trap_handler h = handlers[f->vector & 255];
	if (h) {
		h(f);
		return;
	}
	printf("UNEXPECTED trap %lu error %lx at %lx cs %lx\n", f->vector, f->error, f->rip, f->cs);
	debug_exit(0x7f);
}

uint64_t *pde_for(uint64_t addr)
{
	extern uint64_t pd[];
	return &pd[addr >> 21];
}
