/* fpfmt_check.c -- `make fmtcheck`: fp.c's decimal conversion, built for
 * the host (x86-64, whose long double is the x87's too), against glibc's
 * printf on random floats, doubles and long doubles. Prints how many of
 * each kind differ and the first few that do; exits 1 if any differ. Not
 * part of any kernel.
 *
 * Of the kernels' runtime (rt.c), fmt_g and fmt_e need only fail() (below)
 * and strlen; the rest of fp.c links against glibc's functions of the same
 * names, and is not called. */
#define _GNU_SOURCE
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdlib.h>

int snprintf(char *s, size_t n, const char *fmt, ...);
int vsnprintf(char *s, size_t n, const char *fmt, va_list ap);

int fmt_g(char *buf, long double v, int prec);
int fmt_e(char *buf, long double v, int prec);
int fmt_f(char *buf, long double v, int dec);

void say(const char *fmt, ...);
void say(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    (void)!write(1, buf, n);
}

__attribute__((noreturn)) void fail(const char *why);
__attribute__((noreturn)) void fail(const char *why)
{
    say("FAIL: %s\n", why);
    _exit(2);
}

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd64(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

struct tally { const char *what; long n, bad; };
#define T(name) { name, 0, 0 }

static void cmp(struct tally *t, long double v, int prec, int e_form)
{
    char ours[128], want[128];
    if (e_form == 2) {
        fmt_f(ours, v, prec);
        snprintf(want, sizeof want, "%.*Lf", prec, v);
    } else if (e_form) {
        fmt_e(ours, v, prec);
        snprintf(want, sizeof want, "%.*Le", prec - 1, v);
    } else {
        fmt_g(ours, v, prec);
        snprintf(want, sizeof want, "%.*Lg", prec, v);
    }
    t->n++;
    if (strcmp(ours, want) != 0 && t->bad++ < 3)
        say("  %s: ours %s, glibc %s\n", t->what, ours, want);
}

int main(void)
{
    struct tally td15 = T("double %.15g"), td17 = T("double %.17g"), tf9 = T("float %.9g"),
                 te17 = T("double %.16e"), tl18 = T("long double %.18Lg"), tl21 = T("long double %.15Lg"),
                 tsm = T("small integers %.17g"), tany = T("long double %.18Le"),
                 tfix = T("double %.Nf");
    for (long i = 0; i < 300000; i++) {
        uint64_t b = rnd64();
        double d;
        float f;
        uint32_t fb = (uint32_t)b;
        memcpy(&d, &b, 8);
        memcpy(&f, &fb, 4);
        if (d == d) {
            cmp(&td15, d, 15, 0);
            cmp(&td17, d, 17, 0);
            cmp(&te17, d, 17, 1);
        }
        if (f == f)
            cmp(&tf9, f, 9, 0);
        /* long doubles of ordinary magnitude, random 64-bit significands */
        union { long double v; struct { uint64_t m; uint16_t se; } f; } x = { 0 };
        x.f.m = rnd64() | 1ull << 63;
        x.f.se = 16383 - 200 + (uint16_t)(rnd64() % 400);
        cmp(&tl18, x.v, 18, 0);
        cmp(&tl21, x.v, 15, 0);
        x.f.se = (uint16_t)rnd64();
        if ((x.f.se & 0x7fff) == 0x7fff)
            x.f.se ^= 1;
        if ((x.f.se & 0x7fff) == 0)
            x.f.m >>= 1 + rnd64() % 63;   /* a denormal (not a pseudo-denormal) */
        cmp(&tany, x.v, 18, 1);
        long double fx = d * 1e-300 * (1 << (rnd64() % 24));
        int dec = (int)(rnd64() % 8);
        if (fx == fx && fx * 1e7L < 4e18L && fx * 1e7L > -4e18L)    /* fmt_f's range */
            cmp(&tfix, fx, dec, 2);
        cmp(&tsm, (long double)(int32_t)(rnd64() % 2000001 - 1000000) / (1 << (rnd64() % 8)), 17, 0);
    }
    struct tally *all[] = { &td15, &td17, &te17, &tf9, &tsm, &tfix, &tl21, &tl18, &tany };
    int bad = 0;
    for (int i = 0; i < 9; i++) {
        say("%-22s %ld values, %ld differ\n", all[i]->what, all[i]->n, all[i]->bad);
        if (all[i]->bad)
            bad = 1;
    }
    return bad;
}
