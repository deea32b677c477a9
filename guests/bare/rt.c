/* rt.c -- runtime for the bare-metal test kernels: console, printf, GDT/IDT/TSS
 * setup, trap dispatch, TRY/report and the instruction harness wrapper. */
#include "rt.h"

/* ------------------------------------------------------------ descriptors */
/* The code descriptors start with their Accessed bit set: the manual says
 * loading CS sets it, QEMU 7.2 never does, and LAR shows the bit. */
u64 gdt[GDT_ENTRIES] __attribute__((aligned(8))) = {
    [0] = 0,
    [1] = 0x00CF9B000000FFFFull,        /* 0x08 ring 0 code, flat, 32-bit */
    [2] = 0x00CF92000000FFFFull,        /* 0x10 ring 0 data, flat */
    [3] = 0x00CFFB000000FFFFull,        /* 0x18 ring 3 code, flat */
    [4] = 0x00CFF2000000FFFFull,        /* 0x20 ring 3 data, flat */
    /* [5] TSS, filled in by rt_init */
};
struct { u16 limit; u32 base; } __attribute__((packed)) gdt_desc = { sizeof(gdt) - 1, (u32)gdt };

u64 idt[256] __attribute__((aligned(8)));
struct { u16 limit; u32 base; } __attribute__((packed)) idt_desc = { sizeof(idt) - 1, (u32)idt };

struct tss tss __attribute__((aligned(128)));

static trap_fn handlers[256];
u32 user_fs = UDATA, user_gs = UDATA;

void gdt_set(int idx, u32 base, u32 limit, u8 access, u8 flags)
{
    gdt[idx] = (limit & 0xFFFF) | (u64)(base & 0xFFFFFF) << 16 | (u64)access << 40 |
               (u64)((limit >> 16) & 0xF) << 48 | (u64)(flags & 0xF) << 52 | (u64)(base >> 24) << 56;
}

void set_gate(int vec, u32 offset, u16 sel, u8 attr)
{
    idt[vec] = (offset & 0xFFFF) | (u32)sel << 16 | (u64)attr << 40 | (u64)(offset >> 16) << 48;
}

void set_trap(int vec, trap_fn fn) { handlers[vec] = fn; }

static void user_return_trap(struct trapframe *tf)
{
    extern NORETURN void user_return(void);
    (void)tf;
    user_return();
}

void rt_init(void)
{
    for (int v = 0; v < 256; v++)
        set_gate(v, isr_stubs[v], KCODE, 0x8E);
    set_gate(USER_RETURN_VEC, isr_stubs[USER_RETURN_VEC], KCODE, 0xEE);
    set_trap(USER_RETURN_VEC, user_return_trap);
    asm volatile("lidt idt_desc" : : : "memory");

    /* TSS: ring-0 stack for traps from ring 3, I/O bitmap letting ring 3
     * use the debug console port (and nothing else). */
    tss.ss0 = KDATA;
    tss.esp0 = (u32)istack_top;
    tss.iomap = 104;
    memset(tss.iobitmap, 0xFF, sizeof(tss.iobitmap));
    tss.iobitmap[DEBUGCON_PORT / 8] &= ~(1 << (DEBUGCON_PORT % 8));
    tss.iobitmap_end = 0xFF;
    gdt_set(TSSSEL / 8, (u32)&tss, sizeof(tss) - 1, 0x89, 0);
    asm volatile("ltr %w0" : : "r"(TSSSEL) : "memory");

    /* Mask both PICs so that nothing can interrupt even with IF=1. */
    outb(0x21, 0xFF);
    outb(0xA1, 0xFF);
}

/* ---------------------------------------------------------------- console */
static void e9_putc(int c) { outb(DEBUGCON_PORT, c); }
void (*rt_putc)(int c) = e9_putc;

void putchar(int c) { rt_putc(c); }
void puts(const char *s) { while (*s) rt_putc(*s++); }

static void put_num(u32 v, int base, char sign, int width, char pad, int left, int upper)
{
    char buf[12];
    int n = 0;
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    do {
        buf[n++] = digits[v % base];
        v /= base;
    } while (v);
    if (sign && pad == '0')
        rt_putc(sign), width--;
    else if (sign)
        buf[n++] = sign;
    for (int i = n; !left && i < width; i++)
        rt_putc(pad);
    for (int i = n; i; i--)
        rt_putc(buf[i - 1]);
    for (int i = n; left && i < width; i++)
        rt_putc(' ');
}

/* %d %u %x %X %c %s %%, with flags '-' (left-justify), '+' (sign), '0' and a width. */
void printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            rt_putc(*fmt);
            continue;
        }
        char pad = ' ', plus = 0;
        int width = 0, left = 0;
        for (;; fmt++) {
            if (fmt[1] == '-')
                left = 1;
            else if (fmt[1] == '+')
                plus = '+';
            else if (fmt[1] == '0')
                pad = '0';
            else
                break;
        }
        fmt++;
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + *fmt++ - '0';
        switch (*fmt) {
        case 'd': {
            s32 v = va_arg(ap, s32);
            put_num(v < 0 ? -(u32)v : (u32)v, 10, v < 0 ? '-' : plus, width, pad, left, 0);
            break;
        }
        case 'u': put_num(va_arg(ap, u32), 10, 0, width, pad, left, 0); break;
        case 'x': put_num(va_arg(ap, u32), 16, 0, width, pad, left, 0); break;
        case 'X': put_num(va_arg(ap, u32), 16, 0, width, pad, left, 1); break;
        case 'c': rt_putc(va_arg(ap, int)); break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            int len = strlen(s);
            for (int i = len; !left && i < width; i++)
                rt_putc(' ');
            puts(s);
            for (int i = len; left && i < width; i++)
                rt_putc(' ');
            break;
        }
        case '%': rt_putc('%'); break;
        default: rt_putc('?'); break;
        }
    }
    va_end(ap);
}

void print_flags(u32 fl, u32 defined)
{
    static const struct { u32 bit; char c; } f[] = {
        { FL_OF, 'O' }, { FL_SF, 'S' }, { FL_ZF, 'Z' }, { FL_AF, 'A' }, { FL_PF, 'P' }, { FL_CF, 'C' },
    };
    for (u32 i = 0; i < ARRAY_SIZE(f); i++)
        rt_putc(!(defined & f[i].bit) ? '-' : (fl & f[i].bit) ? f[i].c : '.');
}

NORETURN void exit(int code)
{
    outb(EXIT_PORT, code);
    for (;;)
        asm volatile("cli; hlt");
}

NORETURN void fail(const char *why)
{
    printf("FAIL: %s\n", why);
    exit(0x7e);
}

/* ------------------------------------------------------------ libc bits */
void *memset(void *d, int c, u32 n)
{
    void *r = d;
    asm volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
    return r;
}

void *memcpy(void *d, const void *s, u32 n)
{
    void *r = d;
    asm volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
    return r;
}

int memcmp(const void *a, const void *b, u32 n)
{
    const u8 *p = a, *q = b;
    for (; n; n--, p++, q++)
        if (*p != *q)
            return *p - *q;
    return 0;
}

u32 strlen(const char *s)
{
    u32 n = 0;
    while (s[n])
        n++;
    return n;
}

int strncmp(const char *a, const char *b, u32 n)
{
    for (; n; n--, a++, b++)
        if (*a != *b || !*a)
            return (u8)*a - (u8)*b;
    return 0;
}

/* ------------------------------------------------------------------ traps */
volatile struct caught rt_caught;
volatile u32 rt_start, rt_resume;

const char *exc_name(u32 vec)
{
    static const char *const names[] = {
        "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#CSO",
        "#TS", "#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM",
    };
    static char buf[8];
    if (vec < ARRAY_SIZE(names))
        return names[vec];
    buf[0] = 'i'; buf[1] = 'n'; buf[2] = 't';
    buf[3] = "0123456789abcdef"[(vec >> 4) & 15];
    buf[4] = "0123456789abcdef"[vec & 15];
    buf[5] = 0;
    return buf;
}

void trap_dispatch(struct trapframe *tf)
{
    if (handlers[tf->vec]) {
        handlers[tf->vec](tf);
        return;
    }
    if (rt_resume) {
        rt_caught.n++;
        rt_caught.vec = tf->vec;
        rt_caught.err = tf->err;
        rt_caught.eip = tf->eip;
        rt_caught.cs = tf->cs & 0xFFFF;
        rt_caught.eflags = tf->eflags;
        rt_caught.esp = (tf->cs & 3) ? tf->esp : 0;
        rt_caught.ss = (tf->cs & 3) ? tf->ss & 0xFFFF : 0;
        rt_caught.cr2 = tf->vec == 14 ? read_cr2() : 0;
        tf->eip = rt_resume;
        rt_resume = 0;
        return;
    }
    printf("\nunexpected %s err=%08x eip=%08x cs=%04x eflags=%08x\n", exc_name(tf->vec), tf->err,
           tf->eip, tf->cs & 0xFFFF, tf->eflags);
    exit(0x7f);
}

int caught_vec(void)
{
    int v = rt_caught.n ? (int)rt_caught.vec : -1;
    rt_caught.n = 0;
    rt_resume = 0;
    return v;
}

void report(const char *what)
{
    printf("%s: ", what);
    if (!rt_caught.n) {
        printf("ok\n");
    } else {
        u32 v = rt_caught.vec;
        printf("%s", exc_name(v));
        if (v == 8 || (v >= 10 && v <= 14) || v == 17)
            printf("(%04x)", rt_caught.err);
        printf(" @+%d", rt_caught.eip - rt_start);
        if (v == 14)
            printf(" cr2=%08x", rt_caught.cr2);
        if (rt_caught.n > 1)
            printf(" (x%u)", rt_caught.n);
        printf("\n");
    }
    rt_caught.n = 0;
    rt_resume = 0;
}

/* ---------------------------------------------------- instruction harness */
void cpu_run(struct cpu *c, const void *stub)
{
    extern void cpu_run_asm(struct cpu *c, const void *stub);
    extern const char cpu_run_resume[];
    rt_caught.n = 0;
    rt_start = (u32)stub;
    rt_resume = (u32)cpu_run_resume;
    cpu_run_asm(c, stub);
    c->fault = rt_caught.n ? rt_caught.vec + 1 : 0;
    c->err = rt_caught.n ? rt_caught.err : 0;
    c->fault_off = rt_caught.n ? rt_caught.eip - (u32)stub : 0;
    rt_caught.n = 0;
    rt_resume = 0;
}
