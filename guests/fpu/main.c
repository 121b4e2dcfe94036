/*
 * FPU vector generator for the e500mc classic FPU.  Runs every operation in
 * ops.S over interesting operand bit patterns and FPSCR states and prints one
 * line per case group; the output is the oracle fixture for the TypeScript
 * FPU (test/fixtures/fpu/qemu-e500mc-vectors.txt).  No floating point is used
 * in C: operands are handled as raw bits and only ops.S touches the FPU.
 *
 * Line formats (all numbers hex unless noted):
 *   V <idx-dec> <bits64>                      operand table entry
 *   <op> <fpscr0> <modes> <A> <B> <C> (<res> <fpscr> <cr>)...
 *       one run per digit in <modes> with FPSCR set (mtfsf 0xff) to
 *       (fpscr0 & ~3) | digit.  Operand: '-' unused, '@n' table entry n,
 *       else a 64-bit image (or the 32-bit memory word of lfs).
 *       res: target FPR after ('S' = untouched sentinel), or the stored word
 *       for stores; fpscr: the 64-bit mffs image; cr: CR fields 0-2 as one
 *       12-bit number.  '=' repeats the previous run's value (for fpscr:
 *       equal apart from the RN bits).
 *       64-bit FPR images are written with their trailing zero digits
 *       dropped (pad on the right to 16 digits); every other number is
 *       plain hex without leading zeros.
 *   T <op> <fpscr0> <msr_or> <A> <B> <C> <ntraps> <srr0-stub> <esr> <srr1> <res> <fpscr> <cr>
 *   P <op> <ntraps> <esr> <res> <fpscr> <cr>  probe of an optional instruction
 */
#include <stdint.h>
#include "ops.h"

typedef uint32_t u32;
typedef uint64_t u64;

#define CCSR_EA 0xe0000000u
#define SENTINEL 0x5eed5eed5eed5eedull
#define MSR_FE (0x800u | 0x100u)

extern void run_case(const void *in, void *out, unsigned slot, unsigned msr_or);
extern char optable[];
extern char run_case_resume[];

struct trap_rec { u32 srr0, srr1, esr, count, resume; };
struct trap_rec trap_rec;

struct case_in { u64 a, b, c, t, fpscr; u32 mem32, pad; } __attribute__((aligned(8)));
struct case_out { u64 t, fpscr; u32 cr, st32; } __attribute__((aligned(8)));

/* ---------- console ---------- */
static void putch(char ch)
{
    volatile uint8_t *uart = (volatile uint8_t *)(CCSR_EA + 0x4500);
    while (!(uart[5] & 0x20))
        ;
    uart[0] = (uint8_t)ch;
}
static void puts_(const char *s) { while (*s) putch(*s++); }
static void puthex(u64 v, int digits)
{
    for (int i = digits - 1; i >= 0; i--)
        putch("0123456789abcdef"[(v >> (4 * i)) & 0xf]);
}
/* 64-bit register images print with trailing zero digits dropped (the
   reader pads on the right to 16 digits): binary32-derived values and
   specials end in long runs of zeros.  32-bit values drop leading zeros. */
static void putfpr(u64 v)
{
    int last = 0;
    for (int i = 15; i >= 0; i--)
        if ((v >> (4 * (15 - i))) & 0xf) { last = i; break; }
    for (int i = 0; i <= last; i++)
        putch("0123456789abcdef"[(v >> (4 * (15 - i))) & 0xf]);
}
static void putnum(u64 v)
{
    int digits = 1;
    while (digits < 16 && (v >> (4 * digits)) != 0)
        digits++;
    puthex(v, digits);
}
static void putdec(u32 v)
{
    char buf[12];
    int n = 0;
    do { buf[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n) putch(buf[--n]);
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
    puthex(srr0, 8);
    puts_(" srr1=");
    puthex(srr1, 8);
    puts_(" esr=");
    puthex(esr, 8);
    putch('\n');
    guest_exit();
}

/* ---------- PRNG ---------- */
static u64 rng_state = 0x9e3779b97f4a7c15ull;
static u64 rnd64(void)
{
    u64 x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    rng_state = x;
    return x;
}
static u32 rnd32(void) { return (u32)(rnd64() >> 32); }
static u32 rndn(u32 n) { return rnd32() % n; }

/* ---------- operand table ---------- */
static const u64 specials[] = {
    /* core set: crossed exhaustively for the two-operand ops */
    0x0000000000000000ull, 0x8000000000000000ull, 0x0000000000000001ull,
    0x800fffffffffffffull, 0x0010000000000000ull, 0x8010000000000000ull,
    0x7fefffffffffffffull, 0xffefffffffffffffull, 0x7ff0000000000000ull,
    0xfff0000000000000ull, 0x7ff8000000000000ull, 0xfffc0000000abcdeull,
    0x7ff0000000000001ull, 0xfff4000020000000ull, 0x3ff0000000000000ull,
    0xbff0000000000000ull, 0x4000000000000000ull, 0x3ff8000000000000ull,
    0x4008000000000000ull, 0x3fb999999999999aull, 0xbfd5555555555555ull,
    0x3ff0000000000001ull, 0x3ca0000000000000ull, 0xbc90000000000000ull,
    0x3ff0000010000000ull, 0x47efffffe0000000ull, 0x47effffff0000000ull,
    0xc7f0000000000000ull, 0x3810000000000000ull, 0x36a0000000000000ull,
    0xb690000000000000ull, 0x41dfffffffe00000ull, 0xc1e0000000000000ull,
    0x7fe0000000000000ull, 0x0020000000000000ull, 0x5fe0000000000000ull,
    0x2000000000000000ull, 0x4330000000000000ull,
    /* the rest */
    0x8000000000000001ull, 0x000fffffffffffffull, 0x0008000000000000ull,
    0x7ff7ffffffffffffull, 0x7fffffffffffffffull, 0xfff0000000000001ull,
    0x7ff00000e0000000ull, 0x7ff4000000000000ull, 0xfff8000000000001ull,
    0x3fefffffffffffffull, 0x3ff0000030000000ull, 0x3ff0000010000001ull,
    0x3ff000000fffffffull, 0x47efffffefffffffull, 0x47f0000000000000ull,
    0x380ffffff0000000ull, 0x380fffffe0000000ull, 0x3698000000000000ull,
    0x3680000000000000ull, 0x36a8000000000000ull, 0x41e0000000000000ull,
    0x41dfffffffc00000ull, 0xc1e0000000100000ull, 0xc1e0000000200000ull,
    0x41e0000000100000ull, 0x4340000000000000ull, 0x43e0000000000000ull,
    0x3fe0000000000000ull, 0xbfe0000000000000ull, 0x4004000000000000ull,
    0xc00c000000000000ull, 0x3fe8000000000000ull, 0x3fd0000000000000ull,
    0x7fdfffffffffffffull, 0x0010000000000001ull, 0x4010000000000000ull,
    0x3f50624dd2f1a9fcull, 0x4059000000000000ull, 0x3e80000000000000ull,
    0x3e70000000000000ull, 0x37f0000000000000ull, 0x3690000000000001ull,
    0x47e0000000000000ull, 0x4800000000000000ull, 0x3800000000000000ull,
    0xb80ffffff8000000ull, 0xc3e0000000000001ull, 0x3fdfffffffffffffull,
    0x000ffffffffffffeull, 0x3cb0000000000000ull, 0x7fe1234567890abcull,
};
#define N_SPECIALS ((u32)(sizeof(specials) / sizeof(specials[0])))
#define N_CORE 38u

#define N_RANDOM 96u
#define N_TABLE (N_SPECIALS + N_RANDOM)
static u64 table[N_TABLE];

static int table_index(u64 v)
{
    for (u32 i = 0; i < N_TABLE; i++)
        if (table[i] == v)
            return (int)i;
    return -1;
}

/* ---------- value generators (raw bits) ---------- */
static u64 mkd(u32 sign, u32 bexp, u64 frac)
{
    return ((u64)sign << 63) | ((u64)(bexp & 0x7ff) << 52) | (frac & 0xfffffffffffffull);
}
static u64 int_to_double(int64_t v)
{
    if (v == 0)
        return 0;
    u32 s = v < 0;
    u64 m = s ? (u64)0 - (u64)v : (u64)v;
    int e = 63 - __builtin_clzll(m); /* callers keep |v| < 2^53: exact */
    m <<= (52 - e);
    return mkd(s, (u32)(1023 + e), m);
}
static u64 frac_bits(void)
{
    /* Mix of full random, short and structured significands: short ones make
       exact results and exact ties common. */
    switch (rndn(5)) {
    case 0: return rnd64();
    case 1: return rnd64() << (40 + rndn(12));
    case 2: return rnd64() & ~0x1fffffffull; /* single-representable */
    case 3: return ~(rnd64() << (44 + rndn(8)));
    default: return (rnd64() & ~0x1fffffffull) | (rndn(2) ? 0x10000000ull : 0);
    }
}
static u64 gen_value(void)
{
    u32 s = rndn(2);
    switch (rndn(12)) {
    case 0: return rnd64();
    case 1: case 2: case 3:
        return mkd(s, 1023 - 20 + rndn(41), frac_bits());
    case 4: /* around single precision's range edges */
        return mkd(s, rndn(2) ? 1023 + 120 + rndn(12) : 1023 - 155 + rndn(35), frac_bits());
    case 5: /* double denormals / tiny normals */
        return mkd(s, rndn(3) ? 0 : 1 + rndn(60), frac_bits());
    case 6: /* huge */
        return mkd(s, 2046 - rndn(60), frac_bits());
    case 7: /* integers and half-integers around the int32 range */
        {
            int64_t k = (int64_t)(rnd64() >> (31 + rndn(33)));
            if (rndn(2)) k = -k;
            u64 d = int_to_double(k);
            if (rndn(2) && d) d -= (u64)1 << 52; /* halve: x.5 values */
            return d;
        }
    case 8:
        return mkd(s, 1 + rndn(2046), frac_bits());
    case 9: /* single denormal range */
        return mkd(s, 1023 - 150 + rndn(26), frac_bits());
    case 10:
        return table[rndn(N_SPECIALS)];
    default:
        return mkd(s, 1023 + rndn(3), frac_bits());
    }
}

/* ---------- running and printing ---------- */
enum { USE_A = 1, USE_B = 2, USE_C = 4, USE_MEM = 8, IS_STORE = 16 };

struct opdesc { const char *name; u32 slot; u32 uses; };

static struct case_in cin;
static struct case_out cout;

static void put_operand(u64 v, int used)
{
    putch(' ');
    if (!used) { putch('-'); return; }
    int idx = table_index(v);
    if (idx >= 0) { putch('@'); putdec((u32)idx); return; }
    putfpr(v);
}

static void run(u32 slot, u32 fpscr, u64 a, u64 b, u64 c, u32 mem)
{
    cin.a = a; cin.b = b; cin.c = c; cin.t = SENTINEL;
    cin.fpscr = fpscr; cin.mem32 = mem;
    cout.st32 = 0xdeadbeef;
    trap_rec.count = 0;
    trap_rec.resume = (u32)run_case_resume;
    run_case(&cin, &cout, slot, 0);
    if (trap_rec.count) {
        puts_("\n!TRAP in untrapped run slot=");
        putdec(slot);
        putch('\n');
        guest_exit();
    }
}

static void group(const struct opdesc *op, u32 fpscr0, const char *modes,
                  u64 a, u64 b, u64 c)
{
    u64 prev_res = 0, prev_fpscr = 0;
    u32 prev_cr = 0, prev_mode = 0;
    int first = 1;
    u32 mem = (u32)a;

    puts_(op->name);
    putch(' ');
    putnum(fpscr0);
    putch(' ');
    puts_(modes);
    if (op->uses & USE_MEM) { putch(' '); putnum(mem); }
    else put_operand(a, op->uses & USE_A);
    put_operand(b, op->uses & USE_B);
    put_operand(c, op->uses & USE_C);

    for (const char *m = modes; *m; m++) {
        u32 mode = (u32)(*m - '0');
        run(op->slot, (fpscr0 & ~3u) | mode, a, b, c, mem);
        u64 res = (op->uses & IS_STORE) ? cout.st32 : cout.t;
        u32 cr = (cout.cr >> 20) & 0xfff;
        putch(' ');
        if (!first && res == prev_res) putch('=');
        else if (!(op->uses & IS_STORE) && res == SENTINEL) putch('S');
        else if (op->uses & IS_STORE) putnum(res);
        else putfpr(res);
        putch(' ');
        if (!first && (cout.fpscr ^ prev_fpscr) == (u64)(mode ^ prev_mode)) putch('=');
        else putnum(cout.fpscr);
        putch(' ');
        if (!first && cr == prev_cr) putch('=');
        else putnum(cr);
        prev_res = res; prev_fpscr = cout.fpscr; prev_cr = cr; prev_mode = mode;
        first = 0;
    }
    putch('\n');
}

/* ---------- FPSCR start states ---------- */
static const u32 states[] = {
    0x00000000, /* clean */
    0x000000f8, /* every enable (MSR[FE0|FE1]=0, so nothing traps) */
    0x00000080, /* VE */
    0x00000040, /* OE */
    0x00000020, /* UE */
    0x00000010, /* ZE */
    0x00000008, /* XE */
    0x1ffff700, /* every sticky bit, FR, FI, FPRF, but FX clear */
    0x9ffff700, /* same with FX */
    0x00000004, /* NI */
    0x00060000, /* FR|FI only */
    0x9ffff7fc, /* everything */
    0x0001f000, /* FPRF all ones */
};
#define N_STATES ((u32)(sizeof(states) / sizeof(states[0])))

static char mode_buf[2];
static const char *one_mode(void)
{
    mode_buf[0] = (char)('0' + rndn(4));
    mode_buf[1] = 0;
    return mode_buf;
}

static u64 pick_special(void) { return table[rndn(N_SPECIALS)]; }
static u64 pick_any(void) { return rndn(3) ? gen_value() : table[rndn(N_TABLE)]; }

/* b related to a so that a+b/a-b/a*b/a/b hit interesting roundings */
static u64 related(u64 a)
{
    u32 ea = (u32)(a >> 52) & 0x7ff;
    u32 s = rndn(2);
    switch (rndn(8)) {
    case 0: return a ^ (rnd64() & 0xff); /* cancellation */
    case 1: return (a ^ (1ull << 63)) ^ (rnd64() & 0xfff);
    case 2: return mkd(s, ea > 53 ? ea - 53 : 0, rndn(2) ? 0 : rnd64() >> 50); /* double half-ulp ties */
    case 3: return mkd(s, ea > 24 ? ea - 24 : 0, rndn(2) ? 0 : rnd64() >> 40); /* single half-ulp ties */
    case 4: return mkd(s, ea > 25 ? ea - 25 + rndn(3) : 0, rnd64() & ~0xffffffffffull);
    case 5: return mkd(s, rndn(2047), frac_bits());
    case 6: return a + (rndn(2) ? 1 : (u64)-1);
    default: return gen_value();
    }
}

static u64 hw(u32 slot, u32 fpscr, u64 a, u64 b, u64 c)
{
    run(slot, fpscr, a, b, c, 0);
    return cout.t;
}

/* ---------- test sections ---------- */
static const struct opdesc binops[] = {
    { "fadd.", OP_FADD, USE_A | USE_B }, { "fadds.", OP_FADDS, USE_A | USE_B },
    { "fsub.", OP_FSUB, USE_A | USE_B }, { "fsubs.", OP_FSUBS, USE_A | USE_B },
    { "fmul.", OP_FMUL, USE_A | USE_C }, { "fmuls.", OP_FMULS, USE_A | USE_C },
    { "fdiv.", OP_FDIV, USE_A | USE_B }, { "fdivs.", OP_FDIVS, USE_A | USE_B },
};
static const struct opdesc fmaops[] = {
    { "fmadd.", OP_FMADD, USE_A | USE_B | USE_C }, { "fmadds.", OP_FMADDS, USE_A | USE_B | USE_C },
    { "fmsub.", OP_FMSUB, USE_A | USE_B | USE_C }, { "fmsubs.", OP_FMSUBS, USE_A | USE_B | USE_C },
    { "fnmadd.", OP_FNMADD, USE_A | USE_B | USE_C }, { "fnmadds.", OP_FNMADDS, USE_A | USE_B | USE_C },
    { "fnmsub.", OP_FNMSUB, USE_A | USE_B | USE_C }, { "fnmsubs.", OP_FNMSUBS, USE_A | USE_B | USE_C },
};
static const struct opdesc unops[] = {
    { "fres.", OP_FRES, USE_B }, { "frsqrte.", OP_FRSQRTE, USE_B },
    { "frsp.", OP_FRSP, USE_B }, { "fctiw.", OP_FCTIW, USE_B },
    { "fctiwz.", OP_FCTIWZ, USE_B }, { "fneg.", OP_FNEG, USE_B },
    { "fabs.", OP_FABS, USE_B }, { "fnabs.", OP_FNABS, USE_B },
    { "fmr.", OP_FMR, USE_B }, { "stfs", OP_STFS, USE_B | IS_STORE },
    { "stfiwx", OP_STFIWX, USE_B | IS_STORE },
};
static const struct opdesc cmpops[] = {
    { "fcmpu", OP_FCMPU, USE_A | USE_B }, { "fcmpo", OP_FCMPO, USE_A | USE_B },
};
static const struct opdesc op_fsel = { "fsel.", OP_FSEL, USE_A | USE_B | USE_C };
static const struct opdesc op_lfs = { "lfs", OP_LFS, USE_MEM };
static const struct opdesc nrops[] = {
    { "fadd", OP_FADD_NR, USE_A | USE_B }, { "fmadds", OP_FMADDS_NR, USE_A | USE_B | USE_C },
    { "fctiw", OP_FCTIW_NR, USE_B }, { "frsp", OP_FRSP_NR, USE_B },
    { "fdiv", OP_FDIV_NR, USE_A | USE_B }, { "mtfsf:ff", OP_MTFSF_NR, USE_A },
};

static void section_binary(void)
{
    for (u32 o = 0; o < 8; o++) {
        const struct opdesc *op = &binops[o];
        for (u32 i = 0; i < N_CORE; i++)
            for (u32 j = 0; j < N_CORE; j++)
                group(op, 0, "0123", specials[i], specials[j], specials[j]);
        for (u32 k = 0; k < 400; k++) {
            u64 a = pick_any();
            u64 b = rndn(3) ? related(a) : pick_any();
            if (rndn(2)) { u64 t = a; a = b; b = t; }
            group(op, 0, "0123", a, b, b);
        }
        for (u32 k = 0; k < 250; k++) {
            u64 a = rndn(2) ? pick_special() : pick_any();
            u64 b = rndn(2) ? pick_special() : related(a);
            group(op, states[1 + rndn(N_STATES - 1)], one_mode(), a, b, b);
        }
    }
}

static void section_fma(void)
{
    for (u32 o = 0; o < 8; o++) {
        const struct opdesc *op = &fmaops[o];
        int single = o & 1;
        for (u32 k = 0; k < 600; k++)
            group(op, 0, "0123", pick_special(), pick_special(), pick_special());
        for (u32 k = 0; k < 800; k++) {
            u64 a = pick_any(), c = pick_any(), b;
            switch (rndn(6)) {
            case 0: case 1: {
                /* b = -(a*c) rounded: the fused result is the product's
                   rounding error, which a double-rounded fma gets wrong. */
                u32 mode = rndn(4);
                b = hw(single && rndn(2) ? OP_FMULS : OP_FMUL, mode, a, 0, c) ^ (1ull << 63);
                if (rndn(2)) b += rndn(2) ? 1 : (u64)-1;
                if (rndn(3) == 0) b ^= 1ull << 63;
                break;
            }
            case 2: b = related(a); break;
            case 3: b = related(hw(OP_FMUL, 0, a, 0, c)); break;
            default: b = pick_any(); break;
            }
            group(op, 0, "0123", a, b, c);
        }
        for (u32 k = 0; k < 250; k++) {
            u64 a = rndn(2) ? pick_special() : pick_any();
            u64 c = rndn(2) ? pick_special() : pick_any();
            u64 b = rndn(2) ? pick_special() : related(hw(OP_FMUL, 0, a, 0, c));
            group(op, states[1 + rndn(N_STATES - 1)], one_mode(), a, b, c);
        }
    }
}

static void section_unary(void)
{
    for (u32 o = 0; o < sizeof(unops) / sizeof(unops[0]); o++) {
        const struct opdesc *op = &unops[o];
        /* fneg/fabs/fnabs/fmr and the stores never look at the FPSCR */
        u32 trivial = op->slot == OP_FNEG || op->slot == OP_FABS || op->slot == OP_FNABS ||
                      op->slot == OP_FMR || (op->uses & IS_STORE);
        for (u32 i = 0; i < N_TABLE; i++) {
            group(op, 0, "0123", 0, table[i], 0);
            for (u32 s = 0; s < (trivial ? 1u : 4u); s++)
                group(op, states[1 + rndn(N_STATES - 1)], one_mode(), 0, table[i], 0);
        }
        for (u32 k = 0; k < (trivial ? 300u : 700u); k++)
            group(op, 0, trivial ? one_mode() : "0123", 0, gen_value(), 0);
    }
    /* fsel: selection only depends on A; B/C are copied bit-exactly. */
    for (u32 i = 0; i < N_TABLE; i++)
        group(&op_fsel, states[rndn(N_STATES)], one_mode(), table[i], pick_any(), pick_any());
    /* lfs: every interesting single bit pattern class */
    static const u32 words[] = {
        0x00000000, 0x80000000, 0x00000001, 0x807fffff, 0x00400000, 0x00800000,
        0x80800000, 0x7f7fffff, 0xff7fffff, 0x7f800000, 0xff800000, 0x7fc00000,
        0xffc00001, 0x7f800001, 0xff800001, 0x7fbfffff, 0x7fffffff, 0x3f800000,
        0xbf800000, 0x3fffffff, 0x40000000, 0x00000003, 0x00200000, 0x3f000001,
    };
    for (u32 i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        group(&op_lfs, states[rndn(N_STATES)], "0", words[i], 0, 0);
    for (u32 k = 0; k < 600; k++) {
        u32 w = rnd32();
        if (rndn(3) == 0) w &= 0x807fffff;          /* denormals */
        else if (rndn(4) == 0) w |= 0x7f800000;     /* Inf/NaN */
        group(&op_lfs, states[rndn(N_STATES)], one_mode(), w, 0, 0);
    }
}

static void section_compare(void)
{
    for (u32 o = 0; o < 2; o++) {
        const struct opdesc *op = &cmpops[o];
        for (u32 i = 0; i < N_CORE; i++)
            for (u32 j = 0; j < N_CORE; j++)
                group(op, states[rndn(N_STATES)], one_mode(), specials[i], specials[j], 0);
        for (u32 k = 0; k < 400; k++) {
            u64 a = pick_any();
            u64 b = rndn(2) ? related(a) : pick_any();
            group(op, states[rndn(N_STATES)], one_mode(), a, b, 0);
        }
    }
}

/* Results far outside the format's range with OE/UE set: QEMU rebiases the
   exponent (by 1536 or 192) and, for the single-precision forms, lets an
   exponent that still does not fit wrap around in the binary64 field. */
static u64 with_exp(int unbiased)
{
    if (unbiased < -1022) unbiased = -1022;
    if (unbiased > 1023) unbiased = 1023;
    u64 f = frac_bits();
    if (rndn(3) == 0) f &= 0xfff0000000000000ull >> 12; /* short, exact products */
    return mkd(rndn(2), (u32)(1023 + unbiased), f);
}
static int pick_exp(int single)
{
    if (single)
        return rndn(2) ? -430 + (int)rndn(320) : 100 + (int)rndn(320);
    return rndn(2) ? -2150 + (int)rndn(170) : 980 + (int)rndn(1070);
}
static void section_rebias(void)
{
    static const struct opdesc ops[] = {
        { "fadds.", OP_FADDS, USE_A | USE_B }, { "fmuls.", OP_FMULS, USE_A | USE_C },
        { "fdivs.", OP_FDIVS, USE_A | USE_B }, { "fmadds.", OP_FMADDS, USE_A | USE_B | USE_C },
        { "fnmsubs.", OP_FNMSUBS, USE_A | USE_B | USE_C }, { "fadd.", OP_FADD, USE_A | USE_B },
        { "fmul.", OP_FMUL, USE_A | USE_C }, { "fdiv.", OP_FDIV, USE_A | USE_B },
        { "fmadd.", OP_FMADD, USE_A | USE_B | USE_C }, { "frsp.", OP_FRSP, USE_B },
        { "fres.", OP_FRES, USE_B },
    };
    static const u32 st[] = { 0x40, 0x20, 0x68, 0x60, 0x00, 0xf8 };
    for (u32 o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
        const struct opdesc *op = &ops[o];
        int single = op->slot == OP_FADDS || op->slot == OP_FMULS || op->slot == OP_FDIVS ||
                     op->slot == OP_FMADDS || op->slot == OP_FNMSUBS || op->slot == OP_FRSP ||
                     op->slot == OP_FRES;
        for (u32 k = 0; k < 150; k++) {
            int t = pick_exp(single);
            int ta = t / 2 + (int)rndn(200) - 100;
            u64 a, b = 0, c = 0;
            switch (op->slot) {
            case OP_FMULS: case OP_FMUL:
                a = with_exp(ta); c = with_exp(t - ta);
                break;
            case OP_FDIVS: case OP_FDIV:
                a = with_exp(ta); b = with_exp(ta - t);
                break;
            case OP_FMADDS: case OP_FNMSUBS: case OP_FMADD:
                a = with_exp(ta); c = with_exp(t - ta);
                b = rndn(2) ? with_exp(t - (int)rndn(60)) : related(hw(OP_FMUL, 0x60, a, 0, c));
                break;
            case OP_FRSP:
                a = 0; b = with_exp(single ? t / 2 + (t < 0 ? -40 : 40) : t);
                break;
            case OP_FRES:
                a = 0; b = with_exp(-(t < 0 ? t / 2 - 80 : t / 2 + 40) + (int)rndn(200) - 100);
                break;
            default: /* add: both operands large or both tiny */
                a = with_exp(t < 0 ? -1000 - (int)rndn(22) : 1000 + (int)rndn(23));
                if (single) a = with_exp(t < 0 ? -180 + (int)rndn(60) : 100 + (int)rndn(60));
                b = rndn(2) ? related(a) : with_exp((int)(((a >> 52) & 0x7ff)) - 1023 - (int)rndn(3));
                break;
            }
            group(op, st[rndn(sizeof(st) / sizeof(st[0]))], "0123", a, b, c);
        }
    }
    /* a rebiased binary32 exponent of exactly 0, and just around it */
    for (int d = -3; d <= 3; d++) {
        group(&ops[1], 0x20, "0123", mkd(0, 1023 - 160, 0), 0, mkd(1, (u32)(1023 - 159 + d), 0x8000000000000ull));
        group(&ops[1], 0x20, "0123", mkd(1, 1023 - 160, rnd64()), 0, mkd(1, (u32)(1023 - 159 + d), rnd64()));
    }
}

static u32 rnd_fpscr(void)
{
    u32 v = rnd32();
    switch (rndn(4)) {
    case 0: return v;
    case 1: return v & 0x0000ffff;
    case 2: return v & 0xffff0000;
    default: return states[rndn(N_STATES)] | (v & 3);
    }
}

static void fpscr_group(const char *name, u32 slot, u32 uses, u32 fpscr0, u64 a)
{
    struct opdesc op = { name, slot, uses };
    char m[2] = { (char)('0' + (fpscr0 & 3)), 0 };
    group(&op, fpscr0, m, a, 0, 0);
}

static void section_fpscr(void)
{
    static char name[16];
    for (u32 k = 0; k < 300; k++)
        fpscr_group("mffs.", OP_MFFS, 0, rnd_fpscr(), 0);
    for (u32 bfa = 0; bfa < 8; bfa++) {
        name[0] = 0;
        const char *p = "mcrfs:";
        u32 n = 0;
        while (*p) name[n++] = *p++;
        name[n++] = (char)('0' + bfa);
        name[n] = 0;
        for (u32 k = 0; k < 60; k++)
            fpscr_group(name, OP_MCRFS_BASE + bfa, 0, rnd_fpscr(), 0);
    }
    for (u32 bf = 0; bf < 8; bf++)
        for (u32 u = 0; u < 16; u++) {
            name[0] = 'm'; name[1] = 't'; name[2] = 'f'; name[3] = 's'; name[4] = 'f';
            name[5] = 'i'; name[6] = '.'; name[7] = ':'; name[8] = (char)('0' + bf);
            name[9] = ':'; name[10] = "0123456789abcdef"[u]; name[11] = 0;
            for (u32 k = 0; k < 6; k++)
                fpscr_group(name, OP_MTFSFI_BASE + bf * 16 + u, 0, rnd_fpscr(), 0);
        }
    for (u32 which = 0; which < 2; which++)
        for (u32 bt = 0; bt < 32; bt++) {
            const char *p = which ? "mtfsb1.:" : "mtfsb0.:";
            u32 n = 0;
            while (*p) name[n++] = *p++;
            name[n++] = "0123456789abcdef"[bt >> 4];
            name[n++] = "0123456789abcdef"[bt & 15];
            name[n] = 0;
            for (u32 k = 0; k < 16; k++) {
                u32 f = rnd_fpscr();
                if (k < 4) f &= ~(1u << (31 - bt)); /* make sure both edges occur */
                else if (k < 8) f |= 1u << (31 - bt);
                fpscr_group(name, (which ? OP_MTFSB1_BASE : OP_MTFSB0_BASE) + bt, 0, f, 0);
            }
        }
    for (u32 flm = 0; flm < 256; flm++) {
        name[0] = 'm'; name[1] = 't'; name[2] = 'f'; name[3] = 's'; name[4] = 'f';
        name[5] = '.'; name[6] = ':';
        name[7] = "0123456789abcdef"[flm >> 4];
        name[8] = "0123456789abcdef"[flm & 15];
        name[9] = 0;
        u32 reps = (flm == 0xff || (flm & (flm - 1)) == 0) ? 24 : 3;
        for (u32 k = 0; k < reps; k++) {
            u64 v = rnd64();
            if (rndn(2)) v = (v & 0xffffffff00000000ull) | rnd_fpscr();
            fpscr_group(name, OP_MTFSF_BASE + flm, USE_A, rnd_fpscr(), v);
        }
    }
}

static void section_nonrecord(void)
{
    for (u32 o = 0; o < sizeof(nrops) / sizeof(nrops[0]); o++)
        for (u32 k = 0; k < 100; k++) {
            u64 v = rnd64();
            if (nrops[o].slot == OP_MTFSF_NR && rndn(2)) v = rnd_fpscr();
            group(&nrops[o], rndn(2) ? rnd_fpscr() & ~0xf8u : states[rndn(N_STATES)],
                  one_mode(), pick_any(), rndn(2) ? pick_special() : pick_any(),
                  nrops[o].slot == OP_MTFSF_NR ? 0 : pick_any());
            (void)v;
        }
}

/* ---------- enabled-exception traps (MSR[FE0|FE1] != 0) ---------- */
static void trap_case(const char *name, u32 slot, u32 fpscr, u32 msr_or,
                      u64 a, u64 b, u64 c)
{
    cin.a = a; cin.b = b; cin.c = c; cin.t = SENTINEL; cin.fpscr = fpscr;
    cin.mem32 = 0;
    trap_rec.count = 0;
    trap_rec.srr0 = trap_rec.srr1 = trap_rec.esr = 0;
    trap_rec.resume = (u32)run_case_resume;
    run_case(&cin, &cout, slot, msr_or);
    u32 stub = (u32)optable + slot * OP_STUB_BYTES;
    puts_("T ");
    puts_(name);
    putch(' ');
    puthex(fpscr, 8);
    putch(' ');
    puthex(msr_or, 4);
    putch(' '); puthex(a, 16);
    putch(' '); puthex(b, 16);
    putch(' '); puthex(c, 16);
    putch(' '); putdec(trap_rec.count);
    putch(' '); puthex(trap_rec.count ? trap_rec.srr0 - stub : 0, 8);
    putch(' '); puthex(trap_rec.esr, 8);
    putch(' '); puthex(trap_rec.srr1 & 0xffff, 4);
    putch(' ');
    if (cout.t == SENTINEL) putch('S'); else puthex(cout.t, 16);
    putch(' '); puthex(cout.fpscr, 8);
    putch(' '); puthex((cout.cr >> 20) & 0xfff, 3);
    putch('\n');
}

#define ONE   0x3ff0000000000000ull
#define INF   0x7ff0000000000000ull
#define NINF  0xfff0000000000000ull
#define ZERO  0ull
#define SNAN  0x7ff4000000000000ull
#define QNAN  0x7ff8000000000000ull
#define BIG   0x7fe0000000000000ull
#define TINY  0x0010000000000000ull
#define THIRD 0x3fd5555555555555ull

static void section_traps(void)
{
    static const u32 fe[] = { 0x900, 0x800, 0x100 };
    for (u32 m = 0; m < 3; m++) {
        u32 msr = fe[m];
        trap_case("fadd.", OP_FADD, 0x80, msr, INF, NINF, 0);     /* VXISI, VE */
        trap_case("fadd.", OP_FADD, 0x80, msr, SNAN, ONE, 0);     /* VXSNAN, VE */
        trap_case("fdiv.", OP_FDIV, 0x10, msr, ONE, ZERO, 0);     /* ZX, ZE */
        trap_case("fmul.", OP_FMUL, 0x40, msr, BIG, 0, BIG);      /* OX, OE */
        trap_case("fmul.", OP_FMUL, 0x20, msr, TINY, 0, THIRD);   /* UX, UE */
        trap_case("fdiv.", OP_FDIV, 0x08, msr, ONE, 0x4008000000000000ull, 0); /* XX, XE */
        trap_case("fcmpo", OP_FCMPO, 0x80, msr, QNAN, ONE, 0);    /* VXVC, VE */
        trap_case("fcmpu", OP_FCMPU, 0x80, msr, SNAN, ONE, 0);    /* VXSNAN, VE */
        trap_case("fctiw.", OP_FCTIW, 0x80, msr, 0, INF, 0);      /* VXCVI, VE */
        trap_case("frsp.", OP_FRSP, 0x40, msr, 0, BIG, 0);        /* OX, OE */
        trap_case("fmadd.", OP_FMADD, 0x80, msr, INF, NINF, ONE); /* VXISI, VE */
        trap_case("fmadds.", OP_FMADDS, 0x40, msr, BIG, 0, BIG);  /* OX, OE */
        trap_case("fadds.", OP_FADDS, 0x08, msr, ONE, THIRD, 0);  /* XX, XE */
        trap_case("fres.", OP_FRES, 0x10, msr, 0, ZERO, 0);       /* ZX, ZE */
        trap_case("frsqrte.", OP_FRSQRTE, 0x80, msr, 0, 0xbff0000000000000ull, 0);
        trap_case("fcmpo", OP_FCMPO, 0x80, msr, SNAN, ONE, 0);    /* VXVC then VXSNAN */
        trap_case("fmadd.", OP_FMADD, 0x1f080, msr, INF, ONE, 0); /* VXIMZ, FPRF kept */
        trap_case("fdiv.", OP_FDIV, 0x1f080, msr, 0, 0, 0);       /* VXZDZ */
        trap_case("fdiv.", OP_FDIV, 0x80, msr, INF, INF, 0);      /* VXIDI */
        trap_case("fmul.", OP_FMUL, 0x48, msr, BIG, 0, 0x7fe8000000000000ull); /* OX+XX */
        trap_case("fmul.", OP_FMUL, 0x28, msr, TINY, 0, 0x3fd5555555555556ull); /* UX+XX */
        trap_case("fadd.", OP_FADD, 0x20, msr, 0x0000000000000003ull, 0, 0); /* exact tiny, UE */
        trap_case("frsp.", OP_FRSP, 0x80, msr, 0, SNAN, 0);       /* VXSNAN */
        trap_case("fadds.", OP_FADDS, 0x20, msr, 0x3800000000000000ull, 0, 0); /* UX single */
        trap_case("fadd.", OP_FADD, 0x00, msr, INF, NINF, 0);     /* nothing enabled */
        trap_case("fadd.", OP_FADD, 0x02, msr, ONE, THIRD, 0);    /* XX, XE=0 */
        trap_case("mtfsf:ff", OP_MTFSF_NR, 0, msr, 0x01000080, 0, 0); /* VXSNAN+VE */
        trap_case("mtfsf:ff", OP_MTFSF_NR, 0, msr, 0x00000080, 0, 0);
        trap_case("mtfsfi.:6:8", OP_MTFSFI_BASE + 6 * 16 + 8, 0x01000000, msr, 0, 0, 0);
        trap_case("mtfsb1.:18", OP_MTFSB1_BASE + 0x18, 0x01000000, msr, 0, 0, 0); /* VE */
        trap_case("mtfsb1.:07", OP_MTFSB1_BASE + 0x07, 0x00000080, msr, 0, 0, 0); /* VXSNAN */
        trap_case("mtfsb1.:03", OP_MTFSB1_BASE + 0x03, 0x00000040, msr, 0, 0, 0); /* OX */
        trap_case("mtfsb0.:07", OP_MTFSB0_BASE + 0x07, 0x01100080, msr, 0, 0, 0);
        trap_case("fadd.", OP_FADD, 0x01000080, msr, ONE, ONE, 0); /* FEX already set */
        trap_case("mcrfs:1", OP_MCRFS_BASE + 1, 0x01000080, msr, 0, 0, 0);
        trap_case("nop", OP_NOP, 0x01000080, msr, 0, 0, 0);
    }
    /* FEX already set when MSR[FE0|FE1] gets raised by mtmsr */
    trap_case("mtmsr", OP_MTMSR_FE, 0x01000080, 0, 0, 0, 0);
    trap_case("mtmsr", OP_MTMSR_FE, 0x00000000, 0, 0, 0, 0);
}

static void section_probes(void)
{
    static const struct { const char *name; u32 slot; } probes[] = {
        { "fsqrt", OP_P_FSQRT }, { "fsqrts", OP_P_FSQRTS }, { "fre", OP_P_FRE },
        { "frsqrtes", OP_P_FRSQRTES }, { "fcfid", OP_P_FCFID }, { "fctid", OP_P_FCTID },
        { "frin", OP_P_FRIN }, { "fcpsgn", OP_P_FCPSGN }, { "mtfsf.L=1", OP_P_MTFSF_L },
        { "mtfsf.W=1", OP_P_MTFSF_W }, { "mtfsfi.W=1", OP_P_MTFSFI_W },
        { "lfiwax", OP_P_LFIWAX }, { "fctiwu", OP_P_FCTIWU }, { "ftdiv", OP_P_FTDIV },
        { "fmrgew", OP_P_FMRGEW },
    };
    for (u32 i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
        cin.a = 0x4010000000000000ull; cin.b = 0x4000000000000000ull; cin.c = 0;
        cin.t = SENTINEL; cin.fpscr = 0x000000f0; cin.mem32 = 0x80000005;
        trap_rec.count = 0;
        trap_rec.esr = 0;
        trap_rec.resume = (u32)run_case_resume;
        run_case(&cin, &cout, probes[i].slot, 0);
        puts_("P ");
        puts_(probes[i].name);
        putch(' '); putdec(trap_rec.count);
        putch(' '); puthex(trap_rec.esr, 8);
        putch(' ');
        if (cout.t == SENTINEL) putch('S'); else puthex(cout.t, 16);
        putch(' '); puthex(cout.fpscr, 16);
        putch(' '); puthex((cout.cr >> 20) & 0xfff, 3);
        putch('\n');
    }
}

int main(void)
{
    for (u32 i = 0; i < N_SPECIALS; i++)
        table[i] = specials[i];
    for (u32 i = N_SPECIALS; i < N_TABLE; i++)
        table[i] = gen_value();

    puts_("# qemu-system-ppc -M ppce500 -cpu e500mc: classic FPU vectors v1\n");
    for (u32 i = 0; i < N_TABLE; i++) {
        puts_("V ");
        putdec(i);
        putch(' ');
        puthex(table[i], 16);
        putch('\n');
    }
    section_probes();
    section_traps();
    section_fpscr();
    section_nonrecord();
    section_compare();
    section_unary();
    section_binary();
    section_fma();
    section_rebias();
    puts_("# end\n");
    return 0;
}
