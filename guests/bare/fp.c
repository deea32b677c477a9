/* fp.c -- 64-bit integers and decimal floating point for the FP kernels
 * (fp.h), without libgcc or libm.
 *
 * The decimal conversion is exact, and the x87's own work. For P
 * significant digits of x = X * 2^e2 (X in [1, 2), from x's bits): estimate
 * the decimal exponent E = floor(e2 log10 2) (by 78913 / 2^18), take 10^s,
 * s = P - 1 - E, as a number of about 128 bits (h + l) * 2^k with long
 * doubles h and l, by squaring, each product exact by Dekker's split
 * (exact altogether while s <= 27, and a reciprocal for s < 0); multiply
 * X by it the same way; round h * 2^k to an integer with FISTP m64 under
 * round-to-nearest and correct it by what l and the rest say (ties to
 * even); take its digits by integer division. If the integer has P + 1
 * digits or P - 1, E was one off: try again. `make fmtcheck`
 * (fpfmt_check.c) finds no difference from glibc's printf over a few
 * million random floats, doubles and long doubles. */
#include "fp.h"

u64 udiv64(u64 n, u32 d, u32 *rem)
{
    u32 hi = (u32)(n >> 32), lo = (u32)n, qhi = hi / d, r = hi % d, qlo;
    asm("divl %4" : "=a"(qlo), "=d"(r) : "a"(lo), "d"(r), "rm"(d));
    if (rem)
        *rem = r;
    return (u64)qhi << 32 | qlo;
}

static int u64_digits(char *buf, u64 v)
{
    char tmp[21];
    int n = 0, len = 0;
    do {
        u32 r;
        v = udiv64(v, 10, &r);
        tmp[n++] = '0' + r;
    } while (v);
    while (n)
        buf[len++] = tmp[--n];
    buf[len] = 0;
    return len;
}

void print_u64(u64 v)
{
    char buf[21];
    u64_digits(buf, v);
    puts(buf);
}

void print_s64(s64 v)
{
    if (v < 0) {
        putchar('-');
        print_u64(-(u64)v);
    } else {
        print_u64(v);
    }
}

/* exactly `digits` hex digits: the same instructions for every value */
void print_hex(u64 v, int digits)
{
    for (int i = digits - 1; i >= 0; i--)
        putchar("0123456789abcdef"[(v >> (4 * i)) & 15]);
}

void print_hex64(u64 v) { print_hex(v, 16); }

void print_ld_bits(const long double *v)
{
    const struct f80 *f = (const struct f80 *)v;
    print_hex(f->se, 4);
    putchar(':');
    print_hex(f->mant, 16);
}

void print_d_bits(const double *v) { print_hex64(*(const u64 *)v); }
void print_f_bits(const float *v) { print_hex(*(const u32 *)v, 8); }

/* ---------------------------------------------------------------- decimal */

/* ---- numbers of about 128 bits on the x87: (h + l) * 2^e, 1 <= h < 2 and
 * |l| at most half an ulp of h. Products are exact by Dekker's split
 * (2^32 + 1 cuts a 64-bit significand in two halves of 32 bits). */
struct big { long double h, l; int e; };

static long double two_prod(long double a, long double b, long double *err)
{
    const long double split = 4294967297.0L;
    long double p = a * b, t, ah, al, bh, bl;
    t = a * split;
    ah = t - (t - a);
    al = a - ah;
    t = b * split;
    bh = t - (t - b);
    bl = b - bh;
    *err = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
    return p;
}

static struct big normal(long double h, long double l, int e)
{
    long double s = h + l;              /* h and l as one sum again */
    l = l - (s - h);
    h = s;
    while (h >= 2)
        h *= 0.5L, l *= 0.5L, e++;
    while (h < 1)
        h *= 2, l *= 2, e--;
    return (struct big){ h, l, e };
}

static struct big big_mul(struct big a, struct big b)
{
    long double err, p = two_prod(a.h, b.h, &err);
    return normal(p, err + (a.h * b.l + a.l * b.h), a.e + b.e);
}

static struct big big_recip(struct big a)
{
    long double q = 1 / a.h, err, p = two_prod(q, a.h, &err);
    long double r = ((1 - p) - err) - q * a.l;
    return normal(q, r * q, -a.e);
}

/* 10^s, by squaring: exact (l = 0) while 0 <= s <= 27 */
static struct big pow10(int s)
{
    struct big r = { 1, 0, 0 }, p = { 1.25L, 0, 3 };
    for (int k = s < 0 ? -s : s; k; k >>= 1) {
        if (k & 1)
            r = big_mul(r, p);
        if (k > 1)
            p = big_mul(p, p);
    }
    return s < 0 ? big_recip(r) : r;
}

/* 2^e, built from its bits (|e| < 16383) */
static long double pow2(int e) { return ld_bits(16383 + e, 1ull << 63); }

/* FISTP m64 under the control word in force (nearest, here) */
static s64 round_s64(long double x)
{
    s64 n;
    asm("fistpll %0" : "=m"(n) : "t"(x) : "st");
    return n;
}

/* |x| = X * 2^e2 with X in [1, 2): e2, and X's bits in *m */
static int ilog2_ld(const struct f80 *f, u64 *m)
{
    int e = f->se & 0x7fff;
    *m = f->mant;
    if (e == 0) {                       /* denormal (or pseudo-denormal): normalize */
        e = 1;
        while (!(*m >> 63))
            *m <<= 1, e--;
    }
    return e - 16383;
}

/* round(|x| * 10^s) to nearest, ties to even, if below 2^62; else -1 */
static s64 round_scaled(const long double *x, int s)
{
    u64 m;
    int e2 = ilog2_ld((const struct f80 *)x, &m);
    struct big y = big_mul((struct big){ ld_bits(16383, m), 0, e2 }, pow10(s));
    if (y.e >= 62)
        return -1;
    if (y.e < -2)
        return 0;
    long double h = y.h * pow2(y.e), l = y.l * pow2(y.e);
    s64 n = round_s64(h);
    long double frac = (h - n) + l;     /* h - n is exact */
    if (frac > 0.5L || (frac == 0.5L && (n & 1)))
        n++;
    else if (frac < -0.5L || (frac == -0.5L && (n & 1)))
        n--;
    return n;
}

/* The P (1..18) leading digits of |*x| (finite, not zero), rounded to
 * nearest, into d[0..P-1]; returns the decimal exponent of d[0]. */
static int digits_of(const long double *x, int p, char *d)
{
    u64 m;
    int e10 = (ilog2_ld((const struct f80 *)x, &m) * 78913) >> 18;  /* floor(e2 log10 2), or one less */
    s64 lo = 1, hi;
    for (int i = 1; i < p; i++)
        lo *= 10;
    hi = lo * 10;
    for (int tries = 0; tries < 4; tries++) {
        s64 n = round_scaled(x, p - 1 - e10);
        if (n < 0 || n >= hi) {
            e10++;
            continue;
        }
        if (n < lo) {
            e10--;
            continue;
        }
        for (int i = p - 1; i >= 0; i--) {
            u32 r;
            n = udiv64(n, 10, &r);
            d[i] = '0' + r;
        }
        return e10;
    }
    fail("digits_of: no exponent fits");
}

static int special(char *buf, const long double *x)
{
    const struct f80 *f = (const struct f80 *)x;
    int len = 0;
    if (f->se & 0x8000)
        buf[len++] = '-';
    if ((f->se & 0x7fff) == 0x7fff) {
        const char *s = (f->mant << 1) == 0 ? "inf" : "nan";
        for (int i = 0; i < 3; i++)
            buf[len++] = s[i];
        buf[len] = 0;
        return len;
    }
    buf[len] = 0;
    return -1 - len;                    /* finite: the sign's length, encoded */
}

static int put_exp(char *buf, int len, int e)
{
    buf[len++] = 'e';
    buf[len++] = e < 0 ? '-' : '+';
    if (e < 0)
        e = -e;
    if (e >= 1000)
        buf[len++] = '0' + e / 1000;
    if (e >= 100)
        buf[len++] = '0' + e / 100 % 10;
    buf[len++] = '0' + e / 10 % 10;
    buf[len++] = '0' + e % 10;
    buf[len] = 0;
    return len;
}

static int is_zero(const long double *x)
{
    const struct f80 *f = (const struct f80 *)x;
    return f->mant == 0 && (f->se & 0x7fff) == 0;
}

/* %.{p-1}Le */
static int fmt_e_work(char *buf, const long double *x, int p)
{
    char d[18];
    int len = special(buf, x), e = 0;
    if (len >= 0)
        return len;
    len = -1 - len;
    if (p < 1)
        p = 1;
    if (p > 18)
        p = 18;
    if (is_zero(x)) {
        for (int i = 0; i < p; i++)
            d[i] = '0';
    } else {
        e = digits_of(x, p, d);
    }
    buf[len++] = d[0];
    if (p > 1) {
        buf[len++] = '.';
        for (int i = 1; i < p; i++)
            buf[len++] = d[i];
    }
    return put_exp(buf, len, e);
}

/* %.{p}Lg: %e or %f by the exponent, trailing zeros dropped */
static int fmt_g_work(char *buf, const long double *x, int p)
{
    char d[18];
    int len = special(buf, x), e = 0, n;
    if (len >= 0)
        return len;
    len = -1 - len;
    if (p < 1)
        p = 1;
    if (p > 18)
        p = 18;
    if (is_zero(x)) {
        buf[len++] = '0';
        buf[len] = 0;
        return len;
    }
    e = digits_of(x, p, d);
    for (n = p; n > 1 && d[n - 1] == '0'; n--)
        ;                               /* significant digits kept */
    if (e < -4 || e >= p) {
        buf[len++] = d[0];
        if (n > 1) {
            buf[len++] = '.';
            for (int i = 1; i < n; i++)
                buf[len++] = d[i];
        }
        return put_exp(buf, len, e);
    }
    if (e < 0) {
        buf[len++] = '0';
        buf[len++] = '.';
        for (int i = -1; i > e; i--)
            buf[len++] = '0';
        for (int i = 0; i < n; i++)
            buf[len++] = d[i];
    } else {
        for (int i = 0; i <= e; i++)
            buf[len++] = i < n ? d[i] : '0';
        if (n > e + 1) {
            buf[len++] = '.';
            for (int i = e + 1; i < n; i++)
                buf[len++] = d[i];
        }
    }
    buf[len] = 0;
    return len;
}

/* %.{dec}Lf while |x| * 10^dec < 2^62; %.17Le beyond */
static int fmt_f_work(char *buf, const long double *x, int dec)
{
    int len = special(buf, x);
    if (len >= 0)
        return len;
    len = -1 - len;
    s64 v = is_zero(x) ? 0 : round_scaled(x, dec);
    if (v < 0)
        return fmt_e_work(buf, x, 18);
    char d[21];
    int n = u64_digits(d, v);
    int pad = dec + 1 - n;              /* leading zeros so that there is a units digit */
    char t[40];
    int k = 0;
    for (int i = 0; i < pad; i++)
        t[k++] = '0';
    for (int i = 0; i < n; i++)
        t[k++] = d[i];
    for (int i = 0; i < k - dec; i++)
        buf[len++] = t[i];
    if (dec > 0) {
        buf[len++] = '.';
        for (int i = k - dec; i < k; i++)
            buf[len++] = t[i];
    }
    buf[len] = 0;
    return len;
}

/* Run a conversion under its own control word, then put the caller's x87
 * environment back (control and status words, tags, pointers). The work is
 * a separate function, called with the value by pointer, so that nothing of
 * the caller's sits in an x87 register across the FNSTENV/FLDENV pair. */
static const u16 convert_cw = CW_DEFAULT;
typedef int (*conv_fn)(char *, const long double *, int);
static int convert(conv_fn fn, char *buf, const long double *x, int arg)
{
    u32 env[7];
    asm volatile("fnstenv %0\n\tfldcw %1" : "=m"(env) : "m"(convert_cw) : "memory");
    int len = fn(buf, x, arg);
    asm volatile("fldenv %0" : : "m"(env) : "memory");
    return len;
}

int fmt_g(char *buf, long double v, int prec) { return convert(fmt_g_work, buf, &v, prec); }
int fmt_e(char *buf, long double v, int prec) { return convert(fmt_e_work, buf, &v, prec); }
int fmt_f(char *buf, long double v, int dec) { return convert(fmt_f_work, buf, &v, dec); }

void print_g(long double v, int prec)
{
    char buf[80];
    convert(fmt_g_work, buf, &v, prec);
    puts(buf);
}

void print_e(long double v, int prec)
{
    char buf[80];
    convert(fmt_e_work, buf, &v, prec);
    puts(buf);
}

void print_f(long double v, int dec)
{
    char buf[80];
    convert(fmt_f_work, buf, &v, dec);
    puts(buf);
}

u32 cmdline_number(struct multiboot_info *mbi, u32 magic, const char *key, u32 def)
{
    u32 klen = strlen(key);
    if (magic != MB_BOOT_MAGIC || !(mbi->flags & 4) || !mbi->cmdline)
        return def;
    for (const char *p = (const char *)mbi->cmdline; *p; p++)
        if (!strncmp(p, key, klen) && p[klen] == '=') {
            u32 n = 0;
            for (p += klen + 1; *p >= '0' && *p <= '9'; p++)
                n = n * 10 + *p - '0';
            return n;
        }
    return def;
}
