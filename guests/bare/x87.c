/* x87 -- the floating-point unit instruction by instruction: FADD/FSUB(R)/
 * FMUL/FDIV(R) over a table of values of every class (zeros, normals,
 * denormals, the largest, infinities, quiet and signaling NaNs, an unnormal),
 * FSQRT/FRNDINT/FABS/FCHS/FXTRACT/FSCALE/FPREM/FPREM1, the popping register
 * forms by their encodings, the same under each rounding mode and precision
 * control, the memory operand forms (m32, m64, m16/m32 integers), loads and
 * stores of m32/m64/m80 (rounding at the edges, overflow, tininess),
 * FILD/FIST(P) with m16/m32/m64 under each rounding mode and out of range,
 * FBLD/FBSTP, the seven constants under each rounding mode, FCOM/FUCOM/
 * FICOM/FTST/FXAM into C3/C2/C0, FCOMI/FUCOMI(P) into ZF/PF/CF, FCMOVcc for
 * every condition, FXCH/FFREE/FINCSTP/FDECSTP, the FNSTENV and FNSAVE
 * images (tags for each class, TOP, FIP, FDP, the image in hex),
 * FLDENV/FRSTOR, unmasked exceptions (#MF at the next FWAIT with
 * CR0.NE = 1), and random operands under random control words
 * ("random=N" on the command line: N of each, default 160).
 *
 * Each case runs as a stub of a few instructions through cpu_run (EFLAGS in
 * and out), after FNINIT and the case's control word; then FNSAVE takes the
 * whole x87 (environment and the eight registers, from ST(0)) into img, and
 * the case prints what it left: registers as 80-bit bits, integers stored
 * to memory, the status word, EFLAGS.
 *
 * Left out, because QEMU 7.2 (TCG) departs from the manual there and the
 * point is a byte-for-byte comparison with it:
 *  - C1 when a result was rounded up (QEMU leaves it clear): the status
 *    word is printed through SW_SHOWN, without C1, except after FXAM (where
 *    C1 is the sign), FPREM (a quotient bit) and the compares (cleared).
 *  - DE, the denormal-operand flag: QEMU sets it for FXTRACT only. It is
 *    masked, and the denormal rows show results only.
 *  - Stack faults: QEMU never raises them (no SF, no IE, a push overwrites a
 *    full register, an empty one reads as whatever it holds), so no case
 *    over- or underflows the stack.
 *  - After an unmasked exception QEMU writes the destination (unscaled, for
 *    overflow and underflow, and so also sets PE after an underflow whose
 *    scaled result is exact), where the manual leaves a register
 *    unchanged or scales it by 2^-+24576: the #MF cases print the vector,
 *    where it was raised and the exception flags, not the results.
 *  - #MF at the next waiting x87 instruction: QEMU raises it at FWAIT only,
 *    so every unmasked case is followed by an FWAIT.
 *  - FOP (QEMU stores 0), and the reserved upper halves of the image's
 *    control, status, tag and FDS doublewords (ones on the P6, zeros in
 *    QEMU). FIP shows as an offset into its stub and FDP by the name of the
 *    variable it points at, so that nothing depends on the link addresses.
 *  - FPREM1's quotient bits in C0 C3 C1: QEMU leaves them clear (FPREM's it
 *    sets). FPREM1 shows C2 only.
 *  - FCOMI/FUCOMI(P) clear OF, SF and AF by the manual's EFLAGS table; QEMU
 *    leaves them as they were: only ZF PF CF are shown.
 *  - The precision control rounds only + - * / and FSQRT in the manual;
 *    QEMU rounds FRNDINT, FPREM(1), FSCALE and FXTRACT results to it too,
 *    so those run at 64 bits (where the two agree) in the random cases.
 *  - C3 C2 C0 after arithmetic, loads and stores are undefined in the
 *    manual (QEMU sets C2 after FSQRT of a negative number): masked.
 *  - FSIN/FCOS/FPTAN/FSINCOS, which QEMU computes in host doubles (and
 *    without PE): fpmath prints them, to 13 digits. */
#include "fp.h"

#define CR0_MP 0x2
#define CR0_NE 0x20

/* The status word as compared after arithmetic, loads, stores and
 * conversions: B, TOP, ES and IE ZE OE UE PE. C3 C2 C0 are undefined there
 * in the manual (QEMU sets C2 after FSQRT of a negative number), C1, DE and
 * SF are left out (above). The compares, FXAM and FPREM show their condition
 * codes. */
#define SW_SHOWN 0xB8BD
#define SW_CC (SW_C3 | SW_C2 | SW_C1 | SW_C0)

/* ---- the operands and what the stubs store (their names are in the stubs) */
long double xa, xb, xc;
double xd;
float xf;
s16 xw;
s32 xl;
s64 xq;
u8 xbcd[10];
double rd;
float rf;
s16 rw;
s32 rl;
s64 rq;
u8 rbcd[10];
u16 rsw;
u32 renv[7];
struct fsave {
    u32 cw, sw, tw, fip, fcs, fdp, fds;
    u8 st[80];                          /* ST(0) to ST(7), 10 bytes each */
} img;

static u32 efl_out, fault, fault_off;

/* FNINIT, the control word, the stub (EFLAGS in), then FNSAVE into img. */
static void run(const void *stub, u16 cw, u32 efl)
{
    struct cpu c = { .efl = 2 | efl };
    asm volatile("fninit\n\tfldcw %0" : : "m"(cw) : "memory");
    cpu_run(&c, stub);
    asm volatile("fnsave img" : : : "memory");
    efl_out = c.efl;
    fault = c.fault;
    fault_off = c.fault_off;
}

static const long double *st_at(int i) { return (const long double *)(void *)&img.st[10 * i]; }
static void st(int i) { print_ld_bits(st_at(i)); }
static long double st_val(int i) { return *st_at(i); }
static void sw(u32 mask) { printf(" sw=%04x", img.sw & mask); }

/* ---- values of every class, by their bits */
struct val { const char *name; u16 se; u64 m; };
static const struct val vals[] = {
    { "+0", 0x0000, 0 },
    { "-0", 0x8000, 0 },
    { "1", 0x3fff, 0x8000000000000000ull },
    { "-1.5", 0xbfff, 0xc000000000000000ull },
    { "3", 0x4000, 0xc000000000000000ull },
    { "0.1", 0x3ffb, 0xcccccccccccccccdull },
    { "pi", 0x4000, 0xc90fdaa22168c235ull },
    { "2^63+1", 0x403e, 0x8000000000000001ull },
    { "1e300", 0x43e3, 0xbf21e44003acdd2dull },
    { "-1e-300", 0xbc1c, 0xc0314325637a193aull },
    { "min", 0x0001, 0x8000000000000000ull },
    { "denorm", 0x0000, 0x4000000000000001ull },
    { "max", 0x7ffe, 0xffffffffffffffffull },
    { "+inf", 0x7fff, 0x8000000000000000ull },
    { "-inf", 0xffff, 0x8000000000000000ull },
    { "qnan", 0x7fff, 0xc000000000001234ull },
    { "-qnan", 0xffff, 0xc000000000000abcull },
    { "snan", 0x7fff, 0x8000000000005678ull },
    { "unnorm", 0x4000, 0x4000000000000000ull },
};
#define NVALS ARRAY_SIZE(vals)
static long double val(int i) { return ld_bits(vals[i].se, vals[i].m); }

/* ---- arithmetic: ST(0) = a, ST(1) = b */
DEF_STUB(s_fadd, "fldt xb; fldt xa; fadd %st(1), %st");
DEF_STUB(s_fsub, "fldt xb; fldt xa; fsub %st(1), %st");
DEF_STUB(s_fsubr, "fldt xb; fldt xa; fsubr %st(1), %st");
DEF_STUB(s_fmul, "fldt xb; fldt xa; fmul %st(1), %st");
DEF_STUB(s_fdiv, "fldt xb; fldt xa; fdiv %st(1), %st");
DEF_STUB(s_fdivr, "fldt xb; fldt xa; fdivr %st(1), %st");
DEF_STUB(s_fprem, "fldt xb; fldt xa; fprem");
DEF_STUB(s_fprem1, "fldt xb; fldt xa; fprem1");
DEF_STUB(s_fscale, "fldt xb; fldt xa; fscale");
DEF_STUB(s_fsqrt, "fldt xa; fsqrt");
DEF_STUB(s_frndint, "fldt xa; frndint");
DEF_STUB(s_fxtract, "fldt xa; fxtract");
DEF_STUB(s_fabs, "fldt xa; fabs");
DEF_STUB(s_fchs, "fldt xa; fchs");
/* the popping register forms, by their encodings (AT&T mnemonics swap
 * FSUBP and FSUBRP): DE C1 FADDP ST(1),ST(0): ST(1) = ST(1) + ST(0); DE E9
 * FSUBP: ST(1) = ST(1) - ST(0); DE E1 FSUBRP: ST(1) = ST(0) - ST(1); DE F9
 * FDIVP: ST(1) = ST(1) / ST(0); DE F1 FDIVRP: ST(1) = ST(0) / ST(1); DE C9
 * FMULP; and DC E9 FSUB ST(1),ST(0) (no pop): ST(1) = ST(1) - ST(0) */
DEF_STUB(s_faddp, "fldt xb; fldt xa; .byte 0xde, 0xc1");
DEF_STUB(s_fsubp, "fldt xb; fldt xa; .byte 0xde, 0xe9");
DEF_STUB(s_fsubrp, "fldt xb; fldt xa; .byte 0xde, 0xe1");
DEF_STUB(s_fmulp, "fldt xb; fldt xa; .byte 0xde, 0xc9");
DEF_STUB(s_fdivp, "fldt xb; fldt xa; .byte 0xde, 0xf9");
DEF_STUB(s_fdivrp, "fldt xb; fldt xa; .byte 0xde, 0xf1");
DEF_STUB(s_fsub_st1, "fldt xb; fldt xa; .byte 0xdc, 0xe9");

static const struct { const char *name; const void *stub; } binops[] = {
    { "fadd", s_fadd }, { "fsub", s_fsub }, { "fsubr", s_fsubr },
    { "fmul", s_fmul }, { "fdiv", s_fdiv }, { "fdivr", s_fdivr },
};

static void test_binops(void)
{
    puts("-- arithmetic: ST(0) = a op b, all exceptions masked\n");
    for (u32 o = 0; o < ARRAY_SIZE(binops); o++)
        for (u32 i = 0; i < NVALS; i++)
            for (u32 j = 0; j < NVALS; j++) {
                xa = val(i);
                xb = val(j);
                run(binops[o].stub, CW_DEFAULT, 0);
                printf("%s %s %s: ", binops[o].name, vals[i].name, vals[j].name);
                st(0);
                sw(SW_SHOWN);
                putchar('\n');
            }
}

static void test_unops(void)
{
    static const struct { const char *name; const void *stub; int two; } ops[] = {
        { "fsqrt", s_fsqrt, 0 }, { "frndint", s_frndint, 0 }, { "fabs", s_fabs, 0 },
        { "fchs", s_fchs, 0 }, { "fxtract", s_fxtract, 1 },
    };
    puts("-- FSQRT FRNDINT FABS FCHS FXTRACT (ST(0) ST(1))\n");
    for (u32 o = 0; o < ARRAY_SIZE(ops); o++)
        for (u32 i = 0; i < NVALS; i++) {
            xa = val(i);
            run(ops[o].stub, CW_DEFAULT, 0);
            printf("%s %s: ", ops[o].name, vals[i].name);
            st(0);
            if (ops[o].two) {
                putchar(' ');
                st(1);
            }
            sw(SW_SHOWN);
            putchar('\n');
        }
}

/* FPREM/FPREM1/FSCALE over pairs where they mean something */
static void test_prem_scale(void)
{
    static const struct { long double a, b; } prem[] = {
        { 10, 3 }, { -10, 3 }, { 10, -3 }, { 7.5L, 2 }, { 5, 2 }, { 7, 2 }, { -7, 2 }, { 3, 2 },
        { 1, 0.1L }, { 1e300L, 3 }, { 1e30L, 7 }, { 3.14159L, 1e-20L }, { 1e4000L, 1.5L },
        { 0.25L, 0.5L }, { 0.75L, 0.5L }, { 100, 1 },
    };
    static const struct { long double a, b; } sc[] = {
        { 1, 3 }, { 1.5L, -2 }, { 3, 2.9L }, { 3, -2.9L }, { 1, 16383 }, { 1, 16384 }, { 1, -16382 },
        { 1, -16400 }, { 1, -20000 }, { 5, 1e10L }, { 5, -1e10L }, { 0, 100 }, { 7, 0.5L },
    };
    puts("-- FPREM FPREM1: ST(0) ST(1), C3 C2 C1 C0 (quotient bits, incomplete)\n");
    for (u32 i = 0; i < ARRAY_SIZE(prem); i++) {
        xa = prem[i].a;
        xb = prem[i].b;
        for (int k = 0; k < 2; k++) {
            run(k ? s_fprem1 : s_fprem, CW_DEFAULT, 0);
            printf(k ? "fprem1 " : "fprem  ");
            print_g(xa, 8);
            putchar(' ');
            print_g(xb, 8);
            puts(": ");
            st(0);
            putchar(' ');
            print_g(st_val(0), 18);
            sw(k ? SW_SHOWN | SW_C2 : SW_SHOWN | SW_CC);
            putchar('\n');
        }
    }
    /* one FPREM at a time until C2 is clear, on an exponent difference over 63 */
    puts("fprem loop 1e4000 / 1.5:");
    xa = 1e4000L;
    xb = 1.5L;
    {
        u16 s;
        int n = 0;
        long double r;
        asm volatile("fninit; fldt xb; fldt xa\n"
                     "1: fprem; incl %1; fnstsw %%ax; testw $0x400, %%ax; jnz 1b\n"
                     "fstpt %2; fstp %%st(0)"
                     : "=a"(s), "+r"(n), "=m"(r) : : "memory", "st", "st(1)");
        printf(" %d steps, ", n);
        print_g(r, 18);
        printf(" sw=%04x\n", s & (SW_SHOWN | SW_CC));
    }
    puts("-- FSCALE: ST(0) = a * 2^trunc(b)\n");
    for (u32 i = 0; i < ARRAY_SIZE(sc); i++) {
        xa = sc[i].a;
        xb = sc[i].b;
        run(s_fscale, CW_DEFAULT, 0);
        puts("fscale ");
        print_g(xa, 8);
        putchar(' ');
        print_g(xb, 8);
        puts(": ");
        st(0);
        sw(SW_SHOWN);
        putchar('\n');
    }
}

static void test_pop_forms(void)
{
    static const struct { const char *name; const void *stub; } ops[] = {
        { "faddp", s_faddp }, { "fsubp", s_fsubp }, { "fsubrp", s_fsubrp }, { "fmulp", s_fmulp },
        { "fdivp", s_fdivp }, { "fdivrp", s_fdivrp }, { "fsub st(1),st", s_fsub_st1 },
    };
    puts("-- the popping forms (a = 3 in ST(0), b = 2 in ST(1)): ST(0) ST(1) TOP\n");
    xa = 3;
    xb = 2;
    for (u32 o = 0; o < ARRAY_SIZE(ops); o++) {
        run(ops[o].stub, CW_DEFAULT, 0);
        printf("%s: ", ops[o].name);
        st(0);
        putchar(' ');
        print_g(st_val(0), 6);
        printf(" top=%u\n", (img.sw >> 11) & 7);
    }
}

/* ---- rounding and precision control */
static void test_rounding(void)
{
    static const struct { const char *name; const void *stub; long double a, b; } cases[] = {
        { "1/3", s_fdiv, 1, 3 }, { "-2/3", s_fdiv, -2, 3 }, { "0.1+0.2", s_fadd, 0.1L, 0.2L },
        { "pi*1e10", s_fmul, 3.14159265358979323846L, 1e10L }, { "(2^63+1)+0.5", s_fadd, 9223372036854775809.0L, 0.5L },
        { "sqrt 2", s_fsqrt, 2, 0 }, { "sqrt 1e-5", s_fsqrt, 1e-5L, 0 }, { "rndint 2.5", s_frndint, 2.5L, 0 },
        { "rndint -2.5", s_frndint, -2.5L, 0 }, { "rndint 3.7", s_frndint, 3.7L, 0 }, { "rndint -0.3", s_frndint, -0.3L, 0 },
        { "max*2", s_fmul, 0, 2 }, { "min/3", s_fdiv, 0, 3 }, { "1-2^-70", s_fsub, 1, 0 },
    };
    static const u16 rc[] = { CW_RC_NEAR, CW_RC_DOWN, CW_RC_UP, CW_RC_ZERO };
    static const u16 pc[] = { CW_PC_24, CW_PC_53, CW_PC_64 };
    static const char *const rcname[] = { "near", "down", "up", "zero" };
    static const char *const pcname[] = { "24", "53", "64" };
    puts("-- rounding control x precision control: ST(0), sw\n");
    for (u32 i = 0; i < ARRAY_SIZE(cases); i++) {
        xa = cases[i].a;
        xb = cases[i].b;
        if (i == 11)
            xa = ld_bits(0x7ffe, ~0ull);
        if (i == 12)
            xa = ld_bits(0x0001, 1ull << 63);
        if (i == 13)
            xb = ld_bits(0x3fb9, 1ull << 63);
        for (u32 p = 0; p < 3; p++)
            for (u32 r = 0; r < 4; r++) {
                run(cases[i].stub, 0x7f | pc[p] | rc[r], 0);
                printf("%s pc%s %s: ", cases[i].name, pcname[p], rcname[r]);
                st(0);
                putchar(' ');
                print_g(st_val(0), 18);
                sw(SW_SHOWN);
                putchar('\n');
            }
    }
}

/* ---- memory operands */
DEF_STUB(s_fadds, "fldt xa; fadds xf");
DEF_STUB(s_faddl, "fldt xa; faddl xd");
DEF_STUB(s_fiadds, "fldt xa; fiadds xw");
DEF_STUB(s_fiaddl, "fldt xa; fiaddl xl");
DEF_STUB(s_fsubrs, "fldt xa; fsubrs xf");
DEF_STUB(s_fdivrl, "fldt xa; fdivrl xd");
DEF_STUB(s_fimull, "fldt xa; fimull xl");
DEF_STUB(s_fidivrs, "fldt xa; fidivrs xw");
DEF_STUB(s_fmuls, "fldt xa; fmuls xf");

static void test_memops(void)
{
    static const struct { const char *name; const void *stub; } ops[] = {
        { "fadds", s_fadds }, { "faddl", s_faddl }, { "fiadds", s_fiadds }, { "fiaddl", s_fiaddl },
        { "fsubrs", s_fsubrs }, { "fdivrl", s_fdivrl }, { "fimull", s_fimull }, { "fidivrs", s_fidivrs },
        { "fmuls", s_fmuls },
    };
    static const struct { u32 f; u64 d; s16 w; s32 l; } mems[] = {
        { 0x3f800000, 0x3ff0000000000000ull, 1, 1 },                            /* 1 */
        { 0xbe4ccccd, 0xbfb999999999999aull, -7, -100000 },                      /* -0.2, -0.1 */
        { 0x00000001, 0x0000000000000001ull, 32767, 2147483647 },               /* smallest denormals */
        { 0x7f7fffff, 0x7fefffffffffffffull, -32768, (s32)0x80000000 },          /* largest */
        { 0x7f800000, 0xfff0000000000000ull, 0, 0 },                            /* +inf, -inf */
        { 0x7fa00000, 0x7ff4000000000000ull, 3, 3 },                            /* SNaN */
        { 0xffc00001, 0x7ff8000000000001ull, -1, -1 },                          /* QNaN */
        { 0x00000000, 0x8000000000000000ull, 2, 2 },                            /* +0, -0 */
    };
    static const long double as[] = { 1.5L, -3, 1e-4940L, 0 };
    puts("-- memory operands: ST(0) = a op m32 / m64 / m16int / m32int\n");
    for (u32 o = 0; o < ARRAY_SIZE(ops); o++)
        for (u32 m = 0; m < ARRAY_SIZE(mems); m++)
            for (u32 a = 0; a < ARRAY_SIZE(as); a++) {
                xf = f_bits(mems[m].f);
                xd = d_bits(mems[m].d);
                xw = mems[m].w;
                xl = mems[m].l;
                xa = as[a];
                run(ops[o].stub, CW_DEFAULT, 0);
                printf("%s m%u a%u: ", ops[o].name, m, a);
                st(0);
                sw(SW_SHOWN);
                putchar('\n');
            }
}

/* ---- loads and stores */
DEF_STUB(s_flds, "flds xf");
DEF_STUB(s_fldl, "fldl xd");
DEF_STUB(s_fldt, "fldt xa");
DEF_STUB(s_fsts, "fldt xa; fsts rf");
DEF_STUB(s_fstpl, "fldt xa; fstpl rd");
DEF_STUB(s_fstpt, "fldt xa; fstpt xc");
DEF_STUB(s_fst_st2, "fldz; fld1; fldt xa; fst %st(2)");
DEF_STUB(s_fstp_st1, "fldz; fldt xa; fstp %st(1)");

static void test_loads_stores(void)
{
    static const u32 f32[] = { 0x3f800000, 0x80000000, 0x00000001, 0x807fffff, 0x00800000, 0x7f7fffff, 0x7f800000,
                               0xff800000, 0x7fc00000, 0x7f800001, 0xffbfffff, 0x3eaaaaab };
    static const u64 f64[] = { 0x3ff0000000000000ull, 0x8000000000000000ull, 0x0000000000000001ull,
                               0x000fffffffffffffull, 0x7fefffffffffffffull, 0x7ff0000000000000ull,
                               0x7ff8000000000000ull, 0x7ff0000000000001ull, 0xfff7ffffffffffffull,
                               0x3fd5555555555555ull };
    puts("-- FLD m32: ST(0)\n");
    for (u32 i = 0; i < ARRAY_SIZE(f32); i++) {
        xf = f_bits(f32[i]);
        run(s_flds, CW_DEFAULT, 0);
        printf("flds %08x: ", f32[i]);
        st(0);
        sw(SW_SHOWN);
        putchar('\n');
    }
    puts("-- FLD m64: ST(0)\n");
    for (u32 i = 0; i < ARRAY_SIZE(f64); i++) {
        xd = d_bits(f64[i]);
        run(s_fldl, CW_DEFAULT, 0);
        puts("fldl ");
        print_hex64(f64[i]);
        puts(": ");
        st(0);
        sw(SW_SHOWN);
        putchar('\n');
    }
    puts("-- FLD m80 (no conversion, no exception): ST(0)\n");
    for (u32 i = 0; i < NVALS; i++) {
        xa = val(i);
        run(s_fldt, CW_DEFAULT, 0);
        printf("fldt %s: ", vals[i].name);
        st(0);
        sw(SW_SHOWN);
        putchar('\n');
    }
    puts("-- FST m32 / FSTP m64 / FSTP m80 under each rounding mode\n");
    static const u16 rc[] = { CW_RC_NEAR, CW_RC_DOWN, CW_RC_UP, CW_RC_ZERO };
    for (u32 i = 0; i < NVALS; i++)
        for (u32 r = 0; r < 4; r++) {
            xa = val(i);
            rf = 0;
            rd = 0;
            run(s_fsts, CW_DEFAULT | rc[r], 0);
            printf("%s rc%u: m32 ", vals[i].name, r);
            print_f_bits(&rf);
            sw(SW_SHOWN);
            run(s_fstpl, CW_DEFAULT | rc[r], 0);
            puts(" m64 ");
            print_d_bits(&rd);
            sw(SW_SHOWN);
            run(s_fstpt, CW_DEFAULT | rc[r], 0);
            puts(" m80 ");
            print_ld_bits(&xc);
            sw(SW_SHOWN);
            putchar('\n');
        }
    /* rounding to m32/m64 at the edges: halfway cases, overflow, tininess */
    static const struct { u16 se; u64 m; } edges[] = {
        { 0x3fff, 0x8000008000000000ull },      /* 1 + 2^-24: halfway for float, ties to even */
        { 0x3fff, 0x8000018000000000ull },      /* 1 + 3*2^-24 */
        { 0x3fff, 0x8000000000000400ull },      /* 1 + 2^-53: halfway for double */
        { 0x3fff, 0x8000000000000c00ull },
        { 0x407e, 0xffffff8000000000ull },      /* float max + half an ulp: overflows to nearest */
        { 0x43fe, 0xfffffffffffff800ull },      /* double max + half an ulp */
        { 0x3f81, 0xffffff0000000000ull },      /* just below the smallest normal float */
        { 0x3f6a, 0x8000000000000000ull },      /* float 2^-149, the smallest denormal */
        { 0x3f69, 0x8000000000000000ull },      /* half of it */
        { 0x3f69, 0x8000000000000001ull },      /* a bit more than half */
        { 0x3bcd, 0x8000000000000000ull },      /* double 2^-1074 */
        { 0x3bcc, 0xc000000000000000ull },      /* 0.75 * 2^-1074 */
    };
    puts("-- FST m32/m64 at the edges, each rounding mode\n");
    for (u32 i = 0; i < ARRAY_SIZE(edges); i++)
        for (u32 r = 0; r < 4; r++) {
            xa = ld_bits(edges[i].se, edges[i].m);
            run(s_fsts, CW_DEFAULT | rc[r], 0);
            printf("edge%u rc%u: m32 ", i, r);
            print_f_bits(&rf);
            sw(SW_SHOWN);
            run(s_fstpl, CW_DEFAULT | rc[r], 0);
            puts(" m64 ");
            print_d_bits(&rd);
            sw(SW_SHOWN);
            putchar('\n');
        }
    puts("-- FST ST(2), FSTP ST(1)\n");
    xa = 42;
    run(s_fst_st2, CW_DEFAULT, 0);
    puts("fst st(2): ");
    st(0);
    putchar(' ');
    st(1);
    putchar(' ');
    st(2);
    printf(" tw=%04x\n", img.tw & 0xffff);
    run(s_fstp_st1, CW_DEFAULT, 0);
    puts("fstp st(1): ");
    st(0);
    printf(" top=%u tw=%04x\n", (img.sw >> 11) & 7, img.tw & 0xffff);
}

/* ---- integers */
DEF_STUB(s_fild16, "filds xw");
DEF_STUB(s_fild32, "fildl xl");
DEF_STUB(s_fild64, "fildll xq");
DEF_STUB(s_fist16, "fldt xa; fists rw");
DEF_STUB(s_fist32, "fldt xa; fistl rl");
DEF_STUB(s_fistp64, "fldt xa; fistpll rq");
DEF_STUB(s_fbld, "fbld xbcd");
DEF_STUB(s_fbstp, "fldt xa; fbstp rbcd");

static void test_integers(void)
{
    static const s64 q[] = { 0, 1, -1, 0x7fffffffffffffffll, (s64)0x8000000000000000ull, 9007199254740993ll,
                             -9007199254740993ll, 0x123456789abcdefll, 1000000000000000000ll };
    puts("-- FILD m16/m32/m64\n");
    for (u32 i = 0; i < ARRAY_SIZE(q); i++) {
        xw = (s16)q[i];
        xl = (s32)q[i];
        xq = q[i];
        puts("fild ");
        print_s64(q[i]);
        puts(": m16 ");
        run(s_fild16, CW_DEFAULT, 0);
        st(0);
        puts(" m32 ");
        run(s_fild32, CW_DEFAULT, 0);
        st(0);
        puts(" m64 ");
        run(s_fild64, CW_DEFAULT, 0);
        st(0);
        sw(SW_SHOWN);
        putchar('\n');
    }
    static const long double in[] = { 0, -0.0L, 0.5L, 1.5L, 2.5L, -2.5L, -0.5L, 3.7L, -3.7L, 32767.5L, -32768.5L,
                                      32768, 2147483647.5L, -2147483648.5L, 2147483648.0L,
                                      9223372036854775807.0L, -9223372036854775808.0L, 9223372036854775808.0L,
                                      -9223372036854775809.0L, 1e30L, 0, 0, 0, 0 };
    static const u16 rc[] = { CW_RC_NEAR, CW_RC_DOWN, CW_RC_UP, CW_RC_ZERO };
    puts("-- FIST m16 / FIST m32 / FISTP m64 under each rounding mode (indefinite when out of range)\n");
    for (u32 i = 0; i < ARRAY_SIZE(in); i++) {
        long double v = in[i];
        if (i == ARRAY_SIZE(in) - 4)
            v = ld_bits(0x7fff, 1ull << 63);
        if (i == ARRAY_SIZE(in) - 3)
            v = ld_bits(0xffff, 3ull << 62);
        if (i == ARRAY_SIZE(in) - 2)
            v = ld_bits(0x0000, 1);
        if (i == ARRAY_SIZE(in) - 1)
            v = ld_bits(0x403e, ~0ull);                 /* 2^64 - 1 */
        for (u32 r = 0; r < 4; r++) {
            xa = v;
            print_ld_bits(&xa);
            printf(" rc%u:", r);
            run(s_fist16, CW_DEFAULT | rc[r], 0);
            printf(" %d", rw);
            sw(SW_SHOWN);
            run(s_fist32, CW_DEFAULT | rc[r], 0);
            printf(" %d", rl);
            sw(SW_SHOWN);
            run(s_fistp64, CW_DEFAULT | rc[r], 0);
            putchar(' ');
            print_s64(rq);
            sw(SW_SHOWN);
            putchar('\n');
        }
    }
    puts("-- FBLD / FBSTP (packed BCD)\n");
    static const u8 bcds[][10] = {
        { 0x21, 0x43, 0x65, 0x87, 0x09, 0, 0, 0, 0, 0 },
        { 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x80 },
        { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80 },
        { 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
    };
    for (u32 i = 0; i < ARRAY_SIZE(bcds); i++) {
        memcpy(xbcd, bcds[i], 10);
        run(s_fbld, CW_DEFAULT, 0);
        printf("fbld %u: ", i);
        st(0);
        sw(SW_SHOWN);
        putchar('\n');
    }
    static const long double bin[] = { 0, -0.0L, 123456789, -987654321012345678.0L, 2.5L, 3.5L, -0.7L,
                                       999999999999999999.0L, 1e18L, 1e30L };
    for (u32 i = 0; i < ARRAY_SIZE(bin); i++) {
        xa = bin[i];
        memset(rbcd, 0x55, 10);
        run(s_fbstp, CW_DEFAULT, 0);
        puts("fbstp ");
        print_g(bin[i], 18);
        puts(":");
        for (int k = 9; k >= 0; k--)
            printf(" %02x", rbcd[k]);
        sw(SW_SHOWN);
        putchar('\n');
    }
}

/* ---- constants */
DEF_STUB(s_fld1, "fld1");
DEF_STUB(s_fldz, "fldz");
DEF_STUB(s_fldpi, "fldpi");
DEF_STUB(s_fldl2t, "fldl2t");
DEF_STUB(s_fldl2e, "fldl2e");
DEF_STUB(s_fldlg2, "fldlg2");
DEF_STUB(s_fldln2, "fldln2");

static void test_constants(void)
{
    static const struct { const char *name; const void *stub; } k[] = {
        { "fld1", s_fld1 }, { "fldz", s_fldz }, { "fldpi", s_fldpi }, { "fldl2t", s_fldl2t },
        { "fldl2e", s_fldl2e }, { "fldlg2", s_fldlg2 }, { "fldln2", s_fldln2 },
    };
    static const u16 rc[] = { CW_RC_NEAR, CW_RC_DOWN, CW_RC_UP, CW_RC_ZERO };
    puts("-- constants under each rounding mode (and at 24-bit precision: not rounded)\n");
    for (u32 i = 0; i < ARRAY_SIZE(k); i++) {
        printf("%s:", k[i].name);
        for (u32 r = 0; r < 4; r++) {
            run(k[i].stub, CW_DEFAULT | rc[r], 0);
            putchar(' ');
            st(0);
        }
        run(k[i].stub, 0x7f | CW_PC_24, 0);
        putchar(' ');
        st(0);
        sw(SW_SHOWN);
        putchar('\n');
    }
}

/* ---- comparisons */
DEF_STUB(s_fcom, "fldt xb; fldt xa; fcom %st(1)");
DEF_STUB(s_fucom, "fldt xb; fldt xa; fucom %st(1)");
DEF_STUB(s_fcompp, "fldt xb; fldt xa; fcompp");
DEF_STUB(s_fucompp, "fldt xb; fldt xa; fucompp");
DEF_STUB(s_fcoml, "fldt xa; fcoml xd");
DEF_STUB(s_ficoml, "fldt xa; ficoml xl");
DEF_STUB(s_ftst, "fldt xa; ftst");
DEF_STUB(s_fcomi, "fldt xb; fldt xa; fcomi %st(1), %st");
DEF_STUB(s_fucomi, "fldt xb; fldt xa; fucomi %st(1), %st");
DEF_STUB(s_fcomip, "fldt xb; fldt xa; fcomip %st(1), %st");
DEF_STUB(s_fucomip, "fldt xb; fldt xa; fucomip %st(1), %st");
DEF_STUB(s_fxam, "fldt xa; fxam");
DEF_STUB(s_fxam_empty, "fld1; fstp %st(0); fxam");

static void test_compares(void)
{
    static const int cv[] = { 0, 1, 2, 3, 11, 12, 13, 14, 15, 17, 18 };  /* indexes into vals */
    puts("-- FCOM FUCOM FCOMPP FUCOMPP: C3 C2 C0 and IE; FCOMI FUCOMI FCOMIP FUCOMIP: ZF PF CF and IE\n");
    for (u32 i = 0; i < ARRAY_SIZE(cv); i++)
        for (u32 j = 0; j < ARRAY_SIZE(cv); j++) {
            xa = val(cv[i]);
            xb = val(cv[j]);
            printf("%s ? %s:", vals[cv[i]].name, vals[cv[j]].name);
            static const void *const sw_stubs[] = { s_fcom, s_fucom, s_fcompp, s_fucompp };
            for (u32 k = 0; k < 4; k++) {
                run(sw_stubs[k], CW_DEFAULT, 0);
                printf(" %04x", img.sw & (SW_C3 | SW_C2 | SW_C1 | SW_C0 | SW_IE | 0x3800));
            }
            static const void *const fl_stubs[] = { s_fcomi, s_fucomi, s_fcomip, s_fucomip };
            for (u32 k = 0; k < 4; k++) {
                /* every arithmetic flag set going in: OF SF AF are cleared, ZF PF CF set by the result */
                run(fl_stubs[k], CW_DEFAULT, FL_ARITH);
                putchar(' ');
                print_flags(efl_out, FL_ZF | FL_PF | FL_CF);
                printf("/%x", img.sw & (SW_IE | SW_C1));
            }
            putchar('\n');
        }
    puts("-- FCOM m64, FICOM m32, FTST\n");
    static const long double a[] = { 1, -1, 0, 1e-320L, 1e300L };
    static const double d[] = { 1, -1, -0.0, 1e300 };
    static const s32 l[] = { 1, -1, 0, 2147483647 };
    for (u32 i = 0; i < ARRAY_SIZE(a); i++) {
        xa = a[i];
        print_g(a[i], 6);
        puts(":");
        for (u32 k = 0; k < ARRAY_SIZE(d); k++) {
            xd = d[k];
            run(s_fcoml, CW_DEFAULT, 0);
            printf(" %04x", img.sw & (SW_C3 | SW_C2 | SW_C1 | SW_C0 | SW_IE));
        }
        for (u32 k = 0; k < ARRAY_SIZE(l); k++) {
            xl = l[k];
            run(s_ficoml, CW_DEFAULT, 0);
            printf(" %04x", img.sw & (SW_C3 | SW_C2 | SW_C1 | SW_C0 | SW_IE));
        }
        run(s_ftst, CW_DEFAULT, 0);
        printf(" ftst %04x\n", img.sw & (SW_C3 | SW_C2 | SW_C1 | SW_C0 | SW_IE));
    }
    puts("-- FXAM: C3 C2 C1 C0 (class and sign)\n");
    for (u32 i = 0; i < NVALS; i++) {
        xa = val(i);
        run(s_fxam, CW_DEFAULT, 0);
        printf("fxam %s: %04x\n", vals[i].name, img.sw & (SW_C3 | SW_C2 | SW_C1 | SW_C0));
    }
    static const struct { u16 se; u64 m; } odd[] = {
        { 0x0000, 0x8000000000000000ull },      /* pseudo-denormal */
        { 0x7fff, 0x0000000000000000ull },      /* pseudo-infinity */
        { 0x7fff, 0x4000000000000000ull },      /* pseudo-NaN */
        { 0x8001, 0x0000000000000000ull },      /* unnormal zero significand */
    };
    for (u32 i = 0; i < ARRAY_SIZE(odd); i++) {
        xa = ld_bits(odd[i].se, odd[i].m);
        run(s_fxam, CW_DEFAULT, 0);
        printf("fxam %04x:", odd[i].se);
        print_hex64(odd[i].m);
        printf(": %04x\n", img.sw & (SW_C3 | SW_C2 | SW_C1 | SW_C0));
    }
    run(s_fxam_empty, CW_DEFAULT, 0);
    printf("fxam empty: %04x\n", img.sw & (SW_C3 | SW_C2 | SW_C0));
}

/* ---- FCMOVcc: ST(0) = b (in ST(1)) if the condition holds, else a stays */
DEF_STUB(s_fcmovb, "fldt xb; fldt xa; fcmovb %st(1), %st");
DEF_STUB(s_fcmove, "fldt xb; fldt xa; fcmove %st(1), %st");
DEF_STUB(s_fcmovbe, "fldt xb; fldt xa; fcmovbe %st(1), %st");
DEF_STUB(s_fcmovu, "fldt xb; fldt xa; fcmovu %st(1), %st");
DEF_STUB(s_fcmovnb, "fldt xb; fldt xa; fcmovnb %st(1), %st");
DEF_STUB(s_fcmovne, "fldt xb; fldt xa; fcmovne %st(1), %st");
DEF_STUB(s_fcmovnbe, "fldt xb; fldt xa; fcmovnbe %st(1), %st");
DEF_STUB(s_fcmovnu, "fldt xb; fldt xa; fcmovnu %st(1), %st");

static void test_fcmov(void)
{
    static const struct { const char *name; const void *stub; } ops[] = {
        { "fcmovb", s_fcmovb }, { "fcmove", s_fcmove }, { "fcmovbe", s_fcmovbe }, { "fcmovu", s_fcmovu },
        { "fcmovnb", s_fcmovnb }, { "fcmovne", s_fcmovne }, { "fcmovnbe", s_fcmovnbe }, { "fcmovnu", s_fcmovnu },
    };
    puts("-- FCMOVcc for each ZF PF CF: 1 = moved\n");
    xa = 1;
    xb = 2;
    for (u32 o = 0; o < ARRAY_SIZE(ops); o++) {
        printf("%-9s", ops[o].name);
        for (u32 f = 0; f < 8; f++) {
            u32 efl = (f & 1 ? FL_CF : 0) | (f & 2 ? FL_PF : 0) | (f & 4 ? FL_ZF : 0);
            run(ops[o].stub, CW_DEFAULT, efl);
            printf(" %c%c%c:%d", f & 4 ? 'Z' : '.', f & 2 ? 'P' : '.', f & 1 ? 'C' : '.',
                   ((const struct f80 *)st_at(0))->se == 0x4000);
        }
        putchar('\n');
    }
}

/* ---- the stack and the environment */
DEF_STUB(s_stack, "fld1; fldpi; fldz; fxch %st(2); fincstp; ffree %st(7); fldl2e; ffree %st(2); fdecstp; fdecstp");
DEF_STUB(s_tags, "fldt xa; fldt xb; fldt xc; fldz; fld1; fstenv renv");
DEF_STUB(s_fdp, "fldt xa; fldl xd; faddp; fstps rf; fldl2e; fstl rd; fnop; fwait");
DEF_STUB(s_fdp2, "fildl xl; fiaddl xl; fnstcw rw; fnstsw rsw");
DEF_STUB(s_ldenv, "fldenv renv; fldz");
DEF_STUB(s_rstor, "frstor img; fldz; fxch %st(3)");

static void print_env(const u32 *e, u32 stub)
{
    static const struct { const char *name; const void *at; } data[] = {
        { "xa", &xa }, { "xd", &xd }, { "xl", &xl }, { "rf", &rf }, { "rd", &rd }, { "rw", &rw }, { "rsw", &rsw },
    };
    printf("cw=%04x sw=%04x tw=%04x fip=+%u fcs=%04x fds=%04x fdp=", e[0] & 0xffff, e[1] & SW_SHOWN, e[2] & 0xffff,
           e[3] - stub, e[4] & 0xffff, e[6] & 0xffff);
    for (u32 i = 0; i < ARRAY_SIZE(data); i++)
        if (e[5] == (u32)data[i].at) {
            puts(data[i].name);
            return;
        }
    printf("%08x", e[5]);
}

static void test_environment(void)
{
    puts("-- FXCH FINCSTP FFREE FDECSTP: the registers from ST(0), TOP, tags\n");
    run(s_stack, CW_DEFAULT, 0);
    for (int i = 0; i < 8; i++) {
        st(i);
        putchar(i == 7 ? '\n' : ' ');
    }
    printf("top=%u tw=%04x\n", (img.sw >> 11) & 7, img.tw & 0xffff);

    puts("-- FNSTENV: the tag of each class (ST(0)=1 ST(1)=0 ST(2..4)=xc xb xa)\n");
    for (u32 i = 0; i < NVALS; i++) {
        xa = val(i);
        xb = val((i + 1) % NVALS);
        xc = val((i + 5) % NVALS);
        run(s_tags, CW_DEFAULT, 0);
        printf("%s %s %s: tw=%04x sw=%04x cw=%04x\n", vals[i].name, vals[(i + 1) % NVALS].name,
               vals[(i + 5) % NVALS].name, renv[2] & 0xffff, renv[1] & SW_SHOWN, renv[0] & 0xffff);
    }

    puts("-- FIP and FDP of the last non-control instruction\n");
    xd = 2;
    xa = 1;
    xl = 7;
    run(s_fdp, 0x7f, 0);
    print_env(&img.cw, (u32)s_fdp);
    printf(" rf=%08x\n", *(u32 *)&rf);
    run(s_fdp2, 0x7f, 0);
    print_env(&img.cw, (u32)s_fdp2);
    printf(" cw=%04x sw=%04x\n", (u16)rw, rsw & SW_SHOWN);

    /* The whole FNSAVE image of s_fdp in hex, as it lies in memory: 28
     * bytes of environment, then ST(0) to ST(7), 10 bytes each. Where QEMU
     * departs from the manual the bytes print as "..": the reserved upper
     * halves of the control, status and tag doublewords and the FDS
     * doubleword (ones on the P6, zeros in QEMU), FOP (zero in QEMU) and
     * C1; FIP and FDP are addresses in this image, so they print as "ip"
     * and "dp" (their values are above). */
    puts("-- FNSAVE image of the FIP/FDP case, in hex\n");
    xd = 2;
    xa = 1;
    run(s_fdp, 0x7f, 0);
    {
        const u8 *b = (const u8 *)&img;
        for (u32 i = 0; i < 108; i++) {
            u32 dw = i / 4, k = i % 4;
            if (i < 28 && k >= 2 && dw != 3 && dw != 5)
                puts("..");                     /* upper halves, FOP */
            else if (dw == 1)
                printf("%02x", b[i] & (k ? SW_SHOWN >> 8 : SW_SHOWN & 0xff));
            else if (dw == 3)
                puts("ip");
            else if (dw == 5)
                puts("dp");
            else
                printf("%02x", b[i]);
            if (i == 27 || (i >= 28 && (i - 28) % 10 == 9))
                putchar('\n');
            else if (i < 28 && k == 3)
                putchar(' ');
        }
    }

    puts("-- FLDENV and FRSTOR\n");
    /* an environment of our own: RC up, PC 53, tags: ST(0) valid (after the push), TOP 5 */
    renv[0] = 0xffff0a7f;
    renv[1] = 0xffff2820;
    renv[2] = 0xffff0fff;
    renv[3] = renv[4] = renv[5] = renv[6] = 0;
    run(s_ldenv, 0x37f, 0);
    printf("fldenv: cw=%04x sw=%04x tw=%04x\n", img.cw & 0xffff, img.sw & SW_SHOWN, img.tw & 0xffff);
    /* the FNSAVE image of a stack of three, restored, ST(0) swapped with ST(3) */
    run(s_stack, CW_DEFAULT, 0);
    run(s_rstor, CW_DEFAULT, 0);
    printf("frstor: cw=%04x sw=%04x tw=%04x:", img.cw & 0xffff, img.sw & SW_SHOWN, img.tw & 0xffff);
    for (int i = 0; i < 4; i++) {
        putchar(' ');
        st(i);
    }
    putchar('\n');
    puts("-- FNINIT: ");
    asm volatile("fld1; fldpi; fninit; fnstenv renv" : : : "memory");
    printf("cw=%04x sw=%04x tw=%04x\n", renv[0] & 0xffff, renv[1] & 0xffff, renv[2] & 0xffff);
}

/* ---- unmasked exceptions: #MF at the FWAIT after them, with CR0.NE = 1 */
/* DE F9 is FDIVP ST(1),ST(0): ST(1) = ST(1) / ST(0) */
DEF_STUB(s_mf_ze, "fld1; fldz; .byte 0xde, 0xf9; fwait; nop");
DEF_STUB(s_mf_ie, "fld1; fchs; fsqrt; fwait; nop");
DEF_STUB(s_mf_pe, "fld1; fldl2t; .byte 0xde, 0xf9; fwait; nop");
DEF_STUB(s_mf_oe, "fldt xa; fld %st(0); fmulp; fwait; nop");
DEF_STUB(s_mf_ue, "fldt xb; fld %st(0); fmulp; fwait; nop");
DEF_STUB(s_mf_none, "fld1; fld1; faddp; fwait; nop");
DEF_STUB(s_mf_nowait, "fld1; fldz; .byte 0xde, 0xf9; fnstsw rsw; fnclex; fwait; nop");
DEF_STUB(s_mf_fist, "fldt xa; fistps rw; fwait; nop");

static void test_unmasked(void)
{
    /* The flags shown: an unmasked underflow's result is the exact
     * product scaled by 2^24576, so no PE here; QEMU rounds the tiny result
     * as if masked and sets PE (it also writes it). */
    const u16 flags = SW_B | SW_ES | SW_IE | SW_ZE | SW_OE | SW_UE | SW_PE;
    static const struct { const char *name; const void *stub; u16 unmask, shown; } cases[] = {
        { "1/0 ZM=0", s_mf_ze, 0x04, flags },          { "1/0 masked", s_mf_ze, 0, flags },
        { "sqrt -1 IM=0", s_mf_ie, 0x01, flags },       { "1/l2t PM=0", s_mf_pe, 0x20, flags },
        { "max*max OM=0", s_mf_oe, 0x08, flags },       { "min*min UM=0", s_mf_ue, 0x10, flags & ~SW_PE },
        { "1+1 all unmasked", s_mf_none, 0x3f, flags }, { "fnclex before fwait", s_mf_nowait, 0x04, flags },
        { "fist 1e300 IM=0", s_mf_fist, 0x01, flags },
    };
    u32 cr0 = read_cr0(), i;
    write_cr0(cr0 | CR0_NE | CR0_MP);
    puts("-- unmasked exceptions, CR0.NE=1: the vector and where, then sw\n");
    xa = ld_bits(0x7ffe, ~0ull);
    xb = ld_bits(0x0001, 1ull << 63);
    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        if (cases[i].stub == s_mf_fist)
            xa = 1e300L;
        run(cases[i].stub, CW_DEFAULT & ~cases[i].unmask, 0);
        printf("%s: ", cases[i].name);
        if (fault)
            printf("%s @+%u", exc_name(fault - 1), fault_off);
        else
            puts("ok");
        printf(" sw=%04x", img.sw & cases[i].shown);
        if (cases[i].stub == s_mf_nowait)
            printf(" (before fnclex %04x)", rsw & (SW_B | SW_ES | SW_ZE));
        putchar('\n');
    }
    write_cr0(cr0);
}

/* ---- random operands: the same seeded values on both machines */
static u32 rng_state = 0x9e3779b9;
static u32 rnd(void)
{
    u32 x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng_state = x;
}

/* Mostly ordinary numbers near 1, some huge, tiny (denormal) and special
 * ones, with significands that often end in long runs of 0s or 1s (where
 * rounding is decided). */
static long double rnd_val(void)
{
    u32 r = rnd() % 100, e;
    u64 m = (u64)rnd() << 32 | rnd();
    if (r < 45)
        e = 0x3fff - 40 + rnd() % 80;
    else if (r < 55)
        e = rnd() % 70;
    else if (r < 65)
        e = 0x7ffe - rnd() % 70;
    else if (r < 70)
        e = 0x7fff;
    else if (r < 72)
        e = 0, m = 0;
    else
        e = 1 + rnd() % 0x7ffe;
    switch (rnd() % 4) {
    case 0: m &= ~0ull << (rnd() % 64); break;         /* trailing zeros */
    case 1: m |= ~(~0ull << (rnd() % 64)); break;      /* trailing ones */
    }
    if (e == 0x7fff)
        m = rnd() % 2 ? 1ull << 63 : m | 1ull << 63;   /* an infinity or a NaN */
    else if (e)
        m |= 1ull << 63;
    else
        m &= ~(1ull << 63);
    return ld_bits(e | (rnd() % 2 ? 0x8000 : 0), m);
}

/* A control word: any rounding mode, and a precision for the instructions
 * that heed it (64 bits for the others: QEMU rounds FRNDINT, FPREM(1),
 * FSCALE and FXTRACT results to the precision control too, which the
 * manual limits to + - * / and FSQRT). */
static u16 rnd_cw(int pc_ok)
{
    static const u16 pc[] = { CW_PC_24, CW_PC_53, CW_PC_64, CW_PC_64 };
    return 0x7f | (pc_ok ? pc[rnd() % 4] : CW_PC_64) | (rnd() % 4) << 10;
}

DEF_STUB(s_fscale_small, "fldt xb; fldt xa; fscale");

static void test_random(u32 count)
{
    static const struct { const char *name; const void *stub; int kind, pc; } ops[] = {
        { "fadd", s_fadd, 0, 1 }, { "fsub", s_fsub, 0, 1 }, { "fmul", s_fmul, 0, 1 }, { "fdiv", s_fdiv, 0, 1 },
        { "fsqrt", s_fsqrt, 0, 1 }, { "frndint", s_frndint, 0, 0 }, { "fprem", s_fprem, 1, 0 },
        { "fprem1", s_fprem1, 2, 0 }, { "fscale", s_fscale_small, 3, 0 }, { "fxtract", s_fxtract, 4, 0 },
        { "fst m32", s_fsts, 5, 1 }, { "fst m64", s_fstpl, 6, 1 }, { "fist m16", s_fist16, 7, 1 },
        { "fist m32", s_fist32, 8, 1 }, { "fistp m64", s_fistp64, 9, 1 }, { "fcom", s_fcom, 10, 1 },
        { "fucomi", s_fucomi, 11, 1 },
    };
    printf("-- random operands and control words, %u of each: results and status\n", count);
    for (u32 o = 0; o < ARRAY_SIZE(ops); o++)
        for (u32 n = 0; n < count; n++) {
            u16 cw = rnd_cw(ops[o].pc);
            xa = rnd_val();
            xb = ops[o].kind == 3 ? (long double)(s32)(rnd() % 40000 - 20000) / (1 + rnd() % 4) : rnd_val();
            run(ops[o].stub, cw, 0);
            printf("%s %u %04x: ", ops[o].name, n, cw);
            switch (ops[o].kind) {
            case 1: st(0); sw(SW_SHOWN | SW_CC); break;
            case 2: st(0); sw(SW_SHOWN | SW_C2); break;
            case 4: st(0); putchar(' '); st(1); sw(SW_SHOWN); break;
            case 5: print_f_bits(&rf); sw(SW_SHOWN); break;
            case 6: print_d_bits(&rd); sw(SW_SHOWN); break;
            case 7: printf("%d", rw); sw(SW_SHOWN); break;
            case 8: printf("%d", rl); sw(SW_SHOWN); break;
            case 9: print_s64(rq); sw(SW_SHOWN); break;
            case 10: sw(SW_SHOWN | SW_C3 | SW_C2 | SW_C0); break;
            case 11: print_flags(efl_out, FL_ZF | FL_PF | FL_CF); sw(SW_SHOWN); break;
            default: st(0); sw(SW_SHOWN); break;
            }
            putchar('\n');
        }
}

int kmain(u32 magic, struct multiboot_info *mbi)
{
    u32 random = cmdline_number(mbi, magic, "random", 160);
    puts("x87: the floating-point unit instruction by instruction\n");
    test_binops();
    test_unops();
    test_prem_scale();
    test_pop_forms();
    test_rounding();
    test_memops();
    test_loads_stores();
    test_integers();
    test_constants();
    test_compares();
    test_fcmov();
    test_environment();
    test_unmasked();
    test_random(random);
    puts("x87: done\n");
    return 0;
}
