/* rt.h -- the small runtime shared by the bare-metal test kernels.
 *
 * Machine contract (QEMU -kernel and our emulator): Multiboot v1 entry with
 * EAX=0x2BADB002, EBX=multiboot info, flat CS/DS, PG off, IF=0, no usable
 * IDT.  Output goes to port 0xE9, the run ends by writing v to port 0xF4
 * (QEMU then exits with status (v<<1)|1).
 *
 * rt_entry.S loads the GDT below, sets ESP, calls rt_init() (IDT with a stub
 * for every vector, TSS, PIC masked) and then kmain(magic, mbi); kmain's
 * return value is the exit code (0 = success). */
#ifndef RT_H
#define RT_H

#define MB_MAGIC        0x1BADB002
#define MB_FLAGS        0x00000002      /* bit 1: we want mem_lower/mem_upper */
#define MB_BOOT_MAGIC   0x2BADB002

/* GDT layout shared by all kernels; entries from GDT_FREE on are free for tests. */
#define KCODE   0x08
#define KDATA   0x10
#define UCODE   0x1B    /* 0x18 | RPL 3 */
#define UDATA   0x23    /* 0x20 | RPL 3 */
#define TSSSEL  0x28
#define GDT_FREE        6
#define GDT_ENTRIES     32

#define DEBUGCON_PORT   0xE9
#define EXIT_PORT       0xF4
#define USER_RETURN_VEC 0x81    /* int $0x81 from ring 3 ends user_call() */

/* EFLAGS bits */
#define FL_CF   0x0001
#define FL_PF   0x0004
#define FL_AF   0x0010
#define FL_ZF   0x0040
#define FL_SF   0x0080
#define FL_TF   0x0100
#define FL_IF   0x0200
#define FL_DF   0x0400
#define FL_OF   0x0800
#define FL_IOPL 0x3000
#define FL_NT   0x4000
#define FL_RF   0x10000
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

#ifndef __ASSEMBLER__

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char s8;
typedef short s16;
typedef int s32;
typedef long long s64;
typedef __builtin_va_list va_list;
#define va_start __builtin_va_start
#define va_arg __builtin_va_arg
#define va_end __builtin_va_end
#define NULL ((void *)0)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NORETURN __attribute__((noreturn))

struct multiboot_info {
    u32 flags, mem_lower, mem_upper, boot_device, cmdline;
    u32 mods_count, mods_addr, syms[4], mmap_length, mmap_addr;
};

/* What isr_common pushes: segment registers, PUSHA, vector, error code (0
 * when the CPU pushes none), then the CPU's frame.  esp/ss are only valid
 * when the trap came from ring 3.  The segment slots hold 16-bit values
 * (the upper half of a pushed segment register is implementation-specific). */
struct trapframe {
    u32 gs, fs, es, ds;
    u32 edi, esi, ebp, kesp, ebx, edx, ecx, eax;
    u32 vec, err;
    u32 eip, cs, eflags;
    u32 esp, ss;
};

struct tss {
    u32 link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
    u32 eax, ecx, edx, ebx, esp, ebp, esi, edi;
    u32 es, cs, ss, ds, fs, gs, ldt;
    u16 trap, iomap;
    u8 iobitmap[8192];  /* 1 bit per port; a set bit denies ring-3 access */
    u8 iobitmap_end;    /* must be 0xFF */
} __attribute__((packed));

typedef void (*trap_fn)(struct trapframe *tf);

/* ---- port and control register access */
static inline void outb(u16 port, u8 v) { asm volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(u16 port, u16 v) { asm volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(u16 port, u32 v) { asm volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u16 inw(u16 port) { u16 v; asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline u32 inl(u16 port) { u32 v; asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

#define DEF_CR(n) \
    static inline u32 read_cr##n(void) { u32 v; asm volatile("movl %%cr" #n ", %0" : "=r"(v)); return v; } \
    static inline void write_cr##n(u32 v) { asm volatile("movl %0, %%cr" #n : : "r"(v) : "memory"); }
DEF_CR(0)
DEF_CR(2)
DEF_CR(3)
DEF_CR(4)
#undef DEF_CR

static inline u32 read_eflags(void) { u32 v; asm volatile("pushfl; popl %0" : "=r"(v)); return v; }
static inline void write_eflags(u32 v) { asm volatile("pushl %0; popfl" : : "r"(v) : "cc", "memory"); }
static inline void invlpg(u32 addr) { asm volatile("invlpg (%0)" : : "r"(addr) : "memory"); }
static inline u16 read_cs(void) { u16 v; asm volatile("movw %%cs, %0" : "=r"(v)); return v; }
static inline u16 read_ss(void) { u16 v; asm volatile("movw %%ss, %0" : "=r"(v)); return v; }
static inline u32 read_esp(void) { u32 v; asm volatile("movl %%esp, %0" : "=r"(v)); return v; }

/* ---- output (rt_putc defaults to port 0xE9; the uart kernel replaces it) */
extern void (*rt_putc)(int c);
void putchar(int c);
void puts(const char *s);               /* no newline added */
void printf(const char *fmt, ...);      /* %s %c %d %u %x %X, flags - + 0, width */
void print_flags(u32 fl, u32 defined);  /* "OSZAPC": letter = set, '.' = clear, '-' = not checked */
NORETURN void exit(int code);
NORETURN void fail(const char *why);    /* prints FAIL: why, exits 0x7e */
#define CHECK(cond) do { if (!(cond)) fail(#cond); } while (0)

void *memset(void *d, int c, u32 n);
void *memcpy(void *d, const void *s, u32 n);
int memcmp(const void *a, const void *b, u32 n);
u32 strlen(const char *s);
int strncmp(const char *a, const char *b, u32 n);

/* ---- descriptor tables */
extern u64 gdt[GDT_ENTRIES];
extern u64 idt[256];
extern struct tss tss;
extern const u32 isr_stubs[256];        /* entry stub of each vector */
extern u8 istack_top[], ustack_top[], stack_top[];
void gdt_set(int idx, u32 base, u32 limit, u8 access, u8 flags);  /* flags: 0xC = G|D/B */
void set_gate(int vec, u32 offset, u16 sel, u8 attr);   /* attr 0x8E int gate, 0x8F trap gate, |0x60 DPL3 */
void set_trap(int vec, trap_fn fn);     /* C handler for a vector (NULL = default) */
const char *exc_name(u32 vec);

/* ---- catching an expected exception
 * TRY(asm) runs a block of instructions; if one of them raises an exception
 * that has no handler of its own, the runtime records it in rt_caught and
 * resumes after the block.  report() prints what happened as
 * "name: #GP(0010) @+3" (error code, offset of the pushed EIP from the start
 * of the block) or "name: ok", so the output does not depend on code layout.
 * Works at ring 0 and ring 3 (it resumes at the privilege level of the block).
 * TRY is always an extended asm: write %%eax, and pass the operand lists
 * after the first colon, e.g. TRY("movw %%ax, %%ds", : "a"(sel) : "memory"). */
struct caught { u32 n, vec, err, eip, cs, eflags, esp, ss, cr2; };
extern volatile struct caught rt_caught;
extern volatile u32 rt_start, rt_resume;
#define TRY(code, ...) asm volatile("movl $0f, rt_start\n\tmovl $1f, rt_resume\n0:\t" code "\n1:" : __VA_ARGS__)
/* TRYT: the same with instructions after the resume point (run either way) */
#define TRYT(code, tail, ...) \
    asm volatile("movl $0f, rt_start\n\tmovl $1f, rt_resume\n0:\t" code "\n1:\t" tail : __VA_ARGS__)
void report(const char *what);
int caught_vec(void);                   /* vector caught by the last TRY (-1 if none); clears it */

/* ---- ring 3: run fn at CPL 3 (UCODE/UDATA, stack ustack_top, EFLAGS eflags)
 * until it returns; the return goes through int $0x81 back to ring 0. */
void user_call(void (*fn)(void), u32 eflags);
extern u32 user_fs, user_gs;            /* FS/GS given to the IRET into ring 3 */

/* ---- instruction harness: load the registers and EFLAGS from *c, call stub
 * (a few instructions and RET, usually from DEF_STUB), store them back into *c.
 * A fault inside the stub is caught like TRY: c->fault = vector+1,
 * c->err, c->fault_off = faulting EIP - stub. */
struct cpu {
    u32 eax, ecx, edx, ebx, esi, edi, ebp, efl;
    u32 fault, err, fault_off;
};
void cpu_run(struct cpu *c, const void *stub);
#define DEF_STUB(name, code) \
    extern const char name[]; \
    asm(".pushsection .text\n\t.p2align 2\n" #name ":\n\t" code "\n\tret\n\t.popsection")

#endif /* __ASSEMBLER__ */
#endif /* RT_H */
