/* fpmath -- floating point as C programs use it, compiled by gcc to x87
 * code (fp.h): float, double and long double arithmetic; decimal output by
 * fp.c's printf-like conversion (%g %e %f, itself x87 work: Dekker products
 * and FISTP m64); conversions between int, long long and each floating
 * type (FILD/FISTP m64, gcc's truncating control word); the four rounding
 * modes set through FLDCW giving four different answers; precision control
 * (the same sums at 24, 53 and 64 bits); a Newton iteration; series for pi,
 * e, ln 2 and zeta(2) (naive and Kahan summation); a Mandelbrot set in
 * ASCII; comparisons with NaN, zeros and infinities (FUCOMI/FCOMI), minimum
 * and maximum through FCMOVcc; NaN and infinity arithmetic; and the
 * transcendental instructions (FSIN FCOS FSINCOS FPTAN FPATAN F2XM1 FYL2X
 * FYL2XP1) with exp, log and pow built from them.
 *
 * Inputs come from volatile variables so that gcc cannot fold the
 * arithmetic at compile time: every result here is the x87's.
 *
 * QEMU 7.2 computes FSIN, FCOS, FSINCOS and FPTAN in host doubles (the
 * operand rounded to 53 bits first), so their results are printed to 13
 * significant digits, at arguments where rounding the operand to a double
 * moves the result by less than that (no multiples of pi, nothing large);
 * the other transcendentals (F2XM1 FYL2X FYL2XP1 FPATAN, which QEMU
 * computes in 80-bit arithmetic) to 15. After FSIN FCOS FSINCOS FPTAN only
 * C2 and IE of the status word are shown (QEMU leaves PE clear); elsewhere
 * the exception flags without DE (x87.c says why). */
#include "fp.h"

#define SW_FLAGS (SW_IE | SW_ZE | SW_OE | SW_UE | SW_PE)

static volatile long double v_one = 1, v_two = 2, v_three = 3, v_ten = 10, v_tenth = 0.1L;
static volatile double vd_tenth = 0.1, vd_third = 1.0 / 3;
static volatile float vf_tenth = 0.1f;
static volatile int v_zero_i = 0;

static void set_cw(u16 cw) { fldcw(cw); }

/* ---------------------------------------------------------------- output */
static void row_g(const char *name, long double v, int prec)
{
    printf("%-28s ", name);
    print_g(v, prec);
    putchar('\n');
}

static void test_format(void)
{
    volatile float f = vf_tenth;
    volatile double d = vd_tenth;
    volatile long double l = v_tenth;
    puts("-- decimal output: %.9g of float, %.17g of double, %.18Lg of long double, %e, %f\n");
    row_g("0.1f", f, 9);
    row_g("0.1", d, 17);
    row_g("0.1L", l, 18);
    row_g("0.1f as %.17g", f, 17);
    row_g("1/3 float", (float)v_one / (float)v_three, 9);
    row_g("1/3 double", (double)v_one / (double)v_three, 17);
    row_g("1/3 long double", v_one / v_three, 18);
    row_g("2/3 double", 2 * (double)v_one / (double)v_three, 17);
    row_g("1e23 double", 1e23 * (double)v_one, 17);
    row_g("2^-1074", d_bits(1) * (double)v_one, 17);
    row_g("DBL_MAX", d_bits(0x7fefffffffffffffull) * (double)v_one, 17);
    row_g("FLT_MIN", f_bits(0x00800000) * (float)v_one, 9);
    row_g("LDBL_MAX", ld_bits(0x7ffe, ~0ull) * v_one, 18);
    row_g("LDBL_MIN", ld_bits(0x0001, 1ull << 63) * v_one, 18);
    row_g("LDBL_TRUE_MIN", ld_bits(0x0000, 1) * v_one, 18);
    row_g("-0.0", -0.0L * v_one, 17);
    row_g("123456789.125", 123456789.125L * v_one, 17);
    row_g("0.000123456789", 0.000123456789L * v_one, 10);
    row_g("1e-5 (%g switches at -4)", 1e-5L * v_one, 6);
    row_g("123456 (%.6g)", 123456 * v_one, 6);
    row_g("1234567 (%.6g)", 1234567 * v_one, 6);
    row_g("0.5 at 1 digit", 0.5L * v_one, 1);
    row_g("2.5 at 1 digit (even)", 2.5L * v_one, 1);
    row_g("9.5 at 1 digit", 9.5L * v_one, 1);
    row_g("999999.5 at 6 digits", 999999.5L * v_one, 6);
    puts("%e: ");
    print_e(v_one / v_three, 10);
    putchar(' ');
    print_e(-1e300L * v_one, 17);
    putchar(' ');
    print_e(0 * v_one, 4);
    putchar(' ');
    print_e(ld_bits(0x7ffe, ~0ull) * v_one, 18);
    putchar('\n');
    puts("%f: ");
    print_f(v_one / v_three, 6);
    putchar(' ');
    print_f(-2.5L * v_one, 0);
    putchar(' ');
    print_f(1e15L * v_one + 0.25L, 2);
    putchar(' ');
    print_f(0.0009765625L * v_one, 10);
    putchar(' ');
    print_f(0.5L * v_one, 0);
    putchar(' ');
    print_f(1.5L * v_one, 0);
    putchar('\n');
}

/* ---------------------------------------------------------- conversions */
static volatile s64 q_in[] = { 0, 1, -1, 9007199254740993ll, -9007199254740993ll, 0x7fffffffffffffffll,
                               (s64)0x8000000000000000ull, 1234567890123456789ll, 16777217 };
static volatile long double ld_in[] = { 0.5L, -0.5L, 1.999999L, -1.999999L, 2147483647.9L, -2147483648.9L,
                                        9.2233720368547758e18L, -9.2233720368547758e18L, 1e19L, 4.5e15L };

static void test_conversions(void)
{
    puts("-- long long -> float / double / long double (FILD m64, then FSTP m32/m64) and back (FISTP m64, truncating)\n");
    for (u32 i = 0; i < ARRAY_SIZE(q_in); i++) {
        s64 q = q_in[i];
        float f = (float)q;
        double d = (double)q;
        long double l = (long double)q;
        print_s64(q);
        puts(": ");
        print_g(f, 9);
        putchar(' ');
        print_g(d, 17);
        putchar(' ');
        print_g(l, 18);
        puts(" -> ");
        print_s64((s64)d);
        putchar(' ');
        print_s64((s64)l);
        putchar('\n');
    }
    puts("-- long double -> int and long long (C casts: FISTP under a truncating control word), -> float\n");
    for (u32 i = 0; i < ARRAY_SIZE(ld_in); i++) {
        long double l = ld_in[i];
        int n = (int)l;
        s64 q = (s64)l;
        short s = (short)(int)l;
        float f = (float)l;
        print_g(l, 18);
        printf(": int %d short %d long long ", n, s);
        print_s64(q);
        puts(" float ");
        print_f_bits(&f);
        putchar('\n');
    }
    puts("-- int -> float rounds to 24 bits: ");
    for (int i = 16777213; i <= 16777221; i++) {
        volatile int vi = i;
        float f = (float)vi;
        printf("%d->", i);
        print_g(f, 9);
        putchar(' ');
    }
    putchar('\n');
}

/* --------------------------------------------------- rounding and precision */
static s64 fistp64(long double x)
{
    s64 n;
    asm("fistpll %0" : "=m"(n) : "t"(x) : "st");
    return n;
}

static long double frndint(long double x)
{
    asm("frndint" : "+t"(x));
    return x;
}

static void test_rounding_modes(void)
{
    static const u16 rc[] = { CW_RC_NEAR, CW_RC_DOWN, CW_RC_UP, CW_RC_ZERO };
    static const char *const name[] = { "nearest", "down", "up", "zero" };
    puts("-- the four rounding modes (FLDCW): 1/3 and -1/3 in double, 0.1 summed ten times in float,\n"
         "   2/3 in long double, FISTP and FRNDINT of 2.5, -2.5 and 2.7\n");
    for (u32 r = 0; r < 4; r++) {
        set_cw(CW_DEFAULT | rc[r]);
        volatile double third = (double)v_one / (double)v_three;
        volatile double mthird = -(double)v_one / (double)v_three;
        volatile float sum = 0;
        for (int i = 0; i < 10; i++)
            sum = sum + vf_tenth;
        volatile long double two3 = v_two / v_three;
        s64 i25 = fistp64(2.5L * v_one), im25 = fistp64(-2.5L * v_one), i27 = fistp64(2.7L * v_one);
        long double r25 = frndint(2.5L * v_one), rm25 = frndint(-2.5L * v_one);
        set_cw(CW_DEFAULT);
        printf("%-8s 1/3=", name[r]);
        print_d_bits((const double *)&third);
        puts(" -1/3=");
        print_d_bits((const double *)&mthird);
        puts(" sum=");
        print_g(sum, 9);
        puts(" 2/3=");
        print_ld_bits((const long double *)&two3);
        printf(" fistp %d %d %d frndint ", (int)i25, (int)im25, (int)i27);
        print_g(r25, 3);
        putchar(' ');
        print_g(rm25, 3);
        putchar('\n');
    }
}

static void test_precision(void)
{
    static const u16 pc[] = { CW_PC_24, CW_PC_53, CW_PC_64 };
    puts("-- precision control: the same long double arithmetic at PC = 24, 53 and 64 bits\n");
    for (u32 p = 0; p < 3; p++) {
        fnclex();
        set_cw(0x7f | pc[p] | CW_RC_NEAR);
        long double h = 0, tiny, third;
        for (int k = 1; k <= 2000; k++) {
            volatile long double vk = k;
            h += v_one / vk;
        }
        tiny = (v_one + 1e-10L) - v_one;
        third = v_one / v_three;
        u16 s = fnstsw();
        set_cw(CW_DEFAULT);
        printf("pc%s: H(2000)=", p == 0 ? "24" : p == 1 ? "53" : "64");
        print_g(h, 18);
        puts(" (1+1e-10)-1=");
        print_g(tiny, 18);
        puts(" 1/3=");
        print_ld_bits(&third);
        printf(" sw=%04x\n", s & SW_FLAGS);
    }
}

/* ---------------------------------------------------------------- Newton */
static long double fsqrt(long double x)
{
    asm("fsqrt" : "+t"(x));
    return x;
}

static void test_newton(void)
{
    puts("-- Newton: x <- (x + 2/x) / 2 from 1, long double\n");
    long double x = v_one, prev = 0;
    for (int i = 1; i < 10 && x != prev; i++) {
        prev = x;
        x = (x + v_two / x) / 2;
        printf("%d: ", i);
        print_g(x, 18);
        puts("  ");
        print_ld_bits(&x);
        putchar('\n');
    }
    long double s = fsqrt(v_two);
    puts("fsqrt(2): ");
    print_g(s, 18);
    puts("  ");
    print_ld_bits(&s);
    printf(" %s\n", s == x ? "(the same bits)" : "(different bits)");
    puts("-- Newton for the cube root of 10 in double: x <- x - (x^3 - 10) / (3 x^2)\n");
    double y = 2;
    for (int i = 1; i <= 6; i++) {
        y = y - (y * y * y - (double)v_ten) / (3 * y * y);
        printf("%d: ", i);
        print_g(y, 17);
        putchar('\n');
    }
}

/* ---------------------------------------------------------------- series */
static void test_series(void)
{
    puts("-- series\n");
    /* pi by Machin: 16 atan(1/5) - 4 atan(1/239), atan by its Taylor series */
    long double pi = 0;
    for (int pass = 0; pass < 2; pass++) {
        long double x = pass ? v_one / 239 : v_one / 5, x2 = x * x, term = x, sum = 0;
        for (int k = 0; k < 40; k++) {
            sum += (k & 1 ? -term : term) / (2 * k + 1);
            term *= x2;
        }
        pi += pass ? -4 * sum : 16 * sum;
    }
    row_g("pi (Machin)", pi, 18);
    long double fldpi;
    asm("fldpi" : "=t"(fldpi));
    row_g("FLDPI", fldpi, 18);
    /* e = sum 1/n! in each precision */
    float ef = 0, tf = 1;
    double ed = 0, td = 1;
    long double el = 0, tl = 1;
    for (int n = 1; n < 30; n++) {
        ef += tf, ed += td, el += tl;
        tf /= n, td /= n, tl /= n;
    }
    row_g("e float", ef, 9);
    row_g("e double", ed, 17);
    row_g("e long double", el, 18);
    /* ln 2 = sum (-1)^(k+1)/k, slowly; and as sum 1/(k 2^k) */
    long double l2a = 0, l2b = 0, p2 = v_one;
    for (int k = 1; k <= 1000; k++) {
        volatile long double vk = k;
        l2a += (k & 1 ? v_one : -v_one) / vk;
    }
    for (int k = 1; k <= 70; k++) {
        p2 /= 2;
        l2b += p2 / k;
    }
    row_g("ln 2, 1000 alternating terms", l2a, 18);
    row_g("ln 2, sum 1/(k 2^k)", l2b, 18);
    /* zeta(2) = pi^2/6 in float, 20000 terms: forwards, backwards, Kahan */
    float fwd = 0, bwd = 0, kahan = 0, c = 0;
    for (int k = 1; k <= 20000; k++) {
        volatile float vk = k;
        fwd += 1.0f / (vk * vk);
    }
    for (int k = 20000; k >= 1; k--) {
        volatile float vk = k;
        bwd += 1.0f / (vk * vk);
    }
    for (int k = 1; k <= 20000; k++) {
        volatile float vk = k, y = 1.0f / (vk * vk) - c, t = kahan + y;
        c = (t - kahan) - y;
        kahan = t;
    }
    row_g("zeta(2) float forwards", fwd, 9);
    row_g("zeta(2) float backwards", bwd, 9);
    row_g("zeta(2) float Kahan", kahan, 9);
    row_g("pi^2/6", fldpi * fldpi / 6, 18);
}

/* ---------------------------------------------------------------- Mandelbrot */
static void test_mandelbrot(void)
{
    static const char shade[] = " .:-=+*#%@";
    volatile double x0 = -2.2, y0 = -1.2, dx = 3.2 / 64, dy = 2.4 / 24;
    u32 total = 0;
    puts("-- Mandelbrot, double, 64 x 24, at most 200 iterations\n");
    for (int j = 0; j <= 24; j++) {
        for (int i = 0; i < 64; i++) {
            double cr = x0 + i * dx, ci = y0 + j * dy, zr = 0, zi = 0;
            int n = 0;
            while (n < 200 && zr * zr + zi * zi < 4) {
                double t = zr * zr - zi * zi + cr;
                zi = 2 * zr * zi + ci;
                zr = t;
                n++;
            }
            total += n;
            putchar(n == 200 ? '@' : shade[n % 9]);
        }
        putchar('\n');
    }
    printf("iterations: %u\n", total);
}

/* ---------------------------------------------------------------- compares */
/* min and max by FUCOMI and FCMOVcc (a in ST(0), b in ST(1)): min takes b
 * when a > b (FCMOVNBE: CF = ZF = 0), max when a < b or unordered (FCMOVB:
 * CF = 1); a NaN in either leaves min with a and max with b. */
static long double lmin(long double a, long double b)
{
    asm("fucomi %%st(1), %%st\n\tfcmovnbe %%st(1), %%st" : "+t"(a) : "u"(b) : "cc");
    return a;
}
static long double lmax(long double a, long double b)
{
    asm("fucomi %%st(1), %%st\n\tfcmovb %%st(1), %%st" : "+t"(a) : "u"(b) : "cc");
    return a;
}
/* gcc's own FCMOVE/FCMOVNE, for a choice by an integer */
static __attribute__((noinline)) long double pick(int c, long double a, long double b) { return c ? a : b; }

static void test_compares(void)
{
    static const struct { const char *name; u16 se; u64 m; } v[] = {
        { "-inf", 0xffff, 1ull << 63 }, { "-1", 0xbfff, 1ull << 63 }, { "-0", 0x8000, 0 }, { "+0", 0, 0 },
        { "denorm", 0, 1 }, { "1", 0x3fff, 1ull << 63 }, { "+inf", 0x7fff, 1ull << 63 }, { "nan", 0xffff, 3ull << 62 },
    };
    puts("-- C comparisons: a<b a<=b a==b a!=b a>b a>=b (1/0), min max (FCMOV), IE after them,\n"
         "   and (row odd ? a : b) by gcc's FCMOVNE\n");
    for (u32 i = 0; i < ARRAY_SIZE(v); i++)
        for (u32 j = 0; j < ARRAY_SIZE(v); j++) {
            volatile long double a = ld_bits(v[i].se, v[i].m), b = ld_bits(v[j].se, v[j].m);
            fnclex();
            int lt = a < b, le = a <= b, eq = a == b, ne = a != b, gt = a > b, ge = a >= b;
            long double mn = lmin(a, b), mx = lmax(a, b);
            u16 s = fnstsw();
            printf("%-6s %-6s %d%d%d%d%d%d min ", v[i].name, v[j].name, lt, le, eq, ne, gt, ge);
            print_g(mn, 3);
            puts(" max ");
            print_g(mx, 3);
            printf(" ie=%u pick ", s & SW_IE);
            print_g(pick(i & 1, a, b), 3);
            putchar('\n');
        }
}

/* ---------------------------------------------------------------- NaN, inf */
static void nan_row(const char *name, long double v)
{
    printf("%-18s ", name);
    print_ld_bits(&v);
    putchar(' ');
    print_g(v, 6);
    printf(" sw=%04x\n", fnstsw() & SW_FLAGS);
}

static void test_nan_inf(void)
{
    volatile long double inf = ld_bits(0x7fff, 1ull << 63), zero = 0 * v_one, nan = ld_bits(0x7fff, 0xc000000000000001ull);
    volatile double dn = d_bits(0x7ff8000000000123ull), dinf = (double)inf;
    puts("-- NaN and infinity arithmetic (bits, %g, exception flags)\n");
    fnclex();
    nan_row("inf - inf", inf - inf);
    fnclex();
    nan_row("0 * inf", zero * inf);
    fnclex();
    nan_row("0 / 0", zero / zero);
    fnclex();
    nan_row("1 / 0", v_one / zero);
    fnclex();
    nan_row("-1 / 0", -v_one / zero);
    fnclex();
    nan_row("sqrt(-1)", fsqrt(-v_one));
    fnclex();
    nan_row("inf / inf", inf / inf);
    fnclex();
    nan_row("inf + 1", inf + v_one);
    fnclex();
    nan_row("nan + 1", nan + v_one);
    fnclex();
    nan_row("double nan * 2", dn * 2);
    fnclex();
    nan_row("double inf * 0.5", dinf * 0.5);
    /* stored to memory, so rounded to double or float there (FSTP m64/m32) */
    volatile double dmax = d_bits(0x7fefffffffffffffull), dbig;
    volatile float ftiny = 1e-30f, fsmall;
    fnclex();
    dbig = dmax * 2;
    nan_row("double max * 2", dbig);
    fnclex();
    fsmall = ftiny * ftiny;
    nan_row("float 1e-30 * 1e-30", fsmall);
    fnclex();
    nan_row("1e-4940L / 1e10", 1e-4940L * v_one / 1e10L);
}

/* ---------------------------------------------------------- transcendentals */
struct sw_ld { long double v, w; u16 sw; };

#define UNARY(name, insn) \
    static struct sw_ld name(long double x) \
    { \
        struct sw_ld r; \
        asm("fnclex\n\t" insn "\n\tfnstsw %1" : "+t"(x), "=m"(r.sw)); \
        r.v = x; \
        return r; \
    }
UNARY(x_fsin, "fsin")
UNARY(x_fcos, "fcos")
UNARY(x_f2xm1, "f2xm1")

static struct sw_ld x_fptan(long double x)
{
    struct sw_ld r;
    long double tan;
    asm("fnclex\n\tfptan\n\tfnstsw %2" : "+t"(x), "=u"(tan), "=m"(r.sw));
    r.v = tan;                          /* FPTAN: ST(1) = tan x, ST(0) = 1 */
    r.w = x;
    return r;
}

static struct sw_ld x_fsincos(long double x)
{
    struct sw_ld r;
    long double s;
    asm("fnclex\n\tfsincos\n\tfnstsw %2" : "+t"(x), "=u"(s), "=m"(r.sw));
    r.v = s;                            /* ST(1) = sin, ST(0) = cos */
    r.w = x;
    return r;
}

/* ST(1) op ST(0), popping: FPATAN atan(y/x), FYL2X y log2 x, FYL2XP1 y log2(x+1) */
#define BINARY(name, insn) \
    static struct sw_ld name(long double y, long double x) \
    { \
        struct sw_ld r; \
        asm("fnclex\n\t" insn "\n\tfnstsw %1" : "+t"(x), "=m"(r.sw) : "u"(y) : "st(1)"); \
        r.v = x; \
        return r; \
    }
BINARY(x_fpatan, "fpatan")
BINARY(x_fyl2x, "fyl2x")
BINARY(x_fyl2xp1, "fyl2xp1")

static long double l2e(void) { long double r; asm("fldl2e" : "=t"(r)); return r; }
static long double ln2(void) { long double r; asm("fldln2" : "=t"(r)); return r; }

/* 2^x for any x: 2^frac by F2XM1 (|frac| <= 1), times 2^int by FSCALE */
static long double exp2l_(long double x)
{
    long double i = frndint(x), f = x - i, r = x_f2xm1(f).v + 1;
    asm("fscale" : "+t"(r) : "u"(i));
    return r;
}
static long double expl_(long double x) { return exp2l_(x * l2e()); }
static long double logl_(long double x) { return x_fyl2x(ln2(), x).v; }
static long double powl_(long double x, long double y) { return exp2l_(x_fyl2x(y, x).v); }

/* What of the status word is shown after FSIN FCOS FSINCOS FPTAN: C2
 * (operand out of range) and IE. QEMU leaves PE clear after them, where
 * the manual sets it for an inexact result (nearly always). */
#define SW_TRIG (SW_IE | SW_C2)

static void t_row(const char *what, long double x, long double y, int digits, u16 sw)
{
    printf("%-14s ", what);
    print_g(x, 6);
    puts(" -> ");
    print_g(y, digits);
    printf(" sw=%04x\n", sw);
}

static void test_transcendental(void)
{
    static const long double args[] = { 0.5L, 1, -1, 0.25L, 2, 3, -2.5L, 1e-5L, 0.7853981L, 6 };
    puts("-- FSIN FCOS FSINCOS FPTAN (13 digits)\n");
    for (u32 i = 0; i < ARRAY_SIZE(args); i++) {
        long double x = args[i] * v_one;
        struct sw_ld s = x_fsin(x), c = x_fcos(x), t = x_fptan(x), sc = x_fsincos(x);
        t_row("fsin", x, s.v, 13, s.sw & SW_TRIG);
        t_row("fcos", x, c.v, 13, c.sw & SW_TRIG);
        t_row("fptan", x, t.v, 13, t.sw & SW_TRIG);
        printf("%-14s ", "fptan ST(0)");
        print_g(t.w, 6);
        puts(" fsincos ");
        print_g(sc.v, 13);
        putchar(' ');
        print_g(sc.w, 13);
        printf(" sw=%04x\n", sc.sw & SW_TRIG);
    }
    /* out of range: |x| >= 2^63 leaves the operand and sets C2 */
    struct sw_ld big = x_fsin(1e19L * v_one);
    t_row("fsin 1e19", 1e19L, big.v, 18, big.sw & SW_TRIG);
    big = x_fptan(-1e19L * v_one);
    t_row("fptan -1e19", -1e19L, big.w, 18, big.sw & SW_TRIG);
    puts("-- FPATAN FYL2X FYL2XP1 F2XM1 (15 digits)\n");
    static const struct { long double y, x; } at[] = {
        { 1, 1 }, { 1, -1 }, { -1, -1 }, { -1, 1 }, { 0, -1 }, { -0.0L, -1 }, { 1, 0 }, { 3, 4 }, { 1e-10L, 1 }, { 1, 1e10L },
    };
    for (u32 i = 0; i < ARRAY_SIZE(at); i++) {
        struct sw_ld r = x_fpatan(at[i].y * v_one, at[i].x * v_one);
        printf("fpatan(");
        print_g(at[i].y, 6);
        putchar(',');
        print_g(at[i].x, 6);
        puts(") = ");
        print_g(r.v, 15);
        printf(" sw=%04x\n", r.sw & SW_FLAGS);
    }
    static const long double lx[] = { 1, 2, 8, 10, 0.5L, 3, 1e100L, 0 };
    for (u32 i = 0; i < ARRAY_SIZE(lx); i++) {
        struct sw_ld r = x_fyl2x(v_one, lx[i] * v_one);
        t_row("fyl2x 1*log2", lx[i], r.v, 15, r.sw & SW_FLAGS);
    }
    static const long double l1[] = { 0.25L, -0.25L, 1e-10L, 0.1L, -0.29L };
    for (u32 i = 0; i < ARRAY_SIZE(l1); i++) {
        struct sw_ld r = x_fyl2xp1(v_one, l1[i] * v_one);
        t_row("fyl2xp1", l1[i], r.v, 15, r.sw & SW_FLAGS);
    }
    static const long double e2[] = { 0.5L, -0.5L, 1, -1, 1e-10L, 0.1L, 0 };
    for (u32 i = 0; i < ARRAY_SIZE(e2); i++) {
        struct sw_ld r = x_f2xm1(e2[i] * v_one);
        t_row("f2xm1", e2[i], r.v, 15, r.sw & SW_FLAGS);
    }
    puts("-- built from them: exp, log, pow (15 digits)\n");
    row_g("exp(1)", expl_(v_one), 15);
    row_g("exp(-10)", expl_(-10 * v_one), 15);
    row_g("exp(100)", expl_(100 * v_one), 15);
    row_g("log(10)", logl_(v_ten), 15);
    row_g("log(1e-300)", logl_(1e-300L * v_one), 15);
    row_g("pow(2, 0.5)", powl_(v_two, 0.5L * v_one), 15);
    row_g("pow(10, 22)", powl_(v_ten, 22 * v_one), 15);
    row_g("pow(1.0001, 10000)", powl_(1.0001L * v_one, 10000 * v_one), 15);
    row_g("4 atan(1)", 4 * x_fpatan(v_one, v_one).v, 15);
}

int kmain(u32 magic, struct multiboot_info *mbi)
{
    (void)magic;
    (void)mbi;
    (void)v_zero_i;
    (void)vd_third;
    fninit();
    puts("fpmath: floating point from C, on the x87\n");
    test_format();
    test_conversions();
    test_rounding_modes();
    test_precision();
    test_newton();
    test_series();
    test_mandelbrot();
    test_compares();
    test_nan_inf();
    test_transcendental();
    puts("fpmath: done\n");
    return 0;
}
