#include "console.h"
#include "ppc.h"

#define UART_RBR 0
#define UART_THR 0
#define UART_LSR 5
#define LSR_DR   0x01
#define LSR_THRE 0x20

static inline uint8_t uart_rd(unsigned reg)
{
	uint8_t v = *(volatile uint8_t *)(UART0_VA + reg);
	msync();
	return v;
}

static inline void uart_wr(unsigned reg, uint8_t v)
{
	*(volatile uint8_t *)(UART0_VA + reg) = v;
	msync();
}

void putchar_(char c)
{
	while (!(uart_rd(UART_LSR) & LSR_THRE))
		;
	uart_wr(UART_THR, (uint8_t)c);
}

int getchar_nowait(void)
{
	if (!(uart_rd(UART_LSR) & LSR_DR))
		return -1;
	return uart_rd(UART_RBR);
}

int getchar_(void)
{
	int c;
	while ((c = getchar_nowait()) < 0)
		;
	return c;
}

void print(const char *s)
{
	while (*s)
		putchar_(*s++);
}

/* Digits of a 64-bit value, least significant first.  Division by the
 * base is done 16 bits at a time so that no libgcc helper is needed. */
static int digits64(uint64_t v, unsigned base, char *out, int upper)
{
	const char *dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	int n = 0;
	do {
		uint32_t parts[4] = {
			(uint32_t)(v >> 48), (uint32_t)(v >> 32) & 0xFFFF,
			(uint32_t)(v >> 16) & 0xFFFF, (uint32_t)v & 0xFFFF };
		uint32_t rem = 0;
		uint64_t q = 0;
		for (int i = 0; i < 4; i++) {
			uint32_t cur = (rem << 16) | parts[i];
			q = (q << 16) | (cur / base);
			rem = cur % base;
		}
		out[n++] = dig[rem];
		v = q;
	} while (v);
	return n;
}

/* neg: 0 = no sign, 1 = '-', 2 = '+' */
static void emit_num(uint64_t v, unsigned base, int neg, int width,
		     int zero, int left, int upper)
{
	char buf[24];
	int n = digits64(v, base, buf, upper);
	int len = n + (neg ? 1 : 0);
	int pad = width > len ? width - len : 0;

	if (!left && !zero)
		while (pad-- > 0)
			putchar_(' ');
	if (neg)
		putchar_(neg == 2 ? '+' : '-');
	if (!left && zero)
		while (pad-- > 0)
			putchar_('0');
	while (n > 0)
		putchar_(buf[--n]);
	if (left)
		while (pad-- > 0)
			putchar_(' ');
}

void put_hex32(uint32_t v) { emit_num(v, 16, 0, 8, 1, 0, 0); }
void put_hex64(uint64_t v) { emit_num(v, 16, 0, 16, 1, 0, 0); }
void put_udec64(uint64_t v) { emit_num(v, 10, 0, 0, 0, 0, 0); }

void put_dec(int32_t v)
{
	if (v < 0)
		emit_num((uint64_t)(-(int64_t)v), 10, 1, 0, 0, 0, 0);
	else
		emit_num((uint64_t)v, 10, 0, 0, 0, 0, 0);
}

void vprintf(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			putchar_(*fmt);
			continue;
		}
		fmt++;
		int zero = 0, left = 0, plus = 0, width = 0, lng = 0;
		for (;; fmt++) {
			if (*fmt == '0')
				zero = 1;
			else if (*fmt == '-')
				left = 1;
			else if (*fmt == '+')
				plus = 1;
			else
				break;
		}
		if (*fmt == '*') {
			width = va_arg(ap, int);
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l') {
			lng++;
			fmt++;
		}
		uint64_t v;
		switch (*fmt) {
		case '%':
			putchar_('%');
			break;
		case 'c':
			putchar_((char)va_arg(ap, int));
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			int len = 0;
			while (s[len])
				len++;
			if (!left)
				for (int i = len; i < width; i++)
					putchar_(' ');
			print(s);
			if (left)
				for (int i = len; i < width; i++)
					putchar_(' ');
			break;
		}
		case 'd':
		case 'i': {
			int64_t sv = lng >= 2 ? va_arg(ap, int64_t)
					      : va_arg(ap, int32_t);
			int neg = sv < 0 ? 1 : plus ? 2 : 0;
			v = sv < 0 ? (uint64_t)0 - (uint64_t)sv : (uint64_t)sv;
			emit_num(v, 10, neg, width, zero, left, 0);
			break;
		}
		case 'u':
		case 'x':
		case 'X':
			v = lng >= 2 ? va_arg(ap, uint64_t) : va_arg(ap, uint32_t);
			emit_num(v, *fmt == 'u' ? 10 : 16, 0, width, zero, left,
				 *fmt == 'X');
			break;
		case 'p':
			print("0x");
			emit_num(va_arg(ap, uint32_t), 16, 0, 8, 1, 0, 0);
			break;
		case 0:
			return;
		default:
			putchar_('%');
			putchar_(*fmt);
			break;
		}
	}
}

void printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}
