/*
 * Polled output (and input) on UART0 (ns16550 at CCSR+0x4500).
 * Every function prints exactly the bytes asked for: '\n' is not turned
 * into "\r\n", so outputs compare byte for byte.
 */
#ifndef CONSOLE_H
#define CONSOLE_H
#include <stdint.h>
#include <stdarg.h>

void putchar_(char c);
void print(const char *s);
void put_hex32(uint32_t v);		/* 8 digits, no prefix */
void put_hex64(uint64_t v);		/* 16 digits, no prefix */
void put_dec(int32_t v);
void put_udec64(uint64_t v);

/*
 * printf subset: %% %c %s %d %i %u %x %X %p, flags '0', '-' and '+', a field
 * width (number or '*'), and the length modifiers l (ignored: 32-bit)
 * and ll (64-bit d/u/x).
 */
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vprintf(const char *fmt, va_list ap);

/* Non-blocking read: returns -1 when no byte is waiting. */
int getchar_nowait(void);
/* Blocking read (polls LSR.DR). */
int getchar_(void);
#endif
