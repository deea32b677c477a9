/* shifts -- SHL/SHR/SAR/ROL/ROR/RCL/RCR on 8/16/32-bit operands with counts
 * 0,1,2,7,8,15,16,31,32,33 (CL form, and the immediate form compared with it),
 * SHLD/SHRD, BT/BTS/BTR/BTC in register, immediate and memory forms (memory
 * bit offsets far outside the addressed operand, both signs), BSF/BSR.
 *
 * Flags are masked as the Intel manual defines them: the count is masked to
 * 5 bits; a masked count of 0 leaves every flag alone; OF is only defined for
 * a masked count of 1; AF is undefined after a non-zero shift; CF is undefined
 * for SHL/SHR when the count is >= the operand size; rotates leave SF ZF AF PF.
 * Shown as "OSZAPC" with '.' = clear and '-' = undefined. */
#include "rt.h"

static const u32 counts[] = { 0, 1, 2, 7, 8, 15, 16, 31, 32, 33 };
#define NCOUNTS 10
static const u32 vals[3][7] = {
    { 0x00, 0x01, 0x7f, 0x80, 0x81, 0xff, 0xa5 },
    { 0x0000, 0x0001, 0x7fff, 0x8000, 0x8001, 0xffff, 0xa5c3 },
    { 0x00000000, 0x00000001, 0x7fffffff, 0x80000000, 0x80000001, 0xffffffff, 0xa5c3e187 },
};
static const u32 junk[3] = { 0x5a5a5a00, 0x5a5a0000, 0 };
static const u32 bits[3] = { 8, 16, 32 };

/* CL forms */
#define S3(n, a, b, c) DEF_STUB(n##_8, a); DEF_STUB(n##_16, b); DEF_STUB(n##_32, c)
#define SH(n) S3(n, #n "b %cl, %al", #n "w %cl, %ax", #n "l %cl, %eax")
SH(shl); SH(shr); SH(sar); SH(rol); SH(ror); SH(rcl); SH(rcr);

/* Immediate forms: shi_<op><b|w|l>[i] executes "<op> $counts[i], reg". */
asm(".macro SHI op, sfx, reg\n"
    "  .irp cnt,0,1,2,7,8,15,16,31,32,33\n"
    "shi_\\op\\sfx\\()_\\cnt: \\op\\sfx $\\cnt, \\reg\n"
    "  ret\n"
    "  .endr\n"
    "  .pushsection .rodata\n"
    "shi_\\op\\sfx:\n"
    "  .irp cnt,0,1,2,7,8,15,16,31,32,33\n"
    "  .long shi_\\op\\sfx\\()_\\cnt\n"
    "  .endr\n"
    "  .popsection\n"
    ".endm\n"
    ".macro SHI3 op\n"
    "  SHI \\op, b, %al\n"
    "  SHI \\op, w, %ax\n"
    "  SHI \\op, l, %eax\n"
    ".endm\n"
    ".pushsection .text\n"
    "SHI3 shl\nSHI3 shr\nSHI3 sar\nSHI3 rol\nSHI3 ror\nSHI3 rcl\nSHI3 rcr\n"
    ".popsection");
#define IMM3(n) extern const void *const shi_##n##b[NCOUNTS], *const shi_##n##w[NCOUNTS], *const shi_##n##l[NCOUNTS]
IMM3(shl); IMM3(shr); IMM3(sar); IMM3(rol); IMM3(ror); IMM3(rcl); IMM3(rcr);

enum { SHL, SHR, SAR, ROL, ROR, RCL, RCR };
#define OPROW(n) { #n, { n##_8, n##_16, n##_32 }, { shi_##n##b, shi_##n##w, shi_##n##l } }
static const struct { const char *name; const void *cl[3]; const void *const *imm[3]; } ops[] = {
    OPROW(shl), OPROW(shr), OPROW(sar), OPROW(rol), OPROW(ror), OPROW(rcl), OPROW(rcr),
};

static u32 defined_flags(int op, int s, u32 count)
{
    u32 mc = count & 31;
    if (mc == 0)
        return FL_ARITH;                        /* unchanged */
    u32 d = mc == 1 ? FL_ARITH : FL_ARITH & ~FL_OF;
    if (op <= SAR) {
        d &= ~FL_AF;
        if (op != SAR && mc >= bits[s])
            d &= ~FL_CF;
    }
    return d;
}

static void hx(u32 v, int s) { printf(s == 0 ? "%02x" : s == 1 ? "%04x" : "%08x", v); }

static void test_shifts(void)
{
    for (int op = 0; op < 7; op++)
        for (int s = 0; s < 3; s++)
            for (int i = 0; i < 7; i++)
                for (int k = 0; k < NCOUNTS; k++)
                    for (int f = (op >= RCL ? 0 : 1); f < 2; f++) {
                        u32 in = f ? FL_ARITH : 0, def = defined_flags(op, s, counts[k]);
                        struct cpu c = { .eax = junk[s] | vals[s][i], .ecx = 0xcccccc00 | counts[k], .efl = 2 | in };
                        cpu_run(&c, ops[op].cl[s]);
                        struct cpu d = { .eax = junk[s] | vals[s][i], .ecx = 0x33333333, .efl = 2 | in };
                        cpu_run(&d, ops[op].imm[s][k]);
                        printf("%s%d ", ops[op].name, bits[s]);
                        hx(vals[s][i], s);
                        printf(" %2u %c: %08x ", counts[k], f ? 'F' : '0', c.eax);
                        print_flags(c.efl, def);
                        if (d.eax == c.eax && (d.efl & def) == (c.efl & def))
                            printf(" imm=\n");
                        else {
                            printf(" imm %08x ", d.eax);
                            print_flags(d.efl, def);
                            putchar('\n');
                        }
                    }
}

/* A few more encodings: C0/C1 with an immediate of 1 (GAS would pick D0/D1),
 * and memory destinations. */
u32 smem[4];
DEF_STUB(shift_forms,
    ".byte 0xc1, 0xe0, 0x01\n\t"                /* shl $1, %eax (C1 form) */
    ".byte 0xc0, 0xcb, 0x01\n\t"                /* ror $1, %bl (C0 form) */
    "shll %cl, smem\n\t"
    "rolw $3, smem+4\n\t"
    "sarb smem+8\n\t"
    "rcrl $5, smem+12\n\t"
    "shldl %cl, %edx, smem\n\t"
    "shrdw $4, %dx, smem+4");

DEF_STUB(shld32, "shldl %cl, %edx, %eax");
DEF_STUB(shrd32, "shrdl %cl, %edx, %eax");
DEF_STUB(shld16, "shldw %cl, %dx, %ax");
DEF_STUB(shrd16, "shrdw %cl, %dx, %ax");
DEF_STUB(shld32i, "shldl $7, %edx, %eax");
DEF_STUB(shrd32i, "shrdl $33, %edx, %eax");
DEF_STUB(shld16i, "shldw $15, %dx, %ax");
DEF_STUB(shrd16i, "shrdw $1, %dx, %ax");

static void test_double(void)
{
    static const struct { const char *name; const void *stub; int s; u32 imm; } d[] = {
        { "shld32", shld32, 2, ~0u }, { "shrd32", shrd32, 2, ~0u }, { "shld16", shld16, 1, ~0u },
        { "shrd16", shrd16, 1, ~0u }, { "shld32 $7", shld32i, 2, 7 }, { "shrd32 $33", shrd32i, 2, 33 },
        { "shld16 $15", shld16i, 1, 15 }, { "shrd16 $1", shrd16i, 1, 1 },
    };
    static const u32 pairs[][2] = {
        { 0x12345678, 0x9abcdef0 }, { 0x80000001, 0x00000000 }, { 0x00000000, 0xffffffff },
        { 0x7fff8000, 0x00018001 }, { 0xffffffff, 0x55555555 },
    };
    for (u32 o = 0; o < ARRAY_SIZE(d); o++)
        for (u32 p = 0; p < ARRAY_SIZE(pairs); p++)
            for (int k = 0; k < NCOUNTS; k++) {
                u32 cnt = d[o].imm != ~0u ? d[o].imm : counts[k], mc = cnt & 31;
                if (d[o].imm != ~0u && k)
                    break;
                printf("%s %08x %08x %2u: ", d[o].name, pairs[p][0], pairs[p][1], cnt);
                if (mc > bits[d[o].s]) {
                    printf("undefined\n");
                    continue;
                }
                struct cpu c = { .eax = pairs[p][0], .edx = pairs[p][1], .ecx = cnt, .efl = 2 | FL_ARITH };
                cpu_run(&c, d[o].stub);
                printf("%08x ", c.eax);
                print_flags(c.efl, mc == 0 ? FL_ARITH : mc == 1 ? FL_ARITH & ~FL_AF : FL_ARITH & ~FL_AF & ~FL_OF);
                putchar('\n');
            }
    smem[0] = 0x80000001, smem[1] = 0x00018001, smem[2] = 0x00000081, smem[3] = 0x12345678;
    struct cpu c = { .eax = 0xc0000001, .ebx = 0x5a5a5a81, .ecx = 3, .edx = 0xf0000000, .efl = 2 | FL_CF };
    cpu_run(&c, shift_forms);
    printf("forms: %08x %08x | %08x %08x %08x %08x ", c.eax, c.ebx, smem[0], smem[1], smem[2], smem[3]);
    print_flags(c.efl, FL_ARITH & ~FL_AF & ~FL_OF);
    putchar('\n');
}

/* Bit tests.  Memory forms address bmem+256; a register bit offset selects
 * the dword (word) at base + (offset SAR 5) * 4 (or SAR 4 * 2). */
u8 bmem[512] __attribute__((aligned(16)));
#define BT4(n) DEF_STUB(n##_r32, #n "l %ecx, %eax"); DEF_STUB(n##_r16, #n "w %cx, %ax"); \
    DEF_STUB(n##_m32, #n "l %ecx, bmem+256"); DEF_STUB(n##_m16, #n "w %cx, bmem+256"); \
    DEF_STUB(n##_i32, #n "l $33, %eax"); DEF_STUB(n##_i16, #n "w $18, %ax"); \
    DEF_STUB(n##_mi32, #n "l $35, bmem+256"); DEF_STUB(n##_mi16, #n "w $20, bmem+256")
BT4(bt); BT4(bts); BT4(btr); BT4(btc);

static void show_mem_changes(const u8 *before)
{
    for (int i = 0; i < 512; i++)
        if (bmem[i] != before[i])
            printf(" [%d]%02x>%02x", i - 256, before[i], bmem[i]);
}

static void test_bt(void)
{
#define BTROW(n) { #n, { n##_r32, n##_r16, n##_m32, n##_m16, n##_i32, n##_i16, n##_mi32, n##_mi16 } }
    static const struct { const char *name; const void *s[8]; } b[] = { BTROW(bt), BTROW(bts), BTROW(btr), BTROW(btc) };
    static const char *const form[8] = { "r32", "r16", "m32", "m16", "i32 $33", "i16 $18", "mi32 $35", "mi16 $20" };
    static const s32 offs[] = { 0, 5, 15, 16, 31, 32, 33, 63, 100, 999, -1, -8, -17, -33, -500, -1000, 2000, -2048 };
    static u8 before[512];
    const u32 def = FL_CF | FL_ZF;      /* ZF unaffected, CF = the bit, the rest undefined */
    for (u32 o = 0; o < ARRAY_SIZE(b); o++)
        for (int f = 0; f < 8; f++)
            for (u32 i = 0; i < ARRAY_SIZE(offs); i++) {
                if (f >= 4 && i)
                    break;
                for (int k = 0; k < 512; k++)
                    bmem[k] = (u8)(k * 0x3b + 0x11);
                memcpy(before, bmem, sizeof(bmem));
                struct cpu c = { .eax = 0xa5c3e187, .ecx = (u32)offs[i], .efl = 2 | (i & 1 ? FL_ZF : 0) };
                cpu_run(&c, b[o].s[f]);
                printf("%s %s", b[o].name, form[f]);
                if (f < 4)
                    printf(" %d", offs[i]);
                printf(": %08x ", c.eax);
                print_flags(c.efl, def);
                show_mem_changes(before);
                putchar('\n');
            }
}

DEF_STUB(bsf32, "bsfl %ebx, %eax");
DEF_STUB(bsr32, "bsrl %ebx, %eax");
DEF_STUB(bsf16, "bsfw %bx, %ax");
DEF_STUB(bsr16, "bsrw %bx, %ax");
DEF_STUB(bsf_m, "bsfl smem, %eax");

static void test_bsf(void)
{
    static const u32 v[] = { 0, 1, 2, 0x80, 0x8000, 0x10000, 0x80000000, 0xffffffff, 0x00f0f000, 0x7ffe0000, 0x00010000 };
    static const struct { const char *name; const void *stub; } b[] = {
        { "bsf32", bsf32 }, { "bsr32", bsr32 }, { "bsf16", bsf16 }, { "bsr16", bsr16 },
    };
    /* ZF = (source == 0); the destination is undefined then, the other flags always. */
    for (u32 o = 0; o < ARRAY_SIZE(b); o++) {
        printf("%s:", b[o].name);
        for (u32 i = 0; i < ARRAY_SIZE(v); i++) {
            struct cpu c = { .eax = 0x5a5a5a5a, .ebx = v[i], .efl = 2 };
            cpu_run(&c, b[o].stub);
            u32 src = o >= 2 ? v[i] & 0xffff : v[i];
            if (src)
                printf(" %08x ", c.eax);
            else
                printf(" undef ");
            print_flags(c.efl, FL_ZF);
        }
        putchar('\n');
    }
    smem[0] = 0x00400000;
    struct cpu c = { .eax = 0, .efl = 2 };
    cpu_run(&c, bsf_m);
    printf("bsf mem: %08x ", c.eax);
    print_flags(c.efl, FL_ZF);
    putchar('\n');
}

int kmain(void)
{
    puts("shifts: shifts, rotates, double shifts, bit tests, bit scans\n");
    test_shifts();
    test_double();
    test_bt();
    test_bsf();
    puts("shifts done\n");
    return 0;
}
