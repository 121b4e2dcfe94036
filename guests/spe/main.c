/*
 * SPE generator guest: runs every operation of the linked ops_*.S table over
 * operand sets chosen by its kind (ops.h) and prints one line per case.  The
 * output of QEMU is the oracle fixture for ngkvm (test/fixtures/spe/).  No
 * SPE or floating-point code in C: operands are raw bit images.
 *
 * Line format (hex without leading zeros; 64-bit images as hi_lo):
 *   <op> <inputs...> = <rD> [a=<ACC>] [f=<SPEFSCR>] [c=<CR>] [m=<bytes>]
 *        [T<ivor> <srr0 - stub> <esr> [<dear - buffer>]]
 * inputs: A, B, then d=<rD before> when the old rD can show through,
 * a=<ACC before> for accumulator kinds, c=<CR before> for evsel.  ACC, SPEFSCR
 * and CR are printed only when they differ from their values before the
 * case; SPEFSCR under PRINT_FMASK (see the Makefile per program).
 */
#include <stdint.h>
#include "ops.h"

typedef uint32_t u32;
typedef uint64_t u64;

#define CCSR_EA 0xe0000000u

#ifndef PRINT_FMASK
#define PRINT_FMASK 0xffffffffu
#endif

struct spe_case { u64 a, b, d, acc; u32 spefscr, cr, stub, flags; } __attribute__((aligned(8)));
struct op { const char *name; u32 stub; u32 kind; };
struct trap_rec { u32 ivor, srr0, esr, dear, count, resume; };

extern void run_case(struct spe_case *c);
extern char run_case_resume[];
extern const struct op __optab_start[], __optab_end[];
struct trap_rec trap_rec;

/* Load/store buffer: 8-aligned, with slack on both sides. */
uint8_t buf[96] __attribute__((aligned(8)));
#define BUF_BASE 32

/* ---------- console ---------- */
static void putch(char ch)
{
    volatile uint8_t *uart = (volatile uint8_t *)(CCSR_EA + 0x4500);
    while (!(uart[5] & 0x20))
        ;
    uart[0] = (uint8_t)ch;
}
static void puts_(const char *s) { while (*s) putch(*s++); }
static void putnum(u32 v)
{
    int d = 1;
    while (d < 8 && (v >> (4 * d)) != 0)
        d++;
    while (d-- > 0)
        putch("0123456789abcdef"[(v >> (4 * d)) & 0xf]);
}
static void put64(u64 v)
{
    putnum((u32)(v >> 32));
    putch('_');
    putnum((u32)v);
}

void guest_exit(void)
{
    *(volatile u32 *)(CCSR_EA + 0xe00b0) = 2; /* GUTS RSTCR: reset request */
    for (;;)
        ;
}

void unexpected_exception(u32 srr0, u32 srr1, u32 esr)
{
    puts_("\n!EXC srr0=");
    putnum(srr0);
    puts_(" srr1=");
    putnum(srr1);
    puts_(" esr=");
    putnum(esr);
    putch('\n');
    guest_exit();
}

/* ---------- PRNG ---------- */
static u64 rng = 0x9e3779b97f4a7c15ull;
static u32 rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (u32)(rng >> 16);
}
static u64 join(u32 hi, u32 lo) { return ((u64)hi << 32) | lo; }

/* ---------- operand tables ---------- */
static const u32 ints[] = {
    0, 1, 2, 3, 0x7fffffff, 0x80000000, 0x80000001, 0xffffffff,
    0xfffffffe, 0x7fff, 0x8000, 0xffff, 0x10000, 0xffff8000, 0x12345678, 0x9abcdef0,
    0x0f0f0f0f, 0xf0f0f0f0, 0x55555555, 0xaaaaaaaa, 31, 32, 33, 63,
    64, 0xdeadbeef, 0x00ff00ff, 0x40000000, 0xc0000000, 0x80008000, 0x7fff7fff, 0x00018001,
};
#define NINTS (sizeof ints / sizeof ints[0])

/* Normal singles with exponents in [-20, 24]: no sum, product or quotient of
 * two of them overflows or underflows. */
static const u32 floats[] = {
    0x3f800000, 0xbf800000, 0x3f000000, 0x40000000, 0x40400000, 0xc0400000, 0x3dcccccd, 0x3eaaaaab,
    0x42c80000, 0xc0e80000, 0x49742400, 0x4b800000, 0x4b7fffff, 0x40490fdb, 0x402df854, 0x3727c5ac,
    0xb727c5ac, 0x00000000, 0x80000000, 0x3fc00000, 0x3f7fffff, 0x3f800001, 0x4640e6b7, 0xbf400000,
    0x49800000, 0x35800000, 0x47c35000, 0xc6fffe00,
};
#define NFLOATS (sizeof floats / sizeof floats[0])

/* Singles for conversions to integer: ties, range limits, out of range. */
static const u32 f2i[] = {
    0x00000000, 0x80000000, 0x3f000000, 0xbf000000, 0x3fc00000, 0xbfc00000, 0x40200000, 0xc0200000,
    0x3f333333, 0xbf333333, 0x4f000000, 0xcf000000, 0x4effffff, 0xceffffff, 0x4f7fffff, 0x4f800000,
    0x4f32d05e, 0xcf32d05e, 0x5f000000, 0x3e800000, 0x3f7fffff, 0x3f400000, 0x40490fdb, 0x49742400,
    0x3f800000, 0xbf800000, 0x33800000, 0x3e000001,
};
#define NF2I (sizeof f2i / sizeof f2i[0])

/* Normal doubles with exponents in [-40, 52]. */
static const u64 doubles[] = {
    0x3ff0000000000000ull, 0xbff0000000000000ull, 0x3fe0000000000000ull, 0x4008000000000000ull,
    0x3fb999999999999aull, 0x3fd5555555555555ull, 0x4059000000000000ull, 0xc01d000000000000ull,
    0x412e848000000000ull, 0x4340000000000000ull, 0x433fffffffffffffull, 0x400921fb54442d18ull,
    0x4005bf0a8b145769ull, 0x3ee4f8b588e368f1ull, 0xbee4f8b588e368f1ull, 0x0000000000000000ull,
    0x8000000000000000ull, 0x3ff8000000000000ull, 0x3fefffffffffffffull, 0x3ff0000000000001ull,
    0x40c81cd6e631f8a1ull, 0xc1dfffffffc00000ull, 0x41dfffffffc00000ull, 0x3d70000000000000ull,
    0x3ff0000010000000ull, 0x3ff0000020000001ull, 0xc1e0000000000000ull, 0x47efffffe0000000ull,
};
#define NDOUBLES (sizeof doubles / sizeof doubles[0])

static const u64 d2i[] = {
    0x0000000000000000ull, 0x8000000000000000ull, 0x3fe0000000000000ull, 0xbfe0000000000000ull,
    0x3ff8000000000000ull, 0xbff8000000000000ull, 0x4004000000000000ull, 0xc004000000000000ull,
    0x3fe6666666666666ull, 0xbfe6666666666666ull, 0x41e0000000000000ull, 0xc1e0000000000000ull,
    0x41dfffffffc00000ull, 0xc1dfffffffc00000ull, 0x41efffffffe00000ull, 0x41f0000000000000ull,
    0x41e65a0bc0000000ull, 0xc1e65a0bc0000000ull, 0x43e0000000000000ull, 0x3fd0000000000000ull,
    0x3fefffffffffffffull, 0x3fe8000000000000ull, 0x400921fb54442d18ull, 0x41dfffffffe00000ull,
    0x41efffffffffffffull, 0x41effffffff00000ull, 0x3e70000000000000ull, 0x43dfffffffffffffull,
};
#define ND2I (sizeof d2i / sizeof d2i[0])

static u32 pick_int(void) { return (rnd() & 3) == 0 ? rnd() : ints[rnd() % NINTS]; }
static u32 pick_float(void)
{
    if ((rnd() & 3) != 0)
        return floats[rnd() % NFLOATS];
    /* random normal with exponent in [-20, 20] */
    return (rnd() & 0x80000000u) | ((107 + rnd() % 41) << 23) | (rnd() & 0x7fffff);
}
static u64 pick_double(void)
{
    if ((rnd() & 3) != 0)
        return doubles[rnd() % NDOUBLES];
    return join((rnd() & 0x80000000u) | ((983 + rnd() % 81) << 20) | (rnd() & 0xfffff), rnd());
}

/* struct copies compile to memcpy calls */
void *memcpy(void *dst, const void *src, unsigned long n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}

/* ---------- running and printing ---------- */
static const struct op *cur;
static struct spe_case in, out;

static void run(void)
{
    out = in;
    out.stub = cur->stub;
    trap_rec.count = 0;
    trap_rec.resume = (u32)run_case_resume;
    run_case(&out);
}


static void report(int show_d0, int show_acc0, int show_cr0, int mem)
{
    puts_(cur->name);
    putch(' ');
    put64(in.a);
    putch(' ');
    put64(in.b);
    if (show_d0) { puts_(" d="); put64(in.d); }
    if (show_acc0) { puts_(" a="); put64(in.acc); }
    if (show_cr0) { puts_(" c="); putnum(in.cr); }
    if (in.spefscr) { puts_(" f="); putnum(in.spefscr); }
    puts_(" = ");
    put64(out.d);
    if (out.acc != in.acc) { puts_(" a="); put64(out.acc); }
    if ((out.spefscr ^ in.spefscr) & PRINT_FMASK) { puts_(" f="); putnum(out.spefscr & PRINT_FMASK); }
    if (out.cr != in.cr) { puts_(" c="); putnum(out.cr); }
    if (mem) {
        puts_(" m=");
        for (int i = 0; i < 48; i++)
            putnum(buf[BUF_BASE - 8 + i] >> 4), putnum(buf[BUF_BASE - 8 + i] & 15);
    }
    if (trap_rec.count) {
        puts_(" T");
        putnum(trap_rec.ivor);
        putch(' ');
        putnum(trap_rec.srr0 - cur->stub);
        putch(' ');
        putnum(trap_rec.esr);
        if (trap_rec.ivor == 5) { putch(' '); putnum(trap_rec.dear - (u32)buf); }
    }
    putch('\n');
}

static void fill_buf(void)
{
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(i * 0x1d + 0x83);
}

static void case_int(int n, int unary)
{
    for (int i = 0; i < n; i++) {
        in.a = join(pick_int(), pick_int());
        in.b = unary ? 0 : join(pick_int(), pick_int());
        in.d = join(0x5eed0000u | i, 0xd0d0d0d0u);
        run();
        report(0, 0, 0, 0);
    }
}

static void case_ls(u32 kind, int store)
{
    u32 align = kind >> 8;
    for (u32 off = 0; off <= 16; off += align) {
        fill_buf();
        in.a = join(rnd(), (u32)buf + BUF_BASE - 8 + (off & ~7u));
        in.b = join(rnd(), off & 7u);
        in.d = join(rnd(), rnd());
        run();
        report(store, 0, 0, store);
    }
}

static void gen(u32 kind)
{
    int i;
    in.acc = 0;
    in.spefscr = 0;
    in.cr = 0;
    in.flags = 0;
    switch (kind & 0xff) {
    case K_I1:
        case_int(24, 1);
        break;
    case K_I2:
    case K_CMP:
        case_int(40, 0);
        break;
    case K_SEL:
        for (i = 0; i < 16; i++) {
            in.a = join(rnd(), rnd());
            in.b = join(rnd(), rnd());
            in.cr = rnd();
            run();
            report(0, 0, 1, 0);
        }
        break;
    case K_ACC:
        for (i = 0; i < 32; i++) {
            in.a = join(pick_int(), pick_int());
            in.b = join(pick_int(), pick_int());
            in.acc = join(pick_int(), pick_int());
            in.d = join(rnd(), rnd());
            run();
            report(0, 1, 0, 0);
        }
        break;
    case K_BRINC: {
        static const u32 masks[] = { 0, 1, 7, 0xff, 0x3ff, 0xfff, 0x7fff, 0xffff, 0xffffffff };
        for (i = 0; i < 27; i++) {
            in.a = join(rnd(), i < 9 ? rnd() & masks[i % 9] : rnd());
            in.b = join(rnd(), i < 18 ? masks[i % 9] : rnd());
            in.d = join(rnd(), rnd());
            run();
            report(1, 0, 0, 0);
        }
        break;
    }
    case K_LD:
        case_ls(kind, 0);
        break;
    case K_ST:
        case_ls(kind, 1);
        break;
    case K_FS1:
        for (i = 0; i < 24; i++) {
            in.a = join(pick_float(), pick_float());
            in.b = 0;
            in.d = join(0x5eed0000u | i, 0xd0d0d0d0u);
            run();
            report(0, 0, 0, 0);
        }
        break;
    case K_FS2:
    case K_FSCMP:
        for (i = 0; i < 48; i++) {
            in.a = join(pick_float(), pick_float());
            in.b = i < 4 ? in.a : join(pick_float(), pick_float());
            /* NZ: no zero divisors (division by zero is an e500 special case) */
            if ((kind & NZ) && ((in.b & 0x7fffffff) == 0 || (in.b >> 32 & 0x7fffffff) == 0))
                in.b = join(0x40400000, 0xbf400000);
            in.d = join(0x5eed0000u | i, 0xd0d0d0d0u);
            run();
            report(0, 0, 0, 0);
        }
        break;
    case K_FSCI:
    case K_FSCF:
    case K_FDCI:
    case K_FDCF:
        for (i = 0; i < 32; i++) {
            in.a = 0;
            in.b = join(pick_int(), pick_int());
            in.d = join(0x5eed0000u | i, 0xd0d0d0d0u);
            run();
            report(0, 0, 0, 0);
        }
        break;
    case K_FSTI:
        for (i = 0; i < (int)NF2I + 8; i++) {
            in.a = 0;
            in.b = i < (int)NF2I ? join(f2i[(i + 5) % NF2I], f2i[i]) : join(pick_float(), pick_float());
            in.d = join(0x5eed0000u | i, 0xd0d0d0d0u);
            run();
            report(0, 0, 0, 0);
        }
        break;
    case K_FD1:
        for (i = 0; i < 24; i++) {
            in.a = pick_double();
            in.b = 0;
            in.d = join(0x5eed0000u | i, 0xd0d0d0d0u);
            run();
            report(0, 0, 0, 0);
        }
        break;
    case K_FD2:
    case K_FDCMP:
        for (i = 0; i < 48; i++) {
            in.a = pick_double();
            in.b = i < 4 ? in.a : pick_double();
            if ((kind & NZ) && (in.b << 1) == 0)
                in.b = 0xc008000000000000ull;
            in.d = join(0x5eed0000u | i, 0xd0d0d0d0u);
            run();
            report(0, 0, 0, 0);
        }
        break;
    case K_FDTI:
    case K_FDTI64:
        for (i = 0; i < (int)ND2I + 8; i++) {
            in.a = 0;
            in.b = i < (int)ND2I ? d2i[i] : pick_double();
            in.d = join(0x5eed0000u | i, 0xd0d0d0d0u);
            run();
            report(0, 0, 0, 0);
        }
        break;
    case K_FDCI64:
        for (i = 0; i < 32; i++) {
            in.a = 0;
            in.b = i < 16 ? join(i & 1 ? 0xffffffffu : 0, pick_int()) : join(pick_int(), pick_int());
            in.d = join(0x5eed0000u | i, 0xd0d0d0d0u);
            run();
            report(0, 0, 0, 0);
        }
        break;
    case K_FDCS:
        for (i = 0; i < 32; i++) {
            in.a = 0;
            in.b = join(rnd(), pick_float());
            in.d = join(0x5eed0000u | i, 0xd0d0d0d0u);
            run();
            report(0, 0, 0, 0);
        }
        break;
    case K_FSCD:
        for (i = 0; i < 32; i++) {
            in.a = 0;
            /* doubles whose single rounding stays normal */
            in.b = i < 8 ? doubles[i] : join((rnd() & 0x80000000u) | ((1003 + rnd() % 41) << 20) | (rnd() & 0xfffff), rnd());
            in.d = join(0x5eed0000u | i, 0xd0d0d0d0u);
            run();
            report(1, 0, 0, 0);
        }
        break;
    case K_SPEU:
    case K_SPEU_F:
        for (i = 0; i < 2; i++) {
            int f = (kind & 0xff) == K_SPEU_F;
            in.flags = 1;
            in.a = join(pick_int(), f ? pick_float() : pick_int());
            in.b = join(pick_int(), f ? pick_float() : pick_int());
            in.d = join(0x5eed0000u | i, 0xd0d0d0d0u);
            run();
            report(1, 0, 0, 0);
        }
        break;
    case K_SPEU_LD:
        fill_buf();
        in.flags = 1;
        in.a = join(0, (u32)buf + BUF_BASE);
        in.b = 0;
        in.d = join(0x5eed0000u, 0xd0d0d0d0u);
        run();
        report(1, 0, 0, 1);
        break;
    case K_SPR: {
        static const u32 vals[] = { 0, 0xffffffff, 0x00000001, 0x00000002, 0x00000003, 0x80000000,
                                    0x00008000, 0x00200000, 0x0000007c, 0x12345678 };
        for (i = 0; i < (int)(sizeof vals / sizeof vals[0]); i++) {
            in.spefscr = vals[i];
            in.a = in.b = 0;
            in.d = join(0x5eed0000u | i, 0xd0d0d0d0u);
            run();
            report(0, 0, 0, 0);
        }
        break;
    }
    case K_RAW:
        /* the stub sets up its own operands */
        in.a = in.b = 0;
        in.d = join(0x5eed0000u, 0xd0d0d0d0u);
        run();
        report(0, 0, 0, 0);
        break;
    default:
        puts_("!unknown kind\n");
        break;
    }
}

int main(void)
{
    puts_("# spe " PROGRAM "\n");
    for (cur = __optab_start; cur < __optab_end; cur++)
        gen(cur->kind);
    puts_("# end\n");
    return 0;
}
