/* protmode -- segmentation at ring 0: a GDT with many descriptor kinds and an
 * LDT; LAR/LSL/VERR/VERW on every selector (with RPL 0 and 3); segment
 * register loads and the #GP/#NP/#SS (error code = selector) they raise;
 * reads through segments with a base (expand-down ones too); SGDT/SIDT/SLDT/
 * STR/SMSW; LLDT; ARPL; PUSHA/POPA and ENTER/LEAVE; far JMP/CALL/RET to other
 * code selectors (exec-only, conforming, a non-zero base, a 16-bit segment)
 * and through a call gate.
 *
 * QEMU (TCG) does not check segment limits or the type (read-only, execute-
 * only) on ordinary memory accesses, so those faults are not part of the
 * recorded output.  Booting with "limits" on the command line runs them too
 * and checks each against the Intel manual (exit 0x7e on a mismatch); use it
 * on our emulator, not as a QEMU comparison. */
#include "rt.h"

#define SEL(i) ((i) * 8)
enum {
    G_SMALL = GDT_FREE,     /* 0x30 data RW, base 0, byte limit 0xf */
    G_RO,                   /* 0x38 data read-only, flat */
    G_XO,                   /* 0x40 code execute-only, flat */
    G_CONF,                 /* 0x48 code conforming readable, flat */
    G_ED32,                 /* 0x50 data expand-down, B=1, limit 0xfff, base edbuf-0x2000 */
    G_ED16,                 /* 0x58 data expand-down, B=0, limit 0xfff, base edbuf-0x2000 */
    G_NP,                   /* 0x60 data RW, not present */
    G_CODE16,               /* 0x68 16-bit code, base code16 */
    G_DPL3,                 /* 0x70 data RW, DPL 3, flat */
    G_LDT,                  /* 0x78 LDT */
    G_TSS16,                /* 0x80 16-bit TSS (available) */
    G_CGATE,                /* 0x88 32-bit call gate, DPL 0 -> KCODE:gate_target */
    G_CGATE3,               /* 0x90 32-bit call gate, DPL 3 */
    G_TGATE,                /* 0x98 task gate */
    G_IGATE,                /* 0xa0 interrupt gate (not valid in the GDT for LAR) */
    G_BASED,                /* 0xa8 code, base 0x1000 */
    G_PAGE,                 /* 0xb0 data, G=1, limit 0 (=> 0xfff) */
    G_SYS0,                 /* 0xb8 system type 0 (reserved) */
    G_DPL2,                 /* 0xc0 data, DPL 2 */
    G_BUSY,                 /* 0xc8 32-bit TSS, busy */
    G_CODENP,               /* 0xd0 code, not present */
    G_CONF3,                /* 0xd8 code conforming, DPL 3, exec-only */
    G_DATA_BASE,            /* 0xe0 data, base ldtbuf+0x40, limit 0xff */
    G_COUNT
};

static u64 ldt[4] __attribute__((aligned(8)));
static u8 ldtbuf[256], edbuf[64];
static u32 limits_mode, mismatches;

extern const char code16[], gate_target[], based_target[], lret8_target[], conf_target[];
u32 pmem[16];

static u64 gate(u32 off, u16 sel, u8 attr, u8 params)
{
    return (off & 0xFFFF) | (u32)sel << 16 | (u64)params << 32 | (u64)attr << 40 | (u64)(off >> 16) << 48;
}

static void setup(void)
{
    gdt_set(G_SMALL, 0, 0xF, 0x92, 0x4);
    gdt_set(G_RO, 0, 0xFFFFF, 0x90, 0xC);
    gdt_set(G_XO, 0, 0xFFFFF, 0x98, 0xC);
    gdt_set(G_CONF, 0, 0xFFFFF, 0x9E, 0xC);
    gdt_set(G_ED32, (u32)edbuf - 0x2000, 0xFFF, 0x96, 0x4);
    gdt_set(G_ED16, (u32)edbuf - 0x2000, 0xFFF, 0x96, 0x0);
    gdt_set(G_NP, 0, 0xFFFFF, 0x12, 0xC);
    gdt_set(G_CODE16, (u32)code16, 0xFFFF, 0x9A, 0x0);
    gdt_set(G_DPL3, 0, 0xFFFFF, 0xF2, 0xC);
    gdt_set(G_LDT, (u32)ldt, sizeof(ldt) - 1, 0x82, 0x0);
    gdt_set(G_TSS16, (u32)ldtbuf, 43, 0x81, 0x0);
    gdt[G_CGATE] = gate((u32)gate_target, KCODE, 0x8C, 0);
    gdt[G_CGATE3] = gate((u32)gate_target, KCODE, 0xEC, 2);
    gdt[G_TGATE] = gate(0, TSSSEL, 0x85, 0);
    gdt[G_IGATE] = gate((u32)gate_target, KCODE, 0x8E, 0);
    gdt_set(G_BASED, 0x1000, 0xFFFFF, 0x9A, 0xC);
    gdt_set(G_PAGE, 0, 0, 0x92, 0x8);
    gdt_set(G_SYS0, 0, 0xFFFF, 0x80, 0x0);
    gdt_set(G_DPL2, 0, 0xFFFFF, 0xD2, 0xC);
    gdt_set(G_BUSY, (u32)ldtbuf, 103, 0x8B, 0x0);
    gdt_set(G_CODENP, 0, 0xFFFFF, 0x1A, 0xC);
    gdt_set(G_CONF3, 0, 0xFFFFF, 0xFC, 0xC);
    gdt_set(G_DATA_BASE, (u32)ldtbuf + 0x40, 0xFF, 0x92, 0x0);
    /* LDT: 0x04 data base ldtbuf, 0x0c data DPL 3, 0x14 code, 0x1c not present */
    ldt[0] = 0x00009200000000FFull | (u64)((u32)ldtbuf & 0xFFFFFF) << 16 | (u64)((u32)ldtbuf >> 24) << 56;
    ldt[1] = 0x00CFF2000000FFFFull;
    ldt[2] = 0x00CF9A000000FFFFull;
    ldt[3] = 0x00CF12000000FFFFull;
    for (int i = 0; i < 256; i++)
        ldtbuf[i] = (u8)(0xA0 + i);
    for (int i = 0; i < 64; i++)
        edbuf[i] = (u8)(0x30 + i);
}

/* ------------------------------------------------------------ LAR & co */
static void probe(u16 sel)
{
    u32 lar = 0xdeadbeef, lsl = 0xdeadbeef;
    u8 zl, zs, zr, zw;
    asm volatile("larl %k2, %0; setz %1" : "+r"(lar), "=q"(zl) : "r"((u32)sel) : "cc");
    asm volatile("lsll %k2, %0; setz %1" : "+r"(lsl), "=q"(zs) : "r"((u32)sel) : "cc");
    asm volatile("verr %w1; setz %0" : "=q"(zr) : "r"(sel) : "cc");
    asm volatile("verw %w1; setz %0" : "=q"(zw) : "r"(sel) : "cc");
    /* LAR masks the second descriptor dword with 00FxFF00 (x = limit 19:16, undefined) */
    printf("%04x: lar %d %08x  lsl %d %08x  verr %d verw %d\n", sel, zl, zl ? lar & 0x00F0FF00 : lar, zs, lsl, zr, zw);
}

static void test_probe(void)
{
    puts("-- LAR/LSL/VERR/VERW (ZF, result; unchanged dest = deadbeef)\n");
    for (int i = 0; i < G_COUNT; i++) {
        probe(SEL(i));
        if (i >= GDT_FREE || i == 1 || i == 3)
            probe(SEL(i) | 3);
    }
    probe(0x100);                       /* beyond the GDT limit */
    asm volatile("lldt %w0" : : "r"(SEL(G_LDT)) : "memory");
    for (int i = 0; i < 4; i++)
        probe(i * 8 | 4), probe(i * 8 | 7);
    u16 w = 0x5a5a, z;
    asm volatile("larw %w2, %w0; setz %b1" : "+r"(w), "=q"(z) : "r"(SEL(G_DPL3)) : "cc");
    printf("lar16 %04x: %d %04x\n", SEL(G_DPL3), z & 1, w);
    w = 0x5a5a;
    asm volatile("lslw %w2, %w0; setz %b1" : "+r"(w), "=q"(z) : "r"(SEL(G_PAGE)) : "cc");
    printf("lsl16 %04x: %d %04x\n", SEL(G_PAGE), z & 1, w);
}

/* ------------------------------------------------------- segment loads */
static void load_fs(u16 sel, const char *what)
{
    printf("fs <- %04x %-18s ", sel, what);
    TRY("movw %w0, %%fs", : "r"(sel));
    report("load");
    asm volatile("movw %w0, %%fs" : : "r"(KDATA));
}

static void load_ss(u16 sel, const char *what)
{
    printf("ss <- %04x %-18s ", sel, what);
    /* restore SS right away if the load worked: keep the stack usable */
    TRY("movw %w0, %%ss; movw %w1, %%ss", : "r"(sel), "r"(KDATA));
    report("load");
}

static u32 rd(u16 sel, u32 off)
{
    u32 v;
    asm volatile("movw %w1, %%fs; movl %%fs:(%2), %0; movw %w3, %%fs" : "=&r"(v) : "r"(sel), "r"(off), "r"(KDATA));
    return v;
}

static void test_loads(void)
{
    puts("-- segment register loads\n");
    static const struct { u16 sel; const char *what; } fs[] = {
        { 0, "null" }, { 3, "null rpl3" }, { KCODE, "code readable" }, { SEL(G_XO), "code exec-only" },
        { SEL(G_CONF), "conforming" }, { SEL(G_RO), "data read-only" }, { SEL(G_NP), "not present" },
        { SEL(G_DPL3) | 3, "dpl3 rpl3" }, { KDATA | 3, "dpl0 rpl3" }, { SEL(G_DPL2) | 1, "dpl2 rpl1" },
        { SEL(G_DPL2) | 3, "dpl2 rpl3" }, { SEL(G_LDT), "ldt desc" }, { TSSSEL, "tss desc" },
        { SEL(G_CGATE), "call gate" }, { SEL(G_SYS0), "system type 0" }, { 0x100, "beyond gdt" },
        { 0x04, "ldt 0" }, { 0x0f, "ldt 1 rpl3" }, { 0x14, "ldt code" }, { 0x1c, "ldt not present" },
        { 0x24, "beyond ldt" }, { SEL(G_CONF3) | 3, "conf exec-only" },
    };
    for (u32 i = 0; i < ARRAY_SIZE(fs); i++)
        load_fs(fs[i].sel, fs[i].what);
    static const struct { u16 sel; const char *what; } ss[] = {
        { 0, "null" }, { KDATA, "data" }, { SEL(G_RO), "read-only" }, { KCODE, "code" },
        { SEL(G_NP), "not present" }, { SEL(G_DPL3) | 3, "dpl3 rpl3" }, { SEL(G_DPL3), "dpl3 rpl0" },
        { KDATA | 1, "rpl1" }, { SEL(G_ED32), "expand-down" }, { 0x04, "ldt data" }, { 0x1c, "ldt not present" },
    };
    for (u32 i = 0; i < ARRAY_SIZE(ss); i++)
        load_ss(ss[i].sel, ss[i].what);

    /* LLDT */
    u16 ldtr;
    TRY("lldt %w0", : "r"(SEL(G_DATA_BASE)));
    report("lldt data desc");
    TRY("lldt %w0", : "r"(SEL(G_NP)));
    report("lldt not-present data");
    TRY("lldt %w0", : "r"(0));
    report("lldt null");
    asm volatile("sldt %0" : "=r"(ldtr));
    printf("sldt %04x\n", ldtr);
    load_fs(0x04, "ldt 0, no ldt");
    TRY("lldt %w0", : "r"(SEL(G_LDT)));
    report("lldt");
    asm volatile("sldt %0" : "=r"(ldtr));
    printf("sldt %04x\n", ldtr);

    /* Reads through segments with a base (expand-down ones: base edbuf-0x2000). */
    printf("reads: ldt0 %08x %08x  ed32 %08x  ed16 %08x  based %08x\n", rd(0x04, 0), rd(0x04, 0x10),
           rd(SEL(G_ED32), 0x2000), rd(SEL(G_ED16), 0x2004), rd(SEL(G_DATA_BASE), 4));
    u32 v;
    asm volatile("movw %w1, %%gs; movl $0x11223344, %%gs:8; movw %w2, %%gs; movl %%gs:0x48, %0; movw %w3, %%gs"
                 : "=&r"(v) : "r"(SEL(G_DATA_BASE)), "r"(0x04), "r"(KDATA) : "memory");
    printf("write via based gs, read via ldt gs: %08x\n", v);
}

/* Accesses that break a limit or a type rule: not checked by QEMU. */
static void expect(const char *what, int vec, u32 err)
{
    int ok = rt_caught.n && (int)rt_caught.vec == vec && rt_caught.err == err;
    report(what);
    if (!ok) {
        printf("  MISMATCH: the manual says %s(%04x)\n", exc_name(vec), err);
        mismatches++;
    }
}

static void test_limits(void)
{
    puts("-- limit and type checks on accesses (the manual's answers are checked)\n");
    TRY("movw %w0, %%fs; movl %%fs:0xc, %%eax; movw %w1, %%fs", : "r"(SEL(G_SMALL)), "r"(KDATA) : "eax");
    report("small: dword at 0xc");
    TRY("movw %w0, %%fs; movl %%fs:0xd, %%eax", : "r"(SEL(G_SMALL)) : "eax");
    expect("small: dword at 0xd", 13, 0);
    TRY("movb %%fs:0x10, %%al", : : "eax");
    expect("small: byte at 0x10", 13, 0);
    TRY("movw %w0, %%fs; movb %%fs:0xfff, %%al; movb %%fs:0x1000, %%al", : "r"(SEL(G_PAGE)) : "eax");
    expect("G=1 limit 0: byte at 0x1000", 13, 0);
    TRY("movw %w0, %%fs; movl %%fs:0xffc, %%eax", : "r"(SEL(G_ED32)) : "eax");
    expect("expand-down: at 0xffc", 13, 0);
    TRY("movw %w0, %%fs; movl %%fs:0xfffe, %%eax", : "r"(SEL(G_ED16)) : "eax");
    expect("expand-down B=0: at 0xfffe", 13, 0);
    TRY("movw %w0, %%fs; movl $1, %%fs:0x200000", : "r"(SEL(G_RO)));
    expect("write read-only", 13, 0);
    TRY("movl $1, %%cs:0x200000");
    expect("write via cs", 13, 0);
    TRY("movw %w0, %%fs; movl %%fs:0x200000, %%eax", : "r"(SEL(G_XO)) : "eax");
    expect("read exec-only code", 13, SEL(G_XO));   /* the load itself faults */
    TRY("movw %w0, %%fs; movl %%fs:0x200000, %%eax", : "r"(0) : "eax");
    expect("read via null fs", 13, 0);
    asm volatile("movw %w0, %%fs" : : "r"(KDATA));
    /* SS-relative access beyond the limit of a small stack segment -> #SS(0);
     * SS:ESP itself stays inside so the fault frame can be pushed. */
    gdt_set(G_SMALL, 0, 0x7FF, 0x92, 0xC);  /* 8 MiB */
    TRY("movw %w0, %%ss; movl %%ss:0x10000000, %%eax", : "r"(SEL(G_SMALL)) : "eax");
    asm volatile("movw %w0, %%ss" : : "r"(KDATA));
    expect("ss: beyond limit", 12, 0);
    gdt_set(G_SMALL, 0, 0xF, 0x92, 0x4);
}

/* ------------------------------------------------------ far transfers */
asm(".pushsection .text\n"
    /* 16-bit code segment: base = code16, so offsets start at 0 */
    "code16:\n"
    "  .code16\n"
    "  movw $0x1234, %ax\n"
    "  addw %bx, %ax\n"
    "  movl $0x89abcdef, %ecx\n"
    "  pushw %ax\n"
    "  popw %dx\n"
    "  movw %cs, %si\n"
    "  call 1f\n"
    "1: popw %di\n"                     /* 16-bit IP of label 1 */
    "  lretl\n"
    "  .code32\n"
    /* reached through the call gates: return address CS:EIP on the stack */
    "gate_target:\n"
    "  movw %cs, %ax\n"
    "  movl 4(%esp), %edx\n"            /* caller CS */
    "  lret\n"
    /* in a code segment whose base is 0x1000 */
    "based_target:\n"
    "  movw %cs, %ax\n"
    "  call 1f\n"
    "1: popl %ecx\n"                    /* EIP of label 1, relative to the base */
    "  leal 1b, %edx\n"                 /* its linear address */
    "  lret\n"
    "lret8_target:\n"
    "  movl 8(%esp), %eax\n"            /* first stacked parameter */
    "  lret $8\n"
    "conf_target:\n"
    "  movw %cs, %ax\n"
    "  lret\n"
    ".popsection");

static void test_far(void)
{
    puts("-- far transfers\n");
    u32 a, c, d, si, di;
    asm volatile("lcall %6, $0" : "=a"(a), "=c"(c), "=d"(d), "=S"(si), "=D"(di) : "b"(0x1111), "i"(SEL(G_CODE16)) : "memory");
    printf("call 16-bit: ax %04x ecx %08x dx %04x cs %04x ip %04x\n", a & 0xffff, c, d & 0xffff, si & 0xffff, di & 0xffff);
    asm volatile("lcall %2, $0" : "=a"(a), "=d"(d) : "i"(SEL(G_CGATE)) : "ecx", "memory");
    printf("call gate dpl0: cs %04x caller cs %04x\n", a & 0xffff, d & 0xffff);
    asm volatile("lcall %3, %4" : "=a"(a), "=c"(c), "=d"(d) : "i"(SEL(G_BASED)), "i"((u32)based_target - 0x1000) : "memory");
    printf("call based: cs %04x eip-base %s\n", a & 0xffff, c + 0x1000 == d ? "ok" : "wrong");
    asm volatile("lcall %1, %2" : "=a"(a) : "i"(SEL(G_CONF)), "i"(conf_target) : "ecx", "edx", "memory");
    printf("call conforming: cs %04x\n", a & 0xffff);
    asm volatile("movl %%esp, %%ecx; pushl $0x22222222; pushl $0x11111111; lcall %2, %3; subl %%esp, %%ecx"
                 : "=a"(a), "=c"(c) : "i"(KCODE), "i"(lret8_target) : "edx", "memory");
    printf("lret $8: param %08x esp %+d\n", a, (s32)c);
    asm volatile("ljmp %1, $1f\n1: movw %%cs, %%ax; ljmp %2, $2f\n2:" : "=a"(a) : "i"(SEL(G_XO)), "i"(KCODE));
    printf("jmp exec-only: cs %04x, back %04x\n", a & 0xffff, read_cs());
    TRY("ljmp %0, $1f", : "i"(KDATA));
    report("jmp to data selector");
    TRY("ljmp %0, $1f", : "i"(SEL(G_CODENP)));
    report("jmp to not-present code");
    TRY("ljmp %0, $1f", : "i"(0x100));
    report("jmp beyond gdt");
    TRY("ljmp %0, $1f", : "i"(0));
    report("jmp null");
    TRY("lcall %0, $0", : "i"(SEL(G_CGATE3) | 3) : "eax", "edx", "memory");
    report("call gate dpl3, rpl3, from ring 0");
    TRY("lcall %0, $0", : "i"(SEL(G_CODENP)));
    report("call not-present code");
    TRY("ljmp %0, $0", : "i"(SEL(G_BUSY)));
    report("jmp busy tss");
    TRY("ljmp %0, $0", : "i"(SEL(G_IGATE)));
    report("jmp interrupt gate in gdt");
}

/* --------------------------------------------------- descriptor tables */
static void test_tables(void)
{
    puts("-- SGDT/SIDT/SLDT/STR/SMSW/ARPL\n");
    struct { u16 limit; u32 base; } __attribute__((packed)) g, i;
    u8 g16[6];
    asm volatile("sgdt %0; sidt %1; sgdtw %2" : "=m"(g), "=m"(i), "=m"(g16));
    printf("sgdt limit %04x base %s, sidt limit %04x base %s, sgdtw base[31:24] %02x\n", g.limit,
           g.base == (u32)gdt ? "=gdt" : "wrong", i.limit, i.base == (u32)idt ? "=idt" : "wrong",
           g16[5]);
    u32 tr = 0xffffffff, ldtr = 0xffffffff, msw = 0xffffffff;
    u16 trm = 0xffff;
    asm volatile("strw %w0; sldtw %w1; smsww %w2; str %3" : "+r"(tr), "+r"(ldtr), "+r"(msw), "=m"(trm));
    printf("str %08x sldt %08x smsw %08x (16-bit forms), str mem %04x\n", tr, ldtr, msw, trm);
    static const u16 arpl[][2] = { { 0x10, 0x13 }, { 0x13, 0x10 }, { 0x1a, 0x19 }, { 0x09, 0x0b }, { 0xfffc, 0x0003 } };
    for (u32 k = 0; k < ARRAY_SIZE(arpl); k++) {
        u16 dst = arpl[k][0];
        u8 z;
        asm volatile("arpl %w2, %w0; setz %1" : "+r"(dst), "=q"(z) : "r"(arpl[k][1]) : "cc");
        printf("arpl %04x,%04x: %04x zf %d\n", arpl[k][0], arpl[k][1], dst, z);
    }
}

/* ------------------------------------------------------- stack frames */
DEF_STUB(pusha_s, "movl %esp, pmem+60; pushal;"
                  "movl 0(%esp), %eax; movl %eax, pmem; movl 4(%esp), %eax; movl %eax, pmem+4;"
                  "movl 8(%esp), %eax; movl %eax, pmem+8; movl 12(%esp), %eax; movl %eax, pmem+12;"
                  "movl 16(%esp), %eax; movl %eax, pmem+16; movl 20(%esp), %eax; movl %eax, pmem+20;"
                  "movl 24(%esp), %eax; movl %eax, pmem+24; movl 28(%esp), %eax; movl %eax, pmem+28;"
                  "movl $0, 12(%esp); notl 28(%esp); popal; movl %esp, pmem+56");
DEF_STUB(pushaw_s, "movl %esp, pmem+60; pushaw;"
                   "movl 0(%esp), %eax; movl %eax, pmem; movl 4(%esp), %eax; movl %eax, pmem+4;"
                   "movl 8(%esp), %eax; movl %eax, pmem+8; movl 12(%esp), %eax; movl %eax, pmem+12;"
                   "notw 14(%esp); popaw; movl %esp, pmem+56");
DEF_STUB(enter_s, "movl %esp, pmem+60; enter $12, $3; movl %esp, pmem+56; movl %ebp, pmem+52;"
                  "movl 12(%esp), %eax; movl %eax, pmem; movl 16(%esp), %eax; movl %eax, pmem+4;"
                  "movl 20(%esp), %eax; movl %eax, pmem+8; movl 24(%esp), %eax; movl %eax, pmem+12;"
                  "leave; movl %esp, pmem+48");
DEF_STUB(enter0_s, "movl %esp, pmem+60; enter $0x102, $0; movl %esp, pmem+56; movl %ebp, pmem+52;"
                   "movl (%ebp), %eax; movl %eax, pmem; leave; movl %esp, pmem+48");
DEF_STUB(enter1_s, "movl %esp, pmem+60; enter $4, $1; movl %esp, pmem+56; movl %ebp, pmem+52;"
                   "movl 4(%esp), %eax; movl %eax, pmem; movl 8(%esp), %eax; movl %eax, pmem+4; leave; movl %esp, pmem+48");

static void test_stack(void)
{
    puts("-- PUSHA/POPA, ENTER/LEAVE (stack offsets relative to ESP before)\n");
    struct cpu c = { .eax = 0xaaaaaaaa, .ecx = 0xcccccccc, .edx = 0xdddddddd, .ebx = 0xbbbbbbbb, .esi = 0x55555555,
                     .edi = 0xdddd1111, .ebp = 0xbbbb0000, .efl = 2 };
    cpu_run(&c, pusha_s);
    printf("pushad:");
    for (int i = 0; i < 8; i++)
        printf(" %08x", i == 3 ? pmem[i] - pmem[15] : pmem[i]);
    printf(" | popad: eax %08x edi %08x esp %+d\n", c.eax, c.edi, (s32)(pmem[14] - pmem[15]));
    c = (struct cpu){ .eax = 0x1111aaaa, .ecx = 0x2222cccc, .edx = 0x3333dddd, .ebx = 0x4444bbbb, .esi = 0x55555555,
                      .edi = 0x6666eeee, .ebp = 0x77770000, .efl = 2 };
    cpu_run(&c, pushaw_s);
    printf("pushaw (di si bp sp bx dx cx ax):");
    for (int i = 0; i < 8; i++)
        printf(" %04x", i == 3 ? (u16)(((u16 *)pmem)[i] - pmem[15]) : ((u16 *)pmem)[i]);
    printf(" | popaw: eax %08x ebx %08x esp %+d\n", c.eax, c.ebx, (s32)(pmem[14] - pmem[15]));

    static u32 frames[8] = { 0xf0f0f001, 0xf0f0f002, 0xf0f0f003, 0xf0f0f004, 0xf0f0f005 };
    c = (struct cpu){ .ebp = (u32)&frames[4], .efl = 2 };
    cpu_run(&c, enter_s);
    printf("enter $12,$3: ebp %+d esp %+d frame %+d %08x %08x %s | leave: esp %+d ebp %s\n",
           (s32)(pmem[13] - pmem[15]), (s32)(pmem[14] - pmem[15]), (s32)(pmem[0] - pmem[15]), pmem[1], pmem[2],
           pmem[3] == (u32)&frames[4] ? "old-ebp" : "wrong", (s32)(pmem[12] - pmem[15]),
           c.ebp == (u32)&frames[4] ? "restored" : "wrong");
    c = (struct cpu){ .ebp = 0x12345678, .efl = 2 };
    cpu_run(&c, enter0_s);
    printf("enter $0x102,$0: ebp %+d esp %+d saved %08x | leave: esp %+d ebp %08x\n", (s32)(pmem[13] - pmem[15]),
           (s32)(pmem[14] - pmem[15]), pmem[0], (s32)(pmem[12] - pmem[15]), c.ebp);
    c = (struct cpu){ .ebp = 0x12345678, .efl = 2 };
    cpu_run(&c, enter1_s);
    printf("enter $4,$1: ebp %+d esp %+d frame %+d %08x | leave: esp %+d ebp %08x\n", (s32)(pmem[13] - pmem[15]),
           (s32)(pmem[14] - pmem[15]), (s32)(pmem[0] - pmem[15]), pmem[1], (s32)(pmem[12] - pmem[15]), c.ebp);
}

int kmain(u32 magic, struct multiboot_info *mbi)
{
    if (magic == MB_BOOT_MAGIC && (mbi->flags & 4)) {
        const char *p = (const char *)mbi->cmdline;
        for (; *p; p++)
            if (!strncmp(p, "limits", 6))
                limits_mode = 1;
    }
    puts("protmode: segmentation\n");
    setup();
    test_probe();
    test_loads();
    test_far();
    test_tables();
    test_stack();
    printf("cs %04x ds %04x ss %04x\n", read_cs(), KDATA, read_ss());
    if (limits_mode) {
        test_limits();
        printf("limit checks: %u mismatches\n", mismatches);
        if (mismatches)
            return 0x7e;
    }
    puts("protmode done\n");
    return 0;
}
