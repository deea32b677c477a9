/* strings -- MOVS/STOS/LODS/SCAS/CMPS in byte/word/dword size, plain and with
 * REP/REPE/REPNE, DF=0 and DF=1, ECX=0 (nothing happens, flags unchanged),
 * a segment override on the source, 16-bit addressing (SI/DI/CX, offsets
 * wrapping at 64 KiB while the upper halves of ESI/EDI survive), OUTS to the
 * debug console port and INS from a port with no device (reads as all
 * ones).  Each case prints ESI/EDI as offsets from their buffers, ECX,
 * EAX, the flags and the destination buffer. */
#include "rt.h"

#define OPEN_BUS_PORT 0x300     /* nothing decodes it: reads as 0xff.. */

static u8 src[64], dst[64];
static u8 seg16[65536] __attribute__((aligned(4096)));
static const char text[] = "Hello, string ops! Hello, strings?";

#define FL_IN (FL_ZF | FL_CF | FL_PF)   /* recognisable input flags */

DEF_STUB(movsb_s, "movsb");
DEF_STUB(movsw_s, "movsw");
DEF_STUB(movsl_s, "movsl");
DEF_STUB(rep_movsb, "rep movsb");
DEF_STUB(rep_movsw, "rep movsw");
DEF_STUB(rep_movsl, "rep movsl");
DEF_STUB(stosb_s, "stosb");
DEF_STUB(rep_stosb, "rep stosb");
DEF_STUB(rep_stosw, "rep stosw");
DEF_STUB(rep_stosl, "rep stosl");
DEF_STUB(lodsb_s, "lodsb");
DEF_STUB(lodsw_s, "lodsw");
DEF_STUB(rep_lodsl, "rep lodsl");
DEF_STUB(scasb_s, "scasb");
DEF_STUB(repne_scasb, "repne scasb");
DEF_STUB(repe_scasb, "repe scasb");
DEF_STUB(repne_scasw, "repne scasw");
DEF_STUB(repe_scasl, "repe scasl");
DEF_STUB(cmpsb_s, "cmpsb");
DEF_STUB(repe_cmpsb, "repe cmpsb");
DEF_STUB(repne_cmpsb, "repne cmpsb");
DEF_STUB(repe_cmpsw, "repe cmpsw");
DEF_STUB(repe_cmpsl, "repe cmpsl");
DEF_STUB(fs_movsb, "movw %bp, %fs; rep movsb %fs:(%esi), %es:(%edi); movw %ds, %bp; movw %bp, %fs");
DEF_STUB(fs_lodsb, "movw %bp, %fs; lodsb %fs:(%esi), %al; movw %ds, %bp; movw %bp, %fs");

enum { DATA, FLAGS, SCAN };    /* SCAN: EDI walks the source text */
static const struct tcase {
    const char *name;
    const void *stub;
    u32 ecx, df, si, di, eax;
    int kind;
} cases[] = {
    { "movsb", movsb_s, 5, 0, 0, 0, 0, DATA },
    { "movsw", movsw_s, 5, 0, 0, 0, 0, DATA },
    { "movsd", movsl_s, 5, 0, 0, 0, 0, DATA },
    { "movsb std", movsb_s, 5, 1, 9, 9, 0, DATA },
    { "movsd std", movsl_s, 5, 1, 8, 8, 0, DATA },
    { "rep movsb", rep_movsb, 7, 0, 0, 0, 0, DATA },
    { "rep movsw", rep_movsw, 7, 0, 1, 3, 0, DATA },
    { "rep movsd", rep_movsl, 7, 0, 0, 0, 0, DATA },
    { "rep movsb std", rep_movsb, 7, 1, 20, 20, 0, DATA },
    { "rep movsw std", rep_movsw, 7, 1, 20, 20, 0, DATA },
    { "rep movsd std", rep_movsl, 3, 1, 20, 24, 0, DATA },
    { "rep movsb ecx0", rep_movsb, 0, 0, 0, 0, 0, DATA },
    { "rep movsd ecx0 std", rep_movsl, 0, 1, 8, 8, 0, DATA },
    { "stosb", stosb_s, 3, 0, 0, 2, 0x5a5a5a41, DATA },
    { "rep stosb", rep_stosb, 9, 0, 0, 2, 0x5a5a5a41, DATA },
    { "rep stosw", rep_stosw, 5, 0, 0, 1, 0x5a5a4443, DATA },
    { "rep stosd", rep_stosl, 3, 0, 0, 0, 0x48474645, DATA },
    { "rep stosw std", rep_stosw, 5, 1, 0, 30, 0x5a5a4443, DATA },
    { "rep stosd ecx0", rep_stosl, 0, 0, 0, 0, 0x48474645, DATA },
    { "lodsb", lodsb_s, 3, 0, 4, 0, 0x5a5a5a5a, DATA },
    { "lodsw std", lodsw_s, 3, 1, 4, 0, 0x5a5a5a5a, DATA },
    { "rep lodsd", rep_lodsl, 3, 0, 0, 0, 0x5a5a5a5a, DATA },
    { "rep lodsd ecx0", rep_lodsl, 0, 0, 0, 0, 0x5a5a5a5a, DATA },
    { "scasb eq", scasb_s, 3, 0, 0, 0, 0x5a5a5a48, SCAN },
    { "scasb ne", scasb_s, 3, 0, 0, 0, 0x5a5a5a7f, SCAN },
    { "repne scasb 'o'", repne_scasb, 40, 0, 0, 0, 'o', SCAN },
    { "repne scasb none", repne_scasb, 10, 0, 0, 0, 'z', SCAN },
    { "repne scasb std", repne_scasb, 40, 1, 0, 20, ',', SCAN },
    { "repe scasb 'l'", repe_scasb, 10, 0, 0, 2, 'l', SCAN },
    { "repe scasb ecx0", repe_scasb, 0, 0, 0, 2, 'l', SCAN },
    { "repne scasw", repne_scasw, 20, 0, 0, 0, 0x6f6c, SCAN },
    { "repe scasd", repe_scasl, 4, 0, 0, 0, 0x6c6c6548, SCAN },
    { "cmpsb", cmpsb_s, 3, 0, 0, 0, 0, FLAGS },
    { "repe cmpsb", repe_cmpsb, 30, 0, 0, 0, 0, FLAGS },
    { "repe cmpsb std", repe_cmpsb, 30, 1, 33, 33, 0, FLAGS },
    { "repe cmpsb ecx0", repe_cmpsb, 0, 0, 0, 0, 0, FLAGS },
    { "repne cmpsb", repne_cmpsb, 30, 0, 0, 1, 0, FLAGS },
    { "repe cmpsw", repe_cmpsw, 16, 0, 0, 0, 0, FLAGS },
    { "repe cmpsd", repe_cmpsl, 8, 0, 0, 0, 0, FLAGS },
    { "repe cmpsd all", repe_cmpsl, 2, 0, 0, 0, 0, FLAGS },
};

static void test_cases(void)
{
    for (u32 i = 0; i < ARRAY_SIZE(cases); i++) {
        const struct tcase *t = &cases[i];
        memcpy(src, text, sizeof(text));
        memcpy(dst, text, sizeof(text));
        dst[12] = '?';                          /* first difference for CMPS */
        if (t->kind == DATA)
            memset(dst, '.', 36);
        for (int k = 40; k < 64; k++)
            src[k] = dst[k] = (u8)k;
        struct cpu c = { .eax = t->eax, .ecx = t->ecx, .esi = (u32)src + t->si, .edi = (u32)dst + t->di,
                         .ebx = 0xbbbbbbbb, .edx = 0xdddddddd, .efl = 2 | FL_IN | (t->df ? FL_DF : 0) };
        u32 dbase = t->kind == SCAN ? (u32)src : (u32)dst;
        c.edi = dbase + t->di;
        cpu_run(&c, t->stub);
        printf("%-18s esi %+d edi %+d ecx %x eax %08x ", t->name, (s32)(c.esi - (u32)src),
               (s32)(c.edi - dbase), c.ecx, c.eax);
        print_flags(c.efl, FL_ARITH);
        printf(" df%d |", (c.efl & FL_DF) ? 1 : 0);
        for (int k = 0; k < 36; k++)
            putchar(dst[k] >= 0x20 && dst[k] < 0x7f ? dst[k] : '.');
        printf("|\n");
    }
}

/* Segment override on the source and 16-bit addressing through a data
 * segment whose base is seg16 (limit 64 KiB - 1). */
#define SEL_SRC16   (GDT_FREE * 8)          /* base src+16 */
#define SEL_SEG16   ((GDT_FREE + 1) * 8)    /* base seg16 */

DEF_STUB(a16_movsb, "movw %bp, %ds; movw %bp, %es; addr16 movsb; movw $0x10, %bp; movw %bp, %ds; movw %bp, %es");
DEF_STUB(a16_rep_movsw, "movw %bp, %ds; movw %bp, %es; addr16 rep movsw; movw $0x10, %bp; movw %bp, %ds; movw %bp, %es");
DEF_STUB(a16_rep_stosb, "movw %bp, %es; addr16 rep stosb; movw $0x10, %bp; movw %bp, %es");
DEF_STUB(a16_repne_scasb, "movw %bp, %es; addr16 repne scasb; movw $0x10, %bp; movw %bp, %es");
DEF_STUB(a16_lodsw, "movw %bp, %ds; addr16 lodsw; movw $0x10, %bp; movw %bp, %ds");

static void test_segments(void)
{
    gdt_set(GDT_FREE, (u32)src + 16, 0xFFFFF, 0x92, 0xC);
    gdt_set(GDT_FREE + 1, (u32)seg16, 0xFFFF, 0x92, 0x4);
    memcpy(src, text, sizeof(text));
    memset(dst, '.', sizeof(dst));
    struct cpu c = { .ecx = 6, .esi = 2, .edi = (u32)dst, .ebp = SEL_SRC16, .efl = 2 };
    cpu_run(&c, fs_movsb);
    dst[6] = 0;
    printf("fs: rep movsb  esi %x edi %+d ecx %x |%s|\n", c.esi, (s32)(c.edi - (u32)dst), c.ecx, (char *)dst);
    c = (struct cpu){ .eax = 0x5a5a5a5a, .esi = 0, .ebp = SEL_SRC16, .efl = 2 | FL_DF };
    cpu_run(&c, fs_lodsb);
    printf("fs: lodsb std  esi %x eax %08x\n", c.esi, c.eax);

    for (u32 i = 0; i < 65536; i++)
        seg16[i] = (u8)(i ^ (i >> 8));
    static const struct { const char *name; const void *stub; u32 esi, edi, ecx, eax, df; } a16[] = {
        { "a16 movsb", a16_movsb, 0x1234ffff, 0x56780010, 0xabcd0003, 0, 0 },
        { "a16 movsb std", a16_movsb, 0x12340000, 0x5678fffe, 0xabcd0003, 0, 1 },
        { "a16 rep movsw", a16_rep_movsw, 0x0001fffa, 0x00020100, 0x00050006, 0, 0 },
        { "a16 rep movsw std", a16_rep_movsw, 0x00010004, 0x00020200, 0x00050004, 0, 1 },
        { "a16 rep stosb", a16_rep_stosb, 0, 0x7777fffd, 0x88880005, 0x5a5a5ac3, 0 },
        { "a16 rep stosb cx0", a16_rep_stosb, 0, 0x7777fffd, 0x88880000, 0x5a5a5ac3, 0 },
        { "a16 repne scasb", a16_repne_scasb, 0, 0x00001200, 0xffff0100, 0x5a5a5a17, 0 },
        { "a16 lodsw", a16_lodsw, 0xfedc1000, 0, 0, 0x5a5a5a5a, 0 },
    };
    for (u32 i = 0; i < ARRAY_SIZE(a16); i++) {
        struct cpu c = { .esi = a16[i].esi, .edi = a16[i].edi, .ecx = a16[i].ecx, .eax = a16[i].eax,
                         .ebp = SEL_SEG16, .efl = 2 | FL_IN | (a16[i].df ? FL_DF : 0) };
        cpu_run(&c, a16[i].stub);
        printf("%-18s esi %08x edi %08x ecx %08x eax %08x ", a16[i].name, c.esi, c.edi, c.ecx, c.eax);
        print_flags(c.efl, FL_ARITH);
        printf(" | %02x %02x %02x %02x %02x %02x %02x %02x\n", seg16[0], seg16[1], seg16[0x10], seg16[0x11],
               seg16[0xfffd], seg16[0xfffe], seg16[0xffff], seg16[0x100]);
        for (u32 k = 0; k < 65536; k++)
            seg16[k] = (u8)(k ^ (k >> 8));
    }
}

DEF_STUB(rep_outsb, "rep outsb");
DEF_STUB(outsb_x4, "outsb; outsb; outsb; outsb");
DEF_STUB(rep_insb, "rep insb");
DEF_STUB(rep_insw, "rep insw");
DEF_STUB(insl_s, "insl");

static void test_io(void)
{
    static const char msg[] = "[rep outsb to port 0xe9]\n";
    struct cpu c = { .esi = (u32)msg, .ecx = sizeof(msg) - 1, .edx = DEBUGCON_PORT, .efl = 2 };
    cpu_run(&c, rep_outsb);
    printf("rep outsb: esi %+d ecx %x\n", (s32)(c.esi - (u32)msg), c.ecx);
    static const char rev[] = "\n!ti";
    c = (struct cpu){ .esi = (u32)rev + 3, .edx = 0x123400e9, .efl = 2 | FL_DF };
    cpu_run(&c, outsb_x4);
    printf("outsb std: esi %+d\n", (s32)(c.esi - (u32)rev));

    static const struct { const char *name; const void *stub; u32 port, ecx, df, di; } ins[] = {
        { "rep insb open bus", rep_insb, OPEN_BUS_PORT, 5, 0, 2 },
        { "rep insw open bus std", rep_insw, OPEN_BUS_PORT, 3, 1, 20 },
        { "insd open bus", insl_s, OPEN_BUS_PORT, 0, 0, 8 },
        { "rep insb ecx0", rep_insb, OPEN_BUS_PORT, 0, 0, 0 },
    };
    for (u32 i = 0; i < ARRAY_SIZE(ins); i++) {
        memset(dst, 0x11, sizeof(dst));
        c = (struct cpu){ .edi = (u32)dst + ins[i].di, .ecx = ins[i].ecx, .edx = 0xabcd0000 | ins[i].port,
                          .efl = 2 | (ins[i].df ? FL_DF : 0) };
        cpu_run(&c, ins[i].stub);
        printf("%-22s edi %+d ecx %x |", ins[i].name, (s32)(c.edi - (u32)dst), c.ecx);
        for (int k = 0; k < 24; k++)
            printf("%02x", dst[k]);
        printf("\n");
    }
}

int kmain(void)
{
    puts("strings: string instructions\n");
    test_cases();
    test_segments();
    test_io();
    puts("strings done\n");
    return 0;
}
