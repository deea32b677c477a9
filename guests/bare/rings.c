/* rings -- privilege levels: the TSS (busy bit after LTR, LTR faults),
 * IRET from ring 0 to ring 3 (data segments that ring 3 may not use are
 * nulled), INT n from ring 3 through DPL-3 interrupt and trap gates (stack
 * switch to TSS.SS0:ESP0, the frame the handler sees, IF cleared only by the
 * interrupt gate), IRET back to ring 3, INT n through DPL-0 and not-present
 * gates, #GP(0) from privileged instructions at ring 3 (CLI/STI/HLT, MOV CRn/
 * DRn, LGDT..., IN/OUT with IOPL 0), POPF silently keeping IF and IOPL, the
 * I/O permission bitmap, IOPL 3, a call gate with parameters from ring 3 to
 * ring 0 and LRET back, a conforming code segment, and a syscall-like INT
 * returning a value to ring 3.  Stack addresses are printed relative to the
 * stack tops so the output does not depend on the layout. */
#include "rt.h"

#define CGATE_SEL (GDT_FREE * 8)            /* 32-bit call gate, DPL 3, 2 parameters */
#define CONF_SEL ((GDT_FREE + 1) * 8)       /* conforming code, DPL 0 */
#define CODE0_SEL ((GDT_FREE + 2) * 8)      /* ordinary code, DPL 0 */
#define NOTSS_SEL ((GDT_FREE + 3) * 8)      /* 32-bit TSS, not present */
#define TSS2_SEL ((GDT_FREE + 4) * 8)       /* second TSS, available */

static u8 istack2[4096] __attribute__((aligned(16)));
static struct tss tss2;
static volatile u32 int_esp;                /* ESP just before an INT */
static struct tss *cur_tss = &tss;
u32 gate_seen[8];

static u32 esp_rel(u32 esp, const void *top) { return (u32)top - esp; }

static void show_frame(const char *what, struct trapframe *tf)
{
    u32 fl = read_eflags();
    printf("  %s: vec %02x cs %04x eip ok=%d eflags %05x | from ring %u", what, tf->vec, tf->cs & 0xffff,
           tf->eip != 0, tf->eflags & ~FL_ARITH, tf->cs & 3);
    if (tf->cs & 3)
        printf(": ss %04x esp before-%u, handler esp esp0-%u", tf->ss & 0xffff, int_esp - tf->esp,
               esp_rel((u32)&tf->eip, (void *)cur_tss->esp0));
    else
        printf(": handler esp before-%u", int_esp - (u32)&tf->eip);
    printf(" | in handler: cs %04x ss %04x if %d\n", read_cs(), read_ss(), (fl & FL_IF) ? 1 : 0);
}

static void int_handler(struct trapframe *tf) { show_frame("int gate", tf); }
static void trap_handler(struct trapframe *tf) { show_frame("trap gate", tf); }
static void syscall_handler(struct trapframe *tf)
{
    printf("  syscall %u from cs %04x\n", tf->eax, tf->cs & 0xffff);
    tf->eax = tf->ebx + tf->ecx;
}

/* ring 0: INT without a privilege change (no ESP/SS in the frame) */
static void kernel_int(void)
{
    asm volatile("movl %%esp, %0; int $0x40" : "=m"(int_esp) : : "memory");
}

/* ------------------------------------------------------------- ring 3 */
static void ring3_basics(void)
{
    u32 fl = read_eflags();
    u16 ds, es, fs, gs;
    asm volatile("movw %%ds, %0; movw %%es, %1; movw %%fs, %2; movw %%gs, %3" : "=r"(ds), "=r"(es), "=r"(fs), "=r"(gs));
    printf("ring 3: cs %04x ss %04x ds %04x es %04x fs %04x gs %04x eflags %05x\n", read_cs(), read_ss(), ds, es,
           fs, gs, fl & ~FL_ARITH);
    asm volatile("movl %%esp, %0; int $0x40" : "=m"(int_esp) : : "memory");
    printf("back in ring 3 after the interrupt gate: cs %04x\n", read_cs());
    asm volatile("movl %%esp, %0; int $0x41" : "=m"(int_esp) : : "memory");
    printf("back in ring 3 after the trap gate: cs %04x\n", read_cs());
    u32 r;
    asm volatile("int $0x80" : "=a"(r) : "a"(7), "b"(0x1000), "c"(0x234) : "memory");
    printf("syscall returned %08x\n", r);
}

static void ring3_faults(void)
{
    TRY("int $0x42");
    report("int $0x42 (dpl 0 gate)");
    TRY("int $0x43");
    report("int $0x43 (not-present gate)");
    TRY("int3");
    report("int3 (dpl 0 gate)");
    TRY("movb $0x7f, %%al; addb $1, %%al; into", : : "eax");
    report("into with OF=1 (dpl 0 gate)");
    static const s32 bounds[2] = { 0, 10 };
    TRY("movl $11, %%eax; boundl %%eax, (%0)", : "r"(bounds) : "eax");
    report("bound (exception, no dpl check)");
    TRY("cli");
    report("cli");
    TRY("sti");
    report("sti");
    TRY("hlt");
    report("hlt");
    TRY("movl %%cr0, %%eax", : : "eax");
    report("mov cr0 -> eax");
    TRY("movl %%eax, %%cr3", : : "eax");
    report("mov eax -> cr3");
    TRY("movl %%dr7, %%eax", : : "eax");
    report("mov dr7 -> eax");
    TRY("clts");
    report("clts");
    TRY("lgdt (%%esp)");
    report("lgdt");
    TRY("lidt (%%esp)");
    report("lidt");
    TRY("lldt %%ax", : "a"(0));
    report("lldt");
    TRY("ltr %%ax", : "a"(TSSSEL));
    report("ltr");
    TRY("lmsw %%ax", : "a"(0x11));
    report("lmsw");
    TRY("invlpg (%%esp)");
    report("invlpg");
    TRY("wbinvd");
    report("wbinvd");
    TRY("invd");
    report("invd");
    TRY("rdmsr", : "c"(0x10) : "eax", "edx");
    report("rdmsr");
    TRY("rdpmc", : "c"(0) : "eax", "edx");
    report("rdpmc (cr4.pce=0)");
    TRY("inb $0x80, %%al", : : "eax");
    report("in 0x80");
    TRY("outb %%al, $0x80", : "a"(0));
    report("out 0x80");
    TRY("outsb", : "S"("x"), "d"(0x80));
    report("outsb 0x80");
    u16 msw = 0;
    u8 g[6];
    TRY("smsw %0; sgdt %1", "=r"(msw), "=m"(g));
    report("smsw, sgdt");
    printf("  msw %04x gdt limit %04x\n", msw, *(u16 *)g);
    TRYT("movl %%esp, %%esi; pushl %0; pushl %%esi; pushfl; pushl %1; pushl $1f; iretl", "movl %%esi, %%esp",
         : "i"(UDATA), "i"(KCODE) : "esi", "memory");
    report("iret to ring 0");

    /* POPF at IOPL 0, CPL 3: IF and IOPL stay as they are, no fault */
    u32 before = read_eflags();
    write_eflags(before | FL_IF | FL_IOPL | FL_CF);
    u32 after = read_eflags();
    write_eflags(before);
    printf("popf (IF|IOPL|CF) at iopl 0: %05x -> %05x\n", before & ~FL_ARITH, after & (FL_IF | FL_IOPL | FL_CF));

    /* I/O permission bitmap: ring 3 may use 0xe9 and 0x3ff, nothing else */
    u8 v = 0;
    TRY("movb $0x5a, %%al; outb %%al, %%dx; inb %%dx, %%al", "=a"(v) : "d"(0x3ff));
    report("out/in 0x3ff (allowed by the bitmap)");
    printf("  uart scratch read back %02x\n", v);
    TRY("inw %%dx, %%ax", : "d"(0x3ff) : "eax");
    report("inw 0x3ff (0x400 not allowed)");
    TRY("inb %%dx, %%al", : "d"(0x3fe) : "eax");
    report("inb 0x3fe");
}

static void ring3_iopl3(void)
{
    u32 fl = read_eflags();
    printf("ring 3, iopl %u if %d\n", (fl >> 12) & 3, (fl & FL_IF) ? 1 : 0);
    TRY("cli");
    report("cli");
    printf("  if now %d\n", (read_eflags() & FL_IF) ? 1 : 0);
    TRY("sti");
    report("sti");
    u8 v = 0;
    TRY("movb $0xa5, %%al; outb %%al, %%dx; inb %%dx, %%al", "=a"(v) : "d"(0x3ff));
    report("out/in 0x3ff");
    printf("  scratch %02x\n", v);
    TRY("inb $0x80, %%al", : : "eax");
    report("in 0x80");
    TRY("hlt");
    report("hlt (still privileged)");
    write_eflags(read_eflags() & ~FL_IOPL);
    printf("popf clearing iopl at cpl 3: iopl %u\n", (read_eflags() >> 12) & 3);
    asm volatile("cli");
}

asm(".pushsection .text\n"
    "gate_entry:\n"                         /* ring 0 through the call gate */
    "  movw %cs, gate_seen\n"
    "  movw %ss, gate_seen+4\n"
    "  movl %esp, gate_seen+8\n"
    "  movl 0(%esp), %eax; movl %eax, gate_seen+12\n"   /* return EIP */
    "  movl 4(%esp), %eax; movl %eax, gate_seen+16\n"   /* return CS */
    "  movl 8(%esp), %eax; movl %eax, gate_seen+20\n"   /* parameter 1 (pushed last) */
    "  movl 12(%esp), %eax; movl %eax, gate_seen+24\n"  /* parameter 2 */
    "  movl 20(%esp), %eax; movl %eax, gate_seen+28\n"  /* old SS (old ESP at 16) */
    "  movl 16(%esp), %eax\n"
    "  lret $8\n"
    "conf_entry:\n"
    "  movw %cs, %ax\n"
    "  lret\n"
    ".popsection");
extern const char gate_entry[], conf_entry[];

static void ring3_gates(void)
{
    u32 old_esp, esp, esp_after;
    asm volatile("movl %%esp, %%ecx; pushl $0x22222222; pushl $0x11111111; lcall %3, $0; movl %%esp, %%edx"
                 : "=a"(old_esp), "=c"(esp), "=d"(esp_after) : "i"(CGATE_SEL | 3) : "memory");
    printf("call gate: cs %04x ss %04x esp esp0-%u params %08x %08x ret cs %04x old ss %04x old esp before-%u\n",
           gate_seen[0] & 0xffff, gate_seen[1] & 0xffff, esp_rel(gate_seen[2], (void *)cur_tss->esp0),
           gate_seen[5], gate_seen[6], gate_seen[4] & 0xffff, gate_seen[7] & 0xffff, esp - old_esp);
    printf("  back at cs %04x, esp after lret $8: before%+d\n", read_cs(), (s32)(esp_after - esp));
    u32 cs;
    asm volatile("lcall %1, %2" : "=a"(cs) : "i"(CONF_SEL | 3), "i"(conf_entry) : "memory");
    printf("conforming code from ring 3: cs %04x\n", cs & 0xffff);
    TRY("lcall %0, %1", : "i"(CODE0_SEL | 3), "i"(conf_entry) : "eax", "memory");
    report("far call to dpl 0 code");
    TRY("ljmp %0, $0", : "i"(CGATE_SEL | 3) : "eax", "memory");
    report("jmp through the call gate to ring 0");
}

static void ring3_nulled(void)
{
    u16 fs, gs;
    asm volatile("movw %%fs, %0; movw %%gs, %1" : "=r"(fs), "=r"(gs));
    printf("after iret with fs=%04x gs=%04x: fs %04x gs %04x\n", user_fs, user_gs, fs, gs);
}

static void ring3_tss2(void)
{
    asm volatile("movl %%esp, %0; int $0x40" : "=m"(int_esp) : : "memory");
}

int kmain(void)
{
    puts("rings: privilege levels, gates, TSS\n");
    u8 access = gdt[TSSSEL / 8] >> 40;
    printf("tss descriptor access after ltr: %02x (busy %d)\n", access, (access >> 1) & 1);
    gdt_set(NOTSS_SEL / 8, (u32)&tss2, 103, 0x09, 0);
    gdt_set(TSS2_SEL / 8, (u32)&tss2, sizeof(tss2) - 1, 0x89, 0);
    TRY("ltr %w0", : "r"(TSSSEL));
    report("ltr busy tss");
    TRY("ltr %w0", : "r"(KDATA));
    report("ltr data segment");
    /* (LTR with a null selector is left out: QEMU loads it instead of #GP(0).) */
    TRY("ltr %w0", : "r"(NOTSS_SEL));
    report("ltr not-present tss");
    TRY("ltr %w0", : "r"(TSSSEL | 4));
    report("ltr ldt selector");

    set_gate(0x40, isr_stubs[0x40], KCODE, 0xEE);     /* interrupt gate, DPL 3 */
    set_gate(0x41, isr_stubs[0x41], KCODE, 0xEF);     /* trap gate, DPL 3 */
    set_gate(0x42, isr_stubs[0x42], KCODE, 0x8E);     /* DPL 0 */
    set_gate(0x43, isr_stubs[0x43], KCODE, 0x6E);     /* DPL 3, not present */
    set_gate(0x80, isr_stubs[0x80], KCODE, 0xEE);
    set_trap(0x40, int_handler);
    set_trap(0x41, trap_handler);
    set_trap(0x80, syscall_handler);
    u64 g = ((u32)gate_entry & 0xFFFF) | (u32)KCODE << 16 | (u64)2 << 32 | (u64)0xEC << 40 |
            (u64)((u32)gate_entry >> 16) << 48;
    gdt[CGATE_SEL / 8] = g;
    gdt_set(CONF_SEL / 8, 0, 0xFFFFF, 0x9E, 0xC);
    gdt_set(CODE0_SEL / 8, 0, 0xFFFFF, 0x9A, 0xC);
    tss.iobitmap[0x3ff / 8] &= ~(1 << (0x3ff % 8));

    set_trap(0x40, int_handler);
    kernel_int();
    user_call(ring3_basics, 0x202);
    user_call(ring3_faults, 0x202);
    puts("-- eflags.iopl = 3\n");
    user_call(ring3_iopl3, 0x3202);
    puts("-- gates\n");
    user_call(ring3_gates, 0x2);
    puts("-- iret nulls data segments ring 3 may not use\n");
    user_fs = KDATA;
    user_gs = UDATA;
    user_call(ring3_nulled, 0x2);
    user_fs = KCODE;
    user_gs = 0;
    user_call(ring3_nulled, 0x2);
    user_fs = user_gs = UDATA;

    puts("-- a second TSS with another ring-0 stack\n");
    tss2 = tss;
    tss2.esp0 = (u32)istack2 + sizeof(istack2);
    u8 before = gdt[TSS2_SEL / 8] >> 40;
    asm volatile("ltr %w0" : : "r"(TSS2_SEL) : "memory");
    u8 after = gdt[TSS2_SEL / 8] >> 40;
    printf("tss2 access %02x -> %02x, old tss still %02x\n", before, after, (u8)(gdt[TSSSEL / 8] >> 40));
    u16 tr;
    asm volatile("str %0" : "=r"(tr));
    printf("str %04x\n", tr);
    u32 saved = tss.esp0;
    tss.esp0 = 0;           /* must not be used any more */
    cur_tss = &tss2;
    user_call(ring3_tss2, 0x2);
    tss.esp0 = saved;
    printf("rings done, cs %04x ss %04x\n", read_cs(), read_ss());
    return 0;
}
