/* exceptions -- one or more ways to raise each exception, printing the vector,
 * the error code and where the pushed EIP points ("@+N" = N bytes after the
 * start of the block: faults point at the instruction, traps after it):
 * #DE (DIV by 0, quotient overflow, IDIV -2^31/-1, AAM 0), #DB (single-
 * stepping with EFLAGS.TF: the EIP of each step and DR6, including the step
 * that MOV SS delays; INT 1), #BP (INT3, INT 3), #OF (INTO), #BR (BOUND),
 * #UD (UD2, UD1, invalid encodings, LOCK on a non-lockable instruction, MOV to
 * CR1, MOV to CS, an instruction longer than 15 bytes is #GP), #NM (x87 with
 * CR0.EM, WAIT with CR0.MP+TS), #TS (IRET with NT set and a bad back link),
 * #NP (INT through a not-present gate, segment loads), #SS, #GP (IDT limit,
 * gates to bad selectors), and #DF (a #GP or #DE whose gate is not present)
 * next to a benign INT3 with a missing gate (#NP, no #DF).  A triple fault is
 * in triplefault.S instead.  Faults are caught by TRY (rt.h). */
#include "rt.h"

#define CR0_MP 0x2
#define CR0_EM 0x4
#define CR0_TS 0x8

static void test_de(void)
{
    puts("-- #DE\n");
    TRY("divl %%ecx", : "a"(1), "d"(0), "c"(0));
    report("div by 0");
    TRY("divl %%ecx", : "a"(0), "d"(5), "c"(5));
    report("div quotient overflow");
    TRY("idivl %%ecx", : "a"(0x80000000), "d"(0xffffffff), "c"(-1));
    report("idiv -2^31 / -1");
    TRY("idivb %%cl", : "a"(0xff80), "c"(0xff));
    report("idivb -128 / -1");
    TRY("idivw %%cx", : "a"(0x8000), "d"(0xffff), "c"(0xffff));
    report("idivw -32768 / -1");
    TRY("movl $7, %%eax; movl $0, %%edx; divl %%ecx; movl $1, %%eax", : "c"(0) : "eax", "edx");
    report("div in the middle of a block");
    TRY("aam $0", : : "eax");
    report("aam 0");
    u32 q, r;
    asm volatile("divl %4" : "=a"(q), "=d"(r) : "a"(100), "d"(4), "r"(7));
    printf("no fault: (4<<32 + 100) / 7 = %08x rem %u\n", q, r);
}

/* ------------------------------------------------------------------ #DB */
static u32 steps[32], step_dr6[32], nsteps;
extern const char step_block[], step_ss_block[];

static void db_handler(struct trapframe *tf)
{
    u32 dr6;
    asm volatile("movl %%dr6, %0" : "=r"(dr6));
    if (nsteps < 32) {
        steps[nsteps] = tf->eip;
        step_dr6[nsteps++] = dr6 & 0xe00f;     /* BT BS BD B3..B0 */
    }
    asm volatile("movl %0, %%dr6" : : "r"(0));
}

asm(".pushsection .text\n"
    "step_block:\n"
    "  pushfl\n"
    "  orl $0x100, (%esp)\n"
    "  popfl\n"                         /* TF on: the trap comes after the next instruction */
    "  movl $1, %eax\n"
    "  addl %eax, %eax\n"
    "  jmp 1f\n"
    "  nop\n"
    "1:movl $3, %ecx\n"
    "2:loop 2b\n"
    "  pushfl\n"
    "  andl $~0x100, (%esp)\n"
    "  popfl\n"                         /* TF off: still traps after this one */
    "  nop\n"
    "  ret\n"
    "step_ss_block:\n"
    "  pushfl\n"
    "  orl $0x100, (%esp)\n"
    "  popfl\n"
    "  movw %ss, %ax\n"
    "  movw %ax, %ss\n"                 /* blocks the trap until after the next instruction */
    "  nop\n"
    "  nop\n"
    "  pushfl\n"
    "  andl $~0x100, (%esp)\n"
    "  popfl\n"
    "  ret\n"
    ".popsection");

static void run_steps(const char *what, const char *block)
{
    nsteps = 0;
    set_trap(1, db_handler);
    asm volatile("call *%0" : : "r"(block) : "eax", "ecx", "memory", "cc");
    set_trap(1, NULL);
    printf("%s: %u steps:", what, nsteps);
    for (u32 i = 0; i < nsteps; i++)
        printf(" +%u/%x", steps[i] - (u32)block, step_dr6[i]);
    putchar('\n');
}

static void test_db(void)
{
    puts("-- #DB (trap: eip after the instruction / dr6 & e00f)\n");
    run_steps("tf single-step", step_block);
    run_steps("tf across mov ss", step_ss_block);
    TRY("int $1");
    report("int $1");
}

static void test_traps(void)
{
    puts("-- #BP #OF #BR\n");
    TRY("int3");
    report("int3");
    TRY("int $3");
    report("int $3");
    TRY("nop; int3; nop");
    report("nop; int3");
    TRY("movl $0x7fffffff, %%eax; incl %%eax; into", : : "eax");
    report("into, OF=1");
    TRY("xorl %%eax, %%eax; into", : : "eax");
    report("into, OF=0");
    static const s32 b32[2] = { -5, 10 };
    static const s16 b16[2] = { 100, 200 };
    TRY("boundl %0, (%1)", : "r"(-5), "r"(b32));
    report("bound -5 in [-5,10]");
    TRY("boundl %0, (%1)", : "r"(10), "r"(b32));
    report("bound 10 in [-5,10]");
    TRY("boundl %0, (%1)", : "r"(11), "r"(b32));
    report("bound 11 in [-5,10]");
    TRY("boundl %0, (%1)", : "r"(-6), "r"(b32));
    report("bound -6 in [-5,10]");
    TRY("boundw %w0, (%1)", : "r"(99), "r"(b16));
    report("boundw 99 in [100,200]");
    TRY("boundw %w0, (%1)", : "r"(0x100c8), "r"(b16));
    report("boundw 200 (upper half ignored)");
}

/* Deliberately invalid or odd encodings live in a data section so that a
 * disassembler listing of .text stays clean.  Each entry ends with RET. */
asm(".pushsection .rodata.odd, \"a\"\n"
    "odd_0fff: .byte 0x0f, 0xff, 0xc3\n"                /* invalid */
    "odd_fe_2: .byte 0xfe, 0xd0, 0xc3\n"                /* FE /2: only /0 and /1 exist */
    "odd_lock_nop: .byte 0xf0, 0x90, 0xc3\n"            /* LOCK NOP */
    "odd_lock_reg: .byte 0xf0, 0x01, 0xd8, 0xc3\n"      /* LOCK ADD %ebx, %eax (register destination) */
    "odd_lock_c7: .byte 0xf0, 0x0f, 0xc7, 0xc8, 0xc3\n" /* LOCK CMPXCHG8B with a register operand */
    "odd_cr1: .byte 0x0f, 0x22, 0xc8, 0xc3\n"           /* MOV %eax, %cr1 */
    "odd_movcs: .byte 0x8e, 0xc8, 0xc3\n"               /* MOV %ax, %cs */
    "odd_long15: .fill 14, 1, 0x66\n .byte 0x90, 0xc3\n" /* 15 bytes: fine */
    "odd_long16: .fill 15, 1, 0x66\n .byte 0x90, 0xc3\n" /* 16 bytes: #GP(0) */
    "odd_lds_reg: .byte 0x8d, 0xc0, 0xc3\n"             /* LEA with a register operand */
    ".popsection");
extern const char odd_0fff[], odd_fe_2[], odd_lock_nop[], odd_lock_reg[], odd_lock_c7[], odd_cr1[], odd_movcs[],
    odd_long15[], odd_long16[], odd_lds_reg[];

static void try_call(const char *what, const char *code)
{
    TRYT("movl %%esp, %%esi\n\tcall *%0", "movl %%esi, %%esp", : "r"(code) : "eax", "ebx", "ecx", "edx", "esi", "memory");
    if (rt_caught.n) {
        rt_start = (u32)code;           /* report the offset inside the code bytes */
        report(what);
    } else {
        printf("%s: ok\n", what);
        caught_vec();
    }
}

static void test_ud(void)
{
    puts("-- #UD\n");
    TRY("ud2");
    report("ud2");
    TRY("ud1 %%eax, %%eax");
    report("ud1");
    try_call("0f ff", odd_0fff);
    try_call("fe /2", odd_fe_2);
    try_call("lock nop", odd_lock_nop);
    try_call("lock add reg,reg", odd_lock_reg);
    try_call("lock cmpxchg8b reg", odd_lock_c7);
    try_call("mov eax -> cr1", odd_cr1);
    try_call("mov ax -> cs", odd_movcs);
    try_call("lea reg,reg", odd_lds_reg);
    try_call("15-byte instruction", odd_long15);
    try_call("16-byte instruction", odd_long16);
    TRY("lock addl $1, (%0)", : "r"(&nsteps) : "memory");
    report("lock add mem (fine)");
}

static void test_nm(void)
{
    puts("-- #NM\n");
    u32 cr0 = read_cr0();
    write_cr0((cr0 & ~(CR0_TS | CR0_MP)) | CR0_EM);
    TRY("fninit");
    report("em=1: fninit");
    TRY("fwait");
    report("em=1: wait");
    write_cr0((cr0 & ~CR0_EM) | CR0_TS | CR0_MP);
    TRY("fwait");
    report("ts=1 mp=1: wait");
    TRY("fninit");
    report("ts=1 mp=1: fninit");
    write_cr0((cr0 & ~(CR0_EM | CR0_MP)) | CR0_TS);
    TRY("fwait");
    report("ts=1 mp=0: wait");
    asm volatile("clts");
    printf("clts: cr0 %08x\n", read_cr0());
    write_cr0(cr0);
}

static void test_segments(void)
{
    puts("-- #TS #NP #SS #GP\n");
    /* IRET with NT=1 returns to the task in the back link of the current
     * TSS; a back link to a TSS that is not busy is #TS(back link). */
    gdt_set(GDT_FREE, (u32)&tss, 103, 0x89, 0);           /* available 32-bit TSS */
    tss.link = GDT_FREE * 8;
    TRYT("pushfl; orl $0x4000, (%%esp); popfl; iretl", "pushfl; andl $~0x4000, (%%esp); popfl", : : "memory");
    report("iret nt=1, back link to an available tss");
    tss.link = 0x2c;
    TRYT("pushfl; orl $0x4000, (%%esp); popfl; iretl", "pushfl; andl $~0x4000, (%%esp); popfl", : : "memory");
    report("iret nt=1, back link with ti=1");
    tss.link = 0;

    set_gate(0x44, isr_stubs[0x44], KCODE, 0x0E);        /* not present */
    TRY("int $0x44");
    report("int $0x44, not-present gate");
    set_gate(0x45, isr_stubs[0x45], KCODE, 0x85);        /* task gate... */
    set_gate(0x45, 0, 0x100, 0x85);                      /* ...to a selector beyond the GDT */
    TRY("int $0x45");
    report("int $0x45, task gate to a bad selector");
    set_gate(0x45, isr_stubs[0x45], KCODE, 0x8E);
    set_gate(0x46, isr_stubs[0x46], KDATA, 0x8E);        /* gate to a data segment */
    TRY("int $0x46");
    report("int $0x46, gate to a data selector");
    set_gate(0x46, isr_stubs[0x46], KCODE, 0x8E);
    gdt_set(GDT_FREE + 1, 0, 0xFFFFF, 0x12, 0xC);         /* data, not present */
    TRY("movw %w0, %%gs", : "r"((GDT_FREE + 1) * 8));
    report("gs <- not-present data");
    TRY("movw %w0, %%ss; movw %w1, %%ss", : "r"((GDT_FREE + 1) * 8), "r"(KDATA));
    report("ss <- not-present data");
    TRY("movw %w0, %%ss; movw %w1, %%ss", : "r"(0), "r"(KDATA));
    report("ss <- null");

    struct { u16 limit; u32 base; } __attribute__((packed)) small = { 0x50 * 8 - 1, (u32)idt };
    TRYT("lidt %0; int $0x50", "lidt idt_desc", : "m"(small) : "memory");
    report("int $0x50 beyond the idt limit");
    TRYT("lidt %0; int $0x4f", "lidt idt_desc", : "m"(small) : "memory");
    report("int $0x4f, last entry inside the limit");
    /* (No CR0/CR4 consistency #GPs: QEMU 7.2 accepts CR0.PG=1 with PE=0 and
     * NW=1 with CD=0, and hangs on a reserved CR4 bit.) */
}

/* #DF: the #GP raised by a bad segment load finds its gate not present;
 * the #NP that follows is the second contributory fault -> #DF(0).  The
 * saved EIP of a #DF is undefined, so it is not printed. */
static void test_df(void)
{
    puts("-- #DF and the benign/contributory rules\n");
    u64 gp = idt[13];
    idt[13] &= ~(1ull << 47);
    TRY("movw %w0, %%fs", : "r"(0x100));
    printf("bad fs load, #GP gate not present: %s(%04x)\n", exc_name(rt_caught.vec), rt_caught.err);
    caught_vec();
    idt[13] = gp;
    u64 de = idt[0];
    idt[0] &= ~(1ull << 47);
    TRY("divl %%ecx", : "a"(1), "d"(0), "c"(0));
    printf("div by 0, #DE gate not present: %s(%04x)\n", exc_name(rt_caught.vec), rt_caught.err);
    caught_vec();
    idt[0] = de;
    /* (A #UD whose gate is not present is left out: QEMU gives #NP(0032),
     * without the EXT bit the manual asks for.) */
    u64 bp = idt[3];
    idt[3] &= ~(1ull << 47);
    TRY("int3");
    report("int3, gate not present");
    idt[3] = bp;
}

int kmain(void)
{
    puts("exceptions: vectors, error codes, saved EIP\n");
    test_de();
    test_db();
    test_traps();
    test_ud();
    test_nm();
    test_segments();
    test_df();
    puts("exceptions done\n");
    return 0;
}
