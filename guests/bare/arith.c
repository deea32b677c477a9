/* arith -- integer arithmetic and flags: ADD/ADC/SUB/SBB/CMP/AND/OR/XOR/TEST,
 * INC/DEC/NEG/NOT, MUL/IMUL (1-, 2-, 3-operand), DIV/IDIV (with #DE),
 * DAA/DAS/AAA/AAS/AAM/AAD, CBW/CWDE/CWD/CDQ, MOVZX/MOVSX, BSWAP, XADD,
 * CMPXCHG, CMPXCHG8B, SETcc/CMOVcc/Jcc for the 16 conditions, LOOPcc/JECXZ,
 * LEA addressing forms and the other encodings of the ALU group.
 *
 * Every case runs through cpu_run() (registers and EFLAGS in, registers and
 * EFLAGS out) and prints one line: operands, the full 32-bit result registers
 * (8/16-bit cases start with junk in the upper bits, which must survive) and
 * the flags as "OSZAPC" ('.' = clear, '-' = undefined for that instruction
 * in the Intel manual, so not compared).  The point is that any wrong result
 * or flag in our CPU shows up as a line that differs from QEMU's output. */
#include "rt.h"

#define ALL  FL_ARITH
#define LOGIC (FL_OF | FL_SF | FL_ZF | FL_PF | FL_CF)          /* AF undefined */
#define MULF (FL_OF | FL_CF)
#define DAAF (FL_SF | FL_ZF | FL_AF | FL_PF | FL_CF)             /* OF undefined */
#define AAAF (FL_AF | FL_CF)
#define AAMF (FL_SF | FL_ZF | FL_PF)

static const u32 v8[] = { 0x00, 0x01, 0x02, 0x0f, 0x10, 0x7f, 0x80, 0x81, 0xfe, 0xff, 0x5a, 0xc3 };
static const u32 v16[] = { 0x0000, 0x0001, 0x0002, 0x007f, 0x0080, 0x00ff, 0x7fff, 0x8000, 0x8001,
                           0xfffe, 0xffff, 0x1234, 0xc3a5 };
static const u32 v32[] = { 0x00000000, 0x00000001, 0x00000002, 0x0000007f, 0x00000080, 0x000000ff,
                           0x00007fff, 0x00008000, 0x0000ffff, 0x7fffffff, 0x80000000, 0x80000001,
                           0xfffffffe, 0xffffffff, 0x12345678, 0x9abcdef0 };
static const struct { const u32 *v; u32 n, bits, mask, junk_a, junk_b; } sz[3] = {
    { v8, ARRAY_SIZE(v8), 8, 0xff, 0x5a5a5a00, 0xa5a5a500 },
    { v16, ARRAY_SIZE(v16), 16, 0xffff, 0x5a5a0000, 0xa5a50000 },
    { v32, ARRAY_SIZE(v32), 32, 0xffffffff, 0, 0 },
};

static void hx(u32 v, int s)
{
    printf(s == 0 ? "%02x" : s == 1 ? "%04x" : "%08x", v & sz[s].mask);
}

static struct cpu run(const void *stub, u32 eax, u32 ebx, u32 ecx, u32 edx, u32 efl)
{
    struct cpu c = { .eax = eax, .ebx = ebx, .ecx = ecx, .edx = edx, .esi = 0x51515151,
                     .edi = 0xd1d1d1d1, .ebp = 0xb0b0b0b0, .efl = 2 | efl };
    cpu_run(&c, stub);
    return c;
}

/* ------------------------------------------------------------------ stubs */
#define S3(n, a, b, c) DEF_STUB(n##_8, a); DEF_STUB(n##_16, b); DEF_STUB(n##_32, c)
#define ALU(n) S3(n, #n "b %bl, %al", #n "w %bx, %ax", #n "l %ebx, %eax")
#define UN(n) S3(n, #n "b %al", #n "w %ax", #n "l %eax")
#define TAB3(n) { n##_8, n##_16, n##_32 }

ALU(add); ALU(adc); ALU(sub); ALU(sbb); ALU(cmp); ALU(and); ALU(or); ALU(xor); ALU(test);
UN(inc); UN(dec); UN(neg); UN(not);
S3(mul, "mulb %bl", "mulw %bx", "mull %ebx");
S3(imul, "imulb %bl", "imulw %bx", "imull %ebx");
S3(div, "divb %bl", "divw %bx", "divl %ebx");
S3(idiv, "idivb %bl", "idivw %bx", "idivl %ebx");
DEF_STUB(imul2_16, "imulw %bx, %ax");
DEF_STUB(imul2_32, "imull %ebx, %eax");
DEF_STUB(imul3_16a, "imulw $-1, %bx, %ax");
DEF_STUB(imul3_16b, "imulw $0x7f, %bx, %ax");
DEF_STUB(imul3_16c, "imulw $0x1234, %bx, %ax");
DEF_STUB(imul3_32a, "imull $-1, %ebx, %eax");
DEF_STUB(imul3_32b, "imull $-128, %ebx, %eax");
DEF_STUB(imul3_32c, "imull $0x12345, %ebx, %eax");
DEF_STUB(imul3_32d, "imull $-0x10000, %ebx, %eax");
S3(xadd, "xaddb %bl, %al", "xaddw %bx, %ax", "xaddl %ebx, %eax");
S3(cmpxchg, "cmpxchgb %cl, %bl", "cmpxchgw %cx, %bx", "cmpxchgl %ecx, %ebx");

static const struct { const char *name; const void *s[3]; u32 def, carry; } alu[] = {
    { "add", TAB3(add), ALL, 0 }, { "adc", TAB3(adc), ALL, 1 }, { "sub", TAB3(sub), ALL, 0 },
    { "sbb", TAB3(sbb), ALL, 1 }, { "cmp", TAB3(cmp), ALL, 0 }, { "and", TAB3(and), LOGIC, 0 },
    { "or", TAB3(or), LOGIC, 0 },  { "xor", TAB3(xor), LOGIC, 0 }, { "test", TAB3(test), LOGIC, 0 },
    { "xadd", TAB3(xadd), ALL, 0 },
};

static void test_alu(void)
{
    for (u32 o = 0; o < ARRAY_SIZE(alu); o++)
        for (int s = 0; s < 3; s++)
            for (u32 i = 0; i < sz[s].n; i++)
                for (u32 j = 0; j < sz[s].n; j++)
                    for (u32 cin = 0; cin <= alu[o].carry; cin++) {
                        u32 a = sz[s].v[i], b = sz[s].v[j];
                        struct cpu c = run(alu[o].s[s], sz[s].junk_a | a, sz[s].junk_b | b, 0, 0, cin);
                        printf("%s%d ", alu[o].name, sz[s].bits);
                        if (alu[o].carry)
                            printf("c%d ", cin);
                        hx(a, s), putchar(' '), hx(b, s);
                        printf(": %08x ", c.eax);
                        if (o == 9) /* xadd: source gets the old destination */
                            printf("%08x ", c.ebx);
                        print_flags(c.efl, alu[o].def);
                        putchar('\n');
                    }
}

static void test_unary(void)
{
    static const struct { const char *name; const void *s[3]; } un[] = {
        { "inc", TAB3(inc) }, { "dec", TAB3(dec) }, { "neg", TAB3(neg) }, { "not", TAB3(not) },
    };
    /* All flags are defined: INC/DEC leave CF alone, NOT leaves everything,
     * so each case runs with all input flags clear and then all set. */
    for (u32 o = 0; o < ARRAY_SIZE(un); o++)
        for (int s = 0; s < 3; s++)
            for (u32 i = 0; i < sz[s].n; i++) {
                u32 a = sz[s].v[i];
                printf("%s%d ", un[o].name, sz[s].bits);
                hx(a, s);
                putchar(':');
                for (int f = 0; f < 2; f++) {
                    struct cpu c = run(un[o].s[s], sz[s].junk_a | a, 0, 0, 0, f ? ALL : 0);
                    printf(" %08x ", c.eax);
                    print_flags(c.efl, ALL);
                }
                putchar('\n');
            }
}

static void test_mul(void)
{
    static const struct { const char *name; const void *s[3]; } m[] = { { "mul", TAB3(mul) }, { "imul", TAB3(imul) } };
    for (u32 o = 0; o < 2; o++)
        for (int s = 0; s < 3; s++)
            for (u32 i = 0; i < sz[s].n; i++)
                for (u32 j = 0; j < sz[s].n; j++) {
                    u32 a = sz[s].v[i], b = sz[s].v[j];
                    struct cpu c = run(m[o].s[s], sz[s].junk_a | a, sz[s].junk_b | b, 0, 0xeeeeeeee, 0);
                    printf("%s%d ", m[o].name, sz[s].bits);
                    hx(a, s), putchar(' '), hx(b, s);
                    printf(": %08x %08x ", c.eax, c.edx);
                    print_flags(c.efl, MULF);
                    putchar('\n');
                }
    const void *i2[2] = { imul2_16, imul2_32 };
    for (int s = 1; s < 3; s++)
        for (u32 i = 0; i < sz[s].n; i++)
            for (u32 j = 0; j < sz[s].n; j++) {
                u32 a = sz[s].v[i], b = sz[s].v[j];
                struct cpu c = run(i2[s - 1], sz[s].junk_a | a, sz[s].junk_b | b, 0, 0, 0);
                printf("imul2_%d ", sz[s].bits);
                hx(a, s), putchar(' '), hx(b, s);
                printf(": %08x ", c.eax);
                print_flags(c.efl, MULF);
                putchar('\n');
            }
    static const struct { const char *name; const void *stub; int s; } i3[] = {
        { "imul3_16 -1", imul3_16a, 1 }, { "imul3_16 7f", imul3_16b, 1 }, { "imul3_16 1234", imul3_16c, 1 },
        { "imul3_32 -1", imul3_32a, 2 }, { "imul3_32 -128", imul3_32b, 2 },
        { "imul3_32 12345", imul3_32c, 2 }, { "imul3_32 -10000", imul3_32d, 2 },
    };
    for (u32 o = 0; o < ARRAY_SIZE(i3); o++) {
        int s = i3[o].s;
        for (u32 j = 0; j < sz[s].n; j++) {
            u32 b = sz[s].v[j];
            struct cpu c = run(i3[o].stub, 0x77777777, sz[s].junk_b | b, 0, 0, 0);
            printf("%s ", i3[o].name);
            hx(b, s);
            printf(": %08x ", c.eax);
            print_flags(c.efl, MULF);
            putchar('\n');
        }
    }
}

static void test_div(void)
{
    static const struct { const char *name; const void *s[3]; } d[] = { { "div", TAB3(div) }, { "idiv", TAB3(idiv) } };
    static const u32 hi[] = { 0, 1, 0xffffffff };
    for (u32 o = 0; o < 2; o++)
        for (int s = 0; s < 3; s++)
            for (u32 h = 0; h < ARRAY_SIZE(hi); h++)
                for (u32 i = 0; i < sz[s].n; i++)
                    for (u32 j = 0; j < sz[s].n; j++) {
                        u32 a = sz[s].v[i], b = sz[s].v[j], eax, edx = 0xeeeeeeee;
                        if (s == 0)
                            eax = 0x5a5a0000 | (hi[h] & 0xff) << 8 | a;
                        else if (s == 1)
                            eax = 0x5a5a0000 | a, edx = 0xeeee0000 | (hi[h] & 0xffff);
                        else
                            eax = a, edx = hi[h];
                        struct cpu c = run(d[o].s[s], eax, sz[s].junk_b | b, 0, edx, 0);
                        printf("%s%d ", d[o].name, sz[s].bits);
                        hx(hi[h], s), hx(a, s), putchar(' '), hx(b, s);
                        if (c.fault)
                            printf(": %s@%d\n", exc_name(c.fault - 1), c.fault_off);
                        else
                            printf(": %08x %08x\n", c.eax, c.edx);
                    }
}

DEF_STUB(daa_s, "daa");
DEF_STUB(das_s, "das");
DEF_STUB(aaa_s, "aaa");
DEF_STUB(aas_s, "aas");
DEF_STUB(aam10, "aam");
DEF_STUB(aam16, "aam $16");
DEF_STUB(aam7, "aam $7");
DEF_STUB(aam0, "aam $0");
DEF_STUB(aad10, "aad");
DEF_STUB(aad16, "aad $16");
DEF_STUB(aad7, "aad $7");

static void test_bcd(void)
{
    /* DAA/DAS: every AL with the four CF/AF combinations per line. */
    static const struct { const char *name; const void *stub; u32 def, ah; } b[] = {
        { "daa", daa_s, DAAF, 0x12 }, { "das", das_s, DAAF, 0x12 },
        { "aaa", aaa_s, AAAF, 0x12 }, { "aas", aas_s, AAAF, 0x12 }, { "aaa", aaa_s, AAAF, 0xff },
        { "aas", aas_s, AAAF, 0x00 },
    };
    for (u32 o = 0; o < ARRAY_SIZE(b); o++)
        for (u32 al = 0; al < 256; al++) {
            printf("%s %02x%02x:", b[o].name, b[o].ah, al);
            for (u32 f = 0; f < 4; f++) {
                struct cpu c = run(b[o].stub, 0x5a5a0000 | b[o].ah << 8 | al, 0, 0, 0,
                                   (f & 1 ? FL_CF : 0) | (f & 2 ? FL_AF : 0));
                printf(" %04x ", c.eax & 0xffff);
                print_flags(c.efl, b[o].def);
                CHECK((c.eax >> 16) == 0x5a5a);
            }
            putchar('\n');
        }
    static const struct { const char *name; const void *stub; } m[] = {
        { "aam10", aam10 }, { "aam16", aam16 }, { "aam7", aam7 }, { "aam0", aam0 },
        { "aad10", aad10 }, { "aad16", aad16 }, { "aad7", aad7 },
    };
    static const u32 ax[] = { 0x0000, 0x0009, 0x0063, 0x0080, 0x00ff, 0x0909, 0x1234, 0x7f80, 0xff01, 0xabcd };
    for (u32 o = 0; o < ARRAY_SIZE(m); o++) {
        printf("%s:", m[o].name);
        for (u32 i = 0; i < ARRAY_SIZE(ax); i++) {
            struct cpu c = run(m[o].stub, 0x5a5a0000 | ax[i], 0, 0, 0, 0);
            printf(" %04x>", ax[i]);
            if (c.fault)
                printf("%s@%d", exc_name(c.fault - 1), c.fault_off);
            else {
                printf("%08x ", c.eax);
                print_flags(c.efl, AAMF);
            }
        }
        putchar('\n');
    }
}

DEF_STUB(cbw_s, "cbtw");
DEF_STUB(cwde_s, "cwtl");
DEF_STUB(cwd_s, "cwtd");
DEF_STUB(cdq_s, "cltd");
DEF_STUB(movzx_s, "movzbw %al, %bx; movzbl %al, %ecx; movzwl %ax, %edx; movzbl tmem, %esi; movzwl tmem+1, %edi; movzbw %ah, %bp");
DEF_STUB(movsx_s, "movsbw %al, %bx; movsbl %al, %ecx; movswl %ax, %edx; movsbl tmem, %esi; movswl tmem+1, %edi; movsbw %ah, %bp");
DEF_STUB(bswap_s, "bswap %eax; movl %eax, %ebx; bswap %ebx; bswap %ecx; bswap %ebp");
u8 tmem[64] __attribute__((aligned(16)));

static void test_moves(void)
{
    static const struct { const char *name; const void *stub; } cv[] = {
        { "cbw", cbw_s }, { "cwde", cwde_s }, { "cwd", cwd_s }, { "cdq", cdq_s },
    };
    for (u32 o = 0; o < ARRAY_SIZE(cv); o++) {
        printf("%s:", cv[o].name);
        for (u32 i = 0; i < ARRAY_SIZE(v32); i++) {
            struct cpu c = run(cv[o].stub, v32[i] ^ (o < 2 ? 0x5a5a0000 : 0), 0, 0, 0x11111111, ALL);
            printf(" %08x/%08x", c.eax, c.edx);
            CHECK((c.efl & ALL) == ALL);
        }
        putchar('\n');
    }
    for (u32 i = 0; i < ARRAY_SIZE(v32); i++) {
        *(u32 *)tmem = v32[(i + 5) % ARRAY_SIZE(v32)];
        struct cpu c = run(movzx_s, v32[i], 0x11111111, 0x22222222, 0x33333333, 0);
        printf("movzx %08x %08x: %08x %08x %08x %08x %08x %08x\n", v32[i], *(u32 *)tmem, c.ebx, c.ecx,
               c.edx, c.esi, c.edi, c.ebp);
        c = run(movsx_s, v32[i], 0x11111111, 0x22222222, 0x33333333, 0);
        printf("movsx %08x %08x: %08x %08x %08x %08x %08x %08x\n", v32[i], *(u32 *)tmem, c.ebx, c.ecx,
               c.edx, c.esi, c.edi, c.ebp);
        c = run(bswap_s, v32[i], 0, 0x12345678 ^ v32[i], 0, 0);
        printf("bswap %08x: %08x %08x %08x %08x\n", v32[i], c.eax, c.ebx, c.ecx, c.ebp);
    }
}

DEF_STUB(cmpxchg_m32, "lock cmpxchgl %ecx, tmem");
DEF_STUB(cmpxchg8b_s, "lock cmpxchg8b tmem");
DEF_STUB(xadd_m32, "lock xaddl %ebx, tmem");
DEF_STUB(xadd_m8, "xaddb %bl, tmem+1");

static void test_xchg(void)
{
    static const void *cx[3] = TAB3(cmpxchg);
    /* CMPXCHG r/m, r: compare the accumulator with r/m (EBX here). */
    for (int s = 0; s < 3; s++)
        for (u32 i = 0; i < sz[s].n; i += 2)
            for (u32 k = 0; k < 2; k++) {
                u32 a = sz[s].v[i], m = k ? a : sz[s].v[(i + 3) % sz[s].n];
                struct cpu c = run(cx[s], sz[s].junk_a | a, sz[s].junk_b | m, 0xcccccccc, 0, 0);
                printf("cmpxchg%d ", sz[s].bits);
                hx(a, s), putchar(' '), hx(m, s);
                printf(": %08x %08x ", c.eax, c.ebx);
                print_flags(c.efl, ALL);
                putchar('\n');
            }
    for (u32 k = 0; k < 2; k++) {
        *(u32 *)tmem = 0x12345678;
        struct cpu c = run(cmpxchg_m32, k ? 0x12345678 : 0x87654321, 0, 0xcafef00d, 0, 0);
        printf("cmpxchg m32 %u: eax %08x mem %08x ", k, c.eax, *(u32 *)tmem);
        print_flags(c.efl, ALL);
        putchar('\n');
    }
    for (u32 k = 0; k < 4; k++) {
        ((u32 *)tmem)[0] = 0x89abcdef;
        ((u32 *)tmem)[1] = 0x01234567;
        u32 eax = k & 1 ? 0x89abcdef : 0x89abcdee, edx = k & 2 ? 0x01234567 : 0x11234567;
        struct cpu c = run(cmpxchg8b_s, eax, 0xbbbbbbbb, 0xcccccccc, edx, k == 3 ? 0 : ALL & ~FL_ZF);
        printf("cmpxchg8b %u: edx:eax %08x:%08x mem %08x:%08x ", k, c.edx, c.eax, ((u32 *)tmem)[1],
               ((u32 *)tmem)[0]);
        print_flags(c.efl, ALL);
        putchar('\n');
    }
    *(u32 *)tmem = 0x7ffffff0;
    struct cpu c = run(xadd_m32, 0, 0x10, 0, 0, 0);
    printf("xadd m32: ebx %08x mem %08x ", c.ebx, *(u32 *)tmem);
    print_flags(c.efl, ALL);
    c = run(xadd_m8, 0, 0x5a5a5a90, 0, 0, 0);
    printf(" m8: ebx %08x mem %08x ", c.ebx, *(u32 *)tmem);
    print_flags(c.efl, ALL);
    putchar('\n');
}

/* SETcc into [EBX+i], CMOVcc into [ESI+4i], Jcc rel8 and rel32 into [EDI+i], [EDI+16+i] */
DEF_STUB(cc_all,
    ".irp cc,o,no,b,ae,e,ne,be,a,s,ns,p,np,l,ge,le,g\n\t"
    "set\\cc (%ebx)\n\t"
    "leal 1(%ebx), %ebx\n\t"
    "movl $0, %eax\n\t"
    "movl $1, %ecx\n\t"
    "cmov\\cc %ecx, %eax\n\t"
    "movl %eax, (%esi)\n\t"
    "leal 4(%esi), %esi\n\t"
    "movb $1, (%edi)\n\t"
    "j\\cc 1f\n\t"
    "movb $0, (%edi)\n"
    "1:\tmovb $1, 16(%edi)\n\t"
    "{disp32} j\\cc 2f\n\t"
    "movb $0, 16(%edi)\n"
    "2:\tleal 1(%edi), %edi\n\t"
    ".endr");

static void test_cc(void)
{
    static const u32 fl[5] = { FL_OF, FL_SF, FL_ZF, FL_PF, FL_CF };
    puts("cc order: o no b ae e ne be a s ns p np l ge le g (bit 0 = o)\n");
    for (u32 k = 0; k < 32; k++) {
        u32 in = 0;
        for (int b = 0; b < 5; b++)
            if (k & (1 << b))
                in |= fl[b];
        u8 set[16], jcc[32];
        u32 cm[16];
        struct cpu c = { .ebx = (u32)set, .esi = (u32)cm, .edi = (u32)jcc, .efl = 2 | in };
        cpu_run(&c, cc_all);
        u32 ms = 0, mc = 0, mj = 0, mn = 0;
        for (int i = 0; i < 16; i++) {
            ms |= (u32)(set[i] & 1) << i;
            mc |= (cm[i] & 1) << i;
            mj |= (u32)(jcc[i] & 1) << i;
            mn |= (u32)(jcc[16 + i] & 1) << i;
        }
        print_flags(in, ALL);
        printf(" set %04x cmov %04x jcc8 %04x jcc32 %04x out ", ms, mc, mj, mn);
        print_flags(c.efl, ALL);
        putchar('\n');
    }
}

DEF_STUB(loop_s, "1: incl %eax; loop 1b");
DEF_STUB(loope_s, "1: incl %eax; cmpl %eax, %ebx; loope 1b");
DEF_STUB(loopne_s, "1: incl %eax; cmpl %eax, %ebx; loopne 1b");
DEF_STUB(jecxz_s, "movl $1, %eax; jecxz 1f; movl $2, %eax; 1:");
DEF_STUB(jcxz_s, "movl $1, %eax; jcxz 1f; movl $2, %eax; 1:");
DEF_STUB(loop16_s, "1: incl %eax; addr16 loop 1b");

static void test_loops(void)
{
    static const struct { const char *name; const void *stub; u32 ebx, ecx; } l[] = {
        { "loop", loop_s, 0, 5 }, { "loop", loop_s, 0, 1 }, { "loope", loope_s, 1, 9 },
        { "loope", loope_s, 3, 9 }, { "loopne", loopne_s, 4, 9 }, { "loopne", loopne_s, 20, 9 },
        { "jecxz", jecxz_s, 0, 0 }, { "jecxz", jecxz_s, 0, 0x10000 }, { "jcxz", jcxz_s, 0, 0x10000 },
        { "jcxz", jcxz_s, 0, 0x10001 }, { "loop16", loop16_s, 0, 0x50003 },
    };
    for (u32 i = 0; i < ARRAY_SIZE(l); i++) {
        struct cpu c = run(l[i].stub, 0, l[i].ebx, l[i].ecx, 0, 0);
        printf("%s %x %x: eax %x ecx %x ", l[i].name, l[i].ebx, l[i].ecx, c.eax, c.ecx);
        print_flags(c.efl, ALL);
        putchar('\n');
    }
}

/* Addressing forms, 32- and 16-bit: EBX=0x10000010 ESI=0x00020002
 * EDI=0x0000fff0 EBP=0x80000008 (EBP is free inside the stub). */
DEF_STUB(lea32_s,
    "leal 0x12(%ebx), %eax; movl %eax, tmem\n\t"
    "leal -0x80(%ebx,%esi), %eax; movl %eax, tmem+4\n\t"
    "leal 0x12345678(%ebx,%esi,4), %eax; movl %eax, tmem+8\n\t"
    "leal (,%esi,8), %eax; movl %eax, tmem+12\n\t"
    "leal 0x7f(,%edi,2), %eax; movl %eax, tmem+16\n\t"
    "leal (%ebp), %eax; movl %eax, tmem+20\n\t"
    "leal -1(%ebp,%ebp,1), %eax; movl %eax, tmem+24\n\t"
    "leal 0xfffffff0(%edi,%ebx,2), %eax; movl %eax, tmem+28\n\t"
    "leaw 0x10(%ebx,%edi), %ax; movl %eax, tmem+32");
DEF_STUB(lea16_s,
    "leal 0x1234(%bx,%si), %eax; movl %eax, tmem\n\t"
    "leal (%bp,%di), %eax; movl %eax, tmem+4\n\t"
    "leal 0x8000(%bx), %eax; movl %eax, tmem+8\n\t"
    "leal -2(%si), %eax; movl %eax, tmem+12\n\t"
    "leal 0x20(%di), %eax; movl %eax, tmem+16\n\t"
    "leal (%bp,%si), %eax; movl %eax, tmem+20\n\t"
    "addr16 leal 0x1234, %eax; movl %eax, tmem+24\n\t"
    "leaw 0x7f(%bx,%di), %ax; movl %eax, tmem+28\n\t"
    "leal 0x1(%bp), %eax; movl %eax, tmem+32");

static void test_lea(void)
{
    const void *st[2] = { lea32_s, lea16_s };
    for (int k = 0; k < 2; k++) {
        struct cpu c = { .eax = 0x5a5a5a5a, .ebx = 0x10000010, .esi = 0x00020002, .edi = 0x0000fff0, .efl = 2 };
        memset(tmem, 0, sizeof(tmem));
        c.ebp = 0x80000008;
        cpu_run(&c, st[k]);
        printf("lea%d:", k ? 16 : 32);
        for (int i = 0; i < 9; i++)
            printf(" %08x", ((u32 *)tmem)[i]);
        putchar('\n');
    }
}

/* The other encodings of each ALU operation: AL/EAX short forms, imm8 sign-
 * extended, imm32, memory destinations and sources, byte/word memory. */
#define FORMS(op) DEF_STUB(forms_##op, \
    #op "b $0x7f, %al\n\t" #op "w $-3, %bx\n\t" #op "l $0x12345678, %ecx\n\t" \
    #op "l $-2, %edx\n\t" #op "l %eax, tmem\n\t" #op "l tmem+4, %esi\n\t" \
    #op "b $0x80, tmem+8\n\t" #op "w $0x1234, tmem+12\n\t" #op "b %ah, tmem+9\n\t" \
    #op "w tmem+14, %di\n\t" #op "l $0x90, %eax\n\t" #op "w $0x9000, %ax\n\t" #op "b %dh, %bh")
FORMS(add); FORMS(adc); FORMS(sub); FORMS(sbb); FORMS(cmp); FORMS(and); FORMS(or); FORMS(xor);
DEF_STUB(forms_test, "testb $0x7f, %al; testl $0x80000000, %ecx; testl %eax, tmem; testw $1, tmem+4; testb %bh, tmem+8");
DEF_STUB(forms_incdec, "incw %ax; decl %ebx; incb %ch; decb %dl; incl tmem; decw tmem+4; incb tmem+8; decl tmem+12");
DEF_STUB(forms_negnot, "negl %eax; notw %bx; negb %ch; notl tmem; negw tmem+4; notb tmem+8; negl tmem+12");
DEF_STUB(forms_mul, "imull tmem, %eax; imulw tmem+4, %bx; imull $7, tmem+8, %ecx; mull tmem+12; imulw tmem+4");

static void test_forms(void)
{
    static const struct { const char *name; const void *stub; u32 def; } f[] = {
        { "add", forms_add, ALL }, { "adc", forms_adc, ALL }, { "sub", forms_sub, ALL },
        { "sbb", forms_sbb, ALL }, { "cmp", forms_cmp, ALL }, { "and", forms_and, LOGIC },
        { "or", forms_or, LOGIC }, { "xor", forms_xor, LOGIC }, { "test", forms_test, LOGIC },
        { "incdec", forms_incdec, ALL }, { "negnot", forms_negnot, ALL }, { "mul", forms_mul, MULF },
    };
    for (u32 o = 0; o < ARRAY_SIZE(f); o++)
        for (u32 cin = 0; cin < 2; cin++) {
            static const u32 init[6] = { 0x8000ff81, 0x7ffffffe, 0x00ff00ff, 0xdeadbeef, 0x12345678, 0x00010001 };
            memcpy(tmem, init, sizeof(init));
            struct cpu c = { .eax = 0x12345681, .ebx = 0x0000fffd, .ecx = 0x80000001, .edx = 0x7fff0102,
                             .esi = 0x11111111, .edi = 0x2222fff0, .efl = 2 | cin };
            cpu_run(&c, f[o].stub);
            printf("forms %s c%u: %08x %08x %08x %08x %08x %08x |", f[o].name, cin, c.eax, c.ebx, c.ecx,
                   c.edx, c.esi, c.edi);
            for (int i = 0; i < 4; i++)
                printf(" %08x", ((u32 *)tmem)[i]);
            putchar(' ');
            print_flags(c.efl, f[o].def);
            putchar('\n');
        }
}

int kmain(void)
{
    puts("arith: integer ALU, flags masked per the Intel manual ('-' = undefined)\n");
    test_alu();
    test_unary();
    test_mul();
    test_div();
    test_bcd();
    test_moves();
    test_xchg();
    test_cc();
    test_loops();
    test_lea();
    test_forms();
    puts("arith done\n");
    return 0;
}
